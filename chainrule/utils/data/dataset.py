"""Datasets: the map-style ``Dataset`` and stream-style ``IterableDataset`` protocols, and the
standard wrappers (``TensorDataset``, ``Subset``, ``ConcatDataset``…), as in PyTorch.

Batch fast path: a map-style dataset may define ``_get_batch(indices)`` returning the batch that
``default_collate([self[i] for i in indices])`` would produce, or ``NotImplemented``. The
``DataLoader`` calls it when the collate function is the default, so a ``TensorDataset`` batch
is one fancy-indexing per tensor instead of a Python loop over samples.
"""

from __future__ import annotations

import bisect
import itertools
import math
import numbers
import warnings
from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

import numpy as np

from ..._tensor import Tensor, as_tensor
from ...random import Generator, default_generator, numpy_rng

T_co = TypeVar("T_co", covariant=True)

__all__ = [
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "StackDataset",
    "Subset",
    "TensorDataset",
    "random_split",
]


class Dataset(Generic[T_co]):
    """Base class of map-style datasets: ``dataset[i]`` gives the ``i``-th sample.

    Subclasses implement ``__getitem__`` and (for samplers and ``len(DataLoader)``) ``__len__``.
    ``a + b`` concatenates two datasets.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return i * i
        >>> [x for x in Squares() + Squares()][:5]
        [0, 1, 4, 9, 0]
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co]):
    """Base class of stream-style datasets: implement ``__iter__`` to yield samples.

    With ``num_workers > 0`` every worker iterates its own copy of the dataset; use
    ``get_worker_info()`` inside ``__iter__`` to give each worker a different shard.

    Example:
        >>> class Count(IterableDataset):
        ...     def __iter__(self):
        ...         return iter(range(3))
        >>> list(Count() + Count())
        [0, 1, 2, 0, 1, 2]
    """

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other: Dataset) -> ChainDataset:
        return ChainDataset([self, other])


class _SizeMismatchError(ValueError, AssertionError):
    """A ValueError that is also the AssertionError PyTorch raises for the same mistake."""


def _first_dim(t) -> int:
    if t.ndim == 0:
        raise ValueError("TensorDataset: every tensor needs at least one dimension (the sample "
                         "dimension), received a 0-d tensor")
    return t.shape[0]


def _rows(t: Tensor, index):
    """``t[index]`` for a sample index: a view sharing data (and version counter) with ``t``."""
    if t._requires_grad:
        return t[index]
    out = Tensor._make(t._data[index, ...])
    out._version = t._version
    out._base = t if t._base is None else t._base
    return out


class TensorDataset(Dataset):
    """A dataset of tensors indexed along their first dimension; sample ``i`` is
    ``tuple(t[i] for t in tensors)``.

    NumPy arrays are accepted and wrapped as tensors (sharing memory). With the default
    collate function a ``DataLoader`` forms each batch with one fancy-indexing per tensor.

    Args:
        *tensors: tensors (or arrays) with the same size of the first dimension.

    Raises:
        ValueError: the first dimensions differ ("Size mismatch between tensors"); this is also
            an ``AssertionError``, the type PyTorch raises.

    Example:
        >>> import numpy as np, chainrule
        >>> ds = TensorDataset(chainrule.from_numpy(np.zeros((5, 3), np.float32)),
        ...                    chainrule.tensor([0, 1, 0, 1, 1]))
        >>> len(ds), ds[1][0].shape, ds[1][1].item()
        (5, torch.Size([3]), 1)
    """

    def __init__(self, *tensors) -> None:
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor, received none")
        tensors = tuple(t if isinstance(t, Tensor) else as_tensor(np.asarray(t))
                        for t in tensors)
        sizes = [_first_dim(t) for t in tensors]
        if any(s != sizes[0] for s in sizes):
            raise _SizeMismatchError(
                "Size mismatch between tensors: all tensors must have the same size in the "
                f"first dimension, received sizes {sizes}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(_rows(t, index) for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def _get_batch(self, indices: np.ndarray):
        if any(t._requires_grad for t in self.tensors):
            return NotImplemented
        # default_collate turns the sample tuples into a list of stacked tensors
        return [Tensor._make(t._data[indices]) for t in self.tensors]


class StackDataset(Dataset):
    """Zip datasets of equal length: sample ``i`` is the tuple (or dict, for keyword
    arguments) of each dataset's sample ``i``.

    Args:
        *args: datasets, giving tuple samples.
        **kwargs: named datasets, giving dict samples (not both).

    Example:
        >>> ds = StackDataset(x=[1, 2], y=["a", "b"])
        >>> ds[1]
        {'x': 2, 'y': 'b'}
    """

    def __init__(self, *args, **kwargs) -> None:
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via "
                             "``kwargs``) like input/output, but both types are given.")
        datasets = list(args) or list(kwargs.values())
        if not datasets:
            raise ValueError("At least one dataset should be passed")
        lengths = [len(d) for d in datasets]
        if any(n != lengths[0] for n in lengths):
            raise ValueError(f"Size mismatch between datasets: received lengths {lengths}")
        self._length = lengths[0]
        self.datasets = tuple(args) if args else dict(kwargs)

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset):
    """Concatenation of map-style datasets.

    Args:
        datasets: the datasets, in order (not empty; no ``IterableDataset``).

    Example:
        >>> ds = ConcatDataset([[1, 2], [3]])
        >>> len(ds), ds[2], ds[-1], ds.cumulative_sizes
        (3, 3, 3, [2, 3])
    """

    @staticmethod
    def cumsum(sequence) -> list[int]:
        """Running totals of the datasets' lengths."""
        return list(itertools.accumulate(len(e) for e in sequence))

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        if dataset_idx == len(self.datasets):
            raise IndexError(f"ConcatDataset index {idx} is out of range for a dataset of "
                             f"length {len(self)}")
        sample_idx = idx if dataset_idx == 0 else idx - self.cumulative_sizes[dataset_idx - 1]
        return self.datasets[dataset_idx][sample_idx]


class ChainDataset(IterableDataset):
    """Chain iterable datasets one after the other (assembled lazily).

    Example:
        >>> list(ChainDataset([range(2), range(3)]))
        [0, 1, 0, 1, 2]
    """

    def __init__(self, datasets: Iterable) -> None:
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Args:
        dataset: the whole dataset.
        indices: positions in ``dataset`` (a sequence of ints).

    Example:
        >>> s = Subset(["a", "b", "c", "d"], [3, 1])
        >>> len(s), s[0], s.__getitems__([0, 1])
        (2, 'd', ['d', 'b'])
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list:
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems([self.indices[idx] for idx in indices])
        return [self.dataset[self.indices[idx]] for idx in indices]

    def __len__(self) -> int:
        return len(self.indices)

    def _get_batch(self, indices: np.ndarray):
        inner = getattr(self.dataset, "_get_batch", None)
        if inner is None:
            return NotImplemented
        cached = self.__dict__.get("_index_cache")
        if cached is None or cached[0] is not self.indices or len(cached[1]) != len(self.indices):
            cached = (self.indices, np.asarray(self.indices, dtype=np.int64))
            self._index_cache = cached  # converting a long index list per batch is slow
        return inner(cached[1][indices])


def random_split(dataset: Dataset, lengths: Sequence[int | float],
                 generator: Generator | None = default_generator) -> list[Subset]:
    """Split a dataset into non-overlapping random subsets.

    ``lengths`` are either the subset sizes (summing to ``len(dataset)``) or fractions summing
    to 1; fractional sizes are floored and the remaining samples handed out one at a time,
    round-robin from the first subset, exactly as PyTorch does.

    Args:
        dataset: the dataset to split.
        lengths: sizes or fractions of the splits.
        generator: the generator for the permutation (default: the global one).

    Returns:
        A list of ``Subset``.

    Raises:
        ValueError: the sizes do not add up to the dataset's length, or a fraction is outside
            [0, 1].

    Example:
        >>> import chainrule
        >>> g = chainrule.Generator().manual_seed(0)
        >>> a, b = random_split(range(10), [0.7, 0.3], generator=g)
        >>> len(a), len(b), sorted(list(a) + list(b)) == list(range(10))
        (7, 3, True)
    """
    n = len(dataset)
    lengths = list(lengths)
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        subset_lengths = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            subset_lengths.append(math.floor(n * frac))
        for i in range(n - sum(subset_lengths)):
            subset_lengths[i % len(subset_lengths)] += 1
        lengths = subset_lengths
        for i, length in enumerate(lengths):
            if length == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty "
                              "dataset.", stacklevel=2)
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset! "
                         f"(lengths sum to {sum(lengths)}, the dataset has {n} samples)")
    for i, length in enumerate(lengths):
        if not isinstance(length, numbers.Integral) or length < 0:
            raise ValueError(f"random_split: lengths must be non-negative ints or fractions "
                             f"summing to 1, received {length!r} at index {i}")
    indices = numpy_rng(generator).permutation(n).tolist()
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, indices[offset:offset + length]))
        offset += length
    return out
