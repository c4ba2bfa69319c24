"""Gradient-recording switches: ``no_grad``, ``enable_grad``, ``set_grad_enabled``,
``inference_mode``. Each works as a context manager and as a decorator.

Unlike PyTorch's, the switch is one for the whole process, not one per thread: a ``no_grad``
block or a backward pass running in one thread also stops recording in the others, so run
autograd from one thread at a time. (A per-thread flag costs every op a slower lookup: about
3% of the per-op overhead that ``bench`` (d) measures.)"""

from __future__ import annotations

import functools

# A one-element list so hot code can read the flag with a single index, no function call.
GRAD_ENABLED = [True]


def is_grad_enabled() -> bool:
    """Whether operations are currently recorded for autograd."""
    return GRAD_ENABLED[0]


class _GradMode:
    """Base: sets the flag on entry, restores it on exit, and wraps functions when called."""

    _mode = True

    def __enter__(self):
        self._prev = GRAD_ENABLED[0]
        GRAD_ENABLED[0] = self._mode
        return self

    def __exit__(self, *exc) -> None:
        GRAD_ENABLED[0] = self._prev

    def __call__(self, func):
        if isinstance(func, type):
            raise TypeError(f"{type(self).__name__} can decorate functions, not classes")
        mode_cls, args = type(self), self._args()

        @functools.wraps(func)
        def wrapper(*a, **kw):
            with mode_cls(*args):
                return func(*a, **kw)

        return wrapper

    def _args(self) -> tuple:
        return ()

    def clone(self):
        """A fresh manager in the same mode."""
        return type(self)(*self._args())


class no_grad(_GradMode):
    """Disable gradient recording inside the block (or the decorated function).

    Example:
        >>> import chainrule as torch
        >>> x = torch.ones(2, requires_grad=True)
        >>> with torch.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    _mode = False


class enable_grad(_GradMode):
    """Enable gradient recording inside the block, even within ``no_grad``."""

    _mode = True


class set_grad_enabled(_GradMode):
    """Set gradient recording on or off; takes effect at once, and as a context manager restores
    the previous mode on exit.

    Args:
        mode: True to record operations, False not to.
    """

    def __init__(self, mode: bool) -> None:
        self._prev = GRAD_ENABLED[0]
        self._mode = bool(mode)
        GRAD_ENABLED[0] = self._mode

    def __enter__(self):
        return self

    def __call__(self, func):
        GRAD_ENABLED[0] = self._prev  # as a decorator it only applies inside the function
        return super().__call__(func)

    def _args(self) -> tuple:
        return (self._mode,)


class inference_mode(_GradMode):
    """Like ``no_grad`` (``inference_mode(False)`` leaves recording as it is)."""

    def __init__(self, mode: bool = True) -> None:
        self._enabled = bool(mode)

    def __enter__(self):
        self._prev = GRAD_ENABLED[0]
        if self._enabled:
            GRAD_ENABLED[0] = False
        return self

    def _args(self) -> tuple:
        return (self._enabled,)


def is_inference_mode_enabled() -> bool:
    """True while gradient recording is off (chainrule treats inference mode as ``no_grad``)."""
    return not GRAD_ENABLED[0]
