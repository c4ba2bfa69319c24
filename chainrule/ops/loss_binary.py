"""Binary and multi-label classification losses: ``binary_cross_entropy``,
``binary_cross_entropy_with_logits``, ``soft_margin_loss`` and ``multilabel_soft_margin_loss``.

The first three are primitives, numerically stable on logits; their backward is written with
tensor ops (so double backward works) and is differentiable in the target as well.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ._util import check_tensor
from .loss import apply_reduction, check_float_input, const, resolve_reduction, type_name

# the names PyTorch also exposes as ``torch.xxx`` (all are in ``chainrule.nn.functional``)
__all__ = ["binary_cross_entropy_with_logits"]


def _reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return loss.mean() if loss.size else np.array(np.nan, loss.dtype)
    if reduction == "sum":
        return loss.sum()
    return loss


def _scale(reduction: str, n: int) -> float:
    return 1.0 / n if reduction == "mean" and n else 1.0


def _check_weight(weight, shape: tuple, dt, fn: str, arg: str = "weight"):
    """A weight array that broadcasts to ``shape`` (cast to ``dt``), or None."""
    if weight is None:
        return None
    check_tensor(weight, fn, arg)
    try:
        ok = np.broadcast_shapes(weight._data.shape, shape) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"{fn}: {arg} of shape {list(weight.shape)} cannot be broadcast to "
                           f"the input shape {list(shape)}")
    return weight._data.astype(dt, copy=False)


def _prepare(input, target, fn: str):
    """Check input and target (same shape, floating) and cast the target to the input's dtype."""
    check_tensor(input, fn)
    check_tensor(target, fn, "target")
    check_float_input(input, fn)
    if target._data.dtype.kind != "f":
        raise RuntimeError(f"Found dtype {type_name(target)} but expected {type_name(input)}")
    return target.to(input.dtype)


class BinaryCrossEntropy(Function):
    """``-w * (t log(x) + (1 - t) log(1 - x))`` with both logs clamped at -100 (PyTorch's
    choice, which keeps the loss finite at ``x = 0`` or ``1``)."""

    raw = True
    node_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, x, t, w, reduction):
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100.0)
            log_1mx = np.maximum(np.log(1 - x), -100.0)
        loss = -(t * log_x + (1 - t) * log_1mx)
        if w is not None:
            loss = loss * w
        ctx.save_for_backward(x, t)
        ctx.args = (w, reduction, x.size)
        return np.asarray(_reduce(loss, reduction), dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        w, reduction, n = ctx.args
        a = g * _scale(reduction, n)
        if w is not None:
            a = a * const(w, x._data.dtype)
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = a * (x - t) / ((1 - x) * x).clamp(min=1e-12)
        if ctx.needs_input_grad[1]:
            gt = a * ((1 - x).log() - x.log())
        return gx, gt, None, None


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy between probabilities ``input`` and targets in ``[0, 1]``.

    The per-element loss is ``-w * (t * log(x) + (1 - t) * log(1 - x))`` with each log clamped
    at -100, so a saturated prediction gives a large but finite loss. Prefer
    ``binary_cross_entropy_with_logits`` on logits: it is more stable.

    Args:
        input: probabilities in ``[0, 1]``.
        target: targets in ``[0, 1]``, same shape as ``input``.
        weight: optional weights broadcast to the input's shape.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.binary_cross_entropy(torch.tensor([0.5, 1.0]), torch.tensor([1.0, 0.0]),
        ...                        reduction='none')
        tensor([  0.6931, 100.0000])
    """
    target = _prepare(input, target, "binary_cross_entropy")
    reduction = resolve_reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    x = input._data
    if not ((x >= 0) & (x <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    w = _check_weight(weight, x.shape, x.dtype, "binary_cross_entropy")
    return BinaryCrossEntropy.apply(input, target, w, reduction)


class BinaryCrossEntropyWithLogits(Function):
    """``w * ((1 - t) x - (1 + (pw - 1) t) log(sigmoid(x)))``, stable for any logit."""

    raw = True
    node_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def forward(ctx, x, t, w, pw, reduction):
        log_sig = -np.logaddexp(0, -x)
        if pw is None:
            loss = (1 - t) * x - log_sig
        else:
            loss = (1 - t) * x - ((pw - 1) * t + 1) * log_sig
        if w is not None:
            loss = loss * w
        ctx.save_for_backward(x, t)
        ctx.args = (w, pw, reduction, x.size)
        return np.asarray(_reduce(loss, reduction), dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        w, pw, reduction, n = ctx.args
        dt = x._data.dtype
        a = g * _scale(reduction, n)
        if w is not None:
            a = a * const(w, dt)
        gx = gt = None
        if pw is None:
            if ctx.needs_input_grad[0]:
                gx = a * (x.sigmoid() - t)
            if ctx.needs_input_grad[1]:
                gt = -a * x
        else:
            pwt = const(pw - 1, dt)
            if ctx.needs_input_grad[0]:
                gx = a * ((pwt * t + 1) * (x.sigmoid() - 1) + 1 - t)
            if ctx.needs_input_grad[1]:
                from .activation import logsigmoid

                gt = -a * (x + pwt * logsigmoid(x))
        return gx, gt, None, None, None


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid and binary cross-entropy in one numerically stable op, on logits.

    The per-element loss is ``-w * (pw * t * log(sigmoid(x)) + (1 - t) * log(1 - sigmoid(x)))``
    computed without overflow for any logit ``x``.

    Args:
        input: logits.
        target: targets in ``[0, 1]``, same shape as ``input``.
        weight: optional weights broadcast to the input's shape.
        pos_weight: optional weight of the positive examples, broadcast along the last (class)
            dimension: ``pos_weight > 1`` raises recall, ``< 1`` precision.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.binary_cross_entropy_with_logits(torch.tensor([0.0, 200.0]), torch.tensor([1.0, 1.0]),
        ...                                    reduction='none')
        tensor([0.6931, 0.0000])
    """
    target = _prepare(input, target, "binary_cross_entropy_with_logits")
    reduction = resolve_reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    shape, dt = input._data.shape, input._data.dtype
    w = _check_weight(weight, shape, dt, "binary_cross_entropy_with_logits")
    pw = _check_weight(pos_weight, shape, dt, "binary_cross_entropy_with_logits", "pos_weight")
    return BinaryCrossEntropyWithLogits.apply(input, target, w, pw, reduction)


class SoftMarginLoss(Function):
    """``log(1 + exp(-t x))``, computed stably."""

    raw = True
    node_name = "SoftMarginLossBackward0"

    @staticmethod
    def forward(ctx, x, t, reduction):
        loss = np.logaddexp(0, -t * x)
        ctx.save_for_backward(x, t)
        ctx.args = (reduction, loss.size)
        return np.asarray(_reduce(loss, reduction), dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        reduction, n = ctx.args
        a = -g * _scale(reduction, n) * (-t * x).sigmoid()
        return (a * t if ctx.needs_input_grad[0] else None), (
            a * x if ctx.needs_input_grad[1] else None), None


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Two-class logistic loss ``log(1 + exp(-target * input))`` with targets 1 or -1.

    Args:
        input: scores.
        target: labels, 1 or -1, same shape as ``input``.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.soft_margin_loss(torch.tensor([0.0, 0.0]), torch.tensor([1.0, -1.0]))
        tensor(0.6931)
    """
    check_tensor(input, "soft_margin_loss")
    check_tensor(target, "soft_margin_loss", "target")
    check_float_input(input, "soft_margin_loss")
    reduction = resolve_reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"soft_margin_loss: target size ({target.shape}) must be the same as "
                         f"input size ({input.shape})")
    return SoftMarginLoss.apply(input, target.to(input.dtype), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """Multi-label one-versus-all logistic loss: the mean over classes of the binary
    cross-entropy of ``sigmoid(input)`` against 0/1 targets.

    Args:
        input: logits ``(N, C)``.
        target: 0/1 labels of the same shape.
        weight: optional per-class weights ``(C,)``.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(N, C)`` or ``(C,)``, target the same; output scalar, or ``(N,)`` with
        ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.multilabel_soft_margin_loss(torch.zeros(1, 2), torch.tensor([[1.0, 0.0]]))
        tensor(0.6931)
    """
    from .activation import logsigmoid

    check_tensor(input, "multilabel_soft_margin_loss")
    check_tensor(target, "multilabel_soft_margin_loss", "target")
    check_float_input(input, "multilabel_soft_margin_loss")
    reduction = resolve_reduction(reduction, size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input._data.ndim - 1
    loss = loss.sum(dim=class_dim) / input.shape[class_dim]
    return apply_reduction(loss, reduction)
