"""``softmax`` and ``log_softmax`` along a dimension, each one numerically stable primitive.

The maximum is subtracted before exponentiating, so large inputs never overflow. The backward
is ``y * (g - sum(g * y))`` for softmax and ``g - exp(y) * sum(g)`` for log-softmax, run on raw
arrays unless a second derivative is being recorded.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_ENABLED
from ._util import bind, check_tensor, wrap_dim

__all__ = ["softmax", "log_softmax"]

_TYPE = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
         "bool": "Bool"}


def softmax_array(x: np.ndarray, axis: int) -> np.ndarray:
    """Stable softmax of an array along ``axis`` (a new array, same dtype)."""
    e = np.subtract(x, np.max(x, axis=axis, keepdims=True))
    np.exp(e, out=e)
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def log_softmax_array(x: np.ndarray, axis: int) -> np.ndarray:
    """Stable log-softmax of an array along ``axis`` (a new array, same dtype)."""
    z = np.subtract(x, np.max(x, axis=axis, keepdims=True))
    z -= np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
    return z


class Softmax(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, dim):
        y = softmax_array(x, dim) if x.ndim else np.ones_like(x)
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        d = ctx.dim
        if not GRAD_ENABLED[0]:
            yd, gd = y._data, g._data
            if not yd.ndim:
                return Tensor._make(np.zeros_like(yd)), None
            gy = np.multiply(gd, yd)
            gy -= yd * np.sum(gy, axis=d, keepdims=True)
            return Tensor._make(gy), None
        gy = g * y
        return gy - y * (gy.sum(d, keepdim=True) if y.ndim else gy), None


class LogSoftmax(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, dim):
        y = log_softmax_array(x, dim) if x.ndim else np.zeros_like(x)
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        d = ctx.dim
        if not GRAD_ENABLED[0]:
            yd, gd = y._data, g._data
            total = np.sum(gd, axis=d, keepdims=True) if yd.ndim else gd
            return Tensor._make(np.asarray(gd - np.exp(yd) * total)), None
        return g - y.exp() * (g.sum(d, keepdim=True) if y.ndim else g), None


def _implicit_dim(ndim: int, name: str, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  "include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _prepare(input, dim, dtype, name: str, stacklevel: int):
    check_tensor(input, name)
    if dim is None:
        dim = _implicit_dim(input._data.ndim, name, stacklevel + 1)
    elif isinstance(dim, bool) or not isinstance(dim, (numbers.Integral, np.integer)):
        raise TypeError(f"{name}(): argument 'dim' (position 2) must be int, not "
                        f"{type(dim).__name__}")
    if dtype is not None:
        input = input.to(dtype)
    x = input._data
    d = wrap_dim(int(dim), x.ndim)
    if x.dtype.kind != "f":
        kernel = "softmax" if name == "softmax" else "log_softmax"
        raise NotImplementedError(f"\"{kernel}_lastdim_kernel_impl\" not implemented for "
                                  f"'{_TYPE.get(x.dtype.name, x.dtype.name)}'")
    return input, d


def softmax(input: Tensor, dim: int | None = None, dtype=None, *,
            _stacklevel: int = 2) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``: non-negative values summing to 1.

    Args:
        input: a floating tensor (or any tensor with a floating ``dtype`` given).
        dim: the dimension to normalise; omitting it is deprecated (PyTorch's legacy choice,
            dim 0 for 0-, 1- and 3-D inputs and 1 otherwise, is used with a warning).
        dtype: cast the input to this dtype first.

    Example:
        >>> import chainrule as torch
        >>> torch.softmax(torch.tensor([0.0, 0.0, 1000.0]), dim=0)
        tensor([0., 0., 1.])
    """
    x, d = _prepare(input, dim, dtype, "softmax", _stacklevel + 1)
    return Softmax.apply(x, d)


def log_softmax(input: Tensor, dim: int | None = None, dtype=None, *,
                _stacklevel: int = 2) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed as ``x - max - log(sum(exp(x - max)))``.

    Args:
        input: a floating tensor (or any tensor with a floating ``dtype`` given).
        dim: the dimension to normalise (see ``softmax`` for the deprecated default).
        dtype: cast the input to this dtype first.

    Example:
        >>> import chainrule as torch
        >>> torch.log_softmax(torch.tensor([0.0, 1000.0]), dim=0)
        tensor([-1000.,     0.])
    """
    x, d = _prepare(input, dim, dtype, "log_softmax", _stacklevel + 1)
    return LogSoftmax.apply(x, d)


def _method(fn):
    def method(self, dim=None, dtype=None):
        return fn(self, dim, dtype, _stacklevel=3)

    method.__name__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


bind(softmax=_method(softmax), log_softmax=_method(log_softmax))
