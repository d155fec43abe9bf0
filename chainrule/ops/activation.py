"""Activation functions (and erf, which GELU needs), each with its local derivative.

ReLU saves its output rather than its input, so the input can be freed.
The piecewise ones avoid `np.where`: on masks as irregular as activations'
signs it mispredicts a branch per element and runs 6-10 times slower than
arithmetic (a leaky ReLU's backward over 2.4M values: 8.6 against 1.5 ms),
so each piece is selected by max / min or by multiplying with the mask.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor


class Relu(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        y = np.maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors  # 1 where the unit was active, 0 elsewhere
        return g * (y > 0)


class LeakyRelu(Function):
    __slots__ = ("mask", "slope")

    @staticmethod
    def forward(ctx, x, slope):
        ctx.slope = slope
        if ctx.needs_input_grad:
            ctx.mask = x > 0
        if slope == 0:  # max(x, 0·x) would make +inf NaN: select, as PyTorch computes it (-0.0 below 0)
            return np.where(x > 0, x, x * slope)
        # x > 0: x, else slope·x: the larger of the two for slope < 1, the smaller above
        return (np.maximum if slope <= 1 else np.minimum)(x, x * slope)

    @staticmethod
    def backward(ctx, g):
        scale = np.multiply(ctx.mask, 1 - ctx.slope, dtype=g.dtype)  # 1 where x > 0, slope elsewhere
        scale += ctx.slope
        return g * scale, None


class Elu(Function):
    __slots__ = ("alpha",)

    @staticmethod
    def forward(ctx, x, alpha):
        y = np.expm1(np.minimum(x, 0))  # α(e^min(x,0) - 1) + max(x, 0): one piece is 0 on each side
        y *= alpha
        y += np.maximum(x, 0)
        ctx.alpha = alpha
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors  # x > 0: 1; else α·eˣ = y + α
        neg = np.minimum(y, 0) + ctx.alpha  # y + α where y <= 0, α (finite) where y > 0
        return g * (neg + (y > 0) * (1 - neg)), None


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _erfc_of_abs(z: np.ndarray) -> np.ndarray:
    """erfc(|z|) by a Chebyshev fit (relative error below 1.2e-7); NumPy has no erf or erfc."""
    z = np.abs(z)
    t = 1 / (1 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277))))))))
    return t * np.exp(poly)


def _erf_array(x: np.ndarray) -> np.ndarray:
    """erf(x) = ±(1 - erfc(|x|)): erf is odd."""
    return np.copysign(1 - _erfc_of_abs(x), x).astype(x.dtype, copy=False)


def _normal_cdf_array(x: np.ndarray) -> np.ndarray:
    """Φ(x) = erfc(-x/√2) / 2, taken from erfc(|x|/√2) directly below 0, so the left tail keeps its digits
    (1 + erf(x/√2) there is 1 minus nearly 1). The two sides are chosen by multiplying with the mask."""
    half = 0.5 * _erfc_of_abs(x * (1 / math.sqrt(2)))
    left = x < 0
    return (left * half + ~left * (1 - half)).astype(x.dtype, copy=False)


class Erf(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf_array(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors  # d erf = 2/√π · e^(-x²)
        return g * (2 / math.sqrt(math.pi)) * np.exp(-x * x)


class Gelu(Function):
    """x·Φ(x) (approximate='none') or PyTorch's tanh approximation."""
    __slots__ = ("approximate",)

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.approximate = approximate
        ctx.save_for_backward(x)
        if approximate == "tanh":
            return 0.5 * x * (1 + np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)))
        return x * _normal_cdf_array(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        if ctx.approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)
            t = np.tanh(inner)
            d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return g * d, None
        cdf = 0.5 * (1 + erf(x * (1 / math.sqrt(2))))  # d xΦ(x) = Φ(x) + x·φ(x)
        return g * (cdf + x * _INV_SQRT_2PI * np.exp(-0.5 * x * x)), None


class Silu(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * (0.5 * (1 + np.tanh(0.5 * x)))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors  # d xσ(x) = σ(x)·(1 + x(1-σ(x)))
        s = 0.5 * (1 + np.tanh(0.5 * x))
        return g * s * (1 + x * (1 - s))


class Softplus(Function):
    """log(1 + e^(βx))/β, linear above `threshold` (as PyTorch)."""
    __slots__ = ("beta", "threshold")

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.beta, ctx.threshold = beta, threshold
        ctx.save_for_backward(x)
        bx = x * beta
        return np.where(bx > threshold, x, np.logaddexp(0, bx) / beta).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors  # d softplus = σ(βx)
        bx = x * ctx.beta
        return np.where(bx > ctx.threshold, g, g * (0.5 * (1 + np.tanh(0.5 * bx)))), None, None


# -- the functions users call ---------------------------------------------------

def relu(input: Tensor) -> Tensor:
    """max(x, 0)."""
    return Relu.apply(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, negative_slope·x otherwise."""
    return LeakyRelu.apply(input, negative_slope)


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, α(eˣ - 1) otherwise."""
    return Elu.apply(input, alpha)


def erf(input: Tensor) -> Any:
    """Error function; works on arrays too (used inside GELU's backward)."""
    if isinstance(input, Tensor):
        return Erf.apply(input)
    return _erf_array(np.asarray(input))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x·Φ(x), Φ the standard normal CDF; approximate="tanh" uses PyTorch's tanh formula."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return Gelu.apply(input, approximate)


def silu(input: Tensor) -> Tensor:
    """x·σ(x) (also called swish)."""
    return Silu.apply(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(βx)) / β, and x itself where βx > threshold."""
    return Softplus.apply(input, beta, threshold)
