"""Reductions (sum, mean, max, ...) and softmax: the gradient is spread back over what was reduced."""
from __future__ import annotations

import builtins
from collections import namedtuple
from typing import Any, Optional

import numpy as np

from ..autograd.function import Function, once_differentiable
from ..dtypes import as_dtype
from ..tensor import Tensor

MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])


def _axes(dim: Any, ndim: int) -> Optional[tuple]:
    """Normalize `dim` (None, an int, or a sequence) to a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in dims:
        if not -builtins.max(ndim, 1) <= d < builtins.max(ndim, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-builtins.max(ndim, 1)}, {builtins.max(ndim, 1) - 1}], but got {d})")
        out.append(d % ndim if ndim else 0)
    return tuple(sorted(set(out)))


def _expand_back(g: Any, shape: tuple, axes: tuple, keepdim: bool) -> Any:
    """Give a reduced gradient back its reduced dimensions (size 1) and broadcast it to `shape`."""
    if not keepdim:
        g = g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return np.broadcast_to(g, shape)


class Sum(Function):
    __slots__ = ("shape", "axes", "keepdim")

    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        return np.sum(x, axis=axes, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim), None, None, None


class Mean(Function):
    __slots__ = ("shape", "axes", "keepdim")

    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        return np.mean(x, axis=axes, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        n = 1
        for a in ctx.axes:
            n *= ctx.shape[a]
        return _expand_back(g / n if n else g, ctx.shape, ctx.axes, ctx.keepdim), None, None, None


class Prod(Function):
    __slots__ = ("axes", "keepdim")

    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.save_for_backward(x)
        return np.prod(x, axis=axes, keepdims=keepdim, dtype=dtype)

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        x, = ctx.saved_tensors  # d/dxᵢ ∏x = product of all the others (exact even with zeros)
        moved = np.moveaxis(x, ctx.axes, tuple(range(-len(ctx.axes), 0)))
        flat = moved.reshape(moved.shape[:moved.ndim - len(ctx.axes)] + (-1,))
        ones = np.ones_like(flat[..., :1])
        left = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
        right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], -1), -1)[..., ::-1]
        others = np.moveaxis((left * right).reshape(moved.shape), tuple(range(-len(ctx.axes), 0)), ctx.axes)
        return _expand_back(g, x.shape, ctx.axes, ctx.keepdim) * others, None, None, None


class Amax(Function):
    """Max over `axes`; tied maxima share the gradient evenly (PyTorch's amax / max())."""
    __slots__ = ("share", "axes", "keepdim")

    @staticmethod
    def forward(ctx, x, axes, keepdim, largest):
        y = np.max(x, axis=axes, keepdims=True) if largest else np.min(x, axis=axes, keepdims=True)
        mask = x == y
        ctx.share = mask / mask.sum(axis=axes, keepdims=True).astype(x.dtype)
        ctx.axes, ctx.keepdim = axes, keepdim
        return y if keepdim else y.reshape(tuple(n for i, n in enumerate(y.shape) if i not in axes))

    @staticmethod
    def backward(ctx, g):
        share = ctx.share
        return _expand_back(g, share.shape, ctx.axes, ctx.keepdim) * share, None, None, None


class Max(Function):
    """max(dim) values: the gradient goes to the position `indices` names."""
    __slots__ = ("onehot", "dim", "keepdim")

    @staticmethod
    def forward(ctx, x, dim, keepdim, index):
        ctx.onehot = np.zeros(x.shape, dtype=bool)
        np.put_along_axis(ctx.onehot, index, True, dim)
        ctx.dim, ctx.keepdim = dim, keepdim
        y = np.take_along_axis(x, index, dim)
        return y if keepdim else y.squeeze(dim)

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g, ctx.onehot.shape, (ctx.dim,), ctx.keepdim) * ctx.onehot, None, None, None


class LogSumExp(Function):
    __slots__ = ("axes", "keepdim")

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        m = np.max(x, axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        y = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
        ctx.axes, ctx.keepdim = axes, keepdim
        out = y if keepdim else y.reshape(tuple(n for i, n in enumerate(y.shape) if i not in axes))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors  # d logΣeˣ / dxᵢ = softmax(x)ᵢ
        shape = x.shape
        return (_expand_back(g, shape, ctx.axes, ctx.keepdim)
                * np.exp(x - _expand_back(y, shape, ctx.axes, ctx.keepdim))), None, None


class Softmax(Function):
    __slots__ = ("dim",)

    @staticmethod
    def forward(ctx, x, dim):
        e = np.exp(x - np.max(x, axis=dim, keepdims=True))
        e /= np.sum(e, axis=dim, keepdims=True)
        ctx.dim = dim
        ctx.save_for_backward(e)
        return e

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors  # Jacobian diag(y) - y yᵀ applied to g
        return y * (g - (g * y).sum(axis=ctx.dim, keepdims=True)), None


class LogSoftmax(Function):
    __slots__ = ("dim",)

    @staticmethod
    def forward(ctx, x, dim):
        shifted = x - np.max(x, axis=dim, keepdims=True)
        out = shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))
        ctx.dim = dim
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors  # g - softmax · Σg
        return g - np.exp(out) * g.sum(axis=ctx.dim, keepdims=True), None


class Norm2(Function):
    """Euclidean norm; its gradient at the zero vector is 0 (as PyTorch), not NaN."""
    __slots__ = ("axes", "keepdim")

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        out = np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdim))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, n = ctx.saved_tensors  # d‖x‖ = x / ‖x‖
        n = _expand_back(n, x.shape, ctx.axes, ctx.keepdim)
        return _expand_back(g, x.shape, ctx.axes, ctx.keepdim) * x / np.where(n == 0, 1, n), None, None


class CumSum(Function):
    __slots__ = ("dim",)

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return np.cumsum(x, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return np.flip(np.cumsum(np.flip(g, ctx.dim), ctx.dim), ctx.dim), None


# -- the functions users call ---------------------------------------------------

def _dim_args(input: Tensor, dim: Any, keepdim: Any, axis: Any, keepdims: Any) -> tuple:
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return _axes(dim, input.ndim), builtins.bool(keepdim)


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
        axis: Any = None, keepdims: Any = None) -> Tensor:
    """Sum over `dim` (all dimensions by default). Integer and bool tensors sum to int64, as in PyTorch."""
    axes, keepdim = _dim_args(input, dim, keepdim, axis, keepdims)
    dtype = as_dtype(dtype)
    if dtype is None and input.dtype.kind in "bi" and input.dtype != np.int64:
        dtype = np.dtype(np.int64)
    return Sum.apply(input, axes, keepdim, dtype)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
         axis: Any = None, keepdims: Any = None) -> Tensor:
    """Mean over `dim` (all dimensions by default)."""
    if input.dtype.kind not in "fc" and dtype is None:
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating "
                           f"point or complex dtype. Got: {input.dtype}")
    axes, keepdim = _dim_args(input, dim, keepdim, axis, keepdims)
    return Mean.apply(input, axes, keepdim, as_dtype(dtype))


def prod(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Product over `dim` (all by default)."""
    return Prod.apply(input, _axes(dim, input.ndim), keepdim, as_dtype(dtype))


def _extreme(input: Tensor, dim: Any, keepdim: bool, largest: bool, result: type) -> Any:
    if dim is None:
        return Amax.apply(input, _axes(None, input.ndim), False, largest)
    if isinstance(dim, Tensor):
        raise TypeError("max(input, other) with a tensor: use maximum(input, other)")
    d = _axes(dim, input.ndim)[0] if input.ndim else 0
    data = input._data if input.ndim else input._data.reshape(1)
    index = (np.argmax if largest else np.argmin)(data, axis=d, keepdims=True)
    values = Max.apply(input if input.ndim else input.reshape(1), d, keepdim, index)
    indices = Tensor._make(index if keepdim else index.squeeze(d))
    return result(values, indices)


def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """max(): the largest value. max(dim): (values, indices) along dim. max(a, b): use maximum."""
    if isinstance(dim, Tensor):
        from .elementwise import maximum
        return maximum(input, dim)
    return _extreme(input, dim, keepdim, True, MaxResult)


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """min(): the smallest value. min(dim): (values, indices) along dim."""
    if isinstance(dim, Tensor):
        from .elementwise import minimum
        return minimum(input, dim)
    return _extreme(input, dim, keepdim, False, MinResult)


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Max over dims (all if `dim` is empty); ties share the gradient evenly."""
    return Amax.apply(input, _axes(dim if dim != () else None, input.ndim), keepdim, True)


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Min over dims (all if `dim` is empty); ties share the gradient evenly."""
    return Amax.apply(input, _axes(dim if dim != () else None, input.ndim), keepdim, False)


def argmax(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Index of the largest value (of the flattened tensor when dim is None). No gradient."""
    if dim is None:
        return Tensor._make(np.int64(np.argmax(input._data)))
    return Tensor._make(np.argmax(input._data, axis=dim, keepdims=keepdim))


def argmin(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Index of the smallest value. No gradient."""
    if dim is None:
        return Tensor._make(np.int64(np.argmin(input._data)))
    return Tensor._make(np.argmin(input._data, axis=dim, keepdims=keepdim))


def _correction(unbiased: Any, correction: Any) -> float:
    if correction is not None:
        return correction
    return 0 if unbiased is False else 1


def var(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    """Variance; unbiased (divides by n - 1) by default, as in PyTorch."""
    if isinstance(dim, bool):  # var(x, False): the old positional `unbiased`
        dim, unbiased = None, dim
    axes = _axes(dim, input.ndim)
    n = 1
    for a in axes:
        n *= input.shape[a]
    centered = input - mean(input, axes, keepdim=True)
    return sum(centered * centered, axes, keepdim) / builtins.max(n - _correction(unbiased, correction), 0)


def std(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    """Standard deviation, unbiased by default."""
    from .elementwise import sqrt
    return sqrt(var(input, dim, unbiased, keepdim, correction=correction))


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """log Σ exp(x) over dim, computed stably."""
    return LogSumExp.apply(input, _axes(dim, input.ndim), keepdim)


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
    """Vector p-norm over dim (all elements by default); p in 'fro', 2, 1, inf, -inf, 0 or any number."""
    from .elementwise import abs
    axes = _axes(dim, input.ndim)
    if p in ("fro", 2, 2.0):
        return Norm2.apply(input, axes, keepdim)
    if p == 1:
        return sum(abs(input), axes, keepdim)
    if p == float("inf"):
        return amax(abs(input), axes, keepdim)
    if p == float("-inf"):
        return amin(abs(input), axes, keepdim)
    if p == 0:  # the count of nonzeros: zero gradient, still in the graph as in PyTorch
        from .elementwise import ZeroGrad
        return sum(ZeroGrad.apply(input, _nonzero_indicator), axes, keepdim)
    if isinstance(p, (int, float)):
        return sum(abs(input) ** p, axes, keepdim) ** (1.0 / p)
    raise ValueError(f"norm: unsupported p={p!r}; expected 'fro', a number or inf")


def _nonzero_indicator(x: np.ndarray) -> np.ndarray:
    return (x != 0).astype(x.dtype)


def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """exp(x) / Σ exp(x) along dim."""
    if dtype is not None:
        input = input.type(dtype)
    return Softmax.apply(input, _axes(dim, input.ndim)[0])


def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """x - logsumexp(x) along dim, computed stably."""
    if dtype is not None:
        input = input.type(dtype)
    return LogSoftmax.apply(input, _axes(dim, input.ndim)[0])


def cumsum(input: Tensor, dim: int) -> Tensor:
    """Running sum along dim."""
    return CumSum.apply(input, _axes(dim, input.ndim)[0])


def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """True where every element (along dim) is nonzero."""
    return Tensor._make(np.all(input._data, axis=None if dim is None else _axes(dim, input.ndim), keepdims=keepdim))


def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """True where some element (along dim) is nonzero."""
    return Tensor._make(np.any(input._data, axis=None if dim is None else _axes(dim, input.ndim), keepdims=keepdim))


def trace(input: Tensor) -> Tensor:
    """The sum of the main diagonal of a 2-D tensor."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, got shape {tuple(input.shape)}")
    from .indexing import diagonal
    return sum(diagonal(input))


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """How many entries are not zero (over `dim`, or all)."""
    return Tensor._make(np.asarray(np.count_nonzero(input._data, axis=dim), dtype=np.int64))


def var_mean(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None) -> tuple:
    """(var, mean) in one call, as torch.var_mean."""
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None) -> tuple:
    """(std, mean) in one call, as torch.std_mean."""
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)
