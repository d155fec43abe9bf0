"""Building the ONNX graph from several traces of the same forward pass.

The model is traced three times: with the example input, then with inputs
whose values differ and whose dynamic axes have two other sizes. Whatever is
the same in every trace is a constant of the exported graph; whatever differs
must come from the input through recorded operations, or from the sizes of the
dynamic axes, which the graph reads from its inputs at run time (`Graph.sizes`).
Anything else that differs (a value computed outside chainrule's operations,
a random draw in forward) fails the export, naming the operation.

A size is given as `runs`: its value in each trace, the example's first.

`Node` is what a converter sees of one operation: its inputs as ONNX value
names, its other arguments (checked to be the same in every trace), shapes.
Converters register with `@converts(FunctionClass, ...)`.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .trace import Call, ExportError, Trace, same

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min

CONVERTERS: Dict[type, Callable[["Node"], Sequence[Optional[str]]]] = {}


def converts(*classes: type) -> Callable:
    """Register a converter: converter(node) -> one ONNX value name per output of the operation."""
    def register(fn: Callable) -> Callable:
        for cls in classes:
            CONVERTERS[cls] = fn
        return fn
    return register


class Dim:
    """A dynamic axis of a graph input: its size in each trace, where it is read from, and its name."""
    __slots__ = ("input", "axis", "sizes", "name")

    def __init__(self, input: int, axis: int, sizes: Tuple[int, ...], name: str) -> None:
        self.input, self.axis, self.sizes, self.name = input, axis, sizes, name


class Graph:
    """The ONNX nodes and initializers made so far, and the names of the traced values."""

    def __init__(self, traces: Sequence[Trace], opset: int, input_names: Sequence[str], dims: Sequence[Dim],
                 names: Dict[int, str]) -> None:
        from onnx import helper, numpy_helper
        self.helper, self.numpy_helper = helper, numpy_helper
        self.traces, self.a, self.opset = list(traces), traces[0], opset
        self.input_names, self.dims = list(input_names), list(dims)
        self.param_names = names  # id(array) -> parameter or buffer name
        self.nodes: list = []
        self.initializers: list = []
        self.values: Dict[tuple, str] = {("input", k): n for k, n in enumerate(input_names)}
        self.folded: set = set()  # calls whose inputs are all constants: their outputs are constants
        self._consts: Dict[Any, str] = {}
        self._used_names: set = set(input_names)
        self._dim_values: Dict[int, str] = {}

    # -- names --------------------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        name, k = hint, 0
        while name in self._used_names:
            k += 1
            name = f"{hint}_{k}"
        self._used_names.add(name)
        return name

    # -- nodes ----------------------------------------------------------------------------
    def op(self, op_type: str, inputs: Sequence[str], outputs: int = 1, **attrs: Any) -> Any:
        """Add a node; returns its output name, or a list of names when outputs > 1."""
        name = self.fresh(f"/{op_type}")
        outs = [self.fresh(f"{name}_output_{i}") for i in range(outputs)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.helper.make_node(op_type, list(inputs), outs, name=name, **attrs))
        return outs[0] if outputs == 1 else outs

    def const(self, value: np.ndarray, hint: str = "onnx::Constant") -> str:
        """An initializer holding `value` (a copy is not made: the value must not change)."""
        name = self.fresh(hint)
        self.initializers.append(self.numpy_helper.from_array(np.require(value, requirements="C"), name))
        return name

    def ints(self, values: Sequence[int]) -> str:
        """A constant 1-D int64 tensor (axes, shapes, pads)."""
        key = ("ints", tuple(int(v) for v in values))
        if key not in self._consts:
            self._consts[key] = self.const(np.array(key[1], dtype=np.int64))
        return self._consts[key]

    def scalar(self, value: Any, dtype: Any) -> str:
        """A constant 0-d tensor of `dtype`."""
        dtype = np.dtype(dtype)
        key = ("scalar", float(value), dtype.str)
        if key not in self._consts:
            self._consts[key] = self.const(np.array(value, dtype=dtype))
        return self._consts[key]

    # -- opset-dependent forms -------------------------------------------------------------
    def reduce(self, op_type: str, x: str, axes: Sequence[int], keepdims: bool) -> str:
        """Reduce* over `axes` (axes became an input in opset 13 for ReduceSum, 18 for the others)."""
        if not len(axes):
            raise ExportError(f"{op_type} over no axes (chainrule's dim=()) has no ONNX form")
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.op(op_type, [x, self.ints(axes)], keepdims=int(keepdims))
        return self.op(op_type, [x], axes=list(axes), keepdims=int(keepdims))

    def unsqueeze(self, x: str, axes: Sequence[int]) -> str:
        return self.op("Unsqueeze", [x, self.ints(axes)])

    def squeeze(self, x: str, axes: Sequence[int]) -> str:
        return self.op("Squeeze", [x, self.ints(axes)])

    def slice(self, x: str, starts: Sequence[int], ends: Sequence[int], axes: Sequence[int],
              steps: Optional[Sequence[int]] = None) -> str:
        inputs = [x, self.ints(starts), self.ints(ends), self.ints(axes)]
        return self.op("Slice", inputs + ([self.ints(steps)] if steps is not None else []))

    # -- sizes that depend on the dynamic axes ---------------------------------------------
    def sizes(self, entries: Sequence[Sequence[int]], who: str, infer: bool = True) -> str:
        """A 1-D int64 tensor of sizes, given each size's runs. With `infer`, a single size that varies
        becomes -1; otherwise varying sizes are read at run time from the graph input axis whose size they
        are, and one left over becomes -1 when `infer`."""
        pieces: List[str] = []
        static: List[int] = []
        inferred = False
        entries = [tuple(int(v) for v in runs) for runs in entries]
        if infer and sum(len(set(runs)) > 1 for runs in entries) == 1:
            return self.ints([runs[0] if len(set(runs)) == 1 else -1 for runs in entries])
        for runs in entries:
            if len(set(runs)) == 1:
                static.append(runs[0])
                continue
            dim = next((d for d in self.dims if d.sizes == runs), None)
            if dim is None and infer and not inferred:
                inferred = True
                static.append(-1)
                continue
            if dim is None:
                raise ExportError(f"{who}: a size ({runs[0]} for the example input) depends on the dynamic "
                                  f"axes in a way the exported graph cannot compute (more than one size that "
                                  f"is not just a dynamic axis)")
            if static:
                pieces.append(self.ints(static))
                static = []
            pieces.append(self._dim_value(dim))
        if static:
            pieces.append(self.ints(static))
        return pieces[0] if len(pieces) == 1 else self.op("Concat", pieces, axis=0)

    def _dim_value(self, dim: Dim) -> str:
        key = id(dim)
        if key not in self._dim_values:
            shape = self.op("Shape", [self.input_names[dim.input]])
            self._dim_values[key] = self.op("Gather", [shape, self.ints([dim.axis])], axis=0)
        return self._dim_values[key]

    # -- traced values -----------------------------------------------------------------------
    def value(self, sources: Sequence[tuple], who: str) -> str:
        """The ONNX name of a traced value, given its source in each trace (a constant becomes an
        initializer on first use)."""
        src_a = sources[0]
        if src_a[0] == "call" and src_a[1] not in self.folded:
            name = self.values.get(src_a)
            if name is None:
                raise ExportError(f"{who} uses output {src_a[2]} of {self.a.calls[src_a[1]].op}, which the "
                                  f"ONNX conversion of that operation does not provide")
            return name
        if src_a[0] == "input":
            return self.values[src_a]
        return self.constant([t.array(s) for t, s in zip(self.traces, sources)], who)

    def constant(self, values: Sequence[np.ndarray], who: str) -> str:
        """An initializer for a constant, given its value in each trace; if only its shape follows the
        dynamic axes and it holds one repeated value, a ConstantOfShape."""
        va = values[0]
        key = id(va)
        if key in self._consts:
            return self._consts[key]
        if not all(same(va, v) for v in values[1:]):
            name = self._filled(values, who)
        else:
            name = self.const(va, self.param_name(va))
        self._consts[key] = name
        return name

    def _filled(self, values: Sequence[np.ndarray], who: str) -> str:
        va = values[0]
        uniform = all(v.size and v.dtype == va.dtype and v.ndim == va.ndim for v in values)
        if uniform:
            first = va.reshape(-1)[0]
            uniform = all(bool((v == first).all()) for v in values)
        if not uniform:
            raise ExportError(
                f"{who} uses a value that is not the same from one input to another, yet was not computed "
                f"by chainrule operations from the input (e.g. argmax, comparisons, .numpy(), .item(), or a "
                f"random draw in forward); such values cannot be exported (example shape {va.shape})")
        shape = self.sizes(list(zip(*(v.shape for v in values))), who, infer=False)
        fill = self.numpy_helper.from_array(np.array([first], dtype=va.dtype), "value")
        return self.op("ConstantOfShape", [shape], value=fill)

    def param_name(self, arr: np.ndarray) -> str:
        """The parameter or buffer name of an array (or of the array it views), else a generic name."""
        for candidate in (arr, arr.base):
            name = self.param_names.get(id(candidate)) if candidate is not None else None
            if name is not None and candidate.shape == arr.shape:
                return name
        return "onnx::Constant"


class Node:
    """One recorded operation as a converter sees it (inputs by position in the forward's arguments)."""

    def __init__(self, graph: Graph, index: int) -> None:
        self.g = graph
        self.index = index
        self.calls: List[Call] = [t.calls[index] for t in graph.traces]
        self.call = self.calls[0]
        self.ctx = self.call.node
        self.op = self.call.op

    @property
    def opset(self) -> int:
        return self.g.opset

    def fail(self, why: str) -> ExportError:
        return ExportError(f"cannot export {self.op}: {why}")

    def _values(self, i: int) -> List[np.ndarray]:
        return [t.array(c.sources[i]) for t, c in zip(self.g.traces, self.calls)]

    def input(self, i: int) -> str:
        """ONNX name of tensor argument i ('' for None: an omitted optional input)."""
        if self.call.sources[i] is None:
            if self.call.args[i] is None:
                return ""
            raise self.fail(f"argument {i} is not a tensor")
        return self.g.value([c.sources[i] for c in self.calls], f"{self.op} (argument {i})")

    def is_const(self, i: int) -> bool:
        src = self.call.sources[i]
        return src is not None and (src[0] == "const" or (src[0] == "call" and src[1] in self.g.folded))

    def const(self, i: int, what: str = "a constant") -> Optional[np.ndarray]:
        """The value of tensor argument i, which must be a constant (None stays None)."""
        if self.call.args[i] is None:
            return None
        if not self.is_const(i):
            raise self.fail(f"argument {i} must be {what} (e.g. a parameter), but it is computed from the input")
        values = self._values(i)
        if not all(same(values[0], v) for v in values[1:]):
            raise self.fail(f"argument {i} must be {what}, but it changes with the input")
        return values[0]

    def is_zeros(self, i: int) -> bool:
        """Tensor argument i is a constant made of zeros in every trace (e.g. a default initial state)."""
        return self.is_const(i) and not any(v.any() for v in self._values(i))

    def arg(self, i: int) -> Any:
        """Non-tensor argument i, which must be the same in every trace."""
        runs = self.arg_runs(i)
        if not all(same(runs[0], r) for r in runs[1:]):
            other = next(r for r in runs if not same(runs[0], r))
            raise self.fail(f"its argument {i} ({_short(runs[0])} for the example input, {_short(other)} for "
                            f"another) depends on the input's size; only the dynamic axes listed in "
                            f"dynamic_axes may change, and this operation needs that size fixed")
        return runs[0]

    def arg_runs(self, i: int) -> List[Any]:
        """Argument i in each trace (for sizes that may follow the dynamic axes)."""
        return [c.args[i] for c in self.calls]

    def shape(self, i: int) -> tuple:
        """Shape of tensor argument i for the example input."""
        return np.shape(self.g.a.array(self.call.sources[i]))

    def shape_runs(self, i: int) -> List[tuple]:
        """Per axis of tensor argument i: its size in each trace."""
        return list(zip(*(np.shape(v) for v in self._values(i))))

    def dtype(self, i: int) -> np.dtype:
        return self.g.a.array(self.call.sources[i]).dtype

    def out_dtype(self, k: int = 0) -> np.dtype:
        return self.call.outputs[k]._data.dtype


def varies(runs: Sequence[Any]) -> bool:
    """A size that is not the same in every trace."""
    return any(r != runs[0] for r in runs[1:])


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
