"""ONNX conversions of the fused layer operations of `chainrule.nn.functional`: each maps to one ONNX
operator where ONNX has it (Gemm, Conv, ConvTranspose, MaxPool, AveragePool, BatchNormalization,
LayerNormalization, Gather, Clip)."""
from __future__ import annotations

from typing import List

import numpy as np

from ..nn.functional import activation, conv, normalization, pooling, sparse
from ..nn.functional.linear import Linear
from .graph import Node, converts, varies


@converts(Linear)
def linear_layer(n: Node) -> List[str]:
    """y = x Wᵀ + b: Gemm for a batch of vectors, MatMul (+ Add) for more leading dimensions."""
    x, w, b = n.input(0), n.input(1), n.input(2)
    if len(n.shape(0)) == 2:
        return [n.g.op("Gemm", [x, w] + ([b] if b else []), transB=1)]
    y = n.g.op("MatMul", [x, n.g.op("Transpose", [w], perm=[1, 0])])
    return [n.g.op("Add", [y, b]) if b else y]


def _geometry(geo: conv.Geometry) -> dict:
    ((t, b), (l, r)) = geo.padding
    return dict(strides=list(geo.stride), pads=[t, l, b, r], dilations=list(geo.dilation))


@converts(conv.Conv2d)
def conv2d(n: Node) -> List[str]:
    geo = n.arg(3)
    inputs = [n.input(0), n.input(1)] + ([n.input(2)] if n.call.args[2] is not None else [])
    return [n.g.op("Conv", inputs, kernel_shape=list(n.shape(1)[2:]), group=geo.groups, **_geometry(geo))]


@converts(conv.ConvTranspose2d)
def conv_transpose2d(n: Node) -> List[str]:
    """ONNX's output size (in-1)·s + output_padding + d(k-1) + 1 - pads: output_padding makes up the rest."""
    geo = n.arg(3)
    out_runs = [tuple(out[2:]) for out in n.arg_runs(4)]
    if varies(out_runs) or any(varies(runs) for runs in n.shape_runs(0)[2:]):
        raise n.fail("the spatial size of its input and output must not change with the dynamic axes")
    size, out_size = n.shape(0)[2:], out_runs[0]
    kernel = n.shape(1)[2:]
    extra = [o - ((i - 1) * s - (p0 + p1) + d * (k - 1) + 1)
             for o, i, s, (p0, p1), d, k in zip(out_size, size, geo.stride, geo.padding, geo.dilation, kernel)]
    inputs = [n.input(0), n.input(1)] + ([n.input(2)] if n.call.args[2] is not None else [])
    return [n.g.op("ConvTranspose", inputs, kernel_shape=list(kernel), group=geo.groups,
                   output_padding=extra if any(extra) else None, **_geometry(geo))]


def _window(n: Node) -> pooling.Window:
    """The pooling window (argument 1), which may only differ between traces in its output size."""
    runs = n.arg_runs(1)
    if varies([(w.kernel, w.stride, w.dilation, w.padding) for w in runs]):
        raise n.fail("ceil_mode=True with a spatial size that changes with the dynamic axes")
    return runs[0]


def _pool_attrs(w: pooling.Window) -> dict:
    ((t, b), (l, r)) = w.padding
    return dict(kernel_shape=list(w.kernel), strides=list(w.stride), pads=[t, l, b, r])


@converts(pooling.MaxPool2d)
def max_pool2d(n: Node) -> List[str]:
    """Padding is as chainrule computed it (ceil mode included), so ONNX's floor mode gives the same windows."""
    w = _window(n)
    if n.arg(2):
        raise n.fail("max pooling with return_indices=True (ONNX numbers the indices differently)")
    return [n.g.op("MaxPool", [n.input(0)], dilations=list(w.dilation), **_pool_attrs(w))]


@converts(pooling.AvgPool2d)
def avg_pool2d(n: Node) -> List[str]:
    """Window sums over zero padding (AveragePool counting the padding, times the window size), divided by
    chainrule's divisor per output position; a plain AveragePool when that divisor is the window size."""
    w = _window(n)
    area = int(np.prod(w.kernel))
    mean = n.g.op("AveragePool", [n.input(0)], count_include_pad=1, **_pool_attrs(w))
    if all(np.all(divisor == area) for divisor in n.arg_runs(2)):
        return [mean]
    dt = n.dtype(0)
    total = n.g.op("Mul", [mean, n.g.scalar(area, dt)])
    return [n.g.op("Div", [total, n.g.const(np.asarray(n.arg(2), dtype=dt))])]


@converts(normalization.Normalize)
def normalize(n: Node) -> List[str]:
    """Batch norm with fixed statistics: BatchNormalization. Layer norm: LayerNormalization (opset 17+).
    Otherwise (group norm, batch statistics) spelled out: (x - mean) / √(var + eps) · weight + bias."""
    axes, view, eps, stats = n.arg(3), n.arg(4), float(n.arg(5)), n.arg(6)
    shape = n.shape(0)
    rank = len(shape)
    dt = n.dtype(0)
    x = n.input(0)
    channels = shape[1] if rank > 1 else 0
    if stats is not None:
        if tuple(axes) != (0,) + tuple(range(2, rank)) or tuple(view) != (channels,) + (1,) * (rank - 2):
            raise n.fail(f"fixed statistics over axes {axes} (only batch norm's are supported)")
        flat = [np.asarray(s).astype(dt, copy=False).reshape(channels) for s in stats]
        mean, var = (n.g.const(s, n.g.param_name(s)) for s in flat)
        return [n.g.op("BatchNormalization", [x, _param(n, 1, channels, 1), _param(n, 2, channels, 0), mean, var],
                       epsilon=eps)]
    k = len(view)
    if n.opset >= 17 and k and tuple(axes) == tuple(range(rank - k, rank)) and tuple(view) == tuple(shape[rank - k:]):
        bias = [_param(n, 2, view, 0)] if n.call.args[2] is not None else []
        return [n.g.op("LayerNormalization", [x, _param(n, 1, view, 1)] + bias, axis=-k, epsilon=eps)]
    mean = n.g.reduce("ReduceMean", x, axes, True)
    centered = n.g.op("Sub", [x, mean])
    var = n.g.reduce("ReduceMean", n.g.op("Mul", [centered, centered]), axes, True)
    y = n.g.op("Div", [centered, n.g.op("Sqrt", [n.g.op("Add", [var, n.g.scalar(eps, dt)])])])
    for i, combine in ((1, "Mul"), (2, "Add")):
        if n.call.args[i] is not None:
            y = n.g.op(combine, [y, n.g.op("Reshape", [n.input(i), n.g.ints(view)])])
    return [y]


def _param(n: Node, i: int, shape: tuple, fill: float) -> str:
    """Argument i (weight or bias) in `shape`, or a constant `fill` when the layer has none."""
    if n.call.args[i] is None:
        return n.g.const(np.full(shape, fill, dtype=n.dtype(0)), "ones" if fill else "zeros")
    if tuple(n.shape(i)) == tuple(np.atleast_1d(shape)):
        return n.input(i)
    return n.g.op("Reshape", [n.input(i), n.g.ints(np.atleast_1d(shape))])


@converts(sparse.Embedding)
def embedding(n: Node) -> List[str]:
    """Rows of the table at the indices (padding_idx and scale_grad_by_freq only change gradients)."""
    return [n.g.op("Gather", [n.input(0), n.input(1)], axis=0)]


@converts(activation.Hardtanh)
def hardtanh(n: Node) -> List[str]:
    dt = n.dtype(0)
    return [n.g.op("Clip", [n.input(0), n.g.scalar(n.arg(1), dt), n.g.scalar(n.arg(2), dt)])]
