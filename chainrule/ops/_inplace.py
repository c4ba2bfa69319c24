"""In-place operations: ``x.add_(y)``, ``x += y``, ``x[i] = v`` and friends.

When the op must be recorded, the out-of-place op runs on a copy of ``self`` that stands for its
old value in the graph, the result is written into ``self``'s memory (so views see it), and
``self`` takes over the new graph node. Otherwise the result is written straight into memory.
Either way the version counter is bumped, so a saved tensor changed afterwards is caught.

An in-place op on a view (``y[:, 0] += 1``, ``h.view(-1).relu_()``) also rewrites the history
of the view's base, as PyTorch's ``CopySlices`` does: the base becomes "old base with the view's
positions replaced by the op's result", and the view becomes a selection from the new base. The
positions are found from the view's strides, so every kind of view is handled the same way.
"""

from __future__ import annotations

import numpy as np

from .._dtypes import from_numpy_dtype
from .._tensor import Tensor, _grad_recorded
from ..autograd.function import FORWARD_AD, Function
from ..autograd.grad_mode import GRAD_ENABLED


def check_inplace_allowed(self: Tensor) -> None:
    """Raise PyTorch's errors for in-place ops that would corrupt autograd."""
    if self._grad_fn is None and self._requires_grad:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    base = self._base
    if base is not None and base._requires_grad and base._grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")


def _write(self: Tensor, values: np.ndarray) -> None:
    if values.dtype != self._data.dtype and from_numpy_dtype(values.dtype)._category > \
            from_numpy_dtype(self._data.dtype)._category:
        raise RuntimeError(f"result type {_type_word(values.dtype)} can't be cast to the desired "
                           f"output type {_type_word(self._data.dtype)}")
    if not self._data.flags.writeable:
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.")
    if values.shape != self._data.shape:
        try:
            values = np.broadcast_to(values, self._data.shape)
        except ValueError:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the "
                               f"broadcast shape {list(values.shape)}") from None
    np.copyto(self._data, values, casting="unsafe")


def _type_word(npd) -> str:
    from .._tensor import _TYPE_NAMES

    return _TYPE_NAMES[from_numpy_dtype(npd).name]


def inplace(self: Tensor, op, *args, **kwargs) -> Tensor:
    """Apply the out-of-place ``op(self, *args, **kwargs)`` and store the result in ``self``."""
    if not isinstance(self, Tensor):
        raise TypeError(f"in-place operation needs a Tensor, received {type(self).__name__}")
    if _grad_recorded(self, *args):
        check_inplace_allowed(self)
        if self._base is not None:
            return _inplace_on_view(self, op, args, kwargs)
        old = Tensor._make(self._data.copy(), self._requires_grad, self._grad_fn,
                           self._output_nr)
        _copy_tangent(self, old)
        result = op(old, *args, **kwargs)
        _write(self, result._data)
        self._version.value += 1
        self._grad_fn = result._grad_fn
        self._output_nr = result._output_nr
        self._requires_grad = result._requires_grad
        _copy_tangent(result, self)
        return self
    prev = GRAD_ENABLED[0]
    GRAD_ENABLED[0] = False
    try:
        result = op(self, *args, **kwargs)
    finally:
        GRAD_ENABLED[0] = prev
    _write(self, result._data)
    self._version.value += 1
    if FORWARD_AD[0] is not None:
        _copy_tangent(result, self)
        if self._base is not None:
            _update_base_tangent(self, result)
    return self


def inplace_ufunc(self: Tensor, ufunc, other, op) -> Tensor:
    """Fast path for ``self op= other`` with a NumPy ufunc when nothing is recorded."""
    if _grad_recorded(self, other) or not isinstance(self, Tensor) or FORWARD_AD[0] is not None:
        return inplace(self, op, other)
    arr = self._data
    o = other._data if isinstance(other, Tensor) else other
    if isinstance(o, float) and arr.dtype.kind != "f" or (
            isinstance(o, np.ndarray) and o.dtype.kind == "f" and arr.dtype.kind != "f"):
        return inplace(self, op, other)  # raises PyTorch's cast error
    if not arr.flags.writeable:
        return inplace(self, op, other)
    try:
        ufunc(arr, o, out=arr, casting="unsafe")
    except ValueError:
        return inplace(self, op, other)
    self._version.value += 1
    return self


def positions_in_base(view: Tensor, base: Tensor) -> np.ndarray | None:
    """For each element of ``view``, its flat (row-major) index in ``base``; None when the
    memory layouts do not allow working it out (non-contiguous base, different dtype)."""
    b, v = base._data, view._data
    item = b.itemsize
    if v.dtype != b.dtype or not (b.flags.c_contiguous or b.flags.f_contiguous):
        return None
    offset = v.__array_interface__["data"][0] - b.__array_interface__["data"][0]
    if offset % item or any(st % item for st in v.strides):
        return None
    logical = np.arange(b.size, dtype=np.int64).reshape(b.shape)
    memory_order = logical.reshape(-1, order="F" if not b.flags.c_contiguous else "C")
    positions = np.lib.stride_tricks.as_strided(
        memory_order[offset // item:], shape=v.shape,
        strides=tuple(st // item * memory_order.itemsize for st in v.strides))
    return np.array(positions)


class _WriteIntoBase(Function):
    """The base after a view of it was overwritten: old values outside the view, new inside."""

    raw = True
    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, base, values, positions):
        ctx.positions, ctx.shape = positions, base.shape
        return base

    @staticmethod
    def backward(ctx, g):
        from .indexing import take
        from .scatter import masked_fill

        mask = np.zeros(ctx.shape, dtype=bool)
        mask.reshape(-1)[ctx.positions.reshape(-1)] = True
        return masked_fill(g, Tensor._make(mask), 0), take(g, Tensor._make(ctx.positions)), None


class _SelectFromBase(Function):
    """A view re-expressed as the selection of its positions from its (new) base."""

    raw = True
    node_name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, base, view, positions):
        ctx.positions, ctx.size, ctx.shape = positions, base.size, base.shape
        return view

    @staticmethod
    def backward(ctx, g):
        from .creation import zeros
        from .indexing import index_add

        flat = index_add(zeros(ctx.size, dtype=g.dtype), 0,
                         Tensor._make(ctx.positions.reshape(-1)), g.reshape(-1))
        return flat.reshape(ctx.shape), None, None


def _inplace_on_view(self: Tensor, op, args, kwargs) -> Tensor:
    """Record ``op`` applied in place to a view, rewriting the base's history (CopySlices)."""
    base = self._base
    positions = positions_in_base(self, base)
    if positions is None:
        raise RuntimeError("in-place operation on this view is not supported by autograd (its "
                           "base is not contiguous); clone() the view first")
    old = Tensor._make(self._data.copy(), self._requires_grad, self._grad_fn, self._output_nr)
    _copy_tangent(self, old)
    result = op(old, *args, **kwargs)
    _write(self, result._data)
    self._version.value += 1
    new_base = _WriteIntoBase.apply(base._alias_with_history(), result, positions)
    base._grad_fn, base._output_nr, base._requires_grad = new_base._grad_fn, 0, True
    view = _SelectFromBase.apply(base, self._data, positions)
    self._grad_fn, self._output_nr, self._requires_grad = view._grad_fn, 0, True
    if FORWARD_AD[0] is not None:
        _copy_tangent(result, self)
        _update_base_tangent(self, result, positions)
    return self


# ---- forward-mode AD: tangents follow the values written in place -------------------------
_TANGENT_KEY = "_fw_grad"  # where chainrule.autograd.forward_ad keeps (level, tangent)


def _copy_tangent(src: Tensor, dst: Tensor) -> None:
    """Give ``dst`` the tangent ``src`` carries (or none, when ``src`` has none)."""
    if FORWARD_AD[0] is None:
        return
    entry = src.__dict__.get(_TANGENT_KEY)
    if entry is not None:
        dst.__dict__[_TANGENT_KEY] = entry
    else:
        dst.__dict__.pop(_TANGENT_KEY, None)


def _update_base_tangent(view: Tensor, result: Tensor, positions=None) -> None:
    """After writing ``result`` into ``view``, put its tangent into the base's tangent."""
    base = view._base
    entry = result.__dict__.get(_TANGENT_KEY)
    base_entry = base.__dict__.get(_TANGENT_KEY)
    if entry is None and base_entry is None:
        return
    if positions is None:
        positions = positions_in_base(view, base)
        if positions is None:
            raise RuntimeError("in-place operation on this view cannot carry a forward-mode "
                               "tangent (its base is not contiguous); clone() the view first")
    level = (entry or base_entry)[0]
    tangent = (base_entry[1]._data.copy() if base_entry is not None
               else np.zeros(base._data.shape, base._data.dtype))
    tangent.reshape(-1)[positions.reshape(-1)] = (
        entry[1]._data.reshape(-1) if entry is not None else 0)
    base.__dict__[_TANGENT_KEY] = (level, Tensor._make(tangent))
