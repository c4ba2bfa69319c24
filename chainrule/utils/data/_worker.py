"""What runs inside a ``DataLoader`` worker process, and the fetchers shared with the main one.

Protocol (one duplex-free pipe pair per worker):

* main → worker, ``task`` pipe: ``(send_idx, index)`` tasks, ``_ResumeIteration()`` at the start
  of a new epoch with persistent workers, ``None`` to stop.
* worker → main, ``result`` pipe: pickled ``(send_idx, data)``, where ``data`` is a batch, an
  ``ExceptionWrapper``, or ``_IterableDatasetStopIteration`` when an iterable dataset ran dry.

Results are pickled in the worker's main thread (so an unpicklable batch becomes a clear error
instead of a silent hang) and written by a sender thread, so the worker keeps producing while
the main process is busy, up to the prefetch budget the main process enforces.
"""

from __future__ import annotations

import pickle
import queue
import random
import sys
import threading
import traceback
from dataclasses import dataclass
from multiprocessing.connection import wait

import numpy as np

from ._collate import default_collate

__all__ = ["WorkerInfo", "get_worker_info"]

_worker_info: WorkerInfo | None = None


@dataclass(frozen=True)
class WorkerInfo:
    """What a worker process knows about itself (see ``get_worker_info``).

    Attributes:
        id: this worker's index, ``0 <= id < num_workers``.
        num_workers: how many workers the ``DataLoader`` runs.
        seed: the seed this worker's generators were seeded with (``base_seed + id``).
        dataset: this worker's copy of the dataset.
    """

    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info() -> WorkerInfo | None:
    """Information about the current ``DataLoader`` worker, or None in the main process.

    Use it in an ``IterableDataset.__iter__`` (or a ``worker_init_fn``) to shard the data
    between workers.

    Returns:
        A ``WorkerInfo`` inside a worker process, otherwise None.

    Example:
        >>> get_worker_info() is None  # the main process
        True
    """
    return _worker_info


class _ResumeIteration:
    """Marker sent to persistent workers at the start of a new epoch."""


class _IterableDatasetStopIteration:
    """Sent by a worker whose copy of an iterable dataset is exhausted."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process and raised there."""

    def __init__(self, exc_info=None, where: str = "in background") -> None:
        exc_type, exc, tb = exc_info if exc_info is not None else sys.exc_info()
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc, tb))
        self.where = where
        try:  # an exception class defined in a function cannot travel to the main process
            pickle.loads(pickle.dumps(exc_type))
        except Exception:  # noqa: BLE001
            self.exc_type = RuntimeError

    def reraise(self):
        """Raise the exception again, with the worker's traceback in the message."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            raise KeyError(_KeyErrorMessage(msg))
        try:
            exception = self.exc_type(msg)
        except Exception:  # noqa: BLE001
            raise RuntimeError(msg) from None
        raise exception


class _KeyErrorMessage(str):
    """A str whose repr is itself, so a KeyError prints the traceback readably."""

    def __repr__(self) -> str:
        return self


# ---- fetchers: turn an index (or batch of indices) into collated data -------------------------

class _MapDatasetFetcher:
    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.batch_getter = None
        if auto_collation and collate_fn is default_collate:
            self.batch_getter = getattr(dataset, "_get_batch", None)
        getitems = getattr(dataset, "__getitems__", None)
        self.getitems = getitems if callable(getitems) else None

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self.batch_getter is not None:
            batch = self.batch_getter(np.asarray(index, dtype=np.int64))
            if batch is not NotImplemented:
                return batch
            self.batch_getter = None  # the dataset cannot batch (e.g. a per-sample transform)
        if self.getitems is not None:
            data = self.getitems(index)
        else:
            data = [self.dataset[i] for i in index]
        return self.collate_fn(data)


class _IterableDatasetFetcher:
    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, batch_size):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        data = []
        for item in self.dataset_iter:
            data.append(item)
            if len(data) == batch_size:
                break
        else:
            self.ended = True
        if not data or (self.drop_last and len(data) < batch_size):
            raise StopIteration
        return self.collate_fn(data)


def create_fetcher(is_iterable: bool, dataset, auto_collation: bool, collate_fn,
                   drop_last: bool):
    """The fetcher for a map-style or iterable dataset."""
    cls = _IterableDatasetFetcher if is_iterable else _MapDatasetFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


# ---- the worker process -----------------------------------------------------------------------

def _seed_worker(base_seed: int, worker_id: int) -> int:
    """Seed Python's, NumPy's and chainrule's global generators for this worker."""
    from ... import random as cr_random

    seed = (base_seed + worker_id) % (1 << 64)
    random.seed(seed)
    cr_random.manual_seed(seed)
    # NumPy's legacy global generator takes 32-bit words; derive them from both numbers so that
    # neighbouring base seeds do not give overlapping worker streams.
    np.random.seed(np.random.SeedSequence([worker_id, base_seed % (1 << 64)]).generate_state(4))
    return seed


class _Sender:
    """Writes pickled results to the result pipe from a daemon thread."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        # A daemon thread: a worker told to stop exits without flushing what nobody will read.
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                self.conn.send_bytes(self.queue.get())
            except (OSError, EOFError):  # the main process went away
                return

    def put(self, idx, data, worker_id: int) -> None:
        try:
            payload = pickle.dumps((idx, data), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001
            wrapper = ExceptionWrapper(where=f"while sending a batch from DataLoader worker "
                                             f"process {worker_id} (the batch must be picklable)")
            payload = pickle.dumps((idx, wrapper), protocol=pickle.HIGHEST_PROTOCOL)
        self.queue.put(payload)


def worker_loop(is_iterable: bool, dataset, task_conn, result_conn, auto_collation: bool,
                collate_fn, drop_last: bool, base_seed: int, init_fn, worker_id: int,
                num_workers: int) -> None:
    """The body of a worker process: fetch the batches the main process asks for."""
    global _worker_info
    import multiprocessing

    try:
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        sender = _Sender(result_conn)
        where = f"in DataLoader worker process {worker_id}"
        init_exception = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = create_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:  # noqa: BLE001
            init_exception = ExceptionWrapper(where=where)
        parent = multiprocessing.parent_process()
        watch = [task_conn] + ([parent.sentinel] if parent is not None else [])
        iteration_end = False
        while True:
            if task_conn not in wait(watch):  # only the parent's sentinel: the main process died
                break
            try:
                r = task_conn.recv()
            except (EOFError, OSError):
                break
            if r is None:
                break
            if isinstance(r, _ResumeIteration):
                sender.put(r, None, worker_id)
                iteration_end = False
                if init_exception is None:
                    try:
                        fetcher = create_fetcher(is_iterable, dataset, auto_collation,
                                                 collate_fn, drop_last)
                    except Exception:  # noqa: BLE001
                        init_exception = ExceptionWrapper(where=where)
                continue
            idx, index = r
            if iteration_end:
                data = _IterableDatasetStopIteration(worker_id)
            elif init_exception is not None:
                data, init_exception = init_exception, None
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if not is_iterable:
                        data = ExceptionWrapper(where=where)
                    else:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                except Exception:  # noqa: BLE001
                    data = ExceptionWrapper(where=where)
            sender.put(idx, data, worker_id)
            del data, idx, index, r
    except KeyboardInterrupt:
        pass  # the main process handles the interrupt
