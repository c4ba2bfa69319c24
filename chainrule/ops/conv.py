"""Convolutions: ``conv1d``, ``conv2d``, ``conv3d`` and their transposes.

A convolution is one GEMM over strided windows: the padded input's windows (a zero-copy
``as_strided`` view) are copied into an im2col matrix ``(n, C*prod(k), L)`` and multiplied by
the ``(O, C*prod(k))`` weight matrix, which yields the ``(n, O, L)`` output directly in NCHW
order (no transposed copy). The batch goes through in cache-sized chunks. The backward pass is
two more GEMMs (the weight gradient against the im2col matrix rebuilt chunk by chunk, the input
gradient against the weight) and a col2im scatter, done as one slice-add per kernel offset or,
for 2-D convolutions with Numba installed, by a compiled kernel (``conv_fused``).

Three primitives are closed under differentiation, so gradients of any order work:

* ``Convolution``: ``y = conv(x, w) + b``;
* ``ConvInputGrad``: ``gx = conv_input_grad(gy, w)``, the adjoint of ``x -> conv(x, w)``
  (it is also the transposed convolution);
* ``ConvWeightGrad``: ``gw = conv_weight_grad(x, gy)``, the adjoint of ``w -> conv(x, w)``.

Each one's backward is written with the three of them.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from . import conv_fused
from ._util import check_tensor
from .conv_util import crop, ntuple, offsets, out_size, pad_array, prod, window_slices, window_view

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]

_SHORT = {"float32": "float", "float64": "double", "float16": "half", "int64": "long",
          "int32": "int", "int16": "short", "int8": "char", "uint8": "byte", "bool": "bool"}
_LONG = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
         "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


class Geometry(tuple):
    """``(stride, pad_lo, pad_hi, dilation, groups)`` of a convolution, per spatial dim."""

    __slots__ = ()

    def __new__(cls, stride, lo, hi, dilation, groups):
        return tuple.__new__(cls, (tuple(stride), tuple(lo), tuple(hi), tuple(dilation),
                                   int(groups)))


# ---- array kernels --------------------------------------------------------------------------
# The batch is processed in chunks whose im2col matrix is about _CHUNK_BYTES: the copy and the
# GEMM that reads it then run from the cache instead of main memory, and no im2col matrix is
# kept for backward.
#
# Two GEMM layouts. Sample-major: the columns are ``(n, C*prod(k), L)`` and each sample is its
# own small GEMM, whose ``(O, L)`` result is already NCHW. Channel-major: the columns are
# ``(C*prod(k), n*L)``, so the whole chunk is ONE large GEMM (which BLAS runs markedly faster,
# and in parallel), at the price of transposing the output (or the incoming gradient) between
# ``(n, O, L)`` and ``(O, n*L)``. That price is per output element while the GEMM costs
# ``C*prod(k)`` multiply-adds per output element, so the large GEMM pays once that depth is
# large (measured on the MNIST convnet, 2 threads: the 32->64 channel 3x3 conv runs its forward
# and both gradients about 25% faster; the 1->32 channel one runs twice as slow).

_CHUNK_BYTES = 1 << 20
_CHANNEL_MAJOR_BYTES = 1 << 22  # larger chunks suit the large GEMM
_CHANNEL_MAJOR_DEPTH = 64  # the GEMM depth C*prod(k) from which channel-major pays


def _channel_major(depth: int) -> bool:
    """Whether a GEMM of this depth (``C_in/groups * prod(kernel)``) uses one GEMM per chunk."""
    return depth >= _CHANNEL_MAJOR_DEPTH


def _chunks(n: int, per_sample_bytes: int, cmajor: bool):
    """``(start, stop)`` ranges of the batch, each about a chunk's worth of columns."""
    size = _CHANNEL_MAJOR_BYTES if cmajor else _CHUNK_BYTES
    step = max(1, size // max(1, per_sample_bytes))
    return [(a, min(a + step, n)) for a in range(0, n, step)]


def _gather(arr: np.ndarray, a: int, b: int, nd: int, buf, cmajor: bool) -> np.ndarray:
    """Samples ``a:b`` of ``arr`` (``(N, *rows, *out)``, ``nd`` out dims) in GEMM order.

    Sample-major they stay ``(n, *rows, *out)``; channel-major the batch axis moves just
    before the out dims, ``(*rows, n, *out)``. The result is copied into (a prefix of) the
    flat ``buf``, or is a view of ``arr`` when ``buf`` is None and no copy is needed.
    """
    part = arr[a:b]
    if cmajor:
        r = part.ndim - nd
        part = part.transpose(tuple(range(1, r)) + (0,) + tuple(range(r, part.ndim)))
    elif buf is None:
        return part
    out = buf[:part.size].reshape(part.shape)
    np.copyto(out, part)
    return out


def _grouped(arr: np.ndarray, groups: int, n: int, length: int, cmajor: bool) -> np.ndarray:
    """A gathered operand as the batched GEMM operand ``(B, groups, rows, M)``: ``B = n,
    M = L`` sample-major, ``B = 1, M = n * L`` channel-major."""
    return arr.reshape((1, groups, -1, n * length) if cmajor else (n, groups, -1, length))


def _buffer(chunks: list, per_sample: int, dtype) -> np.ndarray:
    """A flat scratch buffer for the largest chunk of ``per_sample`` elements a sample."""
    return np.empty((chunks[0][1] if chunks else 0) * per_sample, dtype=dtype)


def conv_arrays(x: np.ndarray, w: np.ndarray, geom: Geometry, out_sp=None,
                bias=None) -> np.ndarray:
    """``conv(x, w) + bias`` on batched arrays: im2col of each chunk of samples, then the
    GEMM; the bias is added to each chunk's result while it is in the cache."""
    stride, lo, hi, dil, groups = geom
    kernel = tuple(w.shape[2:])
    if out_sp is None:
        out_sp = tuple(out_size(s, k, st, d, a, b) for s, k, st, d, a, b in
                       zip(x.shape[2:], kernel, stride, dil, lo, hi))
    out_sp = tuple(out_sp)
    n, o = x.shape[0], w.shape[0]
    length = prod(out_sp)
    view = window_view(pad_array(x, lo, hi), kernel, stride, dil, out_sp)
    wg = w.reshape(groups, o // groups, -1)
    cmajor = _channel_major(wg.shape[2])
    y = np.empty((n, o, length), dtype=np.result_type(x, w))
    per_sample = prod(view.shape[1:])
    chunks = _chunks(n, per_sample * x.itemsize, cmajor)
    buf = _buffer(chunks, per_sample, x.dtype)
    for a, b in chunks:
        cols = _grouped(_gather(view, a, b, len(kernel), buf, cmajor), groups, b - a, length,
                        cmajor)
        if cmajor:
            res = np.matmul(wg, cols).reshape(o, b - a, length)
            if bias is not None:
                res += bias.reshape(-1, 1, 1)
            np.copyto(y[a:b], res.transpose(1, 0, 2))
        else:
            np.matmul(wg, cols, out=y[a:b].reshape(b - a, groups, o // groups, length))
            if bias is not None:
                y[a:b] += bias.reshape(-1, 1)
    return y.reshape((n, o) + out_sp)


def conv_input_grad_arrays(gy: np.ndarray, w: np.ndarray, x_shape: tuple,
                           geom: Geometry) -> np.ndarray:
    """The gradient of ``conv(x, w)`` with respect to ``x`` (batched arrays).

    The weight's rows are reordered kernel-offset-major, so each chunk's GEMM yields the
    columns as ``(.., *kernel, C, ..)``: each offset's block, scattered by one slice-add, is
    then contiguous, which makes col2im about 20% faster than channel-major order.
    Channel-major, the gradient is accumulated as ``(C, N, *S)`` and transposed once. With
    Numba, 2-D gradients skip all that: ``conv_fused`` sums each plane in one pass.
    """
    stride, lo, hi, dil, groups = geom
    n, o, cg = gy.shape[0], w.shape[0], w.shape[1]
    kernel, out_sp = tuple(w.shape[2:]), tuple(gy.shape[2:])
    nd = len(kernel)
    length = prod(out_sp)
    spatial = tuple(x_shape[2:])
    padded = tuple(s + a + b for s, a, b in zip(spatial, lo, hi))
    # (O, Cg, *k) -> (groups, *k, Cg, O / groups): kernel-offset-major rows
    wt = w.reshape((groups, o // groups, cg) + kernel).transpose(
        (0,) + tuple(range(3, 3 + nd)) + (2, 1)).reshape(groups, -1, o // groups)
    cmajor = _channel_major(wt.shape[1])
    gy3 = gy.reshape(n, o, length)
    dtype = np.result_type(gy, w)
    compiled = conv_fused.applies(gy, nd)
    if compiled:  # each plane written once, in place
        gx = np.empty((n, groups * cg) + spatial, dtype=dtype)
    else:  # the accumulator, (groups, Cg, N, *S) channel-major, else (N, groups, Cg, *S)
        gx = np.zeros(((groups, cg, n) if cmajor else (n, groups, cg)) + padded, dtype=dtype)
    chunks = _chunks(n, wt.shape[0] * wt.shape[1] * length * gx.itemsize, cmajor)
    gbuf = _buffer(chunks, o * length, gy.dtype) if cmajor else None
    lead = (slice(None),) * (1 if cmajor else 2)
    for a, b in chunks:
        g = _grouped(_gather(gy3, a, b, 1, gbuf, cmajor), groups, b - a, length, cmajor)
        rows = ((groups,) + kernel + (cg, b - a)) if cmajor else ((b - a, groups) + kernel + (cg,))
        gcols = np.matmul(wt, g).reshape(rows + out_sp)
        if compiled:
            conv_fused.col2im2d(gcols if cmajor else gcols.transpose(1, 2, 3, 4, 0, 5, 6), gx, a,
                                geom)
            continue
        part = gx[:, :, a:b] if cmajor else gx[a:b]
        for off in offsets(kernel):
            region = part[(Ellipsis,) + window_slices(off, stride, dil, out_sp)]
            region += gcols[lead + off]
    if compiled:
        return gx
    if cmajor:
        gx = gx.reshape((groups * cg, n) + padded).transpose((1, 0) + tuple(range(2, 2 + nd)))
    else:
        gx = gx.reshape((n, groups * cg) + padded)
    if cmajor or any(lo) or any(hi):
        gx = np.ascontiguousarray(crop(gx, lo, spatial))
    return gx


def conv_weight_grad_arrays(x: np.ndarray, gy: np.ndarray, w_shape: tuple,
                            geom: Geometry) -> np.ndarray:
    """The gradient of ``conv(x, w)`` with respect to ``w`` (batched arrays): per chunk, the
    output gradient times the transposed im2col matrix, summed over the batch."""
    stride, lo, hi, dil, groups = geom
    n, o = x.shape[0], w_shape[0]
    out_sp = tuple(gy.shape[2:])
    length = prod(out_sp)
    kernel = tuple(w_shape[2:])
    view = window_view(pad_array(x, lo, hi), kernel, stride, dil, out_sp)
    gy3 = gy.reshape(n, o, length)
    depth = prod(w_shape[1:])
    cmajor = _channel_major(depth)
    acc = np.zeros((groups, o // groups, depth), dtype=np.result_type(x, gy))
    per_sample = prod(view.shape[1:])
    chunks = _chunks(n, per_sample * x.itemsize, cmajor)
    buf = _buffer(chunks, per_sample, x.dtype)
    gbuf = _buffer(chunks, o * length, gy.dtype) if cmajor else None
    for a, b in chunks:
        cols = _grouped(_gather(view, a, b, len(kernel), buf, cmajor), groups, b - a, length,
                        cmajor)
        g = _grouped(_gather(gy3, a, b, 1, gbuf, cmajor), groups, b - a, length, cmajor)
        part = np.matmul(g, cols.transpose(0, 1, 3, 2))
        acc += part[0] if len(part) == 1 else part.sum(axis=0)
    return acc.reshape(w_shape)


def _batched(a: np.ndarray, nd: int) -> np.ndarray:
    """Add the batch dimension to an unbatched ``(C, *S)`` array (``nd`` spatial dims)."""
    return a if a.ndim == nd + 2 else a[None]


# ---- primitives ------------------------------------------------------------------------------

class Convolution(Function):
    """``conv(x, w) + b`` (the node PyTorch calls ``ConvolutionBackward0``)."""

    raw = True
    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geom, out_sp=None):
        nd = w.ndim - 2
        xb = _batched(x, nd)
        y = conv_arrays(xb, w, geom, out_sp, b)
        ctx.save_for_backward(x, w)
        ctx.geom = geom
        return y if xb is x else y[0]

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        gx = gw = gb = None
        if needs[0]:
            gx = ConvInputGrad.apply(gy, w, tuple(x.shape), ctx.geom)
        if needs[1]:
            gw = ConvWeightGrad.apply(x, gy, tuple(w.shape), ctx.geom)
        if len(needs) > 2 and needs[2]:
            gb = ChannelSum.apply(gy, gy.ndim - w.ndim + 1)
        return (gx, gw, gb) + (None,) * (len(needs) - 3)


class ConvInputGrad(Function):
    """The adjoint of ``x -> conv(x, w)``: ``conv_input_grad(gy, w)``."""

    raw = True
    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, gy, w, x_shape, geom):
        nd = w.ndim - 2
        batched = len(x_shape) == nd + 2
        gyb = gy if batched else gy[None]
        xs = tuple(x_shape) if batched else (1,) + tuple(x_shape)
        gx = conv_input_grad_arrays(gyb, w, xs, geom)
        ctx.save_for_backward(gy, w)
        ctx.geom = geom
        return gx if batched else gx[0]

    @staticmethod
    def backward(ctx, ggx):
        gy, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        g_gy = g_w = None
        nd = w.ndim - 2
        if needs[0]:
            g_gy = Convolution.apply(ggx, w, None, ctx.geom, tuple(gy.shape[-nd:]))
        if needs[1]:
            g_w = ConvWeightGrad.apply(ggx, gy, tuple(w.shape), ctx.geom)
        return g_gy, g_w, None, None


class ConvWeightGrad(Function):
    """The adjoint of ``w -> conv(x, w)``: ``conv_weight_grad(x, gy)``."""

    raw = True
    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, x, gy, w_shape, geom):
        nd = len(w_shape) - 2
        gw = conv_weight_grad_arrays(_batched(x, nd), _batched(gy, nd), tuple(w_shape), geom)
        ctx.save_for_backward(x, gy)
        ctx.geom = geom
        return gw

    @staticmethod
    def backward(ctx, ggw):
        x, gy = ctx.saved_tensors
        needs = ctx.needs_input_grad
        g_x = g_gy = None
        nd = ggw.ndim - 2
        if needs[0]:
            g_x = ConvInputGrad.apply(gy, ggw, tuple(x.shape), ctx.geom)
        if needs[1]:
            g_gy = Convolution.apply(x, ggw, None, ctx.geom, tuple(gy.shape[-nd:]))
        return (g_x, g_gy) + (None,) * (len(needs) - 2)


class ConvTranspose(Function):
    """``conv_transpose(x, w) + b``: ``ConvInputGrad`` with a bias (``ConvolutionBackward0``)."""

    raw = True
    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, out_shape, geom):
        nd = w.ndim - 2
        xb = _batched(x, nd)
        y = conv_input_grad_arrays(xb, w, (xb.shape[0],) + tuple(out_shape), geom)
        if b is not None:
            y += b.reshape((-1,) + (1,) * nd)
        ctx.save_for_backward(x, w)
        ctx.geom = geom
        return y if xb is x else y[0]

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        gx = gw = gb = None
        nd = w.ndim - 2
        if needs[0]:
            gx = Convolution.apply(gy, w, None, ctx.geom, tuple(x.shape[-nd:]))
        if needs[1]:
            gw = ConvWeightGrad.apply(gy, x, tuple(w.shape), ctx.geom)
        if needs[2]:
            gb = ChannelSum.apply(gy, gy.ndim - w.ndim + 1)
        return gx, gw, gb, None, None


class ChannelSum(Function):
    """Sum over every axis but the channel axis (the bias gradient)."""

    raw = True

    @staticmethod
    def forward(ctx, g, caxis):
        ctx.shape = g.shape
        ctx.caxis = caxis
        return g.sum(axis=tuple(i for i in range(g.ndim) if i != caxis))

    @staticmethod
    def backward(ctx, gg):
        return ChannelExpand.apply(gg, ctx.shape, ctx.caxis), None


class ChannelExpand(Function):
    """Broadcast a per-channel vector over a full shape (the adjoint of ``ChannelSum``)."""

    raw = True

    @staticmethod
    def forward(ctx, v, shape, caxis):
        ctx.caxis = caxis
        view = v.reshape((1,) * caxis + (-1,) + (1,) * (len(shape) - caxis - 1))
        out = np.empty(shape, dtype=v.dtype)
        out[...] = view
        return out

    @staticmethod
    def backward(ctx, g):
        return ChannelSum.apply(g, ctx.caxis), None, None


# ---- argument checks -------------------------------------------------------------------------

def _check_dtypes(x: Tensor, w: Tensor, b) -> None:
    if x._data.dtype == np.bool_:
        raise RuntimeError("\"conv\" not implemented for 'Bool'")
    if x._data.dtype != w._data.dtype:
        raise RuntimeError(f"expected scalar type {_LONG[x.dtype.name]} but found "
                           f"{_LONG[w.dtype.name]}")
    if b is not None and b._data.dtype != x._data.dtype:
        raise RuntimeError(f"Input type ({_SHORT[x.dtype.name]}) and bias type "
                           f"({_SHORT[b.dtype.name]}) should be the same")


def _check_common(input, weight, bias, nd: int, name: str):
    check_tensor(input, name)
    check_tensor(weight, name, "weight")
    if bias is not None:
        check_tensor(bias, name, "bias")
    if weight.ndim < 3:
        raise RuntimeError("weight should have at least three dimensions")
    if weight.ndim != nd + 2:
        raise RuntimeError(f"Expected {nd + 2}-dimensional weight for {name}, but got "
                           f"{weight.ndim}-dimensional weight of size {list(weight.shape)}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")


def _check_hyper(stride, padding, dilation, groups) -> None:
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _check_bias(weight: Tensor, bias, n_out: int) -> None:
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != n_out):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {n_out} elements, but got bias of size "
                           f"{list(bias.shape)} instead")


def _conv(input, weight, bias, stride, padding, dilation, groups, nd: int, name: str) -> Tensor:
    _check_common(input, weight, bias, nd, name)
    stride = ntuple(stride, nd, "stride", "convolution")
    dilation = ntuple(dilation, nd, "dilation", "convolution")
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if padding == "same" and any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        total = [d * (k - 1) for d, k in zip(dilation, kernel)] if padding == "same" \
            else [0] * nd
        lo = tuple(t // 2 for t in total)
        hi = tuple(t - a for t, a in zip(total, lo))
    else:
        lo = hi = ntuple(padding, nd, "padding", "convolution")
    _check_hyper(stride, lo + hi, dilation, groups)
    o, cg = weight.shape[:2]
    if o % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{list(weight.shape)}] "
                           "instead")
    shape = tuple(input.shape) if input.ndim == nd + 2 else (1,) + tuple(input.shape)
    if shape[1] != cg * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{list(shape)} to have {cg * groups} channels, but got "
                           f"{shape[1]} channels instead")
    _check_bias(weight, bias, o)
    _check_dtypes(input, weight, bias)
    padded = [s + a + b for s, a, b in zip(shape[2:], lo, hi)]
    eff = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, eff))}). Kernel size can't be greater than "
            "actual input size")
    return Convolution.apply(input, weight, bias, Geometry(stride, lo, hi, dilation, groups))


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation,
                    nd: int, name: str) -> Tensor:
    _check_common(input, weight, bias, nd, name)
    stride = ntuple(stride, nd, "stride", "convolution")
    padding = ntuple(padding, nd, "padding", "convolution")
    dilation = ntuple(dilation, nd, "dilation", "convolution")
    out_pad = ntuple(output_padding, nd, "output_padding", "convolution")
    _check_hyper(stride, padding, dilation, groups)
    if any(p < 0 for p in out_pad):
        raise RuntimeError("negative output_padding is not supported")
    if any(op >= s and op >= d for op, s, d in zip(out_pad, stride, dilation)):
        axes = ["height", "width"] if nd == 2 else (["width"] if nd == 1
                                                    else ["depth", "height", "width"])
        got = " ".join(f"output_padding_{a}: {v}" for a, v in zip(axes, out_pad))
        got += " " + " ".join(f"stride_{a}: {v}" for a, v in zip(axes, stride))
        got += " " + " ".join(f"dilation_{a}: {v}" for a, v in zip(axes, dilation))
        raise RuntimeError("output padding must be smaller than either stride or dilation, but "
                           f"got {got}")
    c_in, cg_out = weight.shape[:2]
    if c_in % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{list(weight.shape)}] "
                           "instead")
    shape = tuple(input.shape) if input.ndim == nd + 2 else (1,) + tuple(input.shape)
    if shape[1] != c_in:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(shape)} to have {c_in} channels, but got {shape[1]} "
                           "channels instead")
    _check_bias(weight, bias, cg_out * groups)
    _check_dtypes(input, weight, bias)
    kernel = tuple(weight.shape[2:])
    out_sp = tuple((i - 1) * s - 2 * p + d * (k - 1) + op + 1 for i, s, p, d, k, op in
                   zip(shape[2:], stride, padding, dilation, kernel, out_pad))
    if any(o <= 0 for o in out_sp):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, shape[2:]))}). "
                           f"Calculated output size per channel: "
                           f"({' x '.join(map(str, out_sp))}). Output size is too small")
    geom = Geometry(stride, padding, padding, dilation, groups)
    return ConvTranspose.apply(input, weight, bias, (cg_out * groups,) + out_sp, geom)


# ---- public functions ------------------------------------------------------------------------

def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution (cross-correlation) over an input of several channels.

    Args:
        input: ``(N, C_in, L)`` or unbatched ``(C_in, L)``.
        weight: ``(C_out, C_in / groups, k)``.
        bias: optional ``(C_out,)``.
        stride, padding, dilation: an int or a 1-tuple; ``padding`` may also be ``'same'`` or
            ``'valid'``.
        groups: split the channels into this many independent convolutions.

    Shape:
        Output ``(N, C_out, L_out)`` with
        ``L_out = (L + 2 * padding - dilation * (k - 1) - 1) // stride + 1``.

    Example:
        >>> import chainrule as torch
        >>> x = torch.ones(1, 1, 5)
        >>> torch.nn.functional.conv1d(x, torch.ones(1, 1, 3)).tolist()
        [[[3.0, 3.0, 3.0]]]
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation), computed as one GEMM over strided windows.

    Args:
        input: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.
        weight: ``(C_out, C_in / groups, kH, kW)``.
        bias: optional ``(C_out,)``.
        stride, padding, dilation: an int or a pair; ``padding`` may also be ``'same'`` (output
            as large as the input; stride 1 only) or ``'valid'`` (no padding).
        groups: split the channels into this many independent convolutions.

    Shape:
        Output ``(N, C_out, H_out, W_out)`` with
        ``H_out = (H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) // stride[0] + 1``.

    Example:
        >>> import chainrule as torch
        >>> x = torch.arange(16.).reshape(1, 1, 4, 4)
        >>> torch.nn.functional.conv2d(x, torch.ones(1, 1, 2, 2), stride=2).tolist()
        [[[[10.0, 18.0], [42.0, 50.0]]]]
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """3-D convolution over ``(N, C_in, D, H, W)`` (or unbatched) input.

    Args:
        input: ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)``.
        weight: ``(C_out, C_in / groups, kD, kH, kW)``.
        bias: optional ``(C_out,)``.
        stride, padding, dilation, groups: as in ``conv2d``, with triples.

    Shape:
        Output ``(N, C_out, D_out, H_out, W_out)``, each size as in ``conv2d``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.functional.conv3d(torch.ones(1, 1, 3, 3, 3), torch.ones(1, 1, 3, 3, 3)).item()
        27.0
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution (the gradient of ``conv1d`` with respect to its input).

    Args:
        input: ``(N, C_in, L)`` or ``(C_in, L)``.
        weight: ``(C_in, C_out / groups, k)``.
        bias: optional ``(C_out,)``.
        stride, padding, output_padding, groups, dilation: as in PyTorch.

    Shape:
        ``L_out = (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``.

    Example:
        >>> import chainrule as torch
        >>> y = torch.nn.functional.conv_transpose1d(torch.ones(1, 1, 2), torch.ones(1, 1, 2))
        >>> y.tolist()
        [[[1.0, 2.0, 1.0]]]
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 1, "conv_transpose1d")


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution ("deconvolution"): the adjoint of ``conv2d``.

    Args:
        input: ``(N, C_in, H, W)`` or ``(C_in, H, W)``.
        weight: ``(C_in, C_out / groups, kH, kW)``.
        bias: optional ``(C_out,)``.
        stride, padding, output_padding, groups, dilation: as in PyTorch;
            ``output_padding`` must be smaller than the stride or the dilation.

    Shape:
        ``H_out = (H - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kH - 1)
        + output_padding[0] + 1``, and likewise for the width.

    Example:
        >>> import chainrule as torch
        >>> x = torch.ones(1, 1, 2, 2)
        >>> torch.nn.functional.conv_transpose2d(x, torch.ones(1, 1, 2, 2), stride=2).shape
        torch.Size([1, 1, 4, 4])
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 2, "conv_transpose2d")


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """3-D transposed convolution.

    Args:
        input: ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)``.
        weight: ``(C_in, C_out / groups, kD, kH, kW)``.
        bias: optional ``(C_out,)``.
        stride, padding, output_padding, groups, dilation: as in ``conv_transpose2d``.

    Shape:
        Each spatial size as in ``conv_transpose2d``.

    Example:
        >>> import chainrule as torch
        >>> x = torch.ones(1, 1, 1, 1, 1)
        >>> torch.nn.functional.conv_transpose3d(x, torch.ones(1, 2, 2, 2, 2)).shape
        torch.Size([1, 2, 2, 2, 2])
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 3, "conv_transpose3d")
