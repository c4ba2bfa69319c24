"""Resampling and colour transforms: rotation, affine warps, Gaussian noise, colour jitter."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

from ..random import numpy_rng
from ._functional import InterpolationMode, _cast_like, _fill_array, _interp, _to_chw

__all__ = ["ColorJitter", "GaussianNoise", "RandomAffine", "RandomRotation"]


def _inverse_affine(center, angle: float, translate, scale: float, shear) -> np.ndarray:
    """torchvision's inverse affine matrix (2x3): output → input coordinates, centred.

    The forward map is ``T · C · R·S·Sh · C⁻¹`` with ``angle`` clockwise in degrees (image y
    axis pointing down); its inverse is what resampling needs.
    """
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
    m[2] += cx
    m[5] += cy
    return np.array(m).reshape(2, 3)


def _warp(arr: np.ndarray, matrix: np.ndarray, out_hw: tuple[int, int],
          interpolation: InterpolationMode, fill) -> np.ndarray:
    """Resample ``arr`` (..., H, W): output pixel p takes the input at ``matrix · (p - oc)
    + ic`` in coordinates centred on the output (oc) and input (ic) image centres."""
    h, w = arr.shape[-2:]
    oh, ow = out_hw
    ys, xs = np.mgrid[0:oh, 0:ow].astype(np.float64)
    xs -= (ow - 1) / 2
    ys -= (oh - 1) / 2
    src_x = matrix[0, 0] * xs + matrix[0, 1] * ys + matrix[0, 2] + (w - 1) / 2
    src_y = matrix[1, 0] * xs + matrix[1, 1] * ys + matrix[1, 2] + (h - 1) / 2
    fill_value = _fill_array(fill, arr if arr.ndim >= 3 else arr[None])

    def gather(ix, iy):
        valid = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        vals = arr[..., np.clip(iy, 0, h - 1), np.clip(ix, 0, w - 1)]
        return np.where(valid, vals, fill_value)

    if interpolation is InterpolationMode.NEAREST:
        out = gather(np.floor(src_x + 0.5).astype(np.int64),
                     np.floor(src_y + 0.5).astype(np.int64))
    else:
        x0f, y0f = np.floor(src_x), np.floor(src_y)
        fx, fy = src_x - x0f, src_y - y0f
        x0, y0 = x0f.astype(np.int64), y0f.astype(np.int64)
        out = ((gather(x0, y0) * (1 - fx) + gather(x0 + 1, y0) * fx) * (1 - fy)
               + (gather(x0, y0 + 1) * (1 - fx) + gather(x0 + 1, y0 + 1) * fx) * fy)
    return _cast_like(np.asarray(out, dtype=np.float64), arr.dtype) \
        if arr.dtype.kind != "f" else out.astype(arr.dtype, copy=False)


def _setup_angle(x, name: str) -> list[float]:
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        x = [-x, x]
    elif not isinstance(x, Sequence) or len(x) != 2:
        raise ValueError(f"If {name} is a sequence, it must be of len 2.")
    return [float(d) for d in x]


def _center(center, h: int, w: int) -> list[float]:
    if center is None:
        return [0.0, 0.0]
    return [float(center[0]) - (w - 1) / 2, float(center[1]) - (h - 1) / 2]


class RandomRotation:
    """Rotate by a random angle in ``degrees`` (counter-clockwise, as torchvision).

    Args:
        degrees: a number d (the range [-d, d]) or a (min, max) pair.
        interpolation: ``'nearest'`` (default) or ``'bilinear'``.
        expand: enlarge the output to hold the whole rotated image.
        center: the rotation centre (x, y) in pixels (default: the image centre).
        fill: value for pixels outside the input (a number or one per channel).

    Example:
        >>> import numpy as np
        >>> img = np.zeros((3, 3), np.uint8); img[0, 1] = 9
        >>> RandomRotation((90, 90))(img).tolist()  # the top pixel moves left
        [[0, 0, 0], [9, 0, 0], [0, 0, 0]]
        >>> RandomRotation(10)
        RandomRotation(degrees=[-10.0, 10.0], interpolation=nearest, expand=False, fill=0)
    """

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand: bool = False,
                 center=None, fill=0) -> None:
        self.degrees = _setup_angle(degrees, "degrees")
        self.interpolation = _interp(interpolation)
        self.expand, self.center, self.fill = expand, center, fill

    def __call__(self, img):
        angle = float(numpy_rng().uniform(self.degrees[0], self.degrees[1]))
        arr, back = _to_chw(img)
        h, w = arr.shape[-2:]
        matrix = _inverse_affine(_center(self.center, h, w), -angle, (0.0, 0.0), 1.0,
                                 (0.0, 0.0))
        out_hw = (h, w)
        if self.expand:
            rad = math.radians(angle)
            cos, sin = abs(math.cos(rad)), abs(math.sin(rad))
            out_hw = (math.ceil(h * cos + w * sin - 1e-7), math.ceil(w * cos + h * sin - 1e-7))
        return back(_warp(arr, matrix, out_hw, self.interpolation, self.fill))

    def __repr__(self) -> str:
        s = (f"{type(self).__name__}(degrees={self.degrees}, "
             f"interpolation={self.interpolation.value}, expand={self.expand}")
        if self.center is not None:
            s += f", center={self.center}"
        if self.fill is not None:
            s += f", fill={self.fill}"
        return s + ")"


class RandomAffine:
    """A random affine warp: rotation, translation, scale and shear (torchvision's ranges).

    Args:
        degrees: rotation range (a number d gives [-d, d]; clockwise, as ``F.affine``).
        translate: (a, b): horizontal shift in ±a·width, vertical in ±b·height (pixels,
            rounded).
        scale: (min, max) scale factor.
        shear: x-shear range in degrees (a number s gives [-s, s]), or 4 values for x and y.
        interpolation: ``'nearest'`` (default) or ``'bilinear'``.
        fill: value for pixels outside the input.
        center: the centre (x, y) in pixels (default: the image centre).

    Example:
        >>> import numpy as np
        >>> RandomAffine(0, translate=(0.1, 0.1))(np.zeros((28, 28), np.uint8)).shape
        (28, 28)
        >>> RandomAffine(15, translate=(0.1, 0.1), scale=(0.9, 1.1))
        RandomAffine(degrees=[-15.0, 15.0], translate=(0.1, 0.1), scale=(0.9, 1.1))
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None) -> None:
        self.degrees = _setup_angle(degrees, "degrees")
        if translate is not None:
            if not isinstance(translate, Sequence) or len(translate) != 2:
                raise ValueError("translate should be a sequence of length 2.")
            if any(not 0.0 <= t <= 1.0 for t in translate):
                raise ValueError("translation values should be between 0 and 1")
        if scale is not None:
            if not isinstance(scale, Sequence) or len(scale) != 2:
                raise ValueError("scale should be a sequence of length 2.")
            if any(s <= 0 for s in scale):
                raise ValueError("scale values should be positive")
        if shear is not None:
            if isinstance(shear, numbers.Number):
                shear = _setup_angle(shear, "shear")
            elif not isinstance(shear, Sequence) or len(shear) not in (2, 4):
                raise ValueError("shear should be a number or a sequence of length 2 or 4.")
            else:
                shear = [float(s) for s in shear]
        self.translate, self.scale, self.shear = translate, scale, shear
        self.interpolation = _interp(interpolation)
        self.fill, self.center = fill, center

    def __call__(self, img):
        arr, back = _to_chw(img)
        h, w = arr.shape[-2:]
        rng = numpy_rng()
        angle = float(rng.uniform(self.degrees[0], self.degrees[1]))
        tx = ty = 0
        if self.translate is not None:
            max_dx, max_dy = self.translate[0] * w, self.translate[1] * h
            tx = round(float(rng.uniform(-max_dx, max_dx)))
            ty = round(float(rng.uniform(-max_dy, max_dy)))
        scale = 1.0 if self.scale is None else float(rng.uniform(self.scale[0], self.scale[1]))
        shear = [0.0, 0.0]
        if self.shear is not None:
            shear[0] = float(rng.uniform(self.shear[0], self.shear[1]))
            if len(self.shear) == 4:
                shear[1] = float(rng.uniform(self.shear[2], self.shear[3]))
        matrix = _inverse_affine(_center(self.center, h, w), angle, (tx, ty), scale, shear)
        return back(_warp(arr, matrix, (h, w), self.interpolation, self.fill))

    def __repr__(self) -> str:
        s = f"{type(self).__name__}(degrees={self.degrees}"
        s += f", translate={self.translate}" if self.translate is not None else ""
        s += f", scale={self.scale}" if self.scale is not None else ""
        s += f", shear={self.shear}" if self.shear is not None else ""
        if self.interpolation is not InterpolationMode.NEAREST:
            s += f", interpolation={self.interpolation.value}"
        s += f", fill={self.fill}" if self.fill != 0 else ""
        s += f", center={self.center}" if self.center is not None else ""
        return s + ")"


class GaussianNoise:
    """Add Gaussian noise ``N(mean, sigma²)`` to an image.

    Float images are taken to lie in [0, 1] (clipped there when ``clip``); for uint8 images
    ``mean`` and ``sigma`` are in the same [0, 1] units (scaled by 255) and the result is
    rounded and clipped to [0, 255].

    Args:
        mean: mean of the noise.
        sigma: standard deviation of the noise.
        clip: clip the result to the valid range.

    Example:
        >>> import chainrule
        >>> x = GaussianNoise(sigma=0.5)(chainrule.tensor([[[0.5, 0.5]]]))
        >>> bool((x._data >= 0).all() and (x._data <= 1).all())
        True
    """

    def __init__(self, mean: float = 0.0, sigma: float = 0.1, clip: bool = True) -> None:
        if sigma < 0:
            raise ValueError(f"sigma shouldn't be negative. Got {sigma}")
        self.mean, self.sigma, self.clip = mean, sigma, clip

    def __call__(self, img):
        arr, back = _to_chw(img)
        noise = numpy_rng().normal(self.mean, self.sigma, size=arr.shape)
        if arr.dtype.kind == "f":
            out = arr + noise.astype(arr.dtype)
            return back(np.clip(out, 0, 1) if self.clip else out)
        out = arr + 255.0 * noise
        if self.clip:
            out = np.clip(out, 0, 255)
        return back(_cast_like(out, arr.dtype))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, sigma={self.sigma}, clip={self.clip})"


def _check_jitter(value, name: str, center: float = 1.0, bound=(0.0, float("inf")),
                  clip_first_on_zero: bool = True):
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be non negative.")
        value = [center - float(value), center + float(value)]
        if clip_first_on_zero:
            value[0] = max(value[0], 0.0)
    elif isinstance(value, Sequence) and len(value) == 2:
        value = [float(value[0]), float(value[1])]
    else:
        raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        raise ValueError(f"{name} values should be between {bound}, but got {value}.")
    return None if value[0] == value[1] == center else tuple(value)


def _gray(a: np.ndarray) -> np.ndarray:
    """Luma (torchvision's weights) of (..., 3, H, W), keeping a channel axis of 1."""
    return (0.2989 * a[..., 0:1, :, :] + 0.587 * a[..., 1:2, :, :]
            + 0.114 * a[..., 2:3, :, :])


def _rgb_hue_shift(a: np.ndarray, shift: float) -> np.ndarray:
    """Rotate the hue of RGB floats in [0, 1] (..., 3, H, W) by ``shift`` turns."""
    r, g, b = a[..., 0, :, :], a[..., 1, :, :], a[..., 2, :, :]
    maxc, minc = a.max(axis=-3), a.min(axis=-3)
    v, delta = maxc, maxc - minc
    s = np.where(maxc > 0, delta / np.where(maxc > 0, maxc, 1), 0)
    dz = np.where(delta > 0, delta, 1)
    h = np.where(maxc == r, (g - b) / dz, np.where(maxc == g, 2 + (b - r) / dz, 4 + (r - g) / dz))
    h = np.where(delta > 0, (h / 6.0) % 1.0, 0.0)
    h = (h + shift) % 1.0
    i = np.floor(h * 6) % 6
    f = h * 6 - np.floor(h * 6)
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = [np.select([i == k for k in range(6)], [c[ch] for c in choices]) for ch in range(3)]
    return np.stack(out, axis=-3)


class ColorJitter:
    """Randomly change brightness, contrast, saturation and hue, in a random order.

    Args:
        brightness: factor range [max(0, 1-b), 1+b] for a number b, or (min, max).
        contrast: same, blending with the mean grey level.
        saturation: same, blending with the greyscale image (3-channel images only).
        hue: shift range [-h, h] in turns (0 <= h <= 0.5; 3-channel images only).

    Example:
        >>> import chainrule
        >>> x = ColorJitter(brightness=0.5, contrast=0.5)(chainrule.tensor([[[0.2, 0.8]]]))
        >>> x.shape
        torch.Size([1, 1, 2])
        >>> ColorJitter(brightness=0.5)
        ColorJitter(brightness=(0.5, 1.5), contrast=None, saturation=None, hue=None)
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0) -> None:
        self.brightness = _check_jitter(brightness, "brightness")
        self.contrast = _check_jitter(contrast, "contrast")
        self.saturation = _check_jitter(saturation, "saturation")
        self.hue = _check_jitter(hue, "hue", center=0, bound=(-0.5, 0.5),
                                 clip_first_on_zero=False)

    def __call__(self, img):
        arr, back = _to_chw(img)
        bound = float(np.iinfo(arr.dtype).max) if arr.dtype.kind in "iu" else 1.0
        x = arr.astype(np.float64)
        rng = numpy_rng()
        for fn_id in rng.permutation(4).tolist():
            rng_range = (self.brightness, self.contrast, self.saturation, self.hue)[fn_id]
            if rng_range is None:
                continue
            factor = float(rng.uniform(rng_range[0], rng_range[1]))
            if fn_id == 0:
                x = np.clip(x * factor, 0, bound)
            elif fn_id == 1:
                gray = _gray(x) if x.shape[-3] == 3 else x
                if arr.dtype.kind in "iu":
                    gray = np.floor(gray)
                mean = gray.mean(axis=(-3, -2, -1), keepdims=True)
                x = np.clip(factor * x + (1 - factor) * mean, 0, bound)
            elif x.shape[-3] == 3 and fn_id == 2:
                gray = _gray(x)
                x = np.clip(factor * x + (1 - factor) * gray, 0, bound)
            elif x.shape[-3] == 3 and fn_id == 3:
                x = _rgb_hue_shift(x / bound, factor) * bound
            if arr.dtype.kind in "iu":
                x = np.floor(x)  # torchvision truncates back to the integer dtype each step
        return back(x.astype(arr.dtype))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast},"
                f" saturation={self.saturation}, hue={self.hue})")
