"""Resampling: ``pad``, ``interpolate`` (nearest, linear, bilinear, bicubic, trilinear, area),
``pixel_shuffle`` and ``pixel_unshuffle``.

Every non-constant pad and every interpolation is *separable*: along each spatial axis, output
element ``j`` is a weighted sum of a few input elements (its "taps": one for nearest and the pad
modes, two for linear, four for cubic, a window for area). ``AxisTaps`` applies such a map axis by
axis with ``np.take``; its adjoint ``AxisTapsT`` scatters back without ``np.add.at``: the output
positions are split into passes whose targets are distinct, and each pass is one slice-add (or
one fancy-index add). Each of the two primitives is the other's backward, so second derivatives
work.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ._util import check_tensor

__all__ = [
    "interpolate",
    "pad",
    "pixel_shuffle",
    "pixel_unshuffle",
    "upsample",
    "upsample_bilinear",
    "upsample_nearest",
]


# ---- separable tap maps ----------------------------------------------------------------------

def _as_slice(a: np.ndarray):
    """A slice equivalent to the index array ``a`` when it is an arithmetic progression."""
    if a.size == 1:
        return slice(int(a[0]), int(a[0]) + 1)
    step = int(a[1] - a[0])
    if step != 0 and np.array_equal(np.diff(a), np.full(a.size - 1, step)):
        stop = int(a[-1]) + step
        return slice(int(a[0]), stop if stop >= 0 else None, step)
    return a


class AxisMap:
    """The taps of one axis: output length, input length, and ``(index, weight)`` pairs."""

    __slots__ = ("axis", "passes", "size", "taps")

    def __init__(self, axis: int, size: int, taps) -> None:
        self.axis = axis  # negative: counted from the end
        self.size = size
        self.taps = [(np.asarray(i, dtype=np.int64), None if w is None else np.asarray(w))
                     for i, w in taps]
        self.passes = [self._plan(i) for i, _ in self.taps]

    @staticmethod
    def _plan(idx: np.ndarray) -> list:
        """Split the positions ``j`` into passes in which the targets ``idx[j]`` are distinct."""
        order = np.argsort(idx, kind="stable")
        sidx = idx[order]
        n = sidx.size
        if n == 0:
            return []
        starts = np.flatnonzero(np.r_[True, sidx[1:] != sidx[:-1]])
        run = np.diff(np.r_[starts, n])
        occ = np.arange(n) - np.repeat(starts, run)
        passes = []
        for j in range(int(occ.max()) + 1):
            src = np.sort(order[occ == j])
            passes.append((_as_slice(src), _as_slice(idx[src])))
        return passes

    def index(self, sel) -> tuple:
        return (Ellipsis, sel) + (slice(None),) * (-self.axis - 1)

    def weight(self, w: np.ndarray, dtype) -> np.ndarray:
        return w.astype(dtype, copy=False).reshape((-1,) + (1,) * (-self.axis - 1))

    def apply(self, x: np.ndarray) -> np.ndarray:
        out = None
        for idx, w in self.taps:
            sl = _as_slice(idx)
            view = isinstance(sl, slice)
            v = x[self.index(sl)] if view else np.take(x, idx, self.axis)
            if w is not None:
                v, view = v * self.weight(w, x.dtype), False
            if out is None:
                out = v.copy() if view else v
            else:
                out += v
        return out

    def adjoint(self, g: np.ndarray) -> np.ndarray:
        shape = list(g.shape)
        shape[self.axis] = self.size
        gx = np.zeros(shape, dtype=g.dtype)
        for (_, w), passes in zip(self.taps, self.passes):
            gw = g if w is None else g * self.weight(w, g.dtype)
            for src, tgt in passes:
                v = gw[self.index(src)]
                gx[self.index(tgt)] += v
        return gx


class AxisTaps(Function):
    """Apply per-axis tap maps (a separable linear resampling)."""

    raw = True

    @staticmethod
    def forward(ctx, x, maps):
        ctx.maps = maps
        for m in maps:
            x = m.apply(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return _taps_cls(AxisTapsT, "")[0].apply(g, ctx.maps), None


class AxisTapsT(Function):
    """The adjoint of ``AxisTaps``: scatter through the same tap maps."""

    raw = True

    @staticmethod
    def forward(ctx, g, maps):
        ctx.maps = maps
        for m in reversed(maps):
            g = m.adjoint(g)
        return g

    @staticmethod
    def backward(ctx, gg):
        return AxisTaps.apply(gg, ctx.maps), None


_NAMED: dict = {}


def _taps_cls(base, name: str):
    """A subclass of ``base`` whose graph node carries PyTorch's name for the op."""
    if not name:
        return (base,)
    key = (base, name)
    if key not in _NAMED:
        _NAMED[key] = type(name.replace("Backward0", ""), (base,), {"node_name": name})
    return (_NAMED[key],)


def apply_taps(x: Tensor, maps: list, node_name: str) -> Tensor:
    """Apply the tap maps to ``x`` through an ``AxisTaps`` node named ``node_name``."""
    return _taps_cls(AxisTaps, node_name)[0].apply(x, tuple(maps))


# ---- pad -------------------------------------------------------------------------------------

class ConstantPad(Function):
    """Pad (or, with negative widths, crop) the trailing dims with a constant."""

    raw = True
    node_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, pairs, value):
        ctx.pairs = pairs
        nd = len(pairs)
        lead = x.shape[:x.ndim - nd]
        sizes = x.shape[x.ndim - nd:]
        new = tuple(s + a + b for s, (a, b) in zip(sizes, pairs))
        out = np.full(lead + new, value, dtype=x.dtype) if value else np.zeros(lead + new,
                                                                                 x.dtype)
        dst = tuple(slice(max(a, 0), max(a, 0) + s + min(a, 0) + min(b, 0))
                    for s, (a, b) in zip(sizes, pairs))
        src = tuple(slice(max(-a, 0), s - max(-b, 0)) for s, (a, b) in zip(sizes, pairs))
        out[(Ellipsis,) + dst] = x[(Ellipsis,) + src]
        return out

    @staticmethod
    def backward(ctx, g):
        return ConstantPad.apply(g, tuple((-a, -b) for a, b in ctx.pairs), 0), None, None


def _pad_index(size: int, lo: int, hi: int, mode: str) -> np.ndarray:
    c = np.arange(-lo, size + hi)
    if mode == "reflect":
        c = np.abs(c)
        return np.where(c >= size, 2 * (size - 1) - c, c)
    if mode == "replicate":
        return np.clip(c, 0, size - 1)
    return c % size


_PAD_NAMES = {"reflect": "ReflectionPad{}DBackward0", "replicate": "ReplicationPad{}DBackward0",
              "circular": "CircularPad{}DBackward0"}


def pad(input: Tensor, pad, mode: str = "constant", value=None) -> Tensor:
    """Pad the trailing dimensions of ``input``; ``pad`` lists ``(left, right)`` pairs starting
    from the last dimension, as in PyTorch.

    Args:
        input: the tensor to pad.
        pad: ``(last_left, last_right, second_last_left, ...)``; negative widths crop
            (constant mode).
        mode: ``'constant'``, ``'reflect'`` (mirror without repeating the edge),
            ``'replicate'`` (repeat the edge) or ``'circular'`` (wrap around).
        value: fill value for constant padding (default 0).

    Shape:
        Each padded dimension grows by its two widths. The non-constant modes pad the last
        1, 2 or 3 dimensions of an input with one or two more dimensions.

    Example:
        >>> import chainrule as torch
        >>> x = torch.tensor([[[1., 2., 3.]]])
        >>> torch.nn.functional.pad(x, (2, 1), mode="reflect").tolist()
        [[[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]]
    """
    check_tensor(input, "pad")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    nd = len(pad) // 2
    if nd > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.ndim}")
    pairs = tuple((pad[2 * i], pad[2 * i + 1]) for i in reversed(range(nd)))
    sizes = input.shape[input.ndim - nd:]
    if mode == "constant":
        for d, (s, (a, b)) in enumerate(zip(sizes, pairs)):
            if s + a + b < 0:
                raise RuntimeError(f"The input size {s}, plus negative padding {a} and {b} "
                                   "resulted in a negative output size, which is invalid. Check "
                                   f"dimension {input.ndim - nd + d} of your input.")
        return ConstantPad.apply(input, pairs, 0 if value is None else value)
    if mode not in _PAD_NAMES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if nd not in (1, 2, 3) or input.ndim not in (nd + 1, nd + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for "
                                  f"{input.ndim}D input tensor.")
    maps = []
    for j, (s, (a, b)) in enumerate(zip(sizes, pairs)):
        dim = input.ndim - nd + j
        if mode == "reflect" and (a >= s or b >= s):
            raise RuntimeError("Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({a}, {b}) at dimension {dim} "
                               f"of input {list(input.shape)}")
        if mode == "circular" and (a > s or b > s):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if s + a + b < 0:
            raise RuntimeError(f"input size {s} with padding ({a}, {b}) gives a negative "
                               f"output size at dimension {dim}")
        if a or b:
            maps.append(AxisMap(j - nd, s, [(_pad_index(s, a, b, mode), None)]))
    if not maps:
        return ConstantPad.apply(input, pairs, 0)
    return apply_taps(input, maps, _PAD_NAMES[mode].format(nd))


# ---- interpolate -----------------------------------------------------------------------------

_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_LINEAR_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_CUBIC_A = -0.75


def _source_scale(in_size: int, out_size: int, scale, align_corners: bool) -> float:
    """PyTorch's ``area_pixel_compute_scale``."""
    if align_corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else in_size / out_size


def _nearest_map(axis, in_size, out_size, scale, exact: bool, ftype) -> AxisMap:
    if out_size == in_size:
        idx = np.arange(out_size)
    else:
        s = ftype(1.0 / scale if scale is not None and scale > 0 else in_size / out_size)
        dst = np.arange(out_size, dtype=ftype) + (ftype(0.5) if exact else ftype(0))
        idx = np.minimum(np.floor(dst * s).astype(np.int64), in_size - 1)
    return AxisMap(axis, in_size, [(idx, None)])


def _linear_map(axis, in_size, out_size, scale, align_corners, ftype) -> AxisMap:
    s = ftype(_source_scale(in_size, out_size, scale, align_corners))
    dst = np.arange(out_size, dtype=ftype)
    src = dst * s if align_corners else np.maximum(s * (dst + ftype(0.5)) - ftype(0.5), 0)
    i0 = np.minimum(src.astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    l1 = np.clip(src - i0, 0, 1).astype(ftype)
    return AxisMap(axis, in_size, [(i0, 1 - l1), (i1, l1)])


def _cubic_map(axis, in_size, out_size, scale, align_corners, ftype) -> AxisMap:
    s = ftype(_source_scale(in_size, out_size, scale, align_corners))
    dst = np.arange(out_size, dtype=ftype)
    src = dst * s if align_corners else s * (dst + ftype(0.5)) - ftype(0.5)
    i = np.floor(src).astype(np.int64)
    t = (src - i).astype(ftype)
    a = ftype(_CUBIC_A)

    def near(u):  # |u| <= 1
        return ((a + 2) * u - (a + 3)) * u * u + 1

    def far(u):  # 1 < |u| < 2
        return ((a * u - 5 * a) * u + 8 * a) * u - 4 * a

    weights = [far(t + 1), near(t), near(1 - t), far(2 - t)]
    taps = [(np.clip(i + k - 1, 0, in_size - 1), w) for k, w in enumerate(weights)]
    return AxisMap(axis, in_size, taps)


def _area_map(axis, in_size, out_size, ftype) -> AxisMap:
    o = np.arange(out_size)
    start = (o * in_size) // out_size
    end = -((-(o + 1) * in_size) // out_size)
    length = end - start
    taps = []
    for k in range(int(length.max())):
        idx = np.minimum(start + k, end - 1)
        taps.append((idx, ((start + k) < end).astype(ftype) / length.astype(ftype)))
    return AxisMap(axis, in_size, taps)


def _per_dim(v, n: int, what: str, spatial: list) -> list:
    """``size`` or ``scale_factor`` as one value per spatial dim, with PyTorch's errors."""
    if isinstance(v, (list, tuple)):
        if len(v) != n:
            if what == "size":
                head, tail = "output", f"output size of {tuple(v)}"
                fmt = "output size in (o1, o2, ...,oK)"
            else:
                head, tail = "scale_factor", f"scale_factor of shape {tuple(v)}"
                fmt = "scale_factor in (s1, s2, ...,sK)"
            raise ValueError(
                f"Input and {head} must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {spatial} and {tail}. Please provide input "
                f"tensor in (N, C, d1, d2, ...,dK) format and {fmt} format.")
        return list(v)
    return [v] * n


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners=None, recompute_scale_factor=None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dimensions of ``input`` (``(N, C, *spatial)``, 1 to 3 spatial dims).

    Args:
        input: a 3-D, 4-D or 5-D tensor.
        size: the output spatial size (an int or one per spatial dim).
        scale_factor: multiplier for the spatial size (give ``size`` or this, not both).
        mode: ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-D), ``'bilinear'`` and
            ``'bicubic'`` (4-D), ``'trilinear'`` (5-D) or ``'area'`` (adaptive average).
        align_corners: for the linear and cubic modes, map the corner pixels' centres onto
            each other (default False).
        recompute_scale_factor: compute the sampling scale from the output size even when
            ``scale_factor`` is given.
        antialias: not supported (must be False).

    Shape:
        ``(N, C, *spatial) -> (N, C, *size)``; with ``scale_factor``,
        ``out = floor(in * scale_factor)``.

    Example:
        >>> import chainrule as torch
        >>> x = torch.tensor([[[[1., 2.], [3., 4.]]]])
        >>> torch.nn.functional.interpolate(x, scale_factor=2).shape
        torch.Size([1, 1, 4, 4])
        >>> y = torch.nn.functional.interpolate(x, size=3, mode="bilinear", align_corners=True)
        >>> y[0, 0, 1].tolist()
        [2.0, 2.5, 3.0]
    """
    check_tensor(input, "interpolate")
    dim = input.ndim
    if mode not in _MODES or dim not in (3, 4, 5):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {dim}D) for the "
            f"modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact "
            f"(got {mode})")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    else:
        align_corners = bool(align_corners)
        if _LINEAR_DIMS[mode] != dim - 2:
            raise NotImplementedError(f"Got {dim}D input, but {mode} mode needs "
                                      f"{_LINEAR_DIMS[mode] + 2}D input")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    nd = dim - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, Tensor):
            size = size.tolist()
        out = [int(s) for s in _per_dim(size, nd, "size", spatial)]
        scales = [None] * nd
    else:
        scales = [float(s) for s in _per_dim(scale_factor, nd, "scale_factor", spatial)]
        out = [math.floor(float(i) * s) for i, s in zip(spatial, scales)]
        if recompute_scale_factor:
            scales = [None] * nd
    if any(o <= 0 for o in out) or any(i <= 0 for i in spatial):
        names = ["D", "H", "W"][3 - nd:]
        raise RuntimeError(
            "Input and output sizes should be greater than 0, but got input ("
            + ", ".join(f"{n}: {v}" for n, v in zip(names, spatial)) + ") output ("
            + ", ".join(f"{n}: {v}" for n, v in zip(names, out)) + ")")
    if mode == "area":
        from .pooling_adaptive import adaptive_avg_pool_nd

        return adaptive_avg_pool_nd(input, out, nd)
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"upsample_{mode}{nd}d\" not implemented for "
                                  f"'{input.dtype.name.capitalize()}'")
    ftype = input._data.dtype.type
    maps = []
    for j, (i, o, s) in enumerate(zip(spatial, out, scales)):
        axis = j - nd
        if mode in ("nearest", "nearest-exact"):
            if i != o:
                maps.append(_nearest_map(axis, i, o, s, mode == "nearest-exact", ftype))
        elif mode == "bicubic":
            maps.append(_cubic_map(axis, i, o, s, align_corners, ftype))
        else:
            maps.append(_linear_map(axis, i, o, s, align_corners, ftype))
    kind = {"nearest": "Nearest", "nearest-exact": "NearestExact", "linear": "Linear",
            "bilinear": "Bilinear", "bicubic": "Bicubic", "trilinear": "Trilinear"}[mode]
    name = f"Upsample{kind}{nd}DBackward0"
    if not maps:
        maps.append(AxisMap(-1, spatial[-1], [(np.arange(spatial[-1]), None)]))
    return apply_taps(input, maps, name)


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
             align_corners=None) -> Tensor:
    """Deprecated alias of ``interpolate``.

    Args:
        input, size, scale_factor, mode, align_corners: as in ``interpolate``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.functional.upsample(torch.ones(1, 1, 2), scale_factor=2).shape
        torch.Size([1, 1, 4])
    """
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='nearest')``.

    Args:
        input, size, scale_factor: as in ``interpolate``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.functional.upsample_nearest(torch.ones(1, 1, 2), 3).shape
        torch.Size([1, 1, 3])
    """
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``.

    Args:
        input, size, scale_factor: as in ``interpolate``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.functional.upsample_bilinear(torch.ones(1, 1, 2, 2), 3).shape
        torch.Size([1, 1, 3, 3])
    """
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---- pixel shuffle ---------------------------------------------------------------------------

def _shuffle(x: np.ndarray, r: int) -> np.ndarray:
    *lead, c, h, w = x.shape
    oc = c // (r * r)
    y = x.reshape(tuple(lead) + (oc, r, r, h, w))
    n = len(lead)
    y = y.transpose(tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return y.reshape(tuple(lead) + (oc, h * r, w * r))


def _unshuffle(x: np.ndarray, r: int) -> np.ndarray:
    *lead, c, h, w = x.shape
    n = len(lead)
    y = x.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    y = y.transpose(tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return y.reshape(tuple(lead) + (c * r * r, h // r, w // r))


class PixelShuffle(Function):
    """``(*, C r^2, H, W) -> (*, C, H r, W r)``."""

    raw = True

    @staticmethod
    def forward(ctx, x, r):
        ctx.r = r
        y = _shuffle(x, r)
        return y.copy() if np.shares_memory(x, y) else y

    @staticmethod
    def backward(ctx, g):
        return PixelUnshuffle.apply(g, ctx.r), None


class PixelUnshuffle(Function):
    """``(*, C, H r, W r) -> (*, C r^2, H, W)``."""

    raw = True

    @staticmethod
    def forward(ctx, x, r):
        ctx.r = r
        y = _unshuffle(x, r)
        return y.copy() if np.shares_memory(x, y) else y

    @staticmethod
    def backward(ctx, g):
        return PixelShuffle.apply(g, ctx.r), None


def _check_factor(r, name: str) -> int:
    if not isinstance(r, numbers.Integral) or r <= 0:
        raise RuntimeError(f"{name} must be greater than 0, but got: {r}")
    return int(r)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Rearrange ``(*, C * r^2, H, W)`` into ``(*, C, H * r, W * r)`` (sub-pixel convolution).

    Args:
        input: a tensor with at least 3 dimensions.
        upscale_factor: ``r``.

    Shape:
        ``(*, C r^2, H, W) -> (*, C, H r, W r)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.functional.pixel_shuffle(torch.ones(1, 8, 2, 3), 2).shape
        torch.Size([1, 2, 4, 6])
    """
    check_tensor(input, "pixel_shuffle")
    r = _check_factor(upscale_factor, "upscale_factor")
    if input.ndim < 3:
        raise RuntimeError("pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    c = input.shape[-3]
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    return PixelShuffle.apply(input, r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """Rearrange ``(*, C, H * r, W * r)`` into ``(*, C * r^2, H, W)`` (inverse of
    ``pixel_shuffle``).

    Args:
        input: a tensor with at least 3 dimensions.
        downscale_factor: ``r``.

    Shape:
        ``(*, C, H r, W r) -> (*, C r^2, H, W)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.functional.pixel_unshuffle(torch.ones(1, 2, 4, 6), 2).shape
        torch.Size([1, 8, 2, 3])
    """
    check_tensor(input, "pixel_unshuffle")
    r = _check_factor(downscale_factor, "downscale_factor")
    if input.ndim < 3:
        raise RuntimeError("pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.ndim} dimension(s)")
    for name, axis in (("height", -2), ("width", -1)):
        if input.shape[axis] % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by "
                               f"downscale_factor, but input.size({axis})={input.shape[axis]} "
                               f"is not divisible by {r}")
    return PixelUnshuffle.apply(input, r)
