"""Padding layers: zero, constant, reflection, replication and circular padding in 1-3 D."""

from __future__ import annotations

from ..._tensor import Tensor
from ...ops.resample import pad as _pad
from .module import Module

__all__ = [
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
]


def _widths(padding, nd: int, layer: str) -> tuple:
    """An int gives the same width on every side; a tuple lists ``2 * nd`` widths."""
    if isinstance(padding, int) and not isinstance(padding, bool):
        return (padding,) * (2 * nd)
    padding = tuple(padding)
    if len(padding) != 2 * nd or not all(isinstance(p, int) for p in padding):
        raise ValueError(f"{layer}: padding must be an int or a tuple of {2 * nd} ints, "
                         f"received padding={padding!r}")
    return padding


class _PadNd(Module):
    """Shared constructor and ``forward`` of the padding layers."""

    _nd = 1
    _mode = "constant"

    def __init__(self, padding, value=0.0) -> None:
        super().__init__()
        self.padding = _widths(padding, self._nd, type(self).__name__)
        if self._mode == "constant":
            self.value = value

    def forward(self, input: Tensor) -> Tensor:
        """Pad the last dimensions of ``input``."""
        if self._mode == "constant":
            return _pad(input, self.padding, "constant", self.value)
        return _pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value) -> None:
        super().__init__(padding, value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dimension with a constant.

    Args:
        padding: an int (both sides) or ``(left, right)``.
        value: the fill value.

    Shape:
        - Input ``(C, W)`` or ``(N, C, W)``; ``W_out = W + left + right``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.ConstantPad1d(2, 3.5)(torch.zeros(1, 2, 2)).shape
        torch.Size([1, 2, 6])
    """

    _nd = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dimensions with a constant.

    Args:
        padding: an int or ``(left, right, top, bottom)``.
        value: the fill value.

    Shape:
        - Input ``(C, H, W)`` or ``(N, C, H, W)``; each padded size grows by its two widths.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.ConstantPad2d((1, 0, 0, 1), 9.)(torch.zeros(1, 1, 1))[0].tolist()
        [[9.0, 0.0], [9.0, 9.0]]
    """

    _nd = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dimensions with a constant.

    Args:
        padding: an int or ``(left, right, top, bottom, front, back)``.
        value: the fill value.

    Shape:
        - Input ``(C, D, H, W)`` or ``(N, C, D, H, W)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.ConstantPad3d(1, 0.)(torch.ones(1, 1, 1, 1)).shape
        torch.Size([1, 3, 3, 3])
    """

    _nd = 3


class _ZeroPad:
    """Mixin of the zero-padding layers: a constant pad with the value fixed at 0."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPad, ConstantPad1d):
    """Pad the last dimension with zeros.

    Args:
        padding: an int or ``(left, right)``.

    Shape:
        - Input ``(C, W)`` or ``(N, C, W)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.ZeroPad1d((1, 2))(torch.ones(1, 1, 2)).tolist()
        [[[0.0, 1.0, 1.0, 0.0, 0.0]]]
    """


class ZeroPad2d(_ZeroPad, ConstantPad2d):
    """Pad the last two dimensions with zeros.

    Args:
        padding: an int or ``(left, right, top, bottom)``.

    Shape:
        - Input ``(C, H, W)`` or ``(N, C, H, W)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.ZeroPad2d(2)
        ZeroPad2d((2, 2, 2, 2))
        >>> torch.nn.ZeroPad2d(2)(torch.ones(1, 1, 3, 3)).shape
        torch.Size([1, 1, 7, 7])
    """


class ZeroPad3d(_ZeroPad, ConstantPad3d):
    """Pad the last three dimensions with zeros.

    Args:
        padding: an int or ``(left, right, top, bottom, front, back)``.

    Shape:
        - Input ``(C, D, H, W)`` or ``(N, C, D, H, W)``.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.ZeroPad3d(1)(torch.ones(1, 1, 1, 1, 1)).shape
        torch.Size([1, 1, 3, 3, 3])
    """


class _ModePadNd(_PadNd):
    """A padding layer whose fill comes from the input itself (no value argument)."""

    def __init__(self, padding) -> None:
        super().__init__(padding)


class ReflectionPad1d(_ModePadNd):
    """Pad the last dimension: mirror at the edges (edge not repeated).

    Args:
        padding: an int (every side) or ``(left, right)``.

    Shape:
        - Input ``(C, W)`` or with a leading batch dimension; each padded size grows by
          its two widths.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.ReflectionPad1d(2)(torch.arange(3.).reshape(1, 1, 3)).tolist()
        [[[2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0]]]
    """

    _nd = 1
    _mode = "reflect"


class ReflectionPad2d(_ModePadNd):
    """Pad the last two dimensions: mirror at the edges (edge not repeated).

    Args:
        padding: an int (every side) or ``(left, right, top, bottom)``.

    Shape:
        - Input ``(C, H, W)`` or with a leading batch dimension; each padded size grows by
          its two widths.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.ReflectionPad2d((1, 1, 0, 0))(torch.arange(3.).reshape(1, 1, 3)).tolist()
        [[[1.0, 0.0, 1.0, 2.0, 1.0]]]
    """

    _nd = 2
    _mode = "reflect"


class ReflectionPad3d(_ModePadNd):
    """Pad the last three dimensions: mirror at the edges (edge not repeated).

    Args:
        padding: an int (every side) or ``(left, right, top, bottom, front, back)``.

    Shape:
        - Input ``(C, D, H, W)`` or with a leading batch dimension; each padded size grows by
          its two widths.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.ReflectionPad3d(1)(torch.arange(8.).reshape(1, 2, 2, 2)).shape
        torch.Size([1, 4, 4, 4])
    """

    _nd = 3
    _mode = "reflect"


class ReplicationPad1d(_ModePadNd):
    """Pad the last dimension: repeat the input's edge values.

    Args:
        padding: an int (every side) or ``(left, right)``.

    Shape:
        - Input ``(C, W)`` or with a leading batch dimension; each padded size grows by
          its two widths.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.ReplicationPad1d((1, 2))(torch.arange(3.).reshape(1, 1, 3)).tolist()
        [[[0.0, 0.0, 1.0, 2.0, 2.0, 2.0]]]
    """

    _nd = 1
    _mode = "replicate"


class ReplicationPad2d(_ModePadNd):
    """Pad the last two dimensions: repeat the input's edge values.

    Args:
        padding: an int (every side) or ``(left, right, top, bottom)``.

    Shape:
        - Input ``(C, H, W)`` or with a leading batch dimension; each padded size grows by
          its two widths.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.ReplicationPad2d(1)(torch.arange(3.).reshape(1, 1, 3)).shape
        torch.Size([1, 3, 5])
    """

    _nd = 2
    _mode = "replicate"


class ReplicationPad3d(_ModePadNd):
    """Pad the last three dimensions: repeat the input's edge values.

    Args:
        padding: an int (every side) or ``(left, right, top, bottom, front, back)``.

    Shape:
        - Input ``(C, D, H, W)`` or with a leading batch dimension; each padded size grows by
          its two widths.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.ReplicationPad3d(1)(torch.arange(3.).reshape(1, 1, 1, 3)).shape
        torch.Size([1, 3, 3, 5])
    """

    _nd = 3
    _mode = "replicate"


class CircularPad1d(_ModePadNd):
    """Pad the last dimension: wrap the input around.

    Args:
        padding: an int (every side) or ``(left, right)``.

    Shape:
        - Input ``(C, W)`` or with a leading batch dimension; each padded size grows by
          its two widths.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.CircularPad1d((1, 2))(torch.arange(3.).reshape(1, 1, 3)).tolist()
        [[[2.0, 0.0, 1.0, 2.0, 0.0, 1.0]]]
    """

    _nd = 1
    _mode = "circular"


class CircularPad2d(_ModePadNd):
    """Pad the last two dimensions: wrap the input around.

    Args:
        padding: an int (every side) or ``(left, right, top, bottom)``.

    Shape:
        - Input ``(C, H, W)`` or with a leading batch dimension; each padded size grows by
          its two widths.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.CircularPad2d(1)(torch.arange(3.).reshape(1, 1, 3)).shape
        torch.Size([1, 3, 5])
    """

    _nd = 2
    _mode = "circular"


class CircularPad3d(_ModePadNd):
    """Pad the last three dimensions: wrap the input around.

    Args:
        padding: an int (every side) or ``(left, right, top, bottom, front, back)``.

    Shape:
        - Input ``(C, D, H, W)`` or with a leading batch dimension; each padded size grows by
          its two widths.

    Example:
        >>> import chainrule as torch
        >>> torch.nn.CircularPad3d(1)(torch.arange(3.).reshape(1, 1, 1, 3)).shape
        torch.Size([1, 3, 3, 5])
    """

    _nd = 3
    _mode = "circular"
