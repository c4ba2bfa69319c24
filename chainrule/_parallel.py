"""chainrule's own threads: how many there are, their shared pool, and a loop split over them.

NumPy releases the GIL inside its ufunc loops, so a kernel that streams through large arrays
(the optimizers' foreach updates, max pooling and its scatter, ReLU and its gradient) can run
on disjoint slices from several threads at once. ``get_num_threads()`` says how many (as
``torch.get_num_threads``); ``set_num_threads`` changes it. Small arrays stay on the calling
thread, where handing the work over would cost more than it saves. Measured on 2 cores: 2x2
max pooling of a 128x32x26x26 batch 4.4 -> 2.5 ms, the ReLU gradient of it 1.7 -> 1.1 ms.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

__all__ = ["get_num_threads", "set_num_threads", "thread_pool", "split_rows"]

PAR_MIN = 1 << 20  # elements of the largest array, below which a kernel stays on one thread

_state = {"threads": None, "pool": None, "pool_size": 0}


def _default_threads() -> int:
    for var in ("CHAINRULE_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def get_num_threads() -> int:
    """The number of threads chainrule's own parallel loops use (as ``torch.get_num_threads``).

    Defaults to ``$CHAINRULE_NUM_THREADS``, else ``$OMP_NUM_THREADS``, else the CPUs this
    process may run on.

    Example:
        >>> get_num_threads() >= 1
        True
    """
    if _state["threads"] is None:
        _state["threads"] = _default_threads()
    return _state["threads"]


def set_num_threads(n: int) -> None:
    """Set the number of threads of chainrule's parallel loops (as ``torch.set_num_threads``).

    With ``threadpoolctl`` installed (the ``fast`` extra) NumPy's BLAS is limited to ``n``
    threads too; without it BLAS keeps its own setting (``OPENBLAS_NUM_THREADS`` at start-up).

    Example:
        >>> set_num_threads(get_num_threads())
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive int, received {n!r}")
    _state["threads"] = n
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=n, user_api="blas")


def thread_pool(workers: int) -> ThreadPoolExecutor:
    """The shared pool, with at least ``workers`` worker threads (made on first use)."""
    pool = _state["pool"]
    if pool is None or _state["pool_size"] < workers:
        if pool is not None:
            pool.shutdown(wait=False)
        pool = _state["pool"] = ThreadPoolExecutor(workers, thread_name_prefix="chainrule")
        _state["pool_size"] = workers
    return pool


def _forget_pool() -> None:
    """In a forked child the pool's threads do not exist: start afresh when needed."""
    _state["pool"] = None
    _state["pool_size"] = 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def split_rows(fn, n: int, size: int) -> None:
    """Call ``fn(a, b)`` on contiguous ranges ``[a, b)`` that cover ``range(n)``.

    With several threads and ``size`` (the elements of the largest array involved) at least
    ``PAR_MIN``, the ranges are shared out between the threads, the calling one included;
    ``fn`` must then write only to the slices ``[a, b)`` of its outputs.
    """
    threads = min(get_num_threads(), n) if size >= PAR_MIN else 1
    if threads <= 1:
        fn(0, n)
        return
    bounds = [n * i // threads for i in range(threads + 1)]
    pool = thread_pool(threads - 1)
    futures = [pool.submit(fn, a, b) for a, b in zip(bounds[1:-1], bounds[2:])]
    try:
        fn(bounds[0], bounds[1])
    finally:
        for f in futures:
            f.result()
