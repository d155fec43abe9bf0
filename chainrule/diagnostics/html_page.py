"""Graph pictures as one self-contained HTML page (inline SVG, no scripts, no Graphviz needed).

The layout is a plain layered drawing: each node sits one row below the
deepest of its inputs, rows are ordered to keep edges short (barycenters of
the inputs' positions), edges are curves from producer to consumer.
Hovering a box shows its details; a table lists the bytes saved per module.
"""
from __future__ import annotations

import html
from collections import defaultdict
from typing import Dict, List, Tuple

from .dot import FILLS, node_lines, shape_text
from .graph import Graph, format_bytes

CHAR_W, LINE_H, PAD, GAP_X, GAP_Y = 7.0, 15.0, 8.0, 24.0, 56.0


def _ranks(graph: Graph) -> Dict[str, int]:
    """Row of each node: 0 for nodes without inputs, else one more than the deepest input (Kahn's order)."""
    preds: Dict[str, list] = defaultdict(list)
    succs: Dict[str, list] = defaultdict(list)
    for src, dst, _ in graph.edges:
        preds[dst].append(src)
        succs[src].append(dst)
    waiting = {k: len(preds[k]) for k in graph.nodes}
    ready = [k for k, w in waiting.items() if w == 0]
    rank = {k: 0 for k in ready}
    while ready:
        k = ready.pop()
        for d in succs[k]:
            rank[d] = max(rank.get(d, 0), rank[k] + 1)
            waiting[d] -= 1
            if waiting[d] == 0:
                ready.append(d)
    for k in graph.nodes:  # a leaf sits just above its first consumer, not at the top
        if not preds[k] and succs[k]:
            rank[k] = min(rank[d] for d in succs[k]) - 1
    return rank


def layout(graph: Graph) -> Tuple[Dict[str, Tuple[float, float, float, float]], float, float]:
    """(x, y, width, height) of every node's box, and the size of the drawing."""
    rank = _ranks(graph)
    rows: Dict[int, List[str]] = defaultdict(list)
    for k in graph.nodes:
        rows[rank[k]].append(k)
    size = {}
    for k, n in graph.nodes.items():
        lines = node_lines(n)
        size[k] = (max(len(s) for s in lines) * CHAR_W + 2 * PAD, len(lines) * LINE_H + PAD)
    near: Dict[str, list] = defaultdict(list)  # inputs of a node, or consumers of a leaf
    for src, dst, _ in graph.edges:
        near[dst].append(src)
    leaves = {k for k in graph.nodes if not near[k]}
    for src, dst, _ in graph.edges:
        if src in leaves:
            near[src].append(dst)
    pos: Dict[str, float] = {}
    for _ in range(2):  # order each row by the mean position of its neighbours, twice
        for r in sorted(rows):
            row = rows[r]
            row.sort(key=lambda k: sum(pos.get(p, 0.0) for p in near[k]) / max(len(near[k]), 1))
            for i, k in enumerate(row):
                pos[k] = i - (len(row) - 1) / 2
    width = max(sum(size[k][0] for k in row) + GAP_X * (len(row) + 1) for row in rows.values())
    boxes, y = {}, GAP_Y / 2
    for r in sorted(rows):
        row = rows[r]
        x = (width - sum(size[k][0] for k in row) - GAP_X * (len(row) - 1)) / 2
        height = max(size[k][1] for k in row)
        for k in row:
            w, h = size[k]
            boxes[k] = (x, y + (height - h) / 2, w, h)
            x += w + GAP_X
        y += height + GAP_Y
    return boxes, width, y


def to_svg_inline(graph: Graph) -> str:
    """The drawing as an <svg> element."""
    boxes, width, height = layout(graph)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
           f'font-family="Helvetica, Arial, sans-serif" font-size="12">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>']
    for src, dst, shape in graph.edges:
        x0, y0, w0, h0 = boxes[src]
        x1, y1, w1, _ = boxes[dst]
        ax, ay, bx, by = x0 + w0 / 2, y0 + h0, x1 + w1 / 2, y1
        my = (ay + by) / 2
        out.append(f'<path d="M{ax:.1f},{ay:.1f} C{ax:.1f},{my:.1f} {bx:.1f},{my:.1f} {bx:.1f},{by:.1f}" '
                   f'fill="none" stroke="#777" marker-end="url(#arrow)"/>')
        out.append(f'<text x="{(ax + bx) / 2 + 4:.1f}" y="{my:.1f}" font-size="10" fill="#555">'
                   f'{html.escape(shape_text(shape))}</text>')
    for k, n in graph.nodes.items():
        x, y, w, h = boxes[k]
        details = [f"module: {n.module if n.module is not None else '-'}"] + node_lines(n)
        out.append(f'<g><title>{html.escape(chr(10).join(details))}</title>'
                   f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="5" '
                   f'fill="{FILLS[n.kind]}" stroke="#444"/>')
        for i, line in enumerate(node_lines(n)):
            weight = ' font-weight="bold"' if i == 0 else ""
            out.append(f'<text x="{x + w / 2:.1f}" y="{y + PAD / 2 + (i + 0.8) * LINE_H:.1f}" '
                       f'text-anchor="middle"{weight}>{html.escape(line)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def to_html(graph: Graph, title: str = "Computation graph") -> str:
    """A complete HTML page: the drawing, a legend, and the bytes saved for backward per module."""
    per_module: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    for n in graph.nodes.values():
        if n.kind in ("op", "module"):
            row = per_module[n.module if n.module is not None else "(outside any module)"]
            row[0] += n.ops
            row[1] += n.saved_bytes
    rows = "".join(f"<tr><td>{html.escape(m or 'model')}</td><td>{html.escape(graph.module_types.get(m, ''))}</td>"
                   f"<td>{ops}</td><td>{format_bytes(b)}</td></tr>" for m, (ops, b) in per_module.items())
    legend = " ".join(f'<span class="key" style="background:{FILLS[k]}">{k}</span>' for k in FILLS)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #222; }}
.key {{ padding: 2px 8px; border: 1px solid #444; border-radius: 4px; margin-right: 4px; }}
table {{ border-collapse: collapse; margin-top: 1em; }}
td, th {{ border: 1px solid #ccc; padding: 3px 10px; text-align: left; }}
.drawing {{ overflow: auto; border: 1px solid #eee; margin-top: 1em; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{sum(n.ops for n in graph.nodes.values() if n.kind in ("op", "module"))} operations;
{format_bytes(graph.saved_bytes)} saved for backward. Arrows follow the data; hover a box for details.</p>
<p>{legend}</p>
<div class="drawing">{to_svg_inline(graph)}</div>
<table><tr><th>module</th><th>type</th><th>operations</th><th>saved for backward</th></tr>{rows}</table>
</body></html>
"""
