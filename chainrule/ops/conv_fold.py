"""``unfold`` (im2col) and ``fold`` (col2im): sliding local blocks to columns and back.

They are each other's adjoint, which makes each one's backward the other.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ._util import check_tensor
from .conv_util import col2im, crop, im2col, ntuple, out_size, pad_array, prod

__all__ = ["fold", "unfold"]


class Im2Col(Function):
    """``(N, C, H, W) -> (N, C * kH * kW, L)``: every sliding block as a column."""

    raw = True

    @staticmethod
    def forward(ctx, x, kernel, dilation, padding, stride):
        batched = x.ndim == 4
        xb = x if batched else x[None]
        blocks = tuple(out_size(s, k, st, d, p, p) for s, k, st, d, p in
                       zip(xb.shape[2:], kernel, stride, dilation, padding))
        ctx.args = (tuple(x.shape[-2:]), kernel, dilation, padding, stride)
        cols = im2col(pad_array(xb, padding, padding), kernel, stride, dilation, blocks)
        return cols if batched else cols[0]

    @staticmethod
    def backward(ctx, g):
        return (Col2Im.apply(g, *ctx.args),) + (None,) * 4


class Col2Im(Function):
    """``(N, C * kH * kW, L) -> (N, C, H, W)``: sum the columns back into their blocks."""

    raw = True

    @staticmethod
    def forward(ctx, cols, out_sp, kernel, dilation, padding, stride):
        batched = cols.ndim == 3
        cb = cols if batched else cols[None]
        ctx.args = (kernel, dilation, padding, stride)
        blocks = tuple(out_size(s, k, st, d, p, p) for s, k, st, d, p in
                       zip(out_sp, kernel, stride, dilation, padding))
        n, ck = cb.shape[:2]
        c = ck // prod(kernel)
        padded = tuple(s + 2 * p for s, p in zip(out_sp, padding))
        res = col2im(cb.reshape((n, c) + tuple(kernel) + blocks), padded, kernel, stride,
                     dilation)
        if any(padding):
            res = np.ascontiguousarray(crop(res, padding, out_sp))
        return res if batched else res[0]

    @staticmethod
    def backward(ctx, g):
        return (Im2Col.apply(g, *ctx.args),) + (None,) * 5


def _params(kernel_size, dilation, padding, stride, fn: str):
    kernel = ntuple(kernel_size, 2, "kernel_size", fn)
    dilation = ntuple(dilation, 2, "dilation", fn)
    padding = ntuple(padding, 2, "padding", fn)
    stride = ntuple(stride, 2, "stride", fn)
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: "
                           f"{kernel[0]} kernel_width: {kernel[1]}")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"stride should be greater than zero, but got dH: {stride[0]} "
                           f"dW: {stride[1]}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: "
                           f"{dilation[0]} dilation_width: {dilation[1]}")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {padding[0]} "
                           f"pad_width: {padding[1]}")
    return kernel, dilation, padding, stride


def _blocks(spatial, kernel, dilation, padding, stride) -> tuple:
    blocks = tuple(out_size(s, k, st, d, p, p) for s, k, st, d, p in
                   zip(spatial, kernel, stride, dilation, padding))
    if any(b < 1 for b in blocks):
        raise RuntimeError(f"Given input with spatial size {tuple(spatial)}, "
                           f"kernel_size={kernel}, dilation={dilation}, padding={padding}, "
                           "calculated shape of the array of sliding blocks as "
                           f"{blocks}, but its components must be at least one.")
    return blocks


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Extract sliding local blocks of a batched image into columns (im2col).

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``.
        kernel_size: block size.
        dilation: spacing between block elements.
        padding: implicit zero padding on both sides.
        stride: block step.

    Shape:
        ``(N, C * prod(kernel_size), L)`` where ``L`` is the number of blocks.

    Example:
        >>> import chainrule as torch
        >>> x = torch.arange(9.).reshape(1, 1, 3, 3)
        >>> torch.nn.functional.unfold(x, 2).tolist()
        [[[0.0, 1.0, 3.0, 4.0], [1.0, 2.0, 4.0, 5.0], [3.0, 4.0, 6.0, 7.0], [4.0, 5.0, 7.0, 8.0]]]
    """
    check_tensor(input, "unfold")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported "
                           f"(got {input.ndim}D)")
    kernel, dilation, padding, stride = _params(kernel_size, dilation, padding, stride,
                                                "unfold")
    _blocks(input.shape[-2:], kernel, dilation, padding, stride)
    return Im2Col.apply(input, kernel, dilation, padding, stride)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Combine columns of sliding blocks into an image, summing overlaps (col2im).

    Args:
        input: ``(N, C * prod(kernel_size), L)`` or ``(C * prod(kernel_size), L)``.
        output_size: the image's spatial size ``(H, W)``.
        kernel_size, dilation, padding, stride: as in ``unfold``.

    Shape:
        ``(N, C, H, W)``.

    Example:
        >>> import chainrule as torch
        >>> cols = torch.ones(1, 4, 4)
        >>> torch.nn.functional.fold(cols, (3, 3), 2)[0, 0].tolist()
        [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    check_tensor(input, "fold")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are "
                           f"supported (got {input.ndim}D)")
    out_sp = ntuple(output_size, 2, "output_size", "fold")
    kernel, dilation, padding, stride = _params(kernel_size, dilation, padding, stride, "fold")
    ck, length = input.shape[-2:]
    if ck % prod(kernel):
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={ck} and "
                           f"kernel_size={kernel}.")
    blocks = _blocks(out_sp, kernel, dilation, padding, stride)
    if prod(blocks) != length:
        raise RuntimeError(f"Given output_size={out_sp}, kernel_size={kernel}, "
                           f"dilation={dilation}, padding={padding}, stride={stride}, expected "
                           "size of input's dimension 2 to match the calculated number of "
                           f"sliding blocks {blocks[0]} * {blocks[1]} = {prod(blocks)}, but got "
                           f"input.size(2)={length}.")
    return Col2Im.apply(input, out_sp, kernel, dilation, padding, stride)
