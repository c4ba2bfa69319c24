"""In-place operations: ``x.add_(y)``, ``x += y``, ``x[i] = v`` and friends.

When the op must be recorded, the out-of-place op runs on a copy of ``self`` that stands for its
old value in the graph, the result is written into ``self``'s memory (so views see it), and
``self`` takes over the new graph node. Otherwise the result is written straight into memory.
Either way the version counter is bumped, so a saved tensor changed afterwards is caught.
"""

from __future__ import annotations

import numpy as np

from .._dtypes import from_numpy_dtype
from .._tensor import Tensor, _grad_recorded
from ..autograd.grad_mode import GRAD_ENABLED


def check_inplace_allowed(self: Tensor) -> None:
    """Raise PyTorch's errors for in-place ops that would corrupt autograd."""
    if self._grad_fn is None and self._requires_grad:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    base = self._base
    if base is not None and base._requires_grad:
        if base._grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                               "in-place operation.")
        raise RuntimeError("chainrule does not support in-place operations on a view of a tensor "
                           "that requires grad; apply the op to the whole tensor or clone() "
                           "the view first")


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
        old = Tensor._make(self._data.copy(), self._requires_grad, self._grad_fn,
                           self._output_nr)
        result = op(old, *args, **kwargs)
        _write(self, result._data)
        self._version.value += 1
        self._grad_fn = result._grad_fn
        self._output_nr = result._output_nr
        self._requires_grad = result._requires_grad
        return self
    prev = GRAD_ENABLED[0]
    GRAD_ENABLED[0] = False
    try:
        result = op(self, *args, **kwargs)
    finally:
        GRAD_ENABLED[0] = prev
    _write(self, result._data)
    self._version.value += 1
    return self


def inplace_ufunc(self: Tensor, ufunc, other, op) -> Tensor:
    """Fast path for ``self op= other`` with a NumPy ufunc when nothing is recorded."""
    if _grad_recorded(self, other) or not isinstance(self, Tensor):
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
