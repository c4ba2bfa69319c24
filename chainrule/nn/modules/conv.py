"""Convolution layers: ``Conv1d``/``2d``/``3d``, ``ConvTranspose1d``/``2d``/``3d``, and the
``Fold``/``Unfold`` (col2im / im2col) modules."""

from __future__ import annotations

import math

import numpy as np

from ... import _dtypes
from ..._device import check_device
from ..._tensor import Tensor
from ...ops import conv as _conv
from ...ops.conv_fold import fold, unfold
from ...ops.resample import pad as _pad
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d", "Fold", "Unfold"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(value, n: int, name: str, layer: str) -> tuple:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * n
    if isinstance(value, (tuple, list)) and len(value) == n and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        return tuple(int(v) for v in value)
    raise TypeError(f"{layer}: {name} must be an int or a tuple of {n} ints, received "
                    f"{name}={value!r}")


def _count(value, name: str, layer: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{layer}: {name} must be an int, received {name}={value!r}")
    return int(value)


class _ConvNd(Module):
    """Shared constructor, initialisation and repr of the convolution layers."""

    _nd = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 output_padding=0, device=None, dtype=None) -> None:
        super().__init__()
        layer = type(self).__name__
        check_device(device, layer)
        nd = self._nd
        in_channels = _count(in_channels, "in_channels", layer)
        out_channels = _count(out_channels, "out_channels", layer)
        groups = _count(groups, "groups", layer)
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        self.kernel_size = _tuple(kernel_size, nd, "kernel_size", layer)
        self.stride = _tuple(stride, nd, "stride", layer)
        self.dilation = _tuple(dilation, nd, "dilation", layer)
        if isinstance(padding, str):
            if self._transposed:
                raise ValueError(f"{layer}: padding must be an int or a tuple of ints, "
                                 f"received padding={padding!r}")
            if padding not in ("valid", "same"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'valid', 'same'}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _tuple(padding, nd, "padding", layer)
        if padding_mode not in _PADDING_MODES:
            raise ValueError("padding_mode must be one of {'replicate', 'reflect', 'zeros', "
                             f"'circular'}}, but got padding_mode='{padding_mode}'")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.transposed = self._transposed
        self.output_padding = _tuple(output_padding, nd, "output_padding", layer)
        self.padding_mode = padding_mode
        if isinstance(self.padding, str):
            rev = [0, 0] * nd
            if self.padding == "same":
                for d, k, i in zip(self.dilation, self.kernel_size, range(nd - 1, -1, -1)):
                    total = d * (k - 1)
                    rev[2 * i] = total // 2
                    rev[2 * i + 1] = total - total // 2
            self._reversed_padding_repeated_twice = rev
        else:
            self._reversed_padding_repeated_twice = [p for p in reversed(self.padding)
                                                     for _ in range(2)]
        npd = (_dtypes.to_dtype(dtype) if dtype is not None else _dtypes.get_default_dtype()).np
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(Tensor._make(np.empty(shape, dtype=npd)))
        if bias:
            self.bias = Parameter(Tensor._make(np.empty((out_channels,), dtype=npd)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: ``kaiming_uniform_(a=sqrt(5))`` for the weight and
        ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` for the bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        nd = self._nd
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        if not hasattr(self, "padding_mode"):
            self.padding_mode = "zeros"

    def _conv_forward(self, input: Tensor, weight: Tensor, bias) -> Tensor:
        fn = (_conv.conv1d, _conv.conv2d, _conv.conv3d)[self._nd - 1]
        if self.padding_mode != "zeros":
            padded = _pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return fn(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return fn(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input: Tensor) -> Tensor:
        """Convolve ``input`` with the layer's weight (and add its bias)."""
        return self._conv_forward(input, self.weight, self.bias)


class _PlainConvNd(_ConvNd):
    """The constructor of the (non-transposed) convolution layers: no ``output_padding``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, 0, device, dtype)


class Conv1d(_PlainConvNd):
    """1-D convolution layer over ``(N, C_in, L)`` or ``(C_in, L)`` input.

    Args:
        in_channels: channels of the input.
        out_channels: channels produced.
        kernel_size: the filter length.
        stride: step between windows (default 1).
        padding: an int, ``'valid'`` (none) or ``'same'`` (output as long as the input).
        dilation: spacing between filter taps.
        groups: independent channel groups (both channel counts must be divisible by it).
        bias: learn an additive bias.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.

    Shape:
        - Input: ``(N, C_in, L)``. Output: ``(N, C_out, L_out)`` with
          ``L_out = (L + 2 padding - dilation (kernel_size - 1) - 1) // stride + 1``.

    Attributes:
        weight: ``(out_channels, in_channels / groups, kernel_size)``, initialised with
            ``kaiming_uniform_(a=sqrt(5))``.
        bias: ``(out_channels,)`` from ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``.

    Example:
        >>> import chainrule as torch
        >>> m = torch.nn.Conv1d(16, 33, 3, stride=2)
        >>> m
        Conv1d(16, 33, kernel_size=(3,), stride=(2,))
        >>> m(torch.randn(20, 16, 50)).shape
        torch.Size([20, 33, 24])
    """

    _nd = 1


class Conv2d(_PlainConvNd):
    """2-D convolution layer over ``(N, C_in, H, W)`` or ``(C_in, H, W)`` input.

    Args:
        in_channels: channels of the input image.
        out_channels: channels produced (number of filters).
        kernel_size: an int or ``(kH, kW)``.
        stride: step between windows (default 1).
        padding: an int, a pair, ``'valid'`` (none) or ``'same'`` (output as large as the input).
        dilation: spacing between filter taps.
        groups: independent channel groups (both channel counts must be divisible by it).
        bias: learn an additive bias.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.

    Shape:
        - Input: ``(N, C_in, H, W)``. Output: ``(N, C_out, H_out, W_out)`` with
          ``H_out = (H + 2 padding[0] - dilation[0] (kH - 1) - 1) // stride[0] + 1``.

    Attributes:
        weight: ``(out_channels, in_channels / groups, kH, kW)``, initialised with
            ``kaiming_uniform_(a=sqrt(5))``.
        bias: ``(out_channels,)`` from ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``.

    Example:
        >>> import chainrule as torch
        >>> conv = torch.nn.Conv2d(1, 32, 3)
        >>> conv
        Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))
        >>> conv(torch.randn(8, 1, 28, 28)).shape
        torch.Size([8, 32, 26, 26])
    """

    _nd = 2


class Conv3d(_PlainConvNd):
    """3-D convolution layer over ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)`` input.

    Args:
        in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode: as in ``Conv2d``, with triples.

    Shape:
        - Input: ``(N, C_in, D, H, W)``. Output: ``(N, C_out, D_out, H_out, W_out)``.

    Attributes:
        weight: ``(out_channels, in_channels / groups, kD, kH, kW)``.
        bias: ``(out_channels,)``.

    Example:
        >>> import chainrule as torch
        >>> m = torch.nn.Conv3d(2, 4, 3, padding=1)
        >>> m(torch.randn(1, 2, 4, 4, 4)).shape
        torch.Size([1, 4, 4, 4, 4])
    """

    _nd = 3


class _ConvTransposeNd(_ConvNd):
    """Shared ``forward`` (with the optional ``output_size``) of the transposed convolutions."""

    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f'{type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, device, dtype)

    def _output_padding(self, input: Tensor, output_size) -> tuple:
        if output_size is None:
            return self.output_padding
        nd = self._nd
        non_spatial = 2 if input.ndim == nd + 2 else 1
        output_size = [int(s) for s in output_size]
        if len(output_size) == non_spatial + nd:
            output_size = output_size[non_spatial:]
        if len(output_size) != nd:
            raise ValueError(f"ConvTranspose{nd}D: for {input.ndim}D input, output_size must "
                             f"have {nd} or {non_spatial + nd} elements (got "
                             f"{len(output_size)})")
        spatial = input.shape[non_spatial:]
        mins = [(spatial[d] - 1) * self.stride[d] - 2 * self.padding[d]
                + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(nd)]
        maxs = [m + s - 1 for m, s in zip(mins, self.stride)]
        for size, lo, hi in zip(output_size, mins, maxs):
            if size < lo or size > hi:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes "
                                 f"range from {mins} to {maxs} (for an input of "
                                 f"{input.shape[non_spatial:]})")
        return tuple(s - m for s, m in zip(output_size, mins))

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        """Apply the transposed convolution; ``output_size`` picks among the possible sizes."""
        fn = (_conv.conv_transpose1d, _conv.conv_transpose2d, _conv.conv_transpose3d)[
            self._nd - 1]
        output_padding = self._output_padding(input, output_size)
        return fn(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                  self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution layer (the gradient of ``Conv1d`` with respect to its input).

    Args:
        in_channels, out_channels, kernel_size, stride, padding: as in ``Conv1d`` (padding
            removes ``dilation * (kernel_size - 1) - padding`` zero-padding from both sides).
        output_padding: extra length added to one side of the output.
        groups, bias, dilation: as in ``Conv1d``.

    Shape:
        - Output length ``(L - 1) stride - 2 padding + dilation (kernel_size - 1)
          + output_padding + 1``.

    Attributes:
        weight: ``(in_channels, out_channels / groups, kernel_size)``.
        bias: ``(out_channels,)``.

    Example:
        >>> import chainrule as torch
        >>> m = torch.nn.ConvTranspose1d(4, 2, 3, stride=2)
        >>> m(torch.randn(1, 4, 5)).shape
        torch.Size([1, 2, 11])
    """

    _nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution layer ("deconvolution"), as used for upsampling.

    Args:
        in_channels: channels of the input.
        out_channels: channels produced.
        kernel_size: an int or ``(kH, kW)``.
        stride: upsampling factor.
        padding: removes ``dilation * (k - 1) - padding`` zero-padding from both sides.
        output_padding: extra size added to one side of each output dimension.
        groups, bias, dilation: as in ``Conv2d``.

    Shape:
        - Output ``H_out = (H - 1) stride[0] - 2 padding[0] + dilation[0] (kH - 1)
          + output_padding[0] + 1``; ``forward(input, output_size)`` may ask for a size
          within the stride's range instead.

    Attributes:
        weight: ``(in_channels, out_channels / groups, kH, kW)``, initialised with
            ``kaiming_uniform_(a=sqrt(5))``.
        bias: ``(out_channels,)``.

    Example:
        >>> import chainrule as torch
        >>> up = torch.nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1)
        >>> x = torch.randn(1, 16, 12, 12)
        >>> up(x, output_size=[1, 8, 24, 24]).shape
        torch.Size([1, 8, 24, 24])
    """

    _nd = 2


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution layer.

    Args:
        in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
            dilation: as in ``ConvTranspose2d``, with triples.

    Shape:
        - Each output size as in ``ConvTranspose2d``.

    Attributes:
        weight: ``(in_channels, out_channels / groups, kD, kH, kW)``.
        bias: ``(out_channels,)``.

    Example:
        >>> import chainrule as torch
        >>> m = torch.nn.ConvTranspose3d(2, 2, 2, stride=2)
        >>> m(torch.randn(1, 2, 2, 2, 2)).shape
        torch.Size([1, 2, 4, 4, 4])
    """

    _nd = 3


class Unfold(Module):
    """Extract sliding local blocks into columns (im2col); see ``F.unfold``.

    Args:
        kernel_size: block size.
        dilation: spacing between block elements.
        padding: implicit zero padding.
        stride: block step.

    Shape:
        - Input ``(N, C, H, W)``; output ``(N, C * prod(kernel_size), L)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.Unfold(kernel_size=(2, 3))(torch.randn(2, 5, 3, 4)).shape
        torch.Size([2, 30, 4])
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input: Tensor) -> Tensor:
        """Return the blocks of ``input`` as columns."""
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """Sum columns of sliding blocks back into an image (col2im); see ``F.fold``.

    Args:
        output_size: the image's spatial size.
        kernel_size, dilation, padding, stride: as in ``Unfold``.

    Shape:
        - Input ``(N, C * prod(kernel_size), L)``; output ``(N, C, *output_size)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.Fold(output_size=(4, 5), kernel_size=(2, 2))(torch.randn(1, 12, 12)).shape
        torch.Size([1, 3, 4, 5])
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        """Return the image the columns of ``input`` add up to."""
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                    self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
