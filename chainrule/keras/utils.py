"""Utilities (``keras.utils``): ``to_categorical``, ``normalize``, ``set_random_seed``,
``Progbar``, ``PyDataset`` and ``clear_session``.

Example:
    >>> from chainrule import keras
    >>> keras.utils.to_categorical([0, 2], num_classes=3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .backend import clear_session, set_random_seed
from .progbar import Progbar

__all__ = ["Progbar", "PyDataset", "Sequence", "clear_session", "normalize",
           "set_random_seed", "to_categorical"]


def to_categorical(x, num_classes: int | None = None) -> np.ndarray:
    """One-hot encode integer class labels (a trailing axis of size 1 is dropped).

    Args:
        x: integer labels, any shape (NumPy array, list or tensor).
        num_classes: number of classes (default ``max(x) + 1``).

    Returns:
        A float32 array of shape ``x.shape + (num_classes,)``.

    Raises:
        ValueError: non-integer or negative labels, or labels ``>= num_classes``.

    Example:
        >>> to_categorical([1, 0], 2).tolist()
        [[0.0, 1.0], [1.0, 0.0]]
    """
    arr = x._data if isinstance(x, Tensor) else np.asarray(x)
    if arr.ndim > 1 and arr.shape[-1] == 1:
        arr = arr.reshape(arr.shape[:-1])
    if arr.dtype.kind == "f":
        if arr.size and not np.all(arr == np.round(arr)):
            raise ValueError("to_categorical expects integer class labels; received "
                             "non-integer values")
    elif arr.dtype.kind not in "iub":
        raise ValueError(f"to_categorical expects integer class labels; received dtype "
                         f"{arr.dtype}")
    labels = arr.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical: labels must be non-negative, received "
                         f"{int(labels.min())}")
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    elif labels.size and labels.max() >= num_classes:
        raise ValueError(f"to_categorical: label {int(labels.max())} is out of range for "
                         f"num_classes={num_classes}")
    out = np.zeros(labels.shape + (num_classes,), dtype=np.float32)
    np.put_along_axis(out, labels[..., None], 1.0, axis=-1)
    return out


def normalize(x, axis: int = -1, order: int = 2) -> np.ndarray:
    """Scale ``x`` to unit ``order``-norm along ``axis``.

    Example:
        >>> normalize(np.array([[3.0, 4.0]])).tolist()
        [[0.6, 0.8]]
    """
    arr = x._data if isinstance(x, Tensor) else np.asarray(x)
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float32)
    norm = np.linalg.norm(arr, ord=order, axis=axis, keepdims=True)
    return arr / np.where(norm == 0, 1, norm)


class PyDataset:
    """Base class for batch sequences fed to ``fit``: implement ``__len__`` (batches per
    epoch) and ``__getitem__(i)`` returning ``(x, y)`` for batch ``i``.

    Example:
        >>> class Batches(PyDataset):
        ...     def __len__(self):
        ...         return 2
        ...     def __getitem__(self, i):
        ...         return np.zeros((4, 3)), np.zeros((4, 1))
        >>> len(Batches())
        2
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False,
                 max_queue_size: int = 10) -> None:
        pass

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index):
        raise NotImplementedError

    def on_epoch_end(self) -> None:
        """Called after every epoch (e.g. to reshuffle)."""


Sequence = PyDataset
