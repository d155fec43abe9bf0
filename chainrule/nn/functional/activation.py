"""Activations with `torch.nn.functional`'s signatures: `inplace=`, an optional softmax `dim`, hardtanh.

The derivatives live in `chainrule.ops` (one implementation per function);
this file adds PyTorch's functional calling conventions on top.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Optional

import numpy as np

from ... import ops
from ...autograd.function import Function
from ...ops.inplace import _recording, _write
from ...tensor import Tensor


def _maybe_inplace(input: Tensor, fn: Callable[[Tensor], Tensor], inplace: bool, keeps_input: bool = False) -> Tensor:
    """fn(input), written into input's own memory when inplace (then input is returned, as in PyTorch).

    keeps_input: fn's backward needs its input, so in a graph it gets a copy
    of the values about to be overwritten.
    """
    if not inplace:
        return fn(input)
    if _recording(input, None):  # raises for a leaf that requires grad, as PyTorch does
        return _write(input, fn(input.clone() if keeps_input else input))
    return input.copy_(fn(input))


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    return _maybe_inplace(input, ops.relu, inplace)


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope·x otherwise."""
    return _maybe_inplace(input, lambda x: ops.leaky_relu(x, negative_slope), inplace)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, α(eˣ - 1) otherwise."""
    return _maybe_inplace(input, lambda x: ops.elu(x, alpha), inplace)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x·σ(x) (also called swish)."""
    return _maybe_inplace(input, ops.silu, inplace, keeps_input=True)


class Hardtanh(Function):
    """clamp(x, min_val, max_val); the gradient passes strictly inside the bounds (as PyTorch)."""
    __slots__ = ("inside",)

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.inside = (x > lo) & (x < hi)
        return np.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.inside, None, None


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clamped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    return _maybe_inplace(input, lambda x: Hardtanh.apply(x, min_val, max_val), inplace)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    """PyTorch's deprecated implicit dim: 0 for 0-, 1- and 3-D input, else 1."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                  f"Change the call to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """exp(xᵢ) / Σⱼ exp(xⱼ) along dim."""
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim, _stacklevel)
    return ops.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """xᵢ - log Σⱼ exp(xⱼ) along dim, computed stably."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim, _stacklevel)
    return ops.log_softmax(input, dim, dtype=dtype)


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x·tanh(softplus(x))."""
    return _maybe_inplace(input, lambda x: x * ops.tanh(ops.softplus(x)), inplace, keeps_input=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale·elu(x, α) with the self-normalizing constants (α ≈ 1.6733, scale ≈ 1.0507)."""
    return _maybe_inplace(input, lambda x: ops.elu(x, _SELU_ALPHA) * _SELU_SCALE, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6: 0 below -3, 1 above 3, linear between."""
    return _maybe_inplace(input, lambda x: relu6(x + 3.0) * (1 / 6), inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x·relu6(x + 3) / 6."""
    return _maybe_inplace(input, lambda x: x * hardsigmoid(x), inplace, keeps_input=True)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """max(0, x) + weight·min(0, x), one learned slope per channel (dimension 1) or one for all."""
    if weight.ndim != 1 or weight.shape[0] not in (1, input.shape[1] if input.ndim > 1 else 1):
        raise RuntimeError(f"prelu: expected a weight of 1 value or one per channel (dimension 1 of the input, "
                           f"shape {tuple(input.shape)}), got shape {tuple(weight.shape)}")
    slope = weight.reshape((-1,) + (1,) * (input.ndim - 2)) if input.ndim > 1 else weight
    return ops.relu(input) + slope * ops.minimum(input, 0.0)


def logsigmoid(input: Tensor) -> Tensor:
    """log σ(x) = -softplus(-x), stable for any x."""
    return -ops.softplus(-input)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return input / (ops.abs(input) + 1.0)


def softmin(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """softmax(-x) along `dim`."""
    return softmax(-input, dim, _stacklevel + 1, dtype)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """The gated linear unit: a·σ(b), a and b the two halves of `input` along `dim`."""
    if input.shape[dim] % 2:
        raise RuntimeError(f"glu: halving dimension must be even, but dimension {dim} is size {input.shape[dim]}")
    a, b = ops.chunk(input, 2, dim)
    return a * ops.sigmoid(b)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else `value`."""
    return _maybe_inplace(input, lambda x: ops.where(x > threshold, x, value), inplace)


def threshold_(input: Tensor, threshold_value: float, value: float) -> Tensor:
    return threshold(input, threshold_value, value, inplace=True)
