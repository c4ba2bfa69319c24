"""``Flatten`` and ``Unflatten``."""

from __future__ import annotations

import numpy as np

from ..._tensor import Tensor, _wrap_dim
from .module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Flatten dimensions ``start_dim`` … ``end_dim`` into one (by default all but the batch
    dimension).

    Args:
        start_dim: the first dimension to flatten (default 1).
        end_dim: the last dimension to flatten (default -1).

    Shape:
        - Input: ``(*, S_start, ..., S_end, *)``.
        - Output: ``(*, S_start * ... * S_end, *)``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.Flatten()(torch.zeros(32, 1, 5, 5)).shape
        torch.Size([32, 25])
        >>> nn.Flatten(0, 2)(torch.zeros(32, 1, 5, 5)).shape
        torch.Size([160, 5])
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        """Flatten the selected dimensions."""
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expand dimension ``dim`` into the shape ``unflattened_size`` (one entry may be -1).

    Args:
        dim: the dimension to unflatten.
        unflattened_size: the new shape of that dimension.

    Shape:
        - Input: ``(*, S_dim, *)``. Output: ``(*, U_1, ..., U_n, *)``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.Unflatten(1, (2, 5, 5))(torch.zeros(2, 50)).shape
        torch.Size([2, 2, 5, 5])
    """

    def __init__(self, dim: int, unflattened_size) -> None:
        super().__init__()
        if isinstance(dim, str):
            raise NotImplementedError("Unflatten: named dimensions are not supported")
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError("unflattened_size must be tuple of ints, but found type "
                            f"{type(unflattened_size).__name__}")
        for pos, s in enumerate(unflattened_size):
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
                raise TypeError("unflattened_size must be tuple of ints, but found element of "
                                f"type {type(s).__name__} at pos {pos}")
        self.dim = dim
        self.unflattened_size = unflattened_size  # kept as given, as PyTorch shows it

    def forward(self, input: Tensor) -> Tensor:
        """Reshape dimension ``dim``."""
        shape = tuple(input.shape)
        d = _wrap_dim(self.dim, len(shape))
        sizes = list(self.unflattened_size)
        known = int(np.prod([s for s in sizes if s != -1], dtype=np.int64))
        if sizes.count(-1) > 1 or (-1 in sizes and (known == 0 or shape[d] % known)) or (
                -1 not in sizes and known != shape[d]):
            raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the "
                               f"size of dim {self.dim} ({shape[d]}) in the input tensor")
        return input.reshape(shape[:d] + tuple(sizes) + shape[d + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
