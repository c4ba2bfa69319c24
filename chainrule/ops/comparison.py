"""Comparisons and logical ops (never differentiable; results are bool tensors)."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._inplace import inplace
from ._util import as_operand, bind, binary_dtype, cast, check_tensor



__all__ = [
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
    "not_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
    "bitwise_or", "bitwise_xor", "bitwise_not", "isnan", "isinf", "isposinf", "isneginf",
    "isfinite", "isclose", "allclose", "equal",
]

def _compare(ufunc, name: str):
    def op(input, other, *, out=None) -> Tensor:
        input, other = as_operand(input), as_operand(other)
        dt = binary_dtype(input, other)
        a = input._data if isinstance(input, Tensor) else input
        b = other._data if isinstance(other, Tensor) else other
        result = Tensor._make(np.asarray(ufunc(cast(a, dt), cast(b, dt))))
        if out is not None:
            from ._util import write_out

            return write_out(result, out)
        return result

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` comparison with broadcasting; returns a bool tensor."
    return op


eq = _compare(np.equal, "eq")
ne = _compare(np.not_equal, "ne")
lt = _compare(np.less, "lt")
le = _compare(np.less_equal, "le")
gt = _compare(np.greater, "gt")
ge = _compare(np.greater_equal, "ge")
logical_and = _compare(np.logical_and, "logical_and")
logical_or = _compare(np.logical_or, "logical_or")
logical_xor = _compare(np.logical_xor, "logical_xor")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def logical_not(input) -> Tensor:
    """Elementwise NOT (nonzero counts as True); returns a bool tensor."""
    return Tensor._make(np.logical_not(check_tensor(input, "logical_not")._data))


def _bitwise(ufunc, name: str):
    def op(input, other) -> Tensor:
        input, other = as_operand(input), as_operand(other)
        dt = binary_dtype(input, other)
        if dt.kind == "f":
            raise RuntimeError(f"\"{name}_cpu\" not implemented for 'Float'")
        a = input._data if isinstance(input, Tensor) else input
        b = other._data if isinstance(other, Tensor) else other
        return Tensor._make(np.asarray(ufunc(cast(a, dt), cast(b, dt))))

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` of integer or bool tensors."
    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(input) -> Tensor:
    """Elementwise NOT of an integer or bool tensor (``~x``)."""
    data = check_tensor(input, "bitwise_not")._data
    if data.dtype.kind == "f":
        raise RuntimeError("\"bitwise_not_cpu\" not implemented for 'Float'")
    return Tensor._make(np.invert(data))


def isnan(input) -> Tensor:
    """Where the elements are NaN."""
    return Tensor._make(np.isnan(check_tensor(input, "isnan")._data))


def isinf(input) -> Tensor:
    """Where the elements are +/-inf."""
    return Tensor._make(np.isinf(check_tensor(input, "isinf")._data))


def isposinf(input) -> Tensor:
    """Where the elements are +inf."""
    return Tensor._make(np.isposinf(check_tensor(input, "isposinf")._data))


def isneginf(input) -> Tensor:
    """Where the elements are -inf."""
    return Tensor._make(np.isneginf(check_tensor(input, "isneginf")._data))


def isfinite(input) -> Tensor:
    """Where the elements are finite."""
    return Tensor._make(np.isfinite(check_tensor(input, "isfinite")._data))


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|``."""
    a, b = as_operand(input), as_operand(other)
    a = a._data if isinstance(a, Tensor) else a
    b = b._data if isinstance(b, Tensor) else b
    return Tensor._make(np.asarray(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Whether all elements are close (see ``isclose``).

    Example:
        >>> import chainrule as torch
        >>> torch.allclose(torch.tensor([1.0]), torch.tensor([1.0 + 1e-9]))
        True
    """
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other) -> bool:
    """True if both tensors have the same shape and elements."""
    check_tensor(input, "equal")
    check_tensor(other, "equal", "other")
    return input._data.shape == other._data.shape and bool(
        np.array_equal(input._data, other._data))


def _cmp_method(fn):
    def method(self, other):
        try:
            return fn(self, other)
        except TypeError:
            return NotImplemented

    method.__doc__ = fn.__doc__
    return method


bind(eq=eq, ne=ne, lt=lt, le=le, gt=gt, ge=ge, greater=gt, greater_equal=ge, less=lt,
     less_equal=le, not_equal=ne, logical_and=logical_and, logical_or=logical_or,
     logical_xor=logical_xor, logical_not=logical_not, bitwise_and=bitwise_and,
     bitwise_or=bitwise_or, bitwise_xor=bitwise_xor, bitwise_not=bitwise_not, isnan=isnan,
     isinf=isinf, isposinf=isposinf, isneginf=isneginf, isfinite=isfinite, isclose=isclose,
     allclose=allclose, equal=equal,
     __eq__=_cmp_method(eq), __ne__=_cmp_method(ne), __lt__=_cmp_method(lt),
     __le__=_cmp_method(le), __gt__=_cmp_method(gt), __ge__=_cmp_method(ge),
     __and__=bitwise_and, __or__=bitwise_or, __xor__=bitwise_xor, __invert__=bitwise_not,
     __rand__=bitwise_and, __ror__=bitwise_or, __rxor__=bitwise_xor,
     logical_not_=lambda self: inplace(self, logical_not),
     __iand__=lambda self, o: inplace(self, bitwise_and, o),
     __ior__=lambda self, o: inplace(self, bitwise_or, o),
     __ixor__=lambda self, o: inplace(self, bitwise_xor, o))
