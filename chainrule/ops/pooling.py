"""Pooling: max and average pooling (1-D, 2-D, 3-D), their adaptive forms, and max-unpooling.

The kernels loop over the ``prod(kernel)`` window offsets, each a strided slice of the (padded)
input, instead of materialising windows: max pooling keeps a running maximum and the offset
(``argmax``) that produced it, average pooling a running sum. Backward passes scatter through
the same slices. Each pooling primitive has an adjoint primitive (the scatter for the gather and
the other way round), so second derivatives work too. 2-D max pooling and its scatter run as
compiled kernels when Numba is installed (``pooling_fused``).
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ._util import check_tensor
from .._parallel import split_rows
from . import pooling_fused
from .conv_util import crop, ntuple, offsets, pad_array, prod, window_slices

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "lp_pool1d",
    "lp_pool2d",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
]


class PoolGeometry(tuple):
    """``(kernel, stride, pad_lo, pad_hi, dilation, out)`` of a pooling window, per dim."""

    __slots__ = ()

    def __new__(cls, kernel, stride, lo, hi, dilation, out):
        return tuple.__new__(cls, tuple(map(tuple, (kernel, stride, lo, hi, dilation, out))))


def _lowest(dtype: np.dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _arg_dtype(n: int):
    return np.uint8 if n <= 255 else (np.int16 if n <= 32767 else np.int32)


def select_(arg: np.ndarray, mask: np.ndarray, value) -> None:
    """``arg[mask] = value`` in place as three vectorised passes (``arg += (value - arg) *
    mask``, exact in integer arithmetic); ``np.putmask`` is about 20 times slower."""
    t = np.subtract(np.asarray(value, dtype=arg.dtype), arg)
    np.multiply(t, mask, out=t)
    arg += t


def _disjoint(geom: PoolGeometry) -> bool:
    """Whether no input element lies in two windows (then scatters may assign, not add)."""
    kernel, stride, _, _, dilation, _ = geom
    return all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))


# ---- max pooling -----------------------------------------------------------------------------

def max_pool_arrays(x: np.ndarray, geom: PoolGeometry, with_arg: bool = True):
    """Running max over the window offsets; returns ``(out, argmax_offset)`` (the offsets only
    ``with_arg``: inference needs just the maxima). Slices of the batch run on threads."""
    kernel, out = geom[0], geom[5]
    if pooling_fused.applies(x, len(kernel)):
        return pooling_fused.max_pool2d(x, geom, _arg_dtype(prod(kernel)))
    lead = x.shape[:x.ndim - len(kernel)]
    best = np.empty(lead + out, dtype=x.dtype)
    arg = np.empty(lead + out, dtype=_arg_dtype(prod(kernel))) if with_arg else None
    split_rows(lambda a, b: _max_pool_into(x[a:b], geom, best[a:b],
                                           None if arg is None else arg[a:b]),
               lead[0], x.size)
    return best, arg


def _max_pool_into(x: np.ndarray, geom: PoolGeometry, best: np.ndarray, arg) -> None:
    """``max_pool_arrays`` of (a slice of) the batch, written into ``best`` and ``arg``."""
    kernel, stride, lo, hi, dilation, out = geom
    xp = pad_array(x, lo, hi, _lowest(x.dtype))
    windows = [xp[(Ellipsis,) + window_slices(off, stride, dilation, out)]
               for off in offsets(kernel)]
    np.copyto(best, windows[0])
    if arg is not None:
        arg.fill(0)
    for k, v in enumerate(windows[1:], 1):
        # a contiguous copy of the slice first: the comparisons then run twice as fast
        v = np.ascontiguousarray(v)
        if arg is not None:
            select_(arg, np.greater(v, best), k)
        np.maximum(best, v, out=best)
    if arg is not None and x.dtype.kind == "f" and np.isnan(best).any():
        # PyTorch's rule: a NaN wins the window (the last one if several)
        np.copyto(best, windows[0])
        arg.fill(0)
        for k, v in enumerate(windows[1:], 1):
            m = np.greater(v, best) | np.isnan(v)
            np.copyto(best, v, where=m)
            select_(arg, m, k)


def _tail_slices(geom: PoolGeometry, padded: tuple):
    """Index tuples of the padded input that no window covers when the windows tile it
    (stride == kernel, no dilation): the floor mode's leftover rows; None otherwise."""
    kernel, stride, _, _, dilation, out = geom
    if any(s != k or d != 1 for k, s, d in zip(kernel, stride, dilation)):
        return None
    nd = len(kernel)
    return [(Ellipsis,) + (slice(None),) * j + (slice(o * k, None),) + (slice(None),) * (nd - 1 - j)
            for j, (k, o, p) in enumerate(zip(kernel, out, padded)) if o * k < p]


def scatter_arrays(g: np.ndarray, arg: np.ndarray, geom: PoolGeometry,
                   in_sp: tuple) -> np.ndarray:
    """Route each output gradient to the window element ``arg`` selected (adds on overlap).
    Slices of the batch run on threads."""
    kernel, lo, hi = geom[0], geom[2], geom[3]
    if pooling_fused.applies(g, len(kernel)):
        return pooling_fused.scatter2d(g, arg, geom, in_sp)
    lead = g.shape[:g.ndim - len(kernel)]
    padded = tuple(s + a + b for s, a, b in zip(in_sp, lo, hi))
    gx = np.empty(lead + padded, dtype=g.dtype)
    split_rows(lambda a, b: _scatter_into(g[a:b], arg[a:b], geom, gx[a:b]), lead[0], gx.size)
    if any(lo) or any(hi):
        gx = np.ascontiguousarray(crop(gx, lo, in_sp))
    return gx


def _scatter_into(g: np.ndarray, arg: np.ndarray, geom: PoolGeometry, gx: np.ndarray) -> None:
    """``scatter_arrays`` of (a slice of) the batch into the padded ``gx``. When the windows
    tile ``gx``, each element is assigned once, so only the uncovered tail is zeroed."""
    kernel, stride, _, _, dilation, out = geom
    tails = _tail_slices(geom, gx.shape[gx.ndim - len(kernel):])
    if tails is None:
        gx.fill(0)
    for t in tails or ():
        gx[t] = 0
    disjoint = _disjoint(geom)
    for k, off in enumerate(offsets(kernel)):
        region = gx[(Ellipsis,) + window_slices(off, stride, dilation, out)]
        if disjoint:
            np.multiply(g, arg == k, out=region)
        else:
            region += g * (arg == k)


def gather_arrays(gx: np.ndarray, arg: np.ndarray, geom: PoolGeometry) -> np.ndarray:
    """Pick from each window of ``gx`` the element ``arg`` selected (adjoint of the scatter)."""
    kernel, stride, lo, hi, dilation, out = geom
    gp = pad_array(gx, lo, hi)
    res = np.zeros(arg.shape, dtype=gx.dtype)
    for k, off in enumerate(offsets(kernel)):
        np.copyto(res, gp[(Ellipsis,) + window_slices(off, stride, dilation, out)],
                  where=arg == k)
    return res


def flat_indices(arg: np.ndarray, geom: PoolGeometry, in_sp: tuple) -> np.ndarray:
    """PyTorch's ``return_indices``: each maximum's flat position in its input plane."""
    kernel, stride, lo, _, dilation, out = geom
    nd = len(kernel)
    per_dim = np.unravel_index(arg.astype(np.int64), kernel) if nd > 1 else (
        arg.astype(np.int64),)
    flat = np.zeros(arg.shape, dtype=np.int64)
    for j in range(nd):
        base = np.arange(out[j], dtype=np.int64) * stride[j] - lo[j]
        base = base.reshape((-1,) + (1,) * (nd - 1 - j))
        flat = flat * in_sp[j] + base + per_dim[j] * dilation[j]
    return flat


class MaxPool(Function):
    """Max pooling over D trailing dims; optionally also returns the flat indices."""

    raw = True
    node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, geom, want_indices=False):
        recording = getattr(ctx, "needs_input_grad", None) is not None
        out, arg = max_pool_arrays(x, geom, with_arg=recording or want_indices)
        ctx.arg, ctx.geom = arg, geom
        ctx.in_sp = x.shape[x.ndim - len(geom[0]):]
        if want_indices:
            idx = flat_indices(arg, geom, ctx.in_sp)
            ctx.mark_non_differentiable(idx)
            return out, idx
        return out

    @staticmethod
    def backward(ctx, g, g_idx=None):
        return MaxPoolScatter.apply(g, ctx.arg, ctx.geom, ctx.in_sp), None, None


class MaxPool3D(MaxPool):
    """3-D max pooling (named as PyTorch names its node)."""

    node_name = "MaxPool3DWithIndicesBackward0"


class AdaptiveMaxPoolEven(MaxPool):
    """Adaptive max pooling when every input size is a multiple of the output size."""

    node_name = "AdaptiveMaxPool2DBackward0"


class MaxPoolScatter(Function):
    """The backward of max pooling: scatter gradients to the argmax positions."""

    raw = True
    node_name = "MaxPool2DWithIndicesBackwardBackward0"

    @staticmethod
    def forward(ctx, g, arg, geom, in_sp):
        ctx.arg, ctx.geom = arg, geom
        return scatter_arrays(g, arg, geom, in_sp)

    @staticmethod
    def backward(ctx, gg):
        return MaxPoolGather.apply(gg, ctx.arg, ctx.geom), None, None, None


class MaxPoolGather(Function):
    """Gather each window's argmax element (the adjoint of ``MaxPoolScatter``)."""

    raw = True

    @staticmethod
    def forward(ctx, gx, arg, geom):
        ctx.arg, ctx.geom = arg, geom
        ctx.in_sp = gx.shape[gx.ndim - len(geom[0]):]
        return gather_arrays(gx, arg, geom)

    @staticmethod
    def backward(ctx, g):
        return MaxPoolScatter.apply(g, ctx.arg, ctx.geom, ctx.in_sp), None, None


# ---- average pooling -------------------------------------------------------------------------

def _divisor(geom: PoolGeometry, in_sp: tuple, include_pad: bool, override):
    """The per-window divisor: a number, or an array broadcasting over the output."""
    if override:
        return float(override)
    kernel, stride, lo, _, _, out = geom
    nd = len(kernel)
    counts, uniform = [], True
    for j in range(nd):
        start = np.arange(out[j]) * stride[j] - lo[j]
        end = np.minimum(start + kernel[j], in_sp[j] + lo[j])
        if include_pad:
            c = end - start
        else:
            c = np.minimum(end, in_sp[j]) - np.maximum(start, 0)
        uniform = uniform and bool((c == kernel[j]).all())
        counts.append(c.reshape((-1,) + (1,) * (nd - 1 - j)))
    if uniform:
        return float(prod(kernel))
    div = counts[0]
    for c in counts[1:]:
        div = div * c
    return div.astype(np.float64)


def _divide(total: np.ndarray, div, dtype: np.dtype) -> np.ndarray:
    if dtype.kind != "f":
        return np.trunc(total / div).astype(dtype)
    if isinstance(div, float):
        total /= dtype.type(div)
        return total
    total /= div.astype(dtype)
    return total


def avg_pool_arrays(x: np.ndarray, geom: PoolGeometry, div) -> np.ndarray:
    """Window sums over the zero-padded input, divided by ``div``."""
    kernel, stride, lo, hi, dilation, out = geom
    xp = pad_array(x, lo, hi)
    total = None
    for off in offsets(kernel):
        v = xp[(Ellipsis,) + window_slices(off, stride, dilation, out)]
        if total is None:
            total = np.array(v, dtype=np.float64 if x.dtype.kind != "f" else x.dtype)
        else:
            total += v
    return _divide(total, div, x.dtype)


def avg_scatter_arrays(g: np.ndarray, geom: PoolGeometry, div, in_sp: tuple) -> np.ndarray:
    """The adjoint of average pooling: each window gets its output gradient over ``div``."""
    kernel, stride, lo, hi, dilation, out = geom
    gd = g / (g.dtype.type(div) if isinstance(div, float) else div.astype(g.dtype))
    lead = g.shape[:g.ndim - len(kernel)]
    padded = tuple(s + a + b for s, a, b in zip(in_sp, lo, hi))
    disjoint = _disjoint(geom)
    gx = np.zeros(lead + padded, dtype=g.dtype)
    for off in offsets(kernel):
        region = gx[(Ellipsis,) + window_slices(off, stride, dilation, out)]
        if disjoint:
            region[...] = gd
        else:
            region += gd
    if any(lo) or any(hi):
        gx = np.ascontiguousarray(crop(gx, lo, in_sp))
    return gx


class AvgPool(Function):
    """Average pooling over D trailing dims (``AvgPool2DBackward0``)."""

    raw = True
    node_name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, geom, div):
        ctx.geom, ctx.div = geom, div
        ctx.in_sp = x.shape[x.ndim - len(geom[0]):]
        return avg_pool_arrays(x, geom, div)

    @staticmethod
    def backward(ctx, g):
        return AvgPoolScatter.apply(g, ctx.geom, ctx.div, ctx.in_sp), None, None


class AvgPool3D(AvgPool):
    """3-D average pooling (PyTorch's node name)."""

    node_name = "AvgPool3DBackward0"


class AdaptiveAvgPoolEven(AvgPool):
    """Adaptive average pooling when every input size is a multiple of the output size."""

    node_name = "AdaptiveAvgPool2DBackward0"


class AvgPoolScatter(Function):
    """The backward of average pooling (its own backward is average pooling)."""

    raw = True
    node_name = "AvgPool2DBackwardBackward0"

    @staticmethod
    def forward(ctx, g, geom, div, in_sp):
        ctx.geom, ctx.div = geom, div
        return avg_scatter_arrays(g, geom, div, in_sp)

    @staticmethod
    def backward(ctx, gg):
        return AvgPool.apply(gg, ctx.geom, ctx.div), None, None, None


# ---- argument handling -----------------------------------------------------------------------

_DIMS = {1: "1d", 2: "2d", 3: "3d"}


def _check_input(input, nd: int, fn: str) -> None:
    check_tensor(input, fn)
    if input.ndim not in (nd + 1, nd + 2) or any(s == 0 for s in input.shape[1:]):
        if fn == "max_pool1d":
            raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional "
                               f"0 dim batch size for input, but got:{list(input.shape)}")
        raise RuntimeError(f"{fn}: non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor "
                           f"expected for input, but got input of size {list(input.shape)}")
    if input._data.dtype == np.bool_:
        raise RuntimeError(f"\"{fn}\" not implemented for 'Bool'")


def _geometry(input, kernel_size, stride, padding, dilation, ceil_mode, nd: int,
              fn: str) -> PoolGeometry:
    kernel = ntuple(kernel_size, nd, "kernel_size", fn)
    stride = kernel if stride is None or (isinstance(stride, (list, tuple)) and
                                          len(stride) == 0) else ntuple(stride, nd, "stride", fn)
    padding = ntuple(padding, nd, "padding", fn)
    dilation = ntuple(dilation, nd, "dilation", fn)
    if any(s == 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"stride should be greater than zero, but got {list(stride)}")
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"kernel_size should be greater than zero, but got {list(kernel)}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"pad must be non-negative, but got pad: {list(padding)}")
    for p, k, d in zip(padding, kernel, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")
    in_sp = tuple(input.shape[input.ndim - nd:])
    out, hi = [], []
    for size, k, s, p, d in zip(in_sp, kernel, stride, padding, dilation):
        eff = d * (k - 1) + 1
        o = (size + 2 * p - eff + ((s - 1) if ceil_mode else 0)) // s + 1
        if ceil_mode and (o - 1) * s >= size + p:
            o -= 1
        out.append(o)
        hi.append(max(0, (o - 1) * s + eff - size - p))
    if any(o <= 0 for o in out):
        if fn == "max_pool1d":
            raise RuntimeError(f"max_pool1d() Invalid computed output size: {out[0]}")
        c = input.shape[input.ndim - nd - 1]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (c,) + in_sp))}). "
                           f"Calculated output size: ({'x'.join(map(str, [c] + out))}). "
                           "Output size is too small")
    return PoolGeometry(kernel, stride, padding, hi, dilation, out)


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
              nd: int):
    fn = f"max_pool{_DIMS[nd]}"
    _check_input(input, nd, fn)
    geom = _geometry(input, kernel_size, stride, padding, dilation, ceil_mode, nd, fn)
    cls = MaxPool3D if nd == 3 else MaxPool
    return cls.apply(input, geom, bool(return_indices))


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, nd: int):
    fn = f"avg_pool{_DIMS[nd]}"
    _check_input(input, nd, fn)
    geom = _geometry(input, kernel_size, stride, padding, 1, ceil_mode, nd, fn)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    in_sp = tuple(input.shape[input.ndim - nd:])
    div = _divisor(geom, in_sp, count_include_pad, divisor_override)
    return (AvgPool3D if nd == 3 else AvgPool).apply(input, geom, div)


# ---- public functions ------------------------------------------------------------------------

def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """1-D max pooling over ``(N, C, L)`` or ``(C, L)`` input.

    Args:
        input: the input tensor.
        kernel_size: window length.
        stride: window step (default ``kernel_size``).
        padding: implicit ``-inf`` padding on both sides (at most half the kernel).
        dilation: spacing between window elements.
        ceil_mode: round the output length up instead of down.
        return_indices: also return the position of each maximum.

    Shape:
        ``L_out = (L + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1``.

    Example:
        >>> import chainrule as torch
        >>> x = torch.tensor([[[1., 3., 2., 5.]]])
        >>> torch.nn.functional.max_pool1d(x, 2).tolist()
        [[[3.0, 5.0]]]
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """2-D max pooling over ``(N, C, H, W)`` or ``(C, H, W)`` input.

    Args:
        input: the input tensor.
        kernel_size: window size, an int or ``(kH, kW)``.
        stride: window step (default ``kernel_size``).
        padding: implicit ``-inf`` padding (at most half the effective kernel).
        dilation: spacing between window elements.
        ceil_mode: round output sizes up instead of down.
        return_indices: also return each maximum's flat index into its ``H * W`` plane
            (for ``max_unpool2d``).

    Shape:
        ``H_out = (H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) // stride[0] + 1``, and
        likewise for the width.

    Example:
        >>> import chainrule as torch
        >>> x = torch.arange(16.).reshape(1, 1, 4, 4)
        >>> torch.nn.functional.max_pool2d(x, 2).tolist()
        [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2)


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """3-D max pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input.

    Args:
        input, kernel_size, stride, padding, dilation, ceil_mode, return_indices: as in
            ``max_pool2d``, with triples.

    Shape:
        Each output size as in ``max_pool2d``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.functional.max_pool3d(torch.ones(1, 1, 4, 4, 4), 2).shape
        torch.Size([1, 1, 2, 2, 2])
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """1-D average pooling over ``(N, C, L)`` or ``(C, L)`` input.

    Args:
        input: the input tensor.
        kernel_size: window length.
        stride: window step (default ``kernel_size``).
        padding: implicit zero padding on both sides (at most half the kernel).
        ceil_mode: round the output length up instead of down.
        count_include_pad: count padding zeros in the average.

    Shape:
        ``L_out = (L + 2 * padding - kernel_size) // stride + 1``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.functional.avg_pool1d(torch.tensor([[[1., 3., 2., 6.]]]), 2).tolist()
        [[[2.0, 4.0]]]
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """2-D average pooling over ``(N, C, H, W)`` or ``(C, H, W)`` input.

    Args:
        input: the input tensor.
        kernel_size: window size, an int or ``(kH, kW)``.
        stride: window step (default ``kernel_size``).
        padding: implicit zero padding (at most half the kernel).
        ceil_mode: round output sizes up instead of down.
        count_include_pad: count padding zeros in the average.
        divisor_override: divide every window sum by this number instead.

    Shape:
        ``H_out = (H + 2 * padding[0] - kH) // stride[0] + 1``, and likewise for the width.

    Example:
        >>> import chainrule as torch
        >>> x = torch.arange(16.).reshape(1, 1, 4, 4)
        >>> torch.nn.functional.avg_pool2d(x, 2).tolist()
        [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2)


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """3-D average pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input.

    Args:
        input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override:
            as in ``avg_pool2d``, with triples.

    Shape:
        Each output size as in ``avg_pool2d``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.functional.avg_pool3d(torch.ones(1, 1, 2, 2, 2), 2).item()
        1.0
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 3)


from .pooling_adaptive import (  # noqa: E402 (re-exported after the names it uses)
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool3d,
    lp_pool1d,
    lp_pool2d,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
)
