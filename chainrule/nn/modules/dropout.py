"""Dropout modules: ``Dropout``, ``Dropout1d``, ``Dropout2d``, ``Dropout3d``,
``AlphaDropout``, ``FeatureAlphaDropout``. Active in training mode, identity in eval mode."""

from __future__ import annotations

from ..._tensor import Tensor
from ...ops import dropout as D
from .module import Module

__all__ = [
    "AlphaDropout",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "FeatureAlphaDropout",
]


class _DropoutNd(Module):
    """Shared ``p`` check, ``forward`` (applying ``_fn``) and repr of the dropout modules."""

    _fn = None

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if isinstance(p, Tensor):
            p = p.item()
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply the dropout (training) or nothing (eval)."""
        return type(self)._fn(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """In training, zero each element with probability ``p`` and scale the others by
    ``1 / (1 - p)``; in evaluation, return the input unchanged.

    Args:
        p: the probability of zeroing an element.
        inplace: accepted; computed out of place.

    Shape:
        - Input: any. Output: the same.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> drop = nn.Dropout(p=0.5)
        >>> y = drop(torch.ones(1000))
        >>> bool(((y == 0) | (y == 2)).all()), 350 < int((y == 0).sum()) < 650
        (True, True)
        >>> drop.eval()(torch.ones(3))
        tensor([1., 1., 1.])
    """

    _fn = staticmethod(D.dropout)


class Dropout1d(_DropoutNd):
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` inputs with probability ``p``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.Dropout1d(0.2)(torch.ones(4, 3, 5)).shape
        torch.Size([4, 3, 5])
    """

    _fn = staticmethod(D.dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole channels of ``(N, C, H, W)`` inputs with probability ``p`` (scale the rest
    by ``1 / (1 - p)``).

    Shape:
        - Input: ``(N, C, H, W)`` or ``(N, C, L)``. Output: the same.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> y = nn.Dropout2d(0.5)(torch.ones(2, 16, 3, 3))
        >>> bool((y.amax(dim=(2, 3)) == y.amin(dim=(2, 3))).all())  # channel-wise
        True
    """

    _fn = staticmethod(D.dropout2d)


class Dropout3d(_DropoutNd):
    """Zero whole channels of ``(N, C, D, H, W)`` inputs with probability ``p``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.Dropout3d()(torch.ones(1, 2, 2, 2, 2)).shape
        torch.Size([1, 2, 2, 2, 2])
    """

    _fn = staticmethod(D.dropout3d)


class AlphaDropout(_DropoutNd):
    """Dropout for SELU networks (keeps zero mean and unit variance).

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.AlphaDropout(0.2).eval()(torch.ones(2))
        tensor([1., 1.])
    """

    _fn = staticmethod(D.alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.FeatureAlphaDropout(0.2)(torch.ones(2, 3, 4)).shape
        torch.Size([2, 3, 4])
    """

    _fn = staticmethod(D.feature_alpha_dropout)
