"""Convolutions (conv1d, conv2d, conv_transpose1d, conv_transpose2d) as large matrix products.

im2col copies every receptive field of the (padded) input into a column
matrix, kernel-major: (C·kh·kw, N·OH·OW), one column per output pixel of
the batch (per group: (groups, C/groups·kh·kw, N·OH·OW)). Then each product
is one matrix product per group, with gr = g as (O, N·OH·OW):

    y           = W · cols                            W viewed as (O, C/groups·kh·kw)
    grad_weight = gr · colsᵀ
    grad_input  = col2im(Wᵀ · gr)                      adding each kernel position's rows back into the
                                                       input slice that position read

The columns of a whole batch can be tens of megabytes, written to memory and
read back by the product; so the batch runs in blocks of images whose columns
take a few megabytes (BLOCK_BYTES) and stay in cache from im2col through the
product (and, in backward, through col2im). A block's product is still one
large BLAS call. When the per-sample products are small (a first layer with
one input channel), BLAS runs them on one thread, and one large product with
a dimension that thin hands off badly: those run as a batch of per-sample
products over views of the same columns. Loops run over the kh·kw kernel
positions and the blocks only, never over pixels or channels.

With stride 1 the columns are "wide" (`Layout`): kernel position (i, j)
reads the flattened padded image at the fixed offset i·dh·Wp + j·dw, so its
rows are one slice per image and channel, copied (and, in col2im, added
back) in runs of thousands of values instead of runs of one output row. A
row then also holds the Wp - OW positions between output rows, which the
products compute and the output view skips (zeros in the output gradient's
rows): for W2's 32->64 convolution 8% more multiply-adds, against copies
twice as fast; its step went from 61 to 58 ms on 2 cores. A 1-D
convolution is the 2-D one with height 1; a transposed convolution is the
input gradient of a convolution (and its backward that convolution's forward
and weight gradient).

Memory: the columns are kh·kw times the input, so they are not kept for
backward; backward rebuilds them from the saved input (a copy costing a few
percent of the step), and every scratch array comes from a small pool,
which also spares the page faults of a fresh multi-megabyte array on every
call. Backward is NumPy-only (`once_differentiable`).
"""
from __future__ import annotations

import threading
from collections import namedtuple
from typing import Any, Iterator, Optional, Sequence, Union

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ...autograd.function import Function, once_differentiable
from ...ops.shape import pad, squeeze, unsqueeze
from ...tensor import Tensor

# stride, dilation: (sh, sw); padding: ((top, bottom), (left, right)); groups: int
Geometry = namedtuple("Geometry", ["stride", "padding", "dilation", "groups"])


class Workspace:
    """Scratch arrays reused between calls. An array is taken out while in use and given back once
    dead, so no two users ever hold the same one; at most `max_bytes` of idle arrays are kept."""

    def __init__(self, max_bytes: int = 256 << 20) -> None:
        self.max_bytes = max_bytes
        self.idle: list = []
        self.lock = threading.Lock()

    def take(self, shape: tuple, dtype: Any) -> np.ndarray:
        with self.lock:
            for i, a in enumerate(self.idle):
                if a.shape == shape and a.dtype == dtype:
                    return self.idle.pop(i)
        return np.empty(shape, dtype)

    def give(self, a: np.ndarray) -> None:
        with self.lock:
            self.idle.append(a)
            while sum(b.nbytes for b in self.idle) > self.max_bytes:
                self.idle.pop(0)  # the oldest


workspace = Workspace()


def out_size(size: int, kernel: int, stride: int, pad: int, dilation: int) -> int:
    """Number of window positions: ⌊(size + pad - dilation·(kernel-1) - 1) / stride⌋ + 1 (pad: both sides)."""
    return (size + pad - dilation * (kernel - 1) - 1) // stride + 1


def _padded(x: np.ndarray, padding: tuple) -> tuple:
    """x with zero borders (in a workspace array), and whether that array is a workspace one."""
    (t, b), (l, r) = padding
    if not (t or b or l or r):
        return x, False
    n, c, h, w = x.shape
    xp = workspace.take((n, c, h + t + b, w + l + r), x.dtype)
    xp[:, :, :t] = 0
    xp[:, :, t + h:] = 0
    xp[:, :, t:t + h, :l] = 0
    xp[:, :, t:t + h, l + w:] = 0
    xp[:, :, t:t + h, l:l + w] = x
    return xp, True


Layout = namedtuple("Layout", ["row", "length", "wide"])
Layout.__doc__ = """Where output pixel (p, q) of image k sits in a row of a column matrix: at column
k·length + p·row + q. Packed: row OW, length OH·OW. Wide (stride 1): row = the padded input width."""


def layout(out_hw: tuple, padded_w: int, geo: Geometry, per_sample_: bool) -> Layout:
    """Wide columns for stride-1 convolutions run in blocks (see the module notes), packed otherwise."""
    oh, ow = out_hw
    if geo.stride == (1, 1) and not per_sample_:
        return Layout(padded_w, (oh - 1) * padded_w + ow, True)
    return Layout(ow, oh * ow, False)


def _taps(xp: np.ndarray, kernel: tuple, out_hw: tuple, geo: Geometry, lay: Layout) -> Iterator[tuple]:
    """For each kernel position (i, j), the part of the padded input xp (N, C, Hp, Wp) it reads, as a view:
    (N, C, OH, OW), strided; wide: (N, C, length), a slice of each flattened image at offset i·dh·Wp + j·dw."""
    (kh, kw), (oh, ow), (sh, sw), (dh, dw) = kernel, out_hw, geo.stride, geo.dilation
    n, c, hp, wp = xp.shape
    flat = xp.reshape(n, c, hp * wp) if lay.wide else None  # (a view: xp is contiguous, see callers)
    for i in range(kh):
        for j in range(kw):
            if lay.wide:
                start = i * dh * wp + j * dw
                yield i, j, flat[:, :, start:start + lay.length]
            else:
                yield i, j, xp[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]


def _spread(cols: np.ndarray, c: int, kernel: tuple, n: int, out_hw: tuple, lay: Layout) -> np.ndarray:
    """Columns (G, C/G·kh·kw, N·length) viewed as (C, kh, kw, N, OH, OW), or (C, kh, kw, N, length) wide."""
    return cols.reshape((c,) + kernel + (n,) + ((lay.length,) if lay.wide else out_hw))


def im2col(x: np.ndarray, kernel: tuple, out_hw: tuple, geo: Geometry, lay: Layout) -> np.ndarray:
    """Receptive fields of x (N, C, H, W) as columns (groups, C/groups·kh·kw, N·length), a workspace array."""
    xp, pooled = _padded(np.ascontiguousarray(x), geo.padding)
    n, c = x.shape[:2]
    g = geo.groups
    cols = workspace.take((g, c // g * kernel[0] * kernel[1], n * lay.length), x.dtype)
    spread = _spread(cols, c, kernel, n, out_hw, lay)
    for i, j, part in _taps(xp, kernel, out_hw, geo, lay):
        np.copyto(spread[:, i, j], part.swapaxes(0, 1))
    if pooled:
        workspace.give(xp)
    return cols


def col2im(dxp: np.ndarray, spread: np.ndarray, kernel: tuple, out_hw: tuple, geo: Geometry, lay: Layout) -> None:
    """Add each kernel position's rows of spread (C, kh, kw, N, ...) back into the part of the padded input
    gradient dxp (N, C, Hp, Wp), contiguous, that position read."""
    for i, j, part in _taps(dxp, kernel, out_hw, geo, lay):
        part += spread[:, i, j].swapaxes(0, 1)


PER_SAMPLE_LIMIT = 1 << 18  # multiply-adds; OpenBLAS runs smaller products on one thread
BLOCK_BYTES = 4 << 20  # column matrix of one block of images: small enough to stay in cache (measured: 2-8 MiB alike)


def per_sample(w_shape: tuple, groups: int, out_hw: tuple) -> bool:
    """Whether this convolution's products run as a batch of per-sample ones (see the module notes):
    each of its three products has (O/groups)·(C/groups·kh·kw)·OH·OW multiply-adds per sample."""
    o, cg, kh, kw = w_shape
    return o // groups * cg * kh * kw * out_hw[0] * out_hw[1] < PER_SAMPLE_LIMIT


def blocks(n: int, w_shape: tuple, groups: int, length: int, itemsize: int) -> list:
    """The batch as slices of images whose column matrix (`length` columns per image) takes about
    BLOCK_BYTES (at least one image): columns built, multiplied and used while still in cache, instead of
    one matrix of the whole batch that goes out to memory and back (for a 32->64 channel 3x3 convolution
    of 64 images, 42 MB)."""
    _, cg, kh, kw = w_shape
    per = max(1, BLOCK_BYTES // (groups * cg * kh * kw * length * itemsize))
    return [slice(s, min(s + per, n)) for s in range(0, max(n, 1), per)]  # an empty batch: one empty block


def pixels(r: np.ndarray, n: int, out_hw: tuple, lay: Layout) -> np.ndarray:
    """Rows r (G, O/G, N·length), contiguous, viewed as the (N, O, OH, OW) pixels they hold."""
    item = r.itemsize
    return as_strided(r, (n, r.shape[0] * r.shape[1]) + out_hw,
                      (lay.length * item, r.shape[2] * item, lay.row * item, item))


def rows(g: np.ndarray, groups: int, lay: Layout) -> np.ndarray:
    """An output gradient (N, O, OH, OW) as rows (groups, O/groups, N·length), a workspace array (zero between
    the rows of wide ones, so the positions no output has add nothing)."""
    n, o = g.shape[:2]
    r = workspace.take((groups, o // groups, n * lay.length), g.dtype)
    if lay.wide and lay.row != g.shape[3]:
        r.fill(0)
    np.copyto(pixels(r, n, g.shape[2:], lay), g)
    return r


def _by_sample(cols: np.ndarray, n: int, l: int) -> np.ndarray:
    """Columns (G, K, N·L) viewed per sample: (N, G, K, L)."""
    return cols.reshape(cols.shape[:2] + (n, l)).transpose(2, 0, 1, 3)


def conv_forward(x: np.ndarray, w: np.ndarray, bias: Optional[np.ndarray], geo: Geometry) -> np.ndarray:
    """The convolution (cross-correlation) of x (N, C, H, W) with w (O, C/groups, kh, kw), plus bias."""
    n = x.shape[0]
    o, cg, kh, kw = w.shape
    g = geo.groups
    (sh, sw), ((t, b), (lp, rp)), (dh, dw) = geo.stride, geo.padding, geo.dilation
    oh, ow = out_size(x.shape[2], kh, sh, t + b, dh), out_size(x.shape[3], kw, sw, lp + rp, dw)
    wg = w.reshape(g, o // g, -1)
    alone = per_sample(w.shape, g, (oh, ow))
    lay = layout((oh, ow), x.shape[3] + lp + rp, geo, alone)
    if alone:
        cols = im2col(x, (kh, kw), (oh, ow), geo, lay)
        # (N, G, O/G, L): already (N, O, OH, OW)
        out = np.matmul(wg, _by_sample(cols, n, oh * ow)).reshape(n, o, oh, ow)
        workspace.give(cols)
        if bias is not None:
            out += bias.reshape(-1, 1, 1)
        return out
    out = np.empty((n, o, oh, ow), x.dtype)
    for s in blocks(n, w.shape, g, lay.length, x.itemsize):
        cols = im2col(x[s], (kh, kw), (oh, ow), geo, lay)
        prod = workspace.take((g, o // g, cols.shape[2]), x.dtype)
        np.matmul(wg, cols, out=prod)
        workspace.give(cols)
        by_sample = pixels(prod, out[s].shape[0], (oh, ow), lay)
        if bias is None:
            np.copyto(out[s], by_sample)
        else:  # back to (N, O, OH, OW) and the bias added, in one pass
            np.add(by_sample, bias.reshape(-1, 1, 1), out=out[s])
        workspace.give(prod)
    return out


def conv_grads(g: np.ndarray, x: Optional[np.ndarray], w: Optional[np.ndarray], w_shape: tuple, x_shape: tuple,
               geo: Geometry) -> tuple:
    """The gradients of the convolution of x with w (shape w_shape) from its output gradient g (N, O, OH, OW):
    d loss / d x (shape x_shape) = col2im of Wᵀ · g as rows, unless w is None, and d loss / d w = Σ over blocks
    of images of g as rows · colsᵀ, unless x is None. Each block's rows of g serve both products."""
    o, cg, kh, kw = w_shape
    groups = geo.groups
    n, _, oh, ow = g.shape
    c, h, wd = x_shape[1:]
    (t, b), (lp, rp) = geo.padding
    dxp = None if w is None else np.zeros((n, c, h + t + b, wd + lp + rp), g.dtype)
    wt = None if w is None else w.reshape(groups, o // groups, -1).swapaxes(-1, -2)
    gw = None
    alone = per_sample(w_shape, groups, (oh, ow))
    lay = layout((oh, ow), wd + lp + rp, geo, alone)
    if alone:
        gs = g.reshape(n, groups, o // groups, oh * ow)
        if w is not None:
            gcols = workspace.take((n, groups, cg * kh * kw, oh * ow), g.dtype)
            np.matmul(wt, gs, out=gcols)
            col2im(dxp, gcols.reshape(n, c, kh, kw, oh, ow).transpose(1, 2, 3, 0, 4, 5), (kh, kw), (oh, ow),
                   geo, lay)
            workspace.give(gcols)
        if x is not None:  # Σₙ gₙ · colsₙᵀ
            cols = im2col(x, (kh, kw), (oh, ow), geo, lay)
            gw = np.matmul(gs, _by_sample(cols, n, oh * ow).swapaxes(-1, -2)).sum(axis=0).reshape(w_shape)
            workspace.give(cols)
    else:
        for s in blocks(n, w_shape, groups, lay.length, g.itemsize):
            gr = rows(g[s], groups, lay)
            m = gr.shape[2] // lay.length  # images in this block
            if w is not None:
                gcols = workspace.take((groups, cg * kh * kw, gr.shape[2]), g.dtype)
                np.matmul(wt, gr, out=gcols)
                col2im(dxp[s], _spread(gcols, c, (kh, kw), m, (oh, ow), lay), (kh, kw), (oh, ow), geo, lay)
                workspace.give(gcols)
            if x is not None:
                cols = im2col(x[s], (kh, kw), (oh, ow), geo, lay)
                part = np.matmul(cols, gr.swapaxes(-1, -2))  # (cols · grᵀ)ᵀ: faster in OpenBLAS than gr · colsᵀ
                workspace.give(cols)
                if gw is None:
                    gw = part
                else:
                    gw += part
            workspace.give(gr)
        if gw is not None:
            gw = gw.swapaxes(-1, -2).reshape(w_shape)
    if dxp is not None and (t or b or lp or rp):
        dxp = dxp[:, :, t:t + h, lp:lp + wd]
    return dxp, gw


class Conv2d(Function):
    """y = W ⋆ x + b (cross-correlation) for x (N, C, H, W); once differentiable."""
    __slots__ = ("geo", "x_shape", "w_shape")

    @staticmethod
    def forward(ctx, x, w, bias, geo):
        ctx.geo, ctx.x_shape, ctx.w_shape = geo, x.shape, w.shape
        need = ctx.needs_input_grad
        if need:  # keep only what backward will use
            ctx.save_for_backward(x if need[1] else None, w if need[0] else None)
        return conv_forward(x, w, bias, geo)

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gx = gw = None
        if need_x or need_w:
            gx, gw = conv_grads(g, x if need_w else None, w if need_x else None, ctx.w_shape, ctx.x_shape, ctx.geo)
        return gx, gw, g.sum(axis=(0, 2, 3)) if need_b else None, None


class ConvTranspose2d(Function):
    """The input gradient of a convolution, applied to x: y = Wᵀ ⋆ x + b; once differentiable.

    Its backward is the convolution's forward (grad_x = W ⋆ g) and weight gradient (with x and g swapped).
    """
    __slots__ = ("geo", "w_shape")

    @staticmethod
    def forward(ctx, x, w, bias, geo, out_shape):
        ctx.geo, ctx.w_shape = geo, w.shape
        need = ctx.needs_input_grad
        if need:
            ctx.save_for_backward(x if need[1] else None, w if need[0] else None)
        out = np.ascontiguousarray(conv_grads(x, None, w, w.shape, out_shape, geo)[0])
        if bias is not None:
            out += bias.reshape(-1, 1, 1)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gw = conv_grads(x, g, None, ctx.w_shape, g.shape, ctx.geo)[1] if need_w else None
        return (conv_forward(g, w, None, ctx.geo) if need_x else None, gw,
                g.sum(axis=(0, 2, 3)) if need_b else None, None, None)


# -- argument handling shared by the functions and the layers -------------------------------------

_SPATIAL = {1: "L", 2: "H, W"}


def ntuple(value: Any, n: int, name: str) -> tuple:
    """An int repeated n times, or a sequence of n ints (PyTorch's _single / _pair)."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) != n:
        raise ValueError(f"expected {name} to be a single int or a sequence of {n} ints, got {value}")
    return value


def same_padding(kernel: tuple, dilation: tuple) -> tuple:
    """(before, after) per dimension so that the output keeps the input size: the odd pixel goes after."""
    return tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation))


def _padding(padding: Union[str, int, Sequence[int]], kernel: tuple, stride: tuple, dilation: tuple) -> tuple:
    """((before, after), ...) per spatial dimension, from an int, a tuple, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * len(kernel)
        if padding != "same":
            raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
        if any(s != 1 for s in stride):
            raise ValueError("padding='same' is not supported for strided convolutions")
        return same_padding(kernel, dilation)
    return tuple((p, p) for p in ntuple(padding, len(kernel), "padding"))


def _check(input: Any, weight: Any, bias: Any, dims: int, channels: int, out_channels: int, groups: int,
           who: Any) -> None:
    """Clear errors for a wrong input rank, channel count, weight or bias shape, or mixed dtypes."""
    for name, t in (("input", input), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{who}: argument '{name}' must be a Tensor, not {type(t).__name__}")
    spatial = _SPATIAL[dims]
    shape = tuple(input.shape)
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{who} expected a {dims + 2}-D input (N, {channels}, {spatial}) or a {dims + 1}-D "
                           f"unbatched input ({channels}, {spatial}), got a {input.ndim}-D input of shape {shape}")
    if shape[-dims - 1] != channels:
        raise RuntimeError(f"{who} expected input with {channels} channels (shape (N, {channels}, {spatial}) or "
                           f"({channels}, {spatial})), got shape {shape}")
    if weight.ndim != dims + 2:
        raise RuntimeError(f"{who} expected a {dims + 2}-D weight, got shape {tuple(weight.shape)}")
    if groups < 1 or weight.shape[0] % groups:
        raise RuntimeError(f"{who}: groups must be a positive divisor of the weight's first dimension "
                           f"{weight.shape[0]}, got groups={groups}")
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise RuntimeError(f"{who} expected a bias of shape ({out_channels},), got shape {tuple(bias.shape)}")
    if input.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):
        raise RuntimeError(f"{who}: input ({input.dtype}), weight ({weight.dtype})"
                           + (f" and bias ({bias.dtype})" if bias is not None else "") + " must have the same dtype")


def _spatial_2d(x: Tensor, w: Tensor, dims: int) -> tuple:
    """A 1-D convolution runs as a 2-D one over height 1."""
    return (unsqueeze(x, 2), unsqueeze(w, 2)) if dims == 1 else (x, w)


def _geometry(dims: int, stride: tuple, padding: tuple, dilation: tuple, groups: int) -> Geometry:
    if dims == 1:
        return Geometry((1,) + stride, ((0, 0),) + padding, (1,) + dilation, groups)
    return Geometry(stride, padding, dilation, groups)


def convolution(input: Tensor, weight: Tensor, bias: Optional[Tensor], stride: Any, padding: Any, dilation: Any,
                groups: int, dims: int, who: Any, padding_mode: str = "zeros") -> Tensor:
    """conv1d / conv2d of a batched or unbatched input; `who` names the caller in error messages.
    padding_mode other than 'zeros' pads with F.pad's mode of that name first (as the Conv layers do)."""
    _check(input, weight, bias, dims, weight.shape[1] * groups if weight.ndim > 1 else -1,
           weight.shape[0] if weight.ndim else -1, groups, who)
    kernel = tuple(weight.shape[2:])
    stride, dilation = ntuple(stride, dims, "stride"), ntuple(dilation, dims, "dilation")
    pads = _padding(padding, kernel, stride, dilation)
    sizes = tuple(out_size(n, k, s, a + b, d)
                  for n, k, s, (a, b), d in zip(input.shape[-dims:], kernel, stride, pads, dilation))
    if min(sizes) < 1:
        raise RuntimeError(f"{who}: input of shape {tuple(input.shape)} padded by {pads} is smaller than the "
                           f"kernel {kernel} with dilation {dilation} (output size would be {sizes})")
    batched = input.ndim == dims + 2
    x = input if batched else unsqueeze(input, 0)
    if padding_mode != "zeros":
        x = pad(x, [p for pair in reversed(pads) for p in pair], mode=padding_mode)
        pads = ((0, 0),) * dims
    x, w = _spatial_2d(x, weight, dims)
    out = Conv2d.apply(x, w, bias, _geometry(dims, stride, pads, dilation, groups))
    if dims == 1:
        out = squeeze(out, 2)
    return out if batched else squeeze(out, 0)


def convolution_transpose(input: Tensor, weight: Tensor, bias: Optional[Tensor], stride: Any, padding: Any,
                          output_padding: Any, groups: int, dilation: Any, dims: int, who: Any,
                          output_size: Optional[Sequence[int]] = None) -> Tensor:
    """conv_transpose1d / conv_transpose2d: the input gradient of the matching convolution, applied to `input`.
    output_size (spatial sizes, or with batch and channels) picks the output_padding that gives it."""
    _check(input, weight, bias, dims, weight.shape[0] if weight.ndim else -1,
           weight.shape[1] * groups if weight.ndim > 1 else -1, groups, who)
    kernel = tuple(weight.shape[2:])
    stride, dilation = ntuple(stride, dims, "stride"), ntuple(dilation, dims, "dilation")
    pads, extra = ntuple(padding, dims, "padding"), ntuple(output_padding, dims, "output_padding")
    smallest = tuple((n - 1) * s - 2 * p + d * (k - 1) + 1
                     for n, k, s, p, d in zip(input.shape[-dims:], kernel, stride, pads, dilation))
    if output_size is not None:
        wanted = tuple(output_size)
        if len(wanted) == input.ndim:  # with the batch and channel sizes (or channels only, unbatched)
            wanted = wanted[-dims:]
        if len(wanted) != dims or any(not m <= o < m + s for o, m, s in zip(wanted, smallest, stride)):
            raise ValueError(f"{who}: requested output_size {tuple(output_size)}, but for input of shape "
                             f"{tuple(input.shape)} the valid spatial sizes range from {smallest} to "
                             f"{tuple(m + s - 1 for m, s in zip(smallest, stride))}")
        extra = tuple(o - m for o, m in zip(wanted, smallest))
    elif any(e >= s and e >= d for e, s, d in zip(extra, stride, dilation)):
        raise RuntimeError(f"{who}: output padding must be smaller than either stride or dilation, got "
                           f"output_padding={extra}, stride={stride}, dilation={dilation}")
    sizes = tuple(m + e for m, e in zip(smallest, extra))
    if min(sizes) < 1:
        raise RuntimeError(f"{who}: input of shape {tuple(input.shape)} gives an empty output {sizes}")
    batched = input.ndim == dims + 2
    x, w = _spatial_2d(input if batched else unsqueeze(input, 0), weight, dims)
    out_shape = (x.shape[0], weight.shape[1] * groups) + ((1,) if dims == 1 else ()) + sizes
    geo = _geometry(dims, stride, tuple((p, p) for p in pads), dilation, groups)
    out = ConvTranspose2d.apply(x, w, bias, geo, out_shape)
    if dims == 1:
        out = squeeze(out, 2)
    return out if batched else squeeze(out, 0)


def conv1d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D convolution of (N, C, L) or (C, L) with weight (O, C/groups, k); padding may be 'same' or 'valid'."""
    return convolution(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution of (N, C, H, W) or (C, H, W) with weight (O, C/groups, kh, kw); padding may be 'same'."""
    return convolution(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 1-D convolution of (N, C, L) with weight (C, O/groups, k)."""
    return convolution_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                                 "conv_transpose1d")


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 2-D convolution of (N, C, H, W) with weight (C, O/groups, kh, kw):
    output size (H-1)·stride - 2·padding + dilation·(kh-1) + output_padding + 1."""
    return convolution_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                                 "conv_transpose2d")
