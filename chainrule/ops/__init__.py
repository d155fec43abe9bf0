"""Tensor operations. Each file holds a family; each differentiable operation is a `Function`
subclass with its forward and backward side by side, and a plain function users call."""
from __future__ import annotations

from typing import Any

import numpy as np

from .arithmetic import (add, addcdiv, addcmul, addmm, baddbmm, bmm, div, divide, dot, einsum, floor_divide, ger,
                         kron, matmul, mm, mul, multiply, mv, neg, negative, outer, pow, remainder, sub, subtract,
                         true_divide, unbroadcast)
from .compare import (allclose, bitwise_and, bitwise_not, bitwise_or, bitwise_xor, eq, equal, ge, greater,
                      greater_equal, gt, isclose, isfinite, isinf, isnan, le, less, less_equal, logical_and,
                      logical_not, logical_or, logical_xor, lt, ne, not_equal)
from .activation import elu, erf, gelu, leaky_relu, relu, silu, softplus
from .elementwise import (abs, absolute, acos, arccos, arcsin, arctan, arctan2, asin, atan, atan2, cast, ceil,
                          clamp, clamp_max, clamp_min, clip, clone, cos, cosh, exp, expm1, fix, floor, fmod, frac,
                          hypot, lerp, log, log10, log1p, log2, logaddexp, logit, masked_fill, maximum, minimum,
                          nan_to_num, round, rsqrt, sigmoid, sign, sin, sinh, sqrt, square, tan, tanh, tril, triu,
                          trunc, where)
from .indexing import (diagonal, gather, getitem, index_add, index_fill, index_select, masked_select, nonzero,
                       repeat_interleave, scatter_add)
from .inplace import add_, clamp_, copy_, div_, fill_, mul_, pow_, regenerate_view, setitem, sub_, unary_
from .reduction import (all, amax, amin, any, argmax, argmin, count_nonzero, cumsum, log_softmax, logsumexp, max,
                        mean, min, norm, prod, softmax, std, std_mean, sum, trace, var, var_mean)
from .shape import (broadcast_tensors, broadcast_to, cat, chunk, concat, concatenate, diag, dstack, expand,
                    flatten, flip, hstack, meshgrid, moveaxis, movedim, narrow, pad, permute, ravel, repeat,
                    reshape, roll, row_stack, split, squeeze, stack, swapaxes, swapdims, tensor_split, tile,
                    transpose, unbind, unflatten, unsqueeze, view, vstack)
from .sorting import argsort, sort, topk, unique

# NumPy ufuncs applied to tensors run these (so a backward written in NumPy differentiates again).
UFUNCS = {
    np.add: add, np.subtract: sub, np.multiply: mul, np.true_divide: div, np.negative: neg,
    np.power: pow, np.floor_divide: floor_divide, np.matmul: matmul, np.exp: exp, np.log: log,
    np.log1p: log1p, np.expm1: expm1, np.sqrt: sqrt, np.sin: sin, np.cos: cos, np.tan: tan,
    np.tanh: tanh, np.abs: abs, np.sign: sign, np.maximum: maximum, np.minimum: minimum,
    np.equal: eq, np.not_equal: ne, np.less: lt, np.less_equal: le, np.greater: gt,
    np.greater_equal: ge, np.logical_and: logical_and, np.logical_or: logical_or,
    np.logical_not: logical_not, np.isnan: isnan, np.isinf: isinf, np.isfinite: isfinite,
    np.floor: floor, np.ceil: ceil, np.rint: round, np.arctan2: atan2, np.log2: log2, np.log10: log10,
    np.square: lambda x: mul(x, x), np.sinh: sinh, np.cosh: cosh, np.arcsin: asin, np.arccos: acos, np.arctan: atan,
    np.trunc: trunc, np.fmod: fmod, np.hypot: hypot, np.logaddexp: logaddexp,
    np.reciprocal: lambda x: div(1.0, x), np.positive: lambda x: x,
}


def _np_transpose(a: Any, axes: Any = None) -> Any:
    return permute(a, tuple(axes) if axes is not None else tuple(range(a.ndim))[::-1])


def _np_sum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False) -> Any:
    return sum(a, axis, keepdims, dtype=dtype)


def _np_mean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False) -> Any:
    return mean(a, axis, keepdims, dtype=dtype)


def _np_where(cond: Any, x: Any = None, y: Any = None) -> Any:
    return where(cond, x, y)


def _np_flip(m: Any, axis: Any = None) -> Any:
    axes = range(m.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
    return flip(m, tuple(axes))


def _np_max(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Any:
    return amax(a, axis if axis is not None else (), keepdims)


def _np_min(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Any:
    return amin(a, axis if axis is not None else (), keepdims)


def _np_expand_dims(a: Any, axis: Any) -> Any:
    for d in sorted((axis,) if isinstance(axis, int) else axis):
        a = unsqueeze(a, d)
    return a


def _np_concatenate(arrays: Any, axis: int = 0) -> Any:
    return cat(arrays, axis)


def _np_stack(arrays: Any, axis: int = 0) -> Any:
    return stack(arrays, axis)


def _np_cumsum(a: Any, axis: Any = None) -> Any:
    return cumsum(a, axis)


def _np_roll(a: Any, shift: Any, axis: Any = None) -> Any:
    return roll(a, shift, axis)


def _np_reshape(a: Any, shape: Any, **kwargs: Any) -> Any:
    return reshape(a, (shape,) if isinstance(shape, int) else shape)


def _np_squeeze(a: Any, axis: Any = None) -> Any:
    return squeeze(a, axis)


def _np_clip(a: Any, a_min: Any = None, a_max: Any = None, out: Any = None, **kwargs: Any) -> Any:
    return clamp(a, a_min, a_max)


def _np_round(a: Any, decimals: int = 0, out: Any = None) -> Any:
    if decimals:
        raise NotImplementedError("np.round of a tensor: only decimals=0 is supported")
    return round(a)


# NumPy functions applied to tensors run these; anything else gets plain arrays.
FUNCTIONS = {
    np.transpose: _np_transpose, np.sum: _np_sum, np.mean: _np_mean, np.where: _np_where,
    np.broadcast_to: broadcast_to, np.flip: _np_flip, np.max: _np_max, np.amax: _np_max,
    np.min: _np_min, np.amin: _np_min, np.expand_dims: _np_expand_dims,
    np.concatenate: _np_concatenate, np.stack: _np_stack, np.cumsum: _np_cumsum, np.roll: _np_roll,
    np.reshape: _np_reshape, np.squeeze: _np_squeeze, np.swapaxes: swapaxes, np.clip: _np_clip,
    np.round: _np_round, np.around: _np_round, np.einsum: einsum,
}


def to_arrays(x: Any) -> Any:
    """Replace tensors by their arrays inside (nested) tuples, lists and dicts."""
    from ..tensor import Tensor
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, (list, tuple)):
        return type(x)(to_arrays(v) for v in x)
    if isinstance(x, dict):
        return {k: to_arrays(v) for k, v in x.items()}
    return x
