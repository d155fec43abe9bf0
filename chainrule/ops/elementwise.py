"""Elementwise functions (exp, log, trigonometry, clamp, where, ...), each with its local derivative.

Where the derivative is a function of the output (exp, tanh, sigmoid),
the output is saved rather than the input, so the input can be freed.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from .arithmetic import broadcast_error, operands, scalar_array


class Exp(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors  # d eˣ = eˣ
        return g * y


class Atan2(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, y, x):
        ctx.save_for_backward(y, x)
        return np.arctan2(y, x)

    @staticmethod
    def backward(ctx, g):
        y, x = ctx.saved_tensors  # d atan2(y, x) = (x dy - y dx) / (x² + y²)
        r2 = x * x + y * y
        return g * x / r2, -g * y / r2


class Log(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / x


class Log1p(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (x + 1)


class Expm1(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        y = np.expm1(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors  # d(eˣ-1) = eˣ = y+1
        return g * (y + 1)


class Sqrt(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        y = np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors  # d√x = 1/(2√x)
        return g / (2 * y)


class Rsqrt(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        y = 1 / np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors  # d x^(-1/2) = -½ x^(-3/2) = -½ y³
        return g * (-0.5) * y * y * y


class Abs(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * np.sign(x)


class Sin(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * np.cos(x)


class Cos(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return -g * np.sin(x)


class Sinh(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sinh(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors  # d sinh = cosh
        return g * np.cosh(x)


class Cosh(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cosh(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors  # d cosh = sinh
        return g * np.sinh(x)


class Asin(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsin(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors  # d asin = 1 / √(1 - x²)
        return g / np.sqrt(1 - x * x)


class Atan(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctan(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors  # d atan = 1 / (1 + x²)
        return g / (1 + x * x)


class Tan(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        y = np.tan(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors  # d tan = 1 + tan²
        return g * (1 + y * y)


class Tanh(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors  # d tanh = 1 - tanh²
        return g - g * y * y  # (array-only arithmetic: NumPy is slower with Python numbers)


class Sigmoid(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        half = scalar_array(0.5, x.dtype) if x.dtype.kind == "f" else 0.5
        y = np.tanh(x * half)  # σ(x) = (1 + tanh(x/2)) / 2: stable for any x, one transcendental
        y *= half
        y += half
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors  # dσ = σ(1-σ)
        gy = g * y
        return gy - gy * y


class Clamp(Function):
    """Gradient passes where min <= x <= max (bounds included, as PyTorch)."""
    __slots__ = ("mask",)

    @staticmethod
    def forward(ctx, x, lo, hi):
        y = x
        mask = None
        if lo is not None:
            y = np.maximum(y, lo)
            mask = x >= lo
        if hi is not None:
            y = np.minimum(y, hi)
            mask = x <= hi if mask is None else mask & (x <= hi)
        ctx.mask = mask
        return y.astype(x.dtype, copy=False) if y is not x else y.copy()

    @staticmethod
    def backward(ctx, g):
        return (g if ctx.mask is None else g * ctx.mask), None, None


class Maximum(Function):
    """Elementwise max; at ties each input gets half the gradient (as PyTorch)."""
    __slots__ = ("share",)

    @staticmethod
    def forward(ctx, a, b):
        out = np.maximum(a, b)
        ctx.share = _share(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        ga = g * ctx.share  # a's share of the gradient: 1 where it was picked, ½ at ties, else 0
        return ga, g - ga


class Minimum(Maximum):
    """Elementwise min; at ties each input gets half the gradient (as PyTorch)."""
    __slots__ = ()

    @staticmethod
    def forward(ctx, a, b):
        out = np.minimum(a, b)
        ctx.share = _share(a, b, out)
        return out


def _share(a: Any, b: Any, picked: np.ndarray) -> np.ndarray:
    from_a = (a == picked).astype(picked.dtype)
    return from_a / (from_a + (b == picked))


class Where(Function):
    __slots__ = ("cond",)

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        zero = g * 0
        return (None,
                np.where(ctx.cond, g, zero) if need[1] else None,
                np.where(ctx.cond, zero, g) if need[2] else None)


class ZeroGrad(Function):
    """Piecewise-constant functions (sign, floor, ceil, round): their gradient is zero."""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, fn):
        return fn(x)

    @staticmethod
    def backward(ctx, g):
        return g * 0, None


class ToCopy(Function):
    """A dtype conversion (PyTorch names its node ToCopy as well)."""
    __slots__ = ("dtype",)

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.dtype), None


class Clone(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


# -- the functions users call ---------------------------------------------------

def exp(input: Tensor) -> Tensor:
    """eˣ."""
    return Exp.apply(input)


def log(input: Tensor) -> Tensor:
    """Natural logarithm."""
    return Log.apply(input)


def log1p(input: Tensor) -> Tensor:
    """log(1 + x), accurate for small x."""
    return Log1p.apply(input)


def expm1(input: Tensor) -> Tensor:
    """eˣ - 1, accurate for small x."""
    return Expm1.apply(input)


def sqrt(input: Tensor) -> Tensor:
    """√x."""
    return Sqrt.apply(input)


def rsqrt(input: Tensor) -> Tensor:
    """1 / √x."""
    return Rsqrt.apply(input)


def abs(input: Tensor) -> Tensor:
    """|x| (its gradient at 0 is 0, as in PyTorch)."""
    return Abs.apply(input)


absolute = abs


def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 (zero gradient)."""
    return ZeroGrad.apply(input, np.sign)


def floor(input: Tensor) -> Tensor:
    """Round down (zero gradient)."""
    return ZeroGrad.apply(input, np.floor)


def ceil(input: Tensor) -> Tensor:
    """Round up (zero gradient)."""
    return ZeroGrad.apply(input, np.ceil)


def round(input: Tensor) -> Tensor:
    """Round half to even (zero gradient)."""
    return ZeroGrad.apply(input, np.round)


def sin(input: Tensor) -> Tensor:
    """sin x."""
    return Sin.apply(input)


def cos(input: Tensor) -> Tensor:
    """cos x."""
    return Cos.apply(input)


def tan(input: Tensor) -> Tensor:
    """tan x."""
    return Tan.apply(input)


def tanh(input: Tensor) -> Tensor:
    """tanh x."""
    return Tanh.apply(input)


def sigmoid(input: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e⁻ˣ), computed stably."""
    return Sigmoid.apply(input)


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Limit values to [min, max]; bounds may be numbers or tensors."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if any(isinstance(b, Tensor) and b.requires_grad for b in (min, max)):
        y = input if min is None else where(input < min, min, input)  # ties keep x, as PyTorch
        return y if max is None else where(y > max, max, y)
    lo = min._data if isinstance(min, Tensor) else min
    hi = max._data if isinstance(max, Tensor) else max
    return Clamp.apply(input, lo, hi)


clip = clamp


def maximum(input: Any, other: Any) -> Tensor:
    """Elementwise max of two tensors (broadcast); ties split the gradient."""
    a, b = operands(input, other)
    try:
        return Maximum.apply(a, b)
    except ValueError as e:
        raise broadcast_error(a, b) or e from None


def minimum(input: Any, other: Any) -> Tensor:
    """Elementwise min of two tensors (broadcast); ties split the gradient."""
    a, b = operands(input, other)
    try:
        return Minimum.apply(a, b)
    except ValueError as e:
        raise broadcast_error(a, b) or e from None


def where(condition: Any, input: Any = None, other: Any = None) -> Any:
    """input where condition holds, other elsewhere; where(condition) alone gives nonzero indices."""
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    if isinstance(condition, Tensor):  # (kept a tensor: an ONNX export traces where it came from)
        cond = condition if condition._data.dtype == np.bool_ else cast(condition, np.dtype(bool))
    else:
        cond = np.asarray(condition)
        cond = cond if cond.dtype == np.bool_ else cond.astype(bool)
    try:
        return Where.apply(cond, input, other)
    except ValueError as e:
        raise broadcast_error(cond, input, other) or e from None


def masked_fill(input: Tensor, mask: Any, value: Any) -> Tensor:
    """input with `value` where mask is True."""
    mask = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if mask.dtype != np.bool_:
        raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with dtype {mask.dtype}")
    if isinstance(value, Tensor) and value.ndim == 0 and not value.requires_grad:
        value = value.item()
    if not isinstance(value, Tensor):
        value = np.asarray(value, dtype=input.dtype)
    return Where.apply(mask, value, input)


def cast(input: Tensor, dtype: Any) -> Tensor:
    """input converted to `dtype` (differentiable; the same tensor if already of that dtype)."""
    if input._data.dtype == dtype:
        return input
    return ToCopy.apply(input, dtype)


def clone(input: Tensor) -> Tensor:
    """A copy in new memory; the gradient flows back to input."""
    return Clone.apply(input)


def atan2(input: Tensor, other: Any) -> Tensor:
    """The angle of the point (other, input): arctan(input / other) in the right quadrant."""
    a, b = operands(input, other)
    return Atan2.apply(a, b)


arctan2 = atan2


def log2(input: Tensor) -> Tensor:
    """Base-2 logarithm."""
    return log(input) * (1 / math.log(2))


def log10(input: Tensor) -> Tensor:
    """Base-10 logarithm."""
    return log(input) * (1 / math.log(10))


def lerp(input: Tensor, end: Any, weight: Any) -> Tensor:
    """input + weight · (end - input)."""
    return input + (end - input) * weight


def clamp_min(input: Tensor, min: Any) -> Tensor:
    return clamp(input, min=min)


def clamp_max(input: Tensor, max: Any) -> Tensor:
    return clamp(input, max=max)


def _triangle(input: Tensor, diagonal: int, lower: bool, who: str) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError(f"{who}: input tensor must have at least 2 dimensions, got shape {tuple(input.shape)}")
    rows, cols = input.shape[-2:]
    keep = (np.tril if lower else np.triu)(np.ones((rows, cols), dtype=bool), diagonal)
    return masked_fill(input, ~keep, 0)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dimensions (entries above `diagonal` set to 0)."""
    return _triangle(input, diagonal, True, "tril")


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dimensions (entries below `diagonal` set to 0)."""
    return _triangle(input, diagonal, False, "triu")


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: Any = None, neginf: Any = None) -> Tensor:
    """NaN, +inf and -inf replaced (by 0 and the dtype's largest and smallest values, by default); the
    gradient passes where the input was finite."""
    data = input._data
    if data.dtype.kind != "f":
        return input * 1
    replaced = Tensor._make(np.nan_to_num(data, nan=nan, posinf=posinf, neginf=neginf))
    return where(Tensor._make(np.isfinite(data)), input, replaced)


def sinh(input: Tensor) -> Tensor:
    return Sinh.apply(input)


def cosh(input: Tensor) -> Tensor:
    return Cosh.apply(input)


def asin(input: Tensor) -> Tensor:
    return Asin.apply(input)


def acos(input: Tensor) -> Tensor:
    """acos x = π/2 - asin x."""
    return math.pi / 2 - Asin.apply(input)


def atan(input: Tensor) -> Tensor:
    return Atan.apply(input)


arcsin, arccos, arctan = asin, acos, atan


def trunc(input: Tensor) -> Tensor:
    """Rounded toward zero: sign(x)·floor(|x|) (gradient 0, as floor's)."""
    return sign(input) * floor(abs(input))


fix = trunc


def frac(input: Tensor) -> Tensor:
    """input - trunc(input): the fractional part, with the sign of input."""
    return input - trunc(input)


def fmod(input: Tensor, other: Any) -> Tensor:
    """input - other·trunc(input / other): C's remainder, with the sign of input (remainder follows other's)."""
    return input - other * trunc(input / other)


def hypot(input: Tensor, other: Any) -> Tensor:
    """√(input² + other²)."""
    return sqrt(input * input + other * other)


def logaddexp(input: Tensor, other: Any) -> Tensor:
    """log(eˣ + eʸ), computed from the larger of the two so nothing overflows."""
    high = maximum(input, other)
    return high + log1p(exp(-abs(input - other)))


def logit(input: Tensor, eps: Any = None) -> Tensor:
    """log(p / (1 - p)), p clamped to [eps, 1 - eps] when eps is given."""
    p = input if eps is None else clamp(input, eps, 1 - eps)
    return log(p / (1 - p))


def square(input: Tensor) -> Tensor:
    return input * input
