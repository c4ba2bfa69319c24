"""Tangent rules for math ops: arithmetic, unary elementwise functions, activations, softmax,
reductions and statistics, sorting, matrix products, einsum and ``chainrule.linalg``.

Each rule returns ``J t`` from the op's arguments, outputs and tangents (see ``_jvp_rules``).
Derivative factors that depend smoothly on the input are built from the argument and output
tensors with tensor ops, so they are differentiable again (reverse-over-forward); piecewise
constant factors (masks, tie weights) are constants.
"""

from __future__ import annotations

import math
from importlib import import_module

import numpy as np

from .. import ops
from .._tensor import Tensor
from ._jvp_rules import (
    add,
    const,
    gradient_dot_tangent,
    linear_in_first,
    multilinear,
    register,
    saved,
)

# the op modules (imported by path: some names are rebound to functions in chainrule.ops)
LA = import_module("chainrule.linalg")
A = import_module("chainrule.ops.activation")
AR = import_module("chainrule.ops.arithmetic")
EI = import_module("chainrule.ops.einsum")
E = import_module("chainrule.ops.elementwise")
LO = import_module("chainrule.ops.linalg")
R = import_module("chainrule.ops.reduction")
SC = import_module("chainrule.ops.scatter")
SM = import_module("chainrule.ops.softmax")
SO = import_module("chainrule.ops.sorting")
ST = import_module("chainrule.ops.statistics")

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _mask(cond: np.ndarray, like) -> object:
    """A 0/1 constant of ``like``'s dtype."""
    return const(cond, like._data.dtype)


# ---- unary elementwise (x -> y) --------------------------------------------------------------
def _unary(fn):
    """Rule from ``fn(x, y, t)``, the tangent of ``y = f(x)``."""

    def rule(ctx, args, tangents, outputs):
        return fn(args[0], outputs[0], tangents[0])

    return rule


def _zero(x, y, t):
    return t * 0.0


_UNARY = {
    "Exp": lambda x, y, t: t * y,
    "Exp2": lambda x, y, t: t * y * _LN2,
    "Expm1": lambda x, y, t: t * (y + 1),
    "Log": lambda x, y, t: t / x,
    "Log2": lambda x, y, t: t / (x * _LN2),
    "Log10": lambda x, y, t: t / (x * _LN10),
    "Log1p": lambda x, y, t: t / (x + 1),
    "Sqrt": lambda x, y, t: t / (y * 2),
    "Rsqrt": lambda x, y, t: t * (y * y * y) * -0.5,
    "Square": lambda x, y, t: t * x * 2,
    "Reciprocal": lambda x, y, t: -t * (y * y),
    "Sin": lambda x, y, t: t * x.cos(),
    "Cos": lambda x, y, t: -t * x.sin(),
    "Tan": lambda x, y, t: t * (y * y + 1),
    "Asin": lambda x, y, t: t * (1 - x * x).rsqrt(),
    "Acos": lambda x, y, t: -t * (1 - x * x).rsqrt(),
    "Atan": lambda x, y, t: t / (x * x + 1),
    "Sinh": lambda x, y, t: t * x.cosh(),
    "Cosh": lambda x, y, t: t * x.sinh(),
    "Tanh": lambda x, y, t: t * (1 - y * y),
    "Sigmoid": lambda x, y, t: t * (y * (1 - y)),
    "Relu": lambda x, y, t: t * _mask(y._data > 0, t),
    "Erf": lambda x, y, t: t * (-(x * x)).exp() * _TWO_OVER_SQRT_PI,
    "Abs": lambda x, y, t: t * _mask(np.sign(x._data), t),
    "Frac": lambda x, y, t: t * 1.0,
    # piecewise constant: zero tangent, as PyTorch gives
    "Sign": _zero, "Floor": _zero, "Ceil": _zero, "Trunc": _zero, "Round": _zero,
}
for _name, _fn in _UNARY.items():
    register(E, _name, _unary(_fn))
register(E, "Neg", _unary(lambda x, y, t: -t))


def _clamp(ctx, args, tangents, outputs):
    x, lo, hi = args[0]._data, args[1], args[2]
    inside = np.ones(x.shape, dtype=bool)
    if lo is not None:
        inside &= x >= lo
    if hi is not None:
        inside &= x <= hi
    return tangents[0] * _mask(inside, tangents[0])


register(E, "Clamp", _clamp)


# ---- binary arithmetic (a, b, dtype) ---------------------------------------------------------
def _neg(t):
    return None if t is None else -t


register(AR, "Add", lambda ctx, args, ts, outs: add(ts[0], ts[1]))
register(AR, "Sub", lambda ctx, args, ts, outs: add(ts[0], _neg(ts[1])))


def _mul(ctx, args, ts, outs):
    a, b = args[:2]
    return add(None if ts[0] is None else ts[0] * b, None if ts[1] is None else a * ts[1])


def _div(ctx, args, ts, outs):
    b = args[1]
    return add(None if ts[0] is None else ts[0] / b,
               None if ts[1] is None else -ts[1] * outs[0] / b)


def _pow(ctx, args, ts, outs):
    a, b = args[:2]
    y = outs[0]
    ta = tb = None
    if ts[0] is not None:  # b * a**(b-1), 0 where b == 0 (so 0**0 has slope 0, as PyTorch)
        if isinstance(b, Tensor):
            ta = AR.where_mask(b != 0, ts[0] * b * a ** (b - 1))
        else:
            ta = ts[0] * (b * a ** (b - 1)) if b != 0 else ts[0] * 0.0
    if ts[1] is not None:  # y * log(a), 0 where a == 0 and b >= 0
        if isinstance(a, Tensor):
            tb = AR.where_mask((a != 0) | (b < 0), ts[1] * y * a.log())
        else:
            log_a = math.log(a) if a > 0 else (-math.inf if a == 0 else math.nan)
            tb = ts[1] * y * log_a if a != 0 else AR.where_mask(b < 0, ts[1] * y * log_a)
    return add(ta, tb)


def _extremum(greater: bool):
    def rule(ctx, args, ts, outs):
        a, b = (x._data if isinstance(x, Tensor) else x for x in args[:2])
        wins = (a > b) if greater else (a < b)
        share = np.asarray(wins + 0.5 * (a == b), dtype=outs[0]._data.dtype)
        return add(None if ts[0] is None else ts[0] * const(share),
                   None if ts[1] is None else ts[1] * const(1 - share))

    return rule


def _atan2(ctx, args, ts, outs):
    a, b = args[:2]
    denom = a * a + b * b
    return add(None if ts[0] is None else ts[0] * b / denom,
               None if ts[1] is None else -ts[1] * a / denom)


def _modulo(mode: str):
    def rule(ctx, args, ts, outs):
        a, b = args[:2]
        tb = None
        if ts[1] is not None:
            tb = -ts[1] * AR.div(a, b, rounding_mode=mode).detach()
        return add(ts[0], tb)

    return rule


register(AR, "Mul", _mul)
register(AR, "Div", _div)
register(AR, "Pow", _pow)
register(AR, "Maximum", _extremum(True))
register(AR, "Minimum", _extremum(False))
register(AR, "Atan2", _atan2)
register(AR, "Fmod", _modulo("trunc"))
register(AR, "Remainder", _modulo("floor"))


# ---- activations -----------------------------------------------------------------------------
def _slope(ctx, args, ts, outs):
    """``y = x * slope`` with a piecewise-constant slope saved by forward."""
    return ts[0] * saved(ctx, args, outs)[0]


register(A, ["LeakyRelu", "Hardtanh", "Hardsigmoid", "Threshold", "Hardshrink", "Softshrink",
             "RreluWithNoise"], _slope)


def _elu(ctx, args, ts, outs):
    alpha, scale, input_scale = ctx.params
    x, y, t = args[0], outs[0], ts[0]
    pos = x._data > 0
    slope = _mask(pos, t) * scale + _mask(~pos, t) * input_scale * (y + alpha * scale)
    return t * slope


def _hardswish(ctx, args, ts, outs):
    x, t = args[0], ts[0]
    a = x._data
    return t * (_mask((a >= -3) & (a <= 3), t) * (x / 3 + 0.5) + _mask(a > 3, t))


def _gelu(ctx, args, ts, outs):
    x = args[0]
    if ctx.approximate == "tanh":
        k = math.sqrt(2.0 / math.pi)
        th = ((x + x * x * x * 0.044715) * k).tanh()
        d = (th + 1) * 0.5 + x * (1 - th * th) * (0.5 * k) * (x * x * 0.134145 + 1)
    else:
        d = ((x * math.sqrt(0.5)).erf() + 1) * 0.5 + x * (x * x * -0.5).exp() / math.sqrt(
            2.0 * math.pi)
    return ts[0] * d


def _silu(ctx, args, ts, outs):
    x = args[0]
    s = x.sigmoid()
    return ts[0] * (s * (x * (1 - s) + 1))


def _mish(ctx, args, ts, outs):
    x = args[0]
    th = A.softplus(x).tanh()
    return ts[0] * (th + x * x.sigmoid() * (1 - th * th))


def _softplus(ctx, args, ts, outs):
    beta, threshold = ctx.params
    x, t = args[0], ts[0]
    lin = x._data * beta > threshold
    return t * (_mask(lin, t) + _mask(~lin, t) * (x * beta).sigmoid())


def _prelu(ctx, args, ts, outs):
    x, w = args[:2]
    pos = x._data > 0
    posf, negf = _mask(pos, x), _mask(~pos, x)
    return add(None if ts[0] is None else ts[0] * (posf + negf * w),
               None if ts[1] is None else ts[1] * negf * x)


register(A, ["Elu", "Celu"], _elu)
register(A, "Hardswish", _hardswish)
register(A, "Gelu", _gelu)
register(A, "Silu", _silu)
register(A, "Mish", _mish)
register(A, "Softplus", _softplus)
register(A, "LogSigmoid", lambda ctx, args, ts, outs: ts[0] * (-args[0]).sigmoid())
register(A, "PreluKernel", _prelu)


def _softmax(ctx, args, ts, outs):
    y, t, d = outs[0], ts[0], ctx.dim
    if y.ndim == 0:
        return t * 0.0
    ty = y * t
    return ty - y * ty.sum(d, keepdim=True)


def _log_softmax(ctx, args, ts, outs):
    y, t, d = outs[0], ts[0], ctx.dim
    if y.ndim == 0:
        return t * 0.0
    return t - (y.exp() * t).sum(d, keepdim=True)


register(SM, "Softmax", _softmax)
register(SM, "LogSoftmax", _log_softmax)


# ---- reductions ------------------------------------------------------------------------------
def _keep_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _sum(t, axes, keepdim):
    return R.Sum.apply(t, (tuple(axes), keepdim, None))


def _nansum(ctx, args, ts, outs):
    x, axes, keepdim = args[0], args[1], args[2]
    return _sum(AR.where_mask(const(~np.isnan(x._data)), ts[0]), axes, keepdim)


def _amax(ctx, args, ts, outs):
    """The tangent of a max/min reduction: ties share it evenly (PyTorch's convention)."""
    x, axes, keepdim = args[0]._data, args[1], args[2]
    yk = outs[0]._data.reshape(_keep_shape(x.shape, axes))
    hit = x == yk
    if x.dtype.kind == "f":
        hit |= np.isnan(x) & np.isnan(yk)
    weights = hit / np.maximum(hit.sum(axis=axes, keepdims=True), 1)
    return _sum(ts[0] * const(weights, x.dtype), axes, keepdim)


def _max_dim(ctx, args, ts, outs):
    shape, d, keepdim = ctx.meta
    t = ts[0]
    if not shape:
        return t * 1.0, None
    idx = ctx.idx if keepdim else np.expand_dims(ctx.idx, d)
    tv = SC.Gather.apply(t, d, idx, None)
    return (tv if keepdim else tv.squeeze(d)), None


register(R, "Sum", linear_in_first(R.Sum))
register(R, "Mean", linear_in_first(R.Mean))
register(R, "SumToSize", linear_in_first(R.SumToSize))
register(R, "Nansum", _nansum)
register(R, "Amax", _amax)  # Amin, MaxAll, MinAll and statistics.MedianAll inherit it
register(R, "MaxDim", _max_dim)  # MinDim and statistics.MedianDim inherit it


def _select(ctx, args, ts, outs):
    """sort / topk / kthvalue: the values' tangent is the tangent at the selected places."""
    tv = SC.Gather.apply(ts[0], ctx.dim, ctx.idx, None)
    return (tv.squeeze(ctx.dim) if ctx.squeezed else tv), None


register(SO, ["Sort", "Topk", "Kthvalue"], _select)


# ---- statistics ------------------------------------------------------------------------------
def _prod_dims(ctx, args, outputs, ndim):
    axis = ctx.meta[1]
    return None if axis is None else (axis,)


def _norm_dims(ctx, args, outputs, ndim):
    return tuple(ctx.meta[1])


register(ST, "Prod", gradient_dot_tangent(_prod_dims))  # ProdDim inherits it
register(ST, "Norm", gradient_dot_tangent(_norm_dims))
register(ST, "Cumsum", linear_in_first(ST.Cumsum))


def _cumprod(ctx, args, ts, outs):
    x, d = args[0], args[1]
    y, t = outs[0], ts[0]
    if x.ndim == 0:
        return t * 1.0
    if (x._data != 0).all():
        return y * ST.cumsum(t / x, d)
    # with zeros: the dual-number recurrence ty[k] = ty[k-1] * x[k] + y[k-1] * t[k]
    steps = [t.narrow(d, 0, 1)]
    for k in range(1, x.shape[d]):
        steps.append(steps[-1] * x.narrow(d, k, 1) + y.narrow(d, k - 1, 1) * t.narrow(d, k, 1))
    return ops.cat(steps, d)


register(ST, "Cumprod", _cumprod)


def _var_tangent(x, t, axes, c, keepdim):
    n = 1
    for a in axes:
        n *= x.shape[a]
    dof = n - c
    centered = x - x.mean(tuple(axes), keepdim=True) if axes else x * 0.0
    inner = centered * t
    total = inner.sum(tuple(axes), keepdim=keepdim) if axes else inner
    return total * (2.0 / dof if dof > 0 else math.inf)


def _std_tangent(tv, s):
    zero = s._data == 0  # 0 where the std is 0, as the backward
    return tv * _mask(~zero, s) / ((s + _mask(zero, s)) * 2)


def _mean_tangent(t, axes, keepdim):
    return t.mean(tuple(axes), keepdim=keepdim) if axes else t * 1.0


def _var(ctx, args, ts, outs):
    x, axes, c, keepdim = args[:4]
    return _var_tangent(x, ts[0], axes, c, keepdim)


def _std(ctx, args, ts, outs):
    x, axes, c, keepdim = args[:4]
    return _std_tangent(_var_tangent(x, ts[0], axes, c, keepdim), outs[0])


def _var_mean(ctx, args, ts, outs):
    x, axes, c, keepdim = args[:4]
    return _var_tangent(x, ts[0], axes, c, keepdim), _mean_tangent(ts[0], axes, keepdim)


def _std_mean(ctx, args, ts, outs):
    x, axes, c, keepdim = args[:4]
    tv = _var_tangent(x, ts[0], axes, c, keepdim)
    return _std_tangent(tv, outs[0]), _mean_tangent(ts[0], axes, keepdim)


def _logsumexp(ctx, args, ts, outs):
    x, axes, keepdim = args[:3]
    t = ts[0]
    if not axes:
        return t * 1.0
    yk = outs[0] if keepdim else outs[0].reshape(_keep_shape(x.shape, axes))
    return (t * (x - yk).exp()).sum(tuple(axes), keepdim=keepdim)


register(ST, "Var", _var)
register(ST, "Std", _std)
register(ST, "VarMean", _var_mean)
register(ST, "StdMean", _std_mean)
register(ST, "Logsumexp", _logsumexp)


# ---- matrix products, einsum ---------------------------------------------------------------
register(LO, ["Matmul", "_MM", "_MV", "_DOT", "_BMM", "_VDOT", "_VM"],
         multilinear(LO.Matmul, (0, 1)))


def _addmm(ctx, args, ts, outs):
    m1, m2, beta, alpha = args[1:]
    return add(None if ts[0] is None or beta == 0 else ts[0] * beta,
               None if ts[1] is None else LO.Matmul.apply(ts[1], m2) * alpha,
               None if ts[2] is None else LO.Matmul.apply(m1, ts[2]) * alpha)


register(LO, "Addmm", _addmm)
register(LO, "Trace", linear_in_first(LO.Trace))
register(LO, "LinalgCross", multilinear(LO.LinalgCross, (0, 1)))
register(EI, "Einsum", multilinear(EI.Einsum, 1))
register(EI, "DiagScatter", linear_in_first(EI.DiagScatter))


# ---- chainrule.linalg ------------------------------------------------------------------------
def _mT(x):
    return x.transpose(-1, -2)


def _svd_norm(ctx, args, ts, outs):
    u, vh = ctx.factors  # constants: the singular vectors at this point
    return (ts[0] * const(np.matmul(u, vh))).sum((-2, -1))


def _inv(ctx, args, ts, outs):
    y = outs[0]
    return -LO.Matmul.apply(LO.Matmul.apply(y, ts[0]), y)


def _det(ctx, args, ts, outs):
    a, d = args[0], outs[0]
    return d * (_mT(LA.inv(a)) * ts[0]).sum((-2, -1))


def _slogdet(ctx, args, ts, outs):
    a = args[0]
    return None, (_mT(LA.inv(a)) * ts[0]).sum((-2, -1))


def _solve(ctx, args, ts, outs):
    a, x = args[0], outs[0]
    rhs = add(ts[1], None if ts[0] is None else -LO.Matmul.apply(ts[0], x))
    return LA.Solve.apply(a, rhs)


register(LA, "SvdNorm", _svd_norm)
register(LA, "Inv", _inv)
register(LA, "Det", _det)
register(LA, "Slogdet", _slogdet)
register(LA, "Solve", _solve)
