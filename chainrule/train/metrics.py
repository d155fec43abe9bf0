"""Evaluation metrics: classification (accuracy, top-k, confusion matrix, precision/recall/F1)
and regression (MSE, MAE, R²). They take tensors or arrays and return Python floats / arrays;
classification metrics accept class indices or scores (logits / probabilities, argmax taken)."""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from ..tensor import Tensor


def _array(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _labels(pred: Any, target: Any) -> tuple:
    """Predicted and true class indices as 1-D int arrays of equal length."""
    p, t = _array(pred), _array(target)
    if p.ndim == t.ndim + 1:  # scores: (N, C) against (N,)
        p = p.argmax(axis=1 if p.ndim > 1 else 0)
    if p.shape != t.shape:
        raise ValueError(f"predictions of shape {p.shape} do not match targets of shape {t.shape} "
                         f"(give class indices of the same shape, or scores with one more class dimension)")
    if t.dtype.kind not in "iub":
        raise ValueError(f"targets must be class indices (integers), got dtype {t.dtype}")
    return p.reshape(-1).astype(np.int64), t.reshape(-1).astype(np.int64)


def accuracy(pred: Any, target: Any) -> float:
    """Fraction of predictions equal to the target class."""
    p, t = _labels(pred, target)
    if t.size == 0:
        raise ValueError("accuracy of an empty set of predictions is undefined")
    return float((p == t).mean())


def top_k_accuracy(scores: Any, target: Any, k: int = 5) -> float:
    """Fraction of samples whose true class is among the k highest scores."""
    s, t = _array(scores), _array(target).reshape(-1)
    if s.ndim != 2 or s.shape[0] != t.shape[0]:
        raise ValueError(f"top_k_accuracy expects scores of shape (N, C) and targets (N,), got {s.shape} and {t.shape}")
    if not 1 <= k <= s.shape[1]:
        raise ValueError(f"k must be between 1 and the number of classes ({s.shape[1]}), got {k}")
    top = np.argpartition(-s, k - 1, axis=1)[:, :k]
    return float((top == t[:, None]).any(axis=1).mean())


def confusion_matrix(pred: Any, target: Any, num_classes: Optional[int] = None) -> np.ndarray:
    """counts[true class, predicted class]."""
    p, t = _labels(pred, target)
    n = num_classes if num_classes is not None else int(max(p.max(initial=-1), t.max(initial=-1)) + 1)
    for name, v in (("prediction", p), ("target", t)):
        if v.size and (v.min() < 0 or v.max() >= n):
            bad = v[(v < 0) | (v >= n)][0]
            raise ValueError(f"{name} class {bad} is outside 0..{n - 1} (num_classes={n})")
    return np.bincount(t * n + p, minlength=n * n).reshape(n, n)


def precision_recall_f1(pred: Any, target: Any, num_classes: Optional[int] = None,
                        average: Optional[str] = "macro") -> Dict[str, Any]:
    """Precision, recall and F1: per class (average=None), 'macro' (mean over classes) or 'micro'
    (from total counts; equals accuracy for single-label classification). A class with no
    predicted (or no true) samples has precision (or recall) 0, as scikit-learn's zero_division=0."""
    cm = confusion_matrix(pred, target, num_classes).astype(np.float64)
    tp = np.diag(cm)
    predicted, actual = cm.sum(axis=0), cm.sum(axis=1)
    if average == "micro":
        tp, predicted, actual = tp.sum(), predicted.sum(), actual.sum()
    elif average not in (None, "macro"):
        raise ValueError(f"average must be None, 'macro' or 'micro', got {average!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / np.where(predicted > 0, predicted, 1), 0.0)
        recall = np.where(actual > 0, tp / np.where(actual > 0, actual, 1), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / np.where(precision + recall > 0,
                                                                                 precision + recall, 1), 0.0)
    if average == "macro":
        return {"precision": float(precision.mean()), "recall": float(recall.mean()), "f1": float(f1.mean())}
    if average == "micro":
        return {"precision": float(precision), "recall": float(recall), "f1": float(f1)}
    return {"precision": precision, "recall": recall, "f1": f1}


def _pair(pred: Any, target: Any) -> tuple:
    p, t = _array(pred).astype(np.float64), _array(target).astype(np.float64)
    if p.shape != t.shape:
        raise ValueError(f"predictions of shape {p.shape} do not match targets of shape {t.shape}")
    if p.size == 0:
        raise ValueError("a regression metric of an empty set of predictions is undefined")
    return p, t


def mean_squared_error(pred: Any, target: Any) -> float:
    p, t = _pair(pred, target)
    return float(np.mean((p - t) ** 2))


def mean_absolute_error(pred: Any, target: Any) -> float:
    p, t = _pair(pred, target)
    return float(np.mean(np.abs(p - t)))


def r2_score(pred: Any, target: Any) -> float:
    """1 - SS_res / SS_tot (1 is perfect, 0 is as good as predicting the mean)."""
    p, t = _pair(pred, target)
    ss_tot = float(np.sum((t - t.mean()) ** 2))
    ss_res = float(np.sum((t - p) ** 2))
    if ss_tot == 0:
        return 1.0 if ss_res == 0 else 0.0
    return 1.0 - ss_res / ss_tot
