"""Activation checkpointing: trade compute for memory (PyTorch's `torch.utils.checkpoint`).

A checkpointed segment keeps only its inputs for backward, not the values
inside it; its backward runs the segment again (with the random state it
had, so dropout draws the same masks) and backpropagates through that fresh
copy. For a chain of n layers cut into s segments, the activations kept
fall from about n to about s + n/s layers' worth, for roughly one extra
forward pass.

Gradients reach everything the segment uses, its arguments and the
parameters or other tensors it reads (found by walking its graph once), so
`backward()`, `autograd.grad` and keyword arguments all work whichever
`use_reentrant` is asked for. A second derivative through a checkpointed
segment is not supported and raises a clear error.
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, List, Sequence, Tuple

import numpy as np

from ..autograd import function as _function
from ..autograd.engine import grad
from ..autograd.function import AccumulateGrad, Function, once_differentiable
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..ops.random import get_rng_state, set_rng_state
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "noop_context_fn"]


def noop_context_fn() -> Tuple[Any, Any]:
    """The default `context_fn`: no context around the forward pass or the recomputation."""
    return contextlib.nullcontext(), contextlib.nullcontext()


_TENSOR = object()  # where a tensor argument goes in a segment's arguments


class _Segment:
    """What a checkpointed call needs to run again: the function, its arguments, the random state."""
    __slots__ = ("function", "args", "kwargs", "rng_state", "context", "outputs", "externals", "retain", "check")

    def run(self, args: Sequence[Any]) -> Any:
        """The function applied to `args` in the random state of the first run."""
        current = None
        if self.rng_state is not None:
            current = get_rng_state()
            set_rng_state(self.rng_state)
        try:
            with self.context:
                return self.function(*args, **self.kwargs)
        finally:
            if current is not None:
                set_rng_state(current)


def _flatten(out: Any) -> Tuple[List[Tensor], Any]:
    """The tensors of a function's result, and how to put the result back together from them."""
    if isinstance(out, Tensor):
        return [out], None
    if isinstance(out, (tuple, list)):
        return [o for o in out if isinstance(o, Tensor)], (type(out), [isinstance(o, Tensor) for o in out], out)
    raise TypeError(f"checkpoint: the checkpointed function must return a Tensor or a tuple/list of them, "
                    f"got {type(out).__name__}")


def _unflatten(tensors: Sequence[Tensor], structure: Any) -> Any:
    if structure is None:
        return tensors[0]
    kind, is_tensor, original = structure
    it = iter(tensors)
    return kind(next(it) if t else o for t, o in zip(is_tensor, original))


def _external(outputs: List[Tensor], start: int, inputs: List[Tensor]) -> Tuple[List[Tensor], bool]:
    """Tensors requiring grad that the segment read without taking them as arguments (e.g. parameters).

    Walks the segment's graph, i.e. the nodes created after `start`: a leaf is
    returned as itself, an edge into an earlier part of the graph as a stand-in
    tensor carrying that edge (its values are never read). Also says whether
    there was such an edge.
    """
    own = {id(t) for t in inputs}
    found: dict = {}
    earlier = False
    seen = set()
    stack = [o._edge()[0] for o in outputs if o.requires_grad]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) is AccumulateGrad:
            if id(node.variable) not in own:
                found[id(node)] = node.variable
            continue
        for edge in node.next_functions or ():
            if edge is None:
                continue
            src, nr = edge
            if type(src) is AccumulateGrad or src._seq > start:
                stack.append(src)
            elif (id(src), nr) not in found:
                shape, dtype = src._outputs[nr]
                found[(id(src), nr)] = Tensor._make(np.broadcast_to(np.zeros((), dtype), shape), src, nr)
                earlier = True
    return list(found.values()), earlier


class Checkpoint(Function):
    """The node of a checkpointed segment: its backward runs the segment again and backpropagates through it."""
    __slots__ = ("segment",)

    @staticmethod
    def forward(ctx, segment, n_args, *arrays):
        ctx.segment = segment
        ctx.save_for_backward(*arrays[:n_args])  # only the arguments: the point of checkpointing
        outputs, segment.outputs = segment.outputs, None
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    @staticmethod
    @once_differentiable
    def backward(ctx, *grads):
        segment = ctx.segment
        needs = ctx.needs_input_grad[2:]
        saved = iter(ctx.saved_tensors)
        args, tensor_args = [], []
        for a in segment.args:
            if a is _TENSOR:
                arr = next(saved)
                a = Tensor._make(arr).requires_grad_(needs[len(tensor_args)] and arr.dtype.kind in "fc")
                tensor_args.append(a)
            args.append(a)
        with enable_grad():
            outputs, _ = _flatten(segment.run(args))
        recomputed = [(tuple(o.shape), o.dtype) for o in outputs]
        if segment.check and recomputed != [(tuple(s), d) for s, d in ctx._outputs]:
            raise RuntimeError(f"checkpoint: running the segment again gave outputs {recomputed} where the forward "
                               f"pass gave {list(ctx._outputs)}: a checkpointed function must compute the same "
                               f"thing each time it runs")
        wanted = [t for t, need in zip(tensor_args + segment.externals, needs) if need]
        pairs = [(o, g) for o, g in zip(outputs, grads) if o.requires_grad and g is not None]
        found = iter(grad([o for o, _ in pairs], wanted, [g for _, g in pairs], allow_unused=True,
                          retain_graph=segment.retain) if pairs else [None] * len(wanted))
        result = [next(found) if need else None for need in needs]
        return (None, None) + tuple(None if g is None else g._data for g in result)


def checkpoint(function: Callable, *args: Any, use_reentrant: Any = None, context_fn: Callable = noop_context_fn,
               determinism_check: str = "default", debug: bool = False, early_stop: bool = True,
               **kwargs: Any) -> Any:
    """function(*args, **kwargs), keeping only `args` for backward and recomputing the rest there.

    preserve_rng_state=True (a keyword, as in PyTorch) replays the random
    state, so dropout inside draws the same masks when recomputed.
    context_fn returns two context managers: one around the forward run, one
    around the recomputation. determinism_check='default' checks that the
    recomputed outputs have the shapes and dtypes of the first run ('none'
    skips it). use_reentrant, debug and early_stop are accepted for
    compatibility: there is one implementation, which supports both uses.
    """
    preserve = kwargs.pop("preserve_rng_state", True)
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got {determinism_check!r}")
    if not is_grad_enabled():
        return function(*args, **kwargs)
    forward_context, recompute_context = context_fn()
    segment = _Segment()
    segment.function, segment.kwargs, segment.context = function, kwargs, recompute_context
    segment.check = determinism_check == "default"
    segment.rng_state = get_rng_state() if preserve else None
    originals = [a for a in args if isinstance(a, Tensor)]
    segment.args = [a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a for a in args]
    inputs = [a for a in segment.args if isinstance(a, Tensor)]
    start = next(_function._sequence)
    with forward_context:
        out = function(*segment.args, **kwargs)
    tensors, structure = _flatten(out)
    segment.externals, segment.retain = _external(tensors, start, inputs)
    if not tensors or not (segment.externals or any(t.requires_grad for t in inputs)):
        return out  # nothing in it needs a gradient
    segment.args = [_TENSOR if isinstance(a, Tensor) else a for a in args]  # backward rebuilds the tensors
    segment.outputs = [t._data for t in tensors]
    result = Checkpoint.apply(segment, len(originals), *originals, *segment.externals)
    return _unflatten([result] if isinstance(result, Tensor) else list(result), structure)


def checkpoint_sequential(functions: Any, segments: int, input: Tensor, use_reentrant: Any = None,
                          **kwargs: Any) -> Tensor:
    """Run modules one after another in `segments` checkpointed chunks; the last chunk runs normally.

    functions: an `nn.Sequential` or a list of modules / functions, each taking
    the previous one's output. Keyword: preserve_rng_state (default True).
    """
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    if not 1 <= segments <= len(functions):
        raise ValueError(f"checkpoint_sequential: segments must be between 1 and the number of functions "
                         f"({len(functions)}), got {segments}")

    def run(start: int, end: int) -> Callable:
        def forward(x: Any) -> Any:
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)
