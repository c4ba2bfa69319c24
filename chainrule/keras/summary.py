"""``model.summary()``: Keras 3's table of layers, output shapes and parameter counts.

The table is drawn like Keras 3's (which renders it with ``rich``): a heavy header box, one
row per layer separated by rules, long cells word-wrapped, and totals with their size in
memory below::

    Model: "sequential"
    ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
    ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
    ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
    │ dense (Dense)                   │ (None, 512)            │       401,920 │
    └─────────────────────────────────┴────────────────────────┴───────────────┘
     Total params: 401,920 (1.53 MB)

The default width is ``min(88, terminal columns - 4)`` (76 on an 80-column terminal or when
output is not a terminal). Column widths follow Keras's ``positions`` and are then shrunk
evenly to make room for borders and padding, as rich does.
"""

from __future__ import annotations

import math
import re
import shutil
import sys

from .layers._tree import flatten_shapes, is_shape
from .layers.base import format_shape

__all__ = ["print_summary", "readable_memory_size", "render_table"]


def readable_memory_size(nbytes: float) -> str:
    """``'136.04 KB'``: bytes in binary units with two decimals, as Keras prints them.

    Example:
        >>> readable_memory_size(34826 * 4), readable_memory_size(0)
        ('136.04 KB', '0.00 B')
    """
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if nbytes / 1024 < 1:
            return f"{nbytes:.2f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.2f} PB"


def _column_widths(line_length: int, positions) -> list:
    """Content widths (padding included) of each column for a table ``line_length`` wide."""
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    widths, current = [], 0
    for pos in positions:
        w = pos - current
        if w < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(w + 2)  # each cell carries one space of padding on either side
        current = pos
    # Shrink evenly to fit the borders: the excess is spread over the columns in turn,
    # each taking its (rounded) share of what is left.
    excess = sum(widths) - (line_length - (len(widths) + 1))
    remaining, ratio_left = excess, len(widths)
    for i in range(len(widths)):
        if remaining <= 0:
            break
        take = min(widths[i], round(remaining / ratio_left))
        widths[i] -= take
        remaining -= take
        ratio_left -= 1
    return widths


def _wrap(text: str, width: int) -> list:
    """Greedy word wrap; a word longer than the line is cut with an ellipsis."""
    words = re.findall(r"\S+\s*", text) or [""]
    lines, line = [], ""
    for word in words:
        bare = word.rstrip()
        if line and len(line) + len(bare) > width:
            lines.append(line.rstrip())
            line = ""
        line += word
    lines.append(line.rstrip())
    return [ln if len(ln) <= width else ln[:width - 1] + "…" for ln in lines]


def render_table(header: list, rows: list, widths: list, align: list) -> list:
    """The table's lines (heavy header box, light body with a rule between rows).

    Example:
        >>> for line in render_table(["a", "b"], [["1", "2"]], [5, 5], ["left", "right"]):
        ...     print(line)
        ┏━━━━━┳━━━━━┓
        ┃ a   ┃   b ┃
        ┡━━━━━╇━━━━━┩
        │ 1   │   2 │
        └─────┴─────┘
    """
    inner = [w - 2 for w in widths]

    def rule(left, fill, mid, right):
        return left + mid.join(fill * w for w in widths) + right

    def cells(values, bar_l, bar_m, bar_r, bottom=False):
        wrapped = [_wrap(str(v), w) for v, w in zip(values, inner)]
        height = max(len(c) for c in wrapped)
        if bottom:  # header cells sit on the header's bottom line, as rich draws them
            wrapped = [[""] * (height - len(c)) + c for c in wrapped]
        out = []
        for k in range(height):
            parts = []
            for col, w, a in zip(wrapped, inner, align):
                text = col[k] if k < len(col) else ""
                parts.append(" " + (text.rjust(w) if a == "right" else
                                    text.center(w) if a == "center" else text.ljust(w)) + " ")
            out.append(bar_l + bar_m.join(parts) + bar_r)
        return out

    lines = [rule("┏", "━", "┳", "┓")]
    lines += cells(header, "┃", "┃", "┃", bottom=True)
    lines.append(rule("┡", "━", "╇", "┩"))
    for i, row in enumerate(rows):
        if i:
            lines.append(rule("├", "─", "┼", "┤"))
        lines += cells(row, "│", "│", "│")
    lines.append(rule("└", "─", "┴", "┘"))
    return lines


def _shape_text(layer) -> str:
    shapes = layer._output_shape
    if shapes is None:
        return "?"
    if is_shape(shapes):
        return format_shape(shapes)
    flat = flatten_shapes(shapes)
    if len(flat) == 1:
        return format_shape(flat[0])
    return "[" + ", ".join(format_shape(s) for s in flat) + "]"


def _params_text(layer) -> str:
    if not layer.built and not layer._vars:
        return "0 (unbuilt)"
    return f"{int(sum(w.numel() for w in layer.weights)):,}"


def _sequential_like(model) -> bool:
    graph = getattr(model, "_graph", None)
    if graph is None or type(model).__name__ == "Sequential":
        return True
    for node in graph.nodes:
        if len(node.input_tensors) > 1:
            return False
    users: dict = {}
    for node in graph.nodes:
        for t in node.input_tensors:
            users[id(t)] = users.get(id(t), 0) + 1
    return all(n <= 1 for n in users.values()) and \
        len({id(n.layer) for n in graph.nodes}) == len(graph.nodes)


def _connections(model, layer) -> str:
    graph = model._graph
    parts = []
    for node in graph.nodes:
        if node.layer is not layer:
            continue
        for t in node.input_tensors:
            src, node_index, tensor_index = t._keras_history
            parts.append(f"{src.name}[{node_index}][{tensor_index}]")
    return ", ".join(parts) if parts else "-"


def _count(weights) -> int:
    return int(sum(int(w.numel()) for w in weights))


def print_summary(model, line_length=None, positions=None, print_fn=None,
                  expand_nested: bool = False, show_trainable: bool = False,
                  layer_range=None) -> None:
    """Print (or pass to ``print_fn``) the summary of ``model`` (see the module docstring).

    Example:
        >>> from chainrule import keras
        >>> keras.backend.clear_session()
        >>> m = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10)])
        >>> lines = []
        >>> m.summary(line_length=76, print_fn=lines.append)
        >>> print(lines[0].splitlines()[4])
        │ dense (Dense)                   │ (None, 10)             │         7,850 │
    """
    sequential = _sequential_like(model)
    if sequential:
        default, positions = 88, positions or [0.45, 0.80, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
        align = ["left", "left", "right"]
    else:
        default, positions = 108, positions or [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        align = ["left", "left", "right", "left"]
    if show_trainable:
        default += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        align.append("center")
    if line_length is None:
        line_length = min(default, shutil.get_terminal_size().columns - 4)
    widths = _column_widths(line_length, list(positions))

    layers = list(model.layers)
    if layer_range is not None:
        first = [i for i, lay in enumerate(layers) if re.match(layer_range[0], lay.name)]
        last = [i for i, lay in enumerate(layers) if re.match(layer_range[1], lay.name)]
        if not first or not last:
            raise ValueError(f"Passed layer_names do not match the layer names in the model. "
                             f"Received: {layer_range}")
        layers = layers[min(first):max(last) + 1]

    rows = []

    def add(layer, level):
        prefix = "   " * level + "└ " if level else ""
        row = [f"{prefix}{layer.name} ({type(layer).__name__})", _shape_text(layer),
               _params_text(layer)]
        if not sequential:
            row.append(_connections(model, layer))
        if show_trainable:
            row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        rows.append(row)
        if expand_nested and hasattr(layer, "layers") and layer.layers:
            for sub in layer.layers:
                add(sub, level + 1)

    for layer in layers:
        add(layer, 0)

    trainable = _count(model.trainable_weights)
    non_trainable = _count(model.non_trainable_weights)
    opt_count, opt_bytes = 0, 0
    opt = getattr(model, "optimizer", None)
    if getattr(model, "compiled", False) and opt is not None and opt.built:
        opt_count, opt_bytes = opt.variables_size()
    lines = [f'Model: "{model.name}"']
    lines += render_table(header, rows, widths, align)
    total_bytes = 4 * (trainable + non_trainable) + opt_bytes
    lines.append(f" Total params: {trainable + non_trainable + opt_count:,} "
                 f"({readable_memory_size(total_bytes)})")
    lines.append(f" Trainable params: {trainable:,} ({readable_memory_size(4 * trainable)})")
    lines.append(f" Non-trainable params: {non_trainable:,} "
                 f"({readable_memory_size(4 * non_trainable)})")
    if opt is not None and getattr(model, "compiled", False) and opt.built:
        lines.append(f" Optimizer params: {opt_count:,} ({readable_memory_size(opt_bytes)})")
    text = "\n".join(lines) + "\n"
    if print_fn is not None:
        print_fn(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


_ = math
