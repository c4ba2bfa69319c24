"""Shared helpers for op modules: operand conversion, dtype promotion, method binding."""

from __future__ import annotations

import numbers

import numpy as np

from .. import _dtypes
from .._tensor import Tensor, _wrap_dim, tensor_from_array


def as_operand(x):
    """Pass tensors and Python scalars through; turn arrays and sequences into tensors."""
    if isinstance(x, (Tensor, bool, int, float)):
        return x
    if isinstance(x, numbers.Number):
        return x.item() if hasattr(x, "item") else x
    if isinstance(x, np.ndarray):
        return tensor_from_array(x)
    if isinstance(x, (list, tuple)):
        from .._tensor import tensor

        return tensor(x)
    raise TypeError(f"unsupported operand type {type(x).__name__}; expected a Tensor or a number")


def binary_dtype(a, b) -> np.dtype:
    """The NumPy dtype of a binary op's result under PyTorch's promotion rules."""
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        da, db = a._data.dtype, b._data.dtype
        if da == db:
            return da
    elif ta and isinstance(b, float) and a._data.dtype.kind == "f":
        return a._data.dtype
    return _dtypes.result_type(a, b).np


def float_dtype(npd: np.dtype) -> np.dtype:
    """``npd`` if floating, else the default float dtype (for ops like ``exp`` and ``/``)."""
    return npd if npd.kind == "f" else _dtypes.get_default_dtype().np


def cast(x, npd):
    """Cast an array operand to ``npd`` (scalars pass through; NumPy keeps them weak)."""
    if isinstance(x, np.ndarray) and x.dtype != npd:
        return x.astype(npd)
    return x


def to_float_tensor(x: Tensor) -> Tensor:
    """Integer and bool tensors become default-float tensors (they never require grad)."""
    if x._data.dtype.kind == "f":
        return x
    return Tensor._make(x._data.astype(_dtypes.get_default_dtype().np))


def check_tensor(x, fn: str, arg: str = "input") -> Tensor:
    """Raise PyTorch's TypeError when ``x`` is not a tensor."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")
    return x


def wrap_dim(dim: int, ndim: int) -> int:
    """Normalise a possibly negative dimension index, raising PyTorch's IndexError."""
    return _wrap_dim(dim, ndim)


def wrap_dims(dim, ndim: int) -> tuple:
    """Normalise ``dim`` (int, sequence or None for all) into a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        return (_wrap_dim(int(dim), ndim),)
    axes = tuple(sorted(_wrap_dim(int(d), ndim) for d in dim))
    for a, b in zip(axes, axes[1:]):
        if a == b:
            raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
    return axes if axes or ndim == 0 else tuple(range(ndim))


def bind(**methods) -> None:
    """Attach functions to ``Tensor`` as methods (the first argument becomes ``self``)."""
    for name, fn in methods.items():
        setattr(Tensor, name, fn)


def write_out(result: Tensor, out) -> Tensor:
    """Support the ``out=`` argument: copy ``result`` into ``out`` and return it."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"out= must be a Tensor, received {type(out).__name__}")
    if out._data.shape != result._data.shape:
        out._data = np.empty_like(result._data, dtype=out._data.dtype)
    np.copyto(out._data, result._data, casting="unsafe")
    out._version.value += 1
    return out
