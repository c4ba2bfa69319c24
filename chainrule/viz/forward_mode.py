"""``explain_forward``: forward mode (tangent propagation) worked node by node.

The function runs once on copies of the inputs and its graph is recorded; each node then gets
its tangent, the sum over its inputs of local derivative × incoming tangent, with the local
derivatives taken from the nodes' own ``backward``. This does not depend on
``chainrule.autograd.forward_ad``.
"""

from __future__ import annotations

import inspect

import numpy as np

from .._tensor import Tensor
from ..autograd import function as _function
from ..autograd.function import AccumulateGrad
from ..autograd.grad_mode import enable_grad
from ._common import GraphInfo, edges, fmt_array, forward_order
from ._steps import (JACOBIAN_LIMIT, ForwardStep, InputStep, Names, d_of, emit, equation,
                     fill_values, jacobians, local_text, out_metas, with_value)

__all__ = ["explain_forward", "ForwardExplanation"]


class ForwardExplanation(list):
    """The steps of ``explain_forward`` (a list of ``ForwardStep``), with ``text``,
    ``derivative`` (the output's tangent: d output / d wrt) and ``output_name``."""

    text: str = ""
    derivative: np.ndarray | None = None
    output_name: str = "out"

    def __str__(self) -> str:
        return self.text


def _leaf_from(value, name: str) -> Tensor:
    if isinstance(value, Tensor):
        data = np.array(value._data, copy=True)
    else:
        data = np.array(value)
    if data.dtype.kind != "f":
        from .._dtypes import get_default_dtype

        data = data.astype(get_default_dtype().np)
    return Tensor._make(data, True)


def _input_names(fn, inputs) -> tuple:
    """``(names, values, by_keyword)`` for the inputs of ``explain_forward``."""
    if isinstance(inputs, dict):
        return [str(k) for k in inputs], list(inputs.values()), True
    if isinstance(inputs, (Tensor, int, float, np.ndarray)):
        inputs = (inputs,)
    inputs = list(inputs)
    try:
        params = [p.name for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = [params[i] if i < len(params) else f"x{i}" for i in range(len(inputs))]
    return names, inputs, False


def _seed(names: list, leaves: list, wrt, tangents) -> tuple:
    """``(tangent per input, name of the input differentiated against or None)``."""
    if tangents is not None:
        if not isinstance(tangents, dict):
            tangents = dict(zip(names, tangents if isinstance(tangents, (list, tuple))
                                else [tangents]))
        unknown = set(tangents) - set(names)
        if unknown:
            raise ValueError(f"explain_forward: tangents names {sorted(unknown)} are not inputs "
                             f"{names}")
        return [np.broadcast_to(np.asarray(tangents.get(n, 0), t._data.dtype),
                                t._data.shape).copy() for n, t in zip(names, leaves)], None
    if wrt is None:
        wrt = names[0]
    if isinstance(wrt, int) and not isinstance(wrt, bool):
        if not -len(names) <= wrt < len(names):
            raise ValueError(f"explain_forward: wrt index {wrt} out of range for {len(names)} "
                             "inputs")
        wrt = names[wrt]
    if wrt not in names:
        raise ValueError(f"explain_forward: wrt must name an input {names}, received "
                         f"wrt={wrt!r}")
    return [np.ones_like(t._data) if n == wrt else np.zeros_like(t._data)
            for n, t in zip(names, leaves)], wrt


def _jvp(node, nr: int, tangents_in: dict) -> tuple:
    """``(tangent of output nr, {i: (local or None, contribution)})`` of one node."""
    metas = out_metas(node)
    shape = metas[nr][0]
    jac = jacobians(node, nr, 1024)
    contrib = {}
    if jac is not None:
        for i, t in tangents_in.items():
            if i in jac:
                J = jac[i]
                c = np.tensordot(J, t, axes=t.ndim) if t.ndim else J * t
                show = J.size <= JACOBIAN_LIMIT or int(np.prod(shape)) == 1
                contrib[i] = (J if show else None, np.asarray(c))
    else:  # J·t as the gradient of v ↦ (Jᵀv)·t, for outputs too large for a full Jacobian
        from ..autograd.engine import grad as _grad

        for i, t in tangents_in.items():
            v = Tensor._make(np.zeros(shape, metas[nr][1]), True)
            vs = [v if k == nr else (Tensor._make(np.zeros(m[0], m[1])) if m else None)
                  for k, m in enumerate(metas)]
            with enable_grad():
                res = node._function.backward(node, *vs)
                res = res if isinstance(res, tuple) else (res,)
                r = res[i]
                s = (r * Tensor._make(np.broadcast_to(t, r.shape).copy()
                                      if r.shape != t.shape else t)).sum()
                (g,) = _grad(s, v, retain_graph=True, allow_unused=True,
                             materialize_grads=True)
            contrib[i] = (None, g._data)
    total = np.zeros(shape, metas[nr][1])
    for _, c in contrib.values():
        total = total + c
    return total, contrib


def explain_forward(fn, inputs, wrt=None, file=None, tangents=None) -> ForwardExplanation:
    """Print forward mode (tangent propagation) for ``fn(*inputs)`` node by node.

    ``fn`` runs once on copies of the inputs, recording its graph; then each node, in the order
    it was computed, gets its tangent: the sum over its inputs of local derivative × the input's
    tangent. Seeding input ``wrt`` with tangent 1 (the others 0) makes the output's tangent
    d output / d wrt. This reads the graph only, so it does not depend on
    ``chainrule.autograd.forward_ad``.

    Args:
        fn: a function of tensors returning a tensor.
        inputs: a dict ``{name: value}`` (passed by keyword), or a sequence of values (named
            after ``fn``'s parameters), or one value.
        wrt: the input to differentiate with respect to: a name or an index (default: the
            first input).
        file: where to print (default ``sys.stdout``); ``False`` prints nothing.
        tangents: instead of ``wrt``, the input tangents (``{name: tangent}``) for a
            directional derivative.

    Returns:
        A ``ForwardExplanation``: the list of ``ForwardStep`` records, with ``.text`` and
        ``.derivative`` (the output's tangent).

    Example:
        >>> from chainrule.viz import explain_forward
        >>> def f(x, y, z):
        ...     return (x + y) * z
        >>> steps = explain_forward(f, {"x": -2.0, "y": 5.0, "z": -4.0}, wrt="x", file=False)
        >>> float(steps.derivative)
        -4.0
    """
    names, values, by_kw = _input_names(fn, inputs)
    leaves = [_leaf_from(v, n) for n, v in zip(names, values)]
    seeds, wrt_name = _seed(names, leaves, wrt, tangents)
    created: dict = {}
    outputs_of: dict = {}
    prev = _function.FORWARD_AD[0]

    def capture(cls, ctx, args, outputs):
        if getattr(ctx, "_next", None) is not None:
            created[ctx] = len(created)
            outputs_of[ctx] = [o._data if isinstance(o, Tensor) else None for o in outputs]
        if prev is not None:
            prev(cls, ctx, args, outputs)

    _function.FORWARD_AD[0] = capture
    try:
        with enable_grad():
            out = fn(**dict(zip(names, leaves))) if by_kw else fn(*leaves)
    finally:
        _function.FORWARD_AD[0] = prev
    if not isinstance(out, Tensor):
        raise TypeError(f"explain_forward: fn must return a Tensor, received "
                        f"{type(out).__name__}")
    fname = getattr(fn, "__name__", "")
    out_name = fname if fname.isidentifier() and fname != "<lambda>" and fname not in names \
        else "out"
    if out.grad_fn is None:
        raise ValueError("explain_forward: the output does not depend on the inputs")
    fwd = [n for n in forward_order(out) if not isinstance(n, AccumulateGrad)]
    nodes = sorted(fwd, key=lambda n: created.get(n, len(created)))
    named = list(zip(names, leaves))
    info = GraphInfo(out, named)
    values = dict(info.values)
    for node, outs in outputs_of.items():
        for nr, v in enumerate(outs):
            if v is not None:
                values[(node, nr)] = v
    fill_values(nodes, info, values)
    namer = Names(info, nodes, out, output_name=out_name)
    leaf_tangent = {id(t): s for t, s in zip(leaves, seeds)}
    tangent: dict = {}
    result = ForwardExplanation()
    result.output_name = out_name
    seeded = ", ".join(f"d{n} = {fmt_array(s)}" for n, s in zip(names, seeds))
    lines = [f"Forward mode (tangent propagation) for {out_name} at "
             + ", ".join(f"{n} = {fmt_array(t._data)}" for n, t in zip(names, leaves))
             + f"; seed tangents {seeded}", ""]
    for node in nodes:
        metas = out_metas(node)
        t_in = {}
        in_names = {}
        for i, edge in edges(node):
            if not edge:
                continue
            src, snr = edge
            if isinstance(src, AccumulateGrad):
                t = leaf_tangent.get(id(src.variable), np.zeros_like(src.variable._data))
            else:
                t = tangent.get((src, snr))
                if t is None:
                    t = np.zeros(src._outputs_meta[snr][0], src._outputs_meta[snr][1])
            t_in[i] = np.asarray(t)
            in_names[i] = namer.of(src, snr)
        eq = equation(node, namer, info, values)
        value = values.get((node, 0))
        lines.append(f"Step {len(result) + 1}: {node.name():<16} {with_value(eq, value)}")
        step = ForwardStep(len(result) + 1, node.name(), namer.of(node, 0), eq, value, [], None)
        for nr, meta in enumerate(metas):
            if meta is None:
                continue
            tot, contrib = _jvp(node, nr, t_in)
            tangent[(node, nr)] = tot
            oname = namer.of(node, nr)
            for i, (local, c) in contrib.items():
                lines.append(f"  {in_names[i]}: local derivative {d_of(oname, in_names[i])} = "
                             f"{local_text(local)}; × tangent d{in_names[i]} = "
                             f"{fmt_array(t_in[i])} → {fmt_array(c)}")
                step.inputs.append(InputStep(in_names[i], local, t_in[i], c, tot,
                                             [x for _, x in contrib.values()]))
            terms = [fmt_array(c) for _, c in contrib.values()]
            total = " + ".join(terms) + f" = {fmt_array(tot)}" if len(terms) > 1 else \
                fmt_array(tot)
            lines.append(f"  tangent d{oname} = {total}")
            if nr == 0:
                step.tangent = tot
        result.append(step)
    result.derivative = tangent.get((out.grad_fn, out.output_nr))
    what = f"d{out_name}/d{wrt_name}" if wrt_name else f"tangent d{out_name}"
    lines.append("")
    lines.append(f"Result: {what} = {fmt_array(result.derivative)}")
    result.text = emit(lines, file)
    return result
