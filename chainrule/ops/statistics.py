"""Products, scans and statistics: prod, cumsum, cumprod, var, std, var_mean, std_mean, median,
logsumexp, norm. Re-exported by ``reduction`` (which owns the shared reduction helpers).

The gradients of ``prod`` and ``cumprod`` are exact when the input holds zeros: ``prod`` uses
products of the other elements built from running products (no division), and ``cumprod``
follows PyTorch, with an O(n) formula and an O(n^2) differentiable one for double backward.
"""

from __future__ import annotations

import builtins
import math
import warnings

import numpy as np

from .._dtypes import get_default_dtype
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_ENABLED
from . import shape as _shape
from ._util import check_tensor, write_out
from .reduction import (Amax, MaxDim, _axes, _cast_for, _const, _count, _empty_check,
                        _int_to_long, _keep, _keep_shape, _one_axis, _tie_weights, _type_name,
                        _unreduce, mean, return_types, sum)

__all__ = ["prod", "cumsum", "cumprod", "var", "std", "var_mean", "std_mean", "median",
           "logsumexp", "norm"]


# ---- prod, cumsum, cumprod --------------------------------------------------------------------
class Prod(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, axis, keepdim, npd):
        ctx.meta = (x.shape, axis, keepdim)
        y = np.asarray(np.prod(x, axis=axis, keepdims=keepdim, dtype=npd))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        shape, axis, keepdim = ctx.meta
        axes = () if axis is None else (axis,)
        if axis is None:  # work on the flattened input, reducing its only axis
            x, axes, keepdim = _shape.reshape(x, -1), (0,), True
            g, y = _shape.reshape(g, 1), _shape.reshape(y, 1)
        gk, yk = _keep(g, x.shape, axes, keepdim), _keep(y, x.shape, axes, keepdim)
        if (x._data != 0).all():
            grad = gk * yk / x
        else:  # product of the others, exactly, from exclusive running products
            grad = gk * _exclusive_prod(x, axes[0] if axes else 0)
        return _shape.reshape(grad, shape), None, None, None


class ProdDim(Prod):
    node_name = "ProdBackward1"


def _exclusive_prod(x: Tensor, d: int) -> Tensor:
    """``out[i] = prod(x[j] for j != i)`` along ``d``, with no division (zeros are fine)."""
    n = x.shape[d] if x.ndim else 1
    if x.ndim == 0 or n <= 1:
        return _const(np.ones(x.shape), x._data.dtype)
    ones = _const(np.ones(_keep_shape(x.shape, (d,))), x._data.dtype)
    left = cumprod(_shape.cat([ones, _shape.narrow(x, d, 0, n - 1)], d), d)
    right = _shape.flip(cumprod(_shape.flip(_shape.cat([_shape.narrow(x, d, 1, n - 1), ones], d),
                                            d), d), d)
    return left * right


def prod(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product of all elements, or along one dimension ``dim``; integers give int64.

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([[1., 2.], [3., 4.]]).prod(1)
        tensor([ 2., 12.])
    """
    check_tensor(input, "prod")
    x = _cast_for(input, dtype)
    if dim is None:
        return Prod.apply(x, None, False, _int_to_long(x))
    axis = _one_axis(dim, x.ndim, "prod")
    return ProdDim.apply(x, axis if x.ndim else None, bool(keepdim), _int_to_long(x))


def _scan_axis(x: np.ndarray, d: int):
    return (x, d) if x.ndim else (x.reshape(1), 0)


def _rev_cumsum(t: Tensor, d: int) -> Tensor:
    return _shape.flip(cumsum(_shape.flip(t, d), d), d)


class Cumsum(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, d, npd):
        ctx.dim = d
        a, ax = _scan_axis(x, d)
        return np.cumsum(a, axis=ax, dtype=npd).reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        if g.ndim == 0:
            return g * 1, None, None
        return _rev_cumsum(g, ctx.dim), None, None


class Cumprod(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, d, npd):
        ctx.dim = d
        a, ax = _scan_axis(x, d)
        y = np.cumprod(a, axis=ax, dtype=npd).reshape(x.shape)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        if x.ndim == 0:
            return g * 1, None, None
        d = ctx.dim
        zero = x._data == 0
        if not zero.any():
            return _rev_cumsum(g * y, d) / x, None, None
        if GRAD_ENABLED[0]:
            return _cumprod_grad_quadratic(x, g, d), None, None
        return Tensor._make(_cumprod_grad_zeros(x._data, y._data, g._data, d)), None, None


def _cumprod_grad_zeros(x, y, g, d):
    """O(n) gradient of cumprod with zeros (not differentiable: used without create_graph).

    Before the first zero ``z`` of a row, ``grad_i = sum_{k>=i} g_k y_k / x_i`` (y is 0 from z
    on); at ``z`` it is ``sum_{k>=z} g_k prod_{j<=k, j!=z} x_j``; after ``z`` it is 0.
    """
    zero = x == 0
    seen = np.cumsum(zero, axis=d)
    before, first = seen == 0, zero & (seen == 1)
    rcs = lambda a: np.flip(np.cumsum(np.flip(a, d), axis=d), d)  # noqa: E731
    grad = np.where(before, rcs(g * y) / np.where(before, x, 1), 0)
    at_zero = rcs(g * np.cumprod(np.where(first, 1, x), axis=d))
    return np.where(first, at_zero, grad).astype(x.dtype, copy=False)


def _cumprod_grad_quadratic(x: Tensor, g: Tensor, d: int) -> Tensor:
    """Differentiable gradient of cumprod with zeros, O(n^2) like PyTorch's double-backward path:
    ``grad_i = sum_{k>=i} g_k C[i, k]`` with ``C[i, k] = prod_{j<=k, j!=i} x_j``."""
    xm, gm = _shape.movedim(x, d, -1), _shape.movedim(g, d, -1)
    n = xm.shape[-1]
    eye = _const(np.eye(n), x._data.dtype)
    c = cumprod(_shape.unsqueeze(xm, -2) * (1 - eye) + eye, -1)
    grad = sum(_shape.unsqueeze(gm, -2) * c * _const(np.triu(np.ones((n, n))), x._data.dtype), -1)
    return _shape.movedim(grad, -1, d)


def _scan(cls, input, dim, dtype, fn):
    check_tensor(input, fn)
    x = _cast_for(input, dtype)
    return cls.apply(x, _one_axis(dim, x.ndim, fn), _int_to_long(x))


def cumsum(input, dim: int, *, dtype=None, out=None) -> Tensor:
    """Running sum along ``dim``.

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([1., 2., 3.]).cumsum(0)
        tensor([1., 3., 6.])
    """
    return write_out(_scan(Cumsum, input, dim, dtype, "cumsum"), out)


def cumprod(input, dim: int, *, dtype=None, out=None) -> Tensor:
    """Running product along ``dim`` (gradients are exact even with zeros in the input).

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([1., 2., 3.]).cumprod(0)
        tensor([1., 2., 6.])
    """
    return write_out(_scan(Cumprod, input, dim, dtype, "cumprod"), out)




def _scan_inplace(fn):
    def method(self, dim, *, dtype=None):
        from ._inplace import inplace

        return inplace(self, fn, dim, dtype=dtype)

    method.__doc__ = f"In-place ``{fn.__name__}``; returns self."
    return method


# ---- median ---------------------------------------------------------------------------------
class MedianDim(MaxDim):
    node_name = "MedianBackward1"


class MedianAll(Amax):
    node_name = "MedianBackward0"


def _median_keep(x, d):
    """Index of the lower median along ``d`` (of the first NaN where a slice has one)."""
    order = np.argsort(x, axis=d, kind="stable")
    idx = np.take(order, [(x.shape[d] - 1) // 2], axis=d)
    if x.dtype.kind == "f":
        nan = np.isnan(x)
        idx = np.where(nan.any(axis=d, keepdims=True), np.argmax(nan, axis=d, keepdims=True), idx)
    return idx.astype(np.int64, copy=False)


def _median_all(x, axis, keepdims):
    flat = x.reshape(-1)
    if flat.size == 0 or (x.dtype.kind == "f" and np.isnan(flat).any()):
        return np.asarray(np.nan, dtype=x.dtype)
    return np.partition(flat, (flat.size - 1) // 2)[(flat.size - 1) // 2]


def median(input, dim=None, keepdim: bool = False):
    """Lower median of all elements, or ``(values, indices)`` along ``dim``; NaN propagates.

    Returns:
        A 0-d tensor (its gradient is split among tied medians) without ``dim``; otherwise
        ``torch.return_types.median(values, indices)`` (gradient to the indexed element).

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([4., 1., 3., 2.]).median()
        tensor(2.)
    """
    check_tensor(input, "median")
    if dim is None:
        return MedianAll.apply(input, tuple(range(input.ndim)), False, _median_all)
    d = _one_axis(dim, input.ndim, "median")
    if input.ndim:
        _empty_check(input, (d,), "median", False)
    return return_types.median(*MedianDim.apply(input, d, bool(keepdim), _median_keep))


# ---- var, std, var_mean, std_mean -------------------------------------------------------------
def _var(x: np.ndarray, axes: tuple, c, keepdim: bool) -> np.ndarray:
    """Variance with ``correction`` c; the divisor is ``max(0, n - c)`` as in PyTorch."""
    keep = _keep_shape(x.shape, axes)
    m = np.mean(x, axis=axes, keepdims=True) if x.size else np.zeros(keep, x.dtype)
    ss = np.sum(np.square(x - m), axis=axes, keepdims=keepdim)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(ss / builtins.max(_count(x.shape, axes) - c, 0), dtype=x.dtype)


def _var_grad(x: Tensor, gk: Tensor, axes: tuple, c) -> Tensor:
    """Gradient of var from ``gk``, the output gradient with the reduced dims kept."""
    dof = _count(tuple(x.shape), axes) - c
    centered = x - mean(x, axes, keepdim=True)
    return gk * centered * (2.0 / dof if dof > 0 else math.inf)


def _std_to_var_grad(gk: Tensor, sk: Tensor) -> Tensor:
    """d std = d var / (2 std), taken as 0 where std is 0 (PyTorch's safe choice)."""
    zero = sk._data == 0
    return gk * _const(~zero, gk._data.dtype) / ((sk + _const(zero, sk._data.dtype)) * 2)


class Var(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, axes, c, keepdim):
        ctx.meta = (x.shape, axes, c, keepdim)
        ctx.save_for_backward(x)
        return _var(x, axes, c, keepdim)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        shape, axes, c, keepdim = ctx.meta
        return _var_grad(x, _keep(g, shape, axes, keepdim), axes, c), None, None, None


class Std(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, axes, c, keepdim):
        ctx.meta = (x.shape, axes, c, keepdim)
        s = np.sqrt(_var(x, axes, c, keepdim))
        ctx.save_for_backward(x, s)
        return s

    @staticmethod
    def backward(ctx, g):
        x, s = ctx.saved_tensors
        shape, axes, c, keepdim = ctx.meta
        gv = _std_to_var_grad(_keep(g, shape, axes, keepdim), _keep(s, shape, axes, keepdim))
        return _var_grad(x, gv, axes, c), None, None, None


class VarMean(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, axes, c, keepdim):
        ctx.meta = (x.shape, axes, c, keepdim)
        ctx.save_for_backward(x)
        m = np.mean(x, axis=axes, keepdims=keepdim) if x.size else np.full(
            _keep_shape(x.shape, axes) if keepdim else _var(x, axes, c, False).shape, np.nan)
        return _var(x, axes, c, keepdim), np.asarray(m, dtype=x.dtype)

    @staticmethod
    def backward(ctx, gv, gm):
        (x,) = ctx.saved_tensors
        shape, axes, c, keepdim = ctx.meta
        gm = _keep(gm, shape, axes, keepdim) / builtins.max(_count(shape, axes), 1)
        return _var_grad(x, _keep(gv, shape, axes, keepdim), axes, c) + gm, None, None, None


class StdMean(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, axes, c, keepdim):
        v, m = VarMean.forward(ctx, x, axes, c, keepdim)
        s = np.sqrt(v)
        ctx.save_for_backward(x, s)
        return s, m

    @staticmethod
    def backward(ctx, gs, gm):
        x, s = ctx.saved_tensors
        shape, axes, c, keepdim = ctx.meta
        gv = _std_to_var_grad(_keep(gs, shape, axes, keepdim), _keep(s, shape, axes, keepdim))
        gm = _keep(gm, shape, axes, keepdim) / builtins.max(_count(shape, axes), 1)
        return _var_grad(x, gv, axes, c) + gm, None, None, None


def _moments(cls, input, dim, unbiased, keepdim, correction, fn: str):
    check_tensor(input, fn)
    if isinstance(dim, bool):  # x.var(False): the legacy ``unbiased`` overload
        dim, unbiased = None, dim if unbiased is None else unbiased
    if unbiased is not None and correction is not None:
        raise TypeError(f"{fn}(): pass either 'unbiased' or 'correction', not both (received "
                        f"unbiased={unbiased}, correction={correction})")
    c = correction if correction is not None else (1 if unbiased is None or unbiased else 0)
    if input._data.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    axes = _axes(dim, input.ndim, fn)
    if _count(input._data.shape, axes) - c <= 0:
        warnings.warn(f"{fn}(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    return cls.apply(input, axes, c, bool(keepdim))


def var(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Variance over ``dim`` (all elements by default) with Bessel's correction by default.

    Args:
        input: a floating tensor.
        dim: int or tuple of ints; None reduces everything.
        unbiased: legacy flag: True means ``correction=1``, False ``correction=0``.
        keepdim: keep reduced dimensions with size 1.
        correction: the divisor is ``N - correction`` (default 1).

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([1., 2., 3., 4.]).var()
        tensor(1.6667)
    """
    return _moments(Var, input, dim, unbiased, keepdim, correction, "var")


def std(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Standard deviation (square root of ``var``; same arguments); gradient 0 where it is 0.

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([1., 2., 3., 4.]).std(correction=0)
        tensor(1.1180)
    """
    return _moments(Std, input, dim, unbiased, keepdim, correction, "std")


def var_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``(var, mean)`` in one pass; same arguments as ``var``.

    Returns:
        A tuple ``(var, mean)`` of tensors of the reduced shape.
    """
    return _moments(VarMean, input, dim, unbiased, keepdim, correction, "var_mean")


def std_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``(std, mean)`` in one pass; same arguments as ``std``.

    Returns:
        A tuple ``(std, mean)`` of tensors of the reduced shape.
    """
    return _moments(StdMean, input, dim, unbiased, keepdim, correction, "std_mean")


# ---- logsumexp, norm --------------------------------------------------------------------------
class Logsumexp(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.meta = (x.shape, axes, keepdim)
        keep = _keep_shape(x.shape, axes)
        m = np.max(x, axis=axes, keepdims=True) if x.size else np.zeros(keep, x.dtype)
        m = np.where(np.isfinite(m), m, 0)  # shifting by +-inf would give inf - inf = NaN
        with np.errstate(divide="ignore"):
            y = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
        y = np.asarray(y if keepdim else y.reshape(
            [s for i, s in enumerate(x.shape) if i not in axes]), dtype=x.dtype)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        shape, axes, keepdim = ctx.meta
        return _keep(g, shape, axes, keepdim) * (x - _keep(y, shape, axes, keepdim)).exp(), \
            None, None


def logsumexp(input, dim, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input)))`` over ``dim``, computed without overflow.

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([1000., 1000.]).logsumexp(0)
        tensor(1000.6932)
    """
    check_tensor(input, "logsumexp")
    x = input if input._data.dtype.kind == "f" else input.to(get_default_dtype())
    return Logsumexp.apply(x, _axes(dim, x.ndim, "logsumexp"), bool(keepdim))


class Norm(Function):
    raw = True
    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, axes, keepdim, p):
        ctx.meta = (x.shape, axes, keepdim, p)
        a = np.abs(x)
        if p == 2:
            y = np.sqrt(np.sum(a * a, axis=axes, keepdims=keepdim))
        elif p == 1:
            y = np.sum(a, axis=axes, keepdims=keepdim)
        elif math.isinf(p):
            y = (np.max if p > 0 else np.min)(a, axis=axes, keepdims=keepdim)
        elif p == 0:
            y = np.sum(a != 0, axis=axes, keepdims=keepdim)
        else:
            y = np.sum(a ** p, axis=axes, keepdims=keepdim) ** (1.0 / p)
        y = np.asarray(y, dtype=x.dtype)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        shape, axes, keepdim, p = ctx.meta
        gk, yk = _keep(g, shape, axes, keepdim), _keep(y, shape, axes, keepdim)
        dt = x._data.dtype
        if p == 0:
            return _unreduce(g * 0, shape, axes, keepdim), None, None, None
        if p == 1:
            return gk * x.sign(), None, None, None
        if math.isinf(p):
            weights = _tie_weights(np.abs(x._data), yk._data, axes)
            return gk * x.sign() * weights, None, None, None
        zero = yk._data == 0  # the gradient at a zero norm is taken as 0, as in PyTorch
        scale = gk * _const(~zero, dt)
        safe = yk + _const(zero, dt)
        if p == 2:
            return x * scale / safe, None, None, None
        # x |x|^(p-2) / norm^(p-1), written with exp/log so x = 0 gives exactly 0
        ax = x.abs() + _const(x._data == 0, dt)
        return scale * x.sign() * ((ax.log() - safe.log()) * (p - 1)).exp(), None, None, None


def norm(input, p="fro", dim=None, keepdim: bool = False, out=None, dtype=None) -> Tensor:
    """Vector p-norm over ``dim`` (all elements by default); the gradient at 0 is 0.

    Args:
        input: a floating tensor.
        p: a number (2, 1, 0, ``inf``, ``-inf``, any real) or ``'fro'`` (same as 2).
        dim: int or tuple of ints to reduce; None for all.
        keepdim: keep reduced dimensions with size 1.
        dtype: cast the input to this dtype first.

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([3., 4.]).norm()
        tensor(5.)
    """
    check_tensor(input, "norm")
    x = _cast_for(input, dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_type_name(x)}")
    if p is None or p == "fro":
        if p == "fro" and isinstance(dim, (tuple, list)) and len(dim) > 2:
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                               f"{' '.join(str(d) for d in dim)}")
        p = 2
    elif isinstance(p, str):
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported."
                           + (" (chainrule has no nuclear norm)" if p == "nuc" else ""))
    p = float(p)
    axes = _axes(dim, x.ndim, "norm")
    if math.isinf(p) and _count(x._data.shape, axes) == 0 and x._data.size == 0:
        raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty tensor "
                           "because the operation does not have an identity")
    return write_out(Norm.apply(x, axes, bool(keepdim), p), out)
