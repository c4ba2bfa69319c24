"""Batching for ``fit``/``evaluate``/``predict``: NumPy arrays (or chainrule tensors) sliced
into batches without per-sample Python loops, or iterables of ready-made batches
(``chainrule.utils.data.DataLoader``, generators, ``keras.utils.PyDataset``-like sequences).
"""

from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ..random import numpy_rng
from .layers._tree import flatten, map_structure

__all__ = ["ArrayData", "IterableData", "make_data", "split_validation", "to_numpy",
           "unpack"]


def to_numpy(x):
    """Arrays from tensors, lists and scalars, keeping nesting of lists/tuples/dicts of
    arrays; float64 becomes float32 (Keras's floatx), integer data stays integer.

    Example:
        >>> to_numpy([[1.0, 2.0]]).dtype, to_numpy(np.arange(3)).dtype
        (dtype('float32'), dtype('int64'))
    """
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: to_numpy(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)) and x and all(
            isinstance(v, (np.ndarray, Tensor)) for v in x):
        return [to_numpy(v) for v in x]
    if isinstance(x, Tensor):
        arr = x.detach()._data
    else:
        arr = np.asarray(x)
    if arr.dtype == np.float64 or arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    if arr.dtype == object:
        raise ValueError(f"Failed to convert the data to a NumPy array (it has dtype=object, "
                         f"e.g. ragged sequences of different lengths). Pad sequences to a "
                         f"common length first. Received: {type(x).__name__}")
    return arr


def _lengths(struct) -> list:
    return [a.shape[0] if a.ndim else 1 for a in flatten(struct)]


def check_cardinality(x, y=None, sample_weight=None) -> int:
    """The common number of samples, or Keras's "Data cardinality is ambiguous" error.

    Example:
        >>> check_cardinality(np.zeros((5, 2)), np.zeros(5))
        5
    """
    parts = [("x", x), ("y", y), ("sample_weight", sample_weight)]
    sizes = {label: _lengths(v) for label, v in parts if v is not None}
    flat = {n for v in sizes.values() for n in v}
    if len(flat) > 1:
        msg = ("Data cardinality is ambiguous. Make sure all arrays contain the same number "
               "of samples.")
        for label, v in sizes.items():
            msg += f"\n'{label}' sizes: {', '.join(str(n) for n in v)}"
        raise ValueError(msg)
    return flat.pop() if flat else 0


def _take(struct, idx):
    return map_structure(lambda a: a[idx], struct)


def class_weights_to_sample_weights(y: np.ndarray, class_weight: dict) -> np.ndarray:
    """Per-sample weights ``class_weight[label]`` (labels as integers or one-hot rows).

    Example:
        >>> class_weights_to_sample_weights(np.array([0, 1, 1]), {1: 2.0}).tolist()
        [1.0, 2.0, 2.0]
    """
    labels = np.argmax(y, axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else \
        y.reshape(y.shape[0], -1)[:, 0]
    labels = np.rint(labels).astype(np.int64)
    table = np.ones(int(max(labels.max(initial=0), max(class_weight) if class_weight else 0))
                    + 1, dtype=np.float32)
    for k, v in class_weight.items():
        table[int(k)] = v
    return table[labels]


class ArrayData:
    """In-memory arrays cut into batches (shuffled each epoch if asked).

    Args:
        x, y, sample_weight: arrays (or nests of arrays) with the same first dimension.
        batch_size: samples per batch.
        shuffle: draw a new permutation every epoch (from chainrule's generator).
        class_weight: ``{class: weight}`` turned into per-sample weights.
        steps: number of batches per epoch (default: all of them).

    Example:
        >>> data = ArrayData(np.zeros((10, 2)), np.zeros(10), batch_size=4)
        >>> [x.shape[0] for x, y, sw in data.batches()]
        [4, 4, 2]
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size: int = 32,
                 shuffle: bool = False, class_weight=None, steps=None) -> None:
        self.x, self.y = to_numpy(x), to_numpy(y)
        self.sw = to_numpy(sample_weight)
        self.n = check_cardinality(self.x, self.y, self.sw)
        if class_weight:
            if self.y is None:
                raise ValueError("`class_weight` requires targets `y`.")
            cw = class_weights_to_sample_weights(np.asarray(self.y), class_weight)
            self.sw = cw if self.sw is None else self.sw * cw
        if batch_size is None:
            batch_size = 32
        if int(batch_size) <= 0:
            raise ValueError(f"`batch_size` must be a positive integer. Received: "
                             f"batch_size={batch_size}")
        self.batch_size, self.shuffle = int(batch_size), shuffle
        self.num_batches = max(1, math.ceil(self.n / self.batch_size)) if self.n else 0
        if steps is not None:
            self.num_batches = min(self.num_batches, int(steps))

    def batches(self):
        """Yield ``(x, y, sample_weight)`` batches of NumPy arrays."""
        bs = self.batch_size
        perm = numpy_rng().permutation(self.n) if self.shuffle else None
        for i in range(self.num_batches):
            idx = slice(i * bs, min((i + 1) * bs, self.n)) if perm is None else \
                np.sort(perm[i * bs:(i + 1) * bs])
            yield (_take(self.x, idx), None if self.y is None else _take(self.y, idx),
                   None if self.sw is None else _take(self.sw, idx))


def unpack(batch):
    """``(x, y, sample_weight)`` from a batch given as ``x``, ``(x,)``, ``(x, y)`` or
    ``(x, y, sample_weight)`` (Keras's ``unpack_x_y_sample_weight``).

    Example:
        >>> unpack(("x", "y"))
        ('x', 'y', None)
    """
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple):
        return batch, None, None
    if len(batch) == 1:
        return batch[0], None, None
    if len(batch) == 2:
        return batch[0], batch[1], None
    if len(batch) == 3:
        return batch
    raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`, found a tuple of {len(batch)} elements")


class IterableData:
    """Batches from an iterable (``DataLoader``, ``PyDataset``-like sequence, generator).

    Args:
        data: the iterable; each item is ``x``, ``(x, y)`` or ``(x, y, sample_weight)``.
        steps: batches per epoch (default ``len(data)`` when it has one, else until
            exhausted).

    Example:
        >>> batches = [(np.zeros((2, 3)), np.zeros(2))] * 3
        >>> IterableData(batches).num_batches
        3
    """

    def __init__(self, data, steps=None) -> None:
        self.data = data
        self._iter = None
        n = None
        try:
            n = len(data)
        except TypeError:
            pass
        self.num_batches = int(steps) if steps is not None else n
        self._restartable = n is not None or hasattr(data, "__iter__") and \
            iter(data) is not data

    def batches(self):
        """Yield ``(x, y, sample_weight)`` batches."""
        if hasattr(self.data, "__getitem__") and hasattr(self.data, "__len__") and \
                not hasattr(self.data, "__iter__"):
            source = (self.data[i] for i in range(len(self.data)))
        elif self._restartable or self._iter is None:
            source = iter(self.data)
        else:
            source = self._iter
        self._iter = source
        for count, batch in enumerate(source, 1):
            x, y, sw = unpack(batch)
            yield to_numpy(x), to_numpy(y), to_numpy(sw)
            if self.num_batches is not None and count >= self.num_batches:
                break
        if hasattr(self.data, "on_epoch_end"):
            self.data.on_epoch_end()


def is_array_like(x) -> bool:
    """Whether ``x`` is in-memory data (arrays, tensors, lists of numbers).

    Example:
        >>> is_array_like(np.zeros(3)), is_array_like(iter([]))
        (True, False)
    """
    if isinstance(x, (np.ndarray, Tensor, list, tuple, dict)) or np.isscalar(x):
        return True
    return hasattr(x, "__array__")


def make_data(x, y=None, sample_weight=None, batch_size=None, shuffle=False,
              class_weight=None, steps=None):
    """An ``ArrayData`` for in-memory data or an ``IterableData`` for batch iterables.

    Example:
        >>> type(make_data(np.zeros((3, 1)))).__name__
        'ArrayData'
    """
    if not is_array_like(x):
        if y is not None:
            raise ValueError("When `x` is a dataset, generator or DataLoader, `y` should not "
                             "be passed: the batches must contain the targets.")
        return IterableData(x, steps)
    return ArrayData(x, y, sample_weight, batch_size or 32, shuffle, class_weight, steps)


def split_validation(x, y, sample_weight, validation_split: float):
    """Keras's ``validation_split``: the last fraction of the samples (before any
    shuffling) becomes the validation set.

    Example:
        >>> (x, y, _), (vx, vy, _) = split_validation(np.arange(10), np.arange(10), None, 0.2)
        >>> vx.tolist()
        [8, 9]
    """
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"`validation_split` must be in the range (0, 1). Received: "
                         f"validation_split={validation_split}")
    if not is_array_like(x):
        raise ValueError("`validation_split` is only supported for NumPy arrays and tensors, "
                         "not for datasets, generators or DataLoaders. Pass "
                         "`validation_data` instead.")
    x, y, sample_weight = to_numpy(x), to_numpy(y), to_numpy(sample_weight)
    n = check_cardinality(x, y, sample_weight)
    split = math.floor(n * (1.0 - validation_split))
    if split == 0 or split == n:
        raise ValueError(f"Training data contains {n} samples, which is not sufficient to "
                         f"split it into a validation and training set as specified by "
                         f"`validation_split={validation_split}`. Either provide more data, "
                         f"or a different value for the `validation_split` argument.")

    def part(s, sl):
        return None if s is None else _take(s, sl)

    train = (part(x, slice(0, split)), part(y, slice(0, split)),
             part(sample_weight, slice(0, split)))
    val = (part(x, slice(split, n)), part(y, slice(split, n)),
           part(sample_weight, slice(split, n)))
    return train, val
