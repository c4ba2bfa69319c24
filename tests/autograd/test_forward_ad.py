"""Forward-mode AD: dual tensors, and the tangent rule of every op.

The op table below covers the core ops and the nn functional primitives. For each case the
tangent computed by forward mode is checked against central differences and, by the
dot-product test ``<v, J t> == <J^T v, t>``, against reverse mode. Two more checks cover the
mixed modes: forward-over-reverse (the tangent of a vector-Jacobian product, which runs the
rules of the ops' backward functions) and reverse-over-forward (the gradient of a tangent).
A coverage test then requires every raw ``Function`` in chainrule to have a rule that the table
exercises, or to be listed as non-differentiable / unsupported.
"""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest

import chainrule as cr
import chainrule.autograd.forward_ad as fwAD
from chainrule.autograd import _jvp_rules
from chainrule.autograd.function import Function

F = cr.nn.functional
EPS = 1e-6


# ---- the op table ----------------------------------------------------------------------------
class Pos:
    """A differentiable input drawn from [0.5, 2] (for log, sqrt, ...)."""

    def __init__(self, *shape, low=0.5, high=2.0):
        self.shape, self.low, self.high = shape, low, high


class Const:
    """A non-differentiable argument: a value, or ``make(rng)`` for a fresh one."""

    def __init__(self, value):
        self.value = value


class Case:
    """One op call to check. ``fd``/``fo_r``/``r_o_f``/``reverse`` switch off checks that do
    not apply (each use says why); ``tol`` loosens the dot-product test (float32 inside)."""

    def __init__(self, name, fn, *inputs, random=False, fo_r=True, r_o_f=True, fd=True,
                 reverse=True, tol=1e-8):
        self.name, self.fn, self.inputs, self.random = name, fn, inputs, random
        self.fo_r, self.r_o_f, self.fd, self.reverse, self.tol = fo_r, r_o_f, fd, reverse, tol


def idx(*values):
    return Const(cr.tensor(values))


def prob(*shape):
    return Pos(*shape, low=0.1, high=0.9)


def _table():
    c = Case
    x3, x23, x234 = (3,), (2, 3), (2, 3, 4)
    img = (2, 2, 5, 5)
    cases = [
        # arithmetic
        c("add", cr.add, x23, (3,)), c("add_alpha", lambda a, b: cr.add(a, b, alpha=2), x3, x3),
        c("sub", cr.sub, x23, (2, 1)),
        c("mul", cr.mul, x23, x3),
        c("mul_scalar", lambda a: a * 3, x3),
        c("div", cr.div, x23, Pos(3)), c("rdiv", lambda a: 2.0 / a, Pos(3)),
        c("pow", cr.pow, Pos(2, 3), x3), c("pow_scalar", lambda a: a ** 3, x3),
        c("rpow", lambda a: 2.0 ** a, x3), c("pow_int_exp", lambda a: a ** 2.5, Pos(3)),
        c("maximum", cr.maximum, x23, x23), c("minimum", cr.minimum, x23, x3),
        c("atan2", cr.atan2, x23, x23), c("fmod", cr.fmod, x23, Pos(3)),
        c("remainder", cr.remainder, x23, Pos(3)),
        # unary elementwise
        *[c(n, getattr(cr, n), x23) for n in (
            "exp", "exp2", "expm1", "sin", "cos", "tan", "atan", "sinh", "cosh", "tanh",
            "sigmoid", "relu", "erf", "abs", "sign", "floor", "ceil", "trunc", "frac", "round",
            "neg", "square")],
        *[c(n, getattr(cr, n), Pos(2, 3)) for n in (
            "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal")],
        c("asin", cr.asin, Pos(2, 3, low=-0.9, high=0.9)),
        c("acos", cr.acos, Pos(2, 3, low=-0.9, high=0.9)),
        c("clamp", lambda a: cr.clamp(a, -0.5, 0.7), x23),
        c("clamp_tensor", lambda a, lo: cr.clamp(a, min=lo), x23, x3),
        # activations
        c("leaky_relu", lambda a: F.leaky_relu(a, 0.1), x23),
        c("hardtanh", F.hardtanh, x23), c("relu6", lambda a: F.relu6(a * 4), x23),
        c("hardsigmoid", lambda a: F.hardsigmoid(a * 2), x23),
        c("threshold", lambda a: F.threshold(a, 0.1, -1.0), x23),
        c("hardshrink", F.hardshrink, x23), c("softshrink", F.softshrink, x23),
        c("rrelu", lambda a: F.rrelu(a, training=True), x23, random=True),
        c("elu", F.elu, x23), c("celu", lambda a: F.celu(a, 0.5), x23), c("selu", F.selu, x23),
        c("hardswish", lambda a: F.hardswish(a * 2), x23),
        c("gelu", F.gelu, x23), c("gelu_tanh", lambda a: F.gelu(a, approximate="tanh"), x23),
        c("silu", F.silu, x23), c("mish", F.mish, x23), c("softplus", F.softplus, x23),
        c("softplus_beta", lambda a: F.softplus(a * 10, beta=2, threshold=5), x23),
        c("logsigmoid", F.logsigmoid, x23), c("prelu", F.prelu, (2, 3, 2), (3,)),
        c("glu", F.glu, (2, 4)), c("softsign", F.softsign, x23),
        c("tanhshrink", F.tanhshrink, x23),
        c("softmax", lambda a: F.softmax(a, 1), x234),
        c("log_softmax", lambda a: F.log_softmax(a, -1), x23),
        c("softmax_0d", lambda a: cr.softmax(a, 0), ()),
        c("softmin", lambda a: F.softmin(a, 1), x23),
        # reductions and statistics
        c("sum", cr.sum, x234), c("sum_dim", lambda a: a.sum((0, 2), keepdim=True), x234),
        c("nansum", lambda a: cr.nansum(a, 1), x23), c("mean", cr.mean, x23),
        c("mean_dim", lambda a: a.mean(-1), x234),
        c("sum_to_size", lambda a: a.sum_to_size(1, 3), x23),
        c("amax", lambda a: a.amax(1), x234), c("amin", lambda a: a.amin((0, 1)), x234),
        c("max_all", cr.max, x23), c("min_all", cr.min, x23),
        c("max_dim", lambda a: cr.max(a, 1), x234),
        c("min_dim", lambda a: cr.min(a, 0, keepdim=True), x23),
        c("median_all", cr.median, x23), c("median_dim", lambda a: cr.median(a, 1), x23),
        c("prod", cr.prod, x23), c("prod_dim", lambda a: cr.prod(a, 1), x23),
        c("prod_zero", lambda a: cr.prod(a * const([[1, 0, 1], [1, 1, 1.]]), 1), x23),
        c("cumsum", lambda a: cr.cumsum(a, 1), x23), c("cumprod", lambda a: cr.cumprod(a, 1), x23),
        c("cumprod_zero", lambda a: cr.cumprod(a * const([[1, 0, 1], [1, 1, 1.]]), 1), x23),
        c("var", lambda a: cr.var(a, 1), x23),
        c("std", lambda a: cr.std(a, (0, 1), correction=0), x234),
        c("var_mean", lambda a: cr.var_mean(a, 1), x23),
        c("std_mean", lambda a: cr.std_mean(a, 0), x23),
        c("logsumexp", lambda a: cr.logsumexp(a, 1), x23),
        c("norm2", lambda a: cr.norm(a), x23), c("norm1", lambda a: cr.norm(a, 1, dim=1), x23),
        c("norm_inf", lambda a: cr.linalg.vector_norm(a, float("inf"), dim=0), x23),
        c("norm3", lambda a: cr.linalg.vector_norm(a, 3, dim=1), x23),
        c("norm0", lambda a: cr.linalg.vector_norm(a, 0), x23),
        c("sort", lambda a: cr.sort(a, 1, descending=True), x23),
        c("topk", lambda a: cr.topk(a, 2, dim=1), (2, 4)),
        c("kthvalue", lambda a: cr.kthvalue(a, 2, 1), x23),
        # matrix products, einsum, linalg
        c("mm", cr.mm, (2, 3), (3, 4)), c("mv", cr.mv, (2, 3), x3), c("dot", cr.dot, x3, x3),
        c("vdot", cr.vdot, x3, x3), c("bmm", cr.bmm, (2, 2, 3), (2, 3, 2)),
        c("matmul_vm", cr.matmul, x3, (3, 2)),
        c("matmul_bcast", cr.matmul, (2, 1, 2, 3), (3, 3, 2)),
        c("matmul_nd_2d", cr.matmul, (2, 2, 3), (3, 2)),
        c("addmm", lambda i, a, b: cr.addmm(i, a, b, beta=0.5, alpha=2), (2, 2), (2, 3), (3, 2)),
        c("trace", cr.trace, (3, 3)),
        c("cross", lambda a, b: cr.cross(a, b, dim=1), (2, 3), (2, 3)),
        c("einsum", lambda a, b: cr.einsum("ij,jk->ik", a, b), (2, 3), (3, 2)),
        c("einsum_trace", lambda a: cr.einsum("ii->", a), (3, 3)),
        c("einsum_diag", lambda a, b: cr.einsum("ii,i->i", a, b), (3, 3), x3),
        c("inv", cr.linalg.inv, Const(None), fd=True),
        c("det", cr.linalg.det, Const(None)),
        c("slogdet", lambda a: cr.linalg.slogdet(a)[1], Const(None)),
        c("solve", cr.linalg.solve, Const(None), (3, 2)),
        c("solve_vec", cr.linalg.solve, Const(None), x3),
        c("matrix_norm_nuc", lambda a: cr.linalg.matrix_norm(a, "nuc"), (3, 3), fo_r=False,
          r_o_f=False),
        c("matrix_norm_2", lambda a: cr.linalg.matrix_norm(a, 2), (3, 3), fo_r=False, r_o_f=False),
        # shapes
        c("reshape", lambda a: a.reshape(4, 6), x234),
        c("view_t", lambda a: a.t().reshape(-1), x23),
        c("squeeze", lambda a: a.squeeze(), (2, 1, 3)),
        c("unsqueeze", lambda a: a.unsqueeze(1), x23),
        c("transpose", lambda a: a.transpose(0, 2), x234),
        c("permute", lambda a: a.permute(2, 0, 1), x234),
        c("expand", lambda a: a.expand(2, 3, 3), (3, 1)),
        c("narrow", lambda a: a.narrow(1, 1, 2), x234),
        c("diagonal", lambda a: a.diagonal(1), (3, 4)),
        c("movedim", lambda a: a.movedim(0, -1), x234),
        c("cat", lambda a, b: cr.cat([a, b], 1), x23, (2, 2)),
        c("cat_const", lambda a: cr.cat([a, const(np.ones((1, 3)))]), x23),
        c("stack", lambda a, b: cr.stack([a, b], 1), x23, x23),
        c("repeat", lambda a: a.repeat(2, 1, 2), x23),
        c("flip", lambda a: a.flip(0, 1), x23), c("roll", lambda a: a.roll(1, 1), x23),
        c("tril", lambda a: a.tril(), (3, 3)), c("triu", lambda a: a.triu(1), (3, 3)),
        c("diag_embed", cr.diag, x3), c("diag_copy", cr.diag, (3, 3)),
        c("split", lambda a: a.split([1, 2], 1), x23), c("chunk", lambda a: a.chunk(2, 0), (4, 2)),
        c("unbind", lambda a: a.unbind(1), x23),
        c("meshgrid", lambda a, b: cr.meshgrid(a, b, indexing="ij"), x3, (2,)),
        # indexing, gather/scatter
        c("index_basic", lambda a: a[1:, ::2], (3, 4)),
        c("index_adv", lambda a, i: a[i], (4, 2), idx(0, 2, 2)),
        c("index_mask", lambda a, m: a[m], x23,
          Const(cr.tensor([[True, False, True], [False, True, True]]))),
        c("index_put", lambda a, v: cr.index_put(a, (cr.tensor([0, 2]),), v), (3, 2), (2, 2)),
        c("index_put_acc", lambda a, v: cr.index_put(a, (cr.tensor([0, 0]),), v, accumulate=True),
          (3, 2), (2, 2)),
        c("index_add", lambda a, s: cr.index_add(a, 0, cr.tensor([0, 2, 0]), s, alpha=2), (3, 2),
          (3, 2)),
        c("index_select", lambda a: cr.index_select(a, 1, cr.tensor([2, 0])), x23),
        c("take", lambda a: cr.take(a, cr.tensor([0, 5, 5])), x23),
        c("gather", lambda a: cr.gather(a, 1, cr.tensor([[0, 0], [2, 1]])), x23),
        c("scatter", lambda a, s: cr.scatter(a, 1, cr.tensor([[0], [2]]), s), x23, (2, 1)),
        c("scatter_value", lambda a: cr.scatter(a, 1, cr.tensor([[0], [2]]), 1.5), x23),
        c("scatter_add", lambda a, s: cr.scatter_add(a, 1, cr.tensor([[0, 0], [2, 1]]), s), x23,
          (2, 2)),
        c("where", lambda a, b: cr.where(a > 0, a, b), x23, x3),
        c("where_scalar", lambda a: cr.where(a > 0, a, 0.5), x23),
        c("masked_fill", lambda a: a.masked_fill(a > 0, 2.0), x23),
        c("masked_select", lambda a: cr.masked_select(a, a > 0), x23),
        c("take_along_dim", lambda a: cr.take_along_dim(a, cr.tensor([[1], [0]]), 1), x23),
        # conversions
        # float32 inside: differences are too coarse to check, the dot-product test is not
        c("to_float32", lambda a: a.to(cr.float32).exp().double(), x23, fd=False, fo_r=False,
          r_o_f=False, tol=1e-6), c("clone", lambda a: a.clone(), x23),
        # linear, embedding
        c("linear", F.linear, x23, (4, 3), (4,)), c("linear_nobias", F.linear, x23, (4, 3)),
        c("linear_nd", F.linear, x234, (2, 4), (2,)), c("linear_nd_nobias", F.linear, x234, (2, 4)),
        c("bilinear", F.bilinear, x23, (2, 2), (4, 3, 2), (4,)),
        c("embedding", lambda w: F.embedding(cr.tensor([[0, 2], [2, 1]]), w), (3, 2)),
        # padding_idx and scale_grad_by_freq change the gradient on purpose (it is not the
        # derivative there); the tangent is the true derivative, as in PyTorch
        c("embedding_pad", lambda w: F.embedding(cr.tensor([0, 2, 2]), w, padding_idx=2,
                                                 scale_grad_by_freq=True), (3, 2), reverse=False),
        c("embedding_bag",
          lambda w: cr.ops.embedding.embedding_bag(cr.tensor([0, 2, 1, 1]), w, cr.tensor([0, 2]),
            mode="sum"), (3, 2)),
        # convolution, fold
        c("conv1d", lambda a, w, b: F.conv1d(a, w, b, padding=1), (2, 2, 5), (3, 2, 3), (3,)),
        c("conv2d", lambda a, w, b: F.conv2d(a, w, b, stride=2, padding=1), img, (3, 2, 3, 3),
          (3,)),
        c("conv2d_nobias_unbatched", lambda a, w: F.conv2d(a, w, dilation=2), (2, 5, 5),
          (2, 2, 2, 2)),
        c("conv2d_groups", lambda a, w: F.conv2d(a, w, groups=2), img, (4, 1, 2, 2)),
        c("conv3d", lambda a, w: F.conv3d(a, w), (1, 1, 3, 3, 3), (2, 1, 2, 2, 2)),
        c("conv_transpose2d", lambda a, w, b: F.conv_transpose2d(a, w, b, stride=2), (1, 2, 3, 3),
          (2, 3, 2, 2), (3,)),
        c("conv_bias_only",
          lambda b: F.conv2d(const(np.ones(img)), const(np.ones((3, 2, 3, 3))), b), (3,)),
        c("unfold", lambda a: F.unfold(a, 2, padding=1), img),
        c("fold", lambda a: F.fold(a, (3, 3), 2), (1, 4, 4)),
        # pooling
        c("max_pool2d", lambda a: F.max_pool2d(a, 2), img),
        c("max_pool1d", lambda a: F.max_pool1d(a, 3, 2, 1), (2, 2, 7)),
        c("max_pool2d_idx", lambda a: F.max_pool2d(a, 3, 2, return_indices=True)[0], img),
        c("max_pool3d", lambda a: F.max_pool3d(a, 2), (1, 1, 4, 4, 4)),
        c("avg_pool2d", lambda a: F.avg_pool2d(a, 3, 2, 1), img),
        c("avg_pool3d", lambda a: F.avg_pool3d(a, 2), (1, 1, 4, 4, 4)),
        c("adaptive_avg_even", lambda a: F.adaptive_avg_pool2d(a, 2), (1, 2, 4, 4)),
        c("adaptive_avg_uneven", lambda a: F.adaptive_avg_pool2d(a, 3), img),
        c("adaptive_avg3d", lambda a: F.adaptive_avg_pool3d(a, 2), (1, 1, 4, 4, 4)),
        c("adaptive_max_even", lambda a: F.adaptive_max_pool2d(a, 2), (1, 2, 4, 4)),
        c("adaptive_max_uneven", lambda a: F.adaptive_max_pool2d(a, 3), img),
        c("adaptive_max3d_even", lambda a: F.adaptive_max_pool3d(a, 2), (1, 1, 4, 4, 4)),
        c("adaptive_max3d", lambda a: F.adaptive_max_pool3d(a, 3), (1, 1, 4, 4, 4)),
        c("lp_pool2d", lambda a: F.lp_pool2d(a, 2, 2), Pos(1, 2, 4, 4)),
        c("max_unpool2d", lambda a: F.max_unpool2d(*F.max_pool2d(a, 2, return_indices=True), 2),
          (1, 2, 4, 4)),
        # resampling, padding
        c("interp_nearest", lambda a: F.interpolate(a, scale_factor=2), img),
        c("interp_bilinear",
          lambda a: F.interpolate(a, size=(7, 3), mode="bilinear", align_corners=False), img),
        c("interp_bicubic",
          lambda a: F.interpolate(a, size=(6, 6), mode="bicubic", align_corners=True), img),
        c("interp_linear", lambda a: F.interpolate(a, size=7, mode="linear"), (2, 2, 5)),
        c("pad_constant", lambda a: F.pad(a, (1, 2, 0, -1), value=3.0), img),
        c("pad_reflect", lambda a: F.pad(a, (2, 1), mode="reflect"), (2, 2, 5)),
        c("pad_replicate", lambda a: F.pad(a, (1, 1, 2, 0), mode="replicate"), img),
        c("pad_circular", lambda a: F.pad(a, (1, 2), mode="circular"), (2, 2, 5)),
        c("pixel_shuffle", lambda a: F.pixel_shuffle(a, 2), (1, 4, 2, 3)),
        c("pixel_unshuffle", lambda a: F.pixel_unshuffle(a, 2), (1, 1, 4, 2)),
        # normalisation
        c("batch_norm_train", lambda a, w, b: F.batch_norm(a, None, None, w, b, training=True),
          img, (2,), (2,)),
        c("batch_norm_eval", lambda a, w,
          b: F.batch_norm(a, const([0.1, -0.2]), const([1.5, 0.5]), w, b), img, (2,), (2,)),
        c("batch_norm_plain", lambda a: F.batch_norm(a, None, None, training=True), (4, 3)),
        c("layer_norm", lambda a, w, b: F.layer_norm(a, (3, 4), w, b), x234, (3, 4), (3, 4)),
        c("layer_norm_plain", lambda a: F.layer_norm(a, (4,)), x234),
        c("group_norm", lambda a, w, b: F.group_norm(a, 2, w, b), (2, 4, 3), (4,), (4,)),
        c("instance_norm", lambda a: F.instance_norm(a), (2, 2, 5)),
        c("rms_norm", lambda a, w: F.rms_norm(a, (4,), w), x234, (4,)),
        c("local_response_norm", lambda a: cr.ops.normalization.local_response_norm(a, 2),
          (1, 4, 3)),
        c("normalize", lambda a: F.normalize(a, dim=1), x23),
        # dropout (a fixed seed makes it a fixed mask)
        c("dropout", lambda a: F.dropout(a, 0.4), (4, 5), random=True),
        c("dropout2d", lambda a: F.dropout2d(a, 0.5), (2, 4, 2, 2), random=True),
        c("alpha_dropout", lambda a: F.alpha_dropout(a, 0.3, training=True), (4, 5), random=True),
        # losses
        *_loss_cases(),
    ]
    return cases


def const(values):
    return cr.tensor(np.asarray(values, dtype=np.float64))


def _loss_cases():
    c = Case
    x, x3 = (2, 3), (3,)
    t3 = idx(0, 2, 1)
    probs = Const(cr.softmax(cr.tensor(np.random.default_rng(5).normal(size=(3, 4))), 1))
    return [
        c("cross_entropy", lambda a, t: F.cross_entropy(a, t), (3, 4), t3),
        c("cross_entropy_opts", lambda a, t: F.cross_entropy(
            a, t, weight=const([1, 2, 0.5, 1]), ignore_index=1, label_smoothing=0.1), (3, 4), t3),
        c("cross_entropy_none", lambda a, t: F.cross_entropy(a, t, reduction="none"), (3, 4), t3),
        c("cross_entropy_2d", lambda a, t: F.cross_entropy(a, t, reduction="sum"), (2, 3, 2, 2),
          Const(cr.tensor([[[0, 1], [2, 2]], [[1, 0], [0, 2]]]))),
        c("cross_entropy_1d", lambda a: F.cross_entropy(a, cr.tensor(2)), (4,)),
        c("cross_entropy_soft", lambda a, t: F.cross_entropy(a, t, label_smoothing=0.2), (3, 4),
          probs),
        c("cross_entropy_soft_t", lambda a, t: F.cross_entropy(a, t, reduction="none"), (3, 4),
          prob(3, 4)),
        c("nll_loss", lambda a, t: F.nll_loss(a, t, weight=const([1, 2, 3, 4])), (3, 4), t3),
        c("nll_loss_none", lambda a, t: F.nll_loss(a, t, reduction="none", ignore_index=2), (3, 4),
          t3),
        c("nll_loss_2d", lambda a: F.nll_loss(a, cr.tensor([[[0, 1], [2, 2]]])), (1, 3, 2, 2)),
        c("bce", lambda a, t: F.binary_cross_entropy(a, t), prob(2, 3), prob(2, 3)),
        c("bce_weight_none", lambda a,
          t: F.binary_cross_entropy(a, t, weight=const([1, 2, 3.]), reduction="none"),
          prob(2, 3), prob(2, 3)),
        c("bce_logits", lambda a, t: F.binary_cross_entropy_with_logits(a, t), (2, 3), prob(2, 3)),
        c("bce_logits_pw", lambda a, t: F.binary_cross_entropy_with_logits(
            a, t, pos_weight=const([1, 2, 3.]), reduction="sum"), (2, 3), prob(2, 3)),
        c("soft_margin", lambda a, t: F.soft_margin_loss(a, t), (2, 3), (2, 3)),
        c("multi_margin", lambda a, t: F.multi_margin_loss(a, t), (3, 4), t3),
        c("multi_margin_p2", lambda a, t: F.multi_margin_loss(a, t, p=2, weight=const([1, 2, 3, 4]),
                                                               reduction="none"), (3, 4), t3),
        c("multilabel_margin",
          lambda a: F.multilabel_margin_loss(a, cr.tensor([[3, 0, -1, 1], [1, -1, 0, 0]])),
          (2, 4)),
        c("multilabel_soft_margin", lambda a, t: F.multilabel_soft_margin_loss(a, t), (2, 3),
          prob(2, 3)),
        c("mse", F.mse_loss, x, x),
        c("mse_none", lambda a, b: F.mse_loss(a, b, reduction="none"), x, x),
        c("huber", lambda a, b: F.huber_loss(a, b, delta=0.5, reduction="sum"), x, x),
        c("smooth_l1", lambda a, b: F.smooth_l1_loss(a, b, beta=0.5), x, x),
        c("l1", F.l1_loss, x, x),
        c("kl_div", lambda a, t: F.kl_div(a, t, reduction="batchmean"), x, prob(2, 3)),
        c("poisson_nll", F.poisson_nll_loss, x, Pos(2, 3)),
        c("gaussian_nll", F.gaussian_nll_loss, x, x, Pos(2, 3)),
        c("cosine_similarity", F.cosine_similarity, x, x),
        c("pairwise_distance", F.pairwise_distance, x, x), c("pdist", F.pdist, (3, 2)),
        c("triplet", F.triplet_margin_loss, x, x, x),
        c("hinge_embedding", lambda a: F.hinge_embedding_loss(a, const([[1, -1, 1], [-1, -1, 1]])),
          x),
        c("margin_ranking", lambda a,
          b: F.margin_ranking_loss(a, b, const([1, -1, 1]), margin=0.1), x3, x3),
        c("cosine_embedding", lambda a, b: F.cosine_embedding_loss(a, b, const([1, -1])), x, x),
    ]


def _requiring(t):
    return t if t.requires_grad else t.requires_grad_()


def _vjp_case(fn, wrt):
    """``(*inputs, g) -> d fn(*inputs) / d inputs[wrt] . g``: a gradient as a function, whose
    own derivatives reach the backward functions of the backward functions."""

    def f(*args):
        *inputs, g = args
        inputs = [_requiring(a) if i == wrt else a for i, a in enumerate(inputs)]
        with cr.enable_grad():
            return cr.autograd.grad(fn(*inputs), inputs[wrt], g, create_graph=True)[0]

    return f


def _module_cases():
    """Layers whose primitives are only reached through modules (recurrent, hooks)."""
    c = Case

    def rnn(mode):
        cr.manual_seed(0)
        layer = getattr(cr.nn, mode)(3, 2, num_layers=1, bidirectional=(mode == "GRU")).double()
        return lambda a: layer(a)[0]

    def hooked():
        lin = cr.nn.Linear(3, 2).double()
        lin.register_full_backward_hook(lambda m, gi, go: None)
        return lin

    return [
        c("max_pool_vjp", _vjp_case(lambda a: F.max_pool2d(a, 2), 0), (1, 1, 4, 4), (1, 1, 2, 2)),
        c("conv_bias_vjp", _vjp_case(lambda a, w, b: F.conv2d(a, w, b), 2),
          Const(const(np.ones((1, 1, 3, 3)))), Const(const(np.ones((2, 1, 2, 2)))), (2,),
          (1, 2, 2, 2)),
        c("rnn", rnn("RNN"), (2, 1, 3)), c("lstm", rnn("LSTM"), (2, 1, 3)),
            c("gru_bidir", rnn("GRU"), (2, 1, 3)), c("module_hook", hooked(), (2, 3))]


CASES = _table() + _module_cases()


# ---- evaluation ------------------------------------------------------------------------------
def _inputs(case, rng):
    """Per input: ``(value, differentiable)``."""
    out = []
    for spec in case.inputs:
        if isinstance(spec, Const):
            v = spec.value
            if v is None:  # a well-conditioned square matrix
                v = cr.tensor(rng.normal(size=(3, 3)) + 3 * np.eye(3))
                out.append((v, True))
                continue
            out.append((v, False))
        elif isinstance(spec, Pos):
            out.append((cr.tensor(rng.uniform(spec.low, spec.high, size=spec.shape)), True))
        else:
            out.append((cr.tensor(rng.uniform(-2, 2, size=spec)), True))
    return out


def _call(case, args):
    if case.random:
        cr.manual_seed(1234)
    res = case.fn(*args)
    res = res if isinstance(res, (tuple, list)) else (res,)
    return [r for r in res if isinstance(r, cr.Tensor) and r.is_floating_point()]


def _with(values, diffs, new):
    it = iter(new)
    return [next(it) if d else v for v, d in zip(values, diffs)]


def _forward(case, diffs, xs, ts):
    """Outputs and their tangents by forward mode."""
    with fwAD.dual_level():
        duals = [fwAD.make_dual(x, t) for x, t in zip(xs, ts)]
        outs = _call(case, _merge(case, diffs, duals))
        unpacked = [fwAD.unpack_dual(o) for o in outs]
    return [u.primal for u in unpacked], [u.tangent for u in unpacked]


_ALL_VALUES = {}


def _merge(case, diffs, diff_values):
    values = _ALL_VALUES[case.name]
    return _with(values, diffs, diff_values)


def _setup(case, seed=0):
    rng = np.random.default_rng(seed)
    pairs = _inputs(case, rng)
    _ALL_VALUES[case.name] = [v for v, _ in pairs]
    diffs = [d for _, d in pairs]
    xs = [v for v, d in pairs if d]
    ts = [cr.tensor(rng.normal(size=tuple(x.shape))) for x in xs]
    return rng, diffs, xs, ts


def _dot(a, b):
    return float((a.double() * b.double()).sum())


def _close(a, b, what, case, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol,
                               err_msg=f"{case.name}: {what}")


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_jvp_matches_finite_differences_and_reverse_mode(case):
    rng, diffs, xs, ts = _setup(case)
    primals, tangents = _forward(case, diffs, xs, ts)
    plain = _call(case, _merge(case, diffs, xs))
    for p, q, t in zip(primals, plain, tangents):
        _close(p, q, "primal", case)
        if t is not None:
            assert t.shape == p.shape and t.dtype == p.dtype, case.name
    tangents = [t if t is not None else cr.zeros_like(p) for t, p in zip(tangents, primals)]
    if case.fd:
        up = _call(case, _merge(case, diffs, [x + EPS * t for x, t in zip(xs, ts)]))
        down = _call(case, _merge(case, diffs, [x - EPS * t for x, t in zip(xs, ts)]))
        for t, u, d in zip(tangents, up, down):
            _close(t, (u - d) / (2 * EPS), "tangent vs central differences", case, 1e-4, 1e-5)
    # dot-product test against reverse mode: <v, J t> == <J^T v, t>
    leaves = [x.detach().requires_grad_() for x in xs]
    outs = _call(case, _merge(case, diffs, leaves))
    vs = [cr.tensor(rng.normal(size=tuple(o.shape))) for o in outs]
    pairs = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
    if not case.reverse:
        return
    lhs = sum(_dot(v, t) for v, t in zip(vs, tangents))
    rhs = 0.0
    if pairs:
        grads = cr.autograd.grad([o for o, _ in pairs], leaves, [v for _, v in pairs],
                                 allow_unused=True)
        rhs = sum(_dot(g, t) for g, t in zip(grads, ts) if g is not None)
    assert abs(lhs - rhs) <= case.tol * max(1.0, abs(lhs)), f"{case.name}: {lhs} != {rhs}"


def _vjp_tangent(case, diffs, xs, ts, vs, tvs):
    """Tangent (by forward mode) of the vector-Jacobian product ``x, v -> J(x)^T v``."""
    with fwAD.dual_level():
        leaves = [fwAD.make_dual(x, t).requires_grad_() for x, t in zip(xs, ts)]
        dual_vs = [fwAD.make_dual(v, tv) for v, tv in zip(vs, tvs)]
        outs = _call(case, _merge(case, diffs, leaves))
        pairs = [(o, v) for o, v in zip(outs, dual_vs) if o.requires_grad]
        if not pairs:
            return None
        grads = cr.autograd.grad([o for o, _ in pairs], leaves, [v for _, v in pairs],
                                 create_graph=True, allow_unused=True)
        return [None if g is None else fwAD.unpack_dual(g).tangent for g in grads]


def _vjp(case, diffs, xs, vs):
    leaves = [x.detach().requires_grad_() for x in xs]
    outs = _call(case, _merge(case, diffs, leaves))
    pairs = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
    grads = cr.autograd.grad([o for o, _ in pairs], leaves, [v for _, v in pairs],
                             allow_unused=True)
    return [cr.zeros_like(x) if g is None else g for g, x in zip(grads, xs)]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES if c.fo_r])
def test_forward_over_reverse(case):
    """The JVP of the VJP (what ``hessian = jacfwd(jacrev(f))`` needs), against differences."""
    rng, diffs, xs, ts = _setup(case, seed=1)
    outs = _call(case, _merge(case, diffs, xs))
    vs = [cr.tensor(rng.normal(size=tuple(o.shape))) for o in outs]
    tvs = [cr.tensor(rng.normal(size=tuple(o.shape))) for o in outs]
    tangents = _vjp_tangent(case, diffs, xs, ts, vs, tvs)
    if tangents is None:
        return
    up = _vjp(case, diffs, [x + EPS * t for x, t in zip(xs, ts)],
              [v + EPS * t for v, t in zip(vs, tvs)])
    down = _vjp(case, diffs, [x - EPS * t for x, t in zip(xs, ts)],
                [v - EPS * t for v, t in zip(vs, tvs)])
    for t, u, d, x in zip(tangents, up, down, xs):
        t = cr.zeros_like(x) if t is None else t
        _close(t, (u - d) / (2 * EPS), "tangent of the VJP vs differences", case, 1e-4, 1e-5)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES if c.r_o_f])
def test_reverse_over_forward(case):
    """The gradient of ``<w, J(x) t>`` by reverse mode through the tangent computation."""
    rng, diffs, xs, ts = _setup(case, seed=2)
    outs = _call(case, _merge(case, diffs, xs))
    ws = [cr.tensor(rng.normal(size=tuple(o.shape))) for o in outs]
    ss = [cr.tensor(rng.normal(size=tuple(x.shape))) for x in xs]

    def weighted_jvp(points, record):
        leaves = [p.detach().requires_grad_(record) for p in points]
        with fwAD.dual_level():
            duals = [fwAD.make_dual(p, t) for p, t in zip(leaves, ts)]
            res = _call(case, _merge(case, diffs, duals))
            total = None
            for w, o in zip(ws, res):
                t = fwAD.unpack_dual(o).tangent
                if t is not None:
                    term = (w * t).sum()
                    total = term if total is None else total + term
        return leaves, total

    leaves, total = weighted_jvp(xs, True)
    if total is None or not total.requires_grad:
        return  # the tangent does not depend on x (a linear op)
    grads = cr.autograd.grad(total, leaves, allow_unused=True)
    lhs = sum(_dot(g, s) for g, s in zip(grads, ss) if g is not None)
    up = weighted_jvp([x + EPS * s for x, s in zip(xs, ss)], False)[1]
    down = weighted_jvp([x - EPS * s for x, s in zip(xs, ss)], False)[1]
    fd = (float(up) - float(down)) / (2 * EPS)
    assert abs(lhs - fd) <= 1e-4 * max(1.0, abs(fd)), f"{case.name}: {lhs} != {fd}"


# ---- coverage: every primitive has a rule, and the table exercises it ------------------------
# Raw Functions whose rule the table cannot reach, each with the reason; their rules are
# checked directly in test_inplace_bookkeeping_rules.
NOT_IN_TABLE = {
    "_WriteIntoBase": "in-place ops on views: in-place ops do not carry tangents yet (reported)",
    "_SelectFromBase": "in-place ops on views, as above",
    "CopyFrom": "only made by Tensor.copy_, an in-place op",
}


def _chainrule_functions() -> list:
    """Every raw Function subclass defined in chainrule (after importing all its modules)."""
    for info in pkgutil.walk_packages(cr.__path__, "chainrule."):
        try:
            importlib.import_module(info.name)
        except ImportError:  # an optional dependency is missing
            continue
    found, stack = [], list(Function.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.raw and cls.__module__.startswith("chainrule.") and \
                cls.forward is not Function.forward:  # abstract bases are never applied
            found.append(cls)
    return sorted(set(found), key=lambda k: (k.__module__, k.__name__))


def test_every_primitive_has_a_rule_or_an_exemption():
    _jvp_rules.load_rules()
    assert not _jvp_rules._STALE, f"rules registered for names that no longer exist: " \
                                  f"{_jvp_rules._STALE}"
    exempt = {**_jvp_rules.NON_DIFFERENTIABLE, **_jvp_rules.UNSUPPORTED}
    missing = [f"{k.__module__}.{k.__name__}" for k in _chainrule_functions()
               if _jvp_rules.lookup(k) is None and k.__name__ not in exempt]
    assert not missing, f"Functions without a tangent rule (add one to autograd/_jvp_rules_*.py " \
                        f"or list them as exempt, with the reason): {missing}"
    for name in exempt:  # an exemption must name a real class that really has no rule
        classes = [k for k in _chainrule_functions() if k.__name__ == name]
        assert classes and all(_jvp_rules.lookup(k) is None for k in classes), name


def test_the_table_exercises_every_rule(monkeypatch):
    _jvp_rules.load_rules()
    used = set()
    real_lookup = _jvp_rules.lookup

    def recording_lookup(cls):
        used.add(cls)
        return real_lookup(cls)

    monkeypatch.setattr(_jvp_rules, "lookup", recording_lookup)
    for case in CASES:  # the forward pass, then a backward pass inside the dual level
        _, diffs, xs, ts = _setup(case, seed=3)
        outs = _call(case, _merge(case, diffs, xs))
        vs = [cr.ones_like(o) for o in outs]
        _vjp_tangent(case, diffs, xs, ts, vs, vs)
    # each registered rule must run for its class or for a subclass that inherits it
    owners = [k for k in _chainrule_functions() if k in _jvp_rules.JVP_RULES]
    exercised = {k for k in owners for u in used
                 if k in u.__mro__ and real_lookup(u) is _jvp_rules.JVP_RULES[k]}
    skipped = {k.__name__ for k in owners if k not in exercised and k.__name__ in NOT_IN_TABLE}
    unused = [k.__name__ for k in owners
              if k not in exercised and k.__name__ not in NOT_IN_TABLE]
    assert not unused, f"rules the op table never exercises: {unused}"
    assert skipped == set(NOT_IN_TABLE), "NOT_IN_TABLE lists classes the table now reaches"


def test_inplace_bookkeeping_rules():
    """The rules of the nodes of in-place writes through views, called directly."""
    from chainrule.ops import _inplace as IP
    from chainrule.ops import conversion as CV

    rule = _jvp_rules.lookup(IP._WriteIntoBase)
    base, values = cr.zeros(2, 3), cr.ones(2)
    positions = np.array([1, 5])
    tb, tv = cr.arange(6.0).reshape(2, 3), cr.tensor([10.0, 20.0])
    out = rule(None, (base, values, positions), [tb, tv], [base])
    assert out.tolist() == [[0.0, 10.0, 2.0], [3.0, 4.0, 20.0]]
    out = rule(None, (base, values, positions), [None, tv], [base])
    assert out.tolist() == [[0.0, 10.0, 0.0], [0.0, 0.0, 20.0]]
    sel = _jvp_rules.lookup(IP._SelectFromBase)
    assert sel(None, (base, None, positions), [tb, None], [values]).tolist() == [1.0, 5.0]
    copy = _jvp_rules.lookup(CV.CopyFrom)
    assert copy(None, (cr.zeros(2, 2), cr.ones(2)), [None, cr.tensor([1.0, 2.0])],
                [None]).tolist() == [[1.0, 2.0], [1.0, 2.0]]
    assert copy(None, (cr.zeros(2), cr.ones(2)), [cr.ones(2), None], [None]) is None


# ---- the dual-tensor API ---------------------------------------------------------------------
def test_make_dual_unpack_dual_basics():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    t = cr.tensor([0.5, -1.0])
    with fwAD.dual_level() as level:
        assert level == 0
        d = fwAD.make_dual(x, t)
        assert d is not x and d._base is x and d.grad_fn.name() == "ViewBackward0"
        primal, tangent = fwAD.unpack_dual(d)
        assert tangent is t and primal._base is x
        assert fwAD.unpack_dual(primal).tangent is None
        assert isinstance(fwAD.unpack_dual(d), fwAD.UnpackedDualTensor)
        assert fwAD.unpack_dual(x) == (x, None)
        y = d * d
        assert fwAD.unpack_dual(y).tangent.tolist() == [1.0, -4.0]
        assert fwAD.unpack_dual(y.detach()).tangent is None
    assert fwAD.unpack_dual(y).tangent is None  # leaving the level drops its tangents
    from chainrule.autograd.function import FORWARD_AD

    assert FORWARD_AD[0] is None


def test_tangent_dtype_and_integer_outputs():
    with fwAD.dual_level():
        d = fwAD.make_dual(cr.tensor([3.0, 1.0, 2.0]), cr.ones(3, dtype=cr.float64))
        assert fwAD.unpack_dual(d).tangent.dtype == cr.float32  # cast to the primal's dtype
        values, indices = cr.max(d, 0)
        assert fwAD.unpack_dual(values).tangent is not None
        assert fwAD.unpack_dual(indices).tangent is None
        assert fwAD.unpack_dual(d.argmax()).tangent is None
        assert fwAD.unpack_dual(d > 1).tangent is None
        sign, logabs = cr.linalg.slogdet(fwAD.make_dual(cr.eye(2), cr.eye(2)))
        assert fwAD.unpack_dual(sign).tangent is None
        assert fwAD.unpack_dual(logabs).tangent.item() == pytest.approx(2.0)


def test_dual_api_errors():
    x, t = cr.zeros(3), cr.zeros(3)
    with pytest.raises(RuntimeError, match="no level exists, make sure to enter_dual_level"):
        fwAD.make_dual(x, t)
    with pytest.raises(RuntimeError, match="Dual level must be a positive number"):
        fwAD.exit_dual_level()
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported"):
            fwAD.enter_dual_level()
        with pytest.raises(RuntimeError, match=r"different size .* Tensor is of size \[3\] "
                                               r"while the given forward gradient is of size "
                                               r"\[4\]"):
            fwAD.make_dual(x, cr.zeros(4))
        with pytest.raises(ValueError, match="Expected primal to be floating point or complex, "
                                             "but got: torch.int64"):
            fwAD.make_dual(cr.arange(3), t)
        with pytest.raises(ValueError, match="Expected tangent to be floating point"):
            fwAD.make_dual(x, cr.arange(3))
        with pytest.raises(RuntimeError, match="already has a forward gradient at the same "
                                               "level 0"):
            fwAD.make_dual(fwAD.make_dual(x, t), t)
        with pytest.raises(RuntimeError, match="Invalid level"):
            fwAD.make_dual(x, t, level=3)
        with pytest.raises(TypeError, match="must be Tensor, not list"):
            fwAD.make_dual([1.0], t)
        with pytest.raises(TypeError, match="must be Tensor, not float"):
            fwAD.unpack_dual(1.0)
        with pytest.raises(RuntimeError, match="not the last one that was created"):
            fwAD.exit_dual_level(level=2)
    level = fwAD.enter_dual_level()
    fwAD.exit_dual_level(level=level)


def test_level_is_exited_on_error_and_works_as_decorator():
    with pytest.raises(ZeroDivisionError), fwAD.dual_level():
        raise ZeroDivisionError
    with fwAD.dual_level():  # entering again works: the failed level was exited
        pass

    @fwAD.dual_level()
    def tangent_of_square(x, t):
        return fwAD.unpack_dual(fwAD.make_dual(x, t) ** 2).tangent

    assert tangent_of_square(cr.tensor(3.0), cr.tensor(1.0)).item() == 6.0


def test_unsupported_op_raises_naming_it():
    x = cr.zeros(2, 3)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, cr.ones(2, 3))
        with pytest.raises(RuntimeError, match="Trying to use forward AD with ScatterMultiply "
                                               ".* that does not support it"):
            cr.scatter(d, 1, cr.tensor([[0], [1]]), cr.ones(2, 1), reduce="multiply")

    class NoRule(Function):
        raw = True

        @staticmethod
        def forward(ctx, a):
            return a * 2

    with fwAD.dual_level():
        d = fwAD.make_dual(cr.ones(2), cr.ones(2))
        with pytest.raises(RuntimeError, match="Trying to use forward AD with NoRule "
                                               r"\(NoRuleBackward0\) that does not support it"):
            NoRule.apply(d)
        assert fwAD.unpack_dual(NoRule.apply(cr.ones(2))).tangent is None  # no tangent: fine


class _Cube(Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_forward(x)
        ctx.save_for_backward(x)
        ctx.k = k
        return x ** 3 * k

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2 * ctx.k, None

    @staticmethod
    def jvp(ctx, tx, tk):
        (x,) = ctx.saved_tensors
        assert tk is None  # non-tensor arguments get None
        return tx * 3 * x ** 2 * ctx.k


def test_custom_function_jvp():
    x = cr.tensor([1.0, 2.0])
    with fwAD.dual_level():
        out = _Cube.apply(fwAD.make_dual(x, cr.tensor([1.0, 1.0])), 2.0)
        assert fwAD.unpack_dual(out).tangent.tolist() == [6.0, 24.0]
        # a tensor argument without a tangent gets zeros
        out = _Cube.apply(x, 2.0)
        assert fwAD.unpack_dual(out).tangent is None


def test_custom_function_without_jvp():
    class Double(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    with fwAD.dual_level():
        d = fwAD.make_dual(cr.ones(2), cr.ones(2))
        with pytest.raises(NotImplementedError, match="You must implement the jvp function"):
            Double.apply(d)


def test_saved_outputs_keep_tangents_for_forward_over_reverse():
    """exp saves its output; a backward pass inside the level must see that output's tangent."""
    x = cr.tensor([0.5, -1.0], dtype=cr.float64)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, cr.ones(2, dtype=cr.float64)).requires_grad_()
        (g,) = cr.autograd.grad(d.exp().sum(), d, create_graph=True)
        assert np.allclose(fwAD.unpack_dual(g).tangent.detach().numpy(), np.exp(x.numpy()))


def test_in_graph_recording_of_tangents():
    """Tangent ops are recorded, so reverse mode can differentiate a JVP."""
    x = cr.tensor([0.3, 0.7], requires_grad=True)
    with fwAD.dual_level():
        t = fwAD.unpack_dual(fwAD.make_dual(x, cr.ones(2)).sin()).tangent
    assert t.requires_grad
    (g,) = cr.autograd.grad(t.sum(), x)
    assert np.allclose(g.numpy(), -np.sin(x.detach().numpy()))


# ---- against PyTorch -------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tanh_matmul", "softmax_ln", "conv_pool", "lse_norm"])
def test_matches_torch_forward_ad(name):
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as tfw

    rng = np.random.default_rng(7)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    ta, tb = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    img, w = rng.normal(size=(1, 2, 6, 6)), rng.normal(size=(3, 2, 3, 3))
    timg, tw = rng.normal(size=(1, 2, 6, 6)), rng.normal(size=(3, 2, 3, 3))

    def program(lib, fw, F_):
        if name == "tanh_matmul":
            args, tans = (a, b), (ta, tb)
            fn = lambda x, y: lib.tanh(x @ y) * x.sum()
        elif name == "softmax_ln":
            args, tans = (a,), (ta,)
            fn = lambda x: F_.layer_norm(F_.softmax(x, 1), (4,)).exp()
        elif name == "conv_pool":
            args, tans = (img, w), (timg, tw)
            fn = lambda x, k: F_.max_pool2d(F_.relu(F_.conv2d(x, k, padding=1)), 2)
        else:
            args, tans = (a,), (ta,)
            fn = lambda x: lib.logsumexp(x, 1) / x.norm()
        with fw.dual_level():
            duals = [fw.make_dual(lib.tensor(v), lib.tensor(t)) for v, t in zip(args, tans)]
            return np.asarray(fw.unpack_dual(fn(*duals)).tangent)

    ours = program(cr, fwAD, F)
    theirs = program(torch, tfw, torch.nn.functional)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


# ---- tangents through in-place ops ---------------------------------------------------------
def test_tangents_follow_inplace_ops_setitem_and_views():
    x = cr.tensor([1.0, 2.0, 3.0])
    with fwAD.dual_level():
        d = fwAD.make_dual(x, cr.tensor([1.0, 0.0, 0.0]))
        y = d * 1
        y.mul_(3)
        y += d
        assert fwAD.unpack_dual(y).tangent.tolist() == [4.0, 0.0, 0.0]
        z = d * 2
        z[1:] *= d[1:]
        assert fwAD.unpack_dual(z).tangent.tolist() == [2.0, 0.0, 0.0]
        w = d.clone()
        w[0] = 5.0
        assert fwAD.unpack_dual(w).tangent.tolist() == [0.0, 0.0, 0.0]
        with cr.no_grad():
            v = d * 1
            v[:2].mul_(10)
        assert fwAD.unpack_dual(v).tangent.tolist() == [10.0, 0.0, 0.0]
