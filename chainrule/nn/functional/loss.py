"""Loss functions (PyTorch's `torch.nn.functional` losses), with PyTorch's reductions.

Regression, binary and KL losses are composed of tensor operations (plus two
small elementwise `Function`s), so gradients reach `target` and `weight` too.
Cross-entropy is fused: forward takes the log-softmax normalizer and the
target's log-probabilities, backward is `(softmax·Σq - q)·g` with q the
per-class target weights (one-hot or probabilities, class weight, label
smoothing and ignored elements folded in). Every backward is written with
NumPy calls, so second derivatives work too.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Optional

import numpy as np

from ...autograd.function import Function
from ...ops import abs, exp, log, minimum, softplus, where
from ...tensor import Tensor
from .distance import pairwise_distance

_REDUCTIONS = ("none", "mean", "sum")


# -- reductions -------------------------------------------------------------------

def legacy_get_string(size_average: Optional[bool], reduce: Optional[bool]) -> str:
    """The reduction meant by the deprecated size_average / reduce arguments (with PyTorch's warning)."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
                  f"instead.", stacklevel=3)
    return reduction


def _reduction(size_average: Optional[bool], reduce: Optional[bool], reduction: str,
               allowed: tuple = _REDUCTIONS) -> str:
    """The reduction to use: size_average / reduce, when given, override `reduction`, as in PyTorch."""
    if size_average is not None or reduce is not None:
        return legacy_get_string(size_average, reduce)
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                      stacklevel=3)
        reduction = "mean"
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction (expected one of "
                         f"{', '.join(repr(r) for r in allowed)})")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _weighted(loss: Tensor, weight: Optional[Tensor], reduction: str, name: str) -> Tensor:
    """Per-element weights of the regression losses; 'mean' divides by Σ weight (as PyTorch)."""
    if weight is None:
        return _reduce(loss, reduction)
    if weight.shape != loss.shape:
        raise ValueError(f"Weights and input must have the same size: {name} got weight of shape "
                         f"{tuple(weight.shape)} for input of shape {tuple(loss.shape)}")
    loss = loss * weight
    return loss.sum() / weight.sum() if reduction == "mean" else _reduce(loss, reduction)


# -- regression -------------------------------------------------------------------

def _difference(name: str, input: Tensor, target: Tensor) -> Tensor:
    """input - target, warning (as PyTorch) when they only match by broadcasting."""
    _check_tensors(name, input=input, target=target)
    if input.shape != target.shape:
        try:
            np.broadcast_shapes(input.shape, target.shape)
        except ValueError:
            raise ValueError(f"{name}: target of shape {tuple(target.shape)} does not broadcast with input of "
                             f"shape {tuple(input.shape)}") from None
        warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                      f"({tuple(input.shape)}). This will likely lead to incorrect results due to "
                      f"broadcasting. Please ensure they have the same size.", stacklevel=3)
    return input - target


class SmoothL1(Function):
    """Elementwise ½d²/β where |d| < β, else |d| - ½β; its derivative is clip(d/β, -1, 1)."""
    __slots__ = ("beta",)

    @staticmethod
    def forward(ctx, d, beta):
        ctx.beta = beta
        ctx.save_for_backward(d)
        a = np.abs(d)
        return np.where(a < beta, (0.5 / beta) * d * d, a - 0.5 * beta)

    @staticmethod
    def backward(ctx, g):
        d, = ctx.saved_tensors
        return g * np.minimum(np.maximum(d / ctx.beta, -1), 1), None


def mse_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
             reduction: str = "mean", weight: Optional[Tensor] = None) -> Tensor:
    """Mean squared error (input - target)²."""
    reduction = _reduction(size_average, reduce, reduction)
    d = _difference("mse_loss", input, target)
    return _weighted(d * d, weight, reduction, "mse_loss")


def l1_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
            reduction: str = "mean", weight: Optional[Tensor] = None) -> Tensor:
    """Mean absolute error |input - target| (gradient 0 where they are equal)."""
    reduction = _reduction(size_average, reduce, reduction)
    return _weighted(abs(_difference("l1_loss", input, target)), weight, reduction, "l1_loss")


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None,
                   reduce: Optional[bool] = None, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """½d²/β where |d| < β, |d| - ½β elsewhere (d = input - target); β = 0 is the L1 loss."""
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta, got beta={beta}")
    d = _difference("smooth_l1_loss", input, target)
    return _reduce(abs(d) if beta == 0 else SmoothL1.apply(d, beta), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Optional[Tensor] = None) -> Tensor:
    """½d² where |d| < δ, δ(|d| - ½δ) elsewhere: δ times the smooth L1 loss with β = δ.

    With `weight`, 'mean' is the plain mean of the weighted losses (as PyTorch)."""
    reduction = _reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta, got delta={delta}")
    loss = SmoothL1.apply(_difference("huber_loss", input, target), delta) * delta
    return _reduce(_weighted(loss, weight, "none", "huber_loss"), reduction)


# -- binary -----------------------------------------------------------------------

class BinaryCrossEntropy(Function):
    """Elementwise -(t·log x + (1-t)·log(1-x)), each log clamped at -100 (as PyTorch).

    d/dx = (x - t) / max(x(1-x), 1e-12) (PyTorch's guard); d/dt = log(1-x) - log x."""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, t):
        if x.size and (x.min() < 0 or x.max() > 1):
            raise RuntimeError(f"binary_cross_entropy: all elements of input should be between 0 and 1, "
                               f"got values in [{x.min()}, {x.max()}] (apply sigmoid first, or use "
                               f"binary_cross_entropy_with_logits)")
        if t.size and (t.min() < 0 or t.max() > 1):
            raise RuntimeError(f"binary_cross_entropy: all elements of target should be between 0 and 1, "
                               f"got values in [{t.min()}, {t.max()}]")
        ctx.save_for_backward(x, t)
        with np.errstate(divide="ignore"):
            log_x, log_1mx = _clamped_logs(x)
        return -(t * log_x + (1 - t) * log_1mx)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        need_x, need_t = ctx.needs_input_grad
        gx = g * (x - t) / np.maximum(x * (1 - x), 1e-12) if need_x else None
        gt = None
        if need_t:
            with np.errstate(divide="ignore"):
                log_x, log_1mx = _clamped_logs(x)
            gt = g * (log_1mx - log_x)
        return gx, gt


def _clamped_logs(x: Any) -> tuple:
    return np.maximum(np.log(x), -100), np.maximum(np.log(1 - x), -100)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                         size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                         reduction: str = "mean") -> Tensor:
    """-w·(t·log x + (1-t)·log(1-x)) for probabilities x in [0, 1]; logs clamped at -100."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensors("binary_cross_entropy", input=input, target=target)
    _same_shape("binary_cross_entropy", input, target)
    loss = BinaryCrossEntropy.apply(input, target)
    return _reduce(loss if weight is None else loss * _broadcastable("binary_cross_entropy", weight, loss),
                   reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                                     size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                                     reduction: str = "mean", pos_weight: Optional[Tensor] = None) -> Tensor:
    """Binary cross-entropy of sigmoid(x), stably: (1-t)·x + (1 + (p-1)·t)·log(1 + e^(-x)), times w.

    `pos_weight` p (broadcast over the last dimension: one per class) weighs the positive term."""
    reduction = _reduction(size_average, reduce, reduction)
    name = "binary_cross_entropy_with_logits"
    _check_tensors(name, input=input, target=target)
    _same_shape(name, input, target)
    log_sigmoid_neg = softplus(-input)  # log(1 + e^(-x)) = -log σ(x), linear for large -x
    if pos_weight is not None:
        log_sigmoid_neg = (1 + (_broadcastable(name, pos_weight, input, "pos_weight") - 1) * target) \
            * log_sigmoid_neg
    loss = (1 - target) * input + log_sigmoid_neg
    return _reduce(loss if weight is None else loss * _broadcastable(name, weight, loss), reduction)


def _same_shape(name: str, input: Tensor, target: Tensor) -> None:
    if target.shape != input.shape:
        raise ValueError(f"{name}: target size ({tuple(target.shape)}) must be the same as input size "
                         f"({tuple(input.shape)})")


def _broadcastable(name: str, weight: Any, like: Tensor, what: str = "weight") -> Any:
    """A weight tensor that must broadcast to the loss's shape."""
    shape = np.shape(weight)
    try:
        if np.broadcast_shapes(shape, like.shape) != like.shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"{name}: {what} of shape {tuple(shape)} does not broadcast to the input's shape "
                         f"{tuple(like.shape)}") from None
    return weight


# -- divergence -------------------------------------------------------------------

def kl_div(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence with `input` as log-probabilities: t·(log t - input), or e^t·(t - input) when
    `log_target`. Use reduction='batchmean' for the mathematical KL divergence (sum / batch size)."""
    if size_average is None and reduce is None and reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    reduction = _reduction(size_average, reduce, reduction, _REDUCTIONS + ("batchmean",))
    _check_tensors("kl_div", input=input, target=target)
    if log_target:
        loss = exp(target) * (target - input)
    else:  # t·log t taken as 0 where t = 0
        loss = target * log(where(target > 0, target, 1)) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(loss, reduction)


# -- classification ----------------------------------------------------------------

def _softmax_stats(x: Any) -> tuple:
    """m = max over the class dimension 1, e = exp(x - m), s = Σ e: softmax = e / s and
    log_softmax = x - m - log s. Written with NumPy calls, so on tensors (a backward being
    differentiated) it records operations."""
    m = x.max(axis=1, keepdims=True) if type(x) is np.ndarray else np.max(x, axis=1, keepdims=True)
    e = np.exp(x - m)
    return m, e, e.sum(axis=1, keepdims=True)


def _backward_stats(ctx: Any, x: Any) -> tuple:
    """(m, e, s) of `_softmax_stats` in backward: a plain backward (arrays) reuses the forward's m
    and s; a backward being differentiated (tensors) recomputes them, so they depend on x."""
    if type(x) is np.ndarray:
        return ctx.max, np.exp(x - ctx.max), ctx.sum
    return _softmax_stats(x)


def _reduce_rows(rows: np.ndarray, reduction: str, denom: Any) -> np.ndarray:
    if reduction == "none":
        return rows
    total = rows.sum()
    if reduction == "sum":
        return np.asarray(total)
    return np.asarray(total / denom if denom else np.nan, rows.dtype)  # nothing counted: NaN, as PyTorch


def _rows_grad(g: Any, reduction: str, denom: Any, shape: tuple) -> Any:
    """The incoming gradient per element, shaped (N, 1, d1, ...) to broadcast over classes."""
    if reduction == "none":
        return g.reshape(shape)
    if reduction == "mean":
        return g / (denom if denom else 1)  # nothing counted: zero gradient, as PyTorch
    return g


class ClassTarget:
    """Class-index targets resolved against an input (N, C, d1, ...), each array shaped (N, 1, d1, ...):
    `flat`, the flat position in the input of each element's target class; its weight `pick` =
    (1-ε)·w[t], 0 where ignored; the label-smoothing share `spread` = ε/C·w (1, C, 1, ...) given to
    the kept elements (`keep`); `total` = Σ over classes of those weights; `denom` = Σ w[t] ('mean')."""
    __slots__ = ("flat", "pick", "spread", "keep", "total", "denom")

    def __init__(self, name: str, input: Tensor, target: Tensor, weight: Any, ignore_index: int,
                 smoothing: float) -> None:
        t = target._data
        shape, dtype = input.shape, input.dtype
        classes = shape[1]
        if t.dtype.kind not in "iu":
            raise RuntimeError(f"{name}: expected a target of class indices with integer dtype (int64), got "
                               f"dtype {t.dtype}" + (f" (class probabilities need a float target of the "
                                                     f"input's shape {tuple(shape)})"
                                                     if name == "cross_entropy" else ""))
        expected = shape[:1] + shape[2:]
        if t.shape != expected:
            raise ValueError(f"{name}: expected target of shape {expected} (the input's shape {tuple(shape)} "
                             f"without the class dimension 1), got target of shape {tuple(t.shape)}")
        valid = _valid_targets(name, t, classes, ignore_index)
        per_class = None
        if weight is not None:
            per_class = np.asarray(weight._data if isinstance(weight, Tensor) else weight, dtype=dtype)
            if per_class.shape != (classes,):
                raise RuntimeError(f"{name}: weight tensor should be defined either for all {classes} classes "
                                   f"or no classes but got weight tensor of shape: {list(per_class.shape)}")
        n, inner = shape[0], math.prod(shape[2:])
        t = (t if valid is None else np.where(valid, t, 0)).reshape(n, inner)
        self.flat = (t * inner + (np.arange(n) * (classes * inner))[:, None] + np.arange(inner)).reshape(
            (n, 1) + shape[2:])
        # every element kept: a 0-d one broadcasts, without an array of ones to make and sum
        keep = np.ones((), dtype) if valid is None else np.expand_dims(valid, 1).astype(dtype)
        pick = keep if per_class is None else per_class[t].reshape(self.flat.shape) * keep
        self.denom = dtype.type(self.flat.size) if pick is keep and valid is None else pick.sum()
        self.pick = self.total = pick * (1 - smoothing) if smoothing else pick
        self.spread = self.keep = None
        if smoothing:
            share = np.full(classes, smoothing / classes, dtype) if per_class is None \
                else per_class * (smoothing / classes)
            self.spread = share.reshape((1, classes) + (1,) * (len(shape) - 2))
            self.keep = keep
            self.total = self.pick + keep * share.sum()

    def dense(self, shape: tuple) -> np.ndarray:
        """q (N, C, d1, ...): the target weight of every class."""
        q = np.zeros(shape, self.pick.dtype)
        np.put(q, self.flat, self.pick)
        if self.spread is not None:
            q += self.keep * self.spread
        return q


def _valid_targets(name: str, t: np.ndarray, classes: int, ignore_index: int) -> Optional[np.ndarray]:
    """Where t is not ignore_index (None: everywhere); refuses class indices out of [0, classes)."""
    if t.size and 0 <= t.min() and t.max() < classes and not 0 <= ignore_index < classes:
        return None
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= classes))
    if bad.any():
        raise IndexError(f"Target {t[bad].flat[0]} is out of bounds: {name} has {classes} classes, so "
                         f"targets must be in [0, {classes - 1}] (or ignore_index={ignore_index})")
    return valid


class ClassIndexNLL(Function):
    """-Σ_c q_c·z_c per element (classes on dimension 1), q from a `ClassTarget`.

    z = x for nll_loss (d/dx = -q); z = log_softmax(x) fused for cross_entropy:
    -Σ q·z = Σq·log s - Σ q·(x - m), and d/dx = softmax(x)·Σq - q, with the softmax
    recomputed from the saved input, so the backward is itself differentiable."""
    __slots__ = ("target", "reduction", "fused", "shape", "max", "sum")

    @staticmethod
    def forward(ctx, x, target, reduction, fused):
        ctx.target, ctx.reduction, ctx.fused, ctx.shape = target, reduction, fused, x.shape
        shift = 0
        if fused:
            ctx.save_for_backward(x)
            shift, _, s = _softmax_stats(x)
            ctx.max, ctx.sum = shift, s
        rows = (np.take(x, target.flat) - shift) * target.pick
        if target.spread is not None:
            rows += target.keep * ((x - shift) * target.spread).sum(axis=1, keepdims=True)
        if fused:
            rows -= target.total * np.log(s)
        return _reduce_rows(-rows.squeeze(1), reduction, target.denom)

    @staticmethod
    def backward(ctx, g):
        target = ctx.target
        c = _rows_grad(g, ctx.reduction, target.denom, target.flat.shape)
        q = target.dense(ctx.shape)
        if not ctx.fused:
            return -q * c, None, None, None
        x, = ctx.saved_tensors
        _, e, s = _backward_stats(ctx, x)
        return (e * (target.total / s) - q) * c, None, None, None


class SoftTargetCrossEntropy(Function):
    """-Σ_c q_c·log_softmax(x)_c per element, q given class probabilities (smoothed and weighted).

    d/dx = softmax(x)·Σq - q; d/dq = -log_softmax(x)."""
    __slots__ = ("reduction", "denom", "max", "sum")

    @staticmethod
    def forward(ctx, x, q, reduction, denom):
        ctx.reduction, ctx.denom = reduction, denom
        ctx.save_for_backward(x, q)
        m, _, s = _softmax_stats(x)
        ctx.max, ctx.sum = m, s
        log_p = x - m
        log_p -= np.log(s)
        return _reduce_rows(-(q * log_p).sum(axis=1), reduction, denom)

    @staticmethod
    def backward(ctx, g):
        x, q = ctx.saved_tensors
        need_x, need_q = ctx.needs_input_grad[:2]
        c = _rows_grad(g, ctx.reduction, ctx.denom, x.shape[:1] + (1,) + x.shape[2:])
        m, e, s = _backward_stats(ctx, x)
        gx = (e * (q.sum(axis=1, keepdims=True) / s) - q) * c if need_x else None
        gq = (np.log(s) - (x - m)) * c if need_q else None
        return gx, gq, None, None


def _class_index_loss(name: str, input: Tensor, target: Tensor, weight: Optional[Tensor], ignore_index: int,
                      reduction: str, smoothing: float, fused: bool) -> Tensor:
    unbatched = _unbatched(name, input, target, target.ndim == 0)
    if unbatched:
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    out = ClassIndexNLL.apply(input, ClassTarget(name, input, target, weight, ignore_index, smoothing),
                              reduction, fused)
    return out.squeeze(0) if unbatched and reduction == "none" else out


def _unbatched(name: str, input: Tensor, target: Tensor, target_ok: bool) -> bool:
    """True for an input (C,) without batch dimension (its target then has no batch dimension either)."""
    if input.ndim == 0:
        raise ValueError(f"{name}: expected input of shape (C,), (N, C) or (N, C, d1, ...), got a "
                         f"0-dimensional input")
    if input.ndim == 1 and not target_ok:
        raise ValueError(f"{name}: an unbatched input of shape {tuple(input.shape)} (C,) takes a target of "
                         f"shape (), got target of shape {tuple(target.shape)}")
    return input.ndim == 1


def _check_tensors(name: str, **arguments: Any) -> None:
    for key, value in arguments.items():
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(f"{name}: expected {key} to be a Tensor, got {type(value).__name__}")


def nll_loss(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, size_average: Optional[bool] = None,
             ignore_index: int = -100, reduce: Optional[bool] = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood -w[t]·input[t] of class indices t; `input` holds log-probabilities
    with classes on dimension 1: (N, C) or (N, C, d1, ...) with target (N, d1, ...), or (C,) with
    a scalar target. 'mean' divides by Σ w[t] over targets other than `ignore_index`."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensors("nll_loss", input=input, target=target, weight=weight)
    return _class_index_loss("nll_loss", input, target, weight, ignore_index, reduction, 0.0, fused=False)


def cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                  size_average: Optional[bool] = None, ignore_index: int = -100, reduce: Optional[bool] = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of logits `input` (classes on dimension 1) against class indices (target without
    the class dimension) or class probabilities (target of the input's shape).

    Per element: -Σ_c q_c·log_softmax(input)_c with q = (1-ε)·onehot(t) + ε/C (ε = label_smoothing),
    times the class weight. 'mean' divides by Σ w[t] over non-ignored targets (class indices) or by
    the number of elements (probabilities). Fused: the backward is softmax·Σq - q."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensors("cross_entropy", input=input, target=target, weight=weight)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if target.shape != input.shape or input.ndim == 0:
        return _class_index_loss("cross_entropy", input, target, weight, ignore_index, reduction,
                                 label_smoothing, fused=True)
    if target.dtype.kind != "f":
        raise RuntimeError(f"cross_entropy: a target of the input's shape {tuple(input.shape)} holds class "
                           f"probabilities and must be floating point, got dtype {target.dtype} (class "
                           f"indices take the input's shape without the class dimension 1)")
    if ignore_index >= 0:
        raise RuntimeError("cross_entropy: ignore_index is not supported for floating point target (class "
                           "probabilities)")
    unbatched = _unbatched("cross_entropy", input, target, True)
    if unbatched:
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    classes = input.shape[1]
    q = target * (1 - label_smoothing) + label_smoothing / classes if label_smoothing else target
    if weight is not None:
        if weight.shape != (classes,):
            raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {classes} "
                               f"classes or no classes but got weight tensor of shape: {list(weight.shape)}")
        q = q * weight.type(input.dtype).reshape((classes,) + (1,) * (input.ndim - 2))
    out = SoftTargetCrossEntropy.apply(input, q, reduction, input.numel() // max(classes, 1))
    return out.squeeze(0) if unbatched and reduction == "none" else out


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -target·(input1 - input2) + margin): input1 should rank above input2 where target is 1."""
    reduction = _reduction(size_average, reduce, reduction)
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0.0), reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(input1, input2) where target is 1, max(0, cos - margin) where it is -1 (cos along the last
    dimension, each squared norm padded by 1e-12 as PyTorch does)."""
    reduction = _reduction(size_average, reduce, reduction)
    cos = (input1 * input2).sum(-1) / (((input1 * input1).sum(-1) + 1e-12) * ((input2 * input2).sum(-1) + 1e-12)).sqrt()
    y = target._data if isinstance(target, Tensor) else np.asarray(target)
    similar, dissimilar = (np.asarray(y == v, dtype=cos.dtype) for v in (1, -1))
    return _reduce((1 - cos) * similar + (cos - margin).clamp_min(0.0) * dissimilar, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2.0,
                        eps: float = 1e-6, swap: bool = False, size_average: Optional[bool] = None,
                        reduce: Optional[bool] = None, reduction: str = "mean") -> Tensor:
    """max(0, d(anchor, positive) - d(anchor, negative) + margin), d the p-norm distance (with swap, the
    negative's distance is the smaller of its distances to anchor and positive)."""
    reduction = _reduction(size_average, reduce, reduction)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce((d_pos - d_neg + margin).clamp_min(0.0), reduction)
