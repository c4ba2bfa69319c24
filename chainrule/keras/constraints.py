"""Weight constraints applied after every optimizer step (``keras.constraints``).

Example:
    >>> import chainrule as torch
    >>> from chainrule import keras
    >>> keras.constraints.NonNeg()(torch.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
"""

from __future__ import annotations

from .._tensor import Tensor

__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "get"]


class Constraint:
    """Base class: ``constraint(w)`` returns the projected weight.

    Example:
        >>> import chainrule as torch
        >>> Constraint()(torch.tensor([3.0])).tolist()
        [3.0]
    """

    def __call__(self, w: Tensor) -> Tensor:
        return w

    def get_config(self) -> dict:
        """The constructor arguments."""
        return {}


class NonNeg(Constraint):
    """Clip weights to be non-negative.

    Example:
        >>> import chainrule as torch
        >>> NonNeg()(torch.tensor([-3.0])).tolist()
        [0.0]
    """

    def __call__(self, w):
        return w.clamp(min=0.0)


class MaxNorm(Constraint):
    """Rescale weights whose norm along ``axis`` exceeds ``max_value``.

    Args:
        max_value: the largest allowed norm (default 2).
        axis: the axis (or axes) the norm is taken over (default 0: per output unit).

    Example:
        >>> import chainrule as torch
        >>> [round(v, 4) for v in MaxNorm(1.0)(torch.tensor([[3.0], [4.0]])).flatten().tolist()]
        [0.6, 0.8]
    """

    def __init__(self, max_value: float = 2.0, axis=0) -> None:
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = (w * w).sum(dim=self.axis, keepdim=True).sqrt()
        desired = norms.clamp(0.0, self.max_value)
        return w * (desired / (norms + 1e-7))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class UnitNorm(Constraint):
    """Rescale weights to unit norm along ``axis``.

    Example:
        >>> import chainrule as torch
        >>> [round(v, 3) for v in UnitNorm()(torch.tensor([[3.0], [4.0]])).flatten().tolist()]
        [0.6, 0.8]
    """

    def __init__(self, axis=0) -> None:
        self.axis = axis

    def __call__(self, w):
        return w / ((w * w).sum(dim=self.axis, keepdim=True).sqrt() + 1e-7)

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Keep norms along ``axis`` within ``[min_value, max_value]`` (blended by ``rate``).

    Example:
        >>> import chainrule as torch
        >>> round(MinMaxNorm(0.0, 1.0)(torch.tensor([[0.5]])).item(), 4)
        0.5
    """

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
                 axis=0) -> None:
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = (w * w).sum(dim=self.axis, keepdim=True).sqrt()
        desired = norms.clamp(self.min_value, self.max_value) * self.rate + \
            norms * (1 - self.rate)
        return w * (desired / (norms + 1e-7))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


_NAMES = {"non_neg": NonNeg, "nonneg": NonNeg, "max_norm": MaxNorm, "unit_norm": UnitNorm,
          "min_max_norm": MinMaxNorm, "NonNeg": NonNeg, "MaxNorm": MaxNorm,
          "UnitNorm": UnitNorm, "MinMaxNorm": MinMaxNorm}


def get(identifier):
    """Resolve a constraint by name or object (None stays None).

    Example:
        >>> type(get("non_neg")).__name__
        'NonNeg'
    """
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier in _NAMES:
        return _NAMES[identifier]()
    raise ValueError(f"Could not interpret constraint identifier: {identifier!r}")
