"""Pooling layers: max, average, adaptive, power-average pooling and max-unpooling."""

from __future__ import annotations

from ..._tensor import Tensor
from ...ops import pooling as P
from .module import Module

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "LPPool1d",
    "LPPool2d",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
]


def _ntuple(value, n: int) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


class _MaxPoolNd(Module):
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor):
        """Pool ``input`` (and return the indices too when ``return_indices``)."""
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding, self.dilation,
                              ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling; see ``F.max_pool1d``.

    Args:
        kernel_size: window length.
        stride: window step (default ``kernel_size``).
        padding: implicit ``-inf`` padding on both sides.
        dilation: spacing between window elements.
        return_indices: also return the maxima's positions.
        ceil_mode: round the output length up.

    Shape:
        - Input ``(N, C, L)``; output ``(N, C, L_out)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.MaxPool1d(3, stride=2)(torch.randn(20, 16, 50)).shape
        torch.Size([20, 16, 24])
    """

    _fn = staticmethod(P.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling; see ``F.max_pool2d``.

    Args:
        kernel_size: window size.
        stride: window step (default ``kernel_size``).
        padding: implicit ``-inf`` padding (at most half the kernel).
        dilation: spacing between window elements.
        return_indices: also return the flat indices of the maxima (for ``MaxUnpool2d``).
        ceil_mode: round output sizes up.

    Shape:
        - Input ``(N, C, H, W)``; output ``(N, C, H_out, W_out)``.

    Example:
        >>> import chainrule as torch
        >>> pool = torch.nn.MaxPool2d(2)
        >>> pool
        MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
        >>> pool(torch.randn(8, 32, 26, 26)).shape
        torch.Size([8, 32, 13, 13])
    """

    _fn = staticmethod(P.max_pool2d)


class MaxPool3d(_MaxPoolNd):
    """3-D max pooling; see ``F.max_pool3d``.

    Args:
        kernel_size, stride, padding, dilation, return_indices, ceil_mode: as in ``MaxPool2d``.

    Shape:
        - Input ``(N, C, D, H, W)``; output ``(N, C, D_out, H_out, W_out)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.MaxPool3d(2)(torch.randn(1, 2, 4, 4, 4)).shape
        torch.Size([1, 2, 2, 2, 2])
    """

    _fn = staticmethod(P.max_pool3d)


class AvgPool1d(Module):
    """1-D average pooling; see ``F.avg_pool1d``.

    Args:
        kernel_size: window length.
        stride: window step (default ``kernel_size``).
        padding: implicit zero padding.
        ceil_mode: round the output length up.
        count_include_pad: count padding zeros in the average.

    Shape:
        - Input ``(N, C, L)``; output ``(N, C, L_out)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.AvgPool1d(3, stride=2)(torch.tensor([[[1., 2, 3, 4, 5, 6, 7]]])).tolist()
        [[[2.0, 4.0, 6.0]]]
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, 1)
        self.stride = _ntuple(stride if stride is not None else kernel_size, 1)
        self.padding = _ntuple(padding, 1)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        """Average-pool ``input``."""
        return P.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AvgPoolNd(Module):
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        """Average-pool ``input``."""
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding,
                              self.ceil_mode, self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_AvgPoolNd):
    """2-D average pooling; see ``F.avg_pool2d``.

    Args:
        kernel_size: window size.
        stride: window step (default ``kernel_size``).
        padding: implicit zero padding.
        ceil_mode: round output sizes up.
        count_include_pad: count padding zeros in the average.
        divisor_override: divide every window sum by this number instead.

    Shape:
        - Input ``(N, C, H, W)``; output ``(N, C, H_out, W_out)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.AvgPool2d(2)
        AvgPool2d(kernel_size=2, stride=2, padding=0)
        >>> torch.nn.AvgPool2d(2)(torch.ones(1, 1, 4, 4)).tolist()
        [[[[1.0, 1.0], [1.0, 1.0]]]]
    """

    _fn = staticmethod(P.avg_pool2d)


class AvgPool3d(_AvgPoolNd):
    """3-D average pooling; see ``F.avg_pool3d``.

    Args:
        kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override: as in
            ``AvgPool2d``.

    Shape:
        - Input ``(N, C, D, H, W)``; output ``(N, C, D_out, H_out, W_out)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.AvgPool3d(2)(torch.ones(1, 1, 2, 2, 2)).item()
        1.0
    """

    _fn = staticmethod(P.avg_pool3d)


class _AdaptivePool(Module):
    _fn = None

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor):
        """Pool ``input`` to ``output_size``."""
        return type(self)._fn(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """1-D adaptive average pooling to a fixed output length.

    Args:
        output_size: the output length.

    Shape:
        - Input ``(N, C, L)``; output ``(N, C, output_size)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.AdaptiveAvgPool1d(5)(torch.randn(1, 64, 8)).shape
        torch.Size([1, 64, 5])
    """

    _fn = staticmethod(P.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptivePool):
    """2-D adaptive average pooling to a fixed output size (``1`` gives global pooling).

    Args:
        output_size: an int or ``(H_out, W_out)``; ``None`` keeps that input size.

    Shape:
        - Input ``(N, C, H, W)``; output ``(N, C, H_out, W_out)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.AdaptiveAvgPool2d((5, 7))(torch.randn(1, 64, 8, 9)).shape
        torch.Size([1, 64, 5, 7])
    """

    _fn = staticmethod(P.adaptive_avg_pool2d)


class AdaptiveAvgPool3d(_AdaptivePool):
    """3-D adaptive average pooling to a fixed output size.

    Args:
        output_size: an int or a triple (``None`` keeps that input size).

    Shape:
        - Input ``(N, C, D, H, W)``; output ``(N, C, *output_size)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.AdaptiveAvgPool3d(1)(torch.randn(1, 2, 3, 4, 5)).shape
        torch.Size([1, 2, 1, 1, 1])
    """

    _fn = staticmethod(P.adaptive_avg_pool3d)


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input: Tensor):
        """Max-pool ``input`` to ``output_size`` (with indices when ``return_indices``)."""
        return type(self)._fn(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """1-D adaptive max pooling to a fixed output length.

    Args:
        output_size: the output length.
        return_indices: also return the maxima's positions.

    Shape:
        - Input ``(N, C, L)``; output ``(N, C, output_size)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.AdaptiveMaxPool1d(5)(torch.randn(1, 64, 8)).shape
        torch.Size([1, 64, 5])
    """

    _fn = staticmethod(P.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """2-D adaptive max pooling to a fixed output size.

    Args:
        output_size: an int or ``(H_out, W_out)``; ``None`` keeps that input size.
        return_indices: also return the flat indices of the maxima.

    Shape:
        - Input ``(N, C, H, W)``; output ``(N, C, H_out, W_out)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.AdaptiveMaxPool2d((5, 7))(torch.randn(1, 64, 8, 9)).shape
        torch.Size([1, 64, 5, 7])
    """

    _fn = staticmethod(P.adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    """3-D adaptive max pooling to a fixed output size.

    Args:
        output_size: an int or a triple.
        return_indices: also return the flat indices of the maxima.

    Shape:
        - Input ``(N, C, D, H, W)``; output ``(N, C, *output_size)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.AdaptiveMaxPool3d(2)(torch.randn(1, 2, 4, 4, 4)).shape
        torch.Size([1, 2, 2, 2, 2])
    """

    _fn = staticmethod(P.adaptive_max_pool3d)


class _MaxUnpoolNd(Module):
    _fn = None
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, self._nd)
        self.stride = _ntuple(stride if stride is not None else kernel_size, self._nd)
        self.padding = _ntuple(padding, self._nd)

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        """Place ``input``'s values at ``indices`` in a zero tensor."""
        return type(self)._fn(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Partial inverse of ``MaxPool1d``; see ``F.max_unpool1d``.

    Args:
        kernel_size, stride, padding: those of the pooling layer.

    Shape:
        - Input ``(N, C, L)`` and the indices; output ``(N, C, L_out)``.

    Example:
        >>> import chainrule as torch
        >>> pool, unpool = torch.nn.MaxPool1d(2, return_indices=True), torch.nn.MaxUnpool1d(2)
        >>> out, idx = pool(torch.tensor([[[1., 2, 3, 4]]]))
        >>> unpool(out, idx).tolist()
        [[[0.0, 2.0, 0.0, 4.0]]]
    """

    _fn = staticmethod(P.max_unpool1d)
    _nd = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """Partial inverse of ``MaxPool2d``; see ``F.max_unpool2d``.

    Args:
        kernel_size, stride, padding: those of the pooling layer.

    Shape:
        - Input ``(N, C, H, W)`` and the indices; output ``(N, C, H_out, W_out)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.MaxUnpool2d(2)
        MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))
    """

    _fn = staticmethod(P.max_unpool2d)
    _nd = 2


class MaxUnpool3d(_MaxUnpoolNd):
    """Partial inverse of ``MaxPool3d``; see ``F.max_unpool3d``.

    Args:
        kernel_size, stride, padding: those of the pooling layer.

    Shape:
        - Input ``(N, C, D, H, W)`` and the indices; output ``(N, C, D_out, H_out, W_out)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.MaxUnpool3d(2).stride
        (2, 2, 2)
    """

    _fn = staticmethod(P.max_unpool3d)
    _nd = 3


class _LPPoolNd(Module):
    _fn = None

    def __init__(self, norm_type: float, kernel_size, stride=None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        """Power-average-pool ``input``."""
        return type(self)._fn(input, float(self.norm_type), self.kernel_size, self.stride,
                              self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """1-D power-average pooling ``(sum x^p)^(1/p)`` over each window.

    Args:
        norm_type: the power ``p``.
        kernel_size: window length.
        stride: window step (default ``kernel_size``).
        ceil_mode: round the output length up.

    Shape:
        - Input ``(N, C, L)``; output ``(N, C, L_out)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.LPPool1d(2, 3, stride=2)(torch.randn(20, 16, 50)).shape
        torch.Size([20, 16, 24])
    """

    _fn = staticmethod(P.lp_pool1d)


class LPPool2d(_LPPoolNd):
    """2-D power-average pooling ``(sum x^p)^(1/p)`` over each window.

    Args:
        norm_type: the power ``p``.
        kernel_size: window size.
        stride: window step (default ``kernel_size``).
        ceil_mode: round output sizes up.

    Shape:
        - Input ``(N, C, H, W)``; output ``(N, C, H_out, W_out)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.LPPool2d(2, 3, stride=2)(torch.randn(20, 16, 50, 32)).shape
        torch.Size([20, 16, 24, 15])
    """

    _fn = staticmethod(P.lp_pool2d)
