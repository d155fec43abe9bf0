"""Losses, functional and modules: PyTorch parity (value, input and target gradients, dtype), finite
differences in float64 (first and second derivatives), reductions, legacy arguments and clear errors."""
import itertools
import warnings
from dataclasses import dataclass, field

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck, gradgradcheck
from tests.conftest import requires_torch
from tests.nn.layer_parity import assert_close, compare_with_torch, torch

REDUCTIONS = ("none", "mean", "sum")
_seeds = itertools.count()


@dataclass
class Case:
    """One call fn(*arrays, **weights, **kwargs); float arrays are differentiated (the target too
    unless grad_target is False), `weights` (weight, pos_weight) are tensors that are not."""
    fn: str
    arrays: tuple
    weights: dict = field(default_factory=dict)
    kwargs: dict = field(default_factory=dict)
    grad_target: bool = True

    @property
    def id(self) -> str:
        shapes = "x".join(str(a.shape) for a in self.arrays)
        options = ",".join(f"{k}={v}" for k, v in self.kwargs.items())
        return f"{self.fn}-{shapes}-{'+'.join(self.weights)}-{options}"

    def tensors(self, lib, dtype):
        def convert(a, grad):
            if a.dtype.kind == "f":
                return lib.tensor(a.astype(dtype), requires_grad=grad)
            return lib.tensor(a)
        positional = [convert(a, i == 0 or self.grad_target) for i, a in enumerate(self.arrays)]
        return positional, {k: convert(w, False) for k, w in self.weights.items()}

    def call(self, functional, positional, weights):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # kl_div's 'mean' warning, tested on its own
            return getattr(functional, self.fn)(*positional, **weights, **self.kwargs)


def _rng():
    return np.random.default_rng(next(_seeds))


def normal(shape, scale=1.0):
    return (_rng().standard_normal(shape) * scale).astype(np.float32)


def uniform(low, high, shape):
    return _rng().uniform(low, high, shape).astype(np.float32)


def log_probs(shape):
    x = normal(shape)
    return (x - np.log(np.exp(x).sum(1, keepdims=True))).astype(np.float32)


def indices(shape, classes, ignored=()):
    """Random class indices; the first elements (flat) set to the `ignored` values."""
    t = _rng().integers(0, classes, shape)
    t.reshape(-1)[:len(ignored)] = ignored
    return t


def regression_cases():
    options = {"mse_loss": [{}], "l1_loss": [{}], "smooth_l1_loss": [{"beta": 1.0}, {"beta": 0.3}, {"beta": 0.0}],
               "huber_loss": [{"delta": 1.0}, {"delta": 0.4}]}
    for fn, opts in options.items():
        for opt, reduction in itertools.product(opts, REDUCTIONS):
            yield Case(fn, (normal((3, 4)), normal((3, 4))), kwargs={**opt, "reduction": reduction})
        if fn != "smooth_l1_loss":
            for reduction in REDUCTIONS:
                yield Case(fn, (normal((3, 4)), normal((3, 4))), {"weight": uniform(0.2, 2, (3, 4))},
                           {"reduction": reduction})


def binary_cases():
    for reduction in REDUCTIONS:
        for weight in ({}, {"weight": uniform(0.2, 2, (3, 4))}, {"weight": uniform(0.2, 2, (4,))}):
            yield Case("binary_cross_entropy", (uniform(0.05, 0.95, (3, 4)), uniform(0, 1, (3, 4))), weight,
                       {"reduction": reduction})
        for weights in ({}, {"weight": uniform(0.2, 2, (4,))}, {"pos_weight": uniform(0.2, 3, (4,))},
                        {"weight": uniform(0.2, 2, (3, 4)), "pos_weight": uniform(0.2, 3, (4,))}):
            yield Case("binary_cross_entropy_with_logits", (normal((3, 4), 3), uniform(0, 1, (3, 4))), weights,
                       {"reduction": reduction})


def kl_cases():
    for reduction in REDUCTIONS + ("batchmean",):
        yield Case("kl_div", (log_probs((3, 4)), np.exp(log_probs((3, 4)))), kwargs={"reduction": reduction})
        yield Case("kl_div", (log_probs((3, 4)), log_probs((3, 4))),
                   kwargs={"reduction": reduction, "log_target": True})
    zeros = np.exp(log_probs((3, 4)))
    zeros[0, 1] = zeros[2, 3] = 0  # t·log t is 0 there (the target gradient at 0 is not compared)
    yield Case("kl_div", (log_probs((3, 4)), zeros), kwargs={"reduction": "sum"}, grad_target=False)


CLASS_SHAPES = [((5, 4), (5,)), ((2, 3, 2, 2), (2, 2, 2))]


def class_index_cases():
    for (shape, target_shape), reduction in itertools.product(CLASS_SHAPES, REDUCTIONS):
        classes = shape[1]
        weight = {"weight": uniform(0.2, 2, (classes,))}
        options = [({}, {}, ()), (weight, {}, ()), ({}, {}, (-100, -100)),
                   ({}, {"ignore_index": 1}, (1,)), (weight, {"ignore_index": 0}, (0, 0))]
        for fn, smoothing in (("nll_loss", None), ("cross_entropy", None), ("cross_entropy", 0.2)):
            for weights, kwargs, ignored in options:
                kwargs = {**kwargs, "reduction": reduction}
                if smoothing is not None:
                    kwargs["label_smoothing"] = smoothing
                x = log_probs(shape) if fn == "nll_loss" else normal(shape, 2)
                yield Case(fn, (x, indices(target_shape, classes, ignored)), weights, kwargs)


def class_probability_cases():
    for (shape, _), reduction in itertools.product(CLASS_SHAPES, REDUCTIONS):
        for weights, smoothing in itertools.product(({}, {"weight": uniform(0.2, 2, (shape[1],))}), (0.0, 0.3)):
            yield Case("cross_entropy", (normal(shape, 2), np.exp(log_probs(shape))), weights,
                       {"reduction": reduction, "label_smoothing": smoothing})


def unbatched_cases():
    for reduction in REDUCTIONS:
        yield Case("cross_entropy", (normal((4,)), np.array(2)), {"weight": uniform(0.2, 2, (4,))},
                   {"reduction": reduction, "label_smoothing": 0.1})
        yield Case("cross_entropy", (normal((4,)), np.exp(log_probs((1, 4)))[0]), kwargs={"reduction": reduction})
        yield Case("nll_loss", (log_probs((1, 4))[0], np.array(3)), kwargs={"reduction": reduction})


def ranking_cases():
    signs = np.array([1.0, -1.0, 1.0, -1.0, -1.0], np.float32)
    for reduction in REDUCTIONS:
        for margin in (0.0, 0.5):
            yield Case("margin_ranking_loss", (normal((5,)), normal((5,)), signs), kwargs={"margin": margin,
                                                                                         "reduction": reduction})
            yield Case("cosine_embedding_loss", (normal((5, 3)), normal((5, 3)), signs.astype(np.int64)),
                       kwargs={"margin": margin, "reduction": reduction})
        for options in ({}, {"margin": 0.3, "p": 1.0}, {"swap": True, "eps": 1e-3}):
            yield Case("triplet_margin_loss", (normal((4, 3)), normal((4, 3)), normal((4, 3))),
                       kwargs={**options, "reduction": reduction})


CASES = [*regression_cases(), *binary_cases(), *kl_cases(), *class_index_cases(), *class_probability_cases(),
         *unbatched_cases(), *ranking_cases()]


@requires_torch
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_matches_torch(case):
    """Same loss, same input (and target) gradients, all float32, as torch.nn.functional."""
    ours, our_weights = case.tensors(cr, np.float32)
    theirs, their_weights = case.tensors(torch, np.float32)
    out = case.call(F, ours, our_weights)
    tout = case.call(torch.nn.functional, theirs, their_weights)
    assert_close(out, tout, "loss", rtol=1e-4, atol=1e-5)
    seed = np.random.default_rng(0).standard_normal(tout.shape).astype(np.float32)
    (out * cr.tensor(seed)).sum().backward()
    (tout * torch.tensor(seed)).sum().backward()
    for i, (x, tx) in enumerate(zip(ours, theirs)):
        if tx.requires_grad:
            assert_close(x.grad, tx.grad, f"gradient of argument {i}", rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_gradcheck(case):
    positional, weights = case.tensors(cr, np.float64)
    assert gradcheck(lambda *xs: case.call(F, xs, weights), positional)


SECOND_ORDER = [c for c in CASES if c.kwargs.get("reduction") == "none" or c.fn in ("cross_entropy", "nll_loss")]


@pytest.mark.parametrize("case", SECOND_ORDER[::4], ids=lambda c: c.id)
def test_second_derivatives(case):
    """Every backward here is written with differentiable operations: gradients of gradients are right."""
    positional, weights = case.tensors(cr, np.float64)
    assert gradgradcheck(lambda *xs: case.call(F, xs, weights), positional)


@requires_torch
@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_all_targets_ignored_gives_nan_loss_and_zero_gradient(fn):
    x, tx = cr.randn(3, 4, requires_grad=True), torch.zeros(3, 4, requires_grad=True)
    target = np.full(3, -100)
    loss = getattr(F, fn)(x, cr.tensor(target))
    tloss = getattr(torch.nn.functional, fn)(tx, torch.tensor(target))
    assert np.isnan(loss.item()) and np.isnan(tloss.item())
    loss.backward()
    tloss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    assert x.grad.dtype == np.float32


def test_cross_entropy_is_log_softmax_then_nll_loss(rng):
    """The fused loss equals its unfused definition (closed form), in value and gradient."""
    a, target = rng.standard_normal((6, 5)).astype(np.float32), cr.tensor(rng.integers(0, 5, 6))
    x, y = cr.tensor(a, requires_grad=True), cr.tensor(a, requires_grad=True)
    fused, plain = F.cross_entropy(x, target), F.nll_loss(F.log_softmax(y, dim=1), target)
    np.testing.assert_allclose(fused.item(), plain.item(), rtol=1e-6)
    fused.backward()
    plain.backward()
    np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), rtol=1e-5, atol=1e-7)
    onehot = np.eye(5, dtype=np.float32)[target.numpy()]
    softmax = np.exp(a) / np.exp(a).sum(1, keepdims=True)
    np.testing.assert_allclose(x.grad.numpy(), (softmax - onehot) / 6, rtol=1e-5, atol=1e-7)


@requires_torch
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_masked_and_large_logits_match_torch(rng, label_smoothing):
    """-inf logits (masked classes) leave the loss finite without smoothing; huge logits lose no precision."""
    a = rng.standard_normal((4, 5)).astype(np.float32) * 3 + 1e4
    a[:, 3] = -np.inf
    target = np.array([0, 1, 2, 4])
    x, tx = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    loss = F.cross_entropy(x, cr.tensor(target), label_smoothing=label_smoothing)
    tloss = torch.nn.functional.cross_entropy(tx, torch.tensor(target), label_smoothing=label_smoothing)
    assert_close(loss, tloss, "loss", rtol=1e-4, atol=1e-5)
    if np.isfinite(tloss.item()):
        loss.backward()
        tloss.backward()
        assert_close(x.grad, tx.grad, "gradient", rtol=1e-4, atol=1e-6)


@requires_torch
def test_nll_loss_of_a_non_contiguous_view_matches_torch(rng):
    a = rng.standard_normal((3, 2, 4)).astype(np.float32)
    target = rng.integers(0, 3, (2, 4))
    x, tx = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    loss = F.nll_loss(x.transpose(0, 1), cr.tensor(target), reduction="sum")
    tloss = torch.nn.functional.nll_loss(tx.transpose(0, 1), torch.tensor(target), reduction="sum")
    assert_close(loss, tloss, "loss", rtol=1e-5, atol=1e-6)
    loss.backward()
    tloss.backward()
    assert_close(x.grad, tx.grad, "gradient", rtol=1e-5, atol=1e-6)


# -- modules ---------------------------------------------------------------------------------------

W4 = np.array([0.5, 1.0, 2.0, 1.5], np.float32)
MODULES = {
    "MSELoss": (lambda m, T: m.MSELoss(), "regression"),
    "L1Loss": (lambda m, T: m.L1Loss(reduction="sum"), "regression"),
    "SmoothL1Loss": (lambda m, T: m.SmoothL1Loss(beta=0.5), "regression"),
    "HuberLoss": (lambda m, T: m.HuberLoss(reduction="none", delta=0.5), "regression"),
    "CrossEntropyLoss": (lambda m, T: m.CrossEntropyLoss(weight=T(W4), ignore_index=2, label_smoothing=0.1),
                         "classes"),
    "CrossEntropyLoss-probabilities": (lambda m, T: m.CrossEntropyLoss(), "probabilities"),
    "NLLLoss": (lambda m, T: m.NLLLoss(weight=T(W4), reduction="sum"), "classes"),
    "BCELoss": (lambda m, T: m.BCELoss(weight=T(W4)), "binary"),
    "BCEWithLogitsLoss": (lambda m, T: m.BCEWithLogitsLoss(weight=T(W4), pos_weight=T(W4[::-1].copy())),
                          "regression"),
    "KLDivLoss": (lambda m, T: m.KLDivLoss(reduction="batchmean", log_target=True), "regression"),
    "MarginRankingLoss": (lambda m, T: m.MarginRankingLoss(margin=0.2), "ranking"),
    "CosineEmbeddingLoss": (lambda m, T: m.CosineEmbeddingLoss(margin=0.1, reduction="sum"), "pairs"),
    "TripletMarginLoss": (lambda m, T: m.TripletMarginLoss(margin=0.5, swap=True), "triplets"),
}


def module_inputs(kind, rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    if kind == "classes":
        return [x, rng.integers(0, 4, 3)]
    if kind == "probabilities":
        return [x, rng.dirichlet(np.ones(4), 3).astype(np.float32)]
    if kind == "ranking":
        return [x[0], x[1], np.array([1, -1, -1, 1], np.float32)]
    if kind == "pairs":
        return [x, rng.standard_normal((3, 4)).astype(np.float32), np.array([1, -1, 1])]
    if kind == "triplets":
        return [x, rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32)]
    if kind == "binary":
        return [rng.uniform(0.05, 0.95, (3, 4)).astype(np.float32), rng.uniform(0, 1, (3, 4)).astype(np.float32)]
    return [x, rng.standard_normal((3, 4)).astype(np.float32)]


@requires_torch
@pytest.mark.parametrize("name", list(MODULES))
def test_module_matches_torch(rng, name):
    make, kind = MODULES[name]
    ours, theirs = make(nn, cr.tensor), make(torch.nn, torch.tensor)
    compare_with_torch(ours, theirs, module_inputs(kind, rng))
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_module_gradcheck_in_float64(rng):
    """Class weights are buffers: .double() converts them, and the loss runs in float64."""
    loss = nn.CrossEntropyLoss(weight=cr.tensor(W4), label_smoothing=0.2).double()
    assert loss.weight.dtype == np.float64
    x = cr.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda x: loss(x, cr.tensor([0, 3, 1])), [x])


@requires_torch
def test_legacy_size_average_and_reduce(rng):
    x, t = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32)
    for kwargs, reduction in (({"size_average": False}, "sum"), ({"reduce": False}, "none"),
                              ({"size_average": True, "reduce": True}, "mean")):
        with pytest.warns(UserWarning, match=f"reduction='{reduction}'"):
            module = nn.MSELoss(**kwargs)
        assert module.reduction == reduction
        with pytest.warns(UserWarning, match="size_average and reduce"):
            ours = F.mse_loss(cr.tensor(x), cr.tensor(t), **kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = torch.nn.functional.mse_loss(torch.tensor(x), torch.tensor(t), **kwargs)
        assert_close(ours, theirs, str(kwargs), rtol=1e-5, atol=1e-6)


def test_kl_div_mean_warns_like_torch():
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(cr.zeros(2, 3), cr.ones(2, 3) / 3)


@requires_torch
def test_broadcast_target_warns_and_broadcasts_like_torch(rng):
    x, t = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    ours_x, ours_t = cr.tensor(x, requires_grad=True), cr.tensor(t, requires_grad=True)
    with pytest.warns(UserWarning, match=r"target size \(\(4,\)\) that is different to the input size \(\(3, 4\)\)"):
        loss = F.mse_loss(ours_x, ours_t)
    theirs_x, theirs_t = torch.tensor(x, requires_grad=True), torch.tensor(t, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tloss = torch.nn.functional.mse_loss(theirs_x, theirs_t)
    assert_close(loss, tloss, "loss", 1e-5, 1e-6)
    loss.backward()
    tloss.backward()
    assert_close(ours_t.grad, theirs_t.grad, "broadcast target gradient", 1e-5, 1e-6)


# -- clear errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_target_out_of_range_names_value_and_classes(fn):
    with pytest.raises(IndexError, match=r"Target 5 is out of bounds: .* 3 classes.*\[0, 2\]"):
        getattr(F, fn)(cr.randn(2, 3), cr.tensor([0, 5]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds"):
        getattr(F, fn)(cr.randn(2, 3, 2), cr.tensor([[0, 1], [-1, 2]]))


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_float_target_for_class_indices_says_so(fn):
    with pytest.raises(RuntimeError, match=f"{fn}: expected a target of class indices with integer dtype.*float32"):
        getattr(F, fn)(cr.randn(2, 3), cr.tensor([0.0, 1.0]))


def test_integer_target_of_the_input_shape_is_refused_as_probabilities():
    with pytest.raises(RuntimeError, match=r"\(2, 3\) holds class probabilities and must be floating point"):
        F.cross_entropy(cr.randn(2, 3), cr.tensor([[0, 1, 0], [1, 0, 0]]))


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_class_target_shape_mismatch_gives_both_shapes(fn):
    with pytest.raises(ValueError, match=r"expected target of shape \(2, 4\) .*\(2, 3, 4\).* got target of shape "
                                         r"\(2, 3\)"):
        getattr(F, fn)(cr.randn(2, 3, 4), cr.tensor([[0, 1, 2], [0, 1, 2]]))
    with pytest.raises(ValueError, match=r"unbatched input of shape \(3,\).*got target of shape \(1,\)"):
        getattr(F, fn)(cr.randn(3), cr.tensor([1]))


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.mse_loss(cr.randn(3, 4), cr.randn(3, 5)), ValueError,
     r"mse_loss: target of shape \(3, 5\) does not broadcast with input of shape \(3, 4\)"),
    (lambda: F.mse_loss(cr.randn(3, 4), cr.randn(3, 4), weight=cr.ones(4)), ValueError,
     r"weight of shape \(4,\) for input of shape \(3, 4\)"),
    (lambda: F.binary_cross_entropy(cr.rand(3, 1), cr.rand(3)), ValueError,
     r"target size \(\(3,\)\) must be the same as input size \(\(3, 1\)\)"),
    (lambda: F.binary_cross_entropy_with_logits(cr.rand(3), cr.rand(3, 1)), ValueError,
     r"target size \(\(3, 1\)\) must be the same as input size \(\(3,\)\)"),
    (lambda: F.binary_cross_entropy(cr.rand(3, 2), cr.rand(3, 2), weight=cr.ones(3)), ValueError,
     r"weight of shape \(3,\) does not broadcast to the input's shape \(3, 2\)"),
    (lambda: F.binary_cross_entropy_with_logits(cr.rand(3, 2), cr.rand(3, 2), pos_weight=cr.ones(3)), ValueError,
     r"pos_weight of shape \(3,\)"),
    (lambda: F.binary_cross_entropy(cr.tensor([0.5, 1.5]), cr.tensor([1.0, 0.0])), RuntimeError,
     "input should be between 0 and 1"),
    (lambda: F.binary_cross_entropy(cr.tensor([0.5]), cr.tensor([-0.5])), RuntimeError,
     "target should be between 0 and 1"),
    (lambda: F.cross_entropy(cr.randn(2, 4), cr.tensor([0, 1]), weight=cr.ones(3)), RuntimeError,
     r"all 4 classes or no classes but got weight tensor of shape: \[3\]"),
    (lambda: F.cross_entropy(cr.randn(2, 4), cr.rand(2, 4), weight=cr.ones(3)), RuntimeError,
     r"all 4 classes or no classes"),
    (lambda: F.cross_entropy(cr.randn(2, 4), cr.rand(2, 4), ignore_index=1), RuntimeError,
     "ignore_index is not supported for floating point target"),
    (lambda: F.cross_entropy(cr.randn(2, 4), cr.tensor([0, 1]), label_smoothing=1.5), ValueError,
     "label_smoothing must be between 0.0 and 1.0"),
    (lambda: F.cross_entropy(cr.randn(()), cr.tensor(0)), ValueError, "got a 0-dimensional input"),
    (lambda: F.mse_loss(cr.randn(3), cr.randn(3), reduction="average"), ValueError,
     "average is not a valid value for reduction"),
    (lambda: F.kl_div(cr.randn(3), cr.randn(3), reduction="batch"), ValueError, "'batchmean'"),
    (lambda: F.smooth_l1_loss(cr.randn(3), cr.randn(3), beta=-1.0), RuntimeError, "negative values for beta"),
    (lambda: F.huber_loss(cr.randn(3), cr.randn(3), delta=0.0), RuntimeError, "non-positive values for delta"),
    (lambda: F.nll_loss(cr.randn(2, 3), np.array([0, 1])), TypeError, "expected target to be a Tensor, got ndarray"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
