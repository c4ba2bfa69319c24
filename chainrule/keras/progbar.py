"""``Progbar``: Keras's progress bar (``keras.utils.Progbar``).

On a terminal (or in Jupyter) the bar is redrawn in place with ``\\r``, in Keras's look::

    422/422 ━━━━━━━━━━━━━━━━━━━━ 13s 29ms/step - accuracy: 0.7612 - loss: 0.7834

with bold counts and a green filled part. When output is not a terminal (a log file, a
pipe, pytest's capture) only the final line of each bar is written, without escape codes,
so logs get one line per epoch. ``verbose=2`` writes one summary line per bar
(``422/422 - 13s - 29ms/step - ...``). Output goes to ``sys.stdout`` as it is at write time.
"""

from __future__ import annotations

import math
import os
import sys
import time

__all__ = ["Progbar", "format_value", "is_dynamic"]

_BOLD, _RESET, _GREEN, _WHITE = "\x1b[1m", "\x1b[0m", "\x1b[32m", "\x1b[37m"


def is_dynamic(stream=None) -> bool:
    """Whether ``stream`` (default ``sys.stdout``) can redraw a line in place.

    Example:
        >>> import io
        >>> is_dynamic(io.StringIO())
        False
    """
    stream = stream if stream is not None else sys.stdout
    isatty = getattr(stream, "isatty", None)
    try:
        if isatty is not None and isatty():
            return True
    except ValueError:  # a closed stream
        return False
    return "ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ


def format_value(v) -> str:
    """A metric value as Keras prints it: 4 decimals, or scientific below 1e-3.

    Example:
        >>> format_value(0.78341), format_value(2e-5)
        ('0.7834', '2.0000e-05')
    """
    try:
        v = float(v)
    except (TypeError, ValueError):
        return f"{v}"
    return f"{v:.4f}" if abs(v) > 1e-3 else f"{v:.4e}"


def format_time_per_unit(seconds: float, unit: str) -> str:
    """``' 29ms/step'``, ``' 2s/step'`` or ``' 850us/step'``.

    Example:
        >>> format_time_per_unit(0.029, "step")
        ' 29ms/step'
    """
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit}"
    return f" {seconds * 1e6:.0f}us/{unit}"


def _format_eta(eta: float) -> str:
    if eta > 3600:
        return f"{int(eta // 3600)}:{int((eta % 3600) // 60):02d}:{int(eta % 60):02d}"
    if eta > 60:
        return f"{int(eta // 60)}:{int(eta % 60):02d}"
    return f"{int(eta)}s"


class Progbar:
    """A progress bar over ``target`` steps with running metric values.

    Args:
        target: total number of steps, or None if unknown.
        width: bar width in characters (default 20).
        verbose: 0 silent, 1 bar, 2 one line at the end.
        interval: minimum seconds between redraws (default 0.05).
        stateful_metrics: names whose values are shown as given; other values are averaged
            over the steps (Keras's default for a bare ``Progbar``).
        unit_name: the unit shown per time (default ``'step'``).

    Example:
        >>> import io, contextlib
        >>> out = io.StringIO()
        >>> with contextlib.redirect_stdout(out):
        ...     bar = Progbar(2)
        ...     bar.update(1, [("loss", 1.0)])
        ...     bar.update(2, [("loss", 0.5)])
        >>> out.getvalue().startswith("2/2 ━━━━━━━━━━━━━━━━━━━━")
        True
        >>> out.getvalue().rstrip().endswith("- loss: 0.5000")  # final values as given
        True
    """

    def __init__(self, target, width: int = 20, verbose: int = 1, interval: float = 0.05,
                 stateful_metrics=None, unit_name: str = "step") -> None:
        self.target, self.width, self.verbose = target, width, verbose
        self.interval, self.unit_name = interval, unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self._values: dict = {}
        self._order: list = []
        self._seen = 0
        self._start = time.time()
        self._last_update = 0.0
        self._time_after_first = None
        self._prev_width = 0
        self._finalized = False

    def _per_unit(self, current: int, now: float) -> float:
        if not current:
            return 0.0
        if self._time_after_first is not None and current > 1:
            per = (now - self._time_after_first) / (current - 1)
        else:
            per = (now - self._start) / current
        if current == 1 and self._time_after_first is None:
            self._time_after_first = now
        return per

    def _store(self, current: int, values, finalize: bool) -> None:
        for k, v in values or ():
            if k not in self._order:
                self._order.append(k)
            if k in self.stateful_metrics or finalize:
                self._values[k] = [v, 1]
            else:
                n = max(current - self._seen, 1)
                total = self._values.get(k, [0.0, 0])
                self._values[k] = [total[0] + v * n, total[1] + n]

    def _metrics_text(self) -> str:
        out = ""
        for k in self._order:
            total, count = self._values[k]
            out += f" - {k}: {format_value(total / max(1, count))}"
        return out

    def update(self, current: int, values=None, finalize: bool | None = None) -> None:
        """Move the bar to step ``current`` with ``values`` (a list of ``(name, value)``).

        Args:
            current: the number of steps done.
            values: metric values for this step.
            finalize: whether this is the last update (default ``current >= target``).
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._store(current, values, finalize)
        self._seen = current
        now = time.time()
        per = self._per_unit(current, now)
        if self.verbose == 1:
            self._draw(current, now, per, finalize)
        elif self.verbose == 2 and finalize:
            self._write(self._summary_line(current, now, per) + "\n")
        if finalize:
            self._finalized = True

    def _bar(self, current: int, color: bool) -> str:
        if self.target is None or self.target <= 0:
            return f"{current:7d}/Unknown"
        digits = int(math.log10(self.target)) + 1
        count = f"{current:{digits}d}/{self.target}"
        filled = min(int(self.width * current / self.target), self.width)
        if not color:
            return f"{count} {'━' * self.width}"
        bar = f"{_BOLD}{count}{_RESET} "
        if filled:
            bar += f"{_GREEN}{'━' * filled}{_RESET}"
        return bar + f"{_WHITE}{'━' * (self.width - filled)}{_RESET}"

    def _draw(self, current: int, now: float, per: float, finalize: bool) -> None:
        dynamic = is_dynamic()
        if not finalize and (not dynamic or now - self._last_update < self.interval):
            return
        self._last_update = now
        if finalize or self.target is None:
            timing = f"{now - self._start:.0f}s"
        else:
            timing = _format_eta(per * (self.target - current))
        info = (f" {_BOLD}{timing}{_RESET}" if dynamic else f" {timing}")
        info += format_time_per_unit(per, self.unit_name) + self._metrics_text()
        bar = self._bar(current, dynamic)
        if not dynamic:
            self._write(bar + info + "\n")
            return
        plain_width = len(self._bar(current, False)) + len(info) - len(_BOLD) - len(_RESET)
        line = "\r" + bar + info
        if self._prev_width > plain_width:
            line += " " * (self._prev_width - plain_width)
        self._prev_width = plain_width
        self._write(line + ("\n" if finalize else ""))

    def _summary_line(self, current: int, now: float, per: float) -> str:
        if self.target:
            digits = int(math.log10(self.target)) + 1
            count = f"{current:{digits}d}/{self.target}"
        else:
            count = f"{current}"
        return (f"{count} - {now - self._start:.0f}s -"
                f"{format_time_per_unit(per, self.unit_name)}{self._metrics_text()}")

    @staticmethod
    def _write(text: str) -> None:
        stream = sys.stdout
        stream.write(text)
        stream.flush()

    def add(self, n: int, values=None) -> None:
        """Advance by ``n`` steps."""
        self.update(self._seen + n, values)
