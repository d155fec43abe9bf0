"""Normalization: batch_norm, layer_norm and group_norm, one fused operation.

All three compute y = (x - mean) / √(var + eps) · weight + bias with mean and
(biased) variance taken over some axes: (batch, spatial) per channel for
batch norm, the trailing `normalized_shape` for layer norm, each group of
channels for group norm. Closed-form backward, with x̂ the normalized input
and ĝ = g · weight:

    grad_x = invstd · (ĝ - mean(ĝ) - x̂ · mean(ĝ · x̂))      (means over the same axes)

or grad_x = ĝ · invstd when the statistics are fixed (batch norm in eval mode).
The backward is written with NumPy operations that tensors answer, so it is
itself differentiable (gradient penalties through normalized networks).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from ... import ops
from ...autograd.function import Function
from ...ops import reshape
from ...ops.arithmetic import unbroadcast
from ...tensor import Tensor


def _stats(x: Any, axes: tuple, eps: float) -> tuple:
    """(x - mean, mean, biased variance, 1/√(var + eps)) over `axes`, kept as size-1 dimensions."""
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    return centered, mean, var, 1 / np.sqrt(var + eps)


class Normalize(Function):
    """(x - mean) · invstd · weight + bias over `axes`: batch statistics, or fixed `stats` (mean, var).

    weight and bias are viewed as `param_view` to broadcast against x. With `running`
    (running_mean, running_var, momentum), the batch statistics update them in place:
    r ← (1 - momentum)·r + momentum·s, the variance unbiased (× n/(n-1)) as in PyTorch.
    """
    __slots__ = ("axes", "param_view", "param_shape", "eps", "mean", "invstd", "fixed")

    @staticmethod
    def forward(ctx, x, weight, bias, axes, param_view, eps, stats, running):
        if stats is None:
            y, mean, var, invstd = _stats(x, axes, eps)
            if running is not None:
                _update_running(running, mean, var, x.size // mean.size)
            y *= invstd
        else:
            mean, var = stats
            invstd = 1 / np.sqrt(var + eps)
            y = (x - mean) * invstd
        if weight is not None:
            y *= weight.reshape(param_view)
        if bias is not None:
            y += bias.reshape(param_view)
        ctx.axes, ctx.param_view, ctx.eps, ctx.fixed = axes, param_view, eps, stats is not None
        ctx.param_shape = next((p.shape for p in (weight, bias) if p is not None), None)
        ctx.mean, ctx.invstd = mean, invstd
        ctx.save_for_backward(x, weight)
        return y

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        axes = ctx.axes
        if isinstance(x, Tensor) and not ctx.fixed:  # differentiating backward: statistics depend on x
            centered, _, _, invstd = _stats(x, axes, ctx.eps)
            xhat = centered * invstd
        else:
            invstd = ctx.invstd
            xhat = (x - ctx.mean) * invstd
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gx = gw = gb = None
        if need_x:
            gy = g * weight.reshape(ctx.param_view) if weight is not None else g
            if ctx.fixed:
                gx = gy * invstd
            else:
                gx = invstd * (gy - gy.mean(axis=axes, keepdims=True)
                               - xhat * (gy * xhat).mean(axis=axes, keepdims=True))
        if need_w:
            gw = unbroadcast(g * xhat, ctx.param_view).reshape(ctx.param_shape)
        if need_b:
            gb = unbroadcast(g, ctx.param_view).reshape(ctx.param_shape)
        return gx, gw, gb, None, None, None, None, None


def _update_running(running: tuple, mean: np.ndarray, var: np.ndarray, n: int) -> None:
    running_mean, running_var, momentum = running
    if running_mean is not None:
        running_mean *= 1 - momentum
        running_mean += momentum * mean.reshape(running_mean.shape)
    if running_var is not None:
        running_var *= 1 - momentum
        running_var += (momentum * n / max(n - 1, 1)) * var.reshape(running_var.shape)


def _check_param(p: Optional[Tensor], shape: tuple, name: str, who: str) -> None:
    if p is not None and tuple(p.shape) != shape:
        raise RuntimeError(f"{who}: expected {name} of shape {shape}, got shape {tuple(p.shape)}")


def batch_norm(input: Tensor, running_mean: Optional[Tensor], running_var: Optional[Tensor],
               weight: Optional[Tensor] = None, bias: Optional[Tensor] = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel of (N, C, *) over the batch and spatial positions.

    training: batch statistics, which also update running_mean / running_var in place (when given);
    otherwise the running statistics are used.
    """
    if not isinstance(input, Tensor) or input.ndim < 2:
        raise RuntimeError(f"batch_norm expected an input (N, C, *) with at least 2 dimensions, got "
                           f"{tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__}")
    c = input.shape[1]
    for name, p in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        _check_param(p, (c,), name, f"batch_norm of input with shape {tuple(input.shape)}")
    axes = (0,) + tuple(range(2, input.ndim))
    view = (c,) + (1,) * (input.ndim - 2)
    if training:
        n = input.numel() // c if c else 0
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{tuple(input.shape)}")
        running = None
        if running_mean is not None or running_var is not None:
            running = tuple(r._data if r is not None else None for r in (running_mean, running_var)) + (momentum,)
        out = Normalize.apply(input, weight, bias, axes, view, eps, None, running)
        for r in (running_mean, running_var):
            if r is not None:
                r._bump()
        return out
    if running_mean is None or running_var is None:
        raise RuntimeError("batch_norm: running_mean and running_var must be given in evaluation mode "
                           "(training=False)")
    stats = (running_mean._data.reshape(view), running_var._data.reshape(view))
    return Normalize.apply(input, weight, bias, axes, view, eps, stats, None)


def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Optional[Tensor] = None,
               bias: Optional[Tensor] = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the trailing `normalized_shape` dimensions of each sample (weight, bias: that shape)."""
    shape = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) \
        else tuple(int(n) for n in normalized_shape)
    k = len(shape)
    if not isinstance(input, Tensor) or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        got = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"layer_norm: given normalized_shape={shape}, expected input with shape "
                           f"(*, {', '.join(map(str, shape))}), got {got}")
    _check_param(weight, shape, "weight", "layer_norm")
    _check_param(bias, shape, "bias", "layer_norm")
    axes = tuple(range(input.ndim - k, input.ndim))
    return Normalize.apply(input, weight, bias, axes, shape, eps, None, None)


def group_norm(input: Tensor, num_groups: int, weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               eps: float = 1e-5) -> Tensor:
    """Normalize each group of C/num_groups channels of (N, C, *) over its channels and positions."""
    if not isinstance(input, Tensor) or input.ndim < 2:
        raise RuntimeError(f"group_norm expected an input (N, C, *) with at least 2 dimensions, got "
                           f"{tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__}")
    n, c = input.shape[:2]
    if num_groups < 1 or c % num_groups:
        raise RuntimeError(f"group_norm: expected the number of channels of the input (shape {tuple(input.shape)}) "
                           f"to be divisible by num_groups={num_groups}")
    _check_param(weight, (c,), "weight", "group_norm")
    _check_param(bias, (c,), "bias", "group_norm")
    grouped = reshape(input, (n, num_groups, c // num_groups, int(np.prod(input.shape[2:]))))
    out = Normalize.apply(grouped, weight, bias, (2, 3), (num_groups, c // num_groups, 1), eps, None, None)
    return reshape(out, input.shape)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None) -> Tensor:
    """input / max(‖input‖_p, eps) along `dim`: unit vectors."""
    if out is not None:
        raise NotImplementedError("normalize(out=...) is not supported")
    return input / ops.norm(input, p, dim, keepdim=True).clamp_min(eps)



def rms_norm(input: Tensor, normalized_shape: Sequence[int], weight: Optional[Tensor] = None,
             eps: Optional[float] = None) -> Tensor:
    """x / √(mean(x²) + eps) over the trailing `normalized_shape` dimensions, times weight; eps defaults to
    the dtype's machine epsilon, as in PyTorch."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise RuntimeError(f"rms_norm: expected input with trailing shape {shape}, got {tuple(input.shape)}")
    eps = float(np.finfo(input.dtype).eps) if eps is None else eps
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    out = input * ops.rsqrt((input * input).mean(dims, keepdim=True) + eps)
    return out if weight is None else out * weight


def instance_norm(input: Tensor, running_mean: Any = None, running_var: Any = None, weight: Optional[Tensor] = None,
                  bias: Optional[Tensor] = None, use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5) -> Tensor:
    """Normalize each channel of each sample over its positions: group_norm with one group per channel."""
    if running_mean is not None or running_var is not None or not use_input_stats:
        raise NotImplementedError("instance_norm with running statistics (track_running_stats=True) is not supported")
    return group_norm(input, input.shape[1] if input.ndim > 1 else 1, weight, bias, eps)
