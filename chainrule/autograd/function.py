"""`Function`: the one way to define a differentiable operation.

Every operation in chainrule, the library's own and a user's, is a subclass
of `Function` with two static methods side by side::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):            # NumPy arrays in, a NumPy array out
            y = np.exp(x)
            ctx.save_for_backward(y)    # d exp(x)/dx = exp(x): keep the output
            return y

        @staticmethod
        def backward(ctx, g):           # gradient of the loss w.r.t. the output
            y, = ctx.saved_tensors
            return g * y                # ... w.r.t. each input (chain rule)

`Exp.apply(t)` runs `forward` on the arrays inside the tensors and, when a
gradient is needed, records the call as a node of the graph: the instance
of `Exp` is at once the `ctx` and the graph node (`t.grad_fn`).

Second derivatives: `backward` is written with NumPy operators, ufuncs and
methods. Run by `backward()` it gets arrays and is plain NumPy, fast. Run by
`grad(..., create_graph=True)` it gets `Tensor`s instead, which answer the
same NumPy calls by recording chainrule operations, so the backward pass is
itself differentiated. A backward that needs NumPy-only code is marked
`@once_differentiable`, as in PyTorch, and a second derivative through it
raises a clear error.
"""
from __future__ import annotations

import functools
import itertools
from typing import Any, Callable, Optional

import numpy as np

from .grad_mode import state
from .release import ctx_attributes

_sequence = itertools.count()  # creation order of nodes: the engine's priority
on_record = None  # diagnostics (anomaly mode): called as on_record(node, args, results) for every new node
tracer = None  # ONNX export, graph capture: called as tracer(node, args, results) for every applied operation
tape = None  # graph replay (chainrule.compile): runs an operation that records on the node captured for it


class Function:
    """Base class of differentiable operations; an applied instance is a graph node."""

    __slots__ = ("next_functions", "_saved", "_saved_from", "_seq", "_hooks", "_outputs", "__weakref__")
    _ctx_attrs: Optional[tuple] = None  # what nodes of the class keep as attributes, freed after backward

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._ctx_attrs = ctx_attributes(cls, Function)

    # -- to be written by subclasses ---------------------------------------
    @staticmethod
    def forward(ctx: "Function", *args: Any) -> Any:
        raise NotImplementedError("Function subclasses must define a static forward(ctx, *args)")

    @staticmethod
    def backward(ctx: "Function", *grads: Any) -> Any:
        raise NotImplementedError("Function subclasses must define a static backward(ctx, *grads)")

    # -- used inside forward / backward -------------------------------------
    def save_for_backward(self, *arrays: Any) -> None:
        """Keep inputs or outputs of `forward` for `backward` (checked against in-place changes)."""
        self._saved = arrays
        self._saved_from = None  # where each array came from: filled in by `apply` once forward returned

    @property
    def saved_tensors(self) -> tuple:
        """What `save_for_backward` kept: arrays in a plain backward, tensors when differentiating it."""
        saved = self._saved
        if not saved:
            if saved is None:
                raise freed_error(self)
            return saved
        sources = self._saved_from
        if sources is None:  # not recorded: nothing to check
            return saved
        for src in sources:
            if src is not None and src[0][0] != src[1]:
                raise self._modified_error()
        if not state.enabled:
            return saved
        return tuple([_as_graph_tensor(self, src, arr) for src, arr in zip(sources, saved)])

    def _modified_error(self) -> RuntimeError:
        """PyTorch's error about the first saved value changed in place since it was saved."""
        src, arr = next((src, arr) for src, arr in zip(self._saved_from, self._saved)
                        if src is not None and src[0][0] != src[1])
        return RuntimeError(
            f"one of the values needed by {self.name()} for gradient computation has been "
            f"modified by an in-place operation: a {_describe(arr)} is at version "
            f"{src[0][0]}; expected version {src[1]} instead. Use an out-of-place "
            f"operation (or .clone() before the in-place one).")

    @property
    def needs_input_grad(self) -> tuple:
        """One bool per argument of forward: does that input need a gradient?"""
        nf = self.next_functions
        if nf is None:
            return ()
        if len(nf) == 2:  # (the common case, without building a list)
            return (nf[0] is not None, nf[1] is not None)
        return tuple([e is not None for e in nf])

    def mark_non_differentiable(self, *arrays: Any) -> None:
        """Accepted for PyTorch compatibility: non-float outputs never get a gradient anyway."""

    def name(self) -> str:
        return type(self).__name__ + "Backward0"

    def register_hook(self, hook: Callable) -> "RemovableHandle":
        """Call hook(grad_inputs, grad_outputs) after this node's backward ran; a returned tuple
        replaces grad_inputs. `handle.remove()` unregisters it."""
        hooks = self._hooks_list("post")
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def _hooks_list(self, kind: Any) -> list:
        if self._hooks is None:
            self._hooks = {}
        return self._hooks.setdefault(kind, [])

    def __repr__(self) -> str:
        return f"<{self.name()}>"

    # -- recording -----------------------------------------------------------
    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run forward on the arrays of `args`; record a graph node when a gradient is needed."""
        arrays = []
        edges = []
        record = False
        enabled = state.enabled
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a._data)
                if a.requires_grad and enabled:
                    record = True
                    fn = a.grad_fn
                    edges.append((fn, a._output_nr) if fn is not None else a._edge())
                    continue
            else:
                arrays.append(a)
            edges.append(None)
        if not record:
            ctx = _new(cls)
            ctx._saved = ()
            ctx.next_functions = None
            out = cls.forward(ctx, *arrays)
            out = tuple([_wrap(o) for o in out]) if type(out) is tuple else _wrap(out)
            if tracer is not None:
                tracer(ctx, args, out)
            return out
        if tape is not None:
            out = tape.forward(cls, args, arrays, edges)
            if out is not None:
                return out
        ctx = _new(cls)
        ctx._saved = ()
        ctx.next_functions = tuple(edges)
        out = cls.forward(ctx, *arrays)
        ctx._seq = next(_sequence)
        ctx._hooks = None
        if type(out) is np.ndarray:  # the common case, inline
            dtype = out.dtype
            ctx._outputs = ((out.shape, dtype),)
            results = _wrap(out, ctx if dtype.kind in "fc" else None, 0)
        else:
            results = _results(ctx, out)
        saved = ctx._saved
        if saved:
            ctx._saved_from = _sources(saved, args, results)
        if on_record is not None:
            on_record(ctx, args, results)
        if tracer is not None:
            tracer(ctx, args, results)
        return results


_new = object.__new__


def _results(node: Function, out: Any) -> Any:
    """The tensors of several results (a tuple), or of a NumPy scalar (a 0-d result); sets `_outputs`."""
    if type(out) is tuple:
        results = tuple([_output(o, node, i) for i, o in enumerate(out)])
        node._outputs = tuple([(r._data.shape, r._data.dtype) for r in results])
        return results
    scalar, out = out, np.asarray(out)
    node._saved = tuple([out if s is scalar else s for s in node._saved])  # saved as the array it becomes
    node._outputs = ((out.shape, out.dtype),)
    return _output(out, node, 0)


def _output(data: Any, node: Function, nr: int) -> "Tensor":
    """Result `nr` of `node` as a tensor; integer and boolean results carry no gradient."""
    if type(data) is not np.ndarray:
        data = np.asarray(data)
    return _wrap(data, node if data.dtype.kind in "fc" else None, nr)


def freed_error(node: Function) -> RuntimeError:
    return RuntimeError(
        f"Trying to backward through the graph a second time (or to read the saved values of "
        f"{node.name()} after they were freed). Saved intermediate values are freed after the "
        f"first backward; call .backward(retain_graph=True) the first time if you need to "
        f"backward through the graph again.")


def _sources(saved: tuple, args: tuple, results: Any) -> tuple:
    """For each saved array: (version box, version now, input tensor or output index), None if constant."""
    sources = []
    for arr in saved:
        src = None
        if type(arr) is np.ndarray:
            for a in args:
                if isinstance(a, Tensor) and a._data is arr:
                    box = _box(a)
                    src = (box, box[0], a)
                    break
            else:  # an output: its box is kept, not the tensor itself (that would be a reference cycle)
                for i, o in enumerate(results if type(results) is tuple else (results,)):
                    if o._data is arr:
                        src = (_box(o), 0, i)
                        break
        sources.append(src)
    return tuple(sources)


def _box(t: "Tensor") -> list:
    """The version counter of a tensor, shared with its views, made on first need."""
    if t._version_box is None:
        t._version_box = [0]
    return t._version_box


def _as_graph_tensor(node: Function, src: Any, arr: Any) -> Any:
    """A saved value as a tensor connected to the graph, for differentiating a backward."""
    if src is None:
        return arr
    if type(src[2]) is int:
        return _output(arr, node, src[2])
    return src[2]


def _describe(arr: Any) -> str:
    return f"{np.asarray(arr).dtype} tensor of shape {tuple(np.shape(arr))}"


class AccumulateGrad(Function):
    """Graph node of a leaf tensor: adds the gradient that reaches it into `.grad`."""

    __slots__ = ("variable",)

    def __init__(self, variable: "Tensor") -> None:
        self.variable = variable
        self.next_functions = ()
        self._seq = -next(_sequence)  # below every op: a leaf is finished last
        self._hooks = None
        self._saved = ()
        self._saved_from = None

    @property
    def _outputs(self) -> tuple:
        data = self.variable._data  # read now: `.data = ...` may have replaced it since
        return ((data.shape, data.dtype),)

    def name(self) -> str:
        return "AccumulateGrad"


AccumulateGrad._ctx_attrs = None  # its tensor is the leaf itself: never released


def once_differentiable(backward: Callable) -> Callable:
    """Mark a NumPy-only backward: it runs on arrays even when differentiated, and a
    second derivative through it raises a clear error instead of being silently wrong."""

    @functools.wraps(backward)
    def wrapper(ctx: Function, *grads: Any) -> Any:
        if not state.enabled:
            return backward(ctx, *grads)
        # what the gradient depends on: the incoming gradients and the saved inputs / outputs
        tied = [t for t in grads + ctx.saved_tensors if isinstance(t, Tensor) and t.requires_grad]
        state.enabled = False
        try:
            result = backward(ctx, *(g._data if isinstance(g, Tensor) else g for g in grads))
        finally:
            state.enabled = True
        single = type(result) is not tuple
        result = (result,) if single else result
        wrapped = tuple(None if r is None else
                        (_Twice.apply(r, ctx.name(), *tied) if tied else Tensor._make(r))
                        for r in result)
        return wrapped[0] if single else wrapped

    return wrapper


class _Twice(Function):
    """Stands for the gradient computed by a once-differentiable backward."""

    __slots__ = ("op",)

    @staticmethod
    def forward(ctx: "_Twice", value: Any, op: str, *grads: Any) -> Any:
        ctx.op = op
        return value

    @staticmethod
    def backward(ctx: "_Twice", g: Any) -> Any:
        raise RuntimeError(
            f"trying to differentiate twice a function that was marked with @once_differentiable: "
            f"the backward of {ctx.op} is NumPy-only, so it has no second derivative here")


from ..tensor import RemovableHandle, Tensor  # noqa: E402  (Tensor and Function refer to each other)

_wrap = Tensor._make
