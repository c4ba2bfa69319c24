"""Shared helpers of ``chainrule.viz``: walking a backward graph, naming its tensors, finding the
values the graph still holds, undoing broadcasting, and formatting numbers for people.

Everything here reads the graph; nothing changes it (no ``.grad``, no freeing, no hooks run).
"""

from __future__ import annotations

import sys
from collections import deque

import numpy as np

from .._tensor import Tensor
from ..autograd.function import AccumulateGrad

# Operator spelling of the primitives whose formula a course writes with a symbol.
BINARY_SYMBOLS = {"AddBackward0": "+", "SubBackward0": "-", "MulBackward0": "*",
                  "DivBackward0": "/", "PowBackward0": "**", "MmBackward0": "@",
                  "MatmulBackward0": "@"}
UNARY_PREFIX = {"NegBackward0": "-"}


def edges(node) -> list:
    """``[(input_index, edge)]`` of a node, aligned with its backward's results.

    ``edge`` is ``(next_node, output_nr)`` for an input that needs a gradient, ``None`` for a
    tensor input that does not (a constant), and ``False`` for a non-tensor argument.
    """
    nxt = getattr(node, "_next", None)
    if nxt is None:
        nxt = node.next_functions
    return list(enumerate(nxt))


def walk(output: Tensor) -> list:
    """The nodes reachable from ``output.grad_fn`` (or its ``AccumulateGrad`` for a leaf) in
    breadth-first order, iteratively so that very deep graphs work."""
    root = root_node(output)
    order, seen, queue = [], {root}, deque([root])
    while queue:
        node = queue.popleft()
        order.append(node)
        for _, edge in edges(node):
            if edge and edge[0] not in seen:
                seen.add(edge[0])
                queue.append(edge[0])
    return order


def root_node(output: Tensor):
    """The graph node that backward starts from for ``output``."""
    if not isinstance(output, Tensor):
        raise TypeError(f"expected a chainrule Tensor, received {type(output).__name__}")
    if output.grad_fn is not None:
        return output.grad_fn
    if not output.requires_grad:
        raise ValueError("the tensor does not require grad and has no grad_fn, so there is no "
                         "graph to show: create the inputs with requires_grad=True")
    return output._accumulator()


def forward_order(output: Tensor) -> list:
    """The nodes reachable from ``output`` in an order the forward pass could have computed
    them: inputs before the ops that use them, left operand first (iterative post-order)."""
    root = root_node(output)
    order, done, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if node in done:
            continue
        if expanded:
            done.add(node)
            order.append(node)
            continue
        stack.append((node, True))
        for _, edge in reversed(edges(node)):
            if edge and edge[0] not in done:
                stack.append((edge[0], False))
    return order


def reverse_topological(output: Tensor) -> list:
    """Nodes in the order reverse mode visits them: a node comes after every node that sends it
    a gradient. Ties are broken left input first, so course tables read naturally."""
    nodes = walk(output)
    deps = {n: 0 for n in nodes}
    for n in nodes:
        for _, edge in edges(n):
            if edge:
                deps[edge[0]] += 1
    order, queue = [], deque([nodes[0]])
    while queue:
        node = queue.popleft()
        order.append(node)
        for _, edge in edges(node):
            if edge:
                deps[edge[0]] -= 1
                if deps[edge[0]] == 0:
                    queue.append(edge[0])
    return order


def graph_freed(nodes) -> bool:
    """Whether backward already freed the saved tensors of some node in ``nodes``."""
    return any(getattr(n, "_saved", ()) is None for n in nodes
               if not isinstance(n, AccumulateGrad))


def sum_to_shape(arr: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``arr`` down to ``shape``, undoing NumPy broadcasting (as the engine does)."""
    arr = np.asarray(arr)
    if arr.shape == tuple(shape):
        return arr
    lead = arr.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                      if s == 1 and arr.shape[lead + i] != 1)
    return (arr.sum(axis=axes, keepdims=True) if axes else arr).reshape(shape)


def retained_tensor(node, nr: int):
    """The tensor that ``retain_grad()`` registered on output ``nr`` of ``node``, or None."""
    hooks = (getattr(node, "_pre_hooks", None) or {}).get(nr, ())
    for hook in hooks:
        if not getattr(hook, "_is_retain", False):
            continue
        for cell in getattr(hook, "__closure__", None) or ():
            try:
                ref = cell.cell_contents
            except ValueError:
                continue
            if callable(ref) and not isinstance(ref, Tensor):
                try:
                    t = ref()
                except TypeError:
                    continue
                if isinstance(t, Tensor):
                    return t
    return None


def named_tensors(params) -> list:
    """``[(name, tensor)]`` from a dict, an ``nn.Module``, or an iterable of pairs."""
    if params is None:
        return []
    if hasattr(params, "named_parameters") and not isinstance(params, dict):
        return [(n, p) for n, p in params.named_parameters()]
    items = params.items() if isinstance(params, dict) else params
    out = []
    for item in items:
        name, t = item
        if isinstance(t, Tensor):
            out.append((str(name), t))
        elif hasattr(t, "named_parameters"):
            out.extend((f"{name}.{n}", p) for n, p in t.named_parameters())
    return out


def caller_tensors(depth: int) -> list:
    """Tensors bound to variables in a caller's frame (and its modules' parameters), so a graph
    can name ``a``, ``b``, ``c`` as the user wrote them. Names starting with ``_`` are skipped
    (IPython's output cache)."""
    try:
        frame = sys._getframe(depth + 1)
    except ValueError:
        return []
    found = []
    for name, value in list(frame.f_locals.items()):
        if name.startswith("_"):
            continue
        if isinstance(value, Tensor):
            found.append((name, value))
        elif hasattr(value, "named_parameters") and hasattr(value, "_parameters"):
            try:
                found.extend((f"{name}.{n}", p) for n, p in value.named_parameters())
            except Exception:  # a half-built module must not break a drawing
                continue
    return found


class GraphInfo:
    """What is known about a graph's tensors: names, values and gradients.

    Args:
        output: the tensor the graph ends in.
        named: ``[(name, tensor)]`` naming leaves, constants and intermediates.
    """

    def __init__(self, output: Tensor, named: list) -> None:
        self.output = output
        self.nodes = walk(output)
        node_set = set(self.nodes)
        self.leaf_names: dict = {}     # id(leaf tensor) -> name
        self.const_names: dict = {}    # id(constant tensor) -> name
        self.names: dict = {}          # (node, nr) -> name of an intermediate
        self.values: dict = {}         # (node, nr) -> array
        self.grads: dict = {}          # (node, nr) -> array (retained gradients)
        self.stale: set = set()        # (node, nr) whose saved value was changed in place
        for name, t in named:
            if t.grad_fn is not None:
                key = (t.grad_fn, t.output_nr)
                if t.grad_fn in node_set:
                    self.names.setdefault(key, name)
                    self.values.setdefault(key, t._data)
                    if t._grad is not None:
                        self.grads.setdefault(key, t._grad._data)
            elif t.requires_grad:
                self.leaf_names.setdefault(id(t), name)
            else:
                self.const_names.setdefault(id(t), name)
        if output.grad_fn is not None:
            self.values[(output.grad_fn, output.output_nr)] = output._data
        for node in self.nodes:
            self._harvest(node, node_set)

    def _harvest(self, node, node_set) -> None:
        if isinstance(node, AccumulateGrad):
            return
        for nr in (getattr(node, "_pre_hooks", None) or {}):
            t = retained_tensor(node, nr)
            if t is not None:
                self.values.setdefault((node, nr), t._data)
                if t._grad is not None:
                    self.grads.setdefault((node, nr), t._grad._data)
        for entry in getattr(node, "_saved", None) or ():
            if entry is None or entry[0] == 2:
                continue
            fresh = entry[2].value == entry[3]
            if entry[0] == 1:
                key = (node, entry[4])
                value = entry[1]
            else:
                t = entry[1]
                if t._grad_fn is None or t._grad_fn not in node_set:
                    continue
                key, value = (t._grad_fn, t._output_nr), t._data
            if fresh:
                self.values.setdefault(key, value)
            else:
                self.stale.add(key)

    def leaf_name(self, leaf: Tensor) -> str | None:
        """The name given to a leaf tensor, or None."""
        return self.leaf_names.get(id(leaf))

    def constants(self, node) -> dict:
        """``{input_index: (name or None, array or None)}`` for the constant tensor inputs of
        ``node``, matched to the tensors it saved for backward (in argument order)."""
        meta = getattr(node, "_input_meta", ())
        positions = [i for i, e in edges(node) if e is None]
        if not positions:
            return {}
        candidates = []
        for entry in getattr(node, "_saved", None) or ():
            if entry is not None and entry[0] == 0 and not entry[1]._requires_grad:
                candidates.append(entry[1])
        result = {}
        for i in positions:
            shape = meta[i][0] if i < len(meta) and meta[i] else None
            match = next((t for t in candidates if t._data.shape == shape), None)
            if match is not None:
                candidates.remove(match)
                result[i] = (self.const_names.get(id(match)), match._data)
            else:
                result[i] = (None, None)
        return result


def fmt_number(x) -> str:
    """A number with four significant digits: ``20``, ``0.25``, ``-1.5e-08``."""
    x = float(x)
    if x == 0:
        return "0"
    if np.isnan(x) or np.isinf(x):
        return str(x)
    return f"{x:.4g}"


def fmt_array(arr, max_elements: int = 6) -> str:
    """Values of a small array (``3``, ``[1, 2]``) or a summary of a large one."""
    if arr is None:
        return "?"
    a = np.asarray(arr)
    if a.size == 1:
        return fmt_number(a.reshape(()))
    if a.size <= max_elements:
        return _nested(a)
    return summary(a)


def _nested(a: np.ndarray) -> str:
    if a.ndim == 0:
        return fmt_number(a)
    return "[" + ", ".join(_nested(x) for x in a) + "]"


def summary(arr) -> str:
    """``shape [..] mean=.. std=..`` of an array (no element values)."""
    a = np.asarray(arr, dtype=np.float64)
    if a.size == 0:
        return f"shape {list(a.shape)} (empty)"
    return f"mean={fmt_number(a.mean())} std={fmt_number(a.std())}"


def shape_str(shape) -> str:
    """``scalar`` for ``()`` else ``[2, 3]``."""
    return "scalar" if len(tuple(shape)) == 0 else str(list(shape))
