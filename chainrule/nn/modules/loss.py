"""Loss modules: thin ``Module`` wrappers over ``chainrule.nn.functional`` losses, with PyTorch's
class structure (``_Loss`` holds ``reduction``; ``_WeightedLoss`` registers ``weight`` as a
buffer, so it follows ``.to()`` and appears in ``state_dict``)."""

from __future__ import annotations

from collections.abc import Callable

from ..._tensor import Tensor
from ...ops.loss import legacy_reduction
from .. import functional as F
from .module import Module

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "CosineEmbeddingLoss", "CrossEntropyLoss",
    "GaussianNLLLoss", "HingeEmbeddingLoss", "HuberLoss", "KLDivLoss", "L1Loss", "MSELoss",
    "MarginRankingLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss",
    "NLLLoss", "NLLLoss2d", "PoissonNLLLoss", "SmoothL1Loss", "SoftMarginLoss",
    "TripletMarginLoss", "TripletMarginWithDistanceLoss",
]


class _Loss(Module):
    """Base of the loss modules: stores ``reduction`` (legacy ``size_average``/``reduce`` are
    mapped onto it with a warning)."""

    reduction: str

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            self.reduction = legacy_reduction(size_average, reduce)
        else:
            self.reduction = reduction


class _WeightedLoss(_Loss):
    """A loss with an optional per-class ``weight``, registered as a buffer."""

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class _ReductionOnlyLoss(_Loss):
    """A loss whose only option is ``reduction``: ``forward`` applies ``_loss_fn``."""

    __constants__ = ("reduction",)
    _loss_fn: Callable[..., Tensor]

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Compute the loss."""
        return self._loss_fn(input, target, reduction=self.reduction)


class L1Loss(_ReductionOnlyLoss):
    """Mean absolute error ``|input - target|``, reduced (see ``F.l1_loss``).

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.L1Loss()(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 4.0]))
        tensor(1.5000)
    """

    _loss_fn = staticmethod(F.l1_loss)


class MSELoss(_ReductionOnlyLoss):
    """Mean squared error ``(input - target) ** 2``, reduced (see ``F.mse_loss``).

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> loss = nn.MSELoss()
        >>> loss
        MSELoss()
        >>> loss(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 4.0]))
        tensor(2.5000)
    """

    _loss_fn = staticmethod(F.mse_loss)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits against class indices or class probabilities: fused
    ``log_softmax`` and ``nll_loss`` (see ``F.cross_entropy``).

    Args:
        weight: optional rescaling weight for each class ``(C,)`` (a buffer).
        ignore_index: target value that contributes neither loss nor gradient.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        label_smoothing: in ``[0, 1]``; mixes targets with the uniform distribution.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(N, C)``, ``(N, C, d1, ...)`` or ``(C,)``; target ``(N,)``/``(N, d1, ...)``
        class indices or probabilities of the input's shape; output scalar, or the target's
        batch shape with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> criterion = nn.CrossEntropyLoss()
        >>> logits = torch.zeros(2, 4, requires_grad=True)
        >>> loss = criterion(logits, torch.tensor([1, 3]))
        >>> round(loss.item(), 4)
        1.3863
        >>> loss.backward()
    """

    __constants__ = ("ignore_index", "reduction", "label_smoothing")

    def __init__(self, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
                 reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Compute the loss."""
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices under log-probabilities (see ``F.nll_loss``).

    Args:
        weight: optional rescaling weight for each class ``(C,)`` (a buffer).
        ignore_index: target value that contributes neither loss nor gradient.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(N, C)``, ``(N, C, d1, ...)`` or ``(C,)``; target ``(N,)``/``(N, d1, ...)``;
        output scalar, or the target's shape with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.NLLLoss()(torch.tensor([[-0.5, -1.0]]), torch.tensor([1]))
        tensor(1.)
    """

    __constants__ = ("ignore_index", "reduction")

    def __init__(self, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
                 reduce=None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Compute the loss."""
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class NLLLoss2d(NLLLoss):
    """Deprecated alias of ``NLLLoss`` (which handles spatial inputs).

    Example:
        >>> import warnings
        >>> from chainrule import nn
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     nn.NLLLoss2d()
        NLLLoss2d()
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
                 reduce=None, reduction: str = "mean") -> None:
        import warnings

        warnings.warn("`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a "
                      "drop-in replacement and see https://pytorch.org/docs/main/nn.html"
                      "#torch.nn.NLLLoss for more details.", FutureWarning, stacklevel=2)
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood (see ``F.poisson_nll_loss``).

    Args:
        log_input: whether the input is the log of the rate.
        full: add the Stirling approximation term.
        eps: keeps ``log`` finite when ``log_input=False``.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.PoissonNLLLoss()(torch.tensor([0.0]), torch.tensor([1.0]))
        tensor(1.)
    """

    __constants__ = ("log_input", "full", "eps", "reduction")

    def __init__(self, log_input: bool = True, full: bool = False, size_average=None,
                 eps: float = 1e-8, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        """Compute the loss."""
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                  eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood with predicted variances (see
    ``F.gaussian_nll_loss``).

    Args:
        full: add the constant ``0.5 log(2 pi)``.
        eps: lower clamp of the variance.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Shape:
        input ``(N, *)``, target ``(N, *)``, var ``(N, *)`` or homoscedastic; output scalar, or
        ``(N, *)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.GaussianNLLLoss()(torch.ones(1), torch.ones(1), torch.ones(1))
        tensor(0.)
    """

    __constants__ = ("full", "eps", "reduction")

    def __init__(self, *, full: bool = False, eps: float = 1e-6,
                 reduction: str = "mean") -> None:
        super().__init__(None, None, reduction)
        self.full = full
        self.eps = eps

    def forward(self, input: Tensor, target: Tensor, var) -> Tensor:
        """Compute the loss."""
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence with log-probability inputs (see ``F.kl_div``).

    Args:
        reduction: ``'none'`` | ``'batchmean'`` | ``'mean'`` | ``'sum'``; ``'batchmean'`` is
            the mathematical KL divergence.
        log_target: whether the target is given as log-probabilities.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> p = torch.tensor([[0.25, 0.75]])
        >>> nn.KLDivLoss(reduction='batchmean')(p.log(), p)
        tensor(0.)
    """

    __constants__ = ("reduction",)

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Compute the loss."""
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities, logs clamped at -100 (see
    ``F.binary_cross_entropy``).

    Args:
        weight: optional weights broadcast to the input's shape (a buffer).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.BCELoss()(torch.tensor([0.5]), torch.tensor([1.0]))
        tensor(0.6931)
    """

    __constants__ = ("reduction",)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Compute the loss."""
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid and binary cross-entropy in one stable op (see
    ``F.binary_cross_entropy_with_logits``).

    Args:
        weight: optional weights broadcast to the input's shape (a buffer).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        pos_weight: optional weight of positive examples per class (a buffer).
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.BCEWithLogitsLoss()(torch.tensor([0.0]), torch.tensor([1.0]))
        tensor(0.6931)
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None,
                 reduction: str = "mean", pos_weight: Tensor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Compute the loss."""
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  pos_weight=self.pos_weight,
                                                  reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Smooth L1 loss: quadratic below ``beta``, linear above (see ``F.smooth_l1_loss``).

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        beta: where the loss turns linear (non-negative).
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.SmoothL1Loss()(torch.tensor([0.5, 3.0]), torch.zeros(2))
        tensor(1.3125)
    """

    __constants__ = ("reduction",)

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Compute the loss."""
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Huber loss: quadratic below ``delta``, linear above (see ``F.huber_loss``).

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        delta: where the loss turns linear (positive).

    Shape:
        input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.HuberLoss(delta=2.0)(torch.tensor([0.5, 3.0]), torch.zeros(2))
        tensor(2.0625)
    """

    __constants__ = ("reduction", "delta")

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        if isinstance(delta, bool) or not isinstance(delta, (float, int)):
            raise TypeError(f"delta must be a float or int, got: {type(delta)}")
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Compute the loss."""
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


# the margin and embedding losses live in loss_margin.py (they need _Loss, defined above)
from .loss_margin import (  # noqa: E402
    CosineEmbeddingLoss,
    HingeEmbeddingLoss,
    MarginRankingLoss,
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    SoftMarginLoss,
    TripletMarginLoss,
    TripletMarginWithDistanceLoss,
)
