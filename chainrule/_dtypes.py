"""Data types: PyTorch-named wrappers around NumPy dtypes, and PyTorch's type promotion."""

from __future__ import annotations

import numpy as np

__all__ = [
    "dtype", "float16", "float32", "float64", "bfloat16", "int8", "int16", "int32", "int64",
    "uint8", "bool", "half", "float", "double", "short", "int", "long", "get_default_dtype",
    "set_default_dtype", "promote_types", "result_type", "can_cast", "finfo", "iinfo",
]

_builtin_bool = bool
_builtin_float = float
_builtin_int = int


class dtype:
    """A tensor element type; ``repr`` prints as PyTorch does (``torch.float32``)."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_category")

    def __init__(self, name: str, np_dtype, category: _builtin_int) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self._category = category  # 0 bool, 1 integer, 2 floating
        self.is_floating_point = category == 2
        self.is_signed = self.np.kind in "if"
        self.itemsize = self.np.itemsize

    @property
    def is_complex(self) -> _builtin_bool:
        """Complex dtypes are not supported; always False."""
        return False

    def to_real(self) -> "dtype":
        """The real counterpart of this dtype (itself, since all supported dtypes are real)."""
        return self

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self):
        return (_lookup, (self.name,))


float16 = half = dtype("float16", np.float16, 2)
float32 = float = dtype("float32", np.float32, 2)
float64 = double = dtype("float64", np.float64, 2)
int8 = dtype("int8", np.int8, 1)
int16 = short = dtype("int16", np.int16, 1)
int32 = int = dtype("int32", np.int32, 1)
int64 = long = dtype("int64", np.int64, 1)
uint8 = dtype("uint8", np.uint8, 1)
bool = dtype("bool", np.bool_, 0)  # noqa: A001 - PyTorch's public name
# NumPy has no bfloat16; it is stored as float32 so code naming it still runs.
bfloat16 = dtype("bfloat16", np.float32, 2)

_ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool)
_FROM_NUMPY = {d.np: d for d in _ALL}
_BY_NAME = {d.name: d for d in (*_ALL, bfloat16)}


def _lookup(name: str) -> dtype:
    return _BY_NAME[name]


_default_float = [float32]


def get_default_dtype() -> dtype:
    """Return the default floating-point dtype (``float32`` unless changed)."""
    return _default_float[0]


def set_default_dtype(d: dtype) -> None:
    """Set the default floating-point dtype used by factories and by int-to-float promotion.

    Args:
        d: ``float32``, ``float64`` or ``float16``.
    """
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float[0] = d


def to_dtype(value) -> dtype:
    """Convert a chainrule dtype, NumPy dtype, Python type or name into a chainrule ``dtype``."""
    if isinstance(value, dtype):
        return value
    if value is _builtin_float:
        return get_default_dtype()
    if value is _builtin_int:
        return int64
    if value is _builtin_bool:
        return bool
    if isinstance(value, str) and value in _BY_NAME:
        return _BY_NAME[value]
    try:
        npd = np.dtype(value)
    except TypeError:
        raise TypeError(f"dtype must be a chainrule dtype, received {value!r}") from None
    found = _FROM_NUMPY.get(npd)
    if found is None:
        raise TypeError(f"unsupported dtype {npd}; chainrule supports {', '.join(_BY_NAME)}")
    return found


def from_numpy_dtype(npd) -> dtype:
    """The chainrule dtype for a NumPy dtype (raises ``TypeError`` for unsupported ones)."""
    found = _FROM_NUMPY.get(npd)
    return found if found is not None else to_dtype(npd)


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both ``a`` and ``b`` can be cast to, as ``torch.promote_types``."""
    a, b = to_dtype(a), to_dtype(b)
    if a is b:
        return a
    if a._category != b._category:  # e.g. int32 with float16 gives float16, unlike NumPy
        return a if a._category > b._category else b
    return _FROM_NUMPY[np.promote_types(a.np, b.np)]


def scalar_category(value) -> _builtin_int:
    """Category of a Python scalar: 0 bool, 1 integer, 2 floating."""
    if isinstance(value, (_builtin_bool, np.bool_)):
        return 0
    if isinstance(value, (_builtin_int, np.integer)):
        return 1
    return 2


def _category_default(category: _builtin_int) -> dtype:
    return (bool, int64, get_default_dtype())[category]


def result_type(*operands) -> dtype:
    """PyTorch's promotion over tensors and Python scalars.

    Dimensioned tensors take priority over zero-dimensional tensors, which take priority over
    Python scalars; a lower-priority operand only changes the result when its category (bool <
    integer < floating) is higher, e.g. ``int tensor * 2.5`` is the default float dtype.
    """
    from ._tensor import Tensor

    tiers = [None, None, None]  # dimensioned tensors, 0-d tensors, Python scalars
    for op in operands:
        if isinstance(op, Tensor):
            d, tier = op.dtype, 0 if op._data.ndim else 1
        elif isinstance(op, np.ndarray):
            d, tier = from_numpy_dtype(op.dtype), 0 if op.ndim else 1
        else:
            d, tier = _category_default(scalar_category(op)), 2
        cur = tiers[tier]
        if cur is None:
            tiers[tier] = d
        elif tier == 2:
            tiers[tier] = cur if cur._category >= d._category else d
        else:
            tiers[tier] = promote_types(cur, d)
    result = None
    for d in tiers:
        if d is None:
            continue
        if result is None or d._category > result._category:
            result = d
    return result


def can_cast(from_: dtype, to: dtype) -> _builtin_bool:
    """Whether PyTorch's casting rules allow ``from_`` to be cast to ``to`` in an in-place op."""
    return to_dtype(from_)._category <= to_dtype(to)._category


class finfo:
    """Machine limits of a floating dtype (``eps``, ``max``, ``min``, ``tiny``)."""

    def __init__(self, type: dtype | None = None) -> None:  # noqa: A002 - PyTorch's name
        d = to_dtype(type) if type is not None else get_default_dtype()
        info = np.finfo(d.np)
        self.dtype = d.name
        self.bits = info.bits
        self.eps = _builtin_float(info.eps)
        self.max = _builtin_float(info.max)
        self.min = _builtin_float(info.min)
        self.tiny = self.smallest_normal = _builtin_float(info.tiny)
        self.resolution = _builtin_float(info.resolution)


class iinfo:
    """Limits of an integer dtype (``max``, ``min``, ``bits``)."""

    def __init__(self, type: dtype) -> None:  # noqa: A002 - PyTorch's name
        d = to_dtype(type)
        info = np.iinfo(d.np)
        self.dtype = d.name
        self.bits, self.max, self.min = info.bits, _builtin_int(info.max), _builtin_int(info.min)
