"""The softmax family of modules: ``Softmax``, ``Softmin``, ``Softmax2d``, ``LogSoftmax``.

The functions themselves (``chainrule.ops.softmax``) are imported when first used.
"""

from __future__ import annotations

import importlib
import warnings

from ..._tensor import Tensor
from .module import Module

__all__ = ["LogSoftmax", "Softmax", "Softmax2d", "Softmin"]


def _softmax_dim(name: str, ndim: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  "include dim=X as an argument.", stacklevel=4)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_ops():
    # ``chainrule.ops.softmax`` the attribute is the function; the module is in sys.modules
    return importlib.import_module("chainrule.ops.softmax")


class Softmin(Module):
    """``softmax(-x)`` along ``dim``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.Softmin(dim=0)(torch.tensor([0.0, 0.0]))
        tensor([0.5000, 0.5000])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """Apply softmin along ``dim``."""
        dim = self.dim if self.dim is not None else _softmax_dim("softmin", input.ndim)
        return _softmax_ops().softmax(-input, dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(Module):
    """``exp(x) / sum(exp(x))`` along ``dim``, so each slice sums to 1.

    Args:
        dim: the dimension to normalise (pass it: the implicit choice is deprecated).

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.Softmax(dim=1)(torch.zeros(1, 4))
        tensor([[0.2500, 0.2500, 0.2500, 0.2500]])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """Apply softmax along ``dim``."""
        dim = self.dim if self.dim is not None else _softmax_dim("softmax", input.ndim)
        return _softmax_ops().softmax(input, dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels at every spatial location.

    Shape:
        - Input: ``(N, C, H, W)`` or ``(C, H, W)``. Output: the same.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.Softmax2d()(torch.zeros(1, 2, 1, 1)).flatten()
        tensor([0.5000, 0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:
        """Apply softmax over dimension -3."""
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D "
                             "instead")
        return _softmax_ops().softmax(input, -3)


class LogSoftmax(Module):
    """``log(softmax(x))`` along ``dim``, computed stably.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.LogSoftmax(dim=1)(torch.zeros(1, 2))
        tensor([[-0.6931, -0.6931]])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """Apply log-softmax along ``dim``."""
        dim = self.dim if self.dim is not None else _softmax_dim("log_softmax", input.ndim)
        return _softmax_ops().log_softmax(input, dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
