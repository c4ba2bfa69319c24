"""Helpers shared by the transforms: image layout, padding, resampling, casting."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from enum import Enum

import numpy as np

from .._tensor import Tensor


class InterpolationMode(Enum):
    """How resampling transforms compute pixel values."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"


def _interp(mode) -> InterpolationMode:
    try:
        return InterpolationMode(mode.value if isinstance(mode, Enum) else mode)
    except ValueError:
        raise ValueError(f"interpolation must be 'nearest' or 'bilinear', received "
                         f"{mode!r}") from None


def _to_chw(img):
    """The image as an array (..., C, H, W) and a function turning such an array back."""
    if isinstance(img, Tensor):
        data = img._data
        if data.ndim < 2:
            raise ValueError(f"Expected a tensor image of shape (..., H, W), got shape "
                             f"{tuple(data.shape)}")
        if data.ndim == 2:
            return data[None], lambda a: Tensor._make(np.ascontiguousarray(a[0]))
        return data, lambda a: Tensor._make(np.ascontiguousarray(a))
    if isinstance(img, np.ndarray):
        if img.ndim == 2:
            return img[None], lambda a: np.ascontiguousarray(a[0])
        if img.ndim == 3:
            return img.transpose(2, 0, 1), lambda a: np.ascontiguousarray(a.transpose(1, 2, 0))
        raise ValueError(f"Expected a NumPy image of shape (H, W) or (H, W, C), got shape "
                         f"{img.shape}")
    raise TypeError(f"img should be a NumPy array (H, W[, C]) or a tensor (..., C, H, W). Got "
                    f"{type(img)}")


def _max_value(dtype) -> float:
    return float(np.iinfo(dtype).max) if dtype.kind in "iu" else 1.0


def _cast_like(values: np.ndarray, dtype) -> np.ndarray:
    """Float results back to the image dtype (integers are rounded and clipped)."""
    if dtype.kind in "iub":
        info = np.iinfo(dtype) if dtype.kind != "b" else None
        values = np.rint(values)
        if info is not None:
            values = np.clip(values, info.min, info.max)
    return values.astype(dtype, copy=False)


def _size_pair(size, name: str = "size") -> tuple[int, int]:
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) in (1, 2):
        return (int(size[0]), int(size[0])) if len(size) == 1 else (int(size[0]), int(size[1]))
    raise ValueError(f"{name} should be an int or a sequence of 1 or 2 ints, received {size!r}")


def _pad(arr: np.ndarray, padding, fill=0, mode: str = "constant") -> np.ndarray:
    """Pad the last two dims; ``padding`` is an int, (left/right, top/bottom) or (l, t, r, b)."""
    if isinstance(padding, numbers.Integral):
        left = top = right = bottom = int(padding)
    elif len(padding) == 1:
        left = top = right = bottom = int(padding[0])
    elif len(padding) == 2:
        left = right = int(padding[0])
        top = bottom = int(padding[1])
    elif len(padding) == 4:
        left, top, right, bottom = (int(p) for p in padding)
    else:
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if mode == "constant":
        h, w = arr.shape[-2:]
        out = np.empty(arr.shape[:-2] + (h + top + bottom, w + left + right), arr.dtype)
        out[...] = _fill_array(fill, arr)
        out[..., top:top + h, left:left + w] = arr
        return out
    if mode not in ("edge", "reflect", "symmetric"):
        raise ValueError(f"padding_mode should be constant, edge, reflect or symmetric, "
                         f"received {mode!r}")
    widths = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
    return np.pad(arr, widths, mode=mode)


def _fill_array(fill, arr: np.ndarray):
    """``fill`` broadcastable against (..., C, H, W): a scalar, or one value per channel."""
    if fill is None:
        fill = 0
    if isinstance(fill, numbers.Number):
        return fill
    f = np.asarray(fill, dtype=np.float64).reshape(-1, 1, 1)
    if f.shape[0] not in (1, arr.shape[-3]):
        raise ValueError(f"fill has {f.shape[0]} values but the image has {arr.shape[-3]} "
                         "channels")
    return f
