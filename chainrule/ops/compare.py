"""Comparisons and logical operations: they give bool tensors and carry no gradient."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from .arithmetic import broadcast_error


def _raw(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


class Compare(Function):
    """A comparison or logical ufunc: no gradient, but an operation all the same, so that an ONNX export
    sees where a mask comes from."""
    __slots__ = ("ufunc",)

    @staticmethod
    def forward(ctx, ufunc, *args):
        ctx.ufunc = ufunc
        return ufunc(*args)

    @staticmethod
    def backward(ctx, g):
        return (None,) * (1 + ctx.ufunc.nin)


def _no_grad_op(ufunc: Callable, doc: str) -> Callable:
    def op(input: Any, other: Any = None) -> Tensor:
        if other is None and ufunc.nin == 2:
            raise TypeError(f"{ufunc.__name__} expects two operands")
        args = (input,) if ufunc.nin == 1 else (input, other)
        try:
            return Compare.apply(ufunc, *args)
        except ValueError as e:
            raise broadcast_error(*(_raw(a) for a in args)) or e from None
    op.__doc__ = doc
    op.__name__ = ufunc.__name__
    return op


eq = _no_grad_op(np.equal, "input == other, elementwise.")
ne = _no_grad_op(np.not_equal, "input != other, elementwise.")
lt = _no_grad_op(np.less, "input < other, elementwise.")
le = _no_grad_op(np.less_equal, "input <= other, elementwise.")
gt = _no_grad_op(np.greater, "input > other, elementwise.")
ge = _no_grad_op(np.greater_equal, "input >= other, elementwise.")
logical_and = _no_grad_op(np.logical_and, "Elementwise logical and (any dtype; nonzero is true).")
logical_or = _no_grad_op(np.logical_or, "Elementwise logical or.")
logical_xor = _no_grad_op(np.logical_xor, "Elementwise logical xor.")
logical_not = _no_grad_op(np.logical_not, "Elementwise logical not.")
bitwise_and = _no_grad_op(np.bitwise_and, "& on bool or integer tensors.")
bitwise_or = _no_grad_op(np.bitwise_or, "| on bool or integer tensors.")
bitwise_xor = _no_grad_op(np.bitwise_xor, "^ on bool or integer tensors.")
bitwise_not = _no_grad_op(np.invert, "~ on bool or integer tensors.")
isnan = _no_grad_op(np.isnan, "True where the value is NaN.")
isinf = _no_grad_op(np.isinf, "True where the value is +-infinity.")
isfinite = _no_grad_op(np.isfinite, "True where the value is neither NaN nor infinite.")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def equal(input: Tensor, other: Tensor) -> bool:
    """True if both have the same shape and values."""
    return input.shape == other.shape and bool((_raw(input) == _raw(other)).all())


def allclose(input: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """True if |input - other| <= atol + rtol·|other| everywhere."""
    return bool(np.allclose(_raw(input), _raw(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(input: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """Elementwise |input - other| <= atol + rtol·|other|, as a bool tensor."""
    return Tensor._make(np.isclose(_raw(input), _raw(other), rtol=rtol, atol=atol, equal_nan=equal_nan))
