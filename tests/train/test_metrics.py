"""Metrics against a brute-force count written independently in the test, and known closed forms."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.train import metrics as M


def _brute(pred, target, n):
    """Per-class precision / recall / F1 by explicit counting loops."""
    out = {"precision": [], "recall": [], "f1": []}
    for c in range(n):
        tp = sum(1 for p, t in zip(pred, target) if p == c and t == c)
        fp = sum(1 for p, t in zip(pred, target) if p == c and t != c)
        fn = sum(1 for p, t in zip(pred, target) if p != c and t == c)
        pr = tp / (tp + fp) if tp + fp else 0.0
        rc = tp / (tp + fn) if tp + fn else 0.0
        out["precision"].append(pr)
        out["recall"].append(rc)
        out["f1"].append(2 * pr * rc / (pr + rc) if pr + rc else 0.0)
    return out


def test_classification_metrics_match_brute_force_counts():
    rng = np.random.default_rng(1)
    target = rng.integers(0, 4, 200)
    pred = np.where(rng.random(200) < 0.6, target, rng.integers(0, 4, 200))
    pred[pred == 3] = 2  # class 3 is never predicted: precision 0 by convention
    ref = _brute(pred, target, 4)
    per = M.precision_recall_f1(pred, target, 4, average=None)
    for k in ref:
        np.testing.assert_allclose(per[k], ref[k])
    macro = M.precision_recall_f1(cr.tensor(pred), cr.tensor(target), 4)
    assert macro["f1"] == pytest.approx(np.mean(ref["f1"]))
    micro = M.precision_recall_f1(pred, target, 4, average="micro")
    assert micro["precision"] == micro["recall"] == micro["f1"] == pytest.approx(np.mean(pred == target))
    assert M.accuracy(pred, target) == pytest.approx(np.mean(pred == target))
    cm = M.confusion_matrix(pred, target, 4)
    for t in range(4):
        for p in range(4):
            assert cm[t, p] == np.sum((target == t) & (pred == p))


def test_scores_are_argmaxed_and_top_k():
    scores = cr.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.4, 0.35, 0.25]])
    target = cr.tensor([1, 1, 0, 2])
    assert M.accuracy(scores, target) == 0.25
    assert M.top_k_accuracy(scores, target, k=2) == 0.5   # rows 0 and 1
    assert M.top_k_accuracy(scores, target, k=3) == 1.0


def test_regression_metrics_closed_forms():
    t = np.array([3.0, -0.5, 2.0, 7.0])
    p = np.array([2.5, 0.0, 2.0, 8.0])
    assert M.mean_squared_error(p, t) == pytest.approx((0.25 + 0.25 + 0 + 1) / 4)
    assert M.mean_absolute_error(cr.tensor(p), cr.tensor(t)) == pytest.approx(2.0 / 4)
    ss_tot = np.sum((t - t.mean()) ** 2)
    assert M.r2_score(p, t) == pytest.approx(1 - 1.5 / ss_tot)
    assert M.r2_score(t, t) == 1.0
    assert M.r2_score(np.full(4, t.mean()), t) == pytest.approx(0.0)


def test_bad_inputs_say_what_is_wrong():
    with pytest.raises(ValueError, match=r"shape \(3,\) do not match targets of shape \(2,\)"):
        M.accuracy([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="target class 5 is outside 0..2"):
        M.confusion_matrix([0, 1, 2], [0, 1, 5], num_classes=3)
    with pytest.raises(ValueError, match="class indices"):
        M.accuracy([0.0, 1.0], [0.5, 1.0])
    with pytest.raises(ValueError, match="k must be between 1 and the number of classes"):
        M.top_k_accuracy(np.zeros((2, 3)), [0, 1], k=4)
    with pytest.raises(ValueError, match="average must be"):
        M.precision_recall_f1([0], [0], average="weighted")
