"""Pooling layers on channels-last input: ``MaxPooling2D``, ``AveragePooling2D``, their 1-D
versions and the global poolings.

Windows run through chainrule's ``max_pool*``/``avg_pool*`` on a channels-first view.
``padding='same'`` pads like Keras: ``-inf`` for max pooling, and average pooling divides by
the number of real (unpadded) values in each window.
"""

from __future__ import annotations

import numpy as np

from ..._tensor import Tensor
from ...nn import functional as F
from .base import InputSpec, Layer
from .conv import conv_output_length, normalize_padding, normalize_tuple, same_padding
from .core import _as_float

__all__ = ["AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D",
           "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
           "MaxPooling1D", "MaxPooling2D"]


class _Pool(Layer):
    rank = 2
    mode = "max"

    def __init__(self, pool_size=2, strides=None, padding: str = "valid", data_format=None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        r = self.rank
        self.pool_size = normalize_tuple(pool_size, r, "pool_size")
        self.strides = normalize_tuple(strides, r, "strides") if strides is not None \
            else self.pool_size
        self.padding = normalize_padding(padding)
        self.data_format = data_format or "channels_last"
        self.input_spec = InputSpec(ndim=r + 2)
        self.__dict__["_divisors"] = {}

    def call(self, inputs):
        r = self.rank
        x = _as_float(inputs)
        last = self.data_format == "channels_last"
        if last:
            x = x.permute(0, r + 1, *range(1, r + 1))
        spatial = tuple(x.shape[2:])
        scale = None
        if self.padding == "same":
            amounts = [same_padding(n, k, s) for n, k, s in
                       zip(spatial, self.pool_size, self.strides)]
            if any(a or b for a, b in amounts):
                flat = []
                for a, b in reversed(amounts):
                    flat += [a, b]
                x = F.pad(x, tuple(flat), value=-np.inf if self.mode == "max" else 0.0)
                if self.mode == "avg":
                    scale = self._divisor(spatial, amounts)
        if self.mode == "max":
            pool = F.max_pool2d if r == 2 else F.max_pool1d
        else:
            pool = F.avg_pool2d if r == 2 else F.avg_pool1d
        y = pool(x, self.pool_size, self.strides)
        if scale is not None:
            y = y * scale
        if last:
            y = y.permute(0, *range(2, r + 2), 1)
        return y

    def _divisor(self, spatial, amounts) -> Tensor:
        """``window_size / real_values_in_window`` for each output position (cached)."""
        key = (spatial, tuple(amounts))
        cached = self._divisors.get(key)
        if cached is None:
            counts = np.ones((1,) * (2 + self.rank), dtype=np.float64)
            for axis, (n, (a, b), k, s) in enumerate(zip(spatial, amounts, self.pool_size,
                                                          self.strides)):
                valid = np.concatenate([np.zeros(a), np.ones(n), np.zeros(b)])
                starts = np.arange(0, len(valid) - k + 1, s)
                per_axis = np.array([valid[i:i + k].sum() for i in starts]) / k
                shape = [1] * (2 + self.rank)
                shape[2 + axis] = len(per_axis)
                counts = counts * per_axis.reshape(shape)
            cached = Tensor._make((1.0 / counts).astype(np.float32))
            self._divisors[key] = cached
        return cached

    def compute_output_shape(self, input_shape):
        last = self.data_format == "channels_last"
        spatial = input_shape[1:-1] if last else input_shape[2:]
        out = tuple(conv_output_length(n, k, self.padding, s) for n, k, s in
                    zip(spatial, self.pool_size, self.strides))
        if last:
            return (input_shape[0],) + out + (input_shape[-1],)
        return (input_shape[0], input_shape[1]) + out

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size),
                "strides": list(self.strides), "padding": self.padding,
                "data_format": self.data_format}


class MaxPooling2D(_Pool):
    """Max over ``pool_size`` windows of channels-last images ``(N, H, W, C)``.

    Args:
        pool_size: an int or ``(ph, pw)`` (default 2).
        strides: an int or a pair (default ``pool_size``).
        padding: ``'valid'`` or ``'same'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.MaxPooling2D(2)(np.zeros((1, 26, 26, 32))).shape
        torch.Size([1, 13, 13, 32])
    """

    rank, mode = 2, "max"


class AveragePooling2D(_Pool):
    """Mean over ``pool_size`` windows of channels-last images (see ``MaxPooling2D``).

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.AveragePooling2D(2, padding="same")(np.ones((1, 3, 3, 1))).shape
        torch.Size([1, 2, 2, 1])
    """

    rank, mode = 2, "avg"


class MaxPooling1D(_Pool):
    """Max over windows of channels-last sequences ``(N, steps, C)``.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.MaxPooling1D(2)(np.zeros((1, 10, 3))).shape
        torch.Size([1, 5, 3])
    """

    rank, mode = 1, "max"


class AveragePooling1D(_Pool):
    """Mean over windows of channels-last sequences ``(N, steps, C)``.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.AveragePooling1D(2)(np.zeros((1, 10, 3))).shape
        torch.Size([1, 5, 3])
    """

    rank, mode = 1, "avg"


class _GlobalPool(Layer):
    rank = 2
    mode = "avg"

    def __init__(self, data_format=None, keepdims: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.data_format = data_format or "channels_last"
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _axes(self) -> tuple:
        r = self.rank
        return tuple(range(1, r + 1)) if self.data_format == "channels_last" else \
            tuple(range(2, r + 2))

    def call(self, inputs):
        x = _as_float(inputs)
        axes = self._axes()
        if self.mode == "avg":
            return x.mean(dim=axes, keepdim=self.keepdims)
        return x.amax(dim=axes, keepdim=self.keepdims)

    def compute_output_shape(self, input_shape):
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format,
                "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPool):
    """Mean over the spatial axes: ``(N, H, W, C)`` → ``(N, C)``.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: keep the spatial axes with size 1.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.GlobalAveragePooling2D()(np.ones((2, 5, 5, 8))).shape
        torch.Size([2, 8])
    """

    rank, mode = 2, "avg"


class GlobalMaxPooling2D(_GlobalPool):
    """Max over the spatial axes: ``(N, H, W, C)`` → ``(N, C)``.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.GlobalMaxPooling2D()(np.ones((2, 5, 5, 8))).shape
        torch.Size([2, 8])
    """

    rank, mode = 2, "max"


class GlobalAveragePooling1D(_GlobalPool):
    """Mean over the steps axis: ``(N, steps, C)`` → ``(N, C)``.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.GlobalAveragePooling1D()(np.ones((2, 7, 4))).shape
        torch.Size([2, 4])
    """

    rank, mode = 1, "avg"


class GlobalMaxPooling1D(_GlobalPool):
    """Max over the steps axis: ``(N, steps, C)`` → ``(N, C)``.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.GlobalMaxPooling1D()(np.ones((2, 7, 4))).shape
        torch.Size([2, 4])
    """

    rank, mode = 1, "max"
