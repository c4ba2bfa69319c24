"""Margin, ranking and embedding loss modules (split from ``loss.py``, which re-exports
them): thin ``Module`` wrappers over the ``chainrule.nn.functional`` losses."""

from __future__ import annotations

from collections.abc import Callable

from ..._tensor import Tensor
from .. import functional as F
from .loss import _Loss, _ReductionOnlyLoss, _WeightedLoss

__all__ = [
    "CosineEmbeddingLoss", "HingeEmbeddingLoss", "MarginRankingLoss", "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss", "MultiMarginLoss", "SoftMarginLoss", "TripletMarginLoss",
    "TripletMarginWithDistanceLoss",
]


class HingeEmbeddingLoss(_Loss):
    """Hinge loss for similar (1) / dissimilar (-1) pairs (see ``F.hinge_embedding_loss``).

    Args:
        margin: distance beyond which dissimilar pairs cost nothing.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.HingeEmbeddingLoss()(torch.tensor([0.3, 0.3]), torch.tensor([1, -1]))
        tensor(0.5000)
    """

    __constants__ = ("margin", "reduction")

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Compute the loss."""
        return F.hinge_embedding_loss(input, target, margin=self.margin,
                                      reduction=self.reduction)


class MultiLabelMarginLoss(_ReductionOnlyLoss):
    """Multi-label hinge loss with -1-terminated target lists (see
    ``F.multilabel_margin_loss``).

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(N, C)`` or ``(C,)``, target of the same shape (int64); output scalar, or
        ``(N,)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> x = torch.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> nn.MultiLabelMarginLoss()(x, torch.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """

    _loss_fn = staticmethod(F.multilabel_margin_loss)


class SoftMarginLoss(_ReductionOnlyLoss):
    """Two-class logistic loss ``log(1 + exp(-y x))`` (see ``F.soft_margin_loss``).

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.SoftMarginLoss()(torch.zeros(2), torch.tensor([1.0, -1.0]))
        tensor(0.6931)
    """

    _loss_fn = staticmethod(F.soft_margin_loss)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Multi-label one-versus-all logistic loss (see ``F.multilabel_soft_margin_loss``).

    Args:
        weight: optional per-class weights ``(C,)`` (a buffer).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(N, C)``, target ``(N, C)``; output scalar, or ``(N,)`` with ``'none'``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.MultiLabelSoftMarginLoss()(torch.zeros(1, 2), torch.tensor([[1.0, 0.0]]))
        tensor(0.6931)
    """

    __constants__ = ("reduction",)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Compute the loss."""
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                             reduction=self.reduction)


class _PairMarginLoss(_Loss):
    """A loss of two inputs and a +-1 target with a ``margin`` (default 0): ``forward`` applies
    ``_loss_fn``."""

    __constants__ = ("margin", "reduction")
    _loss_fn: Callable[..., Tensor]

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        """Compute the loss."""
        return self._loss_fn(input1, input2, target, margin=self.margin,
                             reduction=self.reduction)


class CosineEmbeddingLoss(_PairMarginLoss):
    """Embedding loss on cosine similarity for similar (1) / dissimilar (-1) pairs (see
    ``F.cosine_embedding_loss``).

    Args:
        margin: in ``[-1, 1]``; dissimilar pairs with cosine below it cost nothing.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        inputs ``(N, D)``, target ``(N,)``; output scalar, or ``(N,)`` with ``'none'``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> a = torch.tensor([[1.0, 0.0]])
        >>> nn.CosineEmbeddingLoss()(a, a, torch.tensor([1]))
        tensor(0.)
    """

    _loss_fn = staticmethod(F.cosine_embedding_loss)


class MarginRankingLoss(_PairMarginLoss):
    """Ranking loss ``max(0, -y * (x1 - x2) + margin)`` (see ``F.margin_ranking_loss``).

    Args:
        margin: the required gap.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        inputs ``(N,)`` or ``()``, target the same; output scalar, or ``(N,)`` with ``'none'``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.MarginRankingLoss(margin=1.0)(torch.tensor([1.0]), torch.tensor([0.5]),
        ...                                  torch.tensor([1.0]))
        tensor(0.5000)
    """

    _loss_fn = staticmethod(F.margin_ranking_loss)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge (SVM) loss (see ``F.multi_margin_loss``).

    Args:
        p: 1 (hinge) or 2 (squared hinge).
        margin: the required gap between the target score and every other score.
        weight: optional per-class weights ``(C,)`` (a buffer).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(N, C)`` or ``(C,)``, target ``(N,)`` or ``()``; output scalar, or ``(N,)``
        with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> x = torch.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> round(nn.MultiMarginLoss()(x, torch.tensor([3])).item(), 4)
        0.325
    """

    __constants__ = ("p", "margin", "reduction")

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                 size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p != 1 and p != 2:
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.dim() != 1:
            raise ValueError(f"MultiMarginLoss: expected weight to be None or 1D tensor, got "
                             f"{weight.dim()}D instead")
        self.p = p
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Compute the loss."""
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                   weight=self.weight, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """Triplet loss with ``p``-norm distances (see ``F.triplet_margin_loss``).

    Args:
        margin: the required gap (positive).
        p: the norm degree.
        eps: added to differences.
        swap: use the distance swap.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        inputs ``(N, D)`` or ``(D,)``; output scalar, or ``(N,)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> a, p, n = torch.zeros(1, 2), torch.tensor([[3.0, 4.0]]), torch.tensor([[0.0, 1.0]])
        >>> nn.TripletMarginLoss(eps=0.0)(a, p, n)
        tensor(5.)
    """

    __constants__ = ("margin", "p", "eps", "swap", "reduction")

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got "
                             f"{margin} instead")
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        """Compute the loss."""
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                     eps=self.eps, swap=self.swap, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """Triplet loss with a custom distance function (see
    ``F.triplet_margin_with_distance_loss``).

    Args:
        distance_function: a function of two tensors returning distances (default: the
            Euclidean ``PairwiseDistance``).
        margin: the required gap (positive).
        swap: use the distance swap.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Shape:
        inputs ``(N, *)``; output scalar, or ``(N,)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> l1 = lambda x, y: (x - y).abs().sum(-1)
        >>> a, p, n = torch.zeros(1, 2), torch.tensor([[3.0, 4.0]]), torch.tensor([[0.0, 1.0]])
        >>> nn.TripletMarginWithDistanceLoss(distance_function=l1)(a, p, n)
        tensor(7.)
    """

    __constants__ = ("margin", "swap", "reduction")

    def __init__(self, *, distance_function=None, margin: float = 1.0, swap: bool = False,
                 reduction: str = "mean") -> None:
        super().__init__(size_average=None, reduce=None, reduction=reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater "
                             f"than 0, got {margin} instead")
        self.distance_function = (distance_function if distance_function is not None
                                  else F.pairwise_distance)
        self.margin = margin
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        """Compute the loss."""
        return F.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)
