"""Flatten parameters into one vector and back: ``parameters_to_vector``,
``vector_to_parameters``."""

from __future__ import annotations

import numpy as np

from ..._tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _typename(obj) -> str:
    return obj.type() if isinstance(obj, Tensor) else type(obj).__name__


def parameters_to_vector(parameters) -> Tensor:
    """Concatenate the parameters, flattened, into one 1-D tensor (differentiable).

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> parameters_to_vector(nn.Linear(3, 2).parameters()).shape
        torch.Size([8])
    """
    from ...ops import joining

    parts = []
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"expected torch.Tensor, but got: {_typename(p)}")
        parts.append(p.reshape(-1))
    if not parts:
        return Tensor._make(np.zeros((0,), dtype=np.float32))
    return joining.cat(parts)


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> lin = nn.Linear(2, 1)
        >>> vector_to_parameters(torch.tensor([1.0, 2.0, 3.0]), lin.parameters())
        >>> lin.weight.tolist(), lin.bias.tolist()
        ([[1.0, 2.0]], [3.0])
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    flat = vec._data.reshape(-1)
    pointer = 0
    for param in parameters:
        n = param.numel()
        if pointer + n > flat.size:
            raise RuntimeError(f"vector_to_parameters: the vector has {flat.size} elements, too "
                               "few for the parameters")
        np.copyto(param._data, flat[pointer:pointer + n].reshape(param._data.shape),
                  casting="unsafe")
        param._version.value += 1
        pointer += n
