"""Image transforms in the style of ``torchvision.transforms``, implemented with NumPy.

Images are NumPy arrays laid out like PIL images, (H, W) or (H, W, C) (MNIST samples are uint8
(28, 28) arrays), or tensors laid out (..., C, H, W); every transform returns the kind it was
given (``ToTensor`` excepted). Random transforms draw from chainrule's global generator, so
``chainrule.manual_seed`` (or, in ``DataLoader`` workers, the per-worker seed) makes them
reproducible. Tensors are transformed as data: nothing is recorded for autograd.

Example:
    >>> import numpy as np
    >>> t = Compose([ToTensor(), Normalize((0.5,), (0.5,))])
    >>> x = t(np.full((28, 28), 255, dtype=np.uint8))
    >>> x.shape, float(x._data.max())
    (torch.Size([1, 28, 28]), 1.0)
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import numpy as np

from .. import _dtypes
from .._tensor import Tensor
from ..random import numpy_rng
from ._functional import (
    InterpolationMode,
    _cast_like,
    _interp,
    _pad,
    _size_pair,
    _to_chw,
)
from ._geometry import ColorJitter, GaussianNoise, RandomAffine, RandomRotation

__all__ = [
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "GaussianNoise",
    "InterpolationMode",
    "Lambda",
    "Normalize",
    "Pad",
    "RandomAffine",
    "RandomApply",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomRotation",
    "RandomVerticalFlip",
    "Resize",
    "ToTensor",
    "batch_transform",
]


class Compose:
    """Apply transforms one after the other.

    Args:
        transforms: the callables, in order.

    Example:
        >>> Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])
        Compose(
            ToTensor()
            Normalize(mean=(0.1307,), std=(0.3081,))
        )
    """

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class ToTensor:
    """Convert a NumPy image (H, W) or (H, W, C) to a tensor (C, H, W).

    uint8 images are scaled to floats in [0, 1] (the default float dtype); other dtypes are
    converted without scaling, as torchvision does.

    Example:
        >>> import numpy as np
        >>> x = ToTensor()(np.full((28, 28), 51, dtype=np.uint8))
        >>> x.shape, x.dtype, round(float(x._data[0, 0, 0]), 6)
        (torch.Size([1, 28, 28]), torch.float32, 0.2)
    """

    def __call__(self, pic):
        if not isinstance(pic, np.ndarray):
            raise TypeError(f"pic should be a NumPy ndarray image (H, W) or (H, W, C). Got "
                            f"{type(pic)}")
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[None] if pic.ndim == 2 else pic.transpose(2, 0, 1)
        return Tensor._make(self._convert(arr))

    @staticmethod
    def _convert(arr: np.ndarray) -> np.ndarray:
        if arr.dtype == np.uint8:
            return arr.astype(_dtypes.get_default_dtype().np, order="C") / np.float32(255)
        return np.ascontiguousarray(arr)

    def _batch(self, imgs: np.ndarray) -> np.ndarray:
        arr = imgs[:, None] if imgs.ndim == 3 else imgs.transpose(0, 3, 1, 2)
        return self._convert(arr)

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """Normalize each channel: ``(x - mean[c]) / std[c]``.

    Args:
        mean: per-channel means (a sequence; one value for every channel also works).
        std: per-channel standard deviations.
        inplace: overwrite the input tensor's data.

    Example:
        >>> import chainrule
        >>> Normalize((0.5,), (0.25,))(chainrule.tensor([[[1.0, 0.5]]]))._data.tolist()
        [[[2.0, 0.0]]]
    """

    def __init__(self, mean, std, inplace: bool = False) -> None:
        self.mean, self.std, self.inplace = mean, std, inplace

    def _apply(self, x: np.ndarray, channel_axis: int, inplace: bool) -> np.ndarray:
        if x.dtype.kind != "f":
            raise TypeError(f"Input tensor should be a float tensor. Got "
                            f"{_dtypes.from_numpy_dtype(x.dtype)}.")
        mean = np.asarray(self.mean, dtype=x.dtype).reshape(-1)
        std = np.asarray(self.std, dtype=x.dtype).reshape(-1)
        if (std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to "
                             f"{_dtypes.from_numpy_dtype(x.dtype)}, leading to division by zero.")
        shape = [1] * x.ndim
        shape[channel_axis] = -1
        mean, std = mean.reshape(shape), std.reshape(shape)
        if inplace:
            np.subtract(x, mean, out=x)
            return np.divide(x, std, out=x)
        return (x - mean) / std

    def __call__(self, tensor):
        if isinstance(tensor, np.ndarray):  # HWC / HW image: channels last
            return self._apply(tensor, -1 if tensor.ndim == 3 else 0, self.inplace)
        if not isinstance(tensor, Tensor):
            raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
        if tensor.ndim < 3:
            raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got "
                             f"tensor.size() = {tuple(tensor.shape)}")
        out = self._apply(tensor._data, -3, self.inplace)
        if self.inplace:
            tensor._version.value += 1
            return tensor
        return Tensor._make(out)

    def _batch(self, x: np.ndarray) -> np.ndarray:
        return self._apply(x, -3, False)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Lambda:
    """Apply a user function as a transform.

    Example:
        >>> Lambda(lambda x: x + 1)(1)
        2
    """

    def __init__(self, lambd: Callable) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RandomApply:
    """Apply a list of transforms with probability ``p``.

    Example:
        >>> RandomApply([Lambda(lambda x: -x)], p=0.0)(3)
        3
    """

    def __init__(self, transforms: Sequence[Callable], p: float = 0.5) -> None:
        self.transforms, self.p = list(transforms), p

    def __call__(self, img):
        if self.p < numpy_rng().random():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}(\n    p={self.p}{body}\n)"


class Pad:
    """Pad the borders of an image.

    Args:
        padding: an int (all sides), (left/right, top/bottom) or (left, top, right, bottom).
        fill: the value for constant padding (a number or one per channel).
        padding_mode: ``'constant'``, ``'edge'``, ``'reflect'`` or ``'symmetric'``.

    Example:
        >>> import numpy as np
        >>> Pad(2)(np.ones((28, 28), np.uint8)).shape
        (32, 32)
    """

    def __init__(self, padding, fill=0, padding_mode: str = "constant") -> None:
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img):
        arr, back = _to_chw(img)
        return back(_pad(arr, self.padding, self.fill, self.padding_mode))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, "
                f"padding_mode={self.padding_mode})")


class RandomCrop:
    """Crop a random ``size`` window, after optional padding.

    Args:
        size: output (h, w), or an int for a square.
        padding: padding applied first (see ``Pad``).
        pad_if_needed: pad images smaller than ``size``.
        fill: constant padding value.
        padding_mode: see ``Pad``.

    Example:
        >>> import numpy as np
        >>> RandomCrop(28, padding=4)(np.zeros((28, 28), np.uint8)).shape
        (28, 28)
        >>> RandomCrop(28, padding=4)
        RandomCrop(size=(28, 28), padding=4)
    """

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant") -> None:
        self.size = _size_pair(size)
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    def __call__(self, img):
        arr, back = _to_chw(img)
        if self.padding is not None:
            arr = _pad(arr, self.padding, self.fill, self.padding_mode)
        th, tw = self.size
        h, w = arr.shape[-2:]
        if self.pad_if_needed and (h < th or w < tw):
            dh, dw = max(th - h, 0), max(tw - w, 0)
            arr = _pad(arr, (dw, dh), self.fill, self.padding_mode)
            h, w = arr.shape[-2:]
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(h, w)}")
        rng = numpy_rng()
        i = int(rng.integers(0, h - th + 1))
        j = int(rng.integers(0, w - tw + 1))
        return back(arr[..., i:i + th, j:j + tw])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class CenterCrop:
    """Crop the central ``size`` window (padding with zeros if the image is smaller).

    Example:
        >>> import numpy as np
        >>> CenterCrop(2)(np.arange(16).reshape(4, 4)).tolist()
        [[5, 6], [9, 10]]
    """

    def __init__(self, size) -> None:
        self.size = _size_pair(size)

    def __call__(self, img):
        arr, back = _to_chw(img)
        th, tw = self.size
        h, w = arr.shape[-2:]
        if th > h or tw > w:
            pad = ((tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0,
                   (tw - w + 1) // 2 if tw > w else 0, (th - h + 1) // 2 if th > h else 0)
            arr = _pad(arr, pad, 0)
            h, w = arr.shape[-2:]
        top, left = round((h - th) / 2.0), round((w - tw) / 2.0)
        return back(arr[..., top:top + th, left:left + tw])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class Resize:
    """Resize to ``size``: (h, w), or an int for the smaller edge (keeping the aspect ratio).

    Bilinear resampling uses pixel centres (``align_corners=False``) without antialiasing, so
    strong downscaling aliases where torchvision's antialiased resize would not.

    Args:
        size: target size.
        interpolation: ``'bilinear'`` (default) or ``'nearest'``.
        max_size: with an int ``size``, the longer edge's upper bound.
        antialias: accepted for compatibility.

    Example:
        >>> import numpy as np
        >>> Resize(14)(np.zeros((28, 56), np.uint8)).shape
        (14, 28)
    """

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR,
                 max_size: int | None = None, antialias: bool | None = True) -> None:
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = _interp(interpolation)

    def _out_size(self, h: int, w: int) -> tuple[int, int]:
        if not isinstance(self.size, numbers.Integral):
            return _size_pair(self.size)
        short, long = (h, w) if h <= w else (w, h)
        new_short, new_long = int(self.size), int(self.size * long / short)
        if self.max_size is not None and new_long > self.max_size:
            new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_short, new_long) if h <= w else (new_long, new_short)

    def __call__(self, img):
        arr, back = _to_chw(img)
        h, w = arr.shape[-2:]
        oh, ow = self._out_size(h, w)
        if self.interpolation is InterpolationMode.NEAREST:
            ys = np.minimum((np.arange(oh) * (h / oh)).astype(np.int64), h - 1)
            xs = np.minimum((np.arange(ow) * (w / ow)).astype(np.int64), w - 1)
            return back(arr[..., ys[:, None], xs[None, :]])
        sy = np.clip((np.arange(oh) + 0.5) * (h / oh) - 0.5, 0, h - 1)
        sx = np.clip((np.arange(ow) + 0.5) * (w / ow) - 0.5, 0, w - 1)
        y0, x0 = np.floor(sy).astype(np.int64), np.floor(sx).astype(np.int64)
        y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
        fy, fx = (sy - y0)[:, None], (sx - x0)[None, :]
        a = arr.astype(np.float64, copy=False)
        top = a[..., y0, :][..., x0] * (1 - fx) + a[..., y0, :][..., x1] * fx
        bot = a[..., y1, :][..., x0] * (1 - fx) + a[..., y1, :][..., x1] * fx
        return back(_cast_like(top * (1 - fy) + bot * fy, arr.dtype))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, interpolation="
                f"{self.interpolation.value}, max_size={self.max_size}, "
                f"antialias={self.antialias})")


class RandomHorizontalFlip:
    """Mirror the image left-right with probability ``p``.

    Example:
        >>> import numpy as np
        >>> RandomHorizontalFlip(p=1.0)(np.array([[1, 2, 3]])).tolist()
        [[3, 2, 1]]
    """

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img):
        if numpy_rng().random() < self.p:
            arr, back = _to_chw(img)
            return back(arr[..., ::-1])
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Flip the image upside down with probability ``p``.

    Example:
        >>> import numpy as np
        >>> RandomVerticalFlip(p=1.0)(np.array([[1], [2]])).tolist()
        [[2], [1]]
    """

    def __call__(self, img):
        if numpy_rng().random() < self.p:
            arr, back = _to_chw(img)
            return back(arr[..., ::-1, :])
        return img



def batch_transform(transform) -> Callable[[np.ndarray], Tensor] | None:
    """A function applying ``transform`` to a stack of NumPy images at once, or None.

    Only deterministic, per-pixel pipelines qualify: ``ToTensor()`` optionally followed by
    ``Normalize``. Datasets use this to build whole batches in one go; the result equals
    stacking the per-image results.

    Example:
        >>> import numpy as np
        >>> fn = batch_transform(Compose([ToTensor(), Normalize((0.5,), (0.5,))]))
        >>> fn(np.zeros((4, 28, 28), np.uint8)).shape
        torch.Size([4, 1, 28, 28])
        >>> batch_transform(RandomCrop(24)) is None
        True
    """
    steps = transform.transforms if type(transform) is Compose else [transform]
    if not steps or type(steps[0]) is not ToTensor or any(
            type(t) is not Normalize for t in steps[1:]):
        return None

    def apply(imgs: np.ndarray) -> Tensor:
        out = steps[0]._batch(imgs)
        for t in steps[1:]:
            out = t._batch(out)
        return Tensor._make(out)

    return apply
