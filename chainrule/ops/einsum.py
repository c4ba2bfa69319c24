"""``einsum``, ``tensordot`` and ``inner``: contractions written in Einstein's notation.

``einsum`` runs ``np.einsum`` with an optimised contraction path (BLAS where it can). The
gradient of each operand is another ``einsum`` of the other operands and the output gradient;
letters only that operand has are restored with ones, and repeated letters (diagonals, traces)
are scattered back onto the diagonal. Re-exported by ``linalg``.
"""

from __future__ import annotations

import string

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ._util import bind, check_tensor, wrap_dim, write_out

__all__ = ["einsum", "tensordot", "inner"]


class Einsum(Function):
    raw = True
    node_name = "EinsumBackward0"

    @staticmethod
    def forward(ctx, spec, *arrays):
        ctx.spec = spec
        ctx.save_for_backward(*arrays)
        subs, out = spec
        eq = f"{','.join(subs)}->{out}"
        res = np.asarray(np.einsum(eq, *arrays, optimize=len(arrays) > 1))
        if any(np.may_share_memory(res, a) for a in arrays):
            res = res.copy()  # a pure transpose or diagonal comes back as a view
        return res

    @staticmethod
    def backward(ctx, g):
        subs, out = ctx.spec
        ops = ctx.saved_tensors
        grads = [None]
        sizes = {}
        for s, t in zip(subs, ops):
            for c, n in zip(s, t._data.shape):
                sizes[c] = max(sizes.get(c, 1), n)
        for i, (s, t) in enumerate(zip(subs, ops)):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            target = "".join(dict.fromkeys(s))
            others = [subs[j] for j in range(len(ops)) if j != i] + [out]
            seen = set("".join(others))
            missing = [c for c in target if c not in seen]
            ones = [Tensor._make(np.ones(sizes[c], t._data.dtype)) for c in missing]
            spec = (tuple(others) + tuple(missing), target)
            gi = Einsum.apply(spec, *[ops[j] for j in range(len(ops)) if j != i], g, *ones)
            own = dict(zip(s, t._data.shape))
            want = tuple(max(own[c], n) for c, n in zip(target, gi._data.shape))
            if want != gi._data.shape:  # this operand's size where the others broadcast a 1
                gi = gi.expand(want)
            if target != s:
                gi = DiagScatter.apply(gi, s, target, tuple(want[target.index(c)] for c in s))
            grads.append(gi)
        return tuple(grads)


class DiagScatter(Function):
    """Place ``g`` (indexed by the distinct letters ``target``) on the diagonal that repeated
    letters ``subs`` describe, in zeros of ``shape`` (einsum's gradient for traces)."""

    raw = True

    @staticmethod
    def forward(ctx, g, subs, target, shape):
        ctx.eq = f"{subs}->{target}"
        out = np.zeros(shape, g.dtype)
        np.einsum(ctx.eq, out)[...] = g  # a writable diagonal view
        return out

    @staticmethod
    def backward(ctx, gg):
        subs, target = ctx.eq.split("->")
        return Einsum.apply(((subs,), target), gg), None, None, None


def _parse_einsum(equation: str, shapes: list) -> tuple:
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           "equation")
    if len(subs) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")
    letters = {c for c in eq if c.isalpha()}
    pool = [c for c in string.ascii_letters if c not in letters]
    n_ell = 0
    for i, (s, shape) in enumerate(zip(subs, shapes)):
        named = len(s.replace("...", ""))
        if any(not c.isalpha() for c in s.replace("...", "")):
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the "
                               f"equation string, subscripts must be in [a-zA-Z]")
        if "..." in s:
            n_ell = max(n_ell, len(shape) - named)
        elif named != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) "
                               f"does not match the number of dimensions ({len(shape)}) for "
                               f"operand {i} and no ellipsis was given")
    ell = "".join(pool[:n_ell])
    for i, shape in enumerate(shapes):
        if "..." in subs[i]:
            k = len(shape) - (len(subs[i]) - 3)
            if k < 0:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({len(subs[i]) - 3}) is more than the number of dimensions "
                                   f"({len(shape)}) for operand {i}")
            subs[i] = subs[i].replace("...", ell[n_ell - k:])
    if arrow:
        out = rhs.replace("...", ell)
        for c in out:
            if c not in "".join(subs):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   "equation for any input operand")
            if out.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   "the output")
    else:
        counts = {}
        for c in "".join(subs):
            counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    sizes = {}
    for i, (s, shape) in enumerate(zip(subs, shapes)):
        for c, n in zip(s, shape):
            seen = sizes.get(c, 1)
            if n != 1 and seen != 1 and n != seen:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which "
                                   f"does not broadcast with previously seen size {seen}")
            sizes[c] = max(seen, n)
    return tuple(subs), out


def einsum(equation, *operands) -> Tensor:
    """Sum of products over the indices of Einstein's notation, e.g. ``'ij,jk->ik'``.

    Supports ``...`` (broadcast dimensions), implicit outputs (no ``->``), repeated indices
    (diagonals and traces), the operands given as one list, and the sublist format.

    Example:
        >>> import chainrule as torch
        >>> a, b = torch.ones(2, 3), torch.ones(3, 4)
        >>> torch.einsum('ij,jk->ik', a, b).shape
        torch.Size([2, 4])
        >>> torch.einsum('ii', torch.eye(3))
        tensor(3.)
    """
    if not isinstance(equation, str):
        equation, operands = _from_sublists((equation,) + operands)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for i, t in enumerate(operands):
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum(): operand {i} must be a Tensor, not {type(t).__name__}")
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    dts = {t._data.dtype for t in operands}
    if len(dts) > 1:
        first = operands[0]._data.dtype
        other = next(t._data.dtype for t in operands if t._data.dtype != first)
        names = {"float32": "Float", "float64": "Double", "int64": "Long", "float16": "Half"}
        raise RuntimeError(f"expected scalar type {names.get(first.name, first.name)} but found "
                           f"{names.get(other.name, other.name)}")
    spec = _parse_einsum(equation, [t._data.shape for t in operands])
    return Einsum.apply(spec, *operands)


def _from_sublists(args: tuple) -> tuple:
    """Convert ``einsum(op0, [0, 1], op1, [1, 2], [0, 2])`` to an equation and operands."""
    def letters(sub):
        return "".join("..." if s is Ellipsis else string.ascii_letters[s] for s in sub)

    ops, subs = list(args[0::2]), [letters(s) for s in args[1::2]]
    out = None
    if len(ops) > len(subs):
        out = letters(ops.pop())
    return ",".join(subs) + ("" if out is None else "->" + out), tuple(ops)


def tensordot(a: Tensor, b: Tensor, dims=2, out=None) -> Tensor:
    """Contract the last ``dims`` dimensions of ``a`` with the first ``dims`` of ``b``, or the
    dimension lists ``dims = (dims_a, dims_b)``.

    Example:
        >>> import chainrule as torch
        >>> torch.tensordot(torch.ones(3, 4, 5), torch.ones(4, 5, 6), dims=2).shape
        torch.Size([3, 6])
    """
    check_tensor(a, "tensordot", "a")
    check_tensor(b, "tensordot", "b")
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    da, db = [wrap_dim(d, na) for d in da], [wrap_dim(d, nb) for d in db]
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    for x, y in zip(da, db):
        if a._data.shape[x] != b._data.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a._data.shape[x]} in dim {x} and second has size "
                               f"{b._data.shape[y]} in dim {y}")
    la = list(string.ascii_letters[:na])
    lb = list(string.ascii_letters[na:na + nb])
    for x, y in zip(da, db):
        lb[y] = la[x]
    res = "".join(c for i, c in enumerate(la) if i not in da) + "".join(
        c for i, c in enumerate(lb) if i not in db)
    return write_out(einsum(f"{''.join(la)},{''.join(lb)}->{res}", a, b), out)


def inner(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Sum of products over the last dimension (a scalar times a tensor when one is 0-d)."""
    check_tensor(input, "inner")
    check_tensor(other, "inner", "other")
    if input._data.ndim == 0 or other._data.ndim == 0:
        return write_out(input * other, out)
    if input._data.shape[-1] != other._data.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(input.shape)} and {list(other.shape)}")
    return write_out(tensordot(input, other, ([-1], [-1])), out)


bind(tensordot=tensordot, inner=inner)
