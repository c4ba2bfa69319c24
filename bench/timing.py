"""Timing helpers shared by the benchmarks: warm-up, then the median of repeated runs.

``interleaved`` runs several candidates round-robin, so that on a loaded machine each sample of
one candidate is taken under the same load as the sample of the other taken just before or
after it; ratios of such paired samples are far steadier than ratios of separate runs.
``blas_threads`` / ``set_blas_threads`` read and set the thread count of NumPy's BLAS.
"""

from __future__ import annotations

import ctypes
import os
import re
import statistics
import time


def _calibrate(fn, warmup: int, min_time: float) -> int:
    """Call ``fn`` ``warmup`` times, then say how many calls make a sample of at least
    ``min_time`` seconds (1 without ``min_time``)."""
    for _ in range(warmup):
        fn()
    if not min_time:
        return 1
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-9)
    return max(1, int(min_time / once))


def median_time(fn, *, warmup: int = 3, repeat: int = 20, min_time: float = 0.0) -> float:
    """Median wall time of ``fn()`` in seconds, after ``warmup`` untimed calls.

    With ``min_time`` each sample runs ``fn`` enough times to last at least that long, which
    keeps timer resolution out of microsecond-scale measurements.
    """
    inner = _calibrate(fn, warmup, min_time)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - start) / inner)
    return statistics.median(samples)


def interleaved(fns: dict, *, warmup: int = 3, repeat: int = 20, min_time: float = 0.0,
                budget: float | None = None, settle: float = 0.0) -> dict:
    """Time several functions round-robin; returns ``{name: [seconds per call, ...]}``.

    Every function is called ``warmup`` times first. Then each round times every function
    once (``inner`` calls when ``min_time`` asks for samples of at least that length), the
    order reversed every other round so that drifts in the machine's load cancel. ``budget``
    (seconds) stops early, after at least 5 rounds, when the rounds take too long.

    ``settle`` (seconds) is slept before each sample: the thread pools of one library keep
    spinning for a while after its work ends (OpenBLAS's for up to 2**28 cycles), which
    would steal cores from the other library's sample taken right after. The pause is a busy
    wait: after a sleep the (virtual) cores come back slowly, which no training loop sees.
    """
    names = list(fns)
    inner = {name: _calibrate(fns[name], warmup, min_time) for name in names}
    samples: dict = {name: [] for name in names}
    start_all = time.perf_counter()
    for r in range(repeat):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            fn, n = fns[name], inner[name]
            if settle:
                _busy_wait(settle)
            start = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - start) / n)
        if budget is not None and r >= 4 and time.perf_counter() - start_all > budget:
            break
    return samples


def _busy_wait(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def ratio_stats(ours: list, theirs: list) -> tuple:
    """``(median, 25th and 75th percentiles)`` of the per-round ratios ``ours / theirs``.

    Each round's two samples were taken back to back, so their ratio is little affected by
    the machine's load changing between rounds; the median of those ratios is the figure.
    """
    paired = sorted(a / b for a, b in zip(ours, theirs))
    if len(paired) < 4:
        return statistics.median(paired), paired[0], paired[-1]
    q = statistics.quantiles(paired, n=4)
    return statistics.median(paired), q[0], q[2]


def _openblas():
    """NumPy's OpenBLAS as a ctypes library and its symbol prefix/suffix, or None."""
    try:
        import numpy  # noqa: F401 - loads the library whose path we look for

        with open("/proc/self/maps") as f:
            maps = f.read()
    except OSError:
        return None
    for path in sorted(set(re.findall(r"(/\S*openblas\S*\.so\S*)", maps))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas_", "64_"), ("scipy_openblas_", ""),
                               ("openblas_", "64_"), ("openblas_", "")):
            if hasattr(lib, f"{prefix}get_num_threads{suffix}"):
                return lib, prefix, suffix
    return None


def blas_info() -> dict:
    """Name, configuration and thread count of NumPy's BLAS (best effort)."""
    found = _openblas()
    if found is None:
        import numpy as np

        cfg = np.show_config(mode="dicts") if hasattr(np, "show_config") else {}
        blas = (cfg or {}).get("Build Dependencies", {}).get("blas", {})
        return {"name": blas.get("name", "unknown"), "config": blas.get("version", ""),
                "threads": blas_threads()}
    lib, prefix, suffix = found
    get_config = getattr(lib, f"{prefix}get_config{suffix}", None)
    config = ""
    if get_config is not None:
        get_config.restype = ctypes.c_char_p
        config = get_config().decode()
    return {"name": "OpenBLAS", "config": config, "threads": blas_threads()}


def blas_threads() -> int:
    """The number of threads NumPy's BLAS uses."""
    found = _openblas()
    if found is not None:
        lib, prefix, suffix = found
        return int(getattr(lib, f"{prefix}get_num_threads{suffix}")())
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return os.cpu_count() or 1


def set_blas_threads(n: int) -> bool:
    """Set NumPy's BLAS thread count at run time; False where that is not possible."""
    found = _openblas()
    if found is None:
        return False
    lib, prefix, suffix = found
    setter = getattr(lib, f"{prefix}set_num_threads{suffix}", None)
    if setter is None:
        return False
    setter(int(n))
    return True


def torch_or_none(threads: int | None = None):
    """Import PyTorch if installed (with ``threads`` intra-op threads), else None."""
    try:
        import torch
    except ImportError:
        return None
    if threads:
        torch.set_num_threads(threads)
    return torch


def format_table(rows: list[dict], columns: list[str]) -> str:
    """Render rows as a Markdown table with the given columns."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)
