"""ONNX conversions of the tensor operations in `chainrule.ops`: one small converter per Function class.

Each takes a `Node` (the recorded operation) and returns the ONNX value names
of the operation's outputs, in order.
"""
from __future__ import annotations

import math
from typing import Any, List, Sequence

import numpy as np

from ..ops import activation as F, arithmetic as A, compare as C, elementwise as E, indexing as I, reduction as R
from ..ops import shape as S
from .graph import INT64_MAX, INT64_MIN, Node, converts, varies
from .trace import same


def _inputs(n: Node, count: int) -> List[str]:
    return [n.input(i) for i in range(count)]


# -- elementwise: one ONNX operator each ------------------------------------------------------------

_SAME = {A.Add: "Add", A.Sub: "Sub", A.Mul: "Mul", A.MatMul: "MatMul", A.Neg: "Neg", A.Pow: "Pow",
         E.Exp: "Exp", E.Log: "Log", E.Sqrt: "Sqrt", E.Abs: "Abs", E.Sin: "Sin", E.Cos: "Cos", E.Tan: "Tan",
         E.Tanh: "Tanh", E.Sigmoid: "Sigmoid", F.Relu: "Relu", F.Erf: "Erf", E.Maximum: "Max",
         E.Minimum: "Min", E.Clone: "Identity"}


@converts(*_SAME)
def same_op(n: Node) -> List[str]:
    return [n.g.op(_SAME[type(n.ctx)], _inputs(n, len(n.call.args)))]


_COMPARE = {np.greater: "Greater", np.less: "Less", np.equal: "Equal", np.greater_equal: "GreaterOrEqual",
            np.less_equal: "LessOrEqual", np.logical_and: "And", np.logical_or: "Or", np.logical_xor: "Xor",
            np.logical_not: "Not", np.isnan: "IsNaN", np.isinf: "IsInf"}
_LOGICAL = (np.logical_and, np.logical_or, np.logical_xor, np.logical_not)
_BITWISE = {np.bitwise_and: ("And", "BitwiseAnd"), np.bitwise_or: ("Or", "BitwiseOr"),
            np.bitwise_xor: ("Xor", "BitwiseXor"), np.invert: ("Not", "BitwiseNot")}


@converts(C.Compare)
def compare(n: Node) -> List[str]:
    ufunc = n.arg(0)
    operands = []
    for i in range(1, 1 + ufunc.nin):
        if n.call.sources[i] is not None:
            operands.append(n.input(i))
        else:  # a Python number, as a constant of the other operand's dtype
            operands.append(n.g.scalar(n.arg(i), n.dtype(3 - i)))
    if ufunc in _LOGICAL:  # NumPy's: nonzero counts as true
        operands = [x if n.dtype(i + 1) == np.bool_ else n.g.op("Cast", [x], to=n.g.helper.np_dtype_to_tensor_dtype(
            np.dtype(bool))) for i, x in enumerate(operands)]
    if ufunc is np.not_equal:
        return [n.g.op("Not", [n.g.op("Equal", operands)])]
    if ufunc is np.isfinite:
        x = operands[0]
        return [n.g.op("Not", [n.g.op("Or", [n.g.op("IsNaN", [x]), n.g.op("IsInf", [x])])])]
    if ufunc in _BITWISE:  # on booleans the logical operators; on integers ONNX's bitwise ones (opset 18)
        boolean = all(n.dtype(i + 1) == np.bool_ for i in range(ufunc.nin))
        if not boolean and n.opset < 18:
            raise n.fail(f"{ufunc.__name__} of integers needs opset_version 18 or later (got {n.opset})")
        return [n.g.op(_BITWISE[ufunc][0 if boolean else 1], operands)]
    if ufunc not in _COMPARE:
        raise n.fail(f"{ufunc.__name__} has no ONNX conversion here")
    return [n.g.op(_COMPARE[ufunc], operands)]


@converts(A.Div)
def div(n: Node) -> List[str]:
    if n.dtype(0).kind not in "fc":
        raise n.fail("integer division has no exact ONNX form here (convert to float first)")
    return [n.g.op("Div", _inputs(n, 2))]


@converts(A.FloorDivide)
def floor_divide(n: Node) -> List[str]:
    if n.dtype(0).kind not in "fc":
        raise n.fail("integer floor division has no exact ONNX form here (convert to float first)")
    return [n.g.op("Floor", [n.g.op("Div", _inputs(n, 2))])]


@converts(E.Log1p)
def log1p(n: Node) -> List[str]:
    return [n.g.op("Log", [n.g.op("Add", [n.input(0), n.g.scalar(1, n.dtype(0))])])]


@converts(E.Expm1)
def expm1(n: Node) -> List[str]:
    return [n.g.op("Sub", [n.g.op("Exp", [n.input(0)]), n.g.scalar(1, n.dtype(0))])]


@converts(E.Rsqrt)
def rsqrt(n: Node) -> List[str]:
    return [n.g.op("Reciprocal", [n.g.op("Sqrt", [n.input(0)])])]


@converts(F.LeakyRelu)
def leaky_relu(n: Node) -> List[str]:
    return [n.g.op("LeakyRelu", [n.input(0)], alpha=float(n.arg(1)))]


@converts(F.Elu)
def elu(n: Node) -> List[str]:
    return [n.g.op("Elu", [n.input(0)], alpha=float(n.arg(1)))]


@converts(F.Gelu)
def gelu(n: Node) -> List[str]:
    """x·Φ(x) = ½x(1 + erf(x/√2)), or ½x(1 + tanh(√(2/π)(x + 0.044715x³))); opset 20+: the Gelu operator."""
    approximate = n.arg(1)
    x, g, dt = n.input(0), n.g, n.dtype(0)
    if n.opset >= 20:
        return [g.op("Gelu", [x], approximate=approximate)]
    if approximate == "tanh":
        cube = g.op("Mul", [g.op("Mul", [x, x]), x])
        inner = g.op("Add", [x, g.op("Mul", [cube, g.scalar(0.044715, dt)])])
        core = g.op("Tanh", [g.op("Mul", [inner, g.scalar(math.sqrt(2 / math.pi), dt)])])
    else:
        core = g.op("Erf", [g.op("Mul", [x, g.scalar(1 / math.sqrt(2), dt)])])
    half_x = g.op("Mul", [x, g.scalar(0.5, dt)])
    return [g.op("Mul", [half_x, g.op("Add", [core, g.scalar(1, dt)])])]


@converts(F.Silu)
def silu(n: Node) -> List[str]:
    x = n.input(0)
    return [n.g.op("Mul", [x, n.g.op("Sigmoid", [x])])]


@converts(F.Softplus)
def softplus(n: Node) -> List[str]:
    """log(1 + e^(βx))/β. Past the threshold chainrule returns x itself, which differs from this by
    less than e^-threshold (2e-9 for the default 20)."""
    beta, x, g = float(n.arg(1)), n.input(0), n.g
    if beta == 1:
        return [g.op("Softplus", [x])]
    scaled = g.op("Softplus", [g.op("Mul", [x, g.scalar(beta, n.dtype(0))])])
    return [g.op("Div", [scaled, g.scalar(beta, n.dtype(0))])]


def _bound(n: Node, value: Any) -> str:
    if value is None:
        return ""
    return n.g.const(np.asarray(value, dtype=n.dtype(0))) if np.ndim(value) else n.g.scalar(value, n.dtype(0))


@converts(E.Clamp)
def clamp(n: Node) -> List[str]:
    lo, hi = n.arg(1), n.arg(2)
    if np.ndim(lo) or np.ndim(hi):  # tensor bounds: elementwise Max / Min
        y = n.input(0)
        if lo is not None:
            y = n.g.op("Max", [y, _bound(n, lo)])
        return [n.g.op("Min", [y, _bound(n, hi)]) if hi is not None else y]
    return [n.g.op("Clip", [n.input(0), _bound(n, lo), _bound(n, hi)])]


@converts(E.Where)
def where(n: Node) -> List[str]:
    branches = []
    for i in (1, 2):
        if n.call.sources[i] is None:  # a Python number
            branches.append(n.g.scalar(n.arg(i), n.out_dtype()))
        else:
            branches.append(n.input(i))
    return [n.g.op("Where", [n.input(0)] + branches)]


_ROUNDING = {np.sign: "Sign", np.floor: "Floor", np.ceil: "Ceil", np.round: "Round"}


@converts(E.ZeroGrad)
def piecewise_constant(n: Node) -> List[str]:
    fn = n.arg(1)
    if fn not in _ROUNDING:
        raise n.fail(f"the function {getattr(fn, '__name__', fn)!r} has no ONNX conversion")
    return [n.g.op(_ROUNDING[fn], [n.input(0)])]


@converts(E.ToCopy)
def cast(n: Node) -> List[str]:
    return [n.g.op("Cast", [n.input(0)], to=n.g.helper.np_dtype_to_tensor_dtype(np.dtype(n.arg(1))))]


# -- shapes -------------------------------------------------------------------------------------------

@converts(S.Reshape, S.View)
def reshape(n: Node) -> List[str]:
    runs = n.arg_runs(1)
    if 0 in runs[0]:
        raise n.fail("reshaping to a shape with a zero size (an empty tensor)")
    return [n.g.op("Reshape", [n.input(0), n.g.sizes(list(zip(*runs)), n.op)])]


@converts(S.Permute)
def permute(n: Node) -> List[str]:
    return [n.g.op("Transpose", [n.input(0)], perm=[int(d) for d in n.arg(1)])]


@converts(S.Expand)
def expand(n: Node) -> List[str]:
    return [n.g.op("Expand", [n.input(0), n.g.sizes(list(zip(*n.arg_runs(1))), n.op, infer=False)])]


@converts(S.Repeat)
def repeat(n: Node) -> List[str]:
    reps = n.arg(1)
    x = n.input(0)
    extra = len(reps) - len(n.shape(0))
    if extra:
        x = n.g.unsqueeze(x, list(range(extra)))
    return [n.g.op("Tile", [x, n.g.ints(reps)])]


@converts(S.Flip)
def flip(n: Node) -> List[str]:
    dims = list(n.arg(1))
    return [n.g.slice(n.input(0), [-1] * len(dims), [INT64_MIN] * len(dims), dims, [-1] * len(dims))]


@converts(S.Roll)
def roll(n: Node) -> List[str]:
    shifts, dims = n.arg(1), n.arg(2)
    if dims is None:
        dims, shifts = (0,), (shifts,)
    elif not isinstance(dims, tuple):
        dims, shifts = (dims,), (shifts,)
    runs, shape = n.shape_runs(0), n.shape(0)
    if any(varies(runs[d]) for d in dims):
        raise n.fail("rolling along an axis whose size changes with the dynamic axes")
    y = n.input(0)
    for s, d in zip(shifts, dims):
        size = shape[d]
        k = int(s) % size if size else 0
        if k:  # the last k entries move to the front
            y = n.g.op("Concat", [n.g.slice(y, [size - k], [INT64_MAX], [d]), n.g.slice(y, [0], [size - k], [d])],
                       axis=int(d))
    return [y if y != n.input(0) else n.g.op("Identity", [y])]


@converts(S.Cat)
def cat(n: Node) -> List[str]:
    return [n.g.op("Concat", [n.input(i) for i in range(1, len(n.call.args))], axis=int(n.arg(0)))]


@converts(S.Stack)
def stack(n: Node) -> List[str]:
    d = int(n.arg(0))
    parts = [n.g.unsqueeze(n.input(i), [d]) for i in range(1, len(n.call.args))]
    return [n.g.op("Concat", parts, axis=d)]


@converts(S.Split)
def split(n: Node) -> List[str]:
    bounds, d = n.arg(1), int(n.arg(2))
    x = n.input(0)
    return [n.g.slice(x, [a], [b], [d]) for a, b in bounds]


def _pads(widths: Sequence[tuple]) -> List[int]:
    return [int(a) for a, _ in widths] + [int(b) for _, b in widths]


@converts(S.Pad)
def pad(n: Node) -> List[str]:
    widths, value = n.arg(1), n.arg(2)
    return [n.g.op("Pad", [n.input(0), n.g.ints(_pads(widths)), n.g.scalar(value, n.dtype(0))], mode="constant")]


_PAD_MODES = {"reflect": ("reflect", 11), "edge": ("edge", 11), "wrap": ("wrap", 19)}


@converts(S.PadIndexed)
def pad_indexed(n: Node) -> List[str]:
    mode, since = _PAD_MODES[n.arg(2)]
    if n.opset < since:
        raise n.fail(f"padding mode {mode!r} needs opset_version >= {since}, got {n.opset}")
    return [n.g.op("Pad", [n.input(0), n.g.ints(_pads(n.arg(1)))], mode=mode)]


# -- reductions ---------------------------------------------------------------------------------------

def _reduce(n: Node, op_type: str, cast_arg: Any = None) -> List[str]:
    axes, keepdim = n.arg(1), n.arg(2)
    x = n.input(0)
    if cast_arg is not None and np.dtype(cast_arg) != n.dtype(0):
        x = n.g.op("Cast", [x], to=n.g.helper.np_dtype_to_tensor_dtype(np.dtype(cast_arg)))
    if not len(axes):
        return [n.g.op("Identity", [x])]
    return [n.g.reduce(op_type, x, axes, keepdim)]


@converts(R.Sum)
def reduce_sum(n: Node) -> List[str]:
    return _reduce(n, "ReduceSum", n.arg(3))


@converts(R.Mean)
def reduce_mean(n: Node) -> List[str]:
    return _reduce(n, "ReduceMean", n.arg(3))


@converts(R.Prod)
def reduce_prod(n: Node) -> List[str]:
    return _reduce(n, "ReduceProd", n.arg(3))


@converts(R.Amax)
def reduce_max(n: Node) -> List[str]:
    return _reduce(n, "ReduceMax" if n.arg(3) else "ReduceMin")


@converts(R.Max)
def max_dim(n: Node) -> List[str]:
    """The values of max(dim) or min(dim) (which one: read off the traced result); the indices are
    computed outside the recorded operations."""
    dim, keepdim = int(n.arg(1)), bool(n.arg(2))
    x = n.g.a.array(n.call.sources[0])
    largest = np.array_equal(n.call.outputs[0]._data, np.max(x, axis=dim, keepdims=keepdim), equal_nan=True)
    return [n.g.reduce("ReduceMax" if largest else "ReduceMin", n.input(0), [dim], keepdim)]


@converts(R.LogSumExp)
def logsumexp(n: Node) -> List[str]:
    return _reduce(n, "ReduceLogSumExp")


@converts(R.Norm2)
def norm2(n: Node) -> List[str]:
    return _reduce(n, "ReduceL2")


@converts(R.Softmax)
def softmax(n: Node) -> List[str]:
    return [n.g.op("Softmax", [n.input(0)], axis=int(n.arg(1)))]


@converts(R.LogSoftmax)
def log_softmax(n: Node) -> List[str]:
    return [n.g.op("LogSoftmax", [n.input(0)], axis=int(n.arg(1)))]


@converts(R.CumSum)
def cumsum(n: Node) -> List[str]:
    return [n.g.op("CumSum", [n.input(0), n.g.scalar(n.arg(1), np.int64)])]


# -- indexing -----------------------------------------------------------------------------------------

def _slice_bounds(s: slice) -> tuple:
    """(start, end, step) of a Python slice in ONNX Slice's terms (None: to the end, either way)."""
    step = 1 if s.step is None else int(s.step)
    if step > 0:
        return (0 if s.start is None else int(s.start)), (INT64_MAX if s.stop is None else int(s.stop)), step
    return (INT64_MAX if s.start is None else int(s.start)), (INT64_MIN if s.stop is None else int(s.stop)), step


def _expand_ellipsis(index: Any, ndim: int) -> list:
    items = list(index) if isinstance(index, tuple) else [index]
    k = next((k for k, i in enumerate(items) if i is Ellipsis), None)
    if k is not None:
        consumed = sum(1 for i in items if i is not None and i is not Ellipsis)
        items[k:k + 1] = [slice(None)] * (ndim - consumed)
    return items


def _end_relative(bounds: Sequence[Any], sizes: Sequence[int], is_stop: bool) -> Any:
    """A slice bound, given in each trace: the same, or the same distance from the end of an axis whose
    size changed (then a negative bound, or None for a stop at the very end); else ValueError."""
    if not varies(bounds):
        return bounds[0]
    if any(b is None for b in bounds) or varies([b - n for b, n in zip(bounds, sizes)]) \
            or (bounds[0] == sizes[0] and not is_stop):
        raise ValueError
    return (bounds[0] - sizes[0]) or None


def _index_items(n: Node) -> list:
    """The index of x[index] as a list of items, one per input axis (Ellipsis expanded), with slice bounds
    that follow a dynamic axis written relative to its end."""
    sizes = n.shape_runs(0)
    runs = [_expand_ellipsis(i, len(sizes)) for i in n.arg_runs(1)]
    if varies([len(r) for r in runs]):
        n.arg(1)  # raises, naming the differing index
    items, axis = [], 0
    for seen in zip(*runs):
        x = seen[0]
        if all(isinstance(y, slice) for y in seen) and axis < len(sizes):
            try:
                x = slice(*(_end_relative([getattr(y, part) for y in seen], sizes[axis], part == "stop")
                            for part in ("start", "stop", "step")))
            except ValueError:
                n.arg(1)
        elif not all(y is x or same(x, y) for y in seen[1:]):
            n.arg(1)
        items.append(x)
        axis += x is not None
    return items


@converts(I.GetItem)
def getitem(n: Node) -> List[str]:
    """x[index] with ints, slices, None, ... and at most one integer array: Slice, then Gather per int or
    array (from the last axis back, so earlier axes keep their numbers), then Unsqueeze for None."""
    items = _index_items(n)
    arrays = [i for i in items if isinstance(i, np.ndarray)]
    if any(a.dtype == np.bool_ for a in arrays):
        raise n.fail("indexing with a boolean mask gives a shape that depends on the values")
    if len(arrays) > 1 or (arrays and any(i is None or isinstance(i, (int, np.integer)) for i in items)):
        raise n.fail("indexing with an integer array together with other arrays, ints or None")
    slices, picks, new_axes = [], [], []
    axis = out_axis = 0
    for item in items:
        if item is None:
            new_axes.append(out_axis)
            out_axis += 1
            continue
        if isinstance(item, slice):
            if item != slice(None):
                slices.append((axis,) + _slice_bounds(item))
            out_axis += 1
        else:
            picks.append((axis, item))
            out_axis += np.ndim(item)
        axis += 1
    y = n.input(0)
    if slices:
        y = n.g.slice(y, [s[1] for s in slices], [s[2] for s in slices], [s[0] for s in slices],
                      [s[3] for s in slices])
    for ax, item in reversed(picks):
        which = n.g.scalar(int(item), np.int64) if np.ndim(item) == 0 else n.g.const(item.astype(np.int64))
        y = n.g.op("Gather", [y, which], axis=ax)
    if new_axes:
        y = n.g.unsqueeze(y, new_axes)
    return [y if y != n.input(0) else n.g.op("Identity", [y])]


@converts(I.Gather)
def gather(n: Node) -> List[str]:
    return [n.g.op("GatherElements", [n.input(0), n.input(2)], axis=int(n.arg(1)))]


@converts(I.ScatterAdd)
def scatter_add(n: Node) -> List[str]:
    """ScatterElements with reduction='add' (opset 16+), src cut to the index's shape as chainrule reads it."""
    if n.opset < 16:
        raise n.fail(f"scatter_add needs opset_version >= 16 (ScatterElements with reduction), got {n.opset}")
    index_shape, src = n.shape(2), n.input(3)
    if tuple(n.shape(3)) != tuple(index_shape):
        src = n.g.slice(src, [0] * len(index_shape), list(index_shape), list(range(len(index_shape))))
    return [n.g.op("ScatterElements", [n.input(0), n.input(2), src], axis=int(n.arg(1)), reduction="add")]
