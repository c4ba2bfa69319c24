"""Unary elementwise math: exp, log, trigonometric and hyperbolic functions, sigmoid, relu,
rounding, abs/sign, clamp. Each is one primitive whose backward is written with tensor ops."""

from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_ENABLED
from . import elementwise_fused
from ._inplace import inplace
from .._parallel import split_rows
from ._util import bind, check_tensor, to_float_tensor, write_out


__all__ = [
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "square",
    "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
    "sigmoid", "relu", "erf", "erfinv", "abs", "sign", "floor", "ceil", "trunc", "frac",
    "round", "neg", "clamp", "clamp_min", "clamp_max", "arcsin", "arccos", "arctan", "absolute",
    "negative", "clip", "fix",
]

try:
    from scipy.special import erf as _np_erf, erfinv as _np_erfinv  # optional, faster
except ImportError:  # pragma: no cover - SciPy is optional
    _np_erf = np.vectorize(math.erf, otypes=[np.float64])
    _np_erfinv = None

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _unary(name: str, saves: str, forward, derivative, *, floating: bool = True, doc: str = ""):
    """Make the primitive ``Function`` for an elementwise op and the function applying it.

    ``derivative(x, y, g)`` returns the input gradient from the input ``x``, the output ``y``
    and the upstream gradient ``g``, using tensor ops (so it is itself differentiable). Only
    what ``saves`` names (``"x"``, ``"y"`` or ``""``) is kept for backward, the other is None,
    so changing the unsaved one in place later is not an error (as in PyTorch).
    """

    def fwd(ctx, x):
        y = forward(x)
        if y.dtype != x.dtype and x.dtype.kind == "f":
            y = y.astype(x.dtype)
        ctx.save_for_backward(x if "x" in saves else None, y if "y" in saves else None)
        return y

    def bwd(ctx, g):
        x, y = ctx.saved_tensors
        return derivative(x, y, g)

    fn_cls = type(name.capitalize(), (Function,), {
        "raw": True, "node_name": f"{name.capitalize()}Backward0",
        "forward": staticmethod(fwd), "backward": staticmethod(bwd), "__doc__": doc})

    def op(input, *, out=None):
        check_tensor(input, name)
        if floating:
            input = to_float_tensor(input)
        return write_out(fn_cls.apply(input), out)

    op.__name__ = name
    op.__qualname__ = name
    op.__doc__ = doc or f"Elementwise ``{name}``."
    return op, fn_cls


def _zero_grad(x, y, g):
    return g * 0


exp, Exp = _unary("exp", "y", np.exp, lambda x, y, g: g * y, doc="Elementwise ``e**x``.")
exp2, Exp2 = _unary("exp2", "y", np.exp2, lambda x, y, g: g * y * _LN2, doc="Elementwise ``2**x``.")
expm1, Expm1 = _unary("expm1", "y", np.expm1, lambda x, y, g: g * (y + 1),
                      doc="``exp(x) - 1``, accurate for small x.")
log, Log = _unary("log", "x", np.log, lambda x, y, g: g / x, doc="Natural logarithm.")
log2, Log2 = _unary("log2", "x", np.log2, lambda x, y, g: g / (x * _LN2), doc="Base-2 logarithm.")
log10, Log10 = _unary("log10", "x", np.log10, lambda x, y, g: g / (x * _LN10),
                      doc="Base-10 logarithm.")
log1p, Log1p = _unary("log1p", "x", np.log1p, lambda x, y, g: g / (x + 1),
                      doc="``log(1 + x)``, accurate for small x.")
sqrt, Sqrt = _unary("sqrt", "y", np.sqrt, lambda x, y, g: g / (y * 2), doc="Square root.")
rsqrt, Rsqrt = _unary("rsqrt", "y", lambda x: 1.0 / np.sqrt(x),
                      lambda x, y, g: g * y * y * y * -0.5,
                      doc="``1 / sqrt(x)``.")
square, Square = _unary("square", "x", np.square, lambda x, y, g: g * x * 2, floating=False,
                        doc="``x * x``.")
reciprocal, Reciprocal = _unary("reciprocal", "y", lambda x: 1.0 / x, lambda x, y, g: -g * y * y,
                                doc="``1 / x``.")
sin, Sin = _unary("sin", "x", np.sin, lambda x, y, g: g * x.cos(), doc="Sine.")
cos, Cos = _unary("cos", "x", np.cos, lambda x, y, g: -g * x.sin(), doc="Cosine.")
tan, Tan = _unary("tan", "y", np.tan, lambda x, y, g: g * (y * y + 1), doc="Tangent.")
asin, Asin = _unary("asin", "x", np.arcsin, lambda x, y, g: g * (1 - x * x).rsqrt(), doc="Arcsine.")
acos, Acos = _unary("acos", "x", np.arccos, lambda x, y, g: -g * (1 - x * x).rsqrt(),
                    doc="Arccosine.")
atan, Atan = _unary("atan", "x", np.arctan, lambda x, y, g: g / (x * x + 1), doc="Arctangent.")
sinh, Sinh = _unary("sinh", "x", np.sinh, lambda x, y, g: g * x.cosh(), doc="Hyperbolic sine.")
cosh, Cosh = _unary("cosh", "x", np.cosh, lambda x, y, g: g * x.sinh(), doc="Hyperbolic cosine.")
tanh, Tanh = _unary("tanh", "y", np.tanh, lambda x, y, g: g * (1 - y * y),
                    doc="Hyperbolic tangent.")


def _sigmoid_forward(x):
    # exp of a non-positive number never overflows: the stable form for both signs
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


sigmoid, Sigmoid = _unary("sigmoid", "y", _sigmoid_forward, lambda x, y, g: g * y * (1 - y),
                          doc="The logistic function ``1 / (1 + exp(-x))``.")


def _relu_forward(x: np.ndarray) -> np.ndarray:
    """``max(x, 0)``; a large contiguous float array is split between threads."""
    if x.dtype.kind != "f" or not x.flags.c_contiguous:
        return np.maximum(x, 0)
    y = np.empty_like(x)
    xf, yf = x.reshape(-1), y.reshape(-1)
    split_rows(lambda a, b: np.maximum(xf[a:b], 0, out=yf[a:b]), xf.size, xf.size)
    return y


def _relu_mask_mul(y: np.ndarray, g: np.ndarray, out: np.ndarray) -> None:
    """``out = g * (y > 0)``, the mask made as floats (they multiply faster than bools)."""
    np.greater(y, 0, out=out)
    out *= g


def _relu_grad(x, y, g):
    if GRAD_ENABLED[0]:
        return g * (y > 0)
    # plain backward, on raw arrays: compiled, or same-shape contiguous ones split between
    # threads
    gd, yd = g._data, y._data
    if elementwise_fused.applies(yd, gd):
        return Tensor._make(elementwise_fused.relu_grad(yd, gd))
    out = np.empty(np.broadcast_shapes(gd.shape, yd.shape), np.result_type(gd, yd))
    if gd.shape == yd.shape == out.shape and gd.flags.c_contiguous and yd.flags.c_contiguous:
        gf, yf, of = gd.reshape(-1), yd.reshape(-1), out.reshape(-1)
        split_rows(lambda a, b: _relu_mask_mul(yf[a:b], gf[a:b], of[a:b]), of.size, of.size)
    else:
        _relu_mask_mul(yd, gd, out)
    return Tensor._make(out)


relu, Relu = _unary("relu", "y", _relu_forward, _relu_grad,
                    floating=False, doc="``max(x, 0)``.")
erf, Erf = _unary("erf", "x", _np_erf,
                  lambda x, y, g: g * (-(x * x)).exp() * _TWO_OVER_SQRT_PI,
                  doc="The Gauss error function.")
abs, Abs = _unary("abs", "x", np.abs, lambda x, y, g: g * x.sign(), floating=False,  # noqa: A001
                  doc="Absolute value.")
sign, Sign = _unary("sign", "", np.sign, _zero_grad, floating=False, doc="-1, 0 or 1 by sign.")
floor, Floor = _unary("floor", "", np.floor, _zero_grad, floating=False, doc="Round down.")
ceil, Ceil = _unary("ceil", "", np.ceil, _zero_grad, floating=False, doc="Round up.")
trunc, Trunc = _unary("trunc", "", np.trunc, _zero_grad, floating=False, doc="Round towards 0.")
frac, Frac = _unary("frac", "", lambda x: x - np.trunc(x), lambda x, y, g: g,
                    doc="``x - trunc(x)``.")
_round0, Round = _unary("round", "", np.round, _zero_grad, floating=False)


def neg(input, *, out=None) -> Tensor:
    """``-input``."""
    check_tensor(input, "neg")
    if input._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator "
                           "instead.")
    return write_out(Neg.apply(input), out)


class Neg(Function):
    raw = True

    @staticmethod
    def forward(ctx, x):
        return np.negative(x)

    @staticmethod
    def backward(ctx, g):
        return -g


def round(input, *, decimals: int = 0, out=None) -> Tensor:  # noqa: A001 - PyTorch's name
    """Round half to even, optionally to ``decimals`` decimal places."""
    if decimals == 0:
        return _round0(input, out=out)
    check_tensor(input, "round")
    scale = 10.0 ** decimals
    return write_out(Tensor._make(np.round(input._data * scale) / scale
                                  ).to(input.dtype).detach(), out)


class Clamp(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.bounds = (lo, hi)
        return np.clip(x, lo, hi).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        inside = None
        if lo is not None:
            inside = x >= lo
        if hi is not None:
            inside = (x <= hi) if inside is None else inside & (x <= hi)
        return g * inside, None, None


def clamp(input, min=None, max=None, *, out=None) -> Tensor:  # noqa: A002
    """Limit values to ``[min, max]``; the gradient passes where the input was inside.

    Bounds may be numbers or tensors (tensor bounds broadcast and receive gradients).
    """
    check_tensor(input, "clamp")
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        from .arithmetic import maximum, minimum

        result = input
        if min is not None:
            result = maximum(result, min)
        if max is not None:
            result = minimum(result, max)
        return write_out(result, out)
    if input._data.dtype.kind != "f" and (isinstance(min, float) or isinstance(max, float)):
        input = to_float_tensor(input)
    return write_out(Clamp.apply(input, min, max), out)


def clamp_min(input, min) -> Tensor:  # noqa: A002
    """``clamp(input, min=min)``."""
    return clamp(input, min=min)


def clamp_max(input, max) -> Tensor:  # noqa: A002
    """``clamp(input, max=max)``."""
    return clamp(input, max=max)


def erfinv(input) -> Tensor:
    """Inverse error function (needs SciPy; not differentiable)."""
    if _np_erfinv is None:
        raise RuntimeError("erfinv needs SciPy: pip install scipy")
    return Tensor._make(_np_erfinv(to_float_tensor(input)._data))


def _method_inplace(fn):
    def method(self, *args, **kwargs):
        return inplace(self, fn, *args, **kwargs)

    method.__name__ = f"{fn.__name__}_"
    method.__doc__ = f"In-place ``{fn.__name__}``; returns self."
    return method


_UNARY = dict(exp=exp, exp2=exp2, expm1=expm1, log=log, log2=log2, log10=log10, log1p=log1p,
              sqrt=sqrt, rsqrt=rsqrt, square=square, reciprocal=reciprocal, sin=sin, cos=cos,
              tan=tan, asin=asin, acos=acos, atan=atan, sinh=sinh, cosh=cosh, tanh=tanh,
              sigmoid=sigmoid, relu=relu, erf=erf, abs=abs, sign=sign, floor=floor, ceil=ceil,
              trunc=trunc, frac=frac, round=round, neg=neg, clamp=clamp, clamp_min=clamp_min,
              clamp_max=clamp_max, erfinv=erfinv)
_ALIASES = dict(arcsin="asin", arccos="acos", arctan="atan", absolute="abs",
                negative="neg", clip="clamp", fix="trunc")

bind(**_UNARY, **{f"{k}_": _method_inplace(v) for k, v in _UNARY.items()},
     **{a: _UNARY[t] for a, t in _ALIASES.items()},
     **{f"{a}_": _method_inplace(_UNARY[t]) for a, t in _ALIASES.items()},
     __neg__=neg, __abs__=abs, __pos__=lambda self: self)

arcsin, arccos, arctan, absolute, negative, clip, fix = asin, acos, atan, abs, neg, clamp, trunc
