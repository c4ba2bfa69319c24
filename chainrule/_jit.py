"""Optional Numba compilation, shared by chainrule's fused kernels.

Some hot loops (the optimizers' updates, max pooling) make one pass in a compiled kernel where
NumPy needs several. Numba is an optional dependency (the ``fast`` and ``test`` extras): when
it is absent, or disabled with ``CHAINRULE_FUSED=0``, ``load()`` returns None and every caller
keeps its NumPy path, which stays the reference the kernels are tested against.

A kernel is built from a *builder*, ``builder(prange) -> function``, once per
(name, parallel) pair; Numba caches the machine code on disk, so later processes load it
instead of compiling (about a second the first time). A parallel build runs its ``prange``
loops on ``get_num_threads()`` threads. Numba's thread pool takes one parallel launch at a
time (a second, concurrent one aborts the process), so a parallel kernel called while another
thread's launch is running runs its serial build on the calling thread instead.
"""

from __future__ import annotations

import os
import threading

from . import _parallel

__all__ = ["load", "kernel", "kernel_for"]

_numba = None  # the module once loaded, False when absent or disabled
_kernels: dict = {}
_launch = threading.Lock()  # held while a parallel kernel runs on Numba's pool


class _Parallel:
    """A parallel kernel that falls back to its serial build when the pool is busy."""

    __slots__ = ("name", "builder", "compiled")

    def __init__(self, name: str, builder, compiled):
        self.name, self.builder, self.compiled = name, builder, compiled

    def __call__(self, *args):
        if _launch.acquire(blocking=False):
            try:
                return self.compiled(*args)
            finally:
                _launch.release()
        return kernel(self.name, False, self.builder)(*args)


def load():
    """Import Numba once; None when it is absent or disabled (``CHAINRULE_FUSED=0``)."""
    global _numba
    if _numba is None:
        if os.environ.get("CHAINRULE_FUSED", "1") == "0":
            _numba = False
        else:
            try:
                import numba

                if "NUMBA_THREADING_LAYER" not in os.environ:
                    # numba's own pool waits on a condition variable when idle; an OpenMP pool
                    # spins after each kernel and takes the core the next BLAS call wants
                    numba.config.THREADING_LAYER = "workqueue"
                _numba = numba
            except ImportError:
                _numba = False
    return _numba or None


def _sync_threads(numba) -> None:
    """Give Numba's parallel loops as many threads as chainrule's own loops have."""
    n = max(1, min(_parallel.get_num_threads(), numba.config.NUMBA_NUM_THREADS))
    if numba.get_num_threads() != n:
        numba.set_num_threads(n)


def kernel(name: str, parallel: bool, builder):
    """The compiled kernel ``name`` (serial, or parallel over ``prange``); Numba must be
    loaded (``load()`` not None). ``builder(prange)`` returns the Python function."""
    numba = load()
    compiled = _kernels.get((name, parallel))
    if compiled is None:
        opts = {"parallel": parallel, "cache": True, "error_model": "numpy", "nogil": True}
        compiled = numba.njit(**opts)(builder(numba.prange if parallel else range))
        if parallel:
            compiled = _Parallel(name, builder, compiled)
        _kernels[(name, parallel)] = compiled
    if parallel:
        _sync_threads(numba)
    return compiled


def kernel_for(name: str, size: int, builder, threshold: int | None = None):
    """``kernel`` for arrays of ``size`` elements: the parallel build from ``threshold``
    elements (default ``_parallel.PAR_MIN``) when several threads are allowed, else the serial
    one (waking the pool costs more than a small array's work)."""
    limit = _parallel.PAR_MIN if threshold is None else threshold
    return kernel(name, size >= limit and _parallel.get_num_threads() > 1, builder)


def _forget_launch() -> None:
    """A forked child starts with no launch running (the parent's lock may have been held)."""
    global _launch
    _launch = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_launch)
