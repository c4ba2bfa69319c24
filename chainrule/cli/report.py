"""What ``chainrule train`` shows and writes: progress bars, ``metrics.json``, ``history.csv``,
the loss/accuracy plot, and the output folder."""

from __future__ import annotations

import csv
import json
import math
import os
import sys
import time

__all__ = ["HISTORY_FIELDS", "Progress", "make_output_dir", "plot_history", "write_history",
           "write_metrics"]

HISTORY_FIELDS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr")
MATPLOTLIB_HINT = "pip install matplotlib"


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """A progress bar over the batches of one epoch: tqdm when installed, else a small built-in
    bar; nothing when ``stream`` is not a terminal (logs and CI get one line per epoch instead).

    Example:
        >>> import io
        >>> bar = Progress(3, "Epoch 1/1", stream=io.StringIO())  # not a tty: silent
        >>> for _ in range(3):
        ...     bar.update(loss=0.5)
        >>> bar.close()
    """

    def __init__(self, total: int, desc: str, stream=None) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.total, self.desc, self.n = total, desc, 0
        self._tqdm = None
        self._last = 0.0
        self.enabled = _isatty(self.stream)
        if self.enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                pass
            else:
                self._tqdm = tqdm(total=total, desc=desc, file=self.stream, leave=False,
                                  unit="batch", dynamic_ncols=True)

    def update(self, n: int = 1, **postfix: float) -> None:
        """Advance by ``n`` batches and show ``postfix`` (e.g. the running loss)."""
        self.n += n
        if not self.enabled:
            return
        if self._tqdm is not None:
            self._tqdm.update(n)
            if postfix:
                self._tqdm.set_postfix({k: f"{v:.4f}" for k, v in postfix.items()},
                                       refresh=False)
            return
        now = time.monotonic()
        if now - self._last < 0.1 and self.n < self.total:
            return
        self._last = now
        width = 30
        done = int(width * self.n / max(self.total, 1))
        bar = "=" * max(done - 1, 0) + (">" if done else "") + "." * (width - done)
        extra = "".join(f" - {k}: {v:.4f}" for k, v in postfix.items())
        self.stream.write(f"\r{self.desc} [{bar}] {self.n}/{self.total}{extra}\033[K")
        self.stream.flush()

    def close(self) -> None:
        """Remove the bar, leaving the terminal line free for the epoch summary."""
        if self._tqdm is not None:
            self._tqdm.close()
        elif self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()


def make_output_dir(output: str | None) -> str:
    """Create the run folder: ``output`` if given, else ``runs/<timestamp>`` (with
    ``runs/latest`` pointing at it where symbolic links are supported)."""
    if output:
        path = os.path.abspath(os.path.expanduser(output))
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as exc:
            from .errors import CLIError

            raise CLIError(f"cannot create the output folder {output!r}: {exc.strerror}") \
                from None
        return path
    base = os.path.abspath("runs")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path, k = os.path.join(base, stamp), 1
    while os.path.exists(path):
        k += 1
        path = os.path.join(base, f"{stamp}-{k}")
    os.makedirs(path)
    latest = os.path.join(base, "latest")
    try:
        if os.path.islink(latest):
            os.unlink(latest)
        if not os.path.exists(latest):
            os.symlink(os.path.basename(path), latest)
    except OSError:  # no symlinks (some Windows set-ups): the timestamped folder is enough
        pass
    return path


def _clean(value):
    """JSON has no NaN/inf: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def write_metrics(path: str, metrics: dict) -> None:
    """Write ``metrics`` as indented JSON (non-finite numbers become null)."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(_clean(metrics), fh, indent=2)
        fh.write("\n")


def write_history(path: str, history: list[dict]) -> None:
    """Write one CSV row per epoch with the columns of ``HISTORY_FIELDS`` (blank where a value,
    such as ``val_loss`` without validation, is missing)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HISTORY_FIELDS)
        for row in history:
            writer.writerow(["" if row.get(k) is None else
                             (row[k] if isinstance(row[k], int) else f"{row[k]:.6g}")
                             for k in HISTORY_FIELDS])


def plot_history(path: str, history: list[dict], title: str = "") -> str | None:
    """Save the loss and accuracy curves as a PNG.

    Returns:
        None on success, else why the plot was skipped (matplotlib missing).
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return f"matplotlib is not installed ({MATPLOTLIB_HINT} to get the plot)"
    epochs = [r["epoch"] for r in history]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, label in ((axes[0], "loss", "loss"), (axes[1], "accuracy", "accuracy")):
        ax.plot(epochs, [r[key] for r in history], "o-", label=f"training {label}")
        if any(r.get(f"val_{key}") is not None for r in history):
            ax.plot(epochs, [r.get(f"val_{key}") for r in history], "s--",
                    label=f"validation {label}")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return None
