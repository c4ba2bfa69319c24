"""Tangent rules for the neural-network primitives: linear, convolution (and its adjoints),
fold/unfold, pooling, resampling and padding, normalisation, embedding, losses, recurrent
layers and the module backward-hook identity.

Bilinear ops (linear, convolution) take the sum of the terms with one argument replaced by its
tangent. Losses whose every input element feeds one output element use the gradient: ``t_out =
sum(grad * t)`` (``gradient_dot_tangent``). Recurrent layers run their tensor-op recomputation
with propagation on, so the rules of the ops inside give the tangent.
"""

from __future__ import annotations

from importlib import import_module

import numpy as np

from ._jvp_rules import add, const, gradient_dot_tangent, linear_in_first, multilinear, register

# the op modules (imported by path: some names are rebound to functions in chainrule.ops)
HK = import_module("chainrule.nn.modules._hooks")
C = import_module("chainrule.ops.conv")
CF = import_module("chainrule.ops.conv_fold")
EM = import_module("chainrule.ops.embedding")
LI = import_module("chainrule.ops.linear")
L = import_module("chainrule.ops.loss")
LB = import_module("chainrule.ops.loss_binary")
LD = import_module("chainrule.ops.loss_distance")
LM = import_module("chainrule.ops.loss_margin")
LR = import_module("chainrule.ops.loss_regression")
N = import_module("chainrule.ops.normalization")
P = import_module("chainrule.ops.pooling")
PA = import_module("chainrule.ops.pooling_adaptive")
RC = import_module("chainrule.ops.recurrent")
RS = import_module("chainrule.ops.resample")


# ---- linear ----------------------------------------------------------------------------------
def _linear(ctx, args, ts, outs):
    """``x @ w.T + b``: ``tx @ w.T + x @ tw.T + tb``; the bias tangent rides on a product."""
    x, w = args[:2]
    tx, tw = ts[:2]
    tb = ts[2] if len(ts) > 2 else None
    total = None
    if tx is not None:
        total = LI._Linear.apply(tx, w, *(() if tb is None else (tb,)))
        tb = None
    if tw is not None:
        term = LI._Linear.apply(x, tw, *(() if tb is None else (tb,)))
        total = term if total is None else total + term
        tb = None
    return add(total, tb)  # a lone bias tangent is broadcast to the output's shape


register(LI, "_Linear", _linear)  # Addmm, Mm, LinearView, LinearUnsafeView inherit it


# ---- convolution -----------------------------------------------------------------------------
def _bias_term(tb, out, w):
    """A per-channel bias tangent laid over the output (channels right before the spatial
    dims)."""
    caxis = out.ndim - (w.ndim - 2) - 1
    return C.ChannelExpand.apply(tb, tuple(out.shape), caxis)


def _conv_like(cls):
    """Rule for ``cls(x, w, b, *rest)``: bilinear in (x, w), plus a bias."""

    def rule(ctx, args, ts, outs):
        x, w = args[:2]
        rest = args[3:]
        tx, tw, tb = ts[:3]
        total = None
        if tx is not None:
            total = cls.apply(tx, w, tb, *rest)
            tb = None
        if tw is not None:
            term = cls.apply(x, tw, tb, *rest)
            total = term if total is None else total + term
            tb = None
        if tb is not None:
            total = add(total, _bias_term(tb, outs[0], w))
        return total

    return rule


def _conv_weight_grad(ctx, args, ts, outs):
    x, gy = args[:2]
    tx, tgy = ts[:2]
    # an optional precomputed im2col of x (args[4]) is valid for the second term only
    rest = args[2:4] + ((None,) if len(args) > 4 else ())
    return add(None if tx is None else C.ConvWeightGrad.apply(tx, gy, *rest),
               None if tgy is None else C.ConvWeightGrad.apply(x, tgy, *args[2:]))


register(C, "Convolution", _conv_like(C.Convolution))
register(C, "ConvTranspose", _conv_like(C.ConvTranspose))
register(C, "ConvInputGrad", multilinear(C.ConvInputGrad, (0, 1)))
register(C, "ConvWeightGrad", _conv_weight_grad)
register(C, "ChannelSum", linear_in_first(C.ChannelSum))
register(C, "ChannelExpand", linear_in_first(C.ChannelExpand))
register(CF, "Im2Col", linear_in_first(CF.Im2Col))
register(CF, "Col2Im", linear_in_first(CF.Col2Im))


# ---- pooling ---------------------------------------------------------------------------------
def _max_pool(ctx, args, ts, outs):
    x, geom = args[:2]
    arg = ctx.arg
    if arg is None:  # forward skips the argmax when nothing is recorded
        arg = P.max_pool_arrays(x._data, geom, with_arg=True)[1]
    return (P.MaxPoolGather.apply(ts[0], arg, geom),) + (None,) * (len(outs) - 1)


def _adaptive_max_pool(ctx, args, ts, outs):
    return PA.PlaneGather.apply(ts[0], ctx.arg, len(ctx.in_sp)), None


register(P, "MaxPool", _max_pool)  # MaxPool3D and the even adaptive max pools inherit it
register(P, "MaxPoolScatter", linear_in_first(P.MaxPoolScatter))
register(P, "MaxPoolGather", linear_in_first(P.MaxPoolGather))
register(P, "AvgPool", linear_in_first(P.AvgPool))  # AvgPool3D, adaptive even pools inherit
register(P, "AvgPoolScatter", linear_in_first(P.AvgPoolScatter))
register(PA, "PlaneScatter", linear_in_first(PA.PlaneScatter))
register(PA, "PlaneGather", linear_in_first(PA.PlaneGather))
register(PA, "AdaptiveMaxPool", _adaptive_max_pool)  # AdaptiveMaxPool3D inherits it

# ---- resampling and padding ------------------------------------------------------------------
for _name in ("AxisTaps", "AxisTapsT", "PixelShuffle", "PixelUnshuffle"):
    register(RS, _name, linear_in_first(getattr(RS, _name)))
register(RS, "ConstantPad",
         lambda ctx, args, ts, outs: RS.ConstantPad.apply(ts[0], args[1], 0))


# ---- normalisation ---------------------------------------------------------------------------
def _normalize(ctx, args, ts, outs):
    """``y = xhat * w + b`` with ``xhat = (x - mean) * invstd`` over ``spec.axes``."""
    x, w = args[:2]
    spec, eps = args[3:5]
    fixed = args[6] if len(args) > 6 else None
    tx, tw, tb = ts[:3]
    xs = x.reshape(spec.stat_shape)
    dt = x._data.dtype
    if fixed is not None:  # running statistics: constants
        mean, var = fixed
        inv = const(1.0 / np.sqrt(np.asarray(var) + eps), dt)
        xh = (xs - const(mean, dt)) * inv
        txh = None if tx is None else tx.reshape(spec.stat_shape) * inv
    else:
        xc = xs - xs.mean(dim=spec.axes, keepdim=True)
        inv = ((xc * xc).mean(dim=spec.axes, keepdim=True) + eps).rsqrt()
        xh = xc * inv
        txh = None
        if tx is not None:
            tsx = tx.reshape(spec.stat_shape)
            m1 = tsx.mean(dim=spec.axes, keepdim=True)
            m2 = (tsx * xh).mean(dim=spec.axes, keepdim=True)
            txh = (tsx - m1 - xh * m2) * inv
    terms = []
    if txh is not None:
        txh = txh.reshape(x.shape)
        terms.append(txh * w.reshape(spec.wshape) if w is not None else txh)
    if tw is not None:
        terms.append(tw.reshape(spec.wshape) * xh.reshape(x.shape))
    if tb is not None:
        terms.append(tb.reshape(spec.wshape))
    return add(*terms)


register(N, "_Normalize", _normalize)  # NativeBatchNorm, NativeLayerNorm, NativeGroupNorm

# ---- embedding -------------------------------------------------------------------------------
register(EM, "Embedding", linear_in_first(EM.Embedding))
register(EM, "EmbeddingDenseBackward", linear_in_first(EM.EmbeddingDenseBackward))


# ---- losses ----------------------------------------------------------------------------------
def _reduced(position: int, none_dims):
    """Sum dims for ``gradient_dot_tangent``: all for a reduced loss (``reduction`` is
    argument ``position``), else ``none_dims(x_ndim)``."""

    def dims(ctx, args, outputs, ndim):
        if args[position] != "none":
            return None
        return none_dims(args[0].ndim)

    return dims


def _class_dim(ndim: int) -> tuple:
    return (1,) if ndim > 1 else (0,)


def _elementwise(ndim: int) -> tuple:
    return ()


def _last_dim(ndim: int) -> tuple:
    return (ndim - 1,)


register(L, "CrossEntropy", gradient_dot_tangent(_reduced(4, _class_dim)))  # + CrossEntropy2d
register(L, "SoftCrossEntropy", gradient_dot_tangent(_reduced(3, _class_dim)))
register(L, "NllLoss", linear_in_first(L.NllLoss))  # linear in the input; NllLoss2d inherits
register(LB, "BinaryCrossEntropy", gradient_dot_tangent(_reduced(3, _elementwise)))
register(LB, "BinaryCrossEntropyWithLogits", gradient_dot_tangent(_reduced(4, _elementwise)))
register(LB, "SoftMarginLoss", gradient_dot_tangent(_reduced(2, _elementwise)))
register(LM, "MultiMarginLoss", gradient_dot_tangent(_reduced(5, _last_dim)))
register(LM, "MultilabelMarginLoss", gradient_dot_tangent(_reduced(2, _last_dim)))
# clamp(min=eps) whose gradient passes unchanged: the tangent does too, consistently
register(LD, "ClampMinForward", lambda ctx, args, ts, outs: ts[0] * 1.0)


def _pair_loss(ctx, args, ts, outs):
    """An elementwise loss of ``d = x - y`` with slope ``cls.slope(d)``, then the reduction."""
    cls = type(ctx)._function
    x, y = args[:2]
    reduction, param = args[3:5]
    td = add(ts[0], None if ts[1] is None else -ts[1])
    te = cls.slope(x - y, param) * td
    if reduction == "mean":
        return te.mean() if te.numel() else te.sum() * np.nan
    if reduction == "sum":
        return te.sum()
    return te


register(LR, "_PairLoss", _pair_loss)  # MseLoss, HuberLoss, SmoothL1Loss inherit it


# ---- recurrent layers: forward mode through the tensor-op recomputation ------------------
def _through(fn, inputs, n_out):
    from .forward_ad import _propagating, _tangent_of

    outs = _propagating(fn, *inputs)
    outs = (outs,) if not isinstance(outs, (tuple, list)) else outs
    return tuple(_tangent_of(o) if o is not None else None for o in outs)[:n_out]


def _recurrent(ctx, args, ts, outs):
    return _through(RC.composite_fn(ctx.mode, ctx.reverse), args[:6], len(outs))


def _recompute(ctx, args, ts, outs):
    return _through(ctx.fn, args[1:], len(outs))


register(RC, "Recurrent", _recurrent)
register(RC, "Recompute", _recompute)

# ---- module backward hooks: identity on the tensors ------------------------------------------
register(HK, "BackwardHookFunction", lambda ctx, args, ts, outs: tuple(ts[1:]))
