"""Sorting and selection: ``sort``, ``argsort``, ``msort``, ``topk``, ``kthvalue``, ``unique``,
``unique_consecutive``, ``searchsorted``, ``bucketize``.

Sorts are stable, NaN sorts as the largest value (as in PyTorch), and ``descending=True`` keeps
equal elements in their original order. Value outputs are differentiable: the gradient is
scattered back to where each value came from. Re-exported by ``indexing``.
"""

from __future__ import annotations

import collections

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ._util import bind, check_tensor, wrap_dim
from .reduction import return_types
from .scatter import ScatterAddZeros

__all__ = [
    "sort", "argsort", "msort", "topk", "kthvalue", "unique", "unique_consecutive",
    "searchsorted", "bucketize",
]


def return_type(name: str, fields: tuple, qualname: str, module: str = __name__):
    """A named tuple class that prints like PyTorch's ``torch.return_types.<name>``.

    ``qualname`` is the module-level name the class is stored under (so it pickles).
    """

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{name}(\n{body})"

    base = collections.namedtuple(name, fields)
    return type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": module,
                                "__qualname__": qualname,
                                "__doc__": f"``({', '.join(fields)})`` returned by ``{name}``."})


SortResult = return_type("sort", ("values", "indices"), "SortResult")
TopkResult = return_type("topk", ("values", "indices"), "TopkResult")
KthvalueResult = return_type("kthvalue", ("values", "indices"), "KthvalueResult")
for _cls in (SortResult, TopkResult, KthvalueResult):  # torch.return_types.sort & co.
    setattr(return_types, _cls.__name__, _cls)


def _argsort(x: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    """Stable argsort along ``dim``; descending keeps ties in their original order."""
    if not descending:
        return np.argsort(x, axis=dim, kind="stable")
    # a stable ascending sort of the reversed array, read backwards
    idx = np.flip(np.argsort(np.flip(x, axis=dim), axis=dim, kind="stable"), axis=dim)
    return (x.shape[dim] - 1) - idx


class _Select(Function):
    """Base of the value-selecting ops; backward scatters ``g`` to the selected places."""

    raw = True

    @staticmethod
    def backward(ctx, gv, gi):
        g = gv
        if ctx.squeezed:
            g = g[(slice(None),) * ctx.dim + (None,)]
        gx = ScatterAddZeros.apply(g, ctx.dim, ctx.idx, ctx.shape, True)
        return (gx,) + (None,) * (len(ctx.needs_input_grad) - 1)


def _finish(ctx, x, dim, idx, squeeze=False):
    values = np.take_along_axis(x, idx, axis=dim)
    ctx.dim, ctx.idx, ctx.shape, ctx.squeezed = dim, idx, x.shape, squeeze
    if squeeze:
        values, idx = values.squeeze(dim), idx.squeeze(dim)
    return values, idx


class Sort(_Select):
    raw = True

    @staticmethod
    def forward(ctx, x, dim, descending):
        return _finish(ctx, x, dim, _argsort(x, dim, descending).astype(np.int64, copy=False))


class Topk(_Select):
    raw = True

    @staticmethod
    def forward(ctx, x, k, dim, largest):
        n = x.shape[dim]
        if k == 0:
            idx = np.zeros(x.shape[:dim] + (0,) + x.shape[dim + 1:], np.int64)
            return _finish(ctx, x, dim, idx)
        if k < n:
            part = np.argpartition(x, n - k if largest else k - 1, axis=dim)
            sl = slice(n - k, n) if largest else slice(0, k)
            idx = part[(slice(None),) * dim + (sl,)]
            order = _argsort(np.take_along_axis(x, idx, axis=dim), dim, largest)
            idx = np.take_along_axis(idx, order, axis=dim)
        else:
            idx = _argsort(x, dim, largest)
        return _finish(ctx, x, dim, idx.astype(np.int64, copy=False))


class Kthvalue(_Select):
    raw = True

    @staticmethod
    def forward(ctx, x, k, dim, keepdim):
        part = np.argpartition(x, k - 1, axis=dim)
        idx = part[(slice(None),) * dim + (slice(k - 1, k),)].astype(np.int64, copy=False)
        return _finish(ctx, x, dim, idx, squeeze=not keepdim)


def _lift(input: Tensor, fn, *args):
    """Run a selection on a 0-d tensor as on a 1-element vector."""
    values, indices = fn.apply(input[None], *args)
    if values._data.shape != (1,):
        return values, indices
    return values[0], Tensor._make(indices._data.reshape(()))


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False, *,
         out=None):
    """Sort along ``dim``; returns ``(values, indices)`` (a ``torch.return_types.sort``).

    Example:
        >>> import chainrule as torch
        >>> torch.sort(torch.tensor([3, 1, 2]), descending=True)
        torch.return_types.sort(
        values=tensor([3, 2, 1]),
        indices=tensor([0, 2, 1]))
    """
    check_tensor(input, "sort")
    dim = wrap_dim(dim, input._data.ndim)
    if input._data.ndim == 0:
        return SortResult(*_lift(input, Sort, 0, bool(descending)))
    return SortResult(*Sort.apply(input, dim, bool(descending)))


def argsort(input: Tensor, dim: int = -1, descending: bool = False,
            stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (stable).

    Example:
        >>> import chainrule as torch
        >>> torch.argsort(torch.tensor([3, 1, 2]))
        tensor([1, 2, 0])
    """
    check_tensor(input, "argsort")
    x = input._data
    dim = wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        return Tensor._make(np.zeros((), np.int64))
    return Tensor._make(_argsort(x, dim, bool(descending)).astype(np.int64, copy=False))


def msort(input: Tensor) -> Tensor:
    """``sort(input, dim=0).values``."""
    return sort(input, 0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True,
         *, out=None):
    """The ``k`` largest (or smallest) values along ``dim`` and their indices, as a
    ``torch.return_types.topk``; values come sorted.

    Example:
        >>> import chainrule as torch
        >>> torch.topk(torch.tensor([1., 5., 3., 4.]), 2)
        torch.return_types.topk(
        values=tensor([5., 4.]),
        indices=tensor([1, 3]))
    """
    check_tensor(input, "topk")
    dim = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[dim] if input._data.ndim else 1
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise TypeError(f"topk(): argument 'k' must be int, not {type(k).__name__}")
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if input._data.ndim == 0:
        return TopkResult(*_lift(input, Topk, int(k), 0, bool(largest)))
    return TopkResult(*Topk.apply(input, int(k), dim, bool(largest)))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False, *, out=None):
    """The ``k``-th smallest value (1-based) along ``dim`` and its index, as a
    ``torch.return_types.kthvalue``.

    Example:
        >>> import chainrule as torch
        >>> torch.kthvalue(torch.tensor([4., 1., 3.]), 2).values
        tensor(3.)
    """
    check_tensor(input, "kthvalue")
    dim = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[dim] if input._data.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    if input._data.ndim == 0:
        return KthvalueResult(*_lift(input, Kthvalue, int(k), 0, True))
    return KthvalueResult(*Kthvalue.apply(input, int(k), dim, bool(keepdim)))


def _unique_result(output, inverse, counts, return_inverse, return_counts):
    out = [Tensor._make(np.asarray(output))]
    if return_inverse:
        out.append(Tensor._make(np.asarray(inverse).astype(np.int64, copy=False)))
    if return_counts:
        out.append(Tensor._make(np.asarray(counts).astype(np.int64, copy=False)))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None):
    """The distinct elements of ``input`` (sorted), optionally with the inverse mapping and
    the counts (not differentiable).

    Example:
        >>> import chainrule as torch
        >>> torch.unique(torch.tensor([2, 1, 2, 3]), return_counts=True)
        (tensor([1, 2, 3]), tensor([1, 2, 1]))
    """
    check_tensor(input, "unique")
    x = input._data
    if dim is None:
        out, inv, cnt = np.unique(x.reshape(-1), return_inverse=True, return_counts=True)
        inv = inv.reshape(x.shape)
    else:
        dim = wrap_dim(dim, x.ndim)
        out, inv, cnt = np.unique(x, return_inverse=True, return_counts=True, axis=dim)
        inv = inv.reshape(-1)
    return _unique_result(out, inv, cnt, return_inverse, return_counts)


def unique_consecutive(input: Tensor, return_inverse: bool = False,
                       return_counts: bool = False, dim: int | None = None):
    """Collapse runs of equal consecutive elements (or slices along ``dim``) into one.

    Example:
        >>> import chainrule as torch
        >>> torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 1]))
        tensor([1, 2, 1])
    """
    check_tensor(input, "unique_consecutive")
    x = input._data
    if dim is None:
        flat = x.reshape(-1)
        keep = np.concatenate(([True], flat[1:] != flat[:-1])) if flat.size else \
            np.zeros(0, np.bool_)
        out = flat[keep]
        inv_shape = x.shape
    else:
        dim = wrap_dim(dim, x.ndim)
        moved = np.moveaxis(x, dim, 0).reshape(x.shape[dim], -1)
        keep = np.concatenate(([True], (moved[1:] != moved[:-1]).any(axis=1))) if \
            moved.shape[0] else np.zeros(0, np.bool_)
        out = np.compress(keep, x, axis=dim)
        inv_shape = (x.shape[dim],)
    inv = (np.cumsum(keep) - 1).reshape(inv_shape)
    starts = np.flatnonzero(keep)
    cnt = np.diff(np.append(starts, keep.size))
    return _unique_result(out, inv, cnt, return_inverse, return_counts)


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None, sorter=None) -> Tensor:
    """Indices at which to insert ``input``'s values into ``sorted_sequence`` (sorted along its
    last dimension) to keep it sorted.

    Example:
        >>> import chainrule as torch
        >>> torch.searchsorted(torch.tensor([1, 3, 5, 7]), torch.tensor([3, 6]))
        tensor([1, 3])
    """
    check_tensor(sorted_sequence, "searchsorted", "sorted_sequence")
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    if sorter is not None:
        seq = np.take_along_axis(seq, np.asarray(sorter._data if isinstance(sorter, Tensor)
                                                 else sorter), axis=-1)
    vals = input._data if isinstance(input, Tensor) else np.asarray(input)
    where = "right" if right else "left"
    if seq.ndim <= 1:
        res = np.searchsorted(seq, vals, side=where)
    else:
        if vals.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or "
                               "the first N-1 dimensions of boundaries tensor and input value "
                               "tensor must match, but we got boundaries tensor "
                               f"{list(seq.shape)} and input value tensor {list(vals.shape)}")
        s2, v2 = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
        res = np.stack([np.searchsorted(s, v, side=where) for s, v in zip(s2, v2)])
        res = res.reshape(vals.shape)
    return Tensor._make(np.asarray(res).astype(np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False,
              right: bool = False) -> Tensor:
    """The bucket of each value of ``input`` given 1-D sorted ``boundaries``
    (``boundaries[i-1] < x <= boundaries[i]``, or ``<= x <`` with ``right=True``).

    Example:
        >>> import chainrule as torch
        >>> torch.bucketize(torch.tensor([1, 5, 9]), torch.tensor([2, 4, 6, 8]))
        tensor([0, 2, 4])
    """
    check_tensor(boundaries, "bucketize", "boundaries")
    if boundaries._data.ndim != 1:
        raise RuntimeError("boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


bind(sort=sort, argsort=argsort, msort=msort, topk=topk, kthvalue=kthvalue, unique=unique,
     unique_consecutive=unique_consecutive)
