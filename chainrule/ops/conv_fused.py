"""Compiled col2im for 2-D convolutions' input gradient (optional, through ``chainrule._jit``).

The input gradient's GEMM yields, for every window offset, a block of columns that has to be
added into the input-shaped gradient at that offset. NumPy does it as one strided slice-add
per offset into a zeroed, padded accumulator, followed by a transposed (channel-major) and
cropped copy: for a 3x3 kernel that is a dozen passes over the gradient. This kernel makes one:
each output plane ``gx[n, c]`` is summed over the offsets while it sits in the cache, with the
padding skipped, and written once, in NCHW order. Planes are shared out between threads.
"""

from __future__ import annotations

import numpy as np

from .. import _jit

__all__ = ["applies", "col2im2d"]


def applies(gy: np.ndarray, nd: int) -> bool:
    """Whether the compiled col2im can serve this gradient (2 spatial dims, float32/float64,
    Numba available)."""
    return nd == 2 and gy.dtype in (np.float32, np.float64) and _jit.load() is not None


def _col2im_builder(prange):
    def col2im_kernel(cols, gx, start, sh, sw, ph, pw, dh, dw):
        groups, kh, kw, cg, n, oh, ow = cols.shape
        height, width = gx.shape[2], gx.shape[3]
        for p in prange(groups * cg * n):
            g = p // (cg * n)
            c = (p // n) % cg
            s = p % n
            plane = gx[start + s, g * cg + c]
            for h in range(height):
                for w in range(width):
                    plane[h, w] = 0
            for a in range(kh):
                for b in range(kw):
                    for i in range(oh):
                        h = i * sh - ph + a * dh
                        if 0 <= h < height:
                            for j in range(ow):
                                w = j * sw - pw + b * dw
                                if 0 <= w < width:
                                    plane[h, w] += cols[g, a, b, c, s, i, j]
    return col2im_kernel


def col2im2d(cols: np.ndarray, gx: np.ndarray, start: int, geom) -> None:
    """Write the planes ``gx[start:start + n]`` (``gx`` is ``(N, groups * Cg, H, W)``) from a
    chunk's columns ``cols`` laid out ``(groups, kh, kw, Cg, n, OH, OW)`` (any strides)."""
    stride, lo, _, dilation, _ = geom
    run = _jit.kernel_for("col2im2d", cols.size, _col2im_builder)
    run(cols, gx, start, *stride, *lo, *dilation)
