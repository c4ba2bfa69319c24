"""The machinery shared by ``explain_backward`` and ``explain_forward``: step records, calling
a node's backward for local derivatives, naming the graph's tensors and writing formulas.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

import numpy as np

from .._tensor import Tensor
from ..autograd.function import AccumulateGrad
from ..autograd.grad_mode import no_grad
from ._common import BINARY_SYMBOLS, UNARY_PREFIX, GraphInfo, edges, fmt_array, sum_to_shape

JACOBIAN_LIMIT = 36       # out.numel * in.numel up to which a local Jacobian is shown
FREED = ("the explanation needs the saved tensors of the graph, but backward() already freed "
         "them. Explain before calling backward(), or call backward(retain_graph=True).")


@dataclass
class InputStep:
    """One input of a node in one step.

    Attributes:
        name: the input's name (``'w'``, ``'t1'`` …).
        local: the local derivative d node / d input (a number, a Jacobian, or None when too
            large to show).
        upstream: the gradient (reverse mode) or tangent (forward mode) the product uses.
        product: upstream × local: the contribution of this path.
        accumulated: reverse mode: d output / d input summed over the paths seen so far;
            forward mode: the node's tangent so far.
        parts: the contributions summed into ``accumulated``.
    """

    name: str
    local: np.ndarray | None
    upstream: np.ndarray
    product: np.ndarray
    accumulated: np.ndarray
    parts: list = field(default_factory=list)


@dataclass
class BackwardStep:
    """One node of reverse mode: which op, its formula, and what flowed through it."""

    index: int
    node: str
    output: str
    equation: str
    value: np.ndarray | None
    upstream: np.ndarray | None
    inputs: list


@dataclass
class ForwardStep:
    """One node of forward mode: its formula, the inputs' tangents and its own tangent."""

    index: int
    node: str
    output: str
    equation: str
    value: np.ndarray | None
    inputs: list
    tangent: np.ndarray | None


# ---- calling a node's backward --------------------------------------------------------------
def out_metas(node) -> list:
    """``[(shape, dtype) or None]`` for each output of a node."""
    return list(getattr(node, "_outputs_meta", None) or [])


def call_backward(node, grads: list) -> list:
    """Results of ``node``'s backward for output gradients ``grads`` (arrays), one per input
    position (arrays or None), reduced to each input's shape. No hooks run, nothing is freed."""
    metas = out_metas(node)
    tensors = [Tensor._make(np.asarray(g, dtype=m[1])) if m is not None and g is not None
               else None for g, m in zip(grads, metas)]
    if node.name() == "BackwardHookFunctionBackward":  # identity that would call module hooks
        results = (None, *tensors)
    else:
        try:
            with no_grad():
                results = node._function.backward(node, *tensors)
        except RuntimeError as exc:
            if "freed" in str(exc) or "second time" in str(exc):
                raise RuntimeError(FREED) from None
            raise
    if not isinstance(results, tuple):
        results = (results,)
    meta_in = getattr(node, "_input_meta", ())
    out = []
    for i, r in enumerate(results):
        if isinstance(r, Tensor) and i < len(meta_in) and meta_in[i] is not None:
            out.append(sum_to_shape(r._data, meta_in[i][0]).astype(meta_in[i][1], copy=False))
        else:
            out.append(None)
    return out


def jacobians(node, nr: int, limit: int) -> dict | None:
    """``{input_index: J}`` of output ``nr`` of ``node`` with ``J`` of shape
    ``out.shape + in.shape``, from one backward per output element; None above ``limit``."""
    metas = out_metas(node)
    shape, dtype = metas[nr]
    n_out = int(np.prod(shape, dtype=np.int64))
    if n_out > limit:
        return None
    zeros = [np.zeros(m[0], m[1]) if m is not None else None for m in metas]
    rows: dict = {}
    for k in range(n_out):
        grads = list(zeros)
        unit = np.zeros(n_out, dtype)
        unit[k] = 1
        grads[nr] = unit.reshape(shape)
        for i, r in enumerate(call_backward(node, grads)):
            if r is not None:
                rows.setdefault(i, []).append(r)
    return {i: np.stack(r).reshape(tuple(shape) + r[0].shape) for i, r in rows.items()}


# ---- names and formulas ---------------------------------------------------------------------
class Names:
    """Names for every tensor of the graph: user names, then ``t1, t2 …`` in forward order."""

    def __init__(self, info: GraphInfo, forward_order: list, output: Tensor,
                 leaf_names: dict | None = None, output_name: str | None = None) -> None:
        self.info = info
        self.leaf = dict(leaf_names or {})
        used = set(info.names.values()) | set(info.leaf_names.values()) | set(
            info.const_names.values()) | set(self.leaf.values())
        self.inter = dict(info.names)
        root = (output.grad_fn, output.output_nr)
        if output_name:
            self.inter[root] = output_name
        elif root not in self.inter and output.grad_fn is not None:
            self.inter[root] = "out" if "out" not in used else "output"
        used |= set(self.inter.values())
        counter = 0
        for node in forward_order:
            if isinstance(node, AccumulateGrad):
                continue
            for nr in range(max(1, len(out_metas(node)))):
                if (node, nr) not in self.inter:
                    counter += 1
                    while f"t{counter}" in used:
                        counter += 1
                    self.inter[(node, nr)] = f"t{counter}"
        self.n_leaves = 0

    def of(self, node, nr: int = 0) -> str:
        """The name of output ``nr`` of ``node`` (the leaf's name for ``AccumulateGrad``)."""
        if isinstance(node, AccumulateGrad):
            t = node.variable
            name = self.leaf.get(id(t)) or self.info.leaf_name(t)
            if name is None:
                self.n_leaves += 1
                name = f"leaf{self.n_leaves}"
            self.leaf[id(t)] = name
            return name
        return self.inter[(node, nr)]


def _op_word(node_name: str) -> str:
    word = re.sub(r"Backward\d*$", "", node_name).lstrip("_")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", word).lower() or node_name


def _scalar_from_saved(node):
    """The single one-element constant (a Python number argument) a node saved, or None."""
    found = [e[1] for e in (getattr(node, "_saved", None) or ())
             if e is not None and e[0] == 2 and np.asarray(e[1]).size == 1]
    return found[0] if len(found) == 1 else None


def _operands(node, names: Names, info: GraphInfo) -> list:
    """Display strings of a node's first arguments (names, constants' values, or 'const')."""
    consts = info.constants(node)
    ops = []
    for i, edge in edges(node):
        if edge:
            ops.append(names.of(*edge))
        elif edge is None:
            name, value = consts.get(i, (None, None))
            small = value is not None and np.asarray(value).size == 1
            ops.append(name or (fmt_array(value) if small else "const"))
        else:
            ops.append(None)
    return ops


def equation(node, names: Names, info: GraphInfo, values: dict) -> str:
    """A formula such as ``t1 = w * x`` for a node (its output named by ``names``)."""
    n_out = len(out_metas(node))
    left = ", ".join(names.of(node, nr) for nr in range(n_out)) if n_out > 1 else \
        names.of(node, 0)
    word = node.name()
    ops = _operands(node, names, info)
    if word in BINARY_SYMBOLS and len(ops) >= 2 and (ops[0] or ops[1]):
        a, b = ops[0], ops[1]
        if a == "const" or b == "const":
            known = _infer_scalar(node, word, a == "const", values)
            if known is not None:
                a, b = (fmt_array(known), b) if a == "const" else (a, fmt_array(known))
        if a is None or b is None:
            scalar = _scalar_from_saved(node) if word != "AddBackward0" else None
            if scalar is None:
                scalar = _infer_scalar(node, word, a is None, values)
            text = fmt_array(scalar) if scalar is not None else "const"
            a, b = (text, b) if a is None else (a, text)
        return f"{left} = {a} {BINARY_SYMBOLS[word]} {b}"
    args = [o for o in ops if o is not None]
    if word in UNARY_PREFIX and len(args) == 1:
        return f"{left} = {UNARY_PREFIX[word]}{args[0]}"
    return f"{left} = {_op_word(word)}({', '.join(args)})"


def _infer_scalar(node, word: str, scalar_left: bool, values: dict):
    """A Python-number operand of ``+``/``-``, recovered from the known values, or None."""
    if word not in ("AddBackward0", "SubBackward0"):
        return None
    out = values.get((node, 0))
    edge = node._next[1 if scalar_left else 0] if hasattr(node, "_next") else None
    if out is None or not edge:
        return None
    x = value_of(edge[0], edge[1], values)
    if x is None:
        return None
    with np.errstate(all="ignore"):
        if word == "AddBackward0":
            s = np.asarray(out) - x
        else:
            s = np.asarray(out) + x if scalar_left else x - np.asarray(out)
    s = np.asarray(s, dtype=np.float64).ravel()
    if s.size and np.allclose(s, s[0], rtol=1e-5, atol=1e-6):
        return np.float64(round(float(s[0]), 5))
    return None


_NUMPY_OPS = {"AddBackward0": np.add, "SubBackward0": np.subtract, "MulBackward0": np.multiply,
              "DivBackward0": np.true_divide, "PowBackward0": np.power}


def _operand_value(node, i: int, edge, consts: dict, values: dict):
    if edge:
        return value_of(edge[0], edge[1], values)
    if edge is None:
        return consts.get(i, (None, None))[1]
    if node.name() in ("MulBackward0", "DivBackward0", "PowBackward0"):
        return _scalar_from_saved(node)
    return None


def fill_values(forward_nodes: list, info: GraphInfo, values: dict) -> None:
    """Compute the values the graph did not keep for arithmetic nodes whose operands are known
    (``t1 = w * x = 6``), in forward order, so explanations can show them."""
    for node in forward_nodes:
        word = node.name()
        if isinstance(node, AccumulateGrad) or (node, 0) in values:
            continue
        if word == "NegBackward0":
            e = edges(node)[0][1]
            v = value_of(e[0], e[1], values) if e else None
            if v is not None:
                values[(node, 0)] = -np.asarray(v)
            continue
        if word not in _NUMPY_OPS:
            continue
        consts = info.constants(node)
        pair = [_operand_value(node, i, e, consts, values) for i, e in edges(node)[:2]]
        if len(pair) == 2 and pair[0] is not None and pair[1] is not None:
            with np.errstate(all="ignore"):
                values[(node, 0)] = _NUMPY_OPS[word](np.asarray(pair[0], np.float64),
                                                     np.asarray(pair[1], np.float64))


def d_of(top: str, bottom: str) -> str:
    return f"d{top}/d{bottom}"


def value_of(node, nr, values: dict):
    if isinstance(node, AccumulateGrad):
        return node.variable._data
    return values.get((node, nr))


def with_value(equation: str, value) -> str:
    return equation if value is None else f"{equation} = {fmt_array(value)}"


def local_text(local) -> str:
    return "(too large to show)" if local is None else fmt_array(local, 12)


def emit(lines: list, file) -> str:
    text = "\n".join(lines) + "\n"
    if file is not False:
        print(text, end="", file=sys.stdout if file is None else file)
    return text
