"""Graph pictures as Graphviz DOT text, and as SVG through the `dot` program when it is installed.

Arrows follow the data (input -> operation -> output); each box shows the
operation, its output shape and dtype and the bytes it keeps for backward;
parameters carry their module names; operations are grouped in one
cluster per module (nested as the modules are) unless collapsed.
"""
from __future__ import annotations

import shutil
import subprocess
from typing import Dict, List

from .graph import Graph, GraphNode, format_bytes

FILLS = {"op": "#eeeeee", "param": "#cfe2ff", "leaf": "#fff3bf", "output": "#c8e6c9", "module": "#ffe0b2"}
SHAPES = {"op": 'shape=box, style="rounded,filled"', "param": "shape=ellipse, style=filled",
          "leaf": "shape=ellipse, style=filled", "output": "shape=box, style=filled",
          "module": "shape=box3d, style=filled"}


def shape_text(shape: tuple) -> str:
    """(32, 10) -> '32×10'; a scalar -> 'scalar'."""
    return "×".join(str(d) for d in shape) if shape else "scalar"


def node_lines(n: GraphNode) -> List[str]:
    """The lines of text in a node's box."""
    lines = [n.label]
    if n.kind == "module":
        lines.append(f"{n.ops} operation{'s' if n.ops != 1 else ''}")
        lines += [f"→ {shape_text(s)}" for s in n.shapes]
    else:
        lines += [f"{shape_text(s)} {d}" for s, d in zip(n.shapes, n.dtypes)]
    if n.saved_bytes:
        lines.append(f"saved {format_bytes(n.saved_bytes)}")
    return lines


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: Graph, name: str = "backprop") -> str:
    """The graph as Graphviz DOT source (render it with `dot -Tsvg` or `dot -Tpng`)."""
    out = [f"digraph {_quote(name)} {{",
           '  graph [rankdir=TB, fontname="Helvetica", fontsize=10];',
           '  node [fontname="Helvetica", fontsize=10];',
           '  edge [fontname="Helvetica", fontsize=9, color="#555555"];']
    clusters: Dict[str, list] = {}
    for n in graph.nodes.values():
        label = _quote("\n".join(node_lines(n)))
        line = f'{_quote(n.key)} [label={label}, {SHAPES[n.kind]}, fillcolor="{FILLS[n.kind]}"];'
        in_cluster = n.kind in ("op", "param") and n.module
        clusters.setdefault(n.module if in_cluster else "", []).append(line)
    _write_clusters(out, clusters, graph.module_types)
    for src, dst, shape in graph.edges:
        out.append(f"  {_quote(src)} -> {_quote(dst)} [label={_quote(shape_text(shape))}];")
    out.append("}")
    return "\n".join(out) + "\n"


def _write_clusters(out: List[str], clusters: Dict[str, list], types: Dict[str, str]) -> None:
    """Nested `subgraph cluster_...` blocks, one per module path, holding the lines of its nodes."""
    paths = set()
    for module in clusters:
        parts = module.split(".") if module else []
        paths.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    children: Dict[str, list] = {}
    for p in sorted(paths):
        children.setdefault(p.rpartition(".")[0], []).append(p)
    stack = [("", 1, False)]
    while stack:
        path, level, closing = stack.pop()
        pad = "  " * level
        if closing:
            out.append(pad[:-2] + "}")
            continue
        if path:
            out.append(f"{pad[:-2]}subgraph {_quote('cluster_' + path)} {{")
            title = _quote(path + " (" + types.get(path, "Module") + ")")
            out.append(f'{pad}label={title}; style=dashed; color="#999999";')
            stack.append((path, level, True))
        out.extend(pad + line for line in clusters.get(path, []))
        for child in reversed(children.get(path, [])):
            stack.append((child, level + 1, False))


def to_svg(graph: Graph) -> str:
    """The graph drawn as SVG by Graphviz's `dot` program."""
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError("drawing SVG needs the `dot` program of Graphviz, which was not found on PATH: "
                           "install Graphviz (e.g. `apt install graphviz` or `brew install graphviz`), or use "
                           "to_dot() for the source or to_html() for a page that needs nothing else")
    done = subprocess.run([dot, "-Tsvg"], input=to_dot(graph).encode(), capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"dot failed (exit {done.returncode}): {done.stderr.decode(errors='replace').strip()}")
    return done.stdout.decode()
