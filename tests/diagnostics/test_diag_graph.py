"""Graph pictures: the DOT of a known graph has exactly the expected nodes and edges; HTML and SVG render it."""
import re
import shutil

import pytest

import chainrule as cr
from chainrule import nn
from chainrule.diagnostics import build_graph, draw_graph, to_dot, to_html, to_svg, trace_graph
from chainrule.diagnostics.graph import reachable_nodes


def parse_dot(text):
    """{node id: its label lines} and the set of (source label, target label) edges."""
    pattern = r'^\s*"([^"]+)" \[label="((?:[^"\\]|\\.)*)"'
    labels = {m.group(1): m.group(2).split("\\n") for m in re.finditer(pattern, text, re.M)}
    edges = {(labels[a][0], labels[b][0]) for a, b in re.findall(r'^\s*"([^"]+)" -> "([^"]+)"', text, re.M)}
    return labels, edges


def small_graph():
    a = cr.randn(2, 3, requires_grad=True)
    b = cr.randn(2, 3, requires_grad=True)
    out = (a * b).exp().sum()
    return out, {"a": a, "b": b}


def test_dot_of_a_known_graph():
    out, params = small_graph()
    labels, edges = parse_dot(to_dot(build_graph(out, params=params)))
    assert edges == {("a", "MulBackward0"), ("b", "MulBackward0"), ("MulBackward0", "ExpBackward0"),
                     ("ExpBackward0", "SumBackward0"), ("SumBackward0", "output")}
    by_name = {lines[0]: lines[1:] for lines in labels.values()}
    assert by_name["a"] == ["2×3 float32"]
    assert by_name["MulBackward0"] == ["2×3 float32"]          # saves a and b: leaves, no extra memory
    assert by_name["ExpBackward0"] == ["2×3 float32", "saved 24 B"]  # keeps its 2×3 float32 output
    assert by_name["SumBackward0"] == ["scalar float32"]
    assert by_name["output"] == ["scalar float32"]
    assert len(labels) == 6


def test_edges_carry_the_shapes_that_flow():
    out, params = small_graph()
    text = to_dot(build_graph(out, params=params))
    assert len(re.findall(r'-> "[^"]+" \[label="2×3"\]', text)) == 4
    assert len(re.findall(r'-> "out0" \[label="scalar"\]', text)) == 1


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.act = nn.Tanh()

    def forward(self, x):
        return self.act(self.fc(x)) + x


def nested_model():
    cr.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), Block(), nn.Linear(4, 2))


def test_model_graph_names_parameters_and_groups_operations_by_module():
    graph = trace_graph(nested_model(), cr.randn(5, 3))
    modules = {n.label: n.module for n in graph.nodes.values() if n.kind in ("op", "param")}
    assert modules["1.fc.weight"] == "1.fc" and modules["TanhBackward0"] == "1.act"
    assert modules["AddBackward0"] == "1"
    text = to_dot(graph)
    assert 'subgraph "cluster_1" {' in text and 'subgraph "cluster_1.fc" {' in text
    assert 'label="1.fc (Linear)"' in text
    # the residual connection: the first layer's output goes to Block's fc and to its addition
    _, edges = parse_dot(text)
    assert sum(1 for a, b in edges if a == "LinearBackward0" and b in ("LinearBackward0", "AddBackward0")) >= 2
    # bytes kept for backward: layer 0 keeps the 5×3 input, the others a 5×4 activation each
    saved = {n.module: n.saved_bytes for n in graph.nodes.values() if n.kind == "op"}
    assert saved == {"0": 60, "1.fc": 80, "1.act": 80, "1": 0, "2": 80}
    assert graph.saved_bytes == 300


def test_collapsing_nested_modules():
    graph = trace_graph(nested_model(), cr.randn(5, 3), collapse=1)
    boxes = {n.label: n for n in graph.nodes.values()}
    assert set(boxes) == {"0 (Linear)", "1 (Block)", "2 (Linear)", "output"}
    assert boxes["1 (Block)"].ops == 3 and boxes["1 (Block)"].saved_bytes == 160
    _, edges = parse_dot(to_dot(graph))
    assert edges == {("0 (Linear)", "1 (Block)"), ("1 (Block)", "2 (Linear)"), ("2 (Linear)", "output")}
    with pytest.raises(ValueError, match="at least 1"):
        graph.collapsed(0)


def test_html_page_is_self_contained():
    page = draw_graph(nested_model(), cr.randn(5, 3), format="html")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "</html>" in page
    assert "<script" not in page and "src=" not in page and "<link" not in page
    assert "1.fc.weight" in page and "TanhBackward0" in page and "300 B saved for backward" in page


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
def test_svg_through_graphviz(tmp_path):
    out, params = small_graph()
    path = tmp_path / "g.svg"
    draw_graph(out, path=str(path), params=params)
    svg = path.read_text()
    assert "<svg" in svg and "ExpBackward0" in svg and "saved 24 B" in svg


def test_svg_without_graphviz_says_what_to_do(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    out, params = small_graph()
    with pytest.raises(RuntimeError, match="install Graphviz"):
        to_svg(build_graph(out, params=params))


def test_draw_graph_formats_and_errors(tmp_path):
    out, params = small_graph()
    draw_graph(out, path=str(tmp_path / "g.dot"), params=params)
    assert (tmp_path / "g.dot").read_text().startswith('digraph "backprop"')
    assert to_html(build_graph(out)).count("tensor") >= 2  # unnamed leaves
    with pytest.raises(ValueError, match="unknown format 'png'"):
        draw_graph(out, format="png")
    with pytest.raises(ValueError, match="no graph to draw"):
        draw_graph(cr.randn(2, requires_grad=True))
    with pytest.raises(TypeError, match="output tensor or a model"):
        draw_graph([1, 2])


def test_deep_graphs_are_walked_without_recursion():
    x = cr.randn(3, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    assert len(reachable_nodes([y])) == 3001
    assert len(build_graph(y).nodes) == 3002
