"""Reductions and scans: sum, mean, prod, max/min, amax/amin, argmax/argmin, var/std, logsumexp,
norm, all/any, cumsum/cumprod, count_nonzero, median, sum_to_size.

Each differentiable reduction is one primitive. Its backward broadcasts the incoming gradient
back over the reduced dimensions with ``reshape`` + ``expand`` (or a broadcasting ``mul``), so the
gradient is itself differentiable. Where PyTorch splits a gradient among tied extrema (``amax``,
full ``max``/``min``, full ``median``) the split weights are constants computed from the data.
"""

from __future__ import annotations

import builtins
import math
import numbers
import types

import numpy as np

from .. import _dtypes
from .._tensor import _TYPE_NAMES, Tensor, _wrap
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_ENABLED
from . import shape as _shape
from ._util import bind, check_tensor, write_out

__all__ = [
    "sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std",
    "var_mean", "std_mean", "logsumexp", "norm", "all", "any", "cumsum", "cumprod",
    "count_nonzero", "median", "sum_to_size", "nansum", "nanmean",
]

_INT64 = np.dtype(np.int64)
_F16 = np.dtype(np.float16)


# ---- argument helpers -------------------------------------------------------------------------
def _axes(dim, ndim: int, fn: str) -> tuple:
    """Normalise ``dim`` (None, int or sequence of ints) to a sorted tuple of axes; ``()`` or None
    mean every axis, and a 0-d tensor accepts dim 0 / -1 but has no axis to reduce."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (numbers.Integral, Tensor)) and not isinstance(dim, bool):
        dims = (dim,)
    elif isinstance(dim, (tuple, list)):
        dims = dim
    else:
        raise TypeError(f"{fn}(): argument 'dim' must be int or tuple of ints, not "
                        f"{type(dim).__name__}")
    axes = []
    for d in dims:
        if not isinstance(d, (numbers.Integral, Tensor)) or isinstance(d, bool):
            raise TypeError(f"{fn}(): argument 'dim' must be int or tuple of ints, but found "
                            f"element of type {type(d).__name__}")
        a = _shape.wrap(int(d), ndim)
        if a in axes:
            raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
        axes.append(a)
    if ndim == 0:
        return ()
    return tuple(sorted(axes)) if axes else tuple(range(ndim))


def _one_axis(dim, ndim: int, fn: str) -> int:
    """Normalise a single ``dim`` argument (an int)."""
    if not isinstance(dim, (numbers.Integral, Tensor)) or isinstance(dim, bool):
        raise TypeError(f"{fn}(): argument 'dim' must be int, not {type(dim).__name__}")
    return _shape.wrap(int(dim), ndim)


def _keep_shape(shape: tuple, axes: tuple) -> tuple:
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _keep(g: Tensor, shape: tuple, axes: tuple, keepdim: bool) -> Tensor:
    """Give a reduction's output gradient size-1 dims where the input was reduced."""
    if keepdim:
        return g
    if not GRAD_ENABLED[0]:  # plain backward (no create_graph): skip the graph machinery
        return Tensor._make(g._data.reshape(_keep_shape(shape, axes)))
    return _shape.reshape(g, _keep_shape(shape, axes))


# Below this many elements a broadcast gradient is written out (a new array, which a leaf can
# adopt as its .grad); above it, a read-only broadcast view saves the memory traffic.
_MATERIALISE = 1 << 14


def _unreduce(g: Tensor, shape: tuple, axes: tuple, keepdim: bool) -> Tensor:
    """Broadcast a reduction's output gradient back to the input's shape."""
    if not GRAD_ENABLED[0]:
        ga = g._data
        if ga.ndim != len(shape) and ga.ndim:  # a 0-d gradient broadcasts as it is
            ga = ga.reshape(_keep_shape(shape, axes))
        if math.prod(shape) <= _MATERIALISE:
            out = np.empty(shape, ga.dtype)
            out[...] = ga
            return _wrap(out)
        return _wrap(np.broadcast_to(ga, shape))
    return _shape.expand(_keep(g, shape, axes, keepdim), shape)


def _count(shape: tuple, axes: tuple) -> int:
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _const(arr: np.ndarray, like: np.dtype) -> Tensor:
    """A constant tensor (no grad) of ``like``'s dtype."""
    return Tensor._make(np.asarray(arr, dtype=like))


def _type_name(t: Tensor) -> str:
    return _TYPE_NAMES[t.dtype.name]


def _cast_for(input: Tensor, dtype) -> Tensor:
    """Apply a reduction's ``dtype=`` argument (a differentiable cast)."""
    return input if dtype is None else input.to(_dtypes.to_dtype(dtype))


def _empty_check(input: Tensor, axes: tuple, fn: str, all_dims: bool) -> None:
    """Raise PyTorch's errors for reductions without identity over empty dimensions."""
    if input._data.size:
        return
    if all_dims:
        raise (IndexError if fn in ("argmax", "argmin") else RuntimeError)(
            f"{fn}(): Expected reduction dim to be specified for input.numel() == 0."
            + ("" if fn in ("argmax", "argmin") else
               " Specify the reduction dim with the 'dim' argument."))
    for a in axes:
        if input._data.shape[a] == 0:
            raise IndexError(f"{fn}(): Expected reduction dim {a} to have non-zero size.")


class _ReturnPair(tuple):
    """Base of ``return_types.max`` & co.: a (values, indices) tuple with named fields."""

    __slots__ = ()
    n_fields = n_sequence_fields = 2
    _fields = ("values", "indices")

    def __new__(cls, values, indices):
        return tuple.__new__(cls, (values, indices))

    values = property(lambda self: self[0], doc="The reduced values.")
    indices = property(lambda self: self[1], doc="Where the values were found.")

    def __repr__(self) -> str:
        return (f"torch.return_types.{type(self).__name__}(\nvalues={self[0]!r},\n"
                f"indices={self[1]!r})")

    def __reduce__(self):
        return (type(self), tuple(self))


return_types = types.SimpleNamespace()
for _name in ("max", "min", "median"):
    _cls = type(_name, (_ReturnPair,), {"__slots__": (), "__module__": __name__,
                                        "__qualname__": f"return_types.{_name}"})
    setattr(return_types, _name, _cls)


# ---- sum, mean, sum_to_size -------------------------------------------------------------------
class Sum(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, how):
        # ``how`` is ``(axes, keepdim, dtype)`` in one argument: one graph edge, not three
        axes, keepdim, npd = how
        ctx.meta = (x.shape, axes, keepdim)
        if x.dtype == _F16:  # accumulate in float32, as PyTorch does for half
            return np.sum(x, axis=axes, keepdims=keepdim, dtype=np.float32).astype(np.float16)
        # the ufunc's own reduce: np.sum's Python layer costs more than a small sum itself
        return np.add.reduce(x, axis=axes, keepdims=keepdim, dtype=npd)

    @staticmethod
    def backward(ctx, g):
        return _unreduce(g, *ctx.meta), None


class SumDim(Sum):
    node_name = "SumBackward1"


def _int_to_long(x: Tensor):
    return _INT64 if x._data.dtype.kind in "biu" else None


def _pick_dim(dim, axis):
    return axis if dim is None else dim


def sum(input, dim=None, keepdim: bool = False, *, dtype=None, axis=None,  # noqa: A001
        out=None) -> Tensor:
    """Sum of the elements, over all of them or over ``dim``; integer and bool inputs give int64.

    Args:
        input: the tensor to reduce.
        dim: an int or tuple of ints; None (or ``()``) reduces every dimension.
        keepdim: keep reduced dimensions with size 1.
        dtype: cast the input to this dtype first.

    Example:
        >>> import chainrule as torch
        >>> torch.sum(torch.tensor([[1., 2.], [3., 4.]]), dim=0)
        tensor([4., 6.])
    """
    check_tensor(input, "sum")
    dim = _pick_dim(dim, axis)
    x = _cast_for(input, dtype)
    axes = _axes(dim, x.ndim, "sum")
    fn = Sum if dim is None else SumDim
    return write_out(fn.apply(x, (axes, bool(keepdim), _int_to_long(x))), out)


# Sum's argument for the full sum of a float tensor, by ndim (numpy's dimension limit is 64)
_FULL_SUM = [(tuple(range(n)), False, None) for n in range(65)]


def _sum_method(self, dim=None, keepdim: bool = False, *, dtype=None, axis=None, out=None):
    """``Tensor.sum``: the full sum of a float tensor without the argument handling."""
    if dim is None and axis is None and dtype is None and out is None and keepdim is False:
        d = self._data
        if d.dtype.kind == "f":
            return Sum.apply(self, _FULL_SUM[d.ndim])
    return sum(self, dim, keepdim, dtype=dtype, axis=axis, out=out)


_sum_method.__doc__ = sum.__doc__


class Nansum(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, axes, keepdim, npd):
        ctx.meta = (x.shape, axes, keepdim)
        ctx.save_for_backward(x)
        return np.asarray(np.nansum(x, axis=axes, keepdims=keepdim, dtype=npd))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        shape, axes, keepdim = ctx.meta
        keep = _const(~np.isnan(x._data), x._data.dtype)
        return _keep(g, shape, axes, keepdim) * keep, None, None, None


def nansum(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``sum`` treating NaN as zero (NaN positions receive zero gradient)."""
    x = _cast_for(check_tensor(input, "nansum"), dtype)
    return Nansum.apply(x, _axes(dim, x.ndim, "nansum"), bool(keepdim), _int_to_long(x))


class Mean(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.meta = (x.shape, axes, keepdim)
        if x.size == 0:
            shape = _keep_shape(x.shape, axes) if keepdim else tuple(
                s for i, s in enumerate(x.shape) if i not in axes)
            return np.full(shape, np.nan, dtype=x.dtype)
        return np.asarray(np.mean(x, axis=axes, keepdims=keepdim), dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        shape, axes, keepdim = ctx.meta
        n = builtins.max(_count(shape, axes), 1)
        return _unreduce(g / n, shape, axes, keepdim), None, None


class MeanDim(Mean):
    node_name = "MeanBackward1"


def mean(input, dim=None, keepdim: bool = False, *, dtype=None, axis=None, out=None) -> Tensor:
    """Arithmetic mean over all elements or over ``dim`` (floating inputs, or give ``dtype``).

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([[1., 2.], [3., 5.]]).mean(1)
        tensor([1.5000, 4.0000])
    """
    check_tensor(input, "mean")
    dim = _pick_dim(dim, axis)
    x = _cast_for(input, dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {_type_name(x)}")
    axes = _axes(dim, x.ndim, "mean")
    return write_out((Mean if dim is None else MeanDim).apply(x, axes, bool(keepdim)), out)


def nanmean(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean of the non-NaN elements."""
    x = _cast_for(check_tensor(input, "nanmean"), dtype)
    keep = _const(~np.isnan(x._data), x._data.dtype)
    return nansum(x, dim, keepdim) / sum(keep, dim, keepdim)


class SumToSize(Function):
    raw = True
    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                          if s == 1 and x.shape[lead + i] != 1)
        return np.sum(x, axis=axes, keepdims=True).reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return _shape.expand(g, ctx.in_shape), None


def sum_to_size(input, *size) -> Tensor:
    """Sum ``input`` down to ``size``, undoing a broadcast from ``size`` to ``input.shape``.

    Example:
        >>> import chainrule as torch
        >>> torch.ones(2, 3).sum_to_size(1, 3)
        tensor([[2., 2., 2.]])
    """
    check_tensor(input, "sum_to_size")
    shape = _shape.parse_shape(size, "sum_to_size", "size")
    have = input._data.shape
    lead = len(have) - len(shape)
    if lead < 0 or builtins.any(s != 1 and s != h for s, h in zip(shape, have[lead:])):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(have)}}}.")
    if shape == have:
        return input
    return SumToSize.apply(input, shape)


# ---- max, min, amax, amin, argmax, argmin, median ---------------------------------------------
def _tie_weights(x: np.ndarray, yk: np.ndarray, axes: tuple) -> Tensor:
    """1/count on each extreme value of its slice (ties share the gradient evenly), else 0."""
    mask = x == yk
    if x.dtype.kind == "f" and np.isnan(yk).any():
        mask |= np.isnan(x) & np.isnan(yk)
    count = mask.sum(axis=axes, keepdims=True)
    if (count == 1).all():
        return Tensor._make(mask.astype(x.dtype))
    return _const(mask / count, x.dtype)


class Amax(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, axes, keepdim, fn):
        ctx.meta = (x.shape, axes, keepdim)
        y = np.asarray(fn(x, axis=axes, keepdims=keepdim))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        shape, axes, keepdim = ctx.meta
        weights = _tie_weights(x._data, y._data.reshape(_keep_shape(shape, axes)), axes)
        return _keep(g, shape, axes, keepdim) * weights, None, None, None


class Amin(Amax):
    node_name = "AminBackward0"


class MaxAll(Amax):
    node_name = "MaxBackward1"


class MinAll(Amax):
    node_name = "MinBackward1"


class MaxDim(Function):
    """max(dim): values and indices; the gradient goes to the selected element only."""

    raw = True
    node_name = "MaxBackward0"

    @staticmethod
    def forward(ctx, x, d, keepdim, select):
        ctx.meta = (x.shape, d, keepdim)
        if x.ndim == 0:
            idx = np.zeros((), np.int64)
            val = x.copy()
        else:
            idx = select(x, d)
            val = np.take_along_axis(x, idx, d)
            if not keepdim:
                idx, val = idx.squeeze(d), val.squeeze(d)
        ctx.idx = idx
        ctx.mark_non_differentiable(idx)
        return val, idx

    @staticmethod
    def backward(ctx, g, _):
        shape, d, keepdim = ctx.meta
        if not shape:
            return g * 1, None, None, None
        idx = ctx.idx if keepdim else np.expand_dims(ctx.idx, d)
        pos = np.arange(shape[d]).reshape([-1 if i == d else 1 for i in range(len(shape))])
        gk = g if keepdim else _shape.unsqueeze(g, d)
        return gk * _const(pos == idx, g._data.dtype), None, None, None


class MinDim(MaxDim):
    node_name = "MinBackward0"


def _argmax_keep(x, d):
    return np.argmax(x, axis=d, keepdims=True).astype(np.int64, copy=False)


def _argmin_keep(x, d):
    return np.argmin(x, axis=d, keepdims=True).astype(np.int64, copy=False)


def _write_pair(result, out):
    if out is None:
        return result
    for r, o in zip(result, out):
        write_out(r, o)
    return type(result)(*out)


def _extreme(input, dim, keepdim, out, fn: str, other=None):
    check_tensor(input, fn)
    if isinstance(dim, Tensor) or other is not None:  # torch.max(a, b): elementwise
        from .arithmetic import maximum, minimum

        return (maximum if fn == "max" else minimum)(input, other if other is not None else dim,
                                                     out=out)
    x = input
    if dim is None:
        if keepdim:
            raise TypeError(f"{fn}(): keepdim=True needs a dim")
        _empty_check(x, (), fn, True)
        cls, reduce_fn = (MaxAll, np.max) if fn == "max" else (MinAll, np.min)
        return write_out(cls.apply(x, tuple(range(x.ndim)), False, reduce_fn), out)
    d = _one_axis(dim, x.ndim, fn)
    if x.ndim:
        _empty_check(x, (d,), fn, False)
    cls, select = (MaxDim, _argmax_keep) if fn == "max" else (MinDim, _argmin_keep)
    return _write_pair(getattr(return_types, fn)(*cls.apply(x, d, bool(keepdim), select)), out)


def max(input, dim=None, keepdim: bool = False, *, other=None, out=None):  # noqa: A001
    """Largest element; with ``dim``, ``(values, indices)`` along it; with a tensor, ``maximum``.

    The gradient of the full reduction is split evenly among tied maxima; with ``dim`` it goes
    to the element ``indices`` points at.

    Args:
        input: the tensor to reduce.
        dim: the dimension to reduce (an int); None reduces everything; a tensor here means
            the elementwise form ``maximum(input, dim)``.
        keepdim: keep the reduced dimension with size 1.

    Returns:
        A 0-d tensor without ``dim``; otherwise ``torch.return_types.max(values, indices)``.

    Example:
        >>> import chainrule as torch
        >>> torch.max(torch.tensor([[1., 5.], [7., 2.]]), dim=1)
        torch.return_types.max(
        values=tensor([5., 7.]),
        indices=tensor([1, 0]))
    """
    return _extreme(input, dim, keepdim, out, "max", other)


def min(input, dim=None, keepdim: bool = False, *, other=None, out=None):  # noqa: A001
    """Smallest element; with ``dim``, ``(values, indices)`` along it; with a tensor, ``minimum``.

    Arguments and results as for ``max``.

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([3., 1., 2.]).min()
        tensor(1.)
    """
    return _extreme(input, dim, keepdim, out, "min", other)


def _amax(input, dim, keepdim, fn: str):
    check_tensor(input, fn)
    axes = _axes(dim, input.ndim, fn)
    _empty_check(input, axes, fn, dim is None or isinstance(dim, (tuple, list)) and not dim)
    cls, reduce_fn = (Amax, np.max) if fn == "amax" else (Amin, np.min)
    return cls.apply(input, axes, bool(keepdim), reduce_fn)


def amax(input, dim=(), keepdim: bool = False) -> Tensor:
    """Maximum over ``dim`` (all dimensions by default); ties share the gradient evenly.

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([[1., 5.], [7., 2.]]).amax(0)
        tensor([7., 5.])
    """
    return _amax(input, dim, keepdim, "amax")


def amin(input, dim=(), keepdim: bool = False) -> Tensor:
    """Minimum over ``dim`` (all dimensions by default); ties share the gradient evenly."""
    return _amax(input, dim, keepdim, "amin")


def _arg(input, dim, keepdim, fn: str) -> Tensor:
    check_tensor(input, fn)
    x = input._data
    pick = np.argmax if fn == "argmax" else np.argmin
    if dim is None:
        _empty_check(input, (), fn, True)
        r = np.asarray(pick(x), dtype=np.int64)
        return Tensor._make(r.reshape((1,) * x.ndim) if keepdim else r)
    d = _one_axis(dim, x.ndim, fn)
    if x.ndim == 0:
        return Tensor._make(np.zeros((), np.int64))
    _empty_check(input, (d,), fn, False)
    return Tensor._make(np.asarray(pick(x, axis=d, keepdims=bool(keepdim)), dtype=np.int64))


def argmax(input, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (of the flattened tensor without ``dim``).

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([[1., 5.], [7., 2.]]).argmax(dim=1)
        tensor([1, 0])
    """
    return _arg(input, dim, keepdim, "argmax")


def argmin(input, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element (of the flattened tensor without ``dim``)."""
    return _arg(input, dim, keepdim, "argmin")


# ---- all, any, count_nonzero ------------------------------------------------------------------
def _logical(input, dim, keepdim, fn: str, reduce_fn) -> Tensor:
    check_tensor(input, fn)
    x = input._data
    r = np.asarray(reduce_fn(x, axis=_axes(dim, x.ndim, fn), keepdims=bool(keepdim)))
    return Tensor._make(r.astype(np.uint8) if x.dtype == np.uint8 else r)


def all(input, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Whether every element (over ``dim``) is nonzero; bool result (uint8 for uint8 input).

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([[True, False], [True, True]]).all(dim=1)
        tensor([False,  True])
    """
    return _logical(input, dim, keepdim, "all", np.all)


def any(input, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Whether any element (over ``dim``) is nonzero; bool result (uint8 for uint8 input)."""
    return _logical(input, dim, keepdim, "any", np.any)


def count_nonzero(input, dim=None) -> Tensor:
    """Number of nonzero elements (over ``dim``), as int64.

    Example:
        >>> import chainrule as torch
        >>> torch.count_nonzero(torch.tensor([[0, 1], [2, 3]]), dim=0)
        tensor([1, 2])
    """
    check_tensor(input, "count_nonzero")
    x = input._data
    return Tensor._make(np.asarray(np.count_nonzero(x, axis=_axes(dim, x.ndim, "count_nonzero")),
                                   dtype=np.int64))


# Products, scans and statistics live in ``statistics`` (module size limit); re-exported here.
from .statistics import (_scan_inplace, cumprod, cumsum, logsumexp, median, norm,  # noqa: E402
                         prod, std, std_mean, var, var_mean)


bind(sum=_sum_method, mean=mean, prod=prod, max=max, min=min, amax=amax, amin=amin, argmax=argmax,
     argmin=argmin, var=var, std=std, logsumexp=logsumexp, norm=norm, all=all, any=any,
     cumsum=cumsum, cumprod=cumprod, count_nonzero=count_nonzero, median=median,
     sum_to_size=sum_to_size, nansum=nansum, nanmean=nanmean,
     cumsum_=_scan_inplace(cumsum), cumprod_=_scan_inplace(cumprod))
