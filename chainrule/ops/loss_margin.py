"""Margin (hinge) and ranking losses: ``multi_margin_loss`` (the multi-class SVM loss),
``multilabel_margin_loss``, ``hinge_embedding_loss``, ``cosine_embedding_loss``,
``margin_ranking_loss``, ``triplet_margin_loss`` and ``triplet_margin_with_distance_loss``.

The two multi-class losses are primitives (vectorised over the batch); the others are
composites of tensor ops, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_ENABLED
from ._util import check_tensor
from .loss import (
    _pick,
    _scatter,
    apply_reduction,
    check_float_input,
    const,
    resolve_reduction,
    type_name,
)
from .loss_distance import pairwise_distance

# the names PyTorch also exposes as ``torch.xxx`` (all are in ``chainrule.nn.functional``)
__all__ = ["cosine_embedding_loss", "hinge_embedding_loss", "margin_ranking_loss",
           "triplet_margin_loss"]


def _out(loss: np.ndarray, reduction: str, batched: bool, dt) -> np.ndarray:
    if reduction == "mean":
        loss = loss.mean() if loss.size else np.array(np.nan)
    elif reduction == "sum":
        loss = loss.sum()
    elif not batched:
        loss = loss.reshape(())
    return np.asarray(loss, dtype=dt)


def _upstream(g: Tensor, reduction: str, batched: bool):
    """The upstream gradient shaped ``(N, 1)`` (or a scalar) to scale per-sample rows."""
    if reduction == "none" and batched:
        return g.unsqueeze(1)
    return g


class MultiMarginLoss(Function):
    """``sum_{j != y} w[y] * max(0, margin - x[y] + x[j]) ** p / C`` for each sample."""

    raw = True
    node_name = "MultiMarginLossBackward0"

    @staticmethod
    def forward(ctx, x, t, p, margin, w, reduction):
        batched = x.ndim == 2
        x2 = x if batched else x.reshape(1, -1)
        n, c = x2.shape
        tt = t.reshape(-1).astype(np.intp)
        z = margin - _pick(x2, tt, 1)[:, None] + x2
        mask = z > 0
        mask[np.arange(n), tt] = False
        h = np.where(mask, z if p == 1 else z * z, 0)
        wt = np.ones(n, x.dtype) if w is None else w[tt]
        loss = (h.sum(axis=1) * wt / c).astype(x.dtype, copy=False)
        ctx.save_for_backward(x)
        ctx.args = (tt, p, margin, mask, wt, reduction, batched)
        return _out(loss, reduction, batched, x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        tt, p, margin, mask, wt, reduction, batched = ctx.args
        dt = x._data.dtype
        n, c = mask.shape
        scale = wt[:, None] * (1.0 / c) / (n if reduction == "mean" and n else 1)
        gu = _upstream(g, reduction, batched)
        onehot = _scatter((n, c), tt, 1.0, dt)
        if p == 1:  # piecewise linear: a constant pattern times the upstream gradient
            h = mask * scale
            pattern = h - onehot * h.sum(axis=1, keepdims=True)
            gx = gu * const(pattern, dt)
        else:
            x2 = x if batched else x.reshape(1, c)
            if not GRAD_ENABLED[0]:
                x2 = x2._data
                z = margin - _pick(x2, tt, 1)[:, None] + x2
                h = 2 * z * (mask * scale)
                gx = Tensor._make(gu._data * (h - onehot * h.sum(axis=1, keepdims=True)))
            else:
                z = margin - (x2 * const(onehot, dt)).sum(1, keepdim=True) + x2
                h = z * const(2 * mask * scale, dt)
                gx = (h - h.sum(1, keepdim=True) * const(onehot, dt)) * gu
        return gx.reshape(x.shape), None, None, None, None, None


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge (SVM) loss: for each sample,
    ``sum_{j != y} w[y] * max(0, margin - x[y] + x[j]) ** p / C``.

    Args:
        input: class scores ``(N, C)`` or ``(C,)``.
        target: class indices ``(N,)`` (or ``()``/``(1,)`` for an unbatched input), int64.
        p: 1 or 2 (squared hinge).
        margin: the required gap between the target score and every other score.
        weight: optional per-class weights ``(C,)``, applied by target class.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(N, C)``, target ``(N,)``; output scalar, or ``(N,)`` with ``'none'``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> x = torch.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> round(F.multi_margin_loss(x, torch.tensor([3])).item(), 4)
        0.325
    """
    check_tensor(input, "multi_margin_loss")
    check_tensor(target, "multi_margin_loss", "target")
    reduction = resolve_reduction(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    check_float_input(input, "multi_margin_loss")
    if weight is not None and weight._data.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    x, t = input._data, target._data
    if x.ndim not in (1, 2) or x.shape[-1] == 0:
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(x.shape)}")
    if t.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {type_name(target)}")
    n = x.shape[0] if x.ndim == 2 else 1
    if t.ndim > 1 or t.size != n:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to "
                           f"the number of input samples (batch size). Expected target size "
                           f"[{n}], but got {list(t.shape)}. Input has shape {list(x.shape)}.")
    c = x.shape[-1]
    if ((t < 0) | (t >= c)).any():
        raise RuntimeError("target out of range")
    w = None
    if weight is not None:
        if weight._data.size != c:
            raise RuntimeError(f"inconsistent weight size, expected {c} but got "
                               f"{list(weight.shape)}")
        w = weight._data.astype(x.dtype, copy=False)
    return MultiMarginLoss.apply(input, t, int(p), float(margin), w, reduction)


class MultilabelMarginLoss(Function):
    """``sum_{j in targets} sum_{k not in targets} max(0, 1 - (x[j] - x[k])) / C``."""

    raw = True
    node_name = "MultilabelMarginLossBackward0"

    @staticmethod
    def forward(ctx, x, t, reduction):
        batched = x.ndim == 2
        x2 = x if batched else x.reshape(1, -1)
        t2 = t.reshape(x2.shape)
        n, c = x2.shape
        prefix = np.cumprod(t2 != -1, axis=1).astype(bool)  # the targets before the first -1
        count = np.zeros((n, c), dtype=x.dtype)
        rows = np.broadcast_to(np.arange(n)[:, None], (n, c))
        np.add.at(count, (rows[prefix], t2[prefix]), 1)
        others = count == 0
        z = 1 - x2[:, :, None] + x2[:, None, :]  # z[n, j, k] = 1 - x[j] + x[k]
        active = (z > 0) & (count[:, :, None] > 0) & others[:, None, :]
        pairs = np.where(active, count[:, :, None], 0).astype(x.dtype)
        loss = (pairs * z).sum(axis=(1, 2)) / c
        ctx.save_for_backward(x)
        ctx.args = (pairs, reduction, batched)
        return _out(loss, reduction, batched, x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        pairs, reduction, batched = ctx.args
        n, c = pairs.shape[:2]
        scale = 1.0 / c / (n if reduction == "mean" and n else 1)
        pattern = (pairs.sum(axis=1) - pairs.sum(axis=2)) * scale  # +k side, -j side
        gx = _upstream(g, reduction, batched) * const(pattern, x._data.dtype)
        return gx.reshape(x.shape), None, None


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss: each target class should score at least 1 above every
    non-target class.

    ``target`` lists the target classes of each sample, padded with -1 after the last one
    (``[3, 0, -1, 1]`` means classes 3 and 0).

    Args:
        input: scores ``(N, C)`` or ``(C,)``.
        target: class indices of the same shape, int64, -1 terminated.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(N, C)``, target ``(N, C)``; output scalar, or ``(N,)`` with ``'none'``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> x = torch.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> F.multilabel_margin_loss(x, torch.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """
    check_tensor(input, "multilabel_margin_loss")
    check_tensor(target, "multilabel_margin_loss", "target")
    check_float_input(input, "multilabel_margin_loss")
    reduction = resolve_reduction(reduction, size_average, reduce)
    x, t = input._data, target._data
    if x.ndim not in (1, 2) or t.shape != x.shape:
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: "
                           f"{list(x.shape)}")
    if t.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {type_name(target)}")
    prefix = np.cumprod(t.reshape(-1, x.shape[-1]) != -1, axis=1).astype(bool)
    if ((t.reshape(prefix.shape)[prefix] < 0) | (t.reshape(prefix.shape)[prefix]
                                                  >= x.shape[-1])).any():
        raise RuntimeError("multilabel_margin_loss: target index out of range")
    return MultilabelMarginLoss.apply(input, t, reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """Hinge loss for similarity learning: ``x`` where ``target == 1`` and
    ``max(0, margin - x)`` where ``target == -1`` (``x`` is usually a distance).

    Args:
        input: distances or scores.
        target: 1 (similar) or -1 (dissimilar), broadcastable to ``input``.
        margin: the distance beyond which dissimilar pairs cost nothing.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.hinge_embedding_loss(torch.tensor([0.3, 0.3]), torch.tensor([1, -1]),
        ...                        reduction='none')
        tensor([0.3000, 0.7000])
    """
    from .indexing import where

    check_tensor(input, "hinge_embedding_loss")
    check_tensor(target, "hinge_embedding_loss", "target")
    reduction = resolve_reduction(reduction, size_average, reduce)
    margin_part = where(target != 1, (margin - input).clamp_min(0), 0.0)
    self_part = where(target != -1, input, 0.0)
    return apply_reduction(margin_part + self_part, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Embedding loss on the cosine similarity ``cos`` of two inputs: ``1 - cos`` where
    ``target == 1`` and ``max(0, cos - margin)`` where ``target == -1``.

    Args:
        input1, input2: embeddings ``(N, D)`` (or ``(D,)`` with a 0-d target).
        target: 1 (similar) or -1 (dissimilar), ``(N,)`` or ``()``.
        margin: in ``[-1, 1]``; dissimilar pairs below it cost nothing.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        inputs ``(N, D)``, target ``(N,)``; output scalar, or ``(N,)`` with ``'none'``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> a = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
        >>> F.cosine_embedding_loss(a, a, torch.tensor([1, -1]), reduction='none')
        tensor([0., 1.])
    """
    from .indexing import where

    for arg, t in (("input1", input1), ("input2", input2), ("target", target)):
        check_tensor(t, "cosine_embedding_loss", arg)
    reduction = resolve_reduction(reduction, size_average, reduce)
    tdim = target._data.ndim
    if tdim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    need = 2 if tdim == 1 else 1
    if input1._data.ndim != need or input2._data.ndim != need:
        raise RuntimeError(f"{tdim}D target tensor expects {need}D input tensors, but found "
                           f"inputs with sizes {list(input1.shape)} and {list(input2.shape)}.")
    eps = 1e-12
    prod = (input1 * input2).sum(tdim)
    mag1 = (input1 * input1).sum(tdim) + eps
    mag2 = (input2 * input2).sum(tdim) + eps
    cos = prod / (mag1 * mag2).sqrt()
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, (cos - margin).clamp_min(0),
                                                    0.0)
    return apply_reduction(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Ranking loss ``max(0, -target * (input1 - input2) + margin)``: ``target == 1`` asks
    for ``input1`` to rank higher than ``input2`` by ``margin``, ``-1`` the opposite.

    Args:
        input1, input2: scores of the same number of dimensions.
        target: 1 or -1.
        margin: the required gap.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        ``(N,)`` or ``()`` inputs and target; output scalar, or ``(N,)`` with ``'none'``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.margin_ranking_loss(torch.tensor([1.0, 1.0]), torch.tensor([0.5, 2.0]),
        ...                       torch.tensor([1.0, 1.0]), margin=1.0, reduction='none')
        tensor([0.5000, 2.0000])
    """
    for arg, t in (("input1", input1), ("input2", input2), ("target", target)):
        check_tensor(t, "margin_ranking_loss", arg)
    reduction = resolve_reduction(reduction, size_average, reduce)
    if not input1._data.ndim == input2._data.ndim == target._data.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.shape}, input2: {input2.shape}, "
                           f"target: {target.shape} ")
    return apply_reduction((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def _triplet(dist_pos: Tensor, dist_neg: Tensor, dist_swap, margin: float, reduction: str):
    if dist_swap is not None:
        dist_neg = dist_neg.minimum(dist_swap)
    return apply_reduction((margin + dist_pos - dist_neg).clamp_min(0), reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """Triplet loss ``max(0, d(a, p) - d(a, n) + margin)`` with the ``p``-norm
    ``pairwise_distance``: the anchor should be closer to the positive than to the negative.

    Args:
        anchor, positive, negative: embeddings ``(N, D)`` or ``(D,)``.
        margin: the required gap; must be positive.
        p: the norm degree of the distance.
        eps: added to differences (keeps gradients finite).
        swap: use ``min(d(a, n), d(p, n))`` as the negative distance (distance swap).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        inputs ``(N, D)``; output scalar, or ``(N,)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> a, p, n = torch.zeros(1, 2), torch.tensor([[3.0, 4.0]]), torch.tensor([[0.0, 1.0]])
        >>> F.triplet_margin_loss(a, p, n, eps=0.0)
        tensor(5.)
    """
    for arg, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        check_tensor(t, "triplet_margin_loss", arg)
    reduction = resolve_reduction(reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor._data.ndim, positive._data.ndim, negative._data.ndim)
    if len(set(dims)) != 1:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {dims[0]}D, positive "
                           f"{dims[1]}D, and negative {dims[2]}D inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    d_swap = pairwise_distance(positive, negative, p, eps) if swap else None
    return _triplet(d_pos, d_neg, d_swap, margin, reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function=None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """Triplet loss with a custom distance: ``max(0, d(a, p) - d(a, n) + margin)``.

    Args:
        anchor, positive, negative: embeddings.
        distance_function: a function of two tensors returning distances (default
            ``pairwise_distance``).
        margin: the required gap; must be positive.
        swap: use ``min(d(a, n), d(p, n))`` as the negative distance.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Shape:
        inputs ``(N, *)``; output scalar, or ``(N,)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> l1 = lambda x, y: (x - y).abs().sum(-1)
        >>> a, p, n = torch.zeros(1, 2), torch.tensor([[3.0, 4.0]]), torch.tensor([[0.0, 1.0]])
        >>> F.triplet_margin_with_distance_loss(a, p, n, distance_function=l1)
        tensor(7.)
    """
    reduction = resolve_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, "
                         f"got {margin} instead")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    return _triplet(d_pos, d_neg, dist(positive, negative) if swap else None, margin, reduction)
