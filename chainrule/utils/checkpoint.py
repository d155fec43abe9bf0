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


class _Segment:
    """What a checkpointed call needs to run again: the function, its arguments, the random state."""
    __slots__ = ("function", "args", "kwargs", "rng_state", "context", "outputs", "structure", "check")

    def run(self, args: Sequence[Any]) -> Any:
        """The function applied to `args` in the state of the first run."""
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


def _external(outputs: List[Tensor], start: int, inputs: List[Tensor]) -> List[Tensor]:
    """Tensors requiring grad that the segment read without taking them as arguments (e.g. parameters).

    Walks the segment's graph, i.e. the nodes created after `start`: a leaf is
    returned as itself, an edge into an earlier part of the graph as a stand-in
    tensor carrying that edge (its values are never read).
    """
    own = {id(t) for t in inputs}
    found: dict = {}
    seen = set()
    stack = [o.grad_fn for o in outputs if o.grad_fn is not None]
    stack += [o._edge()[0] for o in outputs if o.grad_fn is None and o.requires_grad]
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
    return list(found.values())


class Checkpoint(Function):
    """The node of a checkpointed segment: inputs -> outputs, its backward recomputes the segment."""
    __slots__ = ("segment", "n_args", "needs")

    @staticmethod
    def forward(ctx, segment, n_args, *arrays):
        ctx.segment, ctx.n_args = segment, n_args
        ctx.save_for_backward(*arrays[:n_args])  # only the arguments: the reason for checkpointing
        outputs, segment.outputs = segment.outputs, None
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    @staticmethod
    @once_differentiable
    def backward(ctx, *grads):
        segment = ctx.segment
        needs = ctx.needs_input_grad[2:]
        saved = ctx.saved_tensors
        args, it = [], iter(saved)
        for a in segment.args:
            if isinstance(a, Tensor):
                arr = next(it)
                a = Tensor._make(arr).requires_grad_(needs[len(args)] and arr.dtype.kind in "fc")
            args.append(a)
        with enable_grad():
            outputs, _ = _flatten(segment.run(args))
        if segment.check and [(o.shape, o.dtype) for o in outputs] != [m for m in ctx._outputs]:
            raise RuntimeError(f"checkpoint: recomputing the segment gave outputs "
                               f"{[(o.shape, str(o.dtype)) for o in outputs]} where the forward pass gave "
                               f"{[(s, str(d)) for s, d in ctx._outputs]}: the checkpointed function must "
                               f"compute the same thing when run again")
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        targets = [t for t, need in zip(tensor_args + segment.kwargs_tensors(), needs) if need] \
            if False else None  # placeholder never used
        del targets
        wanted = [t for t, need in zip(tensor_args, needs) if need] + list(segment.structure[1])
        pairs = [(o, g) for o, g in zip(outputs, grads) if o.requires_grad and g is not None]
        found = grad([o for o, _ in pairs], wanted, [g for _, g in pairs], allow_unused=True,
                     retain_graph=segment.structure[2]) if pairs and wanted else [None] * len(wanted)
        found = iter(found)
        result: List[Any] = [None, None]
        result += [next(found) if need else None for need in needs[:len(tensor_args)]]
        result += [next(found) for _ in segment.structure[1]]
        return tuple(None if g is None else g._data for g in result)
