"""The optimizers' 'foreach' path: one update rule run over all the parameters of a group.

An optimizer gives ``foreach`` a list of ``(h, arrays)`` items, one per parameter (``h``: that
parameter's per-step scalars, ``arrays``: the parameter, its gradient and its state, all of one
shape), and a ``kernel(h, theta, g, *states, *scratch)`` that updates one stretch of them in
place with NumPy ufuncs (``out=``). ``foreach`` cuts the (C-contiguous) arrays into flat blocks
and calls the kernel on each:

* on one thread, blocks of ``_BLOCK`` elements, so the dozen passes of an update run over data
  held in the L2 cache rather than streaming each whole tensor from memory a dozen times;
* with several threads (``get_num_threads()``; NumPy releases the GIL inside its ufunc loops),
  the elements of all the parameters are split into one contiguous share per thread, walked in
  blocks of ``_PAR_BLOCK`` (larger, because every ufunc call hands the GIL over between the
  threads). Groups smaller than ``_PAR_MIN`` elements per thread stay on one thread.

Scratch arrays are kept per thread and dtype and reused, so a step allocates nothing. A
parameter whose arrays are not all C-contiguous is updated whole, on the calling thread.
"""

from __future__ import annotations

import threading

import numpy as np

from .._parallel import get_num_threads, thread_pool

__all__ = ["foreach"]

_BLOCK = 32 * 1024  # elements: 128 KiB of float32 per array
_PAR_BLOCK = 256 * 1024
_PAR_MIN = 1024 * 1024  # below ~1 M elements per thread, handing the GIL over costs more

_scratch = threading.local()


def _scratch_rows(dtype, count: int, size: int) -> np.ndarray:
    """This thread's reusable ``(count, >= size)`` scratch array of ``dtype``."""
    cache = getattr(_scratch, "arrays", None)
    if cache is None:
        cache = _scratch.arrays = {}
    rows = cache.get(dtype)
    if rows is None or rows.shape[0] < count or rows.shape[1] < size:
        old_count, old_size = (0, 0) if rows is None else rows.shape
        rows = cache[dtype] = np.empty((max(count, old_count), max(size, old_size)), dtype)
    return rows


def _run(pieces: list, kernel, n_scratch: int) -> None:
    """Call the kernel on each ``(h, views)`` piece with this thread's scratch rows."""
    for h, views in pieces:
        n = views[0].shape[0]
        rows = _scratch_rows(views[0].dtype, n_scratch, n)
        kernel(h, *views, *(rows[i, :n] for i in range(n_scratch)))


def _cut(flat: list, start: int, stop: int, block: int) -> list:
    """The pieces of the concatenated flat items between element offsets start and stop."""
    pieces = []
    offset = 0
    for h, arrays in flat:
        n = arrays[0].shape[0]
        lo, hi = max(start, offset), min(stop, offset + n)
        for s in range(lo, hi, block):
            e = min(s + block, hi)
            pieces.append((h, [a[s - offset:e - offset] for a in arrays]))
        offset += n
        if offset >= stop:
            break
    return pieces


def foreach(items: list, kernel, n_scratch: int) -> None:
    """Run ``kernel(h, *arrays, *scratch)`` over all the items' arrays, block by block.

    Args:
        items: ``(h, [param, grad, *states])`` per parameter; the arrays of an item share
            one shape and dtype.
        kernel: updates the given stretches in place; ``n_scratch`` scratch arrays of the
            same length and dtype follow the item's arrays.
        n_scratch: how many scratch arrays the kernel needs.
    """
    flat, whole = [], []
    for h, arrays in items:
        if all(a.flags.c_contiguous for a in arrays):
            flat.append((h, [a.reshape(-1) for a in arrays]))
        else:
            whole.append((h, arrays))
    for h, arrays in whole:
        rows = _scratch_rows(arrays[0].dtype, n_scratch, arrays[0].size)
        kernel(h, *arrays, *(rows[i, :arrays[0].size].reshape(arrays[0].shape)
                             for i in range(n_scratch)))
    if not flat:
        return
    dtypes = {arrays[0].dtype for _, arrays in flat}
    total = sum(arrays[0].shape[0] for _, arrays in flat)
    threads = min(get_num_threads(), total // _PAR_MIN)
    if threads <= 1 or len(dtypes) > 1:
        _run(_cut(flat, 0, total, _BLOCK), kernel, n_scratch)
        return
    share = -(-total // threads)
    shares = [_cut(flat, t * share, min((t + 1) * share, total), _PAR_BLOCK)
              for t in range(threads)]
    pool = thread_pool(threads - 1)
    futures = [pool.submit(_run, pieces, kernel, n_scratch) for pieces in shares[1:]]
    try:
        _run(shares[0], kernel, n_scratch)
    finally:
        for f in futures:
            f.result()
