"""Drawings of backward graphs: ``draw_graph`` writes the DOT source itself and renders it with
Graphviz when Graphviz is installed.

The drawing reads the graph that autograd recorded (``grad_fn`` → ``next_functions``); it never
runs backward, so it can be drawn before and after ``backward()``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings

import numpy as np

from .._tensor import Tensor
from ..autograd.function import AccumulateGrad
from ._common import GraphInfo, caller_tensors, edges, fmt_array, named_tensors, shape_str

__all__ = ["draw_graph", "GraphDrawing", "graph_to_dot", "graphviz_available"]

INSTALL_HINT = (
    "Graphviz is needed to render graph drawings as SVG/PNG; returning the DOT source instead. "
    "Install the Python package with `pip install graphviz` and the `dot` program with your "
    "system's package manager (`apt-get install graphviz`, `brew install graphviz`, "
    "`conda install graphviz`, or https://graphviz.org/download/). Meanwhile, format='dot' "
    "gives text you can paste into an online Graphviz viewer.")

_FORMATS = ("svg", "png", "pdf", "dot")

_STYLE = {
    "leaf": 'shape=box, style="filled,rounded", fillcolor="lightblue"',
    "const": 'shape=box, style="dashed,rounded", color="gray40", fontcolor="gray25"',
    "op": 'shape=ellipse, style=filled, fillcolor="gray90"',
    "output": 'shape=box, style="filled,bold", fillcolor="darkolivegreen1"',
}


def graphviz_available() -> bool:
    """Whether Graphviz's ``dot`` program can be found, so drawings can be rendered.

    Returns:
        True when ``dot`` is on the ``PATH``.

    Example:
        >>> from chainrule.viz import graphviz_available
        >>> isinstance(graphviz_available(), bool)
        True
    """
    return shutil.which("dot") is not None


def _render(source: str, fmt: str) -> bytes:
    """Render DOT ``source`` to ``fmt`` with the graphviz package (or the ``dot`` program)."""
    if not graphviz_available():
        raise RuntimeError(INSTALL_HINT)
    try:
        import graphviz
    except ImportError:
        graphviz = None
    if graphviz is not None:
        return graphviz.Source(source).pipe(format=fmt)
    proc = subprocess.run([shutil.which("dot"), f"-T{fmt}"], input=source.encode(),
                          capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"dot failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


class GraphDrawing(str):
    """A graph drawing: its DOT source (it *is* that string) that renders itself.

    In Jupyter it displays as an SVG image when Graphviz is installed, and as DOT text
    otherwise. ``pipe('png')`` returns image bytes; ``render(path)`` writes a file.

    Example:
        >>> import chainrule as torch
        >>> from chainrule.viz import draw_graph
        >>> a = torch.tensor(2.0, requires_grad=True)
        >>> g = draw_graph(a * 3, {"a": a}, format="dot")
        >>> g.startswith("digraph")
        True
    """

    format: str

    def __new__(cls, source: str, format: str = "svg") -> "GraphDrawing":
        obj = super().__new__(cls, source)
        obj.format = format
        return obj

    @property
    def source(self) -> str:
        """The DOT source as a plain ``str``."""
        return str.__str__(self)

    def __repr__(self) -> str:
        return self.source

    def pipe(self, format: str | None = None) -> bytes:
        """Render the drawing and return the bytes.

        Args:
            format: ``'svg'``, ``'png'``, ``'pdf'`` or ``'dot'`` (default: the drawing's format).

        Returns:
            The rendered file's content.

        Raises:
            RuntimeError: Graphviz is not installed (the message says how to install it).
        """
        fmt = format or self.format
        if fmt == "dot":
            return self.source.encode()
        return _render(self.source, fmt)

    def render(self, filename: str, format: str | None = None) -> str:
        """Write the drawing to ``filename`` and return the path written.

        Without Graphviz an image cannot be made: a warning says how to install it and the DOT
        source is written next to ``filename`` with the suffix ``.dot``.

        Args:
            filename: the path; a missing suffix is added from ``format``.
            format: ``'svg'``, ``'png'``, ``'pdf'`` or ``'dot'`` (default: the drawing's format).

        Returns:
            The path of the file written.
        """
        fmt = format or self.format
        root, ext = os.path.splitext(os.fspath(filename))
        path = os.fspath(filename) if ext else f"{root}.{fmt}"
        if fmt != "dot" and not graphviz_available():
            warnings.warn(INSTALL_HINT, UserWarning, stacklevel=2)
            fmt, path = "dot", f"{root}.dot"
        data = self.pipe(fmt)
        with open(path, "wb") as f:
            f.write(data)
        return path

    save = render

    def _repr_svg_(self):
        if not graphviz_available():
            return None
        try:
            return _render(self.source, "svg").decode()
        except Exception:  # a display hook must not raise
            return None

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        svg = self._repr_svg_()
        if svg is not None:
            return {"image/svg+xml": svg, "text/plain": "<backward graph drawing>"}
        return {"text/plain": self.source}


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _has_nan(arr) -> bool:
    a = np.asarray(arr)
    return a.dtype.kind == "f" and bool(np.isnan(a).any())


def _tensor_lines(arr, show_values: bool, prefix: str = "") -> list:
    a = np.asarray(arr)
    if not show_values:
        return []
    text = fmt_array(a)
    return [f"{prefix}{text}" if prefix else text]


def graph_to_dot(output: Tensor, params=None, show_values: bool = True, show_grads: bool = True,
                 show_constants: bool = True, rankdir: str = "LR") -> str:
    """The DOT source of the backward graph of ``output`` (no Graphviz needed).

    Args:
        output: the tensor whose graph is drawn.
        params: names for tensors: a dict ``{'a': a}``, ``dict(model.named_parameters())``,
            a module, or pairs; intermediates and constants may be named too. ``None`` takes
            the names of the caller's local variables.
        show_values: print values (≤ 6 elements) or mean/std summaries.
        show_grads: print ``.grad`` of leaves and of intermediates that ``retain_grad()``.
        show_constants: draw tensor inputs that need no gradient (dashed boxes).
        rankdir: Graphviz layout direction (``'LR'`` left to right, ``'TB'`` top to bottom).

    Returns:
        The DOT text.

    Example:
        >>> import chainrule as torch
        >>> from chainrule.viz import graph_to_dot
        >>> x = torch.tensor(2.0, requires_grad=True)
        >>> "MulBackward0" in graph_to_dot(x * x, {"x": x})
        True
    """
    named = named_tensors(params) if params is not None else caller_tensors(1)
    return _build_dot(output, named, show_values, show_grads, show_constants, rankdir)


def _build_dot(output, named, show_values, show_grads, show_constants, rankdir) -> str:
    info = GraphInfo(output, named)
    ids = {node: f"n{i}" for i, node in enumerate(info.nodes)}
    lines = ["digraph backward_graph {",
             f'  graph [rankdir={rankdir}, fontname="Helvetica", nodesep=0.3, ranksep=0.4];',
             '  node [fontname="Helvetica", fontsize=11];',
             '  edge [fontname="Helvetica", fontsize=9, color="gray30"];']
    edge_lines = []
    const_ids: dict = {}
    for node in info.nodes:
        nid = ids[node]
        if isinstance(node, AccumulateGrad):
            label, bad = _leaf_label(node.variable, info, show_values, show_grads)
            style = _STYLE["leaf"]
        else:
            label, bad = _op_label(node, info, show_values, show_grads)
            style = _STYLE["op"]
        if bad:
            style += ', color="red", penwidth=2'
        lines.append(f'  {nid} [label="{_esc(label)}", {style}];')
        consts = info.constants(node) if show_constants else {}
        meta = getattr(node, "_input_meta", ())
        for i, edge in edges(node):
            if edge:
                src, nr = edge
                attrs = f' [label="[{nr}]"]' if _n_outputs(src) > 1 else ""
                edge_lines.append(f"  {ids[src]} -> {nid}{attrs};")
            elif edge is None and show_constants:
                name, value = consts.get(i, (None, None))
                key = name or f"{nid}_c{i}"
                if key not in const_ids:
                    const_ids[key] = f"c{len(const_ids)}"
                    shape = meta[i][0] if i < len(meta) and meta[i] else None
                    clabel = _const_label(name, shape, value, show_values)
                    lines.append(f'  {const_ids[key]} [label="{_esc(clabel)}", '
                                 f'{_STYLE["const"]}];')
                edge_lines.append(f'  {const_ids[key]} -> {nid} [style=dashed, color="gray50"];')
    if output.grad_fn is not None:
        label = _output_label(output, info, show_values)
        lines.append(f'  out [label="{_esc(label)}", {_STYLE["output"]}];')
        edge_lines.append(f"  {ids[output.grad_fn]} -> out;")
    lines.extend(edge_lines)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _n_outputs(node) -> int:
    meta = getattr(node, "_outputs_meta", None)
    return len(meta) if meta else 1


def _leaf_label(t: Tensor, info: GraphInfo, show_values: bool, show_grads: bool):
    name = info.leaf_name(t)
    head = name if name else "leaf"
    lines = [head if t.ndim == 0 else f"{head} {shape_str(t.shape)}"]
    data = t._data
    if show_values:
        lines.append(("= " if data.size <= 6 else "") + fmt_array(data))
    bad = _has_nan(data)
    if show_grads and t._grad is not None:
        lines.append(f"grad {fmt_array(t._grad._data)}")
        bad = bad or _has_nan(t._grad._data)
    return "\n".join(lines), bad


def _op_label(node, info: GraphInfo, show_values: bool, show_grads: bool):
    lines = []
    metas = getattr(node, "_outputs_meta", None) or [None]
    multi = len(metas) > 1
    name = info.names.get((node, 0))
    lines.append(f"{name} = {node.name()}" if name and not multi else node.name())
    bad = False
    for nr, meta in enumerate(metas):
        key = (node, nr)
        tag = f"[{nr}] " if multi else ""
        if multi and (node, nr) in info.names:
            tag = f"[{nr}] {info.names[key]} "
        if show_values and key in info.values:
            value = info.values[key]
            prefix = "= " if np.asarray(value).size <= 6 else ""
            shape = "" if np.ndim(value) == 0 else f"{shape_str(np.shape(value))} "
            lines.append(f"{tag}{shape}{prefix}{fmt_array(value)}")
            bad = bad or _has_nan(value)
        elif meta is not None and len(meta[0]) and (show_values or multi):
            lines.append(f"{tag}{shape_str(meta[0])}")
        if show_grads and key in info.grads:
            lines.append(f"{tag}grad {fmt_array(info.grads[key])}")
            bad = bad or _has_nan(info.grads[key])
    return "\n".join(lines), bad


def _const_label(name, shape, value, show_values: bool) -> str:
    head = f"{name} (constant)" if name else "constant"
    lines = [head if shape is None or len(shape) == 0 else f"{head} {shape_str(shape)}"]
    if show_values and value is not None:
        lines.append(("= " if np.asarray(value).size <= 6 else "") + fmt_array(value))
    return "\n".join(lines)


def _output_label(output: Tensor, info: GraphInfo, show_values: bool) -> str:
    name = info.names.get((output.grad_fn, output.output_nr)) or "output"
    lines = [name if output.ndim == 0 else f"{name} {shape_str(output.shape)}"]
    if show_values:
        lines.append(("= " if output.numel() <= 6 else "") + fmt_array(output._data))
    return "\n".join(lines)


def draw_graph(output: Tensor, params=None, show_values: bool = True, show_grads: bool = True,
               format: str = "svg", filename: str | None = None, show_constants: bool = True,
               rankdir: str = "LR") -> GraphDrawing:
    """Draw the backward graph of ``output``, from the inputs (left) to ``output`` (right).

    Leaves are blue boxes with their names, shapes and values (≤ 6 elements) or mean/std
    summaries; operations are grey ellipses named after their ``grad_fn`` (``MulBackward0``);
    constants are dashed boxes; the output is green. After ``backward()`` the leaves show their
    ``.grad`` and intermediates that called ``retain_grad()`` show theirs. Nodes holding NaN are
    outlined in red. The DOT text is written by chainrule itself; Graphviz (``pip install
    graphviz`` and the ``dot`` program) is only needed to turn it into SVG or PNG.

    Args:
        output: the tensor whose graph is drawn (usually a loss).
        params: names for tensors: ``{'a': a, 'b': b}``, ``dict(model.named_parameters())``,
            a module, or pairs. Intermediates and constants may be named too. ``None`` (the
            default) names tensors after the caller's local variables.
        show_values: print values or summaries.
        show_grads: print gradients.
        format: ``'svg'``, ``'png'``, ``'pdf'`` or ``'dot'``.
        filename: when given, the drawing is also written there (suffix added if missing).
        show_constants: draw tensor inputs that need no gradient.
        rankdir: ``'LR'`` (left to right) or ``'TB'`` (top to bottom).

    Returns:
        A ``GraphDrawing``: the DOT source as a string, which Jupyter displays as an image.
        Without Graphviz (for formats other than ``'dot'``) a warning says how to install it.

    Example:
        >>> import chainrule as torch
        >>> from chainrule.viz import draw_graph
        >>> a = torch.tensor(3.0, requires_grad=True)
        >>> b = torch.tensor(2.0, requires_grad=True)
        >>> e = (a + b) * (b + 1)
        >>> e.backward(retain_graph=True)
        >>> dot = draw_graph(e, {"a": a, "b": b}, format="dot")
        >>> "MulBackward0" in dot and "grad 8" in dot
        True
    """
    if format not in _FORMATS:
        raise ValueError(f"draw_graph: format must be one of {_FORMATS}, received "
                         f"format={format!r}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph: rankdir must be 'LR', 'RL', 'TB' or 'BT', received "
                         f"rankdir={rankdir!r}")
    named = named_tensors(params) if params is not None else caller_tensors(1)
    drawing = GraphDrawing(_build_dot(output, named, show_values, show_grads, show_constants,
                                      rankdir), format)
    if format != "dot" and not graphviz_available() and filename is None:
        warnings.warn(INSTALL_HINT, UserWarning, stacklevel=2)
    if filename is not None:
        drawing.render(filename)
    return drawing
