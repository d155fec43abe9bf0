"""The computation graph behind a tensor, as plain data ready to draw or measure.

`build_graph(output)` walks from `output.grad_fn` through `next_functions`
(iteratively) and describes every operation (name, output shapes and dtypes,
bytes it keeps for backward, the module that made it) and every leaf (a
parameter by its module name, or another tensor that requires grad).
`Graph.collapsed(depth)` merges what nested modules did into one box per
module. Renderers: `to_dot` / `to_svg` (dot.py) and `to_html` (html_page.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Tuple

import numpy as np

from ..autograd.function import AccumulateGrad, Function
from ..tensor import Tensor
from .scopes import ModuleTrace, parameter_names

_BASE_SLOTS = frozenset(Function.__slots__)


def reachable_nodes(outputs: Iterable[Any]) -> List[Function]:
    """Every graph node behind `outputs` (tensors or nodes), latest first (the order backward runs them)."""
    stack = [o.grad_fn if isinstance(o, Tensor) else o for o in outputs]
    seen: Dict[int, Function] = {}
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen[id(node)] = node
        stack.extend(e[0] for e in (node.next_functions or ()) if e is not None)
    return sorted(seen.values(), key=lambda n: -n._seq)


def saved_arrays(node: Function) -> List[np.ndarray]:
    """The arrays a node keeps for its backward: what it saved, and arrays held in its own attributes."""
    arrays = [a for a in (node._saved or ()) if isinstance(a, np.ndarray)]
    for cls in type(node).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if slot not in _BASE_SLOTS:
                value = getattr(node, slot, None)
                if isinstance(value, np.ndarray):
                    arrays.append(value)
    return arrays


def memory_key(arr: np.ndarray) -> Tuple[int, int]:
    """(identity, bytes) of the buffer an array keeps alive: a view keeps its whole base."""
    while isinstance(arr.base, np.ndarray):
        arr = arr.base
    return id(arr), arr.nbytes


def parameter_buffers(nodes: Iterable[Function]) -> set:
    """Identities of the leaves' buffers: saved references to parameters cost no extra memory."""
    return {memory_key(n.variable._data)[0] for n in nodes if type(n) is AccumulateGrad}


@dataclass
class GraphNode:
    """One box of the picture: an operation, a leaf, an output, or (collapsed) a module."""
    key: str
    kind: str                      # "op", "param", "leaf", "output" or "module"
    label: str
    shapes: List[tuple] = field(default_factory=list)
    dtypes: List[str] = field(default_factory=list)
    saved_bytes: int = 0
    module: Optional[str] = None   # dotted module name ('' = the model itself)
    ops: int = 1                   # operations inside (a collapsed module has many)


@dataclass
class Graph:
    """Nodes by key and edges (from producer to consumer, with the shape that flows)."""
    nodes: Dict[str, GraphNode]
    edges: List[Tuple[str, str, tuple]]
    module_types: Dict[str, str] = field(default_factory=dict)

    @property
    def saved_bytes(self) -> int:
        return sum(n.saved_bytes for n in self.nodes.values())

    def collapsed(self, depth: int) -> "Graph":
        """Merge everything made inside modules nested deeper than `depth` into one node per module."""
        if depth < 1:
            raise ValueError(f"collapse depth must be at least 1 (1: one box per child of the model), got {depth}")
        nodes: Dict[str, GraphNode] = {}
        rename: Dict[str, str] = {}
        for key, n in self.nodes.items():
            parts = n.module.split(".") if n.module else []
            if len(parts) < depth:  # outside any module, or in one not nested that deep: kept as it is
                nodes[key], rename[key] = n, key
                continue
            group = ".".join(parts[:depth])
            mkey = rename[key] = "m:" + group
            box = nodes.get(mkey)
            if box is None:
                kind = self.module_types.get(group, "Module")
                box = nodes[mkey] = GraphNode(mkey, "module", f"{group} ({kind})", module=group, ops=0)
            box.saved_bytes += n.saved_bytes
            box.ops += n.ops
        edges, seen = [], set()
        for src, dst, shape in self.edges:
            a, b = rename[src], rename[dst]
            if a != b and (a, b, shape) not in seen:
                seen.add((a, b, shape))
                edges.append((a, b, shape))
        for a, b, shape in edges:  # a module box shows the shapes it hands on
            box = nodes[a]
            if box.kind == "module" and shape not in box.shapes:
                box.shapes.append(shape)
        return Graph(nodes, edges, self.module_types)


def build_graph(outputs: Any, model: Any = None, params: Any = None, trace: Optional[ModuleTrace] = None) -> Graph:
    """Describe the graph behind `outputs` (a tensor or several).

    model / params ({name: tensor}): name the parameters; trace: a `ModuleTrace`
    active during the forward pass, to place each operation in its module.
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    for i, o in enumerate(outputs):
        if not isinstance(o, Tensor) or o.grad_fn is None:
            raise ValueError(f"output {i} has no graph to draw: expected a tensor computed from tensors that "
                             f"require grad, got {'a leaf tensor' if isinstance(o, Tensor) else type(o).__name__}")
    names = parameter_names(model, params)
    fns = reachable_nodes(outputs)
    shared = parameter_buffers(fns)
    nodes: Dict[str, GraphNode] = {}
    edges: List[Tuple[str, str, tuple]] = []
    keys = {id(f): f"n{i}" for i, f in enumerate(fns)}
    for fn in fns:
        key = keys[id(fn)]
        metas = fn._outputs
        shapes, dtypes = [tuple(m[0]) for m in metas], [str(m[1]) for m in metas]
        if type(fn) is AccumulateGrad:
            name = names.get(id(fn.variable))
            module = name.rpartition(".")[0] if name is not None else None
            nodes[key] = GraphNode(key, "param" if name else "leaf", name or "tensor", shapes, dtypes, 0, module, 0)
            continue
        saved = {k: b for k, b in map(memory_key, saved_arrays(fn)) if k not in shared}
        module = trace.module_of(fn) if trace is not None else None
        nodes[key] = GraphNode(key, "op", fn.name(), shapes, dtypes, sum(saved.values()), module)
        for edge in fn.next_functions or ():
            if edge is not None:
                src = edge[0]
                edges.append((keys[id(src)], key, tuple(src._outputs[edge[1]][0])))
    for i, o in enumerate(outputs):
        key = f"out{i}"
        nodes[key] = GraphNode(key, "output", "output" if len(outputs) == 1 else f"output {i}",
                               [tuple(o.shape)], [str(o.dtype)], 0, None, 0)
        edges.append((keys[id(o.grad_fn)], key, tuple(o.shape)))
    return Graph(nodes, edges, dict(trace.types) if trace is not None else {})


def trace_graph(model: Any, *inputs: Any, collapse: Optional[int] = None, **kwargs: Any) -> Graph:
    """Run `model(*inputs)` and describe its graph with every operation placed in its module."""
    with ModuleTrace(model) as trace:
        out = model(*inputs, **kwargs)
    graph = build_graph(out, model=model, trace=trace)
    return graph.collapsed(collapse) if collapse is not None else graph


def format_bytes(n: float) -> str:
    """1536 -> '1.5 KiB'."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"
