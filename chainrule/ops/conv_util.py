"""Array kernels and argument checks shared by convolution, pooling and resampling.

Everything here works on raw arrays with ``D`` trailing spatial dimensions; the ops in
``conv.py``, ``conv_fold.py`` and ``pooling.py`` wrap them in differentiable ``Function``s.

The central trick is a strided *window view*: for a padded input ``xp`` of shape
``(N, C, *S)`` the view of shape ``(N, C, *k, *out)`` whose element
``[n, c, i.., o..]`` is ``xp[n, c, o*stride + i*dilation ..]`` costs no copy. Copying it once
gives the im2col matrix ``(N, C*prod(k), prod(out))`` that turns a convolution into one GEMM.
The inverse scatter (col2im) is a loop over the ``prod(k)`` kernel offsets, each one a strided
slice-add, which is much faster than ``np.add.at``.
"""

from __future__ import annotations

import itertools
import numbers

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._tensor import Tensor


def ntuple(value, n: int, name: str, fn: str = "convolution") -> tuple:
    """``value`` as an n-tuple of ints: an int is repeated, a sequence must have 1 or n items.

    ``fn`` names the calling function in the error message (``"convolution"`` for convs).
    """
    if isinstance(value, Tensor):
        value = value.tolist()
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),) * n
    if isinstance(value, (tuple, list)) and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value):
        if len(value) == n:
            return tuple(int(v) for v in value)
        if len(value) == 1:
            return (int(value[0]),) * n
    if fn != "convolution":  # pooling and fold functions word it as PyTorch's pooling does
        count = {1: "one", 2: "two", 3: "three"}.get(n, str(n))
        omitted = "omitted, " if name == "stride" else ""
        raise RuntimeError(f"{fn}: {name} must either be {omitted}a single int, or a tuple of "
                           f"{count} ints")
    shown = list(value) if isinstance(value, (tuple, list)) else value
    raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to "
                       f"match the convolution dimensions, but got {name}={shown}")


def offsets(kernel: tuple):
    """All kernel offsets ``(i, j, ..)`` in row-major order (the order of flat window indices)."""
    return itertools.product(*[range(k) for k in kernel])


def window_slices(offset: tuple, stride: tuple, dilation: tuple, out: tuple) -> tuple:
    """Slices of a padded input that the kernel element at ``offset`` visits, one per output."""
    return tuple(slice(o * d, o * d + s * (n - 1) + 1, s)
                 for o, s, d, n in zip(offset, stride, dilation, out))


def pad_array(x: np.ndarray, lo: tuple, hi: tuple, value=0) -> np.ndarray:
    """``x`` with its trailing ``len(lo)`` dimensions padded by ``lo``/``hi`` (``x`` if none)."""
    if not any(lo) and not any(hi):
        return x
    nd = len(lo)
    lead = x.shape[:x.ndim - nd]
    shape = lead + tuple(s + a + b for s, a, b in zip(x.shape[x.ndim - nd:], lo, hi))
    out = np.full(shape, value, dtype=x.dtype) if value != 0 else np.zeros(shape, x.dtype)
    out[(Ellipsis,) + tuple(slice(a, a + s) for a, s in zip(lo, x.shape[x.ndim - nd:]))] = x
    return out


def crop(x: np.ndarray, lo: tuple, size: tuple) -> np.ndarray:
    """The trailing-dimension window ``[lo, lo + size)`` of ``x`` (a view)."""
    if not any(lo) and x.shape[x.ndim - len(size):] == tuple(size):
        return x
    return x[(Ellipsis,) + tuple(slice(a, a + s) for a, s in zip(lo, size))]


def out_size(size: int, k: int, s: int, d: int, lo: int, hi: int) -> int:
    """Number of sliding positions of a dilated kernel over a padded length (floor mode)."""
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


def window_view(xp: np.ndarray, kernel: tuple, stride: tuple, dilation: tuple,
                out: tuple) -> np.ndarray:
    """The read-only ``(N, C, *kernel, *out)`` window view of ``xp`` (``(N, C, *S)``)."""
    st = xp.strides
    sp = st[2:]
    shape = xp.shape[:2] + tuple(kernel) + tuple(out)
    strides = st[:2] + tuple(a * d for a, d in zip(sp, dilation)) + tuple(
        a * s for a, s in zip(sp, stride))
    return as_strided(xp, shape, strides, writeable=False)


def im2col(xp: np.ndarray, kernel: tuple, stride: tuple, dilation: tuple,
           out: tuple) -> np.ndarray:
    """Copy the windows of a padded ``(N, C, *S)`` array into ``(N, C*prod(kernel), prod(out))``.

    Copying into a fresh buffer with ``np.copyto`` is markedly faster than ``reshape`` of the
    strided view, which goes through a slower generic path.
    """
    view = window_view(xp, kernel, stride, dilation, out)
    cols = np.empty(view.shape, dtype=xp.dtype)
    np.copyto(cols, view)
    return cols.reshape(xp.shape[0], -1, _prod(out))


def col2im(cols: np.ndarray, padded: tuple, kernel: tuple, stride: tuple,
           dilation: tuple) -> np.ndarray:
    """Scatter-add ``(N, C, *kernel, *out)`` columns back into a zero ``(N, C, *padded)`` array.

    One strided slice-add per kernel offset; positions covered by several windows sum.
    """
    nd = len(kernel)
    out = cols.shape[2 + nd:]
    res = np.zeros(cols.shape[:2] + tuple(padded), dtype=cols.dtype)
    lead = (slice(None), slice(None))
    for off in offsets(kernel):
        region = res[lead + window_slices(off, stride, dilation, out)]
        region += cols[lead + off]
    return res


def _prod(seq) -> int:
    n = 1
    for s in seq:
        n *= int(s)
    return n


prod = _prod


def check_float_like(x: Tensor, fn: str) -> None:
    """Raise PyTorch's error for bool inputs, which no conv/pool kernel accepts."""
    if x._data.dtype == np.bool_:
        raise RuntimeError(f"\"{fn}\" not implemented for 'Bool'")
