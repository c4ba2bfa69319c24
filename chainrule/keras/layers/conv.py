"""Convolution layers on channels-last input: ``Conv2D`` and ``Conv1D``.

Keras lays images out as ``(N, H, W, C)`` and kernels as ``(kh, kw, in, out)``; chainrule's
``conv2d`` works on ``(N, C, H, W)`` with ``(out, in, kh, kw)`` weights. The layers permute both
(views, no copies) around one ``nn.functional.conv2d`` call. The output permutation back to
channels-last is also a view, so a following pooling layer's permutation to channels-first
lands on contiguous memory again. ``padding='same'`` follows Keras/TensorFlow: the output
has ``ceil(n / stride)`` positions and an odd padding puts the extra row/column at the end.
"""

from __future__ import annotations

from ...nn import functional as F
from .. import activations, initializers, regularizers
from .base import InputSpec, Layer
from .core import _Activated, _as_float

__all__ = ["Conv1D", "Conv2D", "conv_output_length", "normalize_tuple", "same_padding"]


def normalize_tuple(value, n: int, name: str) -> tuple:
    """``value`` (an int or an ``n``-sequence of ints) as an ``n``-tuple of positive ints.

    Example:
        >>> normalize_tuple(3, 2, "kernel_size")
        (3, 3)
    """
    if isinstance(value, int):
        out = (value,) * n
    else:
        out = tuple(int(v) for v in value)
        if len(out) != n:
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. "
                             f"Received {name}={value}")
    if any(v <= 0 for v in out):
        raise ValueError(f"The `{name}` argument must be a tuple of {n} positive integers. "
                         f"Received {name}={value}")
    return out


def normalize_padding(padding: str) -> str:
    """``'valid'`` or ``'same'`` (case-insensitive), else a Keras-style error.

    Example:
        >>> normalize_padding("SAME")
        'same'
    """
    p = str(padding).lower()
    if p not in ("valid", "same"):
        raise ValueError(f"The `padding` argument must be a string in {{'valid', 'same'}}. "
                         f"Received: padding={padding}")
    return p


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """``(before, after)`` padding of Keras's ``'same'`` mode for one spatial axis.

    Example:
        >>> same_padding(8, 3, 2)  # an odd total puts the extra row at the end
        (0, 1)
    """
    out = -(-size // stride)
    extent = (kernel - 1) * dilation + 1
    total = max((out - 1) * stride + extent - size, 0)
    return total // 2, total - total // 2


def conv_output_length(size, kernel: int, padding: str, stride: int, dilation: int = 1):
    """Output length of one spatial axis (None stays None).

    Example:
        >>> conv_output_length(28, 3, "valid", 1), conv_output_length(28, 3, "same", 2)
        (26, 14)
    """
    if size is None:
        return None
    if padding == "same":
        return -(-size // stride)
    extent = (kernel - 1) * dilation + 1
    return max((size - extent) // stride + 1, 0)


class _Conv(_Activated, Layer):
    """Shared machinery of ``Conv1D``/``Conv2D`` (``rank`` spatial axes)."""

    rank = 2

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid",
                 data_format=None, dilation_rate=1, groups: int = 1, activation=None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        r = self.rank
        self.filters = int(filters)
        if self.filters <= 0:
            raise ValueError(f"Invalid value for argument `filters`. Expected a strictly "
                             f"positive value. Received filters={filters}.")
        self.kernel_size = normalize_tuple(kernel_size, r, "kernel_size")
        self.strides = normalize_tuple(strides, r, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, r, "dilation_rate")
        self.padding = normalize_padding(padding)
        self.data_format = data_format or "channels_last"
        if self.data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"The `data_format` argument must be one of 'channels_first', "
                             f"'channels_last'. Received: data_format={data_format}")
        self.groups = int(groups)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.input_spec = InputSpec(min_ndim=r + 2)

    @property
    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def build(self, input_shape) -> None:
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(f"The channel dimension of the inputs should be defined. The "
                             f"input_shape received is {input_shape}")
        if channels % self.groups or self.filters % self.groups:
            raise ValueError(f"The number of input channels ({channels}) and filters "
                             f"({self.filters}) must both be divisible by groups "
                             f"({self.groups}).")
        shape = self.kernel_size + (channels // self.groups, self.filters)
        self.kernel = self.add_weight(shape=shape, name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.filters,), name="bias",
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={self._channel_axis: channels})
        self.built = True

    def call(self, inputs):
        r = self.rank
        x = _as_float(inputs)
        last = self.data_format == "channels_last"
        if last:
            x = x.permute(0, r + 1, *range(1, r + 1))
        spatial = tuple(x.shape[2:])
        pads = [0] * r
        if self.padding == "same":
            amounts = [same_padding(n, k, s, d) for n, k, s, d in
                       zip(spatial, self.kernel_size, self.strides, self.dilation_rate)]
            if all(a == b for a, b in amounts):
                pads = [a for a, _ in amounts]
            else:
                flat = []
                for a, b in reversed(amounts):
                    flat += [a, b]
                x = F.pad(x, tuple(flat))
        # kernel (k..., in, out) -> (out, in, k...)
        w = self.kernel.permute(r + 1, r, *range(r))
        bias = self.bias if self.use_bias else None
        conv = F.conv2d if r == 2 else F.conv1d
        y = conv(x, w, bias, self.strides, tuple(pads), self.dilation_rate, self.groups)
        if last:
            y = y.permute(0, *range(2, r + 2), 1)
        out = self._activate(y)
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(out) / max(out.shape[0], 1))
        return out

    def compute_output_shape(self, input_shape):
        last = self.data_format == "channels_last"
        spatial = input_shape[1:-1] if last else input_shape[2:]
        out = tuple(conv_output_length(n, k, self.padding, s, d) for n, k, s, d in
                    zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        if last:
            return (input_shape[0],) + out + (self.filters,)
        return (input_shape[0], self.filters) + out

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=list(self.kernel_size),
                      strides=list(self.strides), padding=self.padding,
                      data_format=self.data_format, dilation_rate=list(self.dilation_rate),
                      groups=self.groups, activation=activations.serialize(self.activation),
                      use_bias=self.use_bias,
                      kernel_initializer=initializers.serialize(self.kernel_initializer),
                      bias_initializer=initializers.serialize(self.bias_initializer),
                      kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                      bias_regularizer=regularizers.serialize(self.bias_regularizer))
        return config


class Conv2D(_Conv):
    """2-D convolution over channels-last images ``(N, H, W, C)``.

    Args:
        filters: number of output channels.
        kernel_size: an int or ``(kh, kw)``.
        strides: an int or ``(sh, sw)`` (default 1).
        padding: ``'valid'`` (no padding) or ``'same'`` (output ``ceil(size / stride)``).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: an int or a pair.
        groups: split the channels into this many independent groups.
        activation: name, callable or None.
        use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint:
            as in ``Dense``.

    Shape:
        ``(N, H, W, C)`` → ``(N, H', W', filters)``; kernel ``(kh, kw, C, filters)``.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> conv = keras.layers.Conv2D(32, 3, activation="relu")
        >>> conv(np.zeros((2, 28, 28, 1))).shape, conv.count_params()
        (torch.Size([2, 26, 26, 32]), 320)
    """

    rank = 2


class Conv1D(_Conv):
    """1-D convolution over channels-last sequences ``(N, steps, C)``.

    Args:
        filters, kernel_size, strides, padding, dilation_rate, groups, activation …: as in
            ``Conv2D`` with one spatial axis (``'causal'`` padding is not supported).

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.Conv1D(8, 3)(np.zeros((2, 10, 4))).shape
        torch.Size([2, 8, 8])
    """

    rank = 1
