"""Samplers: iterables over dataset indices (or, for ``BatchSampler``, lists of indices).

Random samplers draw from a chainrule ``Generator`` (the global one when none is given), so
``chainrule.manual_seed`` or a seeded ``generator`` makes the order reproducible. Each sampler
below computes an epoch's order as one NumPy array (``_indices``), which ``BatchSampler``
slices instead of looping over the indices one by one.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar

import numpy as np

from ...random import Generator, numpy_rng

T_co = TypeVar("T_co", covariant=True)

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
]


def _rng(generator) -> np.random.Generator:
    if isinstance(generator, np.random.Generator):
        return generator
    return numpy_rng(generator)


def _check_positive_int(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")


def _check_bool(name: str, value) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{name} should be a boolean value, but got {name}={value}")


class Sampler(Generic[T_co]):
    """Base class of samplers: subclasses implement ``__iter__`` (and usually ``__len__``).

    Example:
        >>> class Evens(Sampler):
        ...     def __init__(self, n):
        ...         self.n = n
        ...     def __iter__(self):
        ...         return iter(range(0, self.n, 2))
        >>> list(Evens(7))
        [0, 2, 4, 6]
    """

    def __init__(self, data_source=None) -> None:
        pass

    def __iter__(self) -> Iterator:
        raise NotImplementedError


def _iter_from_indices(self) -> Iterator[int]:
    """``__iter__`` of the built-in samplers: the epoch's index array as Python ints."""
    return iter(self._indices().tolist())


class SequentialSampler(Sampler):
    """Yield ``0, 1, …, len(data_source) - 1``.

    Example:
        >>> list(SequentialSampler(range(3)))
        [0, 1, 2]
    """

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def _indices(self) -> np.ndarray:
        return np.arange(len(self.data_source))

    __iter__ = _iter_from_indices

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Yield indices in random order: a permutation, or draws with replacement.

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw ``num_samples`` indices independently (default: a permutation).
        num_samples: how many indices per epoch (default ``len(data_source)``); without
            replacement, more than the length repeats whole permutations.
        generator: the random generator; without one, each epoch draws a fresh seed from the
            global generator (as PyTorch does).

    Example:
        >>> import chainrule
        >>> s = RandomSampler(range(5), generator=chainrule.Generator().manual_seed(0))
        >>> sorted(s)
        [0, 1, 2, 3, 4]
    """

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator: Generator | None = None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        _check_bool("replacement", replacement)
        _check_positive_int("num_samples", self.num_samples)

    @property
    def num_samples(self) -> int:
        """Indices per epoch."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _indices(self) -> np.ndarray:
        n = len(self.data_source)
        if n == 0:
            raise ValueError("RandomSampler: cannot sample from an empty dataset")
        if self.generator is None:
            seed = int(numpy_rng().integers(0, 2 ** 63))
            rng = np.random.Generator(np.random.PCG64(seed))
        else:
            rng = _rng(self.generator)
        m = self.num_samples
        if self.replacement:
            return rng.integers(0, n, size=m)
        parts = [rng.permutation(n) for _ in range(m // n)]
        if m % n:
            parts.append(rng.permutation(n)[:m % n])
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    __iter__ = _iter_from_indices

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """Yield the given indices in random order (without replacement).

    Args:
        indices: the indices to permute.
        generator: the random generator (default: the global one).

    Example:
        >>> sorted(SubsetRandomSampler([10, 20, 30]))
        [10, 20, 30]
    """

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in _rng(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Yield indices ``0..len(weights)-1`` drawn with probabilities proportional to ``weights``.

    Args:
        weights: non-negative weights, one per sample (need not sum to one).
        num_samples: how many indices per epoch.
        replacement: draw with replacement (default); without, ``num_samples`` must not exceed
            the number of non-zero weights.
        generator: the random generator (default: the global one).

    Example:
        >>> list(WeightedRandomSampler([0.0, 1.0, 0.0], 3))
        [1, 1, 1]
    """

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Generator | None = None) -> None:
        _check_positive_int("num_samples", num_samples)
        _check_bool("replacement", replacement)
        w = np.asarray(weights._data if hasattr(weights, "_data") else weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError("weights should be a 1d sequence but given weights have shape "
                             f"{tuple(w.shape)}")
        if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise RuntimeError("WeightedRandomSampler: weights must be finite, non-negative and "
                               "not all zero")
        if not replacement and num_samples > np.count_nonzero(w):
            raise RuntimeError(f"WeightedRandomSampler: cannot draw num_samples={num_samples} "
                               f"without replacement from {np.count_nonzero(w)} non-zero weights")
        self.weights = w
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def _indices(self) -> np.ndarray:
        p = self.weights / self.weights.sum()
        return _rng(self.generator).choice(len(p), size=self.num_samples,
                                           replace=self.replacement, p=p)

    __iter__ = _iter_from_indices

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``.

    Args:
        sampler: any iterable of indices.
        batch_size: indices per batch (a positive int).
        drop_last: drop the last batch if it is smaller than ``batch_size``.

    Example:
        >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
        [[0, 1], [2, 3], [4]]
        >>> list(BatchSampler(range(5), batch_size=2, drop_last=True))
        [[0, 1], [2, 3]]
    """

    def __init__(self, sampler, batch_size: int, drop_last: bool) -> None:
        _check_positive_int("batch_size", batch_size)
        if not isinstance(drop_last, bool):  # PyTorch raises ValueError here
            raise ValueError(  # noqa: TRY004
                f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        bs = self.batch_size
        if type(self.sampler).__iter__ is _iter_from_indices:
            idx = self.sampler._indices()
            end = len(idx) - len(idx) % bs if self.drop_last else len(idx)
            for i in range(0, end, bs):
                yield idx[i:i + bs].tolist()
            return
        it = iter(self.sampler)
        while True:
            batch = list(itertools.islice(it, bs))
            if not batch or (self.drop_last and len(batch) < bs):
                return
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
