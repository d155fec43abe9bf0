"""Memory of backpropagation: the activations kept for backward, per layer and in total, and the peak of a step.

Backward needs values from the forward pass (a ReLU keeps its output, a
linear layer its input); they stay alive from the forward pass until their
node's backward has run. `saved_bytes(loss)` adds up those buffers, each
counted once however many nodes share it (references to parameters cost
nothing extra and are left out). `peak_memory(fn)` measures the most memory
that NumPy and Python held at once while fn ran (`tracemalloc`).
"""
from __future__ import annotations

import tracemalloc
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..autograd.function import AccumulateGrad
from ..tensor import Tensor
from .graph import format_bytes, memory_key, parameter_buffers, reachable_nodes, saved_arrays
from .scopes import ModuleTrace


def saved_by_node(outputs: Any) -> List[Tuple[Any, int]]:
    """(node, bytes) for every node behind `outputs`, each buffer counted once (for the node that made it first)."""
    nodes = reachable_nodes([outputs] if isinstance(outputs, Tensor) else outputs)
    seen = parameter_buffers(nodes)
    result = []
    for node in reversed(nodes):  # creation order: a buffer belongs to the first node that kept it
        total = 0
        for arr in saved_arrays(node):
            key, nbytes = memory_key(arr)
            if key not in seen:
                seen.add(key)
                total += nbytes
        result.append((node, total))
    return result


def saved_bytes(outputs: Any) -> int:
    """Bytes of activations kept alive for backward by the graph behind `outputs` (a tensor or several)."""
    return sum(b for _, b in saved_by_node(outputs))


def peak_memory(fn: Callable, *args: Any, **kwargs: Any) -> Tuple[Any, int]:
    """(fn(*args, **kwargs), the peak bytes allocated above what was allocated when fn started)."""
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = fn(*args, **kwargs)
        return result, tracemalloc.get_traced_memory()[1] - base
    finally:
        if not tracing:
            tracemalloc.stop()


@dataclass
class MemoryReport:
    """Saved activations per module, in total, and the measured peak of one training step."""
    rows: List[Tuple[str, str, int, int]] = field(default_factory=list)  # (module, type, operations, bytes)
    saved_bytes: int = 0
    parameter_bytes: int = 0
    peak_bytes: Optional[int] = None

    def __str__(self) -> str:
        width = max([len(r[0]) for r in self.rows] + [6])
        lines = [f"{'module':<{width}}  {'type':<16} {'ops':>5}  {'saved for backward':>18}"]
        for name, kind, ops, nbytes in self.rows:
            lines.append(f"{name:<{width}}  {kind:<16} {ops:>5}  {format_bytes(nbytes):>18}")
        lines.append(f"total activations saved for backward: {format_bytes(self.saved_bytes)}")
        lines.append(f"parameters: {format_bytes(self.parameter_bytes)} (their gradients take as much again)")
        if self.peak_bytes is not None:
            lines.append(f"peak memory of the training step (forward + backward): {format_bytes(self.peak_bytes)}")
        return "\n".join(lines)


def memory_report(model: Any, *inputs: Any, loss_fn: Optional[Callable[[Any], Tensor]] = None,
                  step: bool = True) -> MemoryReport:
    """Run model(*inputs) (and loss_fn on its output, else its sum) and report what is saved for backward.

    step=True also runs backward and measures the peak memory of the whole
    step. The model is left as it was: gradients and buffers (batch-norm
    running statistics) are restored afterwards.
    """
    params = list(model.parameters())
    grads = [p.grad for p in params]
    buffers = [(b, b._data.copy()) for b in model.buffers()]
    for p in params:
        p.grad = None
    report = MemoryReport(parameter_bytes=sum(p.nbytes for p in params))

    def run() -> Tensor:
        with ModuleTrace(model) as trace:
            out = model(*inputs)
            loss = loss_fn(out) if loss_fn is not None else out.sum()
        per_module: Dict[str, List[int]] = {}
        for node, nbytes in saved_by_node(loss):
            if type(node) is AccumulateGrad:
                continue  # a leaf, not an operation
            name = trace.module_of(node)
            row = per_module.setdefault(name if name is not None else "(outside the model)", [0, 0])
            row[0] += 1
            row[1] += nbytes
        report.rows = [(name or "(model)", trace.types.get(name, ""), ops, b) for name, (ops, b) in per_module.items()]
        report.saved_bytes = sum(r[3] for r in report.rows)
        if step:
            loss.backward()
        return loss

    try:
        if step:
            report.peak_bytes = peak_memory(run)[1]
        else:
            run()
    finally:
        for p, g in zip(params, grads):
            p.grad = g
        for b, data in buffers:
            b._data[...] = data
    return report
