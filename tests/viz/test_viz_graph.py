"""draw_graph: DOT nodes, edges, labels and gradients for the course's graphs; rendering."""

import re
import sys
import warnings

import numpy as np
import pytest

import chainrule as torch
from chainrule import nn
from chainrule.viz import GraphDrawing, draw_graph, graph_to_dot, graphviz_available
from chainrule.viz import graph as graph_module

needs_dot = pytest.mark.skipif(not graphviz_available(), reason="Graphviz `dot` not installed")


def leaf(v):
    return torch.tensor(v, requires_grad=True)


def parse(dot: str):
    """``(labels, edges)``: node id -> label lines; edges as (src label head, dst label head)."""
    labels = {}
    for nid, label in re.findall(r'^\s+(\w+) \[label="((?:[^"\\]|\\.)*)"', dot, re.M):
        labels[nid] = label.replace("\\n", "\n").replace('\\"', '"').split("\n")
    edges = re.findall(r"^\s+(\w+) -> (\w+)", dot, re.M)
    return labels, edges


def by_head(labels, head):
    return [nid for nid, lines in labels.items() if lines[0] == head]


def test_e_graph_nodes_edges_values_and_grads():
    a, b = leaf(3.0), leaf(2.0)
    e = (a + b) * (b + 1)
    before = draw_graph(e, {"a": a, "b": b}, format="dot")
    labels, edges = parse(before)
    (na,), (nb,) = by_head(labels, "a"), by_head(labels, "b")
    adds = by_head(labels, "AddBackward0")
    (mul,) = by_head(labels, "MulBackward0")
    assert len(adds) == 2 and labels[na][1] == "= 3" and labels[nb][1] == "= 2"
    assert sorted(labels[n][1] for n in adds) == ["= 3", "= 5"]  # c = a+b, d = b+1 (saved)
    assert labels["out"] == ["output", "= 15"]
    # forward direction: inputs -> ops -> output; b feeds both additions
    assert (nb, adds[0]) in edges and (nb, adds[1]) in edges
    assert sum(1 for s, _ in edges if s == na) == 1
    assert {(n, mul) for n in adds} <= set(edges) and (mul, "out") in edges
    assert not any("grad" in line for lines in labels.values() for line in lines)
    e.backward()
    labels, _ = parse(draw_graph(e, {"a": a, "b": b}, format="dot"))
    assert labels[by_head(labels, "a")[0]][-1] == "grad 3"
    assert labels[by_head(labels, "b")[0]][-1] == "grad 8"


def test_f_graph_after_backward_shows_gradients():
    x, y, z = leaf(-2.0), leaf(5.0), leaf(-4.0)
    f = (x + y) * z
    f.backward(retain_graph=True)
    labels, edges = parse(draw_graph(f, {"x": x, "y": y, "z": z}, format="dot"))
    grads = {labels[n][0]: labels[n][-1] for n in labels if labels[n][0] in "xyz"}
    assert grads == {"x": "grad -4", "y": "grad -4", "z": "grad 3"}
    (mul,), (add,) = by_head(labels, "MulBackward0"), by_head(labels, "AddBackward0")
    assert (add, mul) in edges and (by_head(labels, "z")[0], mul) in edges
    assert labels["out"][-1] == "= -12"


def test_J_graph_with_constants_and_names_from_caller():
    x, y = torch.tensor(2.0), torch.tensor(5.0)
    w, b = leaf(3.0), leaf(4.0)
    J = (y - (w * x + b)) ** 2
    J.backward(retain_graph=True)
    dot = draw_graph(J, format="dot")  # names come from this function's variables
    labels, edges = parse(dot)
    heads = [lines[0] for lines in labels.values()]
    for op in ("PowBackward0", "SubBackward0", "AddBackward0", "MulBackward0"):
        assert any(h.endswith(op) for h in heads)
    assert labels[by_head(labels, "w")[0]] == ["w", "= 3", "grad 20"]
    assert labels[by_head(labels, "b")[0]] == ["b", "= 4", "grad 10"]
    assert labels[by_head(labels, "x (constant)")[0]] == ["x (constant)", "= 2"]
    assert labels["out"] == ["J", "= 25"]
    (pow_,) = [n for n, lines in labels.items() if lines[0] == "J = PowBackward0"]
    (sub,) = by_head(labels, "SubBackward0")
    assert labels[sub] == ["SubBackward0", "= -5"]
    assert (sub, pow_) in edges and (pow_, "out") in edges
    assert "style=dashed" in dot


def test_retained_intermediate_shows_its_gradient_and_name():
    a, b = leaf(3.0), leaf(2.0)
    c = a + b
    c.retain_grad()
    e = c * (b + 1)
    e.backward(retain_graph=True)
    labels, _ = parse(draw_graph(e, {"a": a, "b": b, "c": c}, format="dot"))
    (nc,) = [n for n, lines in labels.items() if lines[0] == "c = AddBackward0"]
    assert labels[nc][1:] == ["= 5", "grad 3"]
    # an unnamed retained tensor is found through its hook as well
    labels, _ = parse(draw_graph(e, {"a": a, "b": b}, format="dot"))
    assert any(lines[-1] == "grad 3" and lines[0] == "AddBackward0" for lines in labels.values())


def test_linear_model_named_parameters_and_summaries():
    torch.manual_seed(0)
    model = nn.Linear(10, 5)
    out = model(torch.randn(4, 10)).pow(2).mean()
    out.backward(retain_graph=True)
    dot = draw_graph(out, dict(model.named_parameters()), format="dot")
    labels, edges = parse(dot)
    (w,), (bias,) = by_head(labels, "weight [5, 10]"), by_head(labels, "bias [5]")
    assert labels[w][1].startswith("mean=") and "std=" in labels[w][1]
    assert labels[w][2].startswith("grad mean=")
    assert labels[bias][1].startswith("= [") and labels[bias][2].startswith("grad [")
    assert any(lines[0] == "MeanBackward0" for lines in labels.values())
    assert all(any(s == n for s, _ in edges) for n in (w, bias))
    # a module works as params too
    assert draw_graph(out, model, format="dot") == dot


def test_options_hide_values_grads_constants_and_layout():
    x = torch.tensor(2.0)
    w = leaf(3.0)
    y = w * x
    y.backward(retain_graph=True)
    dot = draw_graph(y, {"w": w}, show_values=False, show_grads=False, show_constants=False,
                     format="dot", rankdir="TB")
    labels, _ = parse(dot)
    assert labels[by_head(labels, "w")[0]] == ["w"]
    assert "constant" not in dot and "rankdir=TB" in dot
    with pytest.raises(ValueError, match="format"):
        draw_graph(y, format="jpeg")
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(y, format="dot", rankdir="XY")


def test_nan_nodes_are_outlined_and_graph_of_a_leaf():
    x = leaf(-1.0)
    with np.errstate(invalid="ignore"):
        y = x.log() * 2
    dot = graph_to_dot(y, {"x": x})
    assert 'color="red"' in dot
    lone = graph_to_dot(x, {"x": x})
    assert parse(lone)[0]["n0"][0] == "x" and "->" not in lone
    with pytest.raises(ValueError, match="requires_grad"):
        graph_to_dot(torch.tensor(1.0))


def test_deep_chain_is_walked_iteratively():
    x = leaf(1.0)
    y = x
    for _ in range(3000):
        y = y * 1.0
    dot = graph_to_dot(y, {"x": x}, show_values=False)
    assert dot.count("MulBackward0") == 3000


def test_without_graphviz_returns_dot_and_warns(monkeypatch, tmp_path):
    monkeypatch.setattr(graph_module.shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "graphviz", None)
    a = leaf(1.0)
    with pytest.warns(UserWarning, match="pip install graphviz"):
        g = draw_graph(a * 2, {"a": a})
    assert isinstance(g, GraphDrawing) and g.startswith("digraph")
    assert g._repr_svg_() is None and set(g._repr_mimebundle_()) == {"text/plain"}
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        g.pipe("png")
    with pytest.warns(UserWarning, match="Graphviz"):
        path = g.render(tmp_path / "graph.png")
    assert path.endswith("graph.dot") and open(path).read().startswith("digraph")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert draw_graph(a * 2, {"a": a}, format="dot").source.startswith("digraph")
        draw_graph(a * 2, {"a": a}, format="dot", filename=tmp_path / "plain")
    assert (tmp_path / "plain.dot").read_text().startswith("digraph")


@needs_dot
def test_svg_and_png_rendering(tmp_path):
    pytest.importorskip("graphviz")
    a, b = leaf(3.0), leaf(2.0)
    e = (a + b) * (b + 1)
    g = draw_graph(e, {"a": a, "b": b}, filename=tmp_path / "e_graph")
    svg = (tmp_path / "e_graph.svg").read_text()
    assert "<svg" in svg and "MulBackward0" in svg
    assert "image/svg+xml" in g._repr_mimebundle_()
    png = draw_graph(e, {"a": a, "b": b}, format="png").pipe()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    draw_graph(e, {"a": a, "b": b}, format="png", filename=tmp_path / "e.png")
    assert (tmp_path / "e.png").read_bytes()[:4] == b"\x89PNG"
