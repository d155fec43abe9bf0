"""Recording a forward pass for export: every `Function` applied, what it read and what it made.

While a `Recorder` is active, `Function.apply` reports each operation (its
graph node, which is also its ctx, the arguments and the results). Each
tensor argument is resolved, at the moment of the call, to where its value
comes from:

    ("input", k)        the k-th input of the model
    ("call", j, i)      output i of the j-th recorded operation
    ("const", value)    anything else: a parameter, a buffer, a constant made in forward

Resolving at call time keeps in-place operations right: a tensor changed in
place points to the operation that changed it from then on.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, List, Sequence

import numpy as np

from ..autograd import function as _function
from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor


class ExportError(RuntimeError):
    """The model cannot be exported as it is: the message says which operation and why."""


class Call:
    """One applied operation: node (the Function instance, with its ctx attributes), the arguments as
    passed, each argument's source (None for non-tensor arguments) and the output tensors."""
    __slots__ = ("node", "args", "sources", "outputs")

    def __init__(self, node: Any, args: tuple, sources: tuple, outputs: tuple) -> None:
        self.node, self.args, self.sources, self.outputs = node, args, sources, outputs

    @property
    def op(self) -> str:
        cls = type(self.node)
        return f"{cls.__name__} ({cls.__module__}.{cls.__qualname__})"


class Trace:
    """The operations of one forward pass, the model's inputs (arrays) and the sources of its outputs."""

    def __init__(self, inputs: Sequence[np.ndarray]) -> None:
        self.inputs = list(inputs)
        self.calls: List[Call] = []
        self.outputs: list = []
        self._input_nodes: dict = {}  # the clone node feeding a float input -> input number
        self._by_node: dict = {}      # node -> call number
        self._by_tensor: dict = {}    # id(tensor) -> source
        self._by_array: dict = {}     # id(array) -> source
        self._thread = threading.get_ident()  # operations run by other threads meanwhile are not the model's

    def source(self, x: Any) -> Any:
        """Where the value of argument x comes from (None if x is not a tensor or an array)."""
        if isinstance(x, Tensor):
            fn = x.grad_fn
            if fn is not None:
                if fn in self._by_node:
                    return ("call", self._by_node[fn], x._output_nr)
                if fn in self._input_nodes:
                    return ("input", self._input_nodes[fn])
            found = self._by_tensor.get(id(x)) or self._by_array.get(id(x._data))
            return found or ("const", x._data)
        if isinstance(x, np.ndarray):
            return self._by_array.get(id(x)) or ("const", x)
        return None

    def _remember(self, t: Tensor, src: tuple) -> None:
        self._by_tensor[id(t)] = src
        self._by_array[id(t._data)] = src

    def __call__(self, node: Any, args: tuple, results: Any) -> None:
        """The hook `Function.apply` calls."""
        if threading.get_ident() != self._thread:
            return
        outputs = results if type(results) is tuple else (results,)
        j = len(self.calls)
        self.calls.append(Call(node, args, tuple(self.source(a) for a in args), outputs))
        self._by_node[node] = j
        for i, t in enumerate(outputs):
            self._remember(t, ("call", j, i))

    def array(self, src: tuple) -> np.ndarray:
        """The value a source had in this trace."""
        if src[0] == "input":
            return self.inputs[src[1]]
        if src[0] == "call":
            return self.calls[src[1]].outputs[src[2]]._data
        return src[1]


def record(model: Callable, inputs: Sequence[np.ndarray]) -> Trace:
    """Run model(*inputs) once, recording every operation.

    Runs with gradient recording on, float inputs requiring grad, so that
    in-place operations move each tensor's `grad_fn` to the operation that
    changed it; the inputs are fresh copies, so the caller's arrays are untouched.
    """
    trace = Trace(inputs)
    feeds = []
    with enable_grad():
        for k, a in enumerate(inputs):
            if a.dtype.kind in "fc":
                t = Tensor._make(a.copy()).requires_grad_().clone()  # not a leaf: in-place use allowed
                trace._input_nodes[t.grad_fn] = k
            else:
                t = Tensor._make(a.copy())
            trace._remember(t, ("input", k))
            feeds.append(t)
        if _function.tracer is not None:
            raise ExportError("an export is already running: exports cannot be nested")
        _function.tracer = trace
        try:
            out = model(*feeds)
        finally:
            _function.tracer = None
    trace.outputs = [trace.source(t) for t in flatten_outputs(out)]
    return trace


def flatten_outputs(out: Any) -> List[Tensor]:
    """The tensors of a model's output, in order, from nested tuples, lists and dicts (None skipped)."""
    if isinstance(out, Tensor):
        return [out]
    if out is None:
        return []
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flatten_outputs(o)]
    if isinstance(out, dict):
        return [t for o in out.values() for t in flatten_outputs(o)]
    raise ExportError(f"the model returned a {type(out).__name__}: an exported model can only return tensors "
                      f"(possibly in nested tuples, lists or dicts)")


def _shape_of_source(src: Any) -> Any:
    """The part of a source that must be the same in two traces of the same program."""
    return None if src is None else src[:1] if src[0] == "const" else src


def check_same_program(a: Trace, b: Trace, why: str) -> None:
    """Raise unless both traces ran the same operations, wired the same way."""
    if len(a.outputs) != len(b.outputs) or any(_shape_of_source(x) != _shape_of_source(y)
                                                for x, y in zip(a.outputs, b.outputs)):
        raise ExportError(f"the model's outputs come from different operations for {why}: an exported "
                          f"model must run the same operations for every input")
    for j, (ca, cb) in enumerate(zip(a.calls, b.calls)):
        if type(ca.node) is not type(cb.node) or len(ca.sources) != len(cb.sources) or any(
                _shape_of_source(x) != _shape_of_source(y) for x, y in zip(ca.sources, cb.sources)):
            raise ExportError(f"the forward pass ran different operations for {why} (operation #{j}: "
                              f"{ca.op} the first time, {cb.op} the second): an exported model must run the "
                              f"same operations for every input (no branching on values or sizes)")
    if len(a.calls) != len(b.calls):
        raise ExportError(f"the forward pass ran {len(a.calls)} operations for the example input and "
                          f"{len(b.calls)} for {why}: an exported model must run the same operations for "
                          f"every input (no loops or branches on values or sizes)")


def same(x: Any, y: Any) -> bool:
    """Equal values, arrays compared element by element (and by dtype), nested tuples and lists included."""
    if x is y:
        return True
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        x, y = np.asarray(x), np.asarray(y)
        return x.shape == y.shape and x.dtype == y.dtype and bool(np.array_equal(x, y, equal_nan=x.dtype.kind in "fc"))
    if isinstance(x, (tuple, list)) and isinstance(y, (tuple, list)):
        return type(x) is type(y) and len(x) == len(y) and all(same(p, q) for p, q in zip(x, y))
    if isinstance(x, slice) and isinstance(y, slice):
        return same((x.start, x.stop, x.step), (y.start, y.stop, y.step))
    try:
        return bool(x == y) and type(x) is type(y)
    except (TypeError, ValueError):
        return False
