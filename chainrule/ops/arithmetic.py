"""Arithmetic: + - * / // ** @ and negation, with NumPy broadcasting.

When an operand was broadcast in forward, its gradient is summed back over
the broadcast dimensions (`unbroadcast`): every copy of a value contributed
to the output, so every copy's gradient adds up.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..dtypes import get_default_dtype
from ..tensor import Tensor


def unbroadcast(g: Any, shape: tuple) -> Any:
    """Sum gradient `g` down to `shape`, undoing NumPy broadcasting."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    if axes:
        g = g.sum(axis=axes)
    return g.reshape(shape)


class Add(Function):
    __slots__ = ("shapes",)

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (np.shape(a), np.shape(b))
        return a + b

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(g, ctx.shapes[0]) if need_a else None,
                unbroadcast(g, ctx.shapes[1]) if need_b else None)


class Sub(Function):
    __slots__ = ("shapes",)

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (np.shape(a), np.shape(b))
        return a - b

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(g, ctx.shapes[0]) if need_a else None,
                unbroadcast(-g, ctx.shapes[1]) if need_b else None)


class Mul(Function):
    __slots__ = ("shapes",)

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (np.shape(a), np.shape(b))
        need_a, need_b = ctx.needs_input_grad or (False, False)
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors  # d(ab)/da = b, d(ab)/db = a
        return (None if b is None else unbroadcast(g * b, ctx.shapes[0]),
                None if a is None else unbroadcast(g * a, ctx.shapes[1]))


class Div(Function):
    __slots__ = ("shapes",)

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (np.shape(a), np.shape(b))
        out = a / b
        ctx.save_for_backward(b, out if ctx.needs_input_grad[1:] == (True,) else None)
        return out

    @staticmethod
    def backward(ctx, g):
        b, out = ctx.saved_tensors  # d(a/b)/da = 1/b, d(a/b)/db = -a/b² = -out/b
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(g / b, ctx.shapes[0]) if need_a else None,
                unbroadcast(-g * out / b, ctx.shapes[1]) if need_b else None)


class Neg(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(Function):
    __slots__ = ("shapes",)

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (np.shape(a), np.shape(b))
        out = a ** b
        ctx.save_for_backward(a, b, out if ctx.needs_input_grad[1:] == (True,) else None)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors  # d(a^b)/da = b·a^(b-1), d(a^b)/db = a^b·ln a
        need_a, need_b = ctx.needs_input_grad
        ga = gb = None
        if need_a:
            ga = unbroadcast(g * b * a ** (b - 1), ctx.shapes[0]) if not _is_zero(b) else g * 0
        if need_b:
            log_a = np.log(np.where(a > 0, a, 1))  # 0^b·ln 0 counts as 0, as in PyTorch
            gb = unbroadcast(g * out * log_a, ctx.shapes[1])
        return ga, gb


def _is_zero(x: Any) -> bool:
    return isinstance(x, (int, float)) and x == 0


class FloorDivide(Function):
    """a // b. Its gradient is zero wherever it exists (PyTorch raises instead: chainrule adds)."""
    __slots__ = ("shapes",)

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (np.shape(a), np.shape(b))
        return a // b

    @staticmethod
    def backward(ctx, g):
        return unbroadcast(g * 0, ctx.shapes[0]), unbroadcast(g * 0, ctx.shapes[1])


class MatMul(Function):
    """a @ b for 1-D to N-D operands, batch dimensions broadcast as in NumPy."""
    __slots__ = ()

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors  # C = AB: dA = G·Bᵀ, dB = Aᵀ·G (1-D operands as 1-row / 1-column matrices)
        need_a, need_b = ctx.needs_input_grad
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1 and b.ndim == 1:
            g2 = g.reshape((1, 1))
        elif a.ndim == 1:
            g2 = g[..., None, :]
        elif b.ndim == 1:
            g2 = g[..., None]
        else:
            g2 = g
        ga = unbroadcast(g2 @ b2.swapaxes(-1, -2), a2.shape).reshape(a.shape) if need_a else None
        gb = unbroadcast(a2.swapaxes(-1, -2) @ g2, b2.shape).reshape(b.shape) if need_b else None
        return ga, gb


# -- the functions users call ---------------------------------------------------

def _coerce(a: Any, b: Any) -> tuple:
    """PyTorch's type promotion where NumPy differs: int tensor with a float scalar gives float32."""
    if type(b) is float and isinstance(a, Tensor) and a._data.dtype.kind in "biu":
        a = a.type(get_default_dtype())
    elif type(a) is float and isinstance(b, Tensor) and b._data.dtype.kind in "biu":
        b = b.type(get_default_dtype())
    return a, b


def _check_operand(x: Any) -> Any:
    if isinstance(x, (Tensor, int, float, bool, np.ndarray, np.generic)):
        return x
    if isinstance(x, (list, tuple)):
        return np.asarray(x)
    raise TypeError(f"unsupported operand type for a tensor operation: {type(x).__name__}")


def add(input: Any, other: Any, alpha: Any = 1) -> Tensor:
    """input + alpha * other."""
    a, b = _coerce(input, _check_operand(other) if alpha == 1 else other * alpha)
    return Add.apply(a, b)


def sub(input: Any, other: Any, alpha: Any = 1) -> Tensor:
    """input - alpha * other."""
    a, b = _coerce(input, _check_operand(other) if alpha == 1 else other * alpha)
    return Sub.apply(a, b)


subtract = sub


def mul(input: Any, other: Any) -> Tensor:
    """Elementwise product."""
    a, b = _coerce(input, _check_operand(other))
    return Mul.apply(a, b)


multiply = mul


def div(input: Any, other: Any, rounding_mode: Any = None) -> Tensor:
    """True division (integers give float32, as in PyTorch); rounding_mode 'floor' or 'trunc'."""
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        q = floor_divide(input, other)
        exact = div(input, other)
        return where(exact < 0, -floor_divide(-input, other), q)
    a, b = _check_operand(input), _check_operand(other)
    if not _is_float(a) and not _is_float(b):
        a = a.type(get_default_dtype()) if isinstance(a, Tensor) else float(a) if np.ndim(a) == 0 else np.asarray(a, get_default_dtype())
    return Div.apply(a, b)


divide = true_divide = div


def _is_float(x: Any) -> bool:
    if isinstance(x, Tensor):
        return x._data.dtype.kind in "fc"
    if isinstance(x, float):
        return True
    return isinstance(x, (np.ndarray, np.generic)) and x.dtype.kind in "fc"


def neg(input: Tensor) -> Tensor:
    """-input."""
    return Neg.apply(input)


negative = neg


def pow(input: Any, exponent: Any) -> Tensor:
    """input ** exponent (elementwise)."""
    a, b = _coerce(input, _check_operand(exponent))
    return Pow.apply(a, b)


def floor_divide(input: Any, other: Any) -> Tensor:
    """input // other, rounded towards minus infinity."""
    a, b = _coerce(input, _check_operand(other))
    return FloorDivide.apply(a, b)


def remainder(input: Any, other: Any) -> Tensor:
    """input - floor(input / other) * other (Python's %)."""
    return input - floor_divide(input, other) * other


def matmul(input: Any, other: Any) -> Tensor:
    """Matrix product, with PyTorch's (and NumPy's) rules for 1-D and batched operands."""
    a, b = np.shape(input._data if isinstance(input, Tensor) else input), \
        np.shape(other._data if isinstance(other, Tensor) else other)
    if len(a) == 0 or len(b) == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {len(a)}D and {len(b)}D")
    ka = a[-1]
    kb = b[-2] if len(b) > 1 else b[0]
    if ka != kb:
        raise RuntimeError(f"matmul: shapes {tuple(a)} and {tuple(b)} cannot be multiplied "
                           f"({ka} columns on the left, {kb} rows on the right)")
    return MatMul.apply(input, other)


mm = bmm = mv = dot = matmul


from .elementwise import where  # noqa: E402
