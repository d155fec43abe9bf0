"""Pooling (max_pool1d/2d, avg_pool1d/2d, adaptive_avg_pool1d/2d) and nearest-neighbour `interpolate`.

Max and average pooling loop over the kh·kw kernel positions only: each
position is one strided view of the (padded) input holding that position's
value for every window, so a window's max or sum builds up one position at a
time, whole arrays at once. Max pooling's backward finds each window's
winner (its first maximum, as PyTorch) and routes the gradient there. Both
backwards are NumPy-only (`once_differentiable`).
Adaptive average pooling is separable, A_h · x · A_wᵀ with averaging
matrices, and nearest interpolation is indexing: both are built from
differentiable tensor operations.
"""
from __future__ import annotations

import math
from collections import namedtuple
from typing import Any, Optional

import numpy as np

from ...autograd.function import Function, once_differentiable
from ...ops import expand, index_select, matmul, reshape, squeeze, unsqueeze
from ...tensor import Tensor
from .conv import ntuple

# per spatial dimension: kernel, stride, dilation, (pad before, pad after), output size
Window = namedtuple("Window", ["kernel", "stride", "dilation", "padding", "out"])

_SPATIAL = {1: "L", 2: "H, W"}


def _check_rank(input: Any, dims: int, who: Any) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{who}: argument 'input' must be a Tensor, not {type(input).__name__}")
    if input.ndim not in (dims + 1, dims + 2) or 0 in input.shape[-dims - 1:]:
        sp = _SPATIAL[dims]
        raise RuntimeError(f"{who} expected a {dims + 2}-D input (N, C, {sp}) or a {dims + 1}-D unbatched input "
                           f"(C, {sp}) with non-zero sizes, got shape {tuple(input.shape)}")


def _window(input: Tensor, dims: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
            ceil_mode: bool, who: Any) -> Window:
    """Checked pooling geometry, PyTorch's rules: output ⌊ or ⌈(n + 2p - d(k-1) - 1)/s⌉ + 1, and a
    ceil-mode window must start inside the input or its left padding."""
    _check_rank(input, dims, who)
    k = ntuple(kernel_size, dims, "kernel_size")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else ntuple(stride, dims, "stride")
    p, d = ntuple(padding, dims, "padding"), ntuple(dilation, dims, "dilation")
    if min(k) < 1 or min(s) < 1 or min(d) < 1 or min(p) < 0:
        raise RuntimeError(f"{who}: kernel_size, stride and dilation must be positive and padding non-negative, "
                           f"got kernel_size={k}, stride={s}, padding={p}, dilation={d}")
    if any(pi > ((ki - 1) * di + 1) // 2 or pi > ki // 2 for pi, ki, di in zip(p, k, d)):
        raise RuntimeError(f"{who}: pad should be at most half of effective kernel size, got padding={p}, "
                           f"kernel_size={k} and dilation={d}")
    sizes = input.shape[-dims:]
    out = []
    for n, ki, si, pi, di in zip(sizes, k, s, p, d):
        o = (n + 2 * pi - di * (ki - 1) - 1 + (si - 1 if ceil_mode else 0)) // si + 1
        if ceil_mode and (o - 1) * si >= n + pi:
            o -= 1
        out.append(o)
    if min(out) < 1:
        raise RuntimeError(f"{who}: input of shape {tuple(input.shape)} is too small for kernel_size={k}, "
                           f"padding={p}, dilation={d} (output size would be {tuple(out)})")
    # right padding: as asked, plus what ceil mode's last window reaches beyond it
    pads = tuple((pi, max(pi, (o - 1) * si + di * (ki - 1) + 1 - n - pi))
                 for n, ki, si, pi, di, o in zip(sizes, k, s, p, d, out))
    if dims == 1:
        return Window((1,) + k, (1,) + s, (1,) + d, ((0, 0),) + pads, (1,) + tuple(out))
    return Window(k, s, d, pads, tuple(out))


def _positions(w: Window) -> list:
    """For each kernel position: its number and the slice of the padded input it reads in every window."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = w.kernel, w.stride, w.dilation, w.out
    return [(i * kw + j, (Ellipsis, slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
                          slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)))
            for i in range(kh) for j in range(kw)]


def _padded_shape(shape: tuple, w: Window) -> tuple:
    ((t, b), (l, r)) = w.padding
    return shape[:-2] + (shape[-2] + t + b, shape[-1] + l + r)


def _pad(x: np.ndarray, w: Window, value: float) -> np.ndarray:
    ((t, b), (l, r)) = w.padding
    if not (t or b or l or r):
        return x
    xp = np.full(_padded_shape(x.shape, w), value, x.dtype)
    xp[..., t:t + x.shape[-2], l:l + x.shape[-1]] = x
    return xp


def _unpad(gp: np.ndarray, shape: tuple, w: Window) -> np.ndarray:
    ((t, _), (l, _)) = w.padding
    return gp[..., t:t + shape[-2], l:l + shape[-1]]


class MaxPool2d(Function):
    """Max over each window (a NaN wins, as in PyTorch); once differentiable. Outputs (values, flat input
    indices) when asked for indices. Backward finds each window's winner again from the saved input and
    output, so the forward pass is nothing but maxima."""
    __slots__ = ("window",)

    @staticmethod
    def forward(ctx, x, w, return_indices):
        xp = _pad(x, w, -np.inf)
        positions = _positions(w)
        best = xp[positions[0][1]].copy()
        for _, where in positions[1:]:
            np.maximum(best, xp[where], out=best)
        ctx.window = w
        if ctx.needs_input_grad:
            ctx.save_for_backward(x, best)
        if not return_indices:
            return best
        pos = np.zeros(best.shape, np.int64)
        for p, _, hit in _winners(xp, best, positions):
            np.copyto(pos, p, where=hit)
        return best, _flat_indices(pos, x.shape, w)

    @staticmethod
    @once_differentiable
    def backward(ctx, g, *unused):
        x, y = ctx.saved_tensors
        w = ctx.window
        xp = _pad(x, w, -np.inf)
        (kh, kw), (sh, sw), (oh, ow) = w.kernel, w.stride, w.out
        tiled = xp is x and (sh, sw) == (kh, kw) and w.dilation == (1, 1) and x.shape[-2:] == (oh * kh, ow * kw)
        gp = np.empty(xp.shape, g.dtype) if tiled else np.zeros(xp.shape, g.dtype)
        for _, where, hit in _winners(xp, y, _positions(w)):
            if tiled:  # every input element is in exactly one window: write, no accumulation
                np.multiply(g, hit, out=gp[where])
            else:
                gp[where] += g * hit
        return _unpad(gp, x.shape, w), None, None


def _winners(xp: np.ndarray, y: np.ndarray, positions: list) -> Any:
    """For each kernel position (number, slice): the windows whose chosen element sits there (a reused
    boolean array): the first maximum, or in a window holding NaN its last NaN (PyTorch's rule)."""
    nan = np.isnan(y)
    last_nan = None
    if nan.any():
        last_nan = np.full(y.shape, -1)
        for p, where in positions:
            np.copyto(last_nan, p, where=np.isnan(xp[where]))
    free = np.ones(y.shape, bool)
    hit = np.empty(y.shape, bool)
    for p, where in positions:
        np.equal(xp[where], y, out=hit)
        hit &= free
        free ^= hit
        if last_nan is not None:
            hit |= last_nan == p
        yield p, where, hit


def _flat_indices(pos: np.ndarray, shape: tuple, w: Window) -> np.ndarray:
    """Index of each chosen element in its flattened (H·W) input plane, as PyTorch's return_indices."""
    (kh, kw), (sh, sw), (dh, dw), ((t, _), (l, _)), (oh, ow) = w
    rows = np.arange(oh).reshape(-1, 1) * sh - t + (pos // kw).astype(np.int64) * dh
    cols = np.arange(ow) * sw - l + (pos % kw).astype(np.int64) * dw
    return rows * shape[-1] + cols


class AvgPool2d(Function):
    """Sum over each window divided by its divisor (an array broadcasting over the output); once differentiable."""
    __slots__ = ("divisor", "x_shape", "window")

    @staticmethod
    def forward(ctx, x, w, divisor):
        xp = _pad(x, w, 0)
        positions = _positions(w)
        total = xp[positions[0][1]].copy()
        for _, where in positions[1:]:
            total += xp[where]
        ctx.divisor, ctx.x_shape, ctx.window = divisor, x.shape, w
        total /= divisor
        return total

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        share = g / ctx.divisor
        gp = np.zeros(_padded_shape(ctx.x_shape, ctx.window), g.dtype)
        for _, where in _positions(ctx.window):
            gp[where] += share
        return _unpad(gp, ctx.x_shape, ctx.window), None, None


def _divisor(shape: tuple, w: Window, count_include_pad: bool, divisor_override: Optional[int],
             dtype: Any) -> np.ndarray:
    """Per output element, what its window sum is divided by (PyTorch's rule): the window clipped to the
    padded input when padding counts, else the number of real input elements it covers."""
    if divisor_override:
        return np.asarray(divisor_override, dtype)
    counts = []
    for n, k, s, (p, _), o in zip(shape[-2:], w.kernel, w.stride, w.padding, w.out):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        counts.append(end - start if count_include_pad else np.minimum(end, n) - np.maximum(start, 0))
    return (counts[0].reshape(-1, 1) * counts[1]).astype(dtype)


def _as_2d(input: Tensor, dims: int) -> tuple:
    """(N, C, 1, L) for a 1-D pooling, (N, C, H, W) for a 2-D one; and whether the input had a batch."""
    batched = input.ndim == dims + 2
    x = input if batched else unsqueeze(input, 0)
    return (unsqueeze(x, 2) if dims == 1 else x), batched


def _from_2d(out: Tensor, dims: int, batched: bool) -> Tensor:
    if dims == 1:
        out = squeeze(out, 2)
    return out if batched else squeeze(out, 0)


def max_pool(input: Tensor, dims: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
             ceil_mode: bool, return_indices: bool, who: Any) -> Any:
    """max_pool1d / max_pool2d; `who` names the caller in error messages."""
    w = _window(input, dims, kernel_size, stride, padding, dilation, ceil_mode, who)
    x, batched = _as_2d(input, dims)
    out = MaxPool2d.apply(x, w, return_indices)
    if return_indices:
        return _from_2d(out[0], dims, batched), _from_2d(out[1], dims, batched)
    return _from_2d(out, dims, batched)


def avg_pool(input: Tensor, dims: int, kernel_size: Any, stride: Any, padding: Any, ceil_mode: bool,
             count_include_pad: bool, divisor_override: Optional[int], who: Any) -> Tensor:
    """avg_pool1d / avg_pool2d; `who` names the caller in error messages."""
    w = _window(input, dims, kernel_size, stride, padding, 1, ceil_mode, who)
    if divisor_override is not None and divisor_override <= 0:
        raise RuntimeError(f"{who}: divisor must be not zero, got divisor_override={divisor_override}")
    x, batched = _as_2d(input, dims)
    divisor = _divisor(x.shape, w, count_include_pad, divisor_override, x.dtype)
    return _from_2d(AvgPool2d.apply(x, w, divisor), dims, batched)


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over windows of (N, C, L) or (C, L); stride defaults to kernel_size."""
    return max_pool(input, 1, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool1d")


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over windows of (N, C, H, W) or (C, H, W); stride defaults to kernel_size. With
    return_indices, also each maximum's index in its flattened H·W input plane."""
    return max_pool(input, 2, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool2d")


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over windows of (N, C, L) or (C, L); stride defaults to kernel_size."""
    return avg_pool(input, 1, kernel_size, stride, padding, ceil_mode, count_include_pad, None, "avg_pool1d")


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: Optional[int] = None) -> Tensor:
    """Mean over windows of (N, C, H, W) or (C, H, W); padding counts in the mean unless
    count_include_pad=False; divisor_override replaces the window size."""
    return avg_pool(input, 2, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
                    "avg_pool2d")


# -- adaptive average pooling: separable averaging matrices -----------------------------------------

def _averaging_matrix(n: int, out: int, dtype: Any) -> Tensor:
    """(out, n): row i averages inputs ⌊i·n/out⌋ to ⌈(i+1)·n/out⌉ - 1 (PyTorch's adaptive windows)."""
    i = np.arange(out)
    start, end = (i * n) // out, -((-(i + 1) * n) // out)
    cols = np.arange(n)
    inside = (cols >= start[:, None]) & (cols < end[:, None])
    return Tensor._make((inside / (end - start)[:, None]).astype(dtype))


def _adaptive_sizes(input: Tensor, output_size: Any, dims: int, who: str) -> tuple:
    _check_rank(input, dims, who)
    sizes = (output_size,) * dims if isinstance(output_size, (int, type(None))) else tuple(output_size)
    if len(sizes) != dims:
        raise RuntimeError(f"{who}: output_size must have {dims} elements, got {output_size!r}")
    sizes = tuple(n if o is None else int(o) for o, n in zip(sizes, input.shape[-dims:]))
    if min(sizes) < 1:
        raise RuntimeError(f"{who}: output_size must be positive, got {output_size!r}")
    return sizes


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Mean over `output_size` near-equal windows of the last dimension of (N, C, L) or (C, L)."""
    (ol,) = _adaptive_sizes(input, output_size, 1, "adaptive_avg_pool1d")
    return matmul(input, _averaging_matrix(input.shape[-1], ol, input.dtype).mT)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Mean over an output_size grid of near-equal windows of (N, C, H, W) or (C, H, W): A_h · x · A_wᵀ.
    output_size is an int, or a pair whose None entries keep the input size."""
    oh, ow = _adaptive_sizes(input, output_size, 2, "adaptive_avg_pool2d")
    h, w = input.shape[-2:]
    rows = matmul(_averaging_matrix(h, oh, input.dtype), input)
    return matmul(rows, _averaging_matrix(w, ow, input.dtype).mT)


# -- nearest-neighbour interpolation: indexing ------------------------------------------------------

def _nearest_source(n: int, out: int, scale: Optional[float], exact: bool, shortcuts: bool) -> np.ndarray:
    """Input index read by each output index i, as PyTorch's CPU kernels compute it, in float32 with
    s = 1/scale_factor if given, else n/out: ⌊i·s⌋ ('nearest') or ⌊(i + ½)·s⌋ ('nearest-exact'), at most
    n - 1. Its 2-D 'nearest' kernel (`shortcuts`) instead copies when out = n and halves i when out = 2n."""
    i = np.arange(out)
    if shortcuts and out in (n, 2 * n):
        return i * n // out
    s = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(n) / np.float32(out)
    where = i.astype(np.float32)
    if exact:
        where += np.float32(0.5)
    return np.minimum(np.floor(where * s).astype(np.int64), n - 1)


def _gather_along(x: Tensor, axis: int, source: np.ndarray) -> Tensor:
    """x indexed by `source` along `axis`; a whole-number upscaling repeats instead (a faster gradient)."""
    n, out = x.shape[axis], source.size
    if out == n and np.array_equal(source, np.arange(out)):
        return x
    r = out // n
    if r * n == out and np.array_equal(source, np.arange(out) // r):
        wide = unsqueeze(x, axis + 1)
        shape = list(wide.shape)
        shape[axis + 1] = r
        return reshape(expand(wide, shape), x.shape[:axis] + (out,) + x.shape[axis + 1:])
    return index_select(x, axis, Tensor._make(source))


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: Optional[bool] = None, recompute_scale_factor: Optional[bool] = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dimensions of (N, C, *spatial) to `size` or by `scale_factor`.

    Modes 'nearest' and 'nearest-exact' (each output pixel copies one input pixel; the gradient adds
    back into it). Output size ⌊n·scale_factor⌋ when a scale is given.
    """
    return resize(input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias, "interpolate")


def resize(input: Tensor, size: Any, scale_factor: Any, mode: str, align_corners: Optional[bool],
           recompute_scale_factor: Optional[bool], antialias: bool, who: Any) -> Tensor:
    """interpolate, with `who` naming the caller in error messages."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{who}: argument 'input' must be a Tensor, not {type(input).__name__}")
    if mode not in ("nearest", "nearest-exact"):
        raise NotImplementedError(f"{who}: mode {mode!r} is not supported; chainrule implements "
                                  f"'nearest' and 'nearest-exact'")
    if align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias:
        raise ValueError("antialias is only supported by the interpolating modes")
    dims = input.ndim - 2
    if not 1 <= dims <= 3:
        raise ValueError(f"{who} expected an input (N, C, *spatial) with 1 to 3 spatial dimensions, "
                         f"got shape {tuple(input.shape)}")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined" if size is not None
                         else "either size or scale_factor should be defined")
    spatial = input.shape[2:]
    if size is not None:
        sizes = ntuple(size, dims, "size")
        scales: tuple = (None,) * dims
    else:
        scales = tuple(float(f) for f in ((scale_factor,) * dims if isinstance(scale_factor, (int, float))
                                          else scale_factor))
        if len(scales) != dims:
            raise ValueError(f"{who}: scale_factor must have {dims} elements for input of shape "
                             f"{tuple(input.shape)}, got {scale_factor!r}")
        sizes = tuple(math.floor(n * f) for n, f in zip(spatial, scales))
        if recompute_scale_factor:
            scales = (None,) * dims
    if min(sizes) < 1:
        raise ValueError(f"{who}: output size {sizes} must be positive (input of shape {tuple(input.shape)})")
    out = input
    exact = mode == "nearest-exact"
    for d, (n, o, sc) in enumerate(zip(spatial, sizes, scales)):
        out = _gather_along(out, 2 + d, _nearest_source(n, o, sc, exact, dims == 2 and not exact))
    return out
