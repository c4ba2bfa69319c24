"""``Parameter`` (a tensor that modules register as learnable) and ``Buffer``."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _infer_array

__all__ = ["Buffer", "Parameter", "is_lazy"]


class Parameter(Tensor):
    """A tensor that is a module parameter: assigning it to a ``Module`` attribute registers it.

    It shares memory with ``data`` and requires grad by default. Operations on a parameter give
    ordinary tensors.

    Args:
        data: the initial values (a tensor, array or nested sequence); an empty tensor if None.
        requires_grad: whether the parameter requires gradient (default True).

    Example:
        >>> import chainrule as torch
        >>> p = torch.nn.Parameter(torch.ones(2))
        >>> p.requires_grad, p.is_leaf
        (True, True)
        >>> (p * 2).grad_fn is not None
        True
    """

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        if data is None:
            Tensor._init(self, np.empty((0,), dtype=np.float32))
        elif isinstance(data, Tensor):
            Tensor._init(self, data._data)
            self._version = data._version
        else:
            Tensor._init(self, _infer_array(data, None))
        if requires_grad:
            if self._data.dtype.kind != "f":
                raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                                   "gradients")
            self._requires_grad = True

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class _BufferMeta(type):
    """``isinstance(t, Buffer)`` is true for tensors made by ``Buffer(...)``."""

    def __instancecheck__(cls, instance) -> bool:
        return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """Marks a tensor as a module buffer: ``self.stats = nn.Buffer(torch.zeros(3))`` registers it
    like ``register_buffer('stats', ...)``.

    Args:
        data: the buffer's values (a tensor; shared, not copied).
        persistent: whether the buffer is part of ``state_dict`` (default True).

    Example:
        >>> import chainrule as torch
        >>> m = torch.nn.Module()
        >>> m.count = torch.nn.Buffer(torch.zeros(1))
        >>> list(dict(m.named_buffers()))
        ['count']
    """

    def __new__(cls, data=None, *, persistent: bool = True):
        if data is None:
            data = Tensor._make(np.empty((0,), dtype=np.float32))
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer: expected a Tensor, received {type(data).__name__}")
        t = data.detach()
        t._is_buffer = True
        t._buffer_persistent = bool(persistent)
        return t


def is_lazy(param) -> bool:
    """Always False: chainrule has no lazily initialised parameters."""
    return False
