"""Copies and casts: ``to``, ``float()``/``double()``/…, ``clone``, ``contiguous``, ``copy_``."""

from __future__ import annotations

import numpy as np

from .. import _dtypes
from .._device import check_device
from .._tensor import Tensor
from ..autograd.function import FORWARD_AD, Function
from ._util import bind, check_tensor



__all__ = [
    "clone",
]

class ToCopy(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, npd):
        return x.astype(npd)

    @staticmethod
    def backward(ctx, g):
        return g, None  # the engine casts the gradient back to the input's dtype


class Clone(Function):
    raw = True

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def _cast(self: Tensor, d: _dtypes.dtype, copy: bool = False) -> Tensor:
    if self._data.dtype == d.np and not copy:
        return self
    if (self._requires_grad or FORWARD_AD[0] is not None) and d.is_floating_point:
        return ToCopy.apply(self, d.np)
    return Tensor._make(self._data.astype(d.np))


def to(self: Tensor, *args, **kwargs) -> Tensor:
    """Cast to a dtype (and/or move to a device: only the CPU exists here).

    Accepts ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)`` and the
    keywords ``dtype``, ``device``, ``copy``, ``non_blocking``.
    """
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, _dtypes.dtype) or a in (float, int, bool):
            dtype = a
        elif isinstance(a, (str,)) or type(a).__name__ == "device":
            device = a
        elif isinstance(a, bool):
            copy = a
        else:
            raise TypeError(f"to() received an invalid argument {a!r}")
    check_device(device, "to")
    if dtype is None:
        return clone(self) if copy else self
    return _cast(self, _dtypes.to_dtype(dtype), copy)


def type_as(self: Tensor, other: Tensor) -> Tensor:
    """Cast to ``other``'s dtype."""
    return _cast(self, check_tensor(other, "type_as", "other").dtype)


def clone(input: Tensor, *, memory_format=None) -> Tensor:
    """A copy of the tensor that stays in the graph (gradient flows back unchanged)."""
    return Clone.apply(check_tensor(input, "clone"))


def contiguous(self: Tensor, memory_format=None) -> Tensor:
    """This tensor if already row-major contiguous, else a contiguous copy."""
    if self._data.flags.c_contiguous:
        return self
    return Clone.apply(self)


class CopyFrom(Function):
    raw = True
    node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, old, src):
        return np.array(np.broadcast_to(src, old.shape), dtype=old.dtype)

    @staticmethod
    def backward(ctx, g):
        return None, g  # the old values are overwritten: no gradient flows to them


def copy_(self: Tensor, src, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast, cast) into this tensor in place; differentiable w.r.t. ``src``."""
    from ._inplace import inplace

    if not isinstance(src, Tensor):
        src = Tensor._make(np.asarray(src))
    try:
        np.broadcast_shapes(src._data.shape, self._data.shape)
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({list(self.shape)}) must match the size of "
                           f"tensor b ({list(src.shape)}) for copy_") from None
    return inplace(self, CopyFrom.apply, src)


def _caster(d: _dtypes.dtype):
    def method(self, memory_format=None):
        return _cast(self, d)

    method.__doc__ = f"Cast to ``{d.name}``."
    return method


bind(to=to, type_as=type_as, clone=clone, contiguous=contiguous, copy_=copy_,
     float=_caster(_dtypes.float32), double=_caster(_dtypes.float64),
     half=_caster(_dtypes.float16), bfloat16=_caster(_dtypes.bfloat16),
     long=_caster(_dtypes.int64), int=_caster(_dtypes.int32), short=_caster(_dtypes.int16),
     char=_caster(_dtypes.int8), byte=_caster(_dtypes.uint8), bool=_caster(_dtypes.bool))
