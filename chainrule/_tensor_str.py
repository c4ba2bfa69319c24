"""Tensor printing, character for character as PyTorch prints.

``repr(t)`` and ``str(t)`` call ``tensor_repr``. The rules are PyTorch's: one formatter per tensor
picks a common width and a mode (integer-valued floats print as ``1.``; scientific notation when
the largest and smallest non-zero magnitudes differ by more than 1000x, or leave [1e-4, 1e8]),
rows wrap at ``linewidth``, tensors with more than ``threshold`` elements are summarised with
``...`` keeping ``edgeitems`` items at each edge, and suffixes such as ``dtype=torch.float64``,
``requires_grad=True`` or ``grad_fn=<MulBackward0>`` follow the values.
"""

from __future__ import annotations

import contextlib
import math
import sys

import numpy as np

from . import _dtypes

__all__ = ["set_printoptions", "get_printoptions"]


class _PrintOptions:
    """The current print options (one shared instance, ``PRINT_OPTS``)."""

    __slots__ = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")

    def __init__(self) -> None:
        self.precision = 4
        self.threshold: float = 1000
        self.edgeitems = 3
        self.linewidth = 80
        self.sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Set how tensors print, as ``torch.set_printoptions``.

    Args:
        precision: digits after the decimal point for floats (default 4).
        threshold: tensors with more elements than this are summarised (default 1000).
        edgeitems: items kept at each edge of a summarised dimension (default 3).
        linewidth: characters per line before rows wrap (default 80).
        profile: ``'default'``, ``'short'`` or ``'full'``, applied before the other arguments.
        sci_mode: True/False forces scientific notation on/off; None chooses automatically.
            Like PyTorch, every call resets it to the value given (None when omitted).

    Example:
        >>> import chainrule as torch
        >>> set_printoptions(precision=2)
        >>> torch.tensor([1.12345])
        tensor([1.12])
        >>> set_printoptions(threshold=5)
        >>> torch.arange(10)
        tensor([0, 1, 2,  ..., 7, 8, 9])
        >>> set_printoptions(profile='default')
        >>> torch.tensor([1.12345])
        tensor([1.1235])
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(_PROFILES)}, "
                             f"received profile={profile!r}")
        for key, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, key, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current print options as a dict that ``set_printoptions(**d)`` accepts.

    Example:
        >>> get_printoptions()['precision']
        4
    """
    return {key: getattr(PRINT_OPTS, key) for key in _PrintOptions.__slots__}


@contextlib.contextmanager
def printoptions(**kwargs):
    """Change print options inside a ``with`` block only (arguments as ``set_printoptions``).

    Example:
        >>> import chainrule as torch
        >>> with printoptions(precision=1):
        ...     print(torch.tensor([0.25, 1.0]))
        tensor([0.2, 1.0])
    """
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Chooses one width and notation for all the values shown, then formats each value."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if not self.floating:
            for v in np.unique(values.reshape(-1)).tolist():
                self.max_width = max(self.max_width, len(f"{v}"))
            return
        flat = values.reshape(-1).astype(np.float64)
        finite = flat[np.isfinite(flat) & (flat != 0)]
        if finite.size == 0:
            return
        mags = np.abs(finite)
        lo, hi = float(mags.min()), float(mags.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        p = PRINT_OPTS.precision
        unique = np.unique(finite).tolist()
        if self.sci_mode:
            width = max(len(f"{v:.{p}e}") for v in unique)
        elif self.int_mode:
            width = max(len(f"{v:.0f}") for v in unique) + 1  # the trailing "."
        else:
            width = max(len(f"{v:.{p}f}") for v in unique)
        self.max_width = max(self.max_width, width)

    def width(self) -> int:
        """The common width every formatted value is padded to."""
        return self.max_width

    def format(self, value) -> str:
        """One value (a Python number), right-aligned to the common width."""
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{PRINT_OPTS.precision}f}"
        else:
            text = f"{value}"
        return " " * (self.max_width - len(text)) + text


def _summarized_data(arr: np.ndarray) -> np.ndarray:
    """The elements a summarised print shows, for the formatter to size itself on."""
    edge = PRINT_OPTS.edgeitems
    if arr.ndim == 0:
        return arr
    if not edge:
        # PyTorch keeps a 1-d tensor whole here (its arr[-0:] is everything) and empties others
        return arr if arr.ndim == 1 else np.empty((0,) * arr.ndim, arr.dtype)
    for axis, n in enumerate(arr.shape):
        if n > 2 * edge:
            keep = np.r_[0:edge, n - edge:n]
            arr = np.take(arr, keep, axis=axis)
    return arr


def _vector_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (fmt.width() + 2)))
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        items = ["..."]
    elif summarize and arr.shape[0] > 2 * edge:
        items = ([fmt.format(v) for v in arr[:edge].tolist()] + [" ..."]
                 + [fmt.format(v) for v in arr[-edge:].tolist()])
    else:
        items = [fmt.format(v) for v in arr.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, fmt)
    edge = PRINT_OPTS.edgeitems
    n = arr.shape[0]
    if summarize and n > 2 * edge:
        rows = ([_nested_str(arr[i], indent + 1, summarize, fmt) for i in range(edge)] + ["..."]
                + [_nested_str(arr[i], indent + 1, summarize, fmt) for i in range(n - edge, n)])
    else:
        rows = [_nested_str(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def array_str(arr: np.ndarray, indent: int = 0) -> str:
    """The bracketed values of a (non-empty) array as PyTorch prints a tensor's contents.

    Args:
        arr: the values.
        indent: the column the opening bracket sits in (continuation lines align to it).

    Example:
        >>> import numpy as np
        >>> print(array_str(np.array([[1, 20], [3, 4]])))
        [[ 1, 20],
         [ 3,  4]]
    """
    if arr.size == 0:
        return "[]"
    summarize = arr.size > PRINT_OPTS.threshold
    fmt = _Formatter(_summarized_data(arr) if summarize else arr)
    return _nested_str(arr, indent, summarize, fmt)


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    parts = [text]
    # PyTorch's measure of the last line (one more than its length when it has no newline)
    last_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def _parameter_cls():
    # Look the class up without importing chainrule.nn: until it is imported no tensor can be a
    # Parameter, and printing must not pull in the whole nn package.
    module = sys.modules.get(f"{__package__}.nn.parameter")
    return getattr(module, "Parameter", None)


def tensor_repr(t) -> str:
    """``repr(t)``: ``tensor([...])`` with PyTorch's suffixes.

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([[1.5, -2.0], [3.0, 4.25]], dtype=torch.float64)
        tensor([[ 1.5000, -2.0000],
                [ 3.0000,  4.2500]], dtype=torch.float64)
        >>> torch.tensor([], dtype=torch.int64)
        tensor([], dtype=torch.int64)
    """
    from ._tensor import Tensor

    param_cls = _parameter_cls()
    plain = type(t) is Tensor or (param_cls is not None and type(t) is param_cls)
    prefix = "tensor(" if plain else f"{type(t).__name__}("
    indent = len(prefix)
    arr = t._data
    dt = _dtypes.from_numpy_dtype(arr.dtype)
    default_float = _dtypes.get_default_dtype()
    suffixes = []
    if arr.size == 0:
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if dt is not default_float:
            suffixes.append(f"dtype={dt!r}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(arr.shape)}")
        if dt not in (default_float, _dtypes.int64, _dtypes.bool):
            suffixes.append(f"dtype={dt!r}")
        body = array_str(arr, indent)
    if t._grad_fn is not None:
        suffixes.append(f"grad_fn=<{t._grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    text = _add_suffixes(prefix + body, suffixes, indent)
    if param_cls is not None and isinstance(t, param_cls) and not plain:
        text = f"Parameter({text})"
    return text
