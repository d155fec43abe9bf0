"""The backpropagation engine: walk the recorded graph backwards, applying the chain rule.

The forward pass left a graph behind: every result tensor points to the node
(`grad_fn`) that made it, and every node to the nodes of its inputs
(`next_functions`). Backward starts at the loss with gradient 1 and visits
the nodes in reverse creation order. Creation order is already a valid
topological order (an operation is recorded after everything it consumes),
so a max-heap on each node's sequence number guarantees a node runs only
once all the gradients flowing into it have been summed (a node that comes
before everything in the heap, as the next link of a chain does, skips the
heap). No recursion: a chain of 100,000 operations is as easy as a chain of
three.

At each node: gradient of the loss w.r.t. its inputs = node.backward(ctx,
gradient w.r.t. its outputs), the chain rule. Leaves (parameters) are
reached through an `AccumulateGrad` node, which adds into `.grad`.
"""
from __future__ import annotations

import heapq
from typing import Any, Optional, Sequence

import numpy as np

from .function import AccumulateGrad, Function, freed_error
from .grad_mode import state
from .release import release

on_backward = None  # diagnostics (anomaly mode): called as on_backward(node, grads_in, grads_out) after each backward
tape = None  # graph replay (chainrule.compile): runs a backward it planned when captured (see capture.py)


def execute(roots: Sequence[tuple], grads: Sequence[Any], retain_graph: bool, create_graph: bool,
            capture: Optional[dict] = None) -> Optional[list]:
    """Backpropagate `grads` from the graph edges `roots` (node, output index).

    Plain mode: gradients are NumPy arrays and leaves accumulate into `.grad`.
    create_graph: gradients are Tensors, and the backward pass is recorded.
    capture: {edge: position}; the gradients reaching those edges are returned
    instead of touching any `.grad` (this is `autograd.grad`).
    """
    if tape is not None and tape.backward(roots, grads, retain_graph, create_graph, capture):
        return None
    pending: dict = {}  # node -> the gradients received so far, one slot per output
    heap: list = []     # (-creation order, node): the latest node first
    for (node, nr), g in zip(roots, grads):
        _receive(pending, heap, node, nr, g, None, 0)
    needed, runs = _needed_nodes(roots, capture) if capture is not None else (None, None)
    captured = [None] * len(capture) if capture is not None else None
    handed = {id(g) for g in grads}  # arrays not to become some .grad as they are: the caller's, or given already
    observe = on_backward
    prev = state.enabled
    state.enabled = create_graph
    pop, push = heapq.heappop, heapq.heappush
    ahead = None  # a node known to come before everything in the heap (the next link of a chain): no heap trip
    try:
        while True:
            if ahead is not None:
                node, ahead = ahead, None
            elif heap:
                node = pop(heap)[1]
            else:
                break
            grads_out = pending.pop(node)
            hooks = node._hooks
            if hooks is not None and "pre" in hooks:
                grads_out = _run_pre_hooks(node, grads_out)
            if capture is not None:
                _capture(capture, captured, node, grads_out)
                if node not in runs:  # its gradient was all that was asked of it
                    continue
            if type(node) is AccumulateGrad:
                if capture is None:
                    _accumulate(node.variable, grads_out[0], create_graph, handed)
                continue
            grads_in = run_node(node, grads_out, retain_graph)
            if observe is not None:
                observe(node, grads_in, grads_out)
            if hooks is not None and "post" in hooks:
                grads_in = _run_post_hooks(hooks["post"], grads_in, grads_out)
            i = -1
            try:
                for edge, g in zip(node.next_functions, grads_in, strict=True):  # strict: counts checked below
                    i += 1
                    if edge is None or g is None:
                        continue
                    target = edge[0]
                    if needed is not None and target not in needed:
                        continue
                    outputs = target._outputs
                    meta = outputs[edge[1]]
                    if g.shape != meta[0] or g.dtype is not meta[1]:  # (identity first: dtypes are shared objects)
                        g = _conform(g, meta, node, i)
                    slots = pending.get(target)
                    if slots is None:  # first gradient to reach this node: schedule it
                        if len(outputs) == 1:
                            pending[target] = [g]
                        else:
                            slots = pending[target] = [None] * len(outputs)
                            slots[edge[1]] = g
                        seq = target._seq
                        if ahead is None:
                            if heap and heap[0][0] < -seq:
                                push(heap, (-seq, target))
                            else:
                                ahead = target
                        elif seq > ahead._seq:
                            push(heap, (-ahead._seq, ahead))
                            ahead = target
                        else:
                            push(heap, (-seq, target))
                    else:
                        got = slots[edge[1]]
                        slots[edge[1]] = g if got is None else got + g
            except ValueError:  # (zip's strict check: the count, else a backward's own error)
                if len(grads_in) != len(node.next_functions):
                    raise _count_error(node, grads_in) from None
                raise
    finally:
        state.enabled = prev
    return captured


def run_node(node: Function, grads_out: list, retain_graph: bool) -> tuple:
    """One node's backward: missing output gradients as zeros; what it saved freed after, unless retained."""
    if len(grads_out) != 1 and any(g is None for g in grads_out):
        grads_out = [_zeros(meta) if g is None else g for g, meta in zip(grads_out, node._outputs)]
    try:
        grads_in = node.backward(node, *grads_out)
    except AttributeError:
        if node._saved is None and node._ctx_attrs is not None:
            raise freed_error(node) from None  # a ctx attribute was freed by a first backward
        raise
    if not retain_graph:
        node._saved = node._saved_from = None
        if node._ctx_attrs is not None:
            release(node, node._ctx_attrs)
    return grads_in if type(grads_in) is tuple else (grads_in,)


def _capture(capture: dict, captured: list, node: Function, grads_out: list) -> None:
    """Sum the gradients reaching the edges asked for by `grad` (or `backward(inputs=...)`)."""
    for i, g in enumerate(grads_out):
        pos = capture.get((node, i))
        if pos is not None:
            captured[pos] = g if captured[pos] is None else captured[pos] + g


def _count_error(node: Function, grads_in: tuple) -> Exception:
    expected = len(node.next_functions)
    return RuntimeError(
        f"function {node.name()} returned an incorrect number of gradients (expected {expected}, got "
        f"{len(grads_in)}): backward must return one value per argument of forward (None for arguments "
        f"that are not tensors or need no gradient)")


def _receive(pending: dict, heap: list, node: Function, nr: int, g: Any, source: Any, index: int) -> None:
    """Sum gradient `g` into what output `nr` of `node` has received so far."""
    meta = node._outputs[nr]
    if g.shape != meta[0] or g.dtype != meta[1]:
        g = _conform(g, meta, source, index)
    slots = pending.get(node)
    if slots is None:
        slots = pending[node] = [None] * len(node._outputs)
        heapq.heappush(heap, (-node._seq, node))
    slots[nr] = g if slots[nr] is None else slots[nr] + g


def _conform(g: Any, meta: tuple, source: Any, index: int) -> Any:
    """A gradient in the shape and dtype of the value it belongs to, as PyTorch's engine makes it:
    summed over broadcast dimensions and cast; any other shape is an error of the backward."""
    shape, dtype = meta
    if g.shape != shape:
        try:
            expandable = np.broadcast_shapes(shape, g.shape) == tuple(g.shape)
        except ValueError:
            expandable = False
        if not expandable:
            who = f"function {source.name()}" if source is not None else "the gradient given to backward"
            raise RuntimeError(f"{who} returned an invalid gradient at index {index} - got shape "
                               f"{tuple(g.shape)} but expected shape compatible with {tuple(shape)}")
        from ..ops.arithmetic import unbroadcast
        g = unbroadcast(g, shape)
    if g.dtype != dtype:
        g = g.type(dtype) if isinstance(g, Tensor) else g.astype(dtype)
    return g


def _zeros(meta: tuple) -> Any:
    shape, dtype = meta
    if state.enabled:
        return Tensor._make(np.zeros(shape, dtype))
    return np.zeros(shape, dtype)


def _accumulate(t: "Tensor", g: Any, create_graph: bool, handed: set) -> None:
    """Add a gradient into a leaf's `.grad` (in place when it already exists, as PyTorch does)."""
    if t._hooks:
        for hook in t._hooks:
            gt = g if isinstance(g, Tensor) else Tensor._make(g)
            out = hook(gt)
            if out is not None:
                g = out if create_graph else out._data
    if create_graph:  # .grad carries the graph of its own computation
        gt = g if isinstance(g, Tensor) else Tensor._make(g)
        t.grad = gt if t.grad is None else t.grad + gt
    else:
        if isinstance(g, Tensor):
            g = g._data
        if g.shape != t._data.shape:
            raise RuntimeError(f"gradient of shape {g.shape} reached a leaf of shape {t._data.shape}")
        if t.grad is None:
            if g.base is not None or id(g) in handed or not g.flags.writeable or g.dtype != t._data.dtype:
                g = np.array(g, dtype=t._data.dtype, order="C")  # own it: it may alias another array
            handed.add(id(g))
            t.grad = Tensor._make(g)
        else:
            np.add(t.grad._data, g, out=t.grad._data, casting="unsafe")
    if t._post_accumulate_hooks:
        for hook in t._post_accumulate_hooks:
            hook(t)


def _run_pre_hooks(node: Function, grads: list) -> list:
    """Tensor.register_hook on non-leaf tensors: may replace the gradient of an output."""
    grads = list(grads)
    for nr, hook in node._hooks["pre"]:
        if grads[nr] is None:
            continue
        g = grads[nr]
        out = hook(g if isinstance(g, Tensor) else Tensor._make(g))
        if out is not None:
            grads[nr] = out if state.enabled else out._data
    return grads


def _run_post_hooks(hooks: list, grads_in: tuple, grads_out: Any) -> tuple:
    """Function.register_hook: hook(grad_inputs, grad_outputs) sees tensors; returning a tuple replaces grad_inputs."""
    wrap = state.enabled
    as_tensors = (lambda gs: tuple(g if wrap or g is None else Tensor._make(g) for g in gs))
    for hook in hooks:
        out = hook(as_tensors(grads_in), as_tensors(grads_out))
        if out is not None:
            grads_in = tuple(g if wrap or g is None else g._data for g in out)
    return grads_in


def _needed_nodes(roots: Sequence[tuple], capture: dict) -> tuple:
    """(the nodes that must receive their gradient: the captured ones and those from which one can be
    reached; the nodes among them that must run their backward: those from which one can be reached)."""
    targets = {edge[0] for edge in capture}
    order = []
    seen = set()
    stack = [r[0] for r in roots]
    while stack:  # collect every node reachable from the roots
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        stack.extend(e[0] for e in (node.next_functions or ()) if e is not None)
    needed, runs = set(targets), set()
    for node in sorted(order, key=lambda n: n._seq):  # inputs before consumers
        if any(e is not None and e[0] in needed for e in (node.next_functions or ())):
            needed.add(node)
            runs.add(node)
    return needed, runs


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: Optional[bool] = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate into every leaf's `.grad` the gradient of `tensors` (PyTorch's `autograd.backward`)."""
    tensors = _as_list(tensors)
    grad_tensors = _as_list(grad_tensors) if grad_tensors is not None else [None] * len(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    roots, grads = _roots(tensors, grad_tensors, create_graph, "backward")
    if inputs is not None:
        inputs = _as_list(inputs)
        captured = execute(roots, grads, retain_graph, create_graph,
                           {_input_edge(t, i): i for i, t in enumerate(inputs)})
        for t, g in zip(inputs, captured):
            if g is not None:
                _accumulate(t, g, create_graph, set())
        return
    execute(roots, grads, retain_graph, create_graph)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: Optional[bool] = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple:
    """Gradients of `outputs` w.r.t. `inputs`, returned (no `.grad` is touched).

    With create_graph=True the result is itself differentiable: grad of grad,
    Hessian-vector products, gradient penalties.
    """
    outputs = _as_list(outputs)
    inputs = _as_list(inputs)
    grad_outputs = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    roots, grads = _roots(outputs, grad_outputs, create_graph, "grad")
    capture = {}
    for i, t in enumerate(inputs):
        capture.setdefault(_input_edge(t, i), i)
    captured = execute(roots, grads, retain_graph, create_graph, capture)
    result = []
    for i, t in enumerate(inputs):
        g = captured[capture[_input_edge(t, i)]]
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}, shape {tuple(t.shape)}) appears to "
                    f"not have been used in the graph. Set allow_unused=True if this is the desired behavior.")
            result.append(None)
        elif isinstance(g, Tensor):
            result.append(g)
        else:
            result.append(Tensor._make(np.array(g, dtype=t.dtype) if g.dtype != t.dtype else g))
    return tuple(result)


def _as_list(x: Any) -> list:
    if isinstance(x, (Tensor, np.ndarray)) or x is None:
        return [x]
    return list(x)


def _input_edge(t: "Tensor", i: int) -> tuple:
    if not isinstance(t, Tensor):
        raise TypeError(f"inputs must be Tensors; input {i} is a {type(t).__name__}")
    if not t.requires_grad:
        raise RuntimeError(f"input {i} (shape {tuple(t.shape)}) does not require grad: "
                           f"create it with requires_grad=True or call .requires_grad_()")
    return t._edge()


def _roots(tensors: list, grads: list, create_graph: bool, what: str) -> tuple:
    if len(grads) != len(tensors):
        raise RuntimeError(f"{what}: got {len(tensors)} tensors but {len(grads)} gradients")
    roots, values = [], []
    for i, (t, g) in enumerate(zip(tensors, grads)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{what}: expected Tensors to differentiate, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if t._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; this output has shape "
                    f"{tuple(t.shape)}: pass gradient= a tensor of that shape (e.g. ones_like(output))")
            g = np.ones_like(t._data)
        elif not isinstance(g, Tensor) or not create_graph:  # with create_graph, a tensor stays in the graph
            g = g._data if isinstance(g, Tensor) else np.asarray(g, dtype=t.dtype)
        if g.shape != t._data.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} and "
                               f"output[{i}] has a shape of {t._data.shape}.")
        roots.append(t._edge())
        values.append(Tensor._make(g) if create_graph and not isinstance(g, Tensor) else g)
    return roots, values


from ..tensor import Tensor  # noqa: E402
