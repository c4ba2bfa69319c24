"""Binary arithmetic with broadcasting and PyTorch's type promotion: add, sub, mul, div, pow,
maximum, minimum, atan2, fmod, remainder, floor_divide, and their operator forms."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ._inplace import inplace, inplace_ufunc
from ._util import as_operand, bind, binary_dtype, cast, float_dtype, write_out



__all__ = [
    "add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide",
    "floor_divide", "pow", "float_power", "maximum", "minimum", "atan2", "arctan2", "fmod",
    "remainder",
]

class Add(Function):
    raw = True

    @staticmethod
    def forward(ctx, a, b, dt):
        if dt is not None:  # None: the operator methods' operands need no cast
            a, b = cast(a, dt), cast(b, dt)
        return np.add(a, b)

    @staticmethod
    def backward(ctx, g):
        return g, g, None


class Sub(Function):
    raw = True

    @staticmethod
    def forward(ctx, a, b, dt):
        if dt is not None:  # None: the operator methods' operands need no cast
            a, b = cast(a, dt), cast(b, dt)
        return np.subtract(a, b)

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None), None


class Mul(Function):
    raw = True

    @staticmethod
    def forward(ctx, a, b, dt):
        ctx.save_for_backward(a, b)
        if dt is not None:  # None: the operator methods' operands need no cast
            a, b = cast(a, dt), cast(b, dt)
        return np.multiply(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad[:2]
        return (g * b if need_a else None), (g * a if need_b else None), None


class Div(Function):
    raw = True

    @staticmethod
    def forward(ctx, a, b, dt):
        ctx.save_for_backward(a, b)
        if dt is not None:  # None: the operator methods' operands need no cast
            a, b = cast(a, dt), cast(b, dt)
        return np.true_divide(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad[:2]
        return ((g / b if need_a else None), (-g * a / (b * b) if need_b else None), None)


class Pow(Function):
    raw = True

    @staticmethod
    def forward(ctx, a, b, dt):
        y = np.power(cast(a, dt), cast(b, dt))
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            # b * a**(b-1), with 0 where b == 0 so that 0**0 has gradient 0 as in PyTorch
            ga = where_mask(b != 0, g * b * a ** (b - 1))
        if ctx.needs_input_grad[1]:
            gb = where_mask((a != 0) | (b < 0), g * y * a.log())
        return ga, gb, None


def where_mask(mask: Tensor, x: Tensor) -> Tensor:
    """``x`` where ``mask`` holds, 0 elsewhere (NaN and inf in masked-out places included)."""
    from .indexing import where

    return where(mask, x, 0.0)


class Maximum(Function):
    raw = True

    @staticmethod
    def forward(ctx, a, b, dt):
        a, b = cast(a, dt), cast(b, dt)
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _split_ties(g, a > b, a == b, ctx.needs_input_grad)


class Minimum(Function):
    raw = True

    @staticmethod
    def forward(ctx, a, b, dt):
        a, b = cast(a, dt), cast(b, dt)
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _split_ties(g, a < b, a == b, ctx.needs_input_grad)


def _split_ties(g, wins, ties, needs):
    """Gradient of max/min: to the winner, split evenly on ties (PyTorch's convention)."""
    share = wins.to(g.dtype) + ties.to(g.dtype) * 0.5
    return (g * share if needs[0] else None), (g * (1 - share) if needs[1] else None), None


class Atan2(Function):
    raw = True

    @staticmethod
    def forward(ctx, a, b, dt):
        ctx.save_for_backward(a, b)
        return np.arctan2(cast(a, dt), cast(b, dt))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        denom = a * a + b * b
        return g * b / denom, -g * a / denom, None


class Fmod(Function):
    raw = True

    @staticmethod
    def forward(ctx, a, b, dt):
        ctx.save_for_backward(a, b)
        return np.fmod(cast(a, dt), cast(b, dt))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        gb = -g * div(a, b, rounding_mode="trunc") if ctx.needs_input_grad[1] else None
        return g, gb, None


class Remainder(Function):
    raw = True

    @staticmethod
    def forward(ctx, a, b, dt):
        ctx.save_for_backward(a, b)
        return np.remainder(cast(a, dt), cast(b, dt))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        gb = -g * div(a, b, rounding_mode="floor") if ctx.needs_input_grad[1] else None
        return g, gb, None


def _operands(input, other):
    return as_operand(input), as_operand(other)


def add(input, other, *, alpha=1, out=None) -> Tensor:
    """``input + alpha * other`` with broadcasting.

    Example:
        >>> import chainrule as torch
        >>> torch.add(torch.tensor([1., 2.]), torch.tensor([10., 20.]), alpha=2)
        tensor([21., 42.])
    """
    input, other = _operands(input, other)
    if alpha != 1:
        other = mul(other, alpha)
    return write_out(Add.apply(input, other, binary_dtype(input, other)), out)


def sub(input, other, *, alpha=1, out=None) -> Tensor:
    """``input - alpha * other`` with broadcasting."""
    input, other = _operands(input, other)
    if alpha != 1:
        other = mul(other, alpha)
    _check_not_bool(input, other, "Subtraction, the `-` operator,")
    return write_out(Sub.apply(input, other, binary_dtype(input, other)), out)


def _check_not_bool(a, b, what: str) -> None:
    if all(isinstance(x, Tensor) and x._data.dtype == np.bool_ for x in (a, b)):
        raise RuntimeError(f"{what} with two bool tensors is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")


def rsub(input, other, *, alpha=1) -> Tensor:
    """``other - alpha * input``."""
    return sub(other, input, alpha=alpha)


def mul(input, other, *, out=None) -> Tensor:
    """Elementwise product with broadcasting."""
    input, other = _operands(input, other)
    return write_out(Mul.apply(input, other, binary_dtype(input, other)), out)


def div(input, other, *, rounding_mode=None, out=None) -> Tensor:
    """Elementwise division; integers divide to floats unless ``rounding_mode`` is
    ``'trunc'`` or ``'floor'``."""
    input, other = _operands(input, other)
    dt = binary_dtype(input, other)
    if rounding_mode is None:
        return write_out(Div.apply(input, other, float_dtype(dt)), out)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                         f"found '{rounding_mode}'")
    a = input._data if isinstance(input, Tensor) else input
    b = other._data if isinstance(other, Tensor) else other
    if dt.kind == "f":
        q = np.true_divide(cast(a, dt), cast(b, dt))
        q = np.trunc(q) if rounding_mode == "trunc" else np.floor(q)
    elif rounding_mode == "floor":
        q = np.floor_divide(cast(a, dt), cast(b, dt))
    else:
        q = np.trunc(np.true_divide(a, b)).astype(dt)
    return write_out(Tensor._make(np.asarray(q, dtype=dt)), out)


def true_divide(input, other, *, out=None) -> Tensor:
    """Same as ``div`` without rounding."""
    return div(input, other, out=out)


def floor_divide(input, other, *, out=None) -> Tensor:
    """Division rounded towards minus infinity (not differentiable)."""
    return div(input, other, rounding_mode="floor", out=out)


def pow(input, exponent, *, out=None) -> Tensor:  # noqa: A001 - PyTorch's name
    """``input ** exponent`` elementwise, either argument a tensor or a number."""
    input, exponent = _operands(input, exponent)
    dt = binary_dtype(input, exponent)
    if dt.kind in "iu" and isinstance(exponent, Tensor) is False and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return write_out(Pow.apply(input, exponent, dt), out)


def maximum(input, other, *, out=None) -> Tensor:
    """Elementwise maximum (ties split the gradient evenly)."""
    input, other = _operands(input, other)
    return write_out(Maximum.apply(input, other, binary_dtype(input, other)), out)


def minimum(input, other, *, out=None) -> Tensor:
    """Elementwise minimum (ties split the gradient evenly)."""
    input, other = _operands(input, other)
    return write_out(Minimum.apply(input, other, binary_dtype(input, other)), out)


def atan2(input, other, *, out=None) -> Tensor:
    """Elementwise arctangent of ``input / other`` using both signs for the quadrant."""
    input, other = _operands(input, other)
    return write_out(Atan2.apply(input, other, float_dtype(binary_dtype(input, other))), out)


arctan2 = atan2


def fmod(input, other, *, out=None) -> Tensor:
    """C-style remainder (sign of the dividend)."""
    input, other = _operands(input, other)
    return write_out(Fmod.apply(input, other, binary_dtype(input, other)), out)


def remainder(input, other, *, out=None) -> Tensor:
    """Python-style remainder (sign of the divisor)."""
    input, other = _operands(input, other)
    return write_out(Remainder.apply(input, other, binary_dtype(input, other)), out)


def float_power(input, exponent, *, out=None) -> Tensor:
    """``pow`` computed in float64."""
    input, exponent = _operands(input, exponent)
    if isinstance(input, Tensor):
        input = input.double()
    if isinstance(exponent, Tensor):
        exponent = exponent.double()
    return pow(input, exponent, out=out)



def _reflected(fn):
    def method(self, other):
        return fn(other, self)

    method.__name__ = f"__r{fn.__name__}__"
    method.__doc__ = f"``other {fn.__name__} self``."
    return method


def _not_implemented_for(fn):
    """Wrap a binary op so unknown operand types give Python's NotImplemented."""

    def method(self, other):
        try:
            return fn(self, other)
        except TypeError as exc:
            if "unsupported operand type" in str(exc):
                return NotImplemented
            raise

    method.__name__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


def _fast(fn_cls, fn, kinds: str, reflected: bool = False):
    """An operator method with a fast path for the common operands: two tensors of one dtype
    (of a kind in ``kinds``) or a float tensor and a Python float or int; anything else goes
    through ``fn`` (promotion, checks, NotImplemented for unknown types)."""
    slow = _not_implemented_for(_reflected(fn) if reflected else fn)

    def method(self, other):
        dt = self._data.dtype
        if isinstance(other, Tensor):
            fast = other._data.dtype == dt and dt.kind in kinds
        else:  # NumPy keeps a Python number weak: the result has the tensor's dtype uncast
            fast = (type(other) is float or type(other) is int) and dt.kind == "f"
        if not fast:
            return slow(self, other)
        return fn_cls.apply(other, self, None) if reflected else fn_cls.apply(self, other, None)

    method.__name__ = slow.__name__
    method.__doc__ = slow.__doc__
    return method


def _ip(ufunc, fn):
    def method(self, other, *, alpha=1):
        if alpha != 1:
            other = mul(other, alpha)
        return inplace_ufunc(self, ufunc, other, fn)

    method.__doc__ = f"In-place ``{fn.__name__}``; returns self."
    return method


def _div_(self, other, *, rounding_mode=None):
    """In-place ``div``; returns self."""
    if rounding_mode is None and self._data.dtype.kind == "f":
        return inplace_ufunc(self, np.true_divide, other, div)
    return inplace(self, div, other, rounding_mode=rounding_mode)


def _rpow(self, other):
    return pow(other, self)


bind(
    add=add, sub=sub, subtract=sub, mul=mul, multiply=mul, div=div, divide=div,
    true_divide=true_divide, floor_divide=floor_divide, pow=pow, float_power=float_power,
    maximum=maximum, minimum=minimum, atan2=atan2, arctan2=atan2, fmod=fmod,
    remainder=remainder,
    __add__=_fast(Add, add, "fiu"), __radd__=_fast(Add, add, "fiu", reflected=True),
    __sub__=_fast(Sub, sub, "fiu"), __rsub__=_fast(Sub, sub, "fiu", reflected=True),
    __mul__=_fast(Mul, mul, "fiub"), __rmul__=_fast(Mul, mul, "fiub", reflected=True),
    __truediv__=_fast(Div, div, "f"), __rtruediv__=_fast(Div, div, "f", reflected=True),
    __floordiv__=_not_implemented_for(floor_divide),
    __rfloordiv__=_not_implemented_for(_reflected(floor_divide)),
    __mod__=_not_implemented_for(remainder),
    __rmod__=_not_implemented_for(_reflected(remainder)),
    __pow__=_not_implemented_for(pow), __rpow__=_not_implemented_for(_rpow),
    add_=_ip(np.add, add), sub_=_ip(np.subtract, sub), subtract_=_ip(np.subtract, sub),
    mul_=_ip(np.multiply, mul), multiply_=_ip(np.multiply, mul),
    div_=_div_, divide_=_div_, true_divide_=_div_,
    pow_=lambda self, e: inplace(self, pow, e),
    floor_divide_=lambda self, o: inplace(self, floor_divide, o),
    remainder_=lambda self, o: inplace(self, remainder, o),
    fmod_=lambda self, o: inplace(self, fmod, o),
    __iadd__=_ip(np.add, add), __isub__=_ip(np.subtract, sub), __imul__=_ip(np.multiply, mul),
    __itruediv__=_div_, __ipow__=lambda self, e: inplace(self, pow, e),
    __ifloordiv__=lambda self, o: inplace(self, floor_divide, o),
    __imod__=lambda self, o: inplace(self, remainder, o),
)

subtract, multiply, divide = sub, mul, div
