"""Adaptive pooling (output size given, windows computed), max-unpooling and power-average
pooling.

Adaptive windows for output index ``i`` of an axis of length ``S`` pooled to ``O`` span
``[floor(i S / O), ceil((i + 1) S / O))``. When ``S`` is a multiple of ``O`` these are the
ordinary windows ``kernel = stride = S / O`` and the fast fixed-window kernels of ``pooling.py``
run; otherwise average pooling becomes a separable tap map (``resample.AxisTaps``) and max
pooling a loop over the largest window's offsets with index arrays.
"""

from __future__ import annotations

import itertools

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ._util import check_tensor
from .conv_util import ntuple, prod
from .pooling import (
    _DIMS,
    AdaptiveAvgPoolEven,
    AdaptiveMaxPoolEven,
    PoolGeometry,
    _divisor,
    select_,
)
from .resample import _area_map, apply_taps

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "lp_pool1d",
    "lp_pool2d",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
]


class AdaptiveAvgPool3DEven(AdaptiveAvgPoolEven):
    """3-D adaptive average pooling with even windows."""

    node_name = "AdaptiveAvgPool3DBackward0"


class AdaptiveMaxPool3DEven(AdaptiveMaxPoolEven):
    """3-D adaptive max pooling with even windows."""

    node_name = "AdaptiveMaxPool3DBackward0"


def _windows(size: int, out: int):
    o = np.arange(out)
    start = (o * size) // out
    end = -((-(o + 1) * size) // out)
    return start, end


# ---- plane scatter / gather (max-unpooling and adaptive max pooling) ------------------------

def _plane_scatter(g: np.ndarray, idx: np.ndarray, in_sp: tuple, accumulate: bool):
    nd = len(in_sp)
    lead = g.shape[:g.ndim - nd]
    rows, plane = prod(lead), prod(in_sp)
    flat = np.broadcast_to(idx, g.shape).reshape(rows, -1)
    if accumulate:
        glob = flat + (np.arange(rows, dtype=np.int64) * plane)[:, None]
        res = np.bincount(glob.ravel(), weights=g.reshape(-1), minlength=rows * plane)
        return res.astype(g.dtype, copy=False).reshape(lead + tuple(in_sp))
    res = np.zeros((rows, plane), dtype=g.dtype)
    np.put_along_axis(res, flat, g.reshape(rows, -1), axis=1)
    return res.reshape(lead + tuple(in_sp))


def _plane_gather(gx: np.ndarray, idx: np.ndarray, nd: int):
    lead = gx.shape[:gx.ndim - nd]
    rows = prod(lead)
    out_sp = idx.shape[idx.ndim - nd:]
    flat = np.broadcast_to(idx, lead + out_sp).reshape(rows, -1)
    res = np.take_along_axis(gx.reshape(rows, -1), flat, axis=1)
    return res.reshape(lead + out_sp)


class PlaneScatter(Function):
    """Put (or add) values at flat positions of each trailing-dims plane."""

    raw = True
    node_name = "MaxUnpool2DBackward0"

    @staticmethod
    def forward(ctx, g, idx, in_sp, accumulate):
        ctx.idx, ctx.in_sp = idx, in_sp
        return _plane_scatter(g, idx, in_sp, accumulate)

    @staticmethod
    def backward(ctx, gg):
        return PlaneGather.apply(gg, ctx.idx, len(ctx.in_sp)), None, None, None


class PlaneGather(Function):
    """Read values at flat positions of each trailing-dims plane (adjoint of the scatter)."""

    raw = True

    @staticmethod
    def forward(ctx, gx, idx, nd):
        ctx.idx, ctx.in_sp = idx, gx.shape[gx.ndim - nd:]
        return _plane_gather(gx, idx, nd)

    @staticmethod
    def backward(ctx, g):
        return PlaneScatter.apply(g, ctx.idx, ctx.in_sp, True), None, None


class AdaptiveMaxPool(Function):
    """Adaptive max pooling with uneven windows; returns the output and the flat indices."""

    raw = True
    node_name = "AdaptiveMaxPool2DBackward0"

    @staticmethod
    def forward(ctx, x, out_sp):
        nd = len(out_sp)
        in_sp = x.shape[x.ndim - nd:]
        wins = [_windows(s, o) for s, o in zip(in_sp, out_sp)]
        kmax = [int((e - s).max()) for s, e in wins]
        best = arg = None
        for off in itertools.product(*[range(k) for k in kmax]):
            v = x
            flat = np.zeros((1,) * nd, dtype=np.int64)
            for j, ((s, e), o) in enumerate(zip(wins, off)):
                idx = np.minimum(s + o, e - 1)
                v = np.take(v, idx, axis=j - nd)
                flat = flat * in_sp[j] + idx.reshape((-1,) + (1,) * (nd - 1 - j))
            if best is None:
                best = v
                arg = np.broadcast_to(flat, v.shape).copy()
                continue
            m = np.greater(v, best)
            if v.dtype.kind == "f":
                m |= np.isnan(v)
            np.copyto(best, v, where=m)
            select_(arg, m, flat)
        ctx.arg, ctx.in_sp = arg, in_sp
        ctx.mark_non_differentiable(arg)
        return best, arg

    @staticmethod
    def backward(ctx, g, g_idx=None):
        return PlaneScatter.apply(g, ctx.arg, ctx.in_sp, True), None


class AdaptiveMaxPool3D(AdaptiveMaxPool):
    """3-D adaptive max pooling with uneven windows."""

    node_name = "AdaptiveMaxPool3DBackward0"


# ---- adaptive pooling ------------------------------------------------------------------------

def _adaptive_sizes(input, output_size, nd: int, fn: str) -> tuple:
    check_tensor(input, fn)
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{fn}(): Expected {nd + 1}D or {nd + 2}D tensor, but got "
                           f"{list(input.shape)}")
    for d in range(1, input.ndim):
        if input.shape[d] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {d} being empty")
    if input._data.dtype == np.bool_:
        raise RuntimeError(f"\"{fn}\" not implemented for 'Bool'")
    in_sp = tuple(input.shape[input.ndim - nd:])
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != nd:
            raise RuntimeError(f"{fn}: output_size must be {nd}, but got {len(output_size)}")
        out = tuple(s if o is None else int(o) for o, s in zip(output_size, in_sp))
    else:
        out = ntuple(output_size, nd, "output_size", fn)
    if any(o < 0 for o in out):
        raise RuntimeError(f"{fn}: elements of output_size must be greater than or equal to 0 "
                           f"but received {list(out)}")
    return in_sp, out


def _even_geometry(in_sp: tuple, out: tuple) -> PoolGeometry | None:
    """Adjacent windows of ``in / out`` elements when every input size is a multiple of its
    (positive) output size; None otherwise."""
    if not all(o > 0 and s % o == 0 for s, o in zip(in_sp, out)):
        return None
    k = tuple(s // o for s, o in zip(in_sp, out))
    nd = len(out)
    return PoolGeometry(k, k, (0,) * nd, (0,) * nd, (1,) * nd, out)


def adaptive_avg_pool_nd(input: Tensor, output_size, nd: int) -> Tensor:
    """Adaptive average pooling over the ``nd`` trailing dims (shared by ``interpolate``)."""
    fn = f"adaptive_avg_pool{_DIMS[nd]}"
    in_sp, out = _adaptive_sizes(input, output_size, nd, fn)
    if 0 in out:
        return Tensor._make(np.zeros(input.shape[:input.ndim - nd] + out, input._data.dtype))
    geom = _even_geometry(in_sp, out)
    if geom is not None:
        cls = AdaptiveAvgPool3DEven if nd == 3 else AdaptiveAvgPoolEven
        return cls.apply(input, geom, _divisor(geom, in_sp, True, None))
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{fn}\" not implemented for "
                                  f"'{input.dtype.name.capitalize()}'")
    ftype = input._data.dtype.type
    maps = [_area_map(j - nd, s, o, ftype) for j, (s, o) in enumerate(zip(in_sp, out))
            if s != o]
    return apply_taps(input, maps, f"AdaptiveAvgPool{max(nd, 2)}DBackward0")


def _adaptive_max(input, output_size, return_indices, nd: int):
    fn = f"adaptive_max_pool{_DIMS[nd]}"
    in_sp, out = _adaptive_sizes(input, output_size, nd, fn)
    geom = _even_geometry(in_sp, out)
    if geom is not None:
        cls = AdaptiveMaxPool3DEven if nd == 3 else AdaptiveMaxPoolEven
        return cls.apply(input, geom, bool(return_indices))
    if 0 in out:
        raise RuntimeError(f"{fn}: output_size must be positive, but got {list(out)}")
    res, idx = (AdaptiveMaxPool3D if nd == 3 else AdaptiveMaxPool).apply(input, out)
    return (res, idx) if return_indices else res


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """1-D adaptive average pooling to a given output length.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        output_size: the output length.

    Shape:
        ``(N, C, L) -> (N, C, output_size)``.

    Example:
        >>> import chainrule as torch
        >>> x = torch.tensor([[[1., 2., 3., 4., 5.]]])
        >>> torch.nn.functional.adaptive_avg_pool1d(x, 2).tolist()
        [[[2.0, 4.0]]]
    """
    return adaptive_avg_pool_nd(input, output_size, 1)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """2-D adaptive average pooling to a given output size.

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``.
        output_size: an int or ``(H_out, W_out)``; ``None`` keeps that input size.

    Shape:
        ``(N, C, H, W) -> (N, C, H_out, W_out)``.

    Example:
        >>> import chainrule as torch
        >>> x = torch.arange(16.).reshape(1, 1, 4, 4)
        >>> torch.nn.functional.adaptive_avg_pool2d(x, 1).tolist()
        [[[[7.5]]]]
    """
    return adaptive_avg_pool_nd(input, output_size, 2)


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """3-D adaptive average pooling to a given output size.

    Args:
        input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``.
        output_size: an int or a triple (``None`` keeps that input size).

    Shape:
        ``(N, C, D, H, W) -> (N, C, *output_size)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.functional.adaptive_avg_pool3d(torch.ones(1, 1, 3, 3, 3), 2).shape
        torch.Size([1, 1, 2, 2, 2])
    """
    return adaptive_avg_pool_nd(input, output_size, 3)


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """1-D adaptive max pooling to a given output length.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        output_size: the output length.
        return_indices: also return each maximum's position.

    Shape:
        ``(N, C, L) -> (N, C, output_size)``.

    Example:
        >>> import chainrule as torch
        >>> x = torch.tensor([[[1., 5., 3., 4., 2.]]])
        >>> torch.nn.functional.adaptive_max_pool1d(x, 2).tolist()
        [[[5.0, 4.0]]]
    """
    return _adaptive_max(input, output_size, return_indices, 1)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """2-D adaptive max pooling to a given output size.

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``.
        output_size: an int or ``(H_out, W_out)``; ``None`` keeps that input size.
        return_indices: also return each maximum's flat index into its ``H * W`` plane.

    Shape:
        ``(N, C, H, W) -> (N, C, H_out, W_out)``.

    Example:
        >>> import chainrule as torch
        >>> x = torch.arange(16.).reshape(1, 1, 4, 4)
        >>> torch.nn.functional.adaptive_max_pool2d(x, 1).tolist()
        [[[[15.0]]]]
    """
    return _adaptive_max(input, output_size, return_indices, 2)


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """3-D adaptive max pooling to a given output size.

    Args:
        input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``.
        output_size: an int or a triple (``None`` keeps that input size).
        return_indices: also return the flat indices of the maxima.

    Shape:
        ``(N, C, D, H, W) -> (N, C, *output_size)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.functional.adaptive_max_pool3d(torch.ones(1, 1, 3, 3, 3), 2).shape
        torch.Size([1, 1, 2, 2, 2])
    """
    return _adaptive_max(input, output_size, return_indices, 3)


# ---- max-unpooling ---------------------------------------------------------------------------

def _max_unpool(input, indices, kernel_size, stride, padding, output_size, nd: int) -> Tensor:
    fn = f"max_unpool{_DIMS[nd]}"
    check_tensor(input, fn)
    check_tensor(indices, fn, "indices")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{fn}: expected a {nd + 1}D or {nd + 2}D input, but got "
                           f"{list(input.shape)}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: "
                           f"{indices.dtype}")
    kernel = ntuple(kernel_size, nd, "kernel_size", fn)
    stride = kernel if stride is None else ntuple(stride, nd, "stride", fn)
    padding = ntuple(padding, nd, "padding", fn)
    in_sp = tuple(input.shape[input.ndim - nd:])
    default = tuple((i - 1) * s - 2 * p + k for i, s, p, k in zip(in_sp, stride, padding,
                                                                  kernel))
    if output_size is None:
        out = default
    else:
        out = tuple(int(o) for o in output_size)[-nd:]
        if len(out) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} "
                             f"elements, but it has a length of '{len(tuple(output_size))}'")
        for o, d, s in zip(out, default, stride):
            if not d - s < o < d + s:
                raise ValueError(f"invalid output_size \"{list(out)}\" (dim 0 must be between "
                                 f"{d - s} and {d + s})")
    idx = indices._data
    if idx.size and (idx.min() < 0 or idx.max() >= prod(out)):
        bad = int(idx.max() if idx.max() >= prod(out) else idx.min())
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                           f"{'x'.join(map(str, out))}")
    cls = PlaneScatter
    return cls.apply(input, idx, out, False)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Partial inverse of ``max_pool1d``: put each value at its recorded index, zeros elsewhere.

    Args:
        input: pooled values ``(N, C, L)`` or ``(C, L)``.
        indices: the indices ``max_pool1d(..., return_indices=True)`` returned.
        kernel_size, stride, padding: those of the pooling.
        output_size: the exact output length (default: the size the pooling came from,
            rounded down).

    Shape:
        ``L_out = (L - 1) * stride - 2 * padding + kernel_size``.

    Example:
        >>> import chainrule as torch
        >>> F = torch.nn.functional
        >>> y, i = F.max_pool1d(torch.tensor([[[1., 3., 2., 0.]]]), 2, return_indices=True)
        >>> F.max_unpool1d(y, i, 2).tolist()
        [[[0.0, 3.0, 2.0, 0.0]]]
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Partial inverse of ``max_pool2d``: put each value at its recorded index, zeros elsewhere.

    Args:
        input: pooled values ``(N, C, H, W)`` or ``(C, H, W)``.
        indices: the indices ``max_pool2d(..., return_indices=True)`` returned.
        kernel_size, stride, padding: those of the pooling.
        output_size: the exact output size (default from the pooling parameters).

    Shape:
        ``H_out = (H - 1) * stride[0] - 2 * padding[0] + kernel_size[0]``, likewise ``W_out``.

    Example:
        >>> import chainrule as torch
        >>> F = torch.nn.functional
        >>> y, i = F.max_pool2d(torch.arange(16.).reshape(1, 1, 4, 4), 2, return_indices=True)
        >>> F.max_unpool2d(y, i, 2).shape
        torch.Size([1, 1, 4, 4])
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2)


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Partial inverse of ``max_pool3d``.

    Args:
        input, indices, kernel_size, stride, padding, output_size: as in ``max_unpool2d``.

    Shape:
        Each output size as in ``max_unpool2d``.

    Example:
        >>> import chainrule as torch
        >>> F = torch.nn.functional
        >>> y, i = F.max_pool3d(torch.ones(1, 1, 2, 2, 2), 2, return_indices=True)
        >>> F.max_unpool3d(y, i, 2).sum().item()
        1.0
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3)


# ---- power-average pooling -------------------------------------------------------------------

def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, nd: int) -> Tensor:
    from .pooling import avg_pool1d, avg_pool2d

    kernel = ntuple(kernel_size, nd, "kernel_size", f"lp_pool{nd}d")
    pool = avg_pool1d if nd == 1 else avg_pool2d
    if stride is not None:
        out = pool(input.pow(norm_type), kernel, stride, 0, ceil_mode)
    else:
        out = pool(input.pow(norm_type), kernel, padding=0, ceil_mode=ceil_mode)
    return (out.sign() * out.abs().relu()).mul(prod(kernel)).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """1-D power-average pooling: ``(sum over the window of x^p)^(1/p)``.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        norm_type: the power ``p``.
        kernel_size: window length.
        stride: window step (default ``kernel_size``).
        ceil_mode: round the output length up.

    Shape:
        ``L_out = (L - kernel_size) // stride + 1``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.functional.lp_pool1d(torch.tensor([[[3., 4.]]]), 2, 2).tolist()
        [[[5.0]]]
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """2-D power-average pooling: ``(sum over the window of x^p)^(1/p)``.

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``.
        norm_type: the power ``p``.
        kernel_size: window size.
        stride: window step (default ``kernel_size``).
        ceil_mode: round output sizes up.

    Shape:
        ``H_out = (H - kH) // stride[0] + 1``, likewise ``W_out``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.functional.lp_pool2d(torch.ones(1, 1, 2, 2), 2, 2).tolist()
        [[[[2.0]]]]
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)
