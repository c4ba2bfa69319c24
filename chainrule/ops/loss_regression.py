"""Regression and distribution losses: ``mse_loss``, ``l1_loss``, ``huber_loss``,
``smooth_l1_loss``, ``kl_div``, ``poisson_nll_loss``, ``gaussian_nll_loss``.

MSE, Huber and smooth-L1 are primitives (PyTorch's ``MseLossBackward0``…); the others are
composites of tensor ops, as in PyTorch, so their graphs and ``grad_fn`` names match.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_ENABLED
from ._util import binary_dtype, check_tensor
from .loss import apply_reduction, const, resolve_reduction, type_name
from .loss_distance import ClampMinForward

# the names PyTorch also exposes as ``torch.xxx`` (all are in ``chainrule.nn.functional``)
__all__ = ["kl_div", "poisson_nll_loss"]


def _check_pair(input, target, fn: str) -> np.dtype:
    """Check two tensors, warn like PyTorch when their shapes differ (they broadcast), and
    return the floating dtype of the result."""
    check_tensor(input, fn)
    check_tensor(target, fn, "target")
    if input.shape != target.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=3)
        try:
            np.broadcast_shapes(input._data.shape, target._data.shape)
        except ValueError:
            a, b = input._data.shape, target._data.shape
            k = next(i for i in range(1, min(len(a), len(b)) + 1)
                     if a[-i] != b[-i] and 1 not in (a[-i], b[-i]))
            raise RuntimeError(f"The size of tensor a ({a[-k]}) must match the size of tensor b "
                               f"({b[-k]}) at non-singleton dimension {len(a) - k}") from None
    dt = binary_dtype(input, target)
    if dt.kind != "f":
        raise NotImplementedError(f"{fn}: expected floating point input and target, but got "
                                  f"{type_name(input)} and {type_name(target)}")
    return dt


def _weighted(loss: Tensor, weight, input: Tensor, reduction: str, mean_by_weight: bool):
    """PyTorch 2.13's elementwise ``weight`` for mse/l1/huber: ``'mean'`` divides by the summed
    weights (mse, l1) or by the number of elements (huber)."""
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return apply_reduction(loss, reduction)


class _PairLoss(Function):
    """An elementwise loss of ``d = input - target`` whose gradient is ``dloss(d)``, with the
    reduction folded in. Subclasses give ``value(d, param)`` and ``slope(d, param)``; the slope
    is written with tensor ops so that it is differentiable itself."""

    raw = True

    @staticmethod
    def value(d, param):
        raise NotImplementedError

    @staticmethod
    def slope(d, param):
        raise NotImplementedError

    @classmethod
    def forward(cls, ctx, x, y, dt, reduction, param):
        d = np.subtract(x, y, dtype=dt)
        loss = cls.value(d, param)
        if reduction == "mean":
            loss = loss.mean() if loss.size else np.array(np.nan, dt)
        elif reduction == "sum":
            loss = loss.sum()
        ctx.save_for_backward(x, y)
        ctx.args = (reduction, param, d.size)
        return np.asarray(loss, dtype=dt)

    @classmethod
    def backward(cls, ctx, g):
        x, y = ctx.saved_tensors
        reduction, param, n = ctx.args
        nx, ny = ctx.needs_input_grad[:2]
        scale = 1.0 / n if reduction == "mean" and n else 1.0
        if GRAD_ENABLED[0]:
            gx = cls.slope(x - y, param) * (g * scale)
        else:
            d = Tensor._make(np.subtract(x._data, y._data, dtype=g._data.dtype))
            gx = Tensor._make(cls.slope(d, param)._data * (g._data * scale))
        return (gx if nx else None), (-gx if ny else None), None, None, None


class MseLoss(_PairLoss):
    """``d ** 2``; slope ``2 d``."""

    node_name = "MseLossBackward0"

    @staticmethod
    def value(d, param):
        return d * d

    @staticmethod
    def slope(d, param):
        return d * 2.0


class HuberLoss(_PairLoss):
    """``0.5 d ** 2`` inside ``|d| < delta``, ``delta * (|d| - delta / 2)`` outside; slope
    ``clamp(d, -delta, delta)``."""

    node_name = "HuberLossBackward0"

    @staticmethod
    def value(d, delta):
        ad = np.abs(d)
        return np.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))

    @staticmethod
    def slope(d, delta):
        return d.clamp(-delta, delta)


class SmoothL1Loss(_PairLoss):
    """``0.5 d ** 2 / beta`` inside ``|d| < beta``, ``|d| - beta / 2`` outside; slope
    ``clamp(d / beta, -1, 1)``."""

    node_name = "SmoothL1LossBackward0"

    @staticmethod
    def value(d, beta):
        ad = np.abs(d)
        return np.where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta)

    @staticmethod
    def slope(d, beta):
        return (d / beta).clamp(-1.0, 1.0)


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error: the reduction of ``(input - target) ** 2``.

    Different shapes broadcast, with PyTorch's warning.

    Args:
        input: predictions.
        target: targets, same shape as ``input``.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        weight: optional elementwise weights of the input's shape; ``'mean'`` then divides by
            their sum.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.mse_loss(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 4.0]))
        tensor(2.5000)
    """
    dt = _check_pair(input, target, "mse_loss")
    reduction = resolve_reduction(reduction, size_average, reduce)
    if weight is not None:
        return _weighted(MseLoss.apply(input, target, dt, "none", None), weight, input,
                         reduction, True)
    return MseLoss.apply(input, target, dt, reduction, None)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error: the reduction of ``|input - target|``.

    Args:
        input: predictions.
        target: targets, same shape as ``input`` (different shapes broadcast, with a warning).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        weight: optional elementwise weights of the input's shape; ``'mean'`` then divides by
            their sum.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.l1_loss(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 4.0]))
        tensor(1.5000)
    """
    _check_pair(input, target, "l1_loss")
    reduction = resolve_reduction(reduction, size_average, reduce)
    loss = (input - target).abs()
    if weight is not None:
        return _weighted(loss, weight, input, reduction, True)
    return apply_reduction(loss, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """Huber loss: quadratic ``0.5 d**2`` for ``|d| < delta``, linear
    ``delta * (|d| - delta / 2)`` beyond, with ``d = input - target``.

    Args:
        input: predictions.
        target: targets, same shape as ``input`` (different shapes broadcast, with a warning).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        delta: where the loss turns linear; must be positive.
        weight: optional elementwise weights of the input's shape.

    Shape:
        input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.huber_loss(torch.tensor([0.5, 3.0]), torch.zeros(2), reduction='none')
        tensor([0.1250, 2.5000])
    """
    dt = _check_pair(input, target, "huber_loss")
    reduction = resolve_reduction(reduction)
    if not delta > 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        return _weighted(HuberLoss.apply(input, target, dt, "none", float(delta)), weight,
                         input, reduction, False)
    return HuberLoss.apply(input, target, dt, reduction, float(delta))


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1 loss: ``0.5 d**2 / beta`` for ``|d| < beta``, ``|d| - beta / 2`` beyond.

    ``beta = 0`` gives ``l1_loss``; ``huber_loss(delta=b) == b * smooth_l1_loss(beta=b)``.

    Args:
        input: predictions.
        target: targets, same shape as ``input`` (different shapes broadcast, with a warning).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        beta: where the loss turns linear; must be non-negative.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.smooth_l1_loss(torch.tensor([0.5, 3.0]), torch.zeros(2), reduction='none')
        tensor([0.1250, 2.5000])
    """
    dt = _check_pair(input, target, "smooth_l1_loss")
    reduction = resolve_reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return apply_reduction((input - target).abs(), reduction)
    return SmoothL1Loss.apply(input, target, dt, reduction, float(beta))


def _xlogy_self(t: Tensor) -> Tensor:
    """``t * log(t)`` with 0 where ``t == 0``, and a finite gradient there."""
    from .indexing import where

    positive = t > 0
    return where(positive, t * where(positive, t, 1.0).log(), 0.0)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence ``target * (log(target) - input)`` with ``input`` given as
    log-probabilities (and ``target`` too when ``log_target``).

    ``reduction='batchmean'`` divides the sum by the batch size, which is the mathematical KL
    divergence; ``'mean'`` divides by the number of elements (PyTorch warns about it).

    Args:
        input: log-probabilities.
        target: probabilities, or log-probabilities with ``log_target=True``.
        reduction: ``'none'`` | ``'batchmean'`` | ``'mean'`` | ``'sum'``.
        log_target: whether ``target`` is in log space.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(*)``, target of the same shape; output scalar, or ``(*)`` with ``'none'``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> p = torch.tensor([[0.5, 0.5]])
        >>> F.kl_div(p.log(), p, reduction='batchmean')
        tensor(0.)
    """
    check_tensor(input, "kl_div")
    check_tensor(target, "kl_div", "target")
    if input._data.dtype.kind != "f" or target._data.dtype.kind != "f":
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if size_average is not None or reduce is not None:
        reduction = resolve_reduction(reduction, size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and "
                          "the support size.'batchmean' divides only by the batch size, and "
                          "aligns with the KL div math definition.'mean' will be changed to "
                          "behave the same as 'batchmean' in the next major release.",
                          UserWarning, stacklevel=2)
        resolve_reduction(reduction, extra=("batchmean",))
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _xlogy_self(target) - target * input
    if reduction == "batchmean":
        out = loss.sum()
        return out / input.shape[0] if input._data.ndim else out
    return apply_reduction(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target`` under a Poisson distribution of rate ``input``.

    ``exp(input) - target * input`` with ``log_input`` (the input is the log-rate), else
    ``input - target * log(input + eps)``; ``full`` adds the Stirling approximation of
    ``log(target!)`` for targets above 1.

    Args:
        input: log-rates (``log_input=True``) or rates.
        target: observed counts, same shape.
        log_input: whether ``input`` is the log of the rate.
        full: add the Stirling term.
        eps: keeps ``log`` finite when ``log_input=False``.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(*)``, target ``(*)``; output scalar, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.poisson_nll_loss(torch.tensor([0.0]), torch.tensor([1.0]))
        tensor(1.)
    """
    check_tensor(input, "poisson_nll_loss")
    check_tensor(target, "poisson_nll_loss", "target")
    reduction = resolve_reduction(reduction, size_average, reduce)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        tv = target._data.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            stirling = tv * np.log(tv) - tv + 0.5 * np.log(2 * math.pi * tv)
        stirling = np.where(tv <= 1, 0.0, stirling)
        if target._requires_grad:
            from .indexing import where

            safe = where(target > 1, target, 2.0)
            term = safe * safe.log() - safe + (safe * (2 * math.pi)).log() * 0.5
            loss = loss + where(target > 1, term, 0.0)
        else:
            loss = loss + const(stirling, loss._data.dtype)
    return apply_reduction(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target`` under a Gaussian of mean ``input`` and variance
    ``var``: ``0.5 * (log(var) + (input - target)**2 / var)`` (+ ``0.5 log(2 pi)`` if
    ``full``).

    ``var`` may have the input's shape, one dimension fewer, or one dimension of size 1
    (homoscedastic); it is clamped to ``eps`` without affecting its gradient.

    Args:
        input: predicted means.
        target: observations.
        var: predicted variances (a tensor or a float).
        full: add the constant term.
        eps: lower clamp of ``var`` for stability.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Shape:
        input ``(N, *)``, target ``(N, *)``, var ``(N, *)``, ``(N, *, 1)`` or ``(N, *)`` minus
        the last dim; output scalar, or ``(N, *)`` with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.gaussian_nll_loss(torch.tensor([1.0]), torch.tensor([1.0]), torch.tensor([1.0]))
        tensor(0.)
    """
    check_tensor(input, "gaussian_nll_loss")
    check_tensor(target, "gaussian_nll_loss", "target")
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = const(np.full(input._data.shape, var), input._data.dtype)
    elif bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (input._data.ndim == var._data.ndim and sum(
                y for x, y in zip(input.shape, var.shape) if x != y) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = ClampMinForward.apply(var, float(eps))  # PyTorch clamps under no_grad
    loss = (var.log() + (input - target) ** 2 / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return apply_reduction(loss, reduction)

