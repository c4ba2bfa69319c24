"""``DataLoader``: batches from a dataset, in the main process or in worker processes."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import pickle
import warnings
from collections.abc import Callable, Iterable
from multiprocessing.connection import wait
from typing import Any

from ...random import Generator, numpy_rng
from ._collate import default_collate, default_convert
from ._worker import (
    ExceptionWrapper,
    _IterableDatasetStopIteration,
    _ResumeIteration,
    create_fetcher,
    worker_loop,
)
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]

# How often a waiting main process re-checks its workers when no timeout was asked for.
_STATUS_CHECK_INTERVAL = 5.0


class _InfiniteConstantSampler(Sampler):
    """Yields None forever: the 'index' sampler of an iterable dataset."""

    def __iter__(self):
        while True:
            yield None


class DataLoader:
    """Iterate over a dataset in (shuffled) batches, optionally loading in worker processes.

    Args:
        dataset: a map-style ``Dataset`` (anything with ``__getitem__`` and ``__len__``) or an
            ``IterableDataset``.
        batch_size: samples per batch (default 1); ``None`` turns automatic batching off, so
            the loader yields single samples passed through ``default_convert``.
        shuffle: reshuffle the samples every epoch (map-style datasets only).
        sampler: the order of the sample indices (excludes ``shuffle``).
        batch_sampler: yields whole lists of indices (excludes ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``).
        num_workers: load in this many worker processes (0: in the main process). Worker
            ``i`` seeds Python's ``random``, NumPy's global generator and chainrule's global
            generator with ``base_seed + i``, where ``base_seed`` is drawn from ``generator``
            (or the global generator) for every epoch's iterator. Batches come back in order.
        collate_fn: merges a list of samples into a batch (default ``default_collate``).
        pin_memory: accepted for compatibility (no effect on the CPU).
        drop_last: drop the last batch if it is incomplete.
        timeout: seconds to wait for a batch from the workers before raising (0: forever).
        worker_init_fn: called as ``fn(worker_id)`` in each worker after seeding.
        multiprocessing_context: a start method name (``'fork'``, ``'spawn'``,
            ``'forkserver'``) or context (default: the platform's).
        generator: the generator for shuffling and for the workers' base seed, for a
            reproducible order independent of the global generator.
        prefetch_factor: batches loaded in advance per worker (default 2 with workers).
        persistent_workers: keep the worker processes alive between epochs.
        pin_memory_device: accepted for compatibility.
        in_order: accepted for compatibility; batches always come in the sampler's order.

    Fast path: with the default ``collate_fn``, a ``TensorDataset`` (or a dataset defining
    ``_get_batch(indices)``, see ``chainrule.utils.data.dataset``) is batched by fancy-indexing
    whole batches instead of collating sample by sample.

    Example:
        >>> import numpy as np, chainrule
        >>> from chainrule.utils.data import TensorDataset
        >>> ds = TensorDataset(chainrule.from_numpy(np.arange(10.0)), chainrule.tensor([0, 1] * 5))
        >>> loader = DataLoader(ds, batch_size=4)
        >>> len(loader), [x.tolist() for x, y in loader][-1]
        (3, [8.0, 9.0])
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context=None, generator: Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             f"disable multiprocessing. (received num_workers={num_workers!r})")
        if timeout < 0:
            raise ValueError(f"timeout option should be non-negative, received {timeout}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if dataset is None:
            raise ValueError("DataLoader: dataset must be a dataset, received None")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._is_iterable = True
            if shuffle not in {False, None}:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            self._is_iterable = False
            shuffle = bool(shuffle)
            if not hasattr(dataset, "__getitem__"):
                raise TypeError(f"DataLoader: dataset must define __getitem__ (map-style) or be an "
                                f"IterableDataset, received {type(dataset).__name__}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if self._is_iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None
        if not self._is_iterable and hasattr(dataset, "__len__") and len(dataset) == 0:
            warnings.warn("DataLoader: the dataset is empty (len(dataset) == 0), so iterating "
                          "the loader yields no batches", UserWarning, stacklevel=2)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        return _MultiProcessingDataLoaderIter(self)

    def __iter__(self):
        """A fresh iterator over the batches (reusing the workers if they persist)."""
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self) -> int:
        """The number of batches per epoch (for iterable datasets: from ``len(dataset)``)."""
        return _num_batches(self._is_iterable, self.dataset, self.batch_size, self.drop_last,
                            self._index_sampler)

    def __del__(self):
        it = self.__dict__.get("_iterator")
        if it is not None:
            it._shutdown_workers()


def _num_batches(is_iterable: bool, dataset, batch_size, drop_last: bool, index_sampler) -> int:
    if is_iterable:
        length = len(dataset)
        if batch_size is not None:
            length = length // batch_size if drop_last else -(-length // batch_size)
        return length
    return len(index_sampler)


class _BaseDataLoaderIter:
    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._is_iterable = loader._is_iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._sampler_iter = iter(self._index_sampler)
        self._base_seed = int(numpy_rng(loader.generator).integers(0, 2 ** 63))
        self._persistent_workers = loader.persistent_workers
        self._batch_size = loader.batch_size  # (no reference to the loader: no cycle)

    def __iter__(self):
        return self

    def _reset(self, loader: DataLoader) -> None:
        self._sampler_iter = iter(self._index_sampler)

    def _next_index(self):
        if self._is_iterable:  # an iterable dataset's fetcher only needs the batch size
            return self._batch_size
        return next(self._sampler_iter)

    def __next__(self):
        return self._next_data()

    def __len__(self) -> int:
        return _num_batches(self._is_iterable, self._dataset, self._batch_size, self._drop_last,
                            self._index_sampler)


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._fetcher = create_fetcher(self._is_iterable, self._dataset, self._auto_collation,
                                       self._collate_fn, self._drop_last)

    def _next_data(self):
        index = self._next_index()
        return self._fetcher.fetch(index)

    def _shutdown_workers(self) -> None:
        pass


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Worker processes fetch batches; the main process hands out indices round-robin and
    returns the results in the order of the sampler (the design of PyTorch's loader)."""

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor
        self._shutdown = False
        # A worker forked later for another loader inherits this object: only the process that
        # started these workers may stop them.
        self._owner_pid = os.getpid()
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = multiprocessing.get_context()
        elif isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        self._workers, self._task_conns, self._result_conns = [], [], []
        try:
            for i in range(self._num_workers):
                task_r, task_w = ctx.Pipe(duplex=False)
                result_r, result_w = ctx.Pipe(duplex=False)
                w = ctx.Process(
                    target=worker_loop, daemon=True,
                    args=(self._is_iterable, self._dataset, task_r, result_w,
                          self._auto_collation, self._collate_fn, self._drop_last,
                          self._base_seed, loader.worker_init_fn, i, self._num_workers))
                w.start()
                task_r.close()  # the worker's ends live on in the worker only
                result_w.close()
                self._workers.append(w)
                self._task_conns.append(task_w)
                self._result_conns.append(result_r)
        except BaseException:
            self._workers_status = [True] * len(self._workers)
            self._shutdown_workers()
            raise
        self._reset(loader, first_iter=True)

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        super()._reset(loader)
        self._send_idx = 0  # next task to hand out
        self._rcvd_idx = 0  # next task whose result is to be returned
        self._task_info: dict[int, tuple] = {}  # task -> (worker,) or (worker, data)
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            # Results of an epoch abandoned midway arrive before each worker's acknowledgement.
            for conn in self._task_conns:
                conn.send(_ResumeIteration())
            remaining = self._num_workers
            while remaining > 0:
                idx, _ = self._get_data()
                if isinstance(idx, _ResumeIteration):
                    remaining -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_put_index(self) -> None:
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_id]:
                break
        else:
            return  # no active worker left
        self._task_conns[worker_id].send((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _get_data(self):
        """The next result from any worker, watching for dead workers and the timeout."""
        timeout = self._timeout if self._timeout > 0 else _STATUS_CHECK_INTERVAL
        while True:
            active = [i for i, s in enumerate(self._workers_status) if s]
            conns = [self._result_conns[i] for i in active]
            sentinels = {self._workers[i].sentinel: i for i in active}
            ready = wait(conns + list(sentinels), timeout=timeout)
            for conn in conns:
                if conn in ready:
                    try:
                        return pickle.loads(conn.recv_bytes())
                    except EOFError:
                        pass  # the worker died; reported below
            dead = [self._workers[i] for i in active
                    if self._workers[i].sentinel in ready or not self._workers[i].is_alive()]
            if dead:
                pids = ", ".join(str(w.pid) for w in dead)
                codes = ", ".join(str(w.exitcode) for w in dead)
                self._shutdown_workers()
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly "
                                   f"(exit code(s) {codes}); if it was killed for memory, "
                                   "try fewer workers or a smaller batch_size")
            if not ready and self._timeout > 0:
                self._shutdown_workers()
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            if not active:
                raise RuntimeError("DataLoader: no worker is left to produce data")

    def _next_data(self):
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None and (len(info) == 2 or self._workers_status[info[0]]):
                    break
                # the task's worker stopped (iterable dataset exhausted): skip the task
                self._task_info.pop(self._rcvd_idx, None)
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:
                data = self._task_info.pop(self._rcvd_idx)[1]
                self._rcvd_idx += 1
                return self._process_data(data)
            idx, data = self._get_data()
            self._tasks_outstanding -= 1
            if isinstance(data, _IterableDatasetStopIteration):
                self._workers_status[data.worker_id] = False
                if not self._persistent_workers:
                    self._stop_worker(data.worker_id)
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                self._task_info[idx] += (data,)
            else:
                del self._task_info[idx]
                self._rcvd_idx += 1
                return self._process_data(data)

    def _process_data(self, data):
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _stop_worker(self, worker_id: int) -> None:
        try:
            self._task_conns[worker_id].send(None)
        except (OSError, ValueError):
            pass  # already gone

    def _shutdown_workers(self) -> None:
        if getattr(self, "_shutdown", True) or self._owner_pid != os.getpid():
            return
        self._shutdown = True
        try:
            for i in range(len(self._workers)):
                self._stop_worker(i)
            for w in self._workers:
                w.join(timeout=_STATUS_CHECK_INTERVAL)
        finally:
            for w in self._workers:
                if w.is_alive():
                    w.terminate()
                    w.join(timeout=1.0)
            for conn in self._task_conns + self._result_conns:
                conn.close()

    def __del__(self):
        self._shutdown_workers()
