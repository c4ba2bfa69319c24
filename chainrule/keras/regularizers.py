"""Weight penalties added to the training loss (``keras.regularizers``).

A regularizer maps a weight tensor to a scalar penalty tensor; layers given
``kernel_regularizer=`` (or ``bias_regularizer=``) contribute it to ``model.losses``, which
``fit`` adds to the compiled loss, so its gradient flows through chainrule autograd.

Example:
    >>> import chainrule as torch
    >>> from chainrule import keras
    >>> keras.regularizers.l2(0.5)(torch.tensor([1.0, 2.0])).item()
    2.5
"""

from __future__ import annotations

from .._tensor import Tensor

__all__ = ["L1", "L1L2", "L2", "Regularizer", "get", "l1", "l1_l2", "l2", "serialize"]


class Regularizer:
    """Base class: ``reg(weight)`` returns a scalar penalty tensor.

    Example:
        >>> import chainrule as torch
        >>> class Sum(Regularizer):
        ...     def __call__(self, x):
        ...         return x.sum()
        >>> Sum()(torch.ones(3)).item()
        3.0
    """

    def __call__(self, x: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__")

    def get_config(self) -> dict:
        """The constructor arguments."""
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Regularizer:
        """Rebuild a regularizer from ``get_config()``."""
        return cls(**config)


class L1L2(Regularizer):
    """``l1 * sum(|w|) + l2 * sum(w ** 2)``.

    Args:
        l1: the L1 factor (default 0).
        l2: the L2 factor (default 0).

    Example:
        >>> import chainrule as torch
        >>> L1L2(l1=1.0, l2=1.0)(torch.tensor([-2.0])).item()
        6.0
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        for name, v in (("l1", l1), ("l2", l2)):
            if v is None or float(v) < 0:
                raise ValueError(f"Value for argument `{name}` should be a non-negative float. "
                                 f"Received: {name}={v}")
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x: Tensor) -> Tensor:
        out = None
        if self.l1:
            out = x.abs().sum() * self.l1
        if self.l2:
            sq = (x * x).sum() * self.l2
            out = sq if out is None else out + sq
        return out if out is not None else (x * 0).sum()

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """``l1 * sum(|w|)`` (default factor 0.01).

    Example:
        >>> import chainrule as torch
        >>> round(L1()(torch.tensor([-2.0, 1.0])).item(), 4)
        0.03
    """

    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """``l2 * sum(w ** 2)`` (default factor 0.01).

    Example:
        >>> import chainrule as torch
        >>> round(L2()(torch.tensor([-2.0, 1.0])).item(), 4)
        0.05
    """

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


l1 = L1
l2 = L2
l1_l2 = L1L2

_NAMES = {"l1": L1, "l2": L2, "l1_l2": L1L2, "L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier) -> Regularizer | None:
    """Resolve a regularizer given by name (``'l1'``, ``'l2'``, ``'l1_l2'``), config dict or
    object; None stays None.

    Example:
        >>> type(get("l2")).__name__, get(None)
        ('L2', None)
    """
    if identifier is None or isinstance(identifier, Regularizer) or callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        cls = _NAMES.get(identifier.get("class_name", ""))
        if cls is None:
            raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str) and identifier in _NAMES:
        return _NAMES[identifier]()
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}. "
                     f"Known regularizers: 'l1', 'l2', 'l1_l2'")


def serialize(reg) -> dict | None:
    """A JSON-able description of a regularizer.

    Example:
        >>> serialize(L2(0.1))
        {'class_name': 'L2', 'config': {'l2': 0.1}}
    """
    if reg is None:
        return None
    if isinstance(reg, Regularizer):
        return {"class_name": type(reg).__name__, "config": reg.get_config()}
    raise ValueError(f"Cannot serialize the regularizer {reg!r}")
