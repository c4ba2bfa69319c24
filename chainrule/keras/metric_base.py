"""``Metric`` (the base class of stateful metrics) and ``Mean``."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .backend import snake_case

__all__ = ["Mean", "Metric", "align", "to_numpy"]


def to_numpy(x) -> np.ndarray:
    """The NumPy array behind a tensor or array-like.

    Example:
        >>> to_numpy([1, 2]).tolist()
        [1, 2]
    """
    if isinstance(x, Tensor):
        return x._data
    return np.asarray(x)


def align(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """``y_true`` with a trailing size-1 axis added or dropped to match ``y_pred``'s rank.

    Example:
        >>> align(np.zeros((4, 1)), np.zeros(4)).shape
        (4,)
    """
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        return y_true.reshape(y_true.shape[:-1])
    if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        return y_true[..., None]
    return y_true


class Metric:
    """Base class: running state updated per batch, read with ``result()``.

    Args:
        name: the name shown in logs and ``History``.
        dtype: accepted for compatibility.

    Example:
        >>> class Count(Metric):
        ...     def __init__(self):
        ...         super().__init__(name="count")
        ...         self.n = 0
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         self.n += len(y_true)
        ...     def result(self):
        ...         return float(self.n)
        ...     def reset_state(self):
        ...         self.n = 0
        >>> c = Count(); c.update_state([1, 2], [1, 2]); c.result()
        2.0
    """

    _direction = "up"

    def __init__(self, name: str | None = None, dtype=None) -> None:
        self.name = name or snake_case(type(self).__name__)

    def update_state(self, *args, **kwargs) -> None:
        """Add a batch to the running state."""
        raise NotImplementedError

    def result(self) -> float:
        """The current value."""
        raise NotImplementedError

    def reset_state(self) -> None:
        """Forget all batches."""
        raise NotImplementedError

    reset_states = reset_state

    def __call__(self, *args, **kwargs) -> float:
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        """The constructor arguments."""
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


class Mean(Metric):
    """The (weighted) mean of all values seen.

    Example:
        >>> m = Mean()
        >>> m.update_state([1.0, 3.0]); m.update_state([5.0]); m.result()
        3.0
    """

    def __init__(self, name: str = "mean", dtype=None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def reset_state(self) -> None:
        self.total, self.count = 0.0, 0.0

    def update_state(self, values, sample_weight=None) -> None:
        v = np.asarray(to_numpy(values), dtype=np.float64)
        if sample_weight is not None:
            w = np.asarray(to_numpy(sample_weight), dtype=np.float64)
            while w.ndim > v.ndim and w.shape[-1] == 1:
                w = w.reshape(w.shape[:-1])
            w = np.broadcast_to(w.reshape(w.shape + (1,) * (v.ndim - w.ndim)), v.shape)
            self.total += float((v * w).sum())
            self.count += float(w.sum())
        else:
            self.total += float(v.sum())
            self.count += float(v.size)

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0
