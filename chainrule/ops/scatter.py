"""Gathers and scatters along a dimension (``gather``, ``scatter``, ``scatter_add``,
``take_along_dim``), ``where``, ``nonzero`` and the masked ops (``masked_fill``,
``masked_select``).

A scatter addresses its output through flat (linear) element indices, so repeated indices are
summed with one ``np.bincount`` rather than ``np.add.at``. Re-exported by ``indexing``.
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import _dtypes
from .._tensor import Tensor
from ..autograd.function import Function
from ._inplace import inplace
from ._util import as_operand, bind, check_tensor, wrap_dim, write_out

__all__ = [
    "argwhere", "gather", "masked_fill", "masked_select", "nonzero", "scatter", "scatter_add",
    "take_along_dim", "where",
]


def _indexing():
    """The ``indexing`` module (imported late: it imports this one)."""
    from . import indexing

    return indexing


# ---- linear addressing -----------------------------------------------------------------------
def _linear(index: np.ndarray, dim: int, shape) -> np.ndarray:
    """Flat positions in a C-ordered array of ``shape`` of ``index``'s entries along ``dim``
    (every other coordinate is the entry's own position in ``index``)."""
    ndim = len(shape)
    strides = [1] * ndim
    for d in range(ndim - 2, -1, -1):
        strides[d] = strides[d + 1] * shape[d + 1]
    lin = index.astype(np.int64, copy=False) * strides[dim] if ndim else index.astype(np.int64)
    for d in range(ndim):
        if d != dim and index.shape[d] > 1:
            view = [1] * ndim
            view[d] = -1
            lin = lin + (np.arange(index.shape[d], dtype=np.int64) * strides[d]).reshape(view)
    return np.broadcast_to(lin, index.shape)


def _scatter_into(out: np.ndarray, dim: int, index: np.ndarray, src, mode: str,
                  fresh: bool = False) -> None:
    """Write ``src`` into the C-contiguous ``out`` at ``index`` along ``dim``.

    ``mode`` is ``'assign'``, ``'add'`` (repeats add up) or ``'multiply'``.
    """
    if index.size == 0:
        return
    flat = out.reshape(-1)
    lin = _linear(index, dim, out.shape).reshape(-1)
    if isinstance(src, np.ndarray):
        src = np.broadcast_to(src, index.shape).reshape(-1)
    if mode == "assign":
        flat[lin] = src
    elif mode == "multiply":
        np.multiply.at(flat, lin, src)
    elif out.dtype.kind == "f":
        sums = np.bincount(lin, weights=np.broadcast_to(src, lin.shape), minlength=flat.size)
        if fresh:
            flat[...] = sums
        else:
            flat += sums.astype(out.dtype, copy=False)
    else:
        np.add.at(flat, lin, src)


class Gather(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, dim, index, bshape):
        if bshape is not None:
            x = np.broadcast_to(x, bshape)
        ctx.dim, ctx.index, ctx.shape = dim, index, x.shape
        if index.shape[:dim] + index.shape[dim + 1:] != x.shape[:dim] + x.shape[dim + 1:]:
            x = x[tuple(slice(0, s) if d != dim else slice(None)
                        for d, s in enumerate(index.shape))]
        return np.take_along_axis(x, index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return ScatterAddZeros.apply(g, ctx.dim, ctx.index, ctx.shape, False), None, None, None


class ScatterAddZeros(Function):
    """Zeros of ``shape`` with ``g`` added at ``index`` along ``dim`` (gather's gradient)."""

    raw = True
    node_name = "GatherBackwardBackward0"

    @staticmethod
    def forward(ctx, g, dim, index, shape, unique):
        ctx.dim, ctx.index = dim, index
        out = np.zeros(shape, g.dtype)
        if unique and index.shape[:dim] + index.shape[dim + 1:] == shape[:dim] + shape[dim + 1:]:
            np.put_along_axis(out, index, g, axis=dim)
        else:
            _scatter_into(out, dim, index, g, "assign" if unique else "add", fresh=True)
        return out

    @staticmethod
    def backward(ctx, gg):
        return Gather.apply(gg, ctx.dim, ctx.index, None), None, None, None, None


def _pad_to(g: Tensor, shape) -> Tensor:
    """``g`` in the leading corner of zeros of ``shape`` (differentiable)."""
    if g._data.shape == tuple(shape):
        return g
    ix = _indexing()
    key = ix.Key(tuple(slice(0, s) for s in g._data.shape) + (Ellipsis,), None, "SliceBackward0")
    return ix.IndexPutZeros.apply(g, key, tuple(shape))


class Scatter(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, src, dim, index):
        ctx.dim, ctx.index = dim, index
        ctx.src_shape = src.shape if isinstance(src, np.ndarray) else None
        out = np.array(x, order="C")
        _scatter_into(out, dim, index, _corner(src, index), "assign")
        return out

    @staticmethod
    def backward(ctx, g):
        gx = gs = None
        if ctx.needs_input_grad[0]:
            gx = Scatter.apply(g, 0.0, ctx.dim, ctx.index)
        if ctx.src_shape is not None and ctx.needs_input_grad[1]:
            gs = _pad_to(Gather.apply(g, ctx.dim, ctx.index, None), ctx.src_shape)
        return gx, gs, None, None


class ScatterAdd(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, src, dim, index):
        ctx.dim, ctx.index, ctx.src_shape = dim, index, src.shape
        out = np.array(x, order="C")
        _scatter_into(out, dim, index, _corner(src, index).astype(x.dtype, copy=False), "add")
        return out

    @staticmethod
    def backward(ctx, g):
        gs = None
        if ctx.needs_input_grad[1]:
            gs = _pad_to(Gather.apply(g, ctx.dim, ctx.index, None), ctx.src_shape)
        return g, gs, None, None


class ScatterMultiply(Function):
    raw = True
    node_name = "NotImplemented"

    @staticmethod
    def forward(ctx, x, src, dim, index):
        out = np.array(x, order="C")
        _scatter_into(out, dim, index, _corner(src, index), "multiply")
        return out

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("the derivative for 'scatter' with reduce='multiply' is not "
                           "implemented")


def _corner(src, index: np.ndarray):
    if isinstance(src, np.ndarray) and src.shape != index.shape:
        return src[tuple(slice(0, s) for s in index.shape)]
    return src


def _check_index(input: Tensor, dim: int, index, fn: str, dtypes: str) -> tuple:
    check_tensor(input, fn)
    if not isinstance(index, Tensor):
        raise TypeError(f"{fn}(): argument 'index' (position 3) must be Tensor, not "
                        f"{type(index).__name__}")
    x, idx = input._data, index._data
    if idx.dtype not in ((np.int64, np.int32) if dtypes == "int32/int64" else (np.int64,)):
        raise RuntimeError(f"{fn}(): Expected dtype {dtypes} for index")
    dim = wrap_dim(dim, x.ndim)
    if max(idx.ndim, 1) != max(x.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as "
                           f"{'input' if fn == 'gather' else 'self'} tensor")
    return dim, idx


def _check_range(input: Tensor, dim: int, idx: np.ndarray) -> None:
    n = input._data.shape[dim] if input._data.ndim else 1
    if idx.size and (idx.max() >= n or idx.min() < 0):
        bad = int(idx.max()) if idx.max() >= n else int(idx.min())
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {n}")


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False,
           out=None) -> Tensor:
    """Values of ``input`` along ``dim`` at ``index``: ``out[i][j] = input[index[i][j]][j]``
    for ``dim=0``; the result has ``index``'s shape.

    Example:
        >>> import chainrule as torch
        >>> torch.gather(torch.tensor([[1, 2], [3, 4]]), 1, torch.tensor([[0, 0], [1, 0]]))
        tensor([[1, 1],
                [4, 3]])
    """
    dim, idx = _check_index(input, dim, index, "gather", "int32/int64")
    x = input._data
    for d in range(x.ndim):
        if d != dim and idx.shape[d] > x.shape[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index "
                               f"{list(idx.shape)} to be no larger than self {list(x.shape)} "
                               f"apart from dimension {dim}")
    _check_range(input, dim, idx)
    if x.ndim == 0 or idx.ndim == 0:
        result = Gather.apply(input, dim, idx.reshape(1), (1,) if x.ndim == 0 else None)
        return write_out(result[0] if idx.ndim == 0 else result, out)
    return write_out(Gather.apply(input, dim, idx, None), out)


def _scatter_checks(input, dim, index, src, fn):
    dim, idx = _check_index(input, dim, index, fn, "int64")
    x = input._data
    if isinstance(src, Tensor):
        if src._data.dtype != x.dtype:
            raise RuntimeError(f"{fn}(): Expected self.dtype to be equal to src.dtype")
        s = src._data.reshape(-1) if src._data.ndim == 0 and x.ndim <= 1 else src._data
        if s.ndim != idx.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as src "
                               "tensor")
        bad = any(idx.shape[d] > s.shape[d] or (d != dim and idx.shape[d] > x.shape[d])
                  for d in range(idx.ndim))
        if bad:
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self "
                               f"{list(x.shape)} apart from dimension {dim} and to be no larger "
                               f"size than src {list(s.shape)}")
    else:
        for d in range(x.ndim):
            if d != dim and idx.shape[d] > x.shape[d]:
                raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self "
                                   f"{list(x.shape)} apart from dimension {dim}")
    _check_range(input, dim, idx)
    return dim, idx


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None,
            reduce: str | None = None, out=None) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor, or the number ``value``) written at
    ``index`` along ``dim``: ``out[index[i][j]][j] = src[i][j]`` for ``dim=0``.

    Args:
        input: the tensor to write into (copied).
        dim: the dimension ``index`` addresses.
        index: int64 positions, same number of dimensions as ``input``.
        src: the values (a tensor at least as large as ``index``, or a number).
        value: a number, when given by keyword instead of ``src``.
        reduce: ``'add'`` or ``'multiply'`` to combine with the existing values.

    Example:
        >>> import chainrule as torch
        >>> torch.zeros(2, 3).scatter(1, torch.tensor([[2], [0]]), 1.0)
        tensor([[0., 0., 1.],
                [1., 0., 0.]])
    """
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter() missing required argument 'src' or 'value'")
    if not isinstance(src, Tensor) and not isinstance(src, numbers.Number):
        raise TypeError(f"scatter(): argument 'src' must be Tensor or Number, not "
                        f"{type(src).__name__}")
    dim, idx = _scatter_checks(input, dim, index, src, "scatter")
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    shape0 = input._data.ndim == 0
    if shape0:
        input, idx = input[None], idx.reshape(1)
        src = src[None] if isinstance(src, Tensor) and src._data.ndim == 0 else src
    if reduce == "add":
        if not isinstance(src, Tensor):
            src = Tensor._make(np.full(idx.shape, src, input._data.dtype))
        result = ScatterAdd.apply(input, src, dim, idx)
    elif reduce == "multiply":
        result = ScatterMultiply.apply(input, src, dim, idx)
    else:
        result = Scatter.apply(input, src, dim, idx)
    return write_out(result[0] if shape0 else result, out)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor, *, out=None) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeats add up).

    Example:
        >>> import chainrule as torch
        >>> torch.zeros(3).scatter_add(0, torch.tensor([0, 0, 2]), torch.ones(3))
        tensor([2., 0., 1.])
    """
    check_tensor(src, "scatter_add", "src")
    dim, idx = _scatter_checks(input, dim, index, src, "scatter_add")
    if input._data.ndim == 0:
        src = src[None] if src._data.ndim == 0 else src
        return write_out(ScatterAdd.apply(input[None], src, dim, idx.reshape(1))[0], out)
    return write_out(ScatterAdd.apply(input, src, dim, idx), out)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None, *,
                   out=None) -> Tensor:
    """Values of ``input`` at ``indices`` along ``dim`` (other dimensions broadcast); with no
    ``dim``, both are flattened first.

    Example:
        >>> import chainrule as torch
        >>> x = torch.tensor([[10., 30., 20.], [60., 40., 50.]])
        >>> torch.take_along_dim(x, x.argmax(dim=1, keepdim=True), dim=1)
        tensor([[30.],
                [60.]])
    """
    from .indexing import take

    check_tensor(input, "take_along_dim")
    check_tensor(indices, "take_along_dim", "indices")
    idx = indices._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_dtypes.from_numpy_dtype(idx.dtype).name.capitalize()}")
    if dim is None:
        return write_out(take(input, Tensor._make(idx.reshape(-1))), out)
    x = input._data
    if x.ndim != idx.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {x.ndim} dimensions for input, and "
                           f"{idx.ndim} dimensions for indices")
    dim = wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        return write_out(take(input, Tensor._make(idx.reshape(-1)))[0], out)
    n = x.shape[dim]
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = int(idx.max()) if idx.max() >= n else int(idx.min())
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {n}")
    if idx.size and idx.min() < 0:
        idx = np.where(idx < 0, idx + n, idx)
    others = np.broadcast_shapes(x.shape[:dim] + (1,) + x.shape[dim + 1:],
                                 idx.shape[:dim] + (1,) + idx.shape[dim + 1:])
    xshape = others[:dim] + (n,) + others[dim + 1:]
    idx = np.broadcast_to(idx, others[:dim] + (idx.shape[dim],) + others[dim + 1:])
    return write_out(Gather.apply(input, dim, idx, xshape if xshape != x.shape else None), out)


# ---- where / nonzero -------------------------------------------------------------------------
class Where(Function):
    raw = True

    @staticmethod
    def forward(ctx, cond, x, y, dt):
        ctx.save_for_backward(cond)
        out = np.where(cond, x, y)
        return out if out.dtype == dt else out.astype(dt)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        gx = where(cond, g, 0.0) if ctx.needs_input_grad[1] else None
        gy = where(cond, 0.0, g) if ctx.needs_input_grad[2] else None
        return None, gx, gy, None


class MaskedFill(Where):
    raw = True
    node_name = "MaskedFillBackward0"


def where(condition: Tensor, input=None, other=None, *, out=None, _name=None, _dtype=None):
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (all broadcast);
    with only ``condition``, the same as ``nonzero(condition, as_tuple=True)``.

    Args:
        condition: a bool tensor.
        input, other: tensors or numbers; the result has their promoted dtype.

    Example:
        >>> import chainrule as torch
        >>> x = torch.tensor([-1.0, 2.0, -3.0])
        >>> torch.where(x > 0, x, 0.0)
        tensor([0., 2., 0.])
    """
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where(): expected both 'input' and 'other' (or neither)")
    check_tensor(condition, "where", "condition")
    if condition._data.dtype != np.bool_:
        if condition._data.dtype != np.uint8:
            name = _dtypes.from_numpy_dtype(condition._data.dtype).name.capitalize()
            raise RuntimeError("where expected condition to be a boolean tensor, but got a "
                               f"tensor with dtype {name}")
        condition = Tensor._make(condition._data.astype(np.bool_))
    x, y = as_operand(input), as_operand(other)
    dt = _dtype if _dtype is not None else _dtypes.result_type(x, y).np
    shapes = [condition._data.shape] + [t._data.shape for t in (x, y) if isinstance(t, Tensor)]
    shape = shapes[0]
    for s in shapes[1:]:
        shape = _broadcast_or_raise(shape, s)
    fn = MaskedFill if _name == "MaskedFillBackward0" else Where
    xs = x if isinstance(x, Tensor) else np.asarray(x).astype(dt)
    ys = y if isinstance(y, Tensor) else np.asarray(y).astype(dt)
    return write_out(fn.apply(condition, xs, ys, dt), out)


def nonzero(input: Tensor, *, out=None, as_tuple: bool = False):
    """Indices of the nonzero elements: an ``(n, ndim)`` int64 tensor, or with ``as_tuple`` a
    tuple of 1-D index tensors, one per dimension.

    Example:
        >>> import chainrule as torch
        >>> torch.nonzero(torch.tensor([[0, 1], [2, 0]]))
        tensor([[0, 1],
                [1, 0]])
    """
    check_tensor(input, "nonzero")
    x = input._data
    if as_tuple:
        return tuple(Tensor._make(a.astype(np.int64, copy=False))
                     for a in np.nonzero(np.atleast_1d(x)))
    return write_out(Tensor._make(np.argwhere(x).astype(np.int64, copy=False)), out)


def argwhere(input: Tensor) -> Tensor:
    """Indices of the nonzero elements as an ``(n, ndim)`` tensor (``nonzero``)."""
    return nonzero(input)


# ---- masks -----------------------------------------------------------------------------------
def _check_bool_mask(mask, fn: str) -> np.ndarray:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{fn}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"{fn} only supports boolean masks, but got mask with dtype "
                           f"{_indexing().c_type_name(mask._data.dtype)}")
    return mask._data


def _broadcast_or_raise(a_shape, b_shape):
    try:
        return np.broadcast_shapes(a_shape, b_shape)
    except ValueError:
        n = max(len(a_shape), len(b_shape))
        a = (1,) * (n - len(a_shape)) + tuple(a_shape)
        b = (1,) * (n - len(b_shape)) + tuple(b_shape)
        d = next(i for i in range(n - 1, -1, -1) if a[i] != b[i] and 1 not in (a[i], b[i]))
        raise RuntimeError(f"The size of tensor a ({a[d]}) must match the size of tensor b "
                           f"({b[d]}) at non-singleton dimension {d}") from None


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """``input`` with ``value`` where ``mask`` (a bool tensor broadcastable to it) is True.

    Example:
        >>> import chainrule as torch
        >>> x = torch.tensor([1., 2., 3.])
        >>> x.masked_fill(x > 1.5, 0.0)
        tensor([1., 0., 0.])
    """
    check_tensor(input, "masked_fill")
    m = _check_bool_mask(mask, "masked_fill_")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        if value._data.dtype != input._data.dtype:
            value = value.to(input.dtype)
    elif not isinstance(value, numbers.Number):
        raise TypeError(f"masked_fill(): argument 'value' must be Number or Tensor, not "
                        f"{type(value).__name__}")
    _broadcast_or_raise(input._data.shape, m.shape)
    if not isinstance(value, Tensor):
        value = np.asarray(value).astype(input._data.dtype).item()
    return where(mask, value, input, _name="MaskedFillBackward0", _dtype=input._data.dtype)


def masked_fill_(self: Tensor, mask: Tensor, value) -> Tensor:
    """In-place ``masked_fill``; returns self."""
    _check_bool_mask(mask, "masked_fill_")
    return inplace(self, masked_fill, mask, value)


class MaskedSelect(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, mask):
        xb, mb = np.broadcast_arrays(x, mask)
        ctx.key, ctx.shape = _indexing().Key((Ellipsis,), (mb,), "IndexBackward0"), xb.shape
        return xb[mb]

    @staticmethod
    def backward(ctx, g):
        return _indexing().IndexPutZeros.apply(g, ctx.key, ctx.shape), None


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of ``input`` where ``mask`` is True, as a 1-D tensor (both broadcast).

    Example:
        >>> import chainrule as torch
        >>> x = torch.tensor([[1, 2], [3, 4]])
        >>> torch.masked_select(x, x > 1)
        tensor([2, 3, 4])
    """
    check_tensor(input, "masked_select")
    m = _check_bool_mask(mask, "masked_select:")
    _broadcast_or_raise(input._data.shape, m.shape)
    return MaskedSelect.apply(input, m)


def _scatter_(self, dim, index, src=None, *, value=None, reduce=None):
    """In-place ``scatter``; returns self."""
    return inplace(self, scatter, dim, index, src, value=value, reduce=reduce)


def _scatter_add_(self, dim, index, src):
    """In-place ``scatter_add``; returns self."""
    return inplace(self, scatter_add, dim, index, src)


def _where(self, condition, other):
    """``where(condition, self, other)``."""
    return where(condition, self, other)


bind(gather=gather, scatter=scatter, scatter_add=scatter_add, take_along_dim=take_along_dim,
     where=_where, nonzero=nonzero, argwhere=argwhere, scatter_=_scatter_,
     scatter_add_=_scatter_add_, masked_fill=masked_fill, masked_fill_=masked_fill_,
     masked_select=masked_select)
