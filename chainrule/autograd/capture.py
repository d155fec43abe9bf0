"""Graph capture and replay: the recorded operations of one call, run again without rebuilding the graph.

A `Tape` is filled while a call runs eagerly (through the `tracer` hook of
`Function.apply`): the graph nodes it made, in order, and for every backward
from given roots a plan, the order in which the engine visits the nodes
(decreasing creation order, as its heap would) with each gradient's slot.

On a replay the same Python runs again, but every operation that would record
a node reuses the node recorded at its position instead (`Function.apply`
hands it to `Tape.forward`): its forward runs on the new arrays with that node
as ctx, after a check that it is the same operation, fed from the same places
(the same earlier nodes, the same leaves, the same `requires_grad`), making the
same shapes and dtypes. A backward from recorded roots then follows its plan
(`Tape.backward`): no heap, no search for where a gradient goes, the same
summation order as the engine, so the same numbers bit for bit. Anything the
plan does not cover (`autograd.grad`, other roots) runs in the engine on the
very same nodes, which are a real graph.

The nodes are reused by the next call, so the tensors of a call lose their
graph when it returns (`Tape.finish`): their `grad_fn` becomes an `_Expired`
stand-in whose backward explains, instead of a silently wrong gradient.
"""
from __future__ import annotations

from threading import get_ident
from typing import Any, Optional

import numpy as np

from . import engine
from .function import AccumulateGrad, Function, _box, _results, _sources
from .grad_mode import state


class CaptureError(RuntimeError):
    """A compiled call does not match the captured one (shapes, operations, wiring), or cannot be replayed."""


class Tape:
    """The nodes of a captured call, in creation order, and the backward plans from its roots."""

    def __init__(self, name: str) -> None:
        self.name = name            # the compiled function, for messages
        self.entries: list = []     # per node: (node, its edges as a list, float output?, ctx attributes,
                                    #            where its saved values came from)
        self.plans: dict = {}       # tuple of root edges -> _Plan
        self.twins: dict = {}       # node -> its _Expired stand-in
        self.made: list = []        # the result tensors of the current call (to expire when it returns)
        self.pos = 0                # entries replayed so far in this call
        self.capturing = True
        self.thread = get_ident()   # other threads' operations are not the step's

    # -- capture -----------------------------------------------------------
    def record(self, node: Function, args: tuple, results: Any) -> None:
        """The `tracer` hook while capturing: keep every node that was recorded in the graph."""
        if node.next_functions is None or get_ident() != self.thread:
            return
        floating = results.grad_fn is node if type(results) is not tuple else None
        where = tuple(_origin(src, args) for src in node._saved_from) if node._saved else None
        if where == _OUTPUT:
            where = _OUTPUT
        self.entries.append((node, list(node.next_functions), floating, type(node)._ctx_attrs, where))
        self.twins[node] = _Expired.of(node, self.name)
        self._made(results)

    # -- replay ------------------------------------------------------------
    def start(self) -> None:
        """Begin a replayed call."""
        self.made = []
        self.pos = 0
        self.thread = get_ident()

    def finish(self) -> None:
        """End a call: its tensors give up their graph, which the next call reuses."""
        twins = self.twins
        for t in self.made:
            if type(t) is TensorView:  # its stored node, unread (reading would remake it: the base's changes)
                fn = _stored_node.__get__(t)
                _stored_node.__set__(t, twins.get(fn, fn))
                t._base_fn = twins.get(t._base_fn, t._base_fn)  # the base's node becomes a twin too
                continue
            twin = twins.get(t.grad_fn)
            if twin is not None:
                t.grad_fn = twin
        self.made = []

    def forward(self, cls: type, args: tuple, arrays: list, edges: list) -> Any:
        """`Function.apply` of an operation that records: run it on the node recorded at this position."""
        if get_ident() != self.thread:
            return None  # (another thread: recorded normally)
        i = self.pos
        try:
            node, recorded, floating, attrs, where = self.entries[i]
        except IndexError:
            raise self._mismatch(i, cls, args, edges) from None
        if type(node) is not cls or recorded != edges:
            raise self._mismatch(i, cls, args, edges)
        self.pos = i + 1
        node._saved = ()
        node._hooks = None
        if attrs is not None:
            _forget(node, attrs)
        out = cls.forward(node, *arrays)
        if floating is not None and type(out) is np.ndarray:  # the common case, inline
            meta = node._outputs[0]
            if out.shape != meta[0] or (out.dtype is not meta[1] and out.dtype != meta[1]):
                raise self._shape_error(i, node, ((out.shape, out.dtype),))
            results = _wrap(out, node if floating else None, 0)
            self.made.append(results)
        else:
            before = node._outputs
            results = _results(node, out)
            if node._outputs != before:
                after, node._outputs = node._outputs, before
                raise self._shape_error(i, node, after)
            self._made(results)
        saved = node._saved
        if saved:
            if where is _OUTPUT and len(saved) == 1 and saved[0] is out:  # (the common case, inline: y = f(x) kept y)
                box = results._version_box = [0]
                node._saved_from = ((box, 0, 0),)
            else:
                node._saved_from = _resolve(where, saved, args, results)
        return results

    def _made(self, results: Any) -> None:
        if type(results) is tuple:
            self.made.extend(results)
        else:
            self.made.append(results)

    def backward(self, roots: list, grads: list, retain_graph: bool, create_graph: bool,
                 capture: Optional[dict]) -> bool:
        """The engine's hook: run the plan of these roots; False leaves the backward to the engine."""
        if get_ident() != self.thread:
            return False
        if create_graph:
            raise CaptureError(f"compiled step {self.name}: create_graph=True (higher-order gradients) is not "
                               f"supported in a compiled step; call this step without compile")
        if capture is not None:
            return False  # autograd.grad, backward(inputs=...): the engine, on these same nodes
        key = tuple(roots)
        plan = self.plans.get(key)
        if self.capturing:
            if plan is None:
                self.plans[key] = _Plan(roots)
            return False
        if plan is None:
            return False
        plan.run(grads, retain_graph)
        return True

    # -- errors ------------------------------------------------------------
    def _mismatch(self, i: int, cls: type, args: tuple, edges: list) -> CaptureError:
        what = f"compiled step {self.name}: operation {i} ({cls.__name__})"
        advice = ("A compiled step must run the same operations, on the same shapes, fed from the same tensors, "
                  "on every call; call a step whose operations vary without compile.")
        if i >= len(self.entries):
            return CaptureError(f"{what} was not in the captured call, which recorded only {len(self.entries)} "
                                f"operations: the step's control flow or grad mode changed since it was "
                                f"captured. {advice}")
        node, recorded = self.entries[i][:2]
        if type(node) is not cls:
            return CaptureError(f"{what}: the captured call ran {type(node).__name__} at this position: the "
                                f"step's control flow (or which tensors require grad) changed since it was "
                                f"captured. {advice}")
        if len(edges) != len(recorded):
            return CaptureError(f"{what} got {len(edges)} arguments, {len(recorded)} in the captured call. {advice}")
        k = next(k for k, (e, r) in enumerate(zip(edges, recorded)) if e != r)
        return CaptureError(f"{what}: its input {k} is {self._describe(edges[k], args[k])}, but in the captured "
                            f"call it was {self._describe(recorded[k], None)}. {advice}")

    def _describe(self, edge: Optional[tuple], arg: Any) -> str:
        if edge is None:
            return "a value that needs no gradient"
        node = edge[0]
        if type(node) is AccumulateGrad:
            var = node.variable
            desc = f"the leaf tensor of shape {tuple(var.shape)} at {hex(id(var))}"
            if arg is not None and arg.grad_fn is None:
                desc += (" (a different tensor object than at capture: update parameters in place, as "
                         "optimizers do, instead of replacing them)")
            return desc
        if type(node) is _Expired:
            return (f"the result of {node.name()} from an earlier call (detach tensors carried from one call "
                    f"to the next)")
        pos = next((j for j, e in enumerate(self.entries) if e[0] is node), None)
        where = f"operation {pos} of this step" if pos is not None else "an operation outside the compiled step"
        return f"output {edge[1]} of {node.name()} ({where})"

    def _shape_error(self, i: int, node: Function, got: tuple) -> CaptureError:
        show = (lambda metas: ", ".join(f"{tuple(s)} {d}" for s, d in metas))
        return CaptureError(f"compiled step {self.name}: operation {i} ({type(node).__name__}) made "
                            f"{show(got)}, but {show(node._outputs)} in the captured call: shapes or dtypes "
                            f"changed. A compiled step is for fixed shapes; call it without compile (or compile "
                            f"one step per shape).")


_OUTPUT = (-1,)  # `_origin`s of a node that saved its one output and nothing else


def _origin(src: Optional[tuple], args: tuple) -> Optional[int]:
    """Where a saved value came from, as a position: input k >= 0, output i as -1 - i, None for a constant."""
    if src is None:
        return None
    if type(src[2]) is int:
        return -1 - src[2]
    return next(k for k, a in enumerate(args) if a is src[2])


def _resolve(where: Optional[tuple], saved: tuple, args: tuple, results: Any) -> tuple:
    """`_sources` (version tracking of the saved values) from the positions found at capture, checked;
    a forward that saved something else this time is searched as `Function.apply` would."""
    if where is None or len(where) != len(saved):
        return _sources(saved, args, results)
    sources = []
    outputs = results if type(results) is tuple else (results,)
    for w, arr in zip(where, saved):
        if w is None:
            if type(arr) is np.ndarray and any(isinstance(a, Tensor) and a._data is arr for a in args + outputs):
                return _sources(saved, args, results)  # (a constant at capture, a tensor's array now)
            sources.append(None)
        elif w >= 0:
            a = args[w]
            if a._data is not arr:
                return _sources(saved, args, results)
            box = _box(a)
            sources.append((box, box[0], a))
        else:
            o = outputs[-1 - w]
            if o._data is not arr:
                return _sources(saved, args, results)
            sources.append((_box(o), 0, -1 - w))
    return tuple(sources)


def _forget(node: Function, names: tuple) -> None:
    """Clear the ctx attributes a node kept from its last forward, so this one starts as a new node would."""
    for name in names:
        if name == "__dict__":
            node.__dict__.clear()
        elif hasattr(node, name):
            delattr(node, name)


class _Plan:
    """A backward from given roots, laid out once: the nodes in the engine's order (decreasing creation
    order), one gradient slot per node output, and where each gradient a backward returns goes."""

    __slots__ = ("roots", "steps", "size")

    def __init__(self, roots: list) -> None:
        nodes, seen, stack = [], set(), [node for node, _ in roots]
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                nodes.append(node)
                stack.extend(e[0] for e in (node.next_functions or ()) if e is not None)
        nodes.sort(key=lambda n: -n._seq)
        base, size = {}, 0
        for node in nodes:
            base[node] = size
            size += len(node._outputs)
        self.size = size
        self.roots = [(base[node] + nr, node, nr) for node, nr in roots]
        self.steps = []  # (node, first slot, number of outputs, routes: (input number, slot, target, output))
        for node in nodes:
            edges = node.next_functions
            routes = None if type(node) is AccumulateGrad else tuple(
                (i, base[e[0]] + e[1], e[0], e[1]) for i, e in enumerate(edges) if e is not None)
            self.steps.append((node, base[node], len(node._outputs), len(edges), routes))

    def run(self, grads: list, retain_graph: bool) -> None:
        """What `engine.execute` does for these roots, in the same order, without a heap."""
        slots = [None] * self.size
        for (slot, node, nr), g in zip(self.roots, grads):
            meta = node._outputs[nr]
            if g.shape != meta[0] or g.dtype != meta[1]:
                g = engine._conform(g, meta, None, 0)
            slots[slot] = g if slots[slot] is None else slots[slot] + g
        handed = {id(g) for g in grads}
        observe = engine.on_backward
        run_node, conform = engine.run_node, engine._conform
        prev = state.enabled
        state.enabled = False
        try:
            for node, base, n, count, routes in self.steps:
                if n == 1:
                    g = slots[base]
                    if g is None:
                        continue
                    slots[base] = None  # (freed as the engine frees what it popped)
                    grads_out = [g]
                else:
                    grads_out = slots[base:base + n]
                    if all(g is None for g in grads_out):
                        continue
                    slots[base:base + n] = [None] * n
                hooks = node._hooks
                if hooks is not None and "pre" in hooks:
                    grads_out = engine._run_pre_hooks(node, grads_out)
                if routes is None:
                    engine._accumulate(node.variable, grads_out[0], False, handed)
                    continue
                grads_in = run_node(node, grads_out, retain_graph)
                if observe is not None:
                    observe(node, grads_in, grads_out)
                if hooks is not None and "post" in hooks:
                    grads_in = engine._run_post_hooks(hooks["post"], grads_in, grads_out)
                if len(grads_in) != count:
                    raise engine._count_error(node, grads_in)
                for i, slot, target, nr in routes:
                    g = grads_in[i]
                    if g is None:
                        continue
                    meta = target._outputs[nr]
                    if g.shape != meta[0] or g.dtype is not meta[1]:
                        g = conform(g, meta, node, i)
                    got = slots[slot]
                    slots[slot] = g if got is None else got + g
        finally:
            state.enabled = prev


class _Expired(Function):
    """Stands for a reused node in the tensors of an earlier call: same outputs, a backward that explains."""

    __slots__ = ("op", "step")

    @classmethod
    def of(cls, node: Function, step: str) -> "_Expired":
        twin = object.__new__(cls)
        twin.next_functions, twin._saved, twin._saved_from, twin._hooks = (), (), None, None
        twin._seq, twin._outputs = node._seq, node._outputs
        twin.op, twin.step = node.name(), step
        return twin

    def name(self) -> str:
        return self.op

    @staticmethod
    def backward(ctx: "_Expired", *grads: Any) -> Any:
        raise CaptureError(
            f"backward through a tensor made by an earlier call of compiled step {ctx.step} (by {ctx.op}): the "
            f"next call reuses its graph, so the graph of a call ends when the call returns. Call backward "
            f"inside the compiled function (forward, loss and backward in one step).")


from ..tensor import Tensor, TensorView  # noqa: E402

_stored_node = Tensor.grad_fn  # the slot itself, which TensorView's property reads after syncing

_wrap = Tensor._make
