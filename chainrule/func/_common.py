"""Shared machinery of the ``chainrule.func`` transforms: argument checks, fresh leaves, and
deciding when results must stay differentiable (nesting).

A transform differentiates with respect to fresh tensors made from its inputs. Results keep
their graph (``create_graph``) when something outside may differentiate them again: an input
requires grad (an enclosing reverse transform, or the user's own autograd), a dual level is
active (an enclosing forward transform), or another transform is running (its function may
close over tensors it differentiates).
"""

# ruff: noqa: TRY004 - exception types follow PyTorch's (ValueError/RuntimeError for types)

from __future__ import annotations

import contextlib

import numpy as np

from .._tensor import Tensor
from ..autograd import forward_ad as fwAD
from ..autograd.grad_mode import GRAD_ENABLED
from ._pytree import tree_flatten, tree_unflatten

_DEPTH = [0]  # how many differentiation transforms are running


@contextlib.contextmanager
def transform():
    """Mark a differentiation transform as running (for ``needs_graph``)."""
    _DEPTH[0] += 1
    try:
        yield
    finally:
        _DEPTH[0] -= 1


def needs_graph(tensors) -> bool:
    """Whether results computed from ``tensors`` must stay differentiable."""
    if not GRAD_ENABLED[0]:
        return False
    return (_DEPTH[0] > 1 or fwAD._active()
            or any(isinstance(t, Tensor) and t.requires_grad for t in tensors))


def check_argnums(argnums, n_args: int) -> tuple:
    """The argument positions to differentiate, with PyTorch's errors; returns a tuple."""
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    if isinstance(argnums, tuple) and not argnums:
        raise RuntimeError("argnums must be non-empty")
    for a in nums:
        if not isinstance(a, int) or isinstance(a, bool):
            raise RuntimeError(f"argnum must be int, got: {type(a)}")
        if not -n_args <= a < n_args:
            raise RuntimeError(f"Got argnum={a}, but only {n_args} positional inputs")
    wrapped = tuple(a % n_args for a in nums)
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return wrapped


def checked_leaves(obj, api: str) -> tuple:
    """``(leaves, spec)`` of a pytree of floating-point tensors (what transforms accept)."""
    leaves, spec = tree_flatten(obj)
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(leaf)}")
        if leaf._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
    return leaves, spec


def reverse_leaf(x: Tensor) -> Tensor:
    """A tensor to take gradients with respect to: a connected view of ``x`` when ``x``
    requires grad, else a detached leaf; either way it keeps ``x``'s tangent (if any), so
    derivatives taken inside a forward transform are themselves differentiated forward."""
    if x.requires_grad:
        return x.view_as(x)
    leaf = x.detach().requires_grad_(True)
    tangent = fwAD._tangent_of(x) if fwAD._active() else None
    if tangent is not None:
        fwAD._set_tangent(leaf, tangent)
    return leaf


def zeros_like(t: Tensor) -> Tensor:
    """Zeros with ``t``'s shape and dtype (no graph)."""
    return Tensor._make(np.zeros(t._data.shape, t._data.dtype))


def one_hot(t: Tensor, k: int) -> Tensor:
    """Zeros like ``t`` with a 1 at flat position ``k``."""
    arr = np.zeros(t._data.size, t._data.dtype)
    arr[k] = 1
    return Tensor._make(arr.reshape(t._data.shape))


def detach_tree(obj, keep: bool):
    """``obj`` with its tensors detached, unless ``keep``."""
    if keep:
        return obj
    leaves, spec = tree_flatten(obj)
    return tree_unflatten([v.detach() if isinstance(v, Tensor) else v for v in leaves], spec)


def split_aux(out, has_aux: bool, api: str):
    """``(output, aux)`` from a function's result."""
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if "
                           "has_aux is True")
    return out


def replace_args(args: tuple, nums: tuple, specs: list, leaves: list) -> list:
    """``args`` with the arguments at ``nums`` rebuilt from consecutive ``leaves``; ``specs``
    holds ``(spec, n_leaves)`` per argument, as ``flatten_args`` returns."""
    new = list(args)
    pos = 0
    for n, (spec, count) in zip(nums, specs):
        new[n] = tree_unflatten(leaves[pos:pos + count], spec)
        pos += count
    return new


def flatten_args(args: tuple, nums: tuple, api: str):
    """The leaves of the arguments at ``nums`` and, per argument, ``(spec, n_leaves)``."""
    leaves, specs = [], []
    for n in nums:
        arg_leaves, spec = checked_leaves(args[n], api)
        leaves.extend(arg_leaves)
        specs.append((spec, len(arg_leaves)))
    return leaves, specs


def regroup(values: list, argnums, specs: list):
    """Per-leaf values (one per differentiated leaf) arranged like the differentiated
    arguments: that argument's structure for an int ``argnums``, a tuple of them otherwise."""
    groups, pos = [], 0
    for spec, count in specs:
        groups.append(tree_unflatten(values[pos:pos + count], spec))
        pos += count
    return tuple(groups) if isinstance(argnums, tuple) else groups[0]


def stack_rows(rows: list, out: Tensor, inp: Tensor) -> Tensor:
    """``d out[k] / d inp`` for each flat ``k`` (each shaped like ``inp``) stacked into the
    Jacobian block of shape ``out.shape + inp.shape``."""
    from ..ops.joining import stack

    shape = tuple(out.shape) + tuple(inp.shape)
    if not rows:
        return Tensor._make(np.zeros(shape, inp._data.dtype))
    return stack(rows, 0).reshape(shape)


def stack_columns(columns: list, out: Tensor, inp: Tensor) -> Tensor:
    """``d out / d inp[k]`` for each flat ``k`` (each shaped like ``out``) stacked into the
    Jacobian block of shape ``out.shape + inp.shape``."""
    from ..ops.joining import stack

    shape = tuple(out.shape) + tuple(inp.shape)
    if not columns:
        return Tensor._make(np.zeros(shape, out._data.dtype))
    return stack(columns, -1).reshape(shape)


def check_outputs(out, api: str) -> tuple:
    """``(leaves, spec)`` of a function's output, which must be a pytree of tensors."""
    leaves, spec = tree_flatten(out)
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise RuntimeError(f"{api}: Expected f to be a function that has only Tensors as "
                               f"output, got {type(leaf)}")
    return leaves, spec
