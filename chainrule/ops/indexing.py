"""Indexing: ``x[key]`` and ``x[key] = value``, ``index_select``, ``index_add``, ``index_put``,
``take``.

A key is parsed once into two NumPy keys, following PyTorch's semantics (which differ from
NumPy's when integers and index arrays are mixed): a *basic* key of ints, slices and ``None``
that gives a view, then an *advanced* key of index arrays and masks applied to that view. The
gradient of an indexing op scatters into zeros through the same two keys; repeated indices
accumulate. Gathers, scatters, masks and ``where`` live in ``scatter.py``, sorting in
``sorting.py``; both are re-exported from here.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._tensor import Tensor, _grad_recorded, tensor_from_array
from ..autograd.function import FORWARD_AD, Function
from ._inplace import inplace
from ._util import bind, check_tensor, wrap_dim

__all__ = ["index_add", "index_put", "index_select", "take"]

_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}
_FULL = slice(None)
_BAD_KEY = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
            "valid indices (got {})")


def c_type_name(npd) -> str:
    """PyTorch's C++ name of a dtype as its error messages print it (``'long int'``)."""
    return _C_NAMES.get(np.dtype(npd).name, np.dtype(npd).name)


# ---- key parsing ---------------------------------------------------------------------------
class Key:
    """A parsed index: a basic key (a view) then an optional advanced key on that view."""

    __slots__ = ("_unique", "adv", "basic", "name")

    def __init__(self, basic: tuple, adv, name: str) -> None:
        self.basic, self.adv, self.name = basic, adv, name
        self._unique = None

    def unique(self, view_shape) -> bool:
        """Whether no element of the view is addressed twice (so scatters may assign)."""
        if self._unique is None:
            arrays = [(i, a) for i, a in enumerate(self.adv) if isinstance(a, np.ndarray)]
            if all(a.dtype == np.bool_ for _, a in arrays):
                self._unique = len(arrays) <= 1
            elif len(arrays) == 1:
                i, a = arrays[0]
                counts = np.bincount(_normalized(a, view_shape[i]).ravel(),
                                     minlength=view_shape[i])
                self._unique = bool(counts.size == 0 or counts.max() <= 1)
            else:
                self._unique = False
        return self._unique


def _normalized(idx: np.ndarray, n: int) -> np.ndarray:
    """Index values wrapped into ``[0, n)`` (bounds were checked when parsing)."""
    return np.where(idx < 0, idx + n, idx) if idx.size and idx.min() < 0 else idx


def _as_index_array(k) -> np.ndarray:
    arr = k._data if isinstance(k, Tensor) else k
    if not isinstance(arr, np.ndarray):
        arr = np.asarray(_unwrap(k))
        if arr.size == 0 and arr.dtype.kind == "f":
            arr = arr.astype(np.int64)
    if arr.dtype == np.uint8:
        return arr.astype(np.bool_)
    if arr.dtype.kind not in "iub":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return arr


def _unwrap(k):
    if isinstance(k, Tensor):
        return k._data
    if isinstance(k, (list, tuple, range)):
        return [_unwrap(e) for e in k]
    return k


def _is_sequence_key(key: list) -> bool:
    """PyTorch's legacy rule: a short list holding slices, sequences or tensors is a tuple."""
    return len(key) < 32 and any(
        e is None or e is Ellipsis or isinstance(e, (slice, list, tuple, Tensor, np.ndarray))
        for e in key)


def parse_key(key, shape) -> Key:
    """Parse ``key`` for a tensor of ``shape`` into a ``Key``, raising PyTorch's errors."""
    if type(key) is not tuple:
        key = tuple(key) if isinstance(key, list) and _is_sequence_key(key) else (key,)
    items = []
    consumed = 0
    seen_ellipsis = False
    for k in key:
        if k is None or isinstance(k, slice):
            if isinstance(k, slice) and k.step is not None:
                if k.step == 0:
                    raise ValueError("slice step cannot be zero")
                if k.step < 0:
                    raise ValueError("step must be greater than zero")
            consumed += k is not None
        elif k is Ellipsis:
            if seen_ellipsis:
                continue  # PyTorch accepts repeated ellipses
            seen_ellipsis = True
        elif isinstance(k, (bool, np.bool_)):
            k = np.bool_(k)
        elif isinstance(k, (numbers.Integral, np.integer)):
            k = int(k)
            consumed += 1
        elif isinstance(k, (Tensor, np.ndarray, list, tuple, range)):
            k = _as_index_array(k)
            if k.ndim == 0:
                k = np.bool_(k) if k.dtype == np.bool_ else int(k)
            consumed += k.ndim if isinstance(k, np.ndarray) and k.dtype == np.bool_ else (
                not isinstance(k, np.bool_))
        else:
            raise IndexError(_BAD_KEY.format(type(k).__name__))
        items.append(k)
    ndim = len(shape)
    if consumed > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    basic, adv = [], []
    dim = 0
    has_adv = False
    for k in items:
        if k is None:
            basic.append(None)
            adv.append(_FULL)
        elif k is Ellipsis:
            n = ndim - consumed
            basic.extend([_FULL] * n)
            adv.extend([_FULL] * n)
            dim += n
        elif isinstance(k, slice):
            basic.append(k)
            adv.append(_FULL)
            dim += 1
        elif isinstance(k, int):
            if not -shape[dim] <= k < shape[dim]:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size "
                                 f"{shape[dim]}")
            basic.append(k)
            dim += 1
        elif isinstance(k, np.bool_):
            basic.append(None)
            adv.append(np.zeros(1 if k else 0, dtype=np.intp))
            has_adv = True
        elif k.dtype == np.bool_:
            _check_mask(k, shape, dim)
            basic.extend([_FULL] * k.ndim)
            adv.append(k)
            dim += k.ndim
            has_adv = True
        else:
            _check_bounds(k, shape[dim], dim)
            basic.append(_FULL)
            adv.append(k)
            dim += 1
            has_adv = True
    basic.append(Ellipsis)  # keeps all-int keys a (0-d) view rather than a NumPy scalar
    return Key(tuple(basic), tuple(adv) if has_adv else None,
               "IndexBackward0" if has_adv else _basic_name(items))


def _basic_name(items) -> str:
    for k in reversed(items):
        if k is None:
            return "UnsqueezeBackward0"
        if isinstance(k, int):
            return "SelectBackward0"
        if isinstance(k, slice) and k != _FULL:
            return "SliceBackward0"
    return "SliceBackward0" if len(items) == 1 and isinstance(items[0], slice) else \
        "AliasBackward0"


def _check_mask(mask: np.ndarray, shape, dim: int) -> None:
    for j, m in enumerate(mask.shape):
        if dim + j >= len(shape) or m != shape[dim + j]:
            raise IndexError(f"The shape of the mask {list(mask.shape)} at index {j} does not "
                             f"match the shape of the indexed tensor {list(shape)} at index "
                             f"{dim + j}")


def _check_bounds(idx: np.ndarray, n: int, dim: int) -> None:
    if idx.size:
        hi, lo = idx.max(), idx.min()
        if hi >= n or lo < -n:
            bad = int(hi) if hi >= n else int(lo)
            raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {n}")


def result_shape(shape, k: Key) -> tuple:
    """The shape of ``x[k]`` for ``x`` of ``shape`` (indexes a zero-strided dummy)."""
    view = np.broadcast_to(np.empty((), np.bool_), shape)[k.basic]
    return view.shape if k.adv is None else view[k.adv].shape


# ---- scatter of values into an array through a key ------------------------------------------
def put(out: np.ndarray, k: Key, values, accumulate: bool, fresh: bool = False) -> None:
    """``out[k] = values`` or, with ``accumulate``, ``out[k] += values`` with repeats adding up.

    ``fresh`` says ``out`` is all zeros, so accumulating into distinct places may assign.
    """
    view = out[k.basic]
    if k.adv is None:
        if accumulate and not fresh:
            view += values
        else:
            view[...] = values
        return
    if not accumulate:
        view[k.adv] = values
        return
    if k.unique(view.shape):
        if fresh:
            view[k.adv] = values
        else:
            view[k.adv] += values
        return
    arrays = [i for i, a in enumerate(k.adv) if isinstance(a, np.ndarray)]
    if len(arrays) == 1:
        _add_rows(view, arrays[0], k.adv[arrays[0]], values)
    else:
        adv = tuple(e for a in k.adv for e in (a.nonzero() if isinstance(a, np.ndarray)
                                                and a.dtype == np.bool_ else (a,)))
        np.add.at(view, adv, values)


def _add_rows(view: np.ndarray, p: int, idx: np.ndarray, values) -> None:
    """``view[:, ..., idx, ...] += values`` along axis ``p`` with repeated indices summed."""
    n = view.shape[p]
    rest = view.shape[:p] + view.shape[p + 1:]
    full = view.shape[:p] + idx.shape + view.shape[p + 1:]
    values = np.broadcast_to(values, full)
    if idx.size == 0:
        return
    flat = _normalized(idx, n).ravel()
    vals = np.moveaxis(values, tuple(range(p, p + idx.ndim)), tuple(range(idx.ndim)))
    vals = vals.reshape((flat.size, -1))
    order = np.argsort(flat, kind="stable")
    s = flat[order]
    starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
    if vals.shape[1] == 1 and vals.dtype.kind == "f":
        sums = np.bincount(flat, weights=vals[:, 0], minlength=n)[s[starts]].astype(
            vals.dtype)[:, None]
    else:
        sums = np.add.reduceat(vals[order], starts, axis=0)
    moved = np.moveaxis(view, p, 0)
    moved[s[starts]] += sums.reshape((-1,) + rest)


# ---- differentiable primitives ---------------------------------------------------------------
class Index(Function):
    """``x[key]``: a view for basic keys, a copy for advanced ones."""

    raw = True
    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, k):
        ctx.key, ctx.shape = k, x.shape
        v = x[k.basic]
        return v if k.adv is None else v[k.adv]

    @staticmethod
    def backward(ctx, g):
        return IndexPutZeros.apply(g, ctx.key, ctx.shape), None


class IndexPutZeros(Function):
    """Scatter ``g`` into zeros of ``shape`` through a key (the gradient of ``Index``)."""

    raw = True
    node_name = "IndexBackwardBackward0"

    @staticmethod
    def forward(ctx, g, k, shape):
        ctx.key = k
        out = np.zeros(shape, g.dtype)
        put(out, k, g, accumulate=True, fresh=True)
        return out

    @staticmethod
    def backward(ctx, gg):
        return index_with_key(gg, ctx.key), None, None


class IndexPut(Function):
    """``x`` with ``x[key]`` replaced by (or, accumulating, increased by) ``value``."""

    raw = True
    node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, x, value, k, accumulate):
        ctx.key, ctx.accumulate = k, accumulate
        out = x.copy()
        put(out, k, value, accumulate)
        return out

    @staticmethod
    def backward(ctx, g):
        k = ctx.key
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = g if ctx.accumulate else _PUT_FNS[k.adv is None].apply(g, 0.0, k, False)
        if ctx.needs_input_grad[1]:
            gv = index_with_key(g, k)
        return gx, gv, None, None


def _named(base, name: str):
    return type(name.removesuffix("Backward0"), (base,),
                {"node_name": name, "raw": True, "__doc__": base.__doc__})


_INDEX_FNS = {n: _named(Index, n) for n in (
    "SelectBackward0", "SliceBackward0", "UnsqueezeBackward0", "AliasBackward0",
    "IndexSelectBackward0", "TakeBackward0", "MaskedSelectBackward0")}
_INDEX_FNS["IndexBackward0"] = Index
_PUT_FNS = {False: IndexPut, True: _named(IndexPut, "CopySlices")}


def index_with_key(x: Tensor, k: Key, name: str | None = None) -> Tensor:
    """``x[k]`` for a parsed key; basic keys give a view sharing the version counter."""
    fn = _INDEX_FNS[name or k.name]
    if _grad_recorded(x) or FORWARD_AD[0] is not None:  # a tangent may need to flow through
        out = fn.apply(x, k)
    else:
        v = x._data[k.basic]
        out = Tensor._make(v if k.adv is None else v[k.adv])
    if k.adv is None:
        out._version = x._version
        out._base = x._base if x._base is not None else x
    return out


# ---- __getitem__ / __setitem__ ---------------------------------------------------------------
def getitem(self: Tensor, key) -> Tensor:
    """``self[key]`` with PyTorch's semantics: basic keys give views, advanced keys copies."""
    shape = self._data.shape
    if type(key) is int and shape and -shape[0] <= key < shape[0]:  # the common x[i]
        return index_with_key(self, Key((key, Ellipsis), None, "SelectBackward0"))
    return index_with_key(self, parse_key(key, shape))


def _value_operand(self: Tensor, k: Key, value):
    """Turn a ``__setitem__`` value into a tensor or scalar fitting the indexing result."""
    if isinstance(value, (bool, numbers.Number)) and not isinstance(value, np.ndarray):
        return value.item() if hasattr(value, "item") else value
    if not isinstance(value, Tensor):
        if isinstance(value, (list, tuple, np.ndarray)):
            value = tensor_from_array(np.asarray(_unwrap(value)))
        else:
            raise TypeError(f"can't assign a {type(value).__name__} to a {self.type()}")
    shape = result_shape(self._data.shape, k)
    vshape = value._data.shape
    extra = len(vshape) - len(shape)
    if extra > 0 and all(s == 1 for s in vshape[:extra]):
        value = index_with_key(value, parse_key((0,) * extra, vshape))
        vshape = vshape[extra:]
    try:
        ok = np.broadcast_shapes(vshape, shape) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot "
                           f"be broadcast to indexing result of shape {list(shape)}")
    return value


def setitem(self: Tensor, key, value) -> None:
    """``self[key] = value``: differentiable w.r.t. both ``self`` and ``value``."""
    k = parse_key(key, self._data.shape)
    value = _value_operand(self, k, value)
    if _grad_recorded(self, value):
        if self._grad_fn is None and self._requires_grad:
            view = k.adv is None and k.name != "AliasBackward0"
            raise RuntimeError(f"a {'view of a ' if view else ''}leaf Variable that requires "
                               "grad is being used in an in-place operation.")
        inplace(self, _put_op, value, k)
        return
    if FORWARD_AD[0] is not None:  # the written values' tangents replace the old ones
        inplace(self, _put_op, value, k)
        return
    arr = self._data
    if not arr.flags.writeable:
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.")
    put(arr, k, value._data if isinstance(value, Tensor) else value, accumulate=False)
    self._version.value += 1


def _put_op(old: Tensor, value, k: Key) -> Tensor:
    return _PUT_FNS[k.adv is None].apply(old, value, k, False)


def index_put(input: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``input[indices] = values`` (``+=`` with ``accumulate``).

    Args:
        input: the tensor.
        indices: a tuple of index tensors, one per leading dimension.
        values: a tensor broadcastable to ``input[indices]``.
        accumulate: add into the indexed places (repeated indices add up) instead of writing.
    """
    check_tensor(input, "index_put")
    k = parse_key(tuple(indices), input._data.shape)
    values = _value_operand(input, k, values)
    return IndexPut.apply(input, values, k, bool(accumulate))


def index_put_(self: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """In-place ``index_put``; returns self."""
    return inplace(self, index_put, indices, values, accumulate)


# ---- index_select / index_add / take ---------------------------------------------------------
def _vector_index(index, fn: str) -> np.ndarray:
    if not isinstance(index, Tensor):
        raise TypeError(f"{fn}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._data.ndim > 1:
        raise IndexError(f"{fn}(): Index is supposed to be a vector")
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{fn}(): Expected dtype int32 or int64 for index")
    return index._data.reshape(-1)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries of ``input`` at positions ``index`` (a 1-D integer tensor) along ``dim``.

    Example:
        >>> import chainrule as torch
        >>> torch.index_select(torch.tensor([[1, 2], [3, 4], [5, 6]]), 0, torch.tensor([2, 0]))
        tensor([[5, 6],
                [1, 2]])
    """
    check_tensor(input, "index_select")
    idx = _vector_index(index, "index_select")
    x = input._data
    dim = wrap_dim(dim, x.ndim)
    n = x.shape[dim] if x.ndim else 1
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise IndexError("index out of range in self")
    if x.ndim == 0:
        return index_with_key(input, parse_key((None, idx), ()), "IndexSelectBackward0")[0]
    return index_with_key(input, parse_key((_FULL,) * dim + (idx,), x.shape),
                          "IndexSelectBackward0")


class IndexAdd(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, source, dim, idx, alpha):
        ctx.dim, ctx.idx, ctx.alpha = dim, idx, alpha
        out = x.copy()
        src = source.astype(x.dtype, copy=False)
        _add_rows(out, dim, idx, src * alpha if alpha != 1 else src)
        return out

    @staticmethod
    def backward(ctx, g):
        gs = None
        if ctx.needs_input_grad[1]:
            gs = index_select(g, ctx.dim, Tensor._make(ctx.idx))
            if ctx.alpha != 1:
                gs = gs * ctx.alpha
        return g, gs, None, None, None


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added at positions ``index`` along ``dim``
    (repeated indices add up).

    Example:
        >>> import chainrule as torch
        >>> torch.index_add(torch.zeros(3), 0, torch.tensor([0, 0, 2]), torch.ones(3))
        tensor([2., 0., 1.])
    """
    check_tensor(input, "index_add")
    check_tensor(source, "index_add", "source")
    idx = _vector_index(index, "index_add")
    dim = wrap_dim(dim, input._data.ndim)
    x = input._data
    if x.ndim == 0:
        return index_add(input[None], 0, index, source[None] if source.ndim == 0
                         else source, alpha=alpha)[0]
    expect = x.shape[:dim] + (idx.size,) + x.shape[dim + 1:]
    if source._data.shape != expect and not (source._data.ndim == 0 and idx.size == 1):
        raise RuntimeError(f"index_add_(): Expected source to have shape {list(expect)} but got "
                           f"{list(source.shape)}")
    n = x.shape[dim]
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise IndexError("index out of range in self")
    if source._data.ndim == 0:
        source = index_with_key(source, parse_key((None,) * x.ndim, ()))
    return IndexAdd.apply(input, source, dim, idx, alpha)


def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements of ``input`` (read as a flat 1-D tensor) at ``index``; the result has
    ``index``'s shape.

    Example:
        >>> import chainrule as torch
        >>> torch.take(torch.tensor([[4, 3], [5, 7]]), torch.tensor([0, 3]))
        tensor([4, 7])
    """
    check_tensor(input, "take")
    check_tensor(index, "take", "index")
    if index._data.dtype.kind not in "iu":
        raise RuntimeError("take(): Expected a long tensor for index, but got "
                           f"{index.dtype}")
    idx, n = index._data, input._data.size
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = int(idx.max()) if idx.max() >= n else int(idx.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    if input._data.ndim == 0:
        return index_with_key(input[None], parse_key((idx,), (1,)), "TakeBackward0")
    key = np.unravel_index(_normalized(idx, n), input._data.shape)
    return index_with_key(input, parse_key(tuple(key), input._data.shape), "TakeBackward0")


def index_add_(self: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """In-place ``index_add``; returns self."""
    return inplace(self, index_add, dim, index, source, alpha=alpha)


bind(__getitem__=getitem, __setitem__=setitem, index_select=index_select, index_add=index_add,
     index_add_=index_add_, index_put=index_put, index_put_=index_put_, take=take)

from . import scatter as _scatter  # noqa: E402 - this family's rest
from . import sorting as _sorting  # noqa: E402
from .scatter import *  # noqa: E402,F403
from .sorting import *  # noqa: E402,F403

__all__ += _scatter.__all__
__all__ += _sorting.__all__
