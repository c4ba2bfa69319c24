"""``explain_backward``: reverse mode worked step by step, as a course's table.

For every node of the graph, in the order backpropagation visits them: the upstream gradient,
the local derivative of the node with respect to each input (the node's own ``backward`` called
with a unit upstream gradient), their product, and the gradient accumulated so far for each
input. Only the graph is read: the nodes' ``backward`` functions are called directly (no hooks,
no freeing of saved tensors, no ``.grad`` touched), so ``backward()`` works afterwards as before.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.function import AccumulateGrad
from ._common import (GraphInfo, caller_tensors, edges, fmt_array, forward_order, graph_freed,
                      named_tensors, reverse_topological)
from ._steps import (FREED, JACOBIAN_LIMIT, BackwardStep, InputStep, Names, call_backward,
                     d_of, emit, equation, fill_values, jacobians, local_text, out_metas,
                     with_value)
from .forward_mode import ForwardExplanation, explain_forward

__all__ = ["explain_backward", "explain_forward", "BackwardExplanation", "ForwardExplanation"]


class BackwardExplanation(list):
    """The steps of ``explain_backward`` (a list of ``BackwardStep``), with ``text`` (what was
    printed), ``grads`` (``{name: gradient}`` of the leaves) and ``output_name``."""

    text: str = ""
    grads: dict
    output_name: str = "out"

    def __str__(self) -> str:
        return self.text


def explain_backward(output: Tensor, params=None, file=None,
                     gradient=None) -> BackwardExplanation:
    """Print reverse mode for ``output`` step by step, as a course's worked table.

    Each step is one node of the graph, in the order backpropagation visits them: its formula,
    the upstream gradient d output / d node, and for every input the local derivative
    d node / d input (the node's ``backward`` applied to a unit gradient), the product
    "upstream gradient × local gradient", and the gradient of the output accumulated so far
    for that input (a sum when several paths lead to it). The user's ``.grad`` fields and the
    graph are left untouched, so ``output.backward()`` can still be called afterwards.

    Args:
        output: a scalar tensor (e.g. a loss) with a recorded graph.
        params: names for tensors (``{'w': w, 'b': b}``, ``dict(model.named_parameters())``, a
            module); intermediates and constants may be named too. ``None`` names tensors after
            the caller's local variables; unnamed intermediates are called ``t1, t2 …``.
        file: where to print (default ``sys.stdout``); ``False`` prints nothing.
        gradient: the seed d something / d output for a non-scalar output (default 1).

    Returns:
        A ``BackwardExplanation``: the list of ``BackwardStep`` records, with ``.text`` (what
        was printed) and ``.grads`` (``{name: gradient array}`` for every leaf).

    Raises:
        RuntimeError: the graph was already freed by ``backward()``.
        ValueError: ``output`` is not a scalar and no ``gradient`` was given.

    Example:
        >>> import chainrule as torch
        >>> from chainrule.viz import explain_backward
        >>> x, y = torch.tensor(2.0), torch.tensor(5.0)
        >>> w = torch.tensor(3.0, requires_grad=True)
        >>> b = torch.tensor(4.0, requires_grad=True)
        >>> J = (y - (w * x + b)) ** 2
        >>> steps = explain_backward(J, file=False)
        >>> {k: float(v) for k, v in steps.grads.items()}
        {'w': 20.0, 'b': 10.0}
        >>> print(steps.text.splitlines()[-1])
        Result: dJ/dw = 20, dJ/db = 10
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"explain_backward: output must be a Tensor, received "
                        f"{type(output).__name__}")
    if gradient is None and output.numel() != 1:
        raise ValueError(f"explain_backward: output must be a scalar (one element), received "
                         f"shape {list(output.shape)}; pass gradient= for a non-scalar output")
    named = named_tensors(params) if params is not None else caller_tensors(1)
    order = reverse_topological(output)
    if graph_freed(order):
        raise RuntimeError(FREED)
    info = GraphInfo(output, named)
    fwd = forward_order(output)
    names = Names(info, fwd, output)
    values = dict(info.values)
    fill_values(fwd, info, values)
    seed = np.ones(output.shape, output._data.dtype) if gradient is None else np.asarray(
        gradient._data if isinstance(gradient, Tensor) else gradient, output._data.dtype)
    top = names.of(output.grad_fn, output.output_nr) if output.grad_fn is not None else \
        names.of(output._accumulator())
    grads: dict = {}          # (node, nr) -> accumulated array; leaves keyed (AccumulateGrad, 0)
    parts: dict = {}
    root = order[0]
    grads[(root, output.output_nr if output.grad_fn is not None else 0)] = seed
    result = BackwardExplanation()
    result.output_name = top
    lines = [(f"Reverse mode (backpropagation) for {top} = {fmt_array(output._data)}, "
              f"starting from {d_of(top, top)} = {fmt_array(seed)}"), ""]
    for node in order:
        if isinstance(node, AccumulateGrad):
            continue
        metas = out_metas(node)
        ups = [grads.get((node, nr)) for nr in range(len(metas))]
        if all(u is None for u in ups):
            continue
        eq = equation(node, names, info, values)
        value = values.get((node, 0)) if len(metas) == 1 else None
        step = BackwardStep(len(result) + 1, node.name(), names.of(node, 0), eq, value,
                            ups[0] if len(metas) == 1 else None, [])
        lines.append(f"Step {step.index}: {node.name():<16} {with_value(eq, value)}")
        for nr, u in enumerate(ups):
            if u is not None:
                lines.append(f"  upstream gradient {d_of(top, names.of(node, nr))} = "
                             f"{fmt_array(u)}")
        full = [u if u is not None else (np.zeros(m[0], m[1]) if m else None)
                for u, m in zip(ups, metas)]
        products = call_backward(node, full)
        jac = None
        if len(metas) == 1:
            jac = jacobians(node, 0, JACOBIAN_LIMIT)
        for i, edge in edges(node):
            if not edge or i >= len(products) or products[i] is None:
                continue
            src, snr = edge
            key = (src, snr if not isinstance(src, AccumulateGrad) else 0)
            name = names.of(src, snr)
            prod = products[i]
            local = None
            if jac is not None and i in jac:
                local = jac[i]
                if np.asarray(ups[0]).size == 1:
                    local = local.reshape(np.shape(prod))
                elif local.size > JACOBIAN_LIMIT:
                    local = None
            grads[key] = prod.copy() if key not in grads else grads[key] + prod
            parts.setdefault(key, []).append(prod)
            rec = InputStep(name, local, ups[0] if len(metas) == 1 else None, prod,
                            grads[key], list(parts[key]))
            step.inputs.append(rec)
            acc = fmt_array(grads[key])
            if len(parts[key]) > 1:
                acc = " + ".join(fmt_array(p) for p in parts[key]) + f" = {acc}"
            if len(metas) == 1:
                lines.append(f"  {name}: local gradient {d_of(step.output, name)} = "
                             f"{local_text(local)}; upstream × local = "
                             f"{fmt_array(ups[0])} × {local_text(local)} = {fmt_array(prod)}; "
                             f"{d_of(top, name)} = {acc}")
            else:
                lines.append(f"  {name}: vector-Jacobian product = {fmt_array(prod)}; "
                             f"{d_of(top, name)} = {acc}")
        result.append(step)
    result.grads = {}
    leaf_parts = []
    for node in fwd:
        if isinstance(node, AccumulateGrad) and (node, 0) in grads:
            name = names.of(node)
            result.grads[name] = grads[(node, 0)]
            leaf_parts.append(f"{d_of(top, name)} = {fmt_array(grads[(node, 0)])}")
    lines.append("")
    lines.append("Result: " + (", ".join(leaf_parts) if leaf_parts else "(no leaf needs a "
                                                                          "gradient)"))
    result.text = emit(lines, file)
    return result
