"""Reverse-mode transforms: ``grad``, ``grad_and_value``, ``vjp``, ``jacrev``, ``hessian``."""

# ruff: noqa: TRY004 - exception types follow PyTorch's (ValueError/RuntimeError for types)

from __future__ import annotations

import functools

from .._tensor import Tensor
from ..autograd.engine import grad as _engine_grad
from ..autograd.functional import _autograd_grad
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
    stack_rows,
    transform,
    zeros_like,
)
from ._pytree import spec_str, tree_flatten, tree_unflatten

__all__ = ["grad", "grad_and_value", "hessian", "jacrev", "vjp"]


def grad_and_value(func, argnums=0, has_aux: bool = False):
    """Like ``grad``, but the function returns ``(gradient, value)``.

    Args:
        func: a function returning a scalar (0-d) tensor, or ``(scalar, aux)`` with ``has_aux``.
        argnums: which positional argument(s) to differentiate: an int or a tuple of ints.
        has_aux: ``func`` also returns an auxiliary object, passed through undifferentiated.

    Returns:
        A function returning ``(gradient, value)`` or, with ``has_aux``,
        ``(gradient, (value, aux))``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule.func import grad_and_value
        >>> grad_and_value(lambda x: (x ** 2).sum())(torch.tensor([1.0, 2.0]))
        (tensor([2., 4.]), tensor(5.))
    """
    api = "grad_and_value(f)(*args)"

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with transform(), enable_grad():
            nums = check_argnums(argnums, len(args))
            leaves, specs = flatten_args(args, nums, api)
            keep = needs_graph(leaves)
            fresh = [reverse_leaf(x) for x in leaves]
            out = func(*replace_args(args, nums, specs, fresh), **kwargs)
            out, aux = split_aux(out, has_aux, api)
            if not isinstance(out, Tensor):
                raise RuntimeError(f"{api}: Expected f(*args) to return a Tensor, got "
                                   f"{type(out)}")
            if out.dim() != 0:
                raise RuntimeError(f"{api}: Expected f(*args) to return a scalar Tensor, got "
                                   f"tensor with {out.dim()} dims. Maybe you wanted to use the "
                                   "vjp or jacrev APIs instead?")
            grads = (_engine_grad(out, fresh, create_graph=keep, allow_unused=True)
                     if out.requires_grad else (None,) * len(fresh))
            grads = [g if g is not None else zeros_like(x) for g, x in zip(grads, leaves)]
        grads = regroup(detach_tree(grads, keep), argnums, specs)
        value = detach_tree(out, keep)
        if has_aux:
            return grads, (value, detach_tree(aux, keep))
        return grads, value

    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """The gradient of a scalar function, as a function.

    ``grad(f)(x)`` is ``df/dx`` at ``x``; transforms nest (``grad(grad(f))`` is the second
    derivative) and compose with ``vmap``, ``jacrev``, ``jacfwd``.

    Args:
        func: a function returning a scalar (0-d) tensor, or ``(scalar, aux)`` with ``has_aux``.
        argnums: which positional argument(s) to differentiate: an int or a tuple of ints
            (then the gradients come back as a tuple). Arguments may be pytrees (tuples, lists,
            dicts) of tensors; their gradients have the same structure.
        has_aux: ``func`` also returns an auxiliary object, passed through undifferentiated.

    Returns:
        A function computing the gradient (and, with ``has_aux``, ``(gradient, aux)``).

    Example:
        >>> import chainrule as torch
        >>> from chainrule.func import grad
        >>> grad(lambda x: x.sin())(torch.tensor(0.0))
        tensor(1.)
        >>> grad(grad(lambda x: x ** 3))(torch.tensor(2.0))
        tensor(12.)
    """
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        grads, value = inner(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapper


def vjp(func, *primals, has_aux: bool = False):
    """Evaluate ``func`` at ``primals`` and return a function computing vector-Jacobian
    products there.

    Args:
        func: a function of tensors returning a tensor or a pytree of tensors.
        *primals: the inputs (tensors or pytrees of tensors).
        has_aux: ``func`` returns ``(output, aux)``; ``aux`` is passed through.

    Returns:
        ``(output, vjp_fn)`` or ``(output, vjp_fn, aux)``. ``vjp_fn(cotangents)`` takes
        cotangents shaped like ``output`` and returns a tuple with one gradient per primal;
        it can be called several times.

    Example:
        >>> import chainrule as torch
        >>> from chainrule.func import vjp
        >>> out, vjp_fn = vjp(lambda x: x * 3, torch.tensor([1.0, 2.0]))
        >>> vjp_fn(torch.tensor([1.0, 10.0]))
        (tensor([ 3., 30.]),)
    """
    api = "vjp(f, *primals)"
    with transform(), enable_grad():
        leaves, spec = checked_leaves(primals, api)
        keep = needs_graph(leaves)
        fresh = [reverse_leaf(x) for x in leaves]
        out = func(*tree_unflatten(fresh, spec))
        out, aux = split_aux(out, has_aux, api)
        out_leaves, out_spec = check_outputs(out, api)

    def vjp_fn(cotangents, *, retain_graph: bool = True, create_graph: bool | None = None):
        ct_leaves, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree "
                               "structure of outputs to the function. cotangents: "
                               f"{spec_str(ct_spec)}, primal output: {spec_str(out_spec)}")
        for i, (c, o) in enumerate(zip(ct_leaves, out_leaves)):
            if not isinstance(c, Tensor) or c.shape != o.shape:
                got = c.shape if isinstance(c, Tensor) else type(c)
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {got} "
                                   f"and output[{i}] has a shape of {o.shape}.")
        cg = create_graph if create_graph is not None else (
            keep or any(c.requires_grad for c in ct_leaves))
        with transform(), enable_grad():
            grads = _autograd_grad(tuple(out_leaves), fresh, tuple(ct_leaves), create_graph=cg,
                                   retain_graph=True if retain_graph is None else retain_graph)
        grads = [g if g is not None else zeros_like(x) for g, x in zip(grads, leaves)]
        return tree_unflatten(detach_tree(grads, cg), spec)

    result = (detach_tree(out, keep), vjp_fn)
    return result + (detach_tree(aux, keep),) if has_aux else result


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None,
           _preallocate_and_copy: bool = False):
    """The Jacobian of ``func`` by reverse mode, as a function: one backward pass per output
    element (cheap when outputs are few).

    Args:
        func: a function of tensors returning a tensor or a pytree of tensors.
        argnums: which positional argument(s) to differentiate: an int or a tuple of ints.
        has_aux: ``func`` returns ``(output, aux)``; ``aux`` is passed through.
        chunk_size: accepted for compatibility (rows are computed one at a time).

    Returns:
        A function returning the Jacobian: for each output leaf, a tensor of shape
        ``output.shape + input.shape`` (a tuple over ``argnums`` when it is a tuple), arranged
        like the output; with ``has_aux``, ``(jacobian, aux)``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule.func import jacrev
        >>> jacrev(lambda x: x ** 2)(torch.tensor([1.0, 3.0]))
        tensor([[2., 0.],
                [0., 6.]])
    """
    api = "jacrev(f, argnums)(*args)"

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with transform(), enable_grad():
            nums = check_argnums(argnums, len(args))
            leaves, specs = flatten_args(args, nums, api)
            keep = needs_graph(leaves)
            fresh = [reverse_leaf(x) for x in leaves]
            out = func(*replace_args(args, nums, specs, fresh), **kwargs)
            out, aux = split_aux(out, has_aux, api)
            out_leaves, out_spec = check_outputs(out, api)
            blocks = []
            for o in out_leaves:
                rows = [[] for _ in fresh]
                for k in range(o.numel() if o.requires_grad else 0):
                    gs = _engine_grad(o, fresh, one_hot(o, k), retain_graph=True,
                                      create_graph=keep, allow_unused=True)
                    for j, g in enumerate(gs):
                        rows[j].append(g if g is not None else zeros_like(leaves[j]))
                if not o.requires_grad:
                    rows = [[zeros_like(x)] * o.numel() for x in leaves]
                jac = [stack_rows(r, o, x) for r, x in zip(rows, leaves)]
                blocks.append(regroup(jac, argnums, specs))
        result = detach_tree(tree_unflatten(blocks, out_spec), keep)
        return (result, detach_tree(aux, keep)) if has_aux else result

    return wrapper


def hessian(func, argnums=0):
    """The Hessian of a scalar function, as a function: ``jacfwd(jacrev(func))``
    (forward-over-reverse, as ``torch.func.hessian``).

    Args:
        func: a function returning a scalar tensor.
        argnums: which positional argument(s) to differentiate.

    Returns:
        A function returning the Hessian, of shape ``input.shape + input.shape``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule.func import hessian
        >>> hessian(lambda x: (x ** 3).sum())(torch.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    from ._forward import jacfwd

    return jacfwd(jacrev(func, argnums), argnums)
