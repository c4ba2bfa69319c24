"""Upsampling layers: ``Upsample``, ``UpsamplingNearest2d``, ``UpsamplingBilinear2d``, and the
sub-pixel rearrangements ``PixelShuffle`` and ``PixelUnshuffle``."""

from __future__ import annotations

from ..._tensor import Tensor
from ...ops.resample import interpolate, pixel_shuffle, pixel_unshuffle
from .module import Module

__all__ = [
    "PixelShuffle",
    "PixelUnshuffle",
    "Upsample",
    "UpsamplingBilinear2d",
    "UpsamplingNearest2d",
]


class Upsample(Module):
    """Resize 1-D, 2-D or 3-D spatial data; see ``F.interpolate``.

    Args:
        size: the output spatial size.
        scale_factor: multiplier of the spatial size (give this or ``size``).
        mode: ``'nearest'``, ``'nearest-exact'``, ``'linear'``, ``'bilinear'``, ``'bicubic'``,
            ``'trilinear'`` or ``'area'``.
        align_corners: for the linear and cubic modes, align the corner pixels' centres.
        recompute_scale_factor: sample at the scale the output size implies.

    Shape:
        - Input ``(N, C, *spatial)``; output ``(N, C, *size)`` or
          ``floor(spatial * scale_factor)``.

    Example:
        >>> import chainrule as torch
        >>> up = torch.nn.Upsample(scale_factor=2, mode='nearest')
        >>> up
        Upsample(scale_factor=2.0, mode='nearest')
        >>> up(torch.tensor([[[[1., 2.], [3., 4.]]]]))[0, 0, 0].tolist()
        [1.0, 1.0, 2.0, 2.0]
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners=None, recompute_scale_factor=None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        """Resize ``input``."""
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """2-D nearest-neighbour upsampling (``Upsample(mode='nearest')``).

    Args:
        size: the output size ``(H_out, W_out)``.
        scale_factor: multiplier of height and width.

    Shape:
        - Input ``(N, C, H, W)``; output ``(N, C, H_out, W_out)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.UpsamplingNearest2d(scale_factor=2)(torch.ones(1, 1, 2, 2)).shape
        torch.Size([1, 1, 4, 4])
    """

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """2-D bilinear upsampling with ``align_corners=True``.

    Args:
        size: the output size ``(H_out, W_out)``.
        scale_factor: multiplier of height and width.

    Shape:
        - Input ``(N, C, H, W)``; output ``(N, C, H_out, W_out)``.

    Example:
        >>> import chainrule as torch
        >>> up = torch.nn.UpsamplingBilinear2d(size=3)
        >>> up(torch.tensor([[[[0., 2.], [4., 6.]]]]))[0, 0].tolist()
        [[0.0, 1.0, 2.0], [2.0, 3.0, 4.0], [4.0, 5.0, 6.0]]
    """

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """Rearrange ``(*, C r^2, H, W)`` into ``(*, C, H r, W r)`` (sub-pixel convolution).

    Args:
        upscale_factor: ``r``.

    Shape:
        - Input ``(*, C r^2, H, W)``; output ``(*, C, H r, W r)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.PixelShuffle(3)(torch.randn(1, 9, 4, 4)).shape
        torch.Size([1, 1, 12, 12])
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        """Shuffle channels into space."""
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Rearrange ``(*, C, H r, W r)`` into ``(*, C r^2, H, W)`` (inverse of ``PixelShuffle``).

    Args:
        downscale_factor: ``r``.

    Shape:
        - Input ``(*, C, H r, W r)``; output ``(*, C r^2, H, W)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.PixelUnshuffle(3)(torch.randn(1, 1, 12, 12)).shape
        torch.Size([1, 9, 4, 4])
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        """Shuffle space into channels."""
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
