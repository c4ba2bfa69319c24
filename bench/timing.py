"""Timing helpers shared by the benchmarks: warm-up, then the median of repeated runs."""

from __future__ import annotations

import statistics
import time


def median_time(fn, *, warmup: int = 3, repeat: int = 20, min_time: float = 0.0) -> float:
    """Median wall time of ``fn()`` in seconds, after ``warmup`` untimed calls.

    With ``min_time`` each sample runs ``fn`` enough times to last at least that long, which
    keeps timer resolution out of microsecond-scale measurements.
    """
    for _ in range(warmup):
        fn()
    inner = 1
    if min_time:
        start = time.perf_counter()
        fn()
        once = max(time.perf_counter() - start, 1e-9)
        inner = max(1, int(min_time / once))
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - start) / inner)
    return statistics.median(samples)


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
