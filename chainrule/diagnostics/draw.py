"""`draw_graph`: one call from a tensor or a model to a picture file (DOT, SVG or HTML)."""
from __future__ import annotations

import os
from typing import Any, Optional

from ..tensor import Tensor
from .dot import to_dot, to_svg
from .graph import build_graph, trace_graph
from .html_page import to_html

RENDERERS = {"dot": to_dot, "gv": to_dot, "svg": to_svg, "html": to_html, "htm": to_html}


def draw_graph(target: Any, *inputs: Any, path: Optional[str] = None, model: Any = None, params: Any = None,
               collapse: Optional[int] = None, format: Optional[str] = None) -> str:
    """The computation graph of `target` as DOT, SVG or HTML text, written to `path` if given.

    target: an output tensor (model / params name its parameters), or a model,
    which is run on `inputs` so each operation is placed in its module;
    collapse=1 then shows one box per child module, 2 per grandchild, ...
    format: 'dot', 'svg' (needs Graphviz) or 'html'; by default the extension of path, else 'dot'.
    """
    if isinstance(target, Tensor):
        if inputs:
            raise TypeError("draw_graph: inputs are for drawing a model; an output tensor needs none")
        graph = build_graph(target, model=model, params=params)
        if collapse is not None:
            raise ValueError("draw_graph: collapse needs to know the modules: pass the model and its inputs "
                             "instead of an output tensor")
    elif hasattr(target, "named_modules"):
        graph = trace_graph(target, *inputs, collapse=collapse)
    else:
        raise TypeError(f"draw_graph: expected an output tensor or a model, got {type(target).__name__}")
    kind = (format or (os.path.splitext(path)[1][1:] if path else "dot")).lower()
    if kind not in RENDERERS:
        raise ValueError(f"draw_graph: unknown format {kind!r}; expected one of dot, svg, html")
    text = RENDERERS[kind](graph)
    if path is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return text
