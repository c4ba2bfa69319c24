"""Forward-mode transforms: ``jvp`` and ``jacfwd``.

Both run the function on dual tensors (``chainrule.autograd.forward_ad``). Dual levels cannot be
nested, so inside an enclosing forward transform (``jacfwd(jacfwd(f))``) these compute their
Jacobian-vector products with the double-backward trick instead: ``J t`` is the gradient with
respect to ``u`` of ``(J^T u) . t``. The enclosing level's tangents flow through those backward
passes, so the results are the same.
"""

# ruff: noqa: TRY004 - exception types follow PyTorch's (ValueError/RuntimeError for types)

from __future__ import annotations

import functools

from .._tensor import Tensor
from ..autograd import forward_ad as fwAD
from ..autograd.engine import grad as _engine_grad
from ..autograd.grad_mode import enable_grad
from ._common import (
    check_argnums,
    check_outputs,
    checked_leaves,
    detach_tree,
    flatten_args,
    needs_graph,
    one_hot,
    regroup,
    replace_args,
    reverse_leaf,
    split_aux,
    stack_columns,
    transform,
    zeros_like,
)
from ._pytree import spec_str, tree_flatten, tree_unflatten

__all__ = ["jacfwd", "jvp"]


class _DoubleBackward:
    """``J t`` for many ``t`` at one point, from one forward pass and the graph of ``J^T u``."""

    def __init__(self, call, leaves, has_aux: bool, api: str) -> None:
        self.leaves = leaves
        self.fresh = [reverse_leaf(x) for x in leaves]
        with enable_grad():
            out, self.aux = split_aux(call(self.fresh), has_aux, api)
            self.out_leaves, self.out_spec = check_outputs(out, api)
            self.diff = [o for o in self.out_leaves if o.requires_grad]
            self.us = [zeros_like(o).requires_grad_(True) for o in self.diff]
            self.gs = (_engine_grad(self.diff, self.fresh, self.us, create_graph=True,
                                    allow_unused=True) if self.diff else (None,) * len(leaves))

    def product(self, tangents) -> list:
        """The tangent of every output leaf for input tangents ``tangents`` (None = zero)."""
        pairs = [(g, t) for g, t in zip(self.gs, tangents)
                 if g is not None and t is not None and g.requires_grad]
        res = (None,) * len(self.us)
        if pairs:
            with enable_grad():
                res = _engine_grad([g for g, _ in pairs], self.us, [t for _, t in pairs],
                                   retain_graph=True, create_graph=True, allow_unused=True)
        by_id = {id(o): r for o, r in zip(self.diff, res)}
        return [by_id.get(id(o)) if by_id.get(id(o)) is not None else zeros_like(o)
                for o in self.out_leaves]


def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """Evaluate ``func`` at ``primals`` and its Jacobian-vector product along ``tangents``, in
    one forward-mode pass.

    Args:
        func: a function of tensors returning a tensor or a pytree of tensors.
        primals: a tuple of the inputs (tensors or pytrees of tensors): ``func(*primals)``.
        tangents: a tuple with the same structure: the direction for each primal.
        strict: raise if an output does not depend on the primals.
        has_aux: ``func`` returns ``(output, aux)``; ``aux`` is passed through.

    Returns:
        ``(output, jvp_out)`` or ``(output, jvp_out, aux)``; ``jvp_out`` is shaped like
        ``output``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule.func import jvp
        >>> jvp(lambda x: x.exp(), (torch.tensor([0.0, 1.0]),), (torch.tensor([1.0, 1.0]),))
        (tensor([1.0000, 2.7183]), tensor([1.0000, 2.7183]))
    """
    api = "jvp(f, primals, tangents)"
    for value, name in ((primals, "primals"), (tangents, "tangents")):
        if not isinstance(value, tuple):
            raise RuntimeError(f"{api}: Expected {name} to be a tuple. E.g. it should be valid "
                               "to call f(*primals).")
    p_leaves, p_spec = checked_leaves(primals, api)
    t_leaves, t_spec = tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(f"{api}: Expected primals and tangents to have the same python "
                           "structure. For example, if primals is a tuple of 3 tensors, tangents "
                           f"also must be. Got primals with structure {spec_str(p_spec)} and "
                           f"tangents with structure {spec_str(t_spec)}")
    for t in t_leaves:
        if not isinstance(t, Tensor):
            raise RuntimeError(f"{api}: Expected tangents to be a tuple of Tensors, got "
                               f"{type(t)}")

    def call(new_leaves):
        return func(*tree_unflatten(new_leaves, p_spec))

    with transform():
        keep = needs_graph(p_leaves + t_leaves)
        if fwAD._active():
            db = _DoubleBackward(call, p_leaves, has_aux, api)
            out_leaves, out_spec, aux = db.out_leaves, db.out_spec, db.aux
            tans = db.product(t_leaves)
        else:
            with fwAD.dual_level():
                duals = [fwAD.make_dual(p, t) for p, t in zip(p_leaves, t_leaves)]
                out, aux = split_aux(call(duals), has_aux, api)
                out_leaves, out_spec = check_outputs(out, api)
                unpacked = [fwAD.unpack_dual(o) for o in out_leaves]
            out_leaves = [u.primal for u in unpacked]
            tans = [u.tangent if u.tangent is not None else zeros_like(u.primal)
                    for u in unpacked]
            if strict and any(u.tangent is None for u in unpacked):
                raise RuntimeError(f"{api}: strict=True and an output of f does not depend on "
                                   "the primals")
    out = detach_tree(tree_unflatten(out_leaves, out_spec), keep)
    result = (out, detach_tree(tree_unflatten(tans, out_spec), keep))
    return result + (detach_tree(aux, keep),) if has_aux else result


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """The Jacobian of ``func`` by forward mode, as a function: one forward pass per input
    element (cheap when inputs are few and outputs many).

    Args:
        func: a function of tensors returning a tensor or a pytree of tensors.
        argnums: which positional argument(s) to differentiate: an int or a tuple of ints.
        has_aux: ``func`` returns ``(output, aux)``; ``aux`` is passed through.
        randomness: accepted for compatibility (each column is a separate call of ``func``).

    Returns:
        A function returning the Jacobian, arranged as for ``jacrev``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule.func import jacfwd
        >>> jacfwd(lambda x: x.sin())(torch.tensor([0.0, 0.0]))
        tensor([[1., 0.],
                [0., 1.]])
    """
    api = "jacfwd(f, argnums)(*args)"
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = check_argnums(argnums, len(args))
        leaves, specs = flatten_args(args, nums, api)

        def call(new_leaves):
            return func(*replace_args(args, nums, specs, new_leaves), **kwargs)

        with transform():
            keep = needs_graph(leaves)
            if fwAD._active():
                out_leaves, out_spec, aux, columns = _columns_double_backward(
                    call, leaves, has_aux, api)
            else:
                out_leaves, out_spec, aux, columns = _columns_forward(call, leaves, has_aux, api)
            blocks = [regroup([stack_columns(columns[i][j], o, x) for j, x in enumerate(leaves)],
                              argnums, specs) for i, o in enumerate(out_leaves)]
        result = detach_tree(tree_unflatten(blocks, out_spec), keep)
        return (result, detach_tree(aux, keep)) if has_aux else result

    return wrapper


def _columns_forward(call, leaves, has_aux: bool, api: str):
    """Jacobian columns from one dual evaluation per input element."""
    columns = out_leaves = out_spec = aux = None
    for j, x in enumerate(leaves):
        for k in range(x.numel()):
            with fwAD.dual_level():
                new = list(leaves)
                new[j] = fwAD.make_dual(x, one_hot(x, k))
                out, a = split_aux(call(new), has_aux, api)
                outs, spec = check_outputs(out, api)
                unpacked = [fwAD.unpack_dual(o) for o in outs]
            if columns is None:
                columns = [[[] for _ in leaves] for _ in outs]
                out_leaves, out_spec, aux = [u.primal for u in unpacked], spec, a
            for i, u in enumerate(unpacked):
                columns[i][j].append(u.tangent if u.tangent is not None
                                     else zeros_like(u.primal))
    if columns is None:  # no input elements: one call for the output's structure
        out, aux = split_aux(call(list(leaves)), has_aux, api)
        out_leaves, out_spec = check_outputs(out, api)
        columns = [[[] for _ in leaves] for _ in out_leaves]
    return out_leaves, out_spec, aux, columns


def _columns_double_backward(call, leaves, has_aux: bool, api: str):
    """Jacobian columns by the double-backward trick (inside an enclosing dual level)."""
    db = _DoubleBackward(call, leaves, has_aux, api)
    columns = [[[] for _ in leaves] for _ in db.out_leaves]
    for j, x in enumerate(leaves):
        for k in range(x.numel()):
            tangents = [None] * len(leaves)
            tangents[j] = one_hot(x, k)
            for i, t in enumerate(db.product(tangents)):
                columns[i][j].append(t)
    return db.out_leaves, db.out_spec, db.aux, columns
