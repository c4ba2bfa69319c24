"""``vmap``: map a function over a batch dimension.

chainrule's ``vmap`` is a loop: it calls the function once per batch element on slices of the
mapped inputs and stacks the results. It gives the same values as PyTorch's vectorised
``vmap`` (and composes with the differentiation transforms, since slicing and stacking are
differentiable), but not its speed. ``randomness`` is accepted and behaves as ``"different"``;
``chunk_size`` is accepted and ignored.
"""

# ruff: noqa: TRY004 - exception types follow PyTorch's (ValueError/RuntimeError for types)

from __future__ import annotations

import functools

from .._tensor import Tensor
from ._pytree import LEAF, spec_str, tree_flatten, tree_unflatten

__all__ = ["vmap"]


def _name(func) -> str:
    return getattr(func, "__name__", type(func).__name__)


def _broadcast_dims(dims, spec, where: str, func, what: str):
    """One in/out dim per leaf of ``spec``: ``dims`` is an int or None for the whole tree, or
    a tree with the same structure (possibly with ints or None standing for sub-trees)."""
    if dims is None or isinstance(dims, int):
        leaves, _ = tree_flatten(_skeleton(spec))
        return [dims] * len(leaves)
    if spec == LEAF:
        raise ValueError(f"vmap({_name(func)}, {where}): {what} is not compatible with the "
                         f"structure of `{what[:-5]}puts`. {what} has structure "
                         f"{spec_str(tree_flatten(dims)[1])} but {what[:-5]}puts has structure "
                         f"{spec_str(spec)}.")
    kind = spec[0]
    ok = (isinstance(dims, dict) and kind == "dict" and tuple(dims) == spec[2]) or (
        isinstance(dims, (tuple, list)) and kind != "dict" and len(dims) == len(spec[1]))
    if not ok:
        raise ValueError(f"vmap({_name(func)}, {where}): {what} is not compatible with the "
                         f"structure of `{what[:-5]}puts`. {what} has structure "
                         f"{spec_str(tree_flatten(dims)[1])} but {what[:-5]}puts has structure "
                         f"{spec_str(spec)}.")
    children = dims.values() if isinstance(dims, dict) else dims
    out = []
    for d, s in zip(children, spec[1]):
        out.extend(_broadcast_dims(d, s, where, func, what))
    return out


def _skeleton(spec):
    """A tree with the structure ``spec`` and placeholder leaves."""
    if spec == LEAF:
        return 0
    kind = spec[0]
    children = [_skeleton(s) for s in spec[1]]
    if kind == "dict":
        return dict(zip(spec[2], children))
    if kind == "namedtuple":
        return spec[2](*children)
    return tuple(children) if kind == "tuple" else list(children)


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """Vectorise ``func`` over a dimension of its inputs (by looping over it).

    Args:
        func: a function of tensors (or pytrees of tensors) returning tensors (or pytrees).
        in_dims: the mapped dimension of each input: an int (all inputs), None (not mapped),
            or a tuple with one entry per positional argument (each an int, None, or a pytree
            matching that argument).
        out_dims: where the batch dimension goes in each output: an int, or a tuple/pytree
            matching the outputs; None for an output that is not batched (the first result is
            kept).
        randomness: accepted for compatibility (each element is a separate call).
        chunk_size: accepted for compatibility.

    Returns:
        A function with ``func``'s signature whose outputs have the batch dimension.

    Example:
        >>> import chainrule as torch
        >>> from chainrule.func import vmap
        >>> vmap(torch.dot)(torch.ones(3, 2), torch.tensor([[1., 2.], [3., 4.], [5., 6.]]))
        tensor([ 3.,  7., 11.])
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        where = f"in_dims={in_dims}, ..."
        if not isinstance(in_dims, (int, tuple)) or isinstance(in_dims, bool):
            raise ValueError(f"vmap({_name(func)}, {where})(<inputs>): expected `in_dims` to be "
                             "int or a (potentially nested) tuple matching the structure of "
                             f"inputs, got: {type(in_dims)}.")
        leaves, spec = tree_flatten(args)
        dims = _broadcast_dims(in_dims, spec,
                               f"{where})(<inputs>", func, "in_dims")
        sizes = []
        for leaf, d in zip(leaves, dims):
            if d is None:
                continue
            if not isinstance(leaf, Tensor):
                raise ValueError(f"vmap({_name(func)}, {where})(<inputs>): Got in_dim={d} for "
                                 f"an input but the input is of type {type(leaf)}. We cannot "
                                 "vmap over non-Tensor arguments, please use None as the "
                                 "respective in_dim")
            n = leaf.dim()
            if not -n <= d < n:
                raise ValueError(f"vmap({_name(func)}, {where})(<inputs>): Got in_dim={d} for "
                                 f"some input, but that input is a Tensor of dimensionality {n} "
                                 f"so expected in_dim to satisfy {-n} <= in_dim < {n}.")
            sizes.append(leaf.shape[d])
        if not sizes:
            raise ValueError(f"vmap({_name(func)}, {where})(<inputs>): at least one input must "
                             "be a Tensor mapped over a dimension (in_dims not all None)")
        if len(set(sizes)) != 1:
            raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                             f"dimension, got sizes {sizes} for the mapped dimension")
        size = sizes[0]
        results = []
        for b in range(size):
            sliced = [leaf if d is None else leaf.narrow(d, b, 1).squeeze(d)
                      for leaf, d in zip(leaves, dims)]
            results.append(func(*tree_unflatten(sliced, spec), **kwargs))
        return _stack_results(results, out_dims, func)

    return wrapper


def _stack_results(results: list, out_dims, func):
    from ..ops.joining import stack

    if not results:
        raise ValueError(f"vmap({_name(func)}): cannot map over a dimension of size 0")
    first_leaves, out_spec = tree_flatten(results[0])
    where = f"..., out_dims={out_dims})(<inputs>"
    dims = _broadcast_dims(out_dims, out_spec, where, func, "out_dims")
    per_call = [tree_flatten(r) for r in results]
    stacked = []
    for i, (leaf, d) in enumerate(zip(first_leaves, dims)):
        if d is None:
            stacked.append(leaf)
            continue
        if not isinstance(leaf, Tensor):
            raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` must only return "
                             f"Tensors, got type {type(leaf)}. Did you mean to set out_dims= "
                             "to None for output?")
        parts = [leaves[i] for leaves, _ in per_call]
        stacked.append(stack(parts, d if d >= 0 else d + leaf.dim() + 1))
    return tree_unflatten(stacked, out_spec)
