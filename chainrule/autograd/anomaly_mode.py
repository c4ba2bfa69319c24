"""Anomaly detection: ``detect_anomaly`` and ``set_detect_anomaly``, as in PyTorch.

While anomaly mode is on, every recorded node keeps the stack of the forward call that created
it (``node.metadata["traceback_"]``), and the backward engine raises as soon as a node's backward
returns NaN, naming the op and showing the user's line that created it.

``check_anomaly`` and ``format_anomaly`` build that error; the engine may call
``check_anomaly(node, results)`` in place of its own check.
"""

from __future__ import annotations

import functools
import os
import warnings

import numpy as np

from .function import ANOMALY, AccumulateGrad

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "check_anomaly", "format_anomaly", "user_frame"]

# Whether anomaly mode checks backward results for NaN; read by ``check_anomaly``.
CHECK_NAN = [True]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_ENABLED_MSG = ("Anomaly Detection has been enabled. This mode will increase the runtime and "
                "should only be enabled for debugging.")


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on.

    Returns:
        True inside ``detect_anomaly()`` or after ``set_detect_anomaly(True)``.

    Example:
        >>> from chainrule.autograd import is_anomaly_enabled, set_detect_anomaly
        >>> with set_detect_anomaly(True):
        ...     is_anomaly_enabled()
        True
        >>> is_anomaly_enabled()
        False
    """
    return bool(ANOMALY[0])


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly mode checks backward results for NaN (``check_nan``).

    Returns:
        The ``check_nan`` setting of the innermost anomaly mode.
    """
    return bool(CHECK_NAN[0])


class _AnomalyMode:
    """Shared context-manager/decorator behaviour: restore the previous mode on exit."""

    def __init__(self, mode: bool, check_nan: bool) -> None:
        self.mode = bool(mode)
        self.check_nan = bool(check_nan)
        self._prev: list = []

    def _set(self) -> None:
        self._prev.append((ANOMALY[0], CHECK_NAN[0]))
        ANOMALY[0] = self.mode
        CHECK_NAN[0] = self.check_nan

    def __exit__(self, *exc) -> None:
        if self._prev:
            ANOMALY[0], CHECK_NAN[0] = self._prev.pop()

    def __call__(self, fn):
        if isinstance(fn, type):
            raise TypeError(f"{type(self).__name__} can decorate functions, not classes")
        mode, check_nan, cls = self.mode, self.check_nan, type(self)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            manager = (cls(check_nan) if cls is detect_anomaly else cls(mode, check_nan))
            with manager:
                return fn(*args, **kwargs)

        if cls is set_detect_anomaly:  # the constructor switched the mode; undo it
            self.__exit__(None, None, None)
        return wrapper


class detect_anomaly(_AnomalyMode):
    """Context manager and decorator that turns anomaly detection on.

    Inside it, backward raises ``RuntimeError`` at the first op whose backward returns NaN,
    naming the op (``SqrtBackward0``) and showing the line of *your* code that created it,
    followed by the full forward stack. It slows everything down: use it to debug only.

    Args:
        check_nan: raise on NaN gradients (``False`` only records the forward stacks; the
            engine must consult ``check_anomaly`` for this to take effect).

    Example:
        >>> import warnings
        >>> import chainrule as torch
        >>> x = torch.tensor(0.0, requires_grad=True)
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     with torch.autograd.detect_anomaly():
        ...         y = x.sqrt() * 0
        ...         try:
        ...             y.backward()
        ...         except RuntimeError as err:
        ...             print(str(err).splitlines()[0])
        Function 'SqrtBackward0' returned nan values in its 0th output.
    """

    def __init__(self, check_nan: bool = True) -> None:
        super().__init__(True, check_nan)

    def __enter__(self) -> "detect_anomaly":
        warnings.warn(_ENABLED_MSG, UserWarning, stacklevel=2)
        self._set()
        return self


class set_detect_anomaly(_AnomalyMode):
    """Turn anomaly detection on or off: as a function call, a context manager (the previous
    mode comes back on exit) or a decorator.

    Args:
        mode: True to enable, False to disable.
        check_nan: raise on NaN gradients while enabled.

    Example:
        >>> from chainrule.autograd import is_anomaly_enabled, set_detect_anomaly
        >>> _ = set_detect_anomaly(True); is_anomaly_enabled()
        True
        >>> _ = set_detect_anomaly(False); is_anomaly_enabled()
        False
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        super().__init__(mode, check_nan)
        self._set()

    def __enter__(self) -> "set_detect_anomaly":
        return self


def user_frame(stack: list) -> str | None:
    """The innermost frame of a formatted stack that lies outside chainrule's own code.

    Args:
        stack: ``traceback.format_stack()`` entries (as kept in ``node.metadata``).

    Returns:
        That frame's text (``File "...", line N, in f`` and the source line), or None.
    """
    for entry in reversed(stack):
        first = entry.strip().splitlines()[0] if entry.strip() else ""
        if not first.startswith("File "):
            continue
        path = first.split('"')[1] if '"' in first else ""
        if path and not os.path.abspath(path).startswith(_PACKAGE_DIR + os.sep) and \
                "importlib" not in path and not path.startswith("<frozen"):
            return entry
    return None


def format_anomaly(node, index: int) -> str:
    """The error message for a NaN in output ``index`` of ``node``'s backward.

    It names the op and the graph input the NaN flows into, shows the user's line that created
    the op, then the full forward stack.

    Args:
        node: the backward node whose backward returned NaN.
        index: which of its results holds NaN.

    Returns:
        The message text.
    """
    msg = [f"Function '{node.name()}' returned nan values in its {index}th output."]
    nxt = getattr(node, "_next", None) or ()
    edge = nxt[index] if index < len(nxt) else None
    if edge:
        target = edge[0]
        if isinstance(target, AccumulateGrad):
            shape = list(target.variable.shape)
            msg.append(f"The NaN gradient flows into a leaf tensor of shape {shape}.")
        else:
            msg.append(f"The NaN gradient flows into {target.name()}.")
    stack = node.metadata.get("traceback_")
    if not stack:
        msg.append("No forward trace was recorded for this op: run the forward pass inside "
                   "torch.autograd.detect_anomaly() as well as the backward pass.")
        return "\n".join(msg)
    mine = user_frame(stack)
    if mine is not None:
        msg.append(f"The op was created in the forward pass by your code at:\n{mine.rstrip()}")
    msg.append("Traceback of the forward call that created it (most recent call last):\n"
               + "".join(stack).rstrip())
    return "\n".join(msg)


def check_anomaly(node, results) -> None:
    """Raise ``RuntimeError`` (``format_anomaly``'s message) if a backward result holds NaN.

    Meant for the engine to call after each node's backward while ``ANOMALY[0]`` is set; it
    honours ``check_nan``.

    Args:
        node: the node whose backward just ran.
        results: its results (tensors or None).
    """
    if not CHECK_NAN[0]:
        return
    for i, r in enumerate(results):
        data = getattr(r, "_data", None)
        if data is not None and data.dtype.kind == "f" and np.isnan(data).any():
            raise RuntimeError(format_anomaly(node, i))
