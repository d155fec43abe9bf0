"""Explain one gradient: the chain rule carried out, step by step, on your own network.

`explain(loss, weight, (i, j))` follows every path in the graph from the
loss back to the element weight[i, j]. Along a path each operation
contributes its local derivative ∂(one output element)/∂(one input element);
the path contributes the product of them, and the gradient is the sum over
all paths:

    ∂loss/∂w = Σ over paths  Π over the path's steps  ∂out/∂in

which is what backward computes, all paths at once. The local derivatives
are read off each operation's own backward (one output element at a time),
the products and the sum are done here, and the result is compared with
the gradient that backward gives (`.grad`). Small networks are explained
element by element; for large ones the explanation is summarized tensor by
tensor (how the gradient's size changes on its way back).
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..autograd.engine import _conform, grad
from ..autograd.function import AccumulateGrad, Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from .graph import reachable_nodes
from .scopes import ModuleTrace, parameter_names

# The local derivative of common operations, for the reader (one line each).
RULES = {
    "Add": "∂(a+b)/∂a = ∂(a+b)/∂b = 1", "Sub": "∂(a−b)/∂a = 1, ∂(a−b)/∂b = −1",
    "Mul": "∂(ab)/∂a = b, ∂(ab)/∂b = a", "Div": "∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²", "Neg": "∂(−a)/∂a = −1",
    "Pow": "∂aⁿ/∂a = n·aⁿ⁻¹", "Exp": "∂eˣ/∂x = eˣ", "Log": "∂ln x/∂x = 1/x", "Sqrt": "∂√x/∂x = 1/(2√x)",
    "Tanh": "∂tanh x/∂x = 1 − tanh²x", "Sigmoid": "∂σ(x)/∂x = σ(x)(1 − σ(x))",
    "Relu": "∂relu(x)/∂x = 1 if x > 0 else 0",
    "Sum": "∂Σx/∂xᵢ = 1", "Mean": "∂mean(x)/∂xᵢ = 1/n", "MatMul": "∂(AB)ᵢⱼ/∂Aᵢₖ = Bₖⱼ, ∂(AB)ᵢⱼ/∂Bₖⱼ = Aᵢₖ",
    "Linear": "y = xWᵀ + b: ∂yᵢ/∂xⱼ = Wᵢⱼ, ∂yᵢ/∂Wᵢⱼ = xⱼ, ∂yᵢ/∂bᵢ = 1",
    "ClassIndexNLL": "cross-entropy: ∂loss/∂xⱼ = (softmax(x)ⱼ − [j = target]) / n",
    "LogSoftmax": "∂log softmax(x)ᵢ/∂xⱼ = [i = j] − softmax(x)ⱼ",
}
Key = Tuple[int, int, int]  # (node id, output index, flat element index)


@dataclass
class Step:
    """One factor of a path: ∂(node's output element)/∂(input element) = value."""
    node: str
    output: str
    input: str
    value: float


@dataclass
class Explanation:
    """The paths from the loss to one parameter element, their products, their sum, and `.grad`'s value."""
    parameter: str
    index: tuple
    grad: float                      # what backward gives for this element
    total: Optional[float] = None    # the sum over paths of the products of local derivatives
    n_paths: int = 0
    paths: List[Tuple[float, List[Step]]] = field(default_factory=list)  # (product, steps), largest first
    flow: List[Tuple[str, tuple, float]] = field(default_factory=list)  # (operation, shape, ‖∂loss/∂output‖)
    rules: Dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        name = f"{self.parameter}{_index_text(self.index)}"
        if self.total is None:
            return self._summary(name)
        lines = [f"∂loss/∂{name}: {self.n_paths} path{'s' if self.n_paths != 1 else ''} from the loss to this "
                 f"element; along each, the local derivatives are multiplied (chain rule):"]
        for k, (product, steps) in enumerate(self.paths):
            lines.append(f"path {k + 1}: product {product:+.6g}")
            lines.append(f"      {1:<+12.6g} ∂loss/∂loss")
            for s in steps:
                lines.append(f"    × {s.value:<+12.6g} ∂{s.output}/∂{s.input}   ({s.node})")
        if self.n_paths > len(self.paths):
            rest = self.total - sum(p for p, _ in self.paths)
            lines.append(f"... and {self.n_paths - len(self.paths)} more paths, contributing {rest:+.6g} together")
        lines.append(f"sum over all paths: {self.total:+.8g}")
        agree = math.isclose(self.total, self.grad, rel_tol=1e-4, abs_tol=1e-7)
        lines.append(f"backward's gradient .grad{_index_text(self.index)}: {self.grad:+.8g}  "
                     f"{'(equal up to float32 rounding)' if agree else '(MISMATCH)'}")
        lines += ["local derivatives used:"] + [f"  {op}: {rule}" for op, rule in self.rules.items()]
        return "\n".join(lines)

    def _summary(self, name: str) -> str:
        lines = [f"∂loss/∂{name} = {self.grad:+.8g}. The graph is too large to list the paths element by element; "
                 f"the gradient on its way from the loss back to {self.parameter}:"]
        for op, shape, norm in self.flow:
            lines.append(f"  {op:<28} output {str(shape):<16} ‖∂loss/∂output‖ = {norm:.4g}")
        return "\n".join(lines)


def _index_text(index: tuple) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]"


def explain(loss: Tensor, parameter: Tensor, index: Any = None, model: Any = None,
            trace: Optional[ModuleTrace] = None, max_elements: int = 20000, max_paths: int = 6) -> Explanation:
    """How backpropagation computes ∂loss/∂parameter[index], as a product of local derivatives per path.

    index: an element of the parameter (default: the one with the largest
    gradient). model: names the parameters; trace (a `ModuleTrace` active in
    the forward pass): names the modules. Call it before `backward()` (or
    after `backward(retain_graph=True)`): it needs the values the graph keeps.
    Graphs with more than `max_elements` values on the way are summarized.
    """
    if not isinstance(loss, Tensor) or loss.grad_fn is None or loss.numel() != 1:
        got = f"a tensor of shape {tuple(loss.shape)}" if isinstance(loss, Tensor) else type(loss).__name__
        raise ValueError(f"explain needs a scalar loss computed from tensors that require grad, got {got}")
    if not isinstance(parameter, Tensor) or not parameter.is_leaf or not parameter.requires_grad:
        raise ValueError("explain's second argument must be a leaf tensor that requires grad (a parameter)")
    names = parameter_names(model)
    pname = names.get(id(parameter), "parameter")
    target = parameter._edge()[0]
    nodes = _between(loss.grad_fn, target)
    if target not in nodes:
        raise ValueError(f"{pname} (shape {tuple(parameter.shape)}) was not used to compute this loss")
    incoming = _incoming_gradients(loss, parameter, nodes)
    g = incoming.pop(id(target))[0]
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(np.abs(g))), g.shape)) if index is None \
        else tuple(np.unravel_index(index, g.shape)) if isinstance(index, (int, np.integer)) else tuple(index)
    result = Explanation(pname, index, float(g[index]))
    label = _labeller(names, trace)
    for node in sorted(nodes, key=lambda n: -n._seq):  # from the loss back to the parameter
        for o, go in enumerate(incoming.get(id(node), ())):
            if go is not None:
                result.flow.append((label(node, o), tuple(node._outputs[o][0]), float(np.linalg.norm(go))))
    if sum(int(np.prod(n._outputs[0][0], dtype=np.int64)) for n in nodes) > max_elements:
        return result
    _element_paths(result, loss, target, nodes, int(np.ravel_multi_index(index, g.shape)) if g.ndim else 0,
                   label, max_paths)
    return result


def _between(root: Function, target: Function) -> List[Function]:
    """The nodes on some path from `root` to `target`, in creation order."""
    order = sorted(reachable_nodes([root]), key=lambda n: n._seq)
    on_path = {id(target)}
    for node in order:
        if any(e is not None and id(e[0]) in on_path for e in node.next_functions or ()):
            on_path.add(id(node))
    return [n for n in order if id(n) in on_path]


def _incoming_gradients(loss: Tensor, parameter: Tensor, nodes: Sequence[Function]) -> Dict[int, list]:
    """∂loss/∂(each output of each node on the way), and ∂loss/∂parameter, as backward computes them."""
    seen: Dict[int, list] = {}
    hooks = []
    for node in nodes:
        if type(node) is AccumulateGrad:
            continue

        def hook(grads_in: Any, grads_out: Any, node: Function = node) -> None:
            seen[id(node)] = [None if x is None else np.asarray(x._data if isinstance(x, Tensor) else x)
                              for x in grads_out]
        had = node._hooks
        node.register_hook(hook)
        hooks.append((node, hook, had))
    try:
        g, = grad(loss, parameter, retain_graph=True)
    finally:
        for node, hook, had in hooks:
            node._hooks["post"].remove(hook)
            if had is None:
                node._hooks = None
    seen[id(parameter._edge()[0])] = [g._data]
    return seen


def _labeller(names: Dict[int, str], trace: Optional[ModuleTrace]) -> Any:
    def label(node: Function, output: int) -> str:
        if type(node) is AccumulateGrad:
            return names.get(id(node.variable), "tensor")
        module = trace.module_of(node) if trace is not None else None
        where = f"{module}:" if module else ""
        return f"{where}{type(node).__name__}" + (f".{output}" if len(node._outputs) > 1 else "")
    return label


def _local_jacobian(node: Function, relevant: set) -> Dict[Tuple[int, int], List[Tuple[int, int, float]]]:
    """{(output index, output element): [(input index, input element, ∂out/∂in), ...]} for inputs on the way.

    Row by row: the node's backward given a gradient that is 1 at one output
    element and 0 elsewhere returns that element's derivatives."""
    rows = {}
    metas = node._outputs
    edges = node.next_functions
    with no_grad():
        for o, (shape, dtype) in enumerate(metas):
            for e in range(int(np.prod(shape, dtype=np.int64))):
                seeds = [np.zeros(s, d) for s, d in metas]
                seeds[o].reshape(-1)[e] = 1
                grads_in = node.backward(node, *seeds)
                grads_in = grads_in if isinstance(grads_in, tuple) else (grads_in,)
                row = []
                for i, (edge, gi) in enumerate(zip(edges, grads_in)):
                    if edge is None or gi is None or id(edge[0]) not in relevant:
                        continue
                    gi = np.asarray(_conform(np.asarray(gi), edge[0]._outputs[edge[1]], node, i), dtype=np.float64)
                    for k in np.flatnonzero(gi):
                        row.append((i, int(k), float(gi.reshape(-1)[k])))
                rows[(o, e)] = row
    return rows


def _element_paths(result: Explanation, loss: Tensor, target: Function, nodes: List[Function], element: int,
                   label: Any, max_paths: int) -> None:
    """Fill in the paths, their number and the sum of their products, element by element."""
    relevant = {id(n) for n in nodes}
    jac = {id(n): _local_jacobian(n, relevant) for n in nodes if n is not target}
    # forward from the parameter element: which elements depend on it, by how many paths, with what sum
    reach: Dict[Key, Tuple[float, int]] = {(id(target), 0, element): (1.0, 1)}
    for node in nodes:
        if node is target:
            continue
        edges = node.next_functions
        for (o, e), row in jac[id(node)].items():
            total, count = 0.0, 0
            for i, k, v in row:
                src = edges[i]
                got = reach.get((id(src[0]), src[1], k))
                if got is not None:
                    total += v * got[0]
                    count += got[1]
            if count:
                reach[(id(node), o, e)] = (total, count)
    root = (id(loss.grad_fn), loss._output_nr, 0)
    result.total, result.n_paths = reach.get(root, (0.0, 0))
    result.rules = {type(n).__name__: RULES[type(n).__name__] for n in nodes if type(n).__name__ in RULES}
    by_id = {id(n): n for n in nodes}
    result.paths = _best_paths(root, jac, reach, by_id, label, max_paths)


def _best_paths(root: Key, jac: dict, reach: dict, by_id: dict, label: Any, limit: int) -> list:
    """Up to `limit` complete paths from the loss to the parameter element, largest |product| first.

    Best-first search on |partial product| × (the largest |derivative| still ahead), which
    is an upper bound, so complete paths come out in order of size."""
    bound: Dict[Key, float] = {}
    for key in sorted(reach, key=lambda k: by_id[k[0]]._seq):  # inputs before consumers
        node = by_id[key[0]]
        if type(node) is AccumulateGrad:
            bound[key] = 1.0
            continue
        best = 0.0
        for i, k, v in jac[key[0]][(key[1], key[2])]:
            src = node.next_functions[i]
            nxt = (id(src[0]), src[1], k)
            if nxt in bound:
                best = max(best, abs(v) * bound[nxt])
        bound[key] = best
    found = []
    heap = [(-bound.get(root, 0.0), 0, root, 1.0, [])]
    tie = 1
    while heap and len(found) < limit:
        _, _, key, product, steps = heapq.heappop(heap)
        node = by_id[key[0]]
        if type(node) is AccumulateGrad:
            found.append((product, steps))
            continue
        for i, k, v in jac[key[0]][(key[1], key[2])]:
            src = node.next_functions[i]
            nxt = (id(src[0]), src[1], k)
            if nxt not in bound:  # no path to the parameter element from there
                continue
            many = sum(e is not None for e in node.next_functions) > 1
            step = Step(node.name() + (f", input {i}" if many else ""),
                        label(node, key[1]) + _element_text(key[2], node._outputs[key[1]][0]),
                        label(src[0], src[1]) + _element_text(k, src[0]._outputs[src[1]][0]), v)
            heapq.heappush(heap, (-abs(product * v) * bound[nxt], tie, nxt, product * v, steps + [step]))
            tie += 1
    return found


def _element_text(flat: int, shape: tuple) -> str:
    return _index_text(tuple(int(i) for i in np.unravel_index(flat, shape))) if shape else ""
