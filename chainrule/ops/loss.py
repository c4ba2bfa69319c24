"""Classification losses: ``cross_entropy`` (one fused, numerically stable primitive) and
``nll_loss``, plus the reduction and argument handling every loss shares.

Each loss takes ``reduction='none' | 'mean' | 'sum'`` and PyTorch's legacy ``size_average`` /
``reduce`` flags (mapped onto ``reduction`` with PyTorch's warning). The other families live in
``loss_regression`` (MSE, L1, Huber, KL…), ``loss_binary`` (BCE…), ``loss_margin`` (hinge and
ranking losses) and ``loss_distance`` (distances the embedding losses use).

Primitives whose backward is on a hot path (cross-entropy, NLL) compute their gradient on raw
arrays when no graph of the backward pass is being built, and with differentiable tensor ops
when it is (``create_graph=True``), so double backward works; tests check both paths.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_ENABLED
from ..backend import array_module
from ._util import binary_dtype, check_tensor

# the names PyTorch also exposes as ``torch.xxx`` (all are in ``chainrule.nn.functional``)
__all__: list = []

_REDUCTIONS = ("none", "mean", "sum")


# ---- shared helpers ---------------------------------------------------------------------------
def legacy_reduction(size_average, reduce, emit_warning: bool = True) -> str:
    """Map PyTorch's deprecated ``size_average`` / ``reduce`` flags onto a ``reduction`` string.

    Example:
        >>> from chainrule.ops.loss import legacy_reduction
        >>> legacy_reduction(False, None, emit_warning=False)
        'sum'
    """
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else ("sum" if reduce else "none")
    if emit_warning:
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      f"reduction='{ret}' instead.", UserWarning, stacklevel=4)
    return ret


def resolve_reduction(reduction: str, size_average=None, reduce=None, extra: tuple = ()) -> str:
    """The effective reduction: legacy flags win (with a warning); unknown names raise.

    Example:
        >>> from chainrule.ops.loss import resolve_reduction
        >>> resolve_reduction("sum")
        'sum'
    """
    if size_average is not None or reduce is not None:
        return legacy_reduction(size_average, reduce)
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' "
                      "instead.", UserWarning, stacklevel=3)
        return "mean"
    if reduction not in _REDUCTIONS and reduction not in extra:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def apply_reduction(loss: Tensor, reduction: str) -> Tensor:
    """``loss.mean()``, ``loss.sum()`` or ``loss`` itself for ``'none'``."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def type_name(t: Tensor) -> str:
    """PyTorch's short dtype name (``'Float'``, ``'Long'``…) for messages."""
    from .._tensor import _TYPE_NAMES

    return _TYPE_NAMES[t.dtype.name]


def check_float_input(input: Tensor, fn: str) -> None:
    """Raise for an integer or bool loss input (there is no gradient to learn from)."""
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"{fn}: expected a floating point input, but got "
                                  f"{type_name(input)}")


def const(arr, dtype) -> Tensor:
    """A constant tensor (outside the graph) holding ``arr`` cast to ``dtype``."""
    return Tensor._make(np.asarray(arr, dtype=dtype))


def _cdim(ndim: int) -> int:
    """The class dimension: 0 for an unbatched ``(C,)`` input, else 1."""
    return 0 if ndim == 1 else 1


def _pick(arr, tt, cdim: int):
    """``arr`` at the target classes: ``arr[n, t[n, ...], ...]`` with the shape of ``tt``."""
    if arr.ndim == 1:
        return arr[tt]
    if arr.ndim == 2:
        return arr[np.arange(arr.shape[0]), tt]
    return np.take_along_axis(arr, tt[:, None], 1).squeeze(1)


def _scatter(shape, tt, values, dtype) -> np.ndarray:
    """Zeros of ``shape`` with ``values`` at the target classes (each place written once)."""
    out = np.zeros(shape, dtype=dtype)
    if len(shape) == 1:
        out[tt] = values
    elif len(shape) == 2:
        out[np.arange(shape[0]), tt] = values
    else:
        np.put_along_axis(out, tt[:, None], values[:, None], 1)
    return out


def _class_targets(input: Tensor, target: Tensor, weight, ignore_index: int, fn: str):
    """Validate class-index targets as PyTorch's ``nll_loss_nd`` does.

    Returns ``(target array with a batch shape, weight array or None)``.
    """
    check_float_input(input, fn)
    check_tensor(target, fn, "target")
    x, t = input._data, target._data
    if x.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {x.ndim})")
    if t.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{type_name(target)}")
    if x.ndim != 1 and x.shape[0] != (t.shape[0] if t.ndim else None):
        got = t.shape[0] if t.ndim else "none: the target is 0-d"
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size "
                         f"({got}).")
    if x.ndim <= 2:
        if t.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if x.ndim == 1 and t.ndim == 1:
            if t.shape[0] != 1:
                raise ValueError(f"For 1D input, 1D target must have size 1, but got target "
                                 f"size: {t.shape[0]}")
            t = t.reshape(())
    elif t.shape[1:] != x.shape[2:] or t.ndim != x.ndim - 1:
        raise RuntimeError(f"Expected target size {[x.shape[0], *x.shape[2:]]}, got "
                           f"{list(t.shape)}")
    n_classes = x.shape[_cdim(x.ndim)]
    w = None
    if weight is not None:
        check_tensor(weight, fn, "weight")
        if weight._data.ndim != 1 or weight._data.size != n_classes:
            raise RuntimeError(f"weight tensor should be defined either for all {n_classes} "
                               f"classes or no classes but got weight tensor of shape: "
                               f"{list(weight.shape)}")
        w = weight._data.astype(x.dtype, copy=False)
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= n_classes)) if t.dtype != np.uint8 else valid & (
        t >= n_classes)
    if bad.any():
        raise IndexError(f"Target {int(t[bad].flat[0])} is out of bounds.")
    return t, w


def _backward_grad(g: Tensor, coef, reduction: str, cdim: int, ndim: int):
    """Upstream gradient times the per-sample ``coef``, shaped to broadcast over classes.

    A raw array on the fast path, a differentiable tensor when building a graph.
    """
    if GRAD_ENABLED[0]:
        a = g * const(coef, g._data.dtype)
        return a.unsqueeze(cdim) if ndim > 1 else a
    a = g._data * coef
    return a[:, None] if ndim > 1 else a  # the class dim is 1


# ---- cross-entropy over class indices: one fused primitive ------------------------------------
class CrossEntropy(Function):
    """Fused log-softmax and negative log-likelihood over class indices, with class weights,
    an ignored index and label smoothing. The gradient is ``a * (softmax * sum(q) - q)`` where
    ``q`` is the weighted, smoothed target distribution and ``a`` the per-sample scale."""

    raw = True
    node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, t, w, ignore_index, reduction, eps):
        xp = array_module(x)
        cdim = _cdim(x.ndim)
        n_classes = x.shape[cdim]
        valid = t != ignore_index
        if x.ndim == 2 and w is None and eps == 0 and reduction != "none" and x.size and (
                valid.all()):
            return _plain_forward(ctx, x, t, reduction)
        tt = xp.where(valid, t, 0).astype(np.intp)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            z = x - x.max(axis=cdim, keepdims=True) if x.size else x.copy()
            e = xp.exp(z)
            s = e.sum(axis=cdim, keepdims=True)
            lse = xp.log(s).squeeze(cdim)
            nll = lse - _pick(z, tt, cdim)  # -log p[target]
            base = valid.astype(x.dtype) if w is None else xp.where(valid, w[tt], 0)
            loss = base * nll if eps == 0 else (1 - eps) * base * nll
            if eps > 0:
                if w is None:
                    smooth = n_classes * lse - z.sum(axis=cdim)
                else:
                    wb = w.reshape((-1,) + (1,) * (x.ndim - 1 - cdim))
                    smooth = lse * w.sum() - (z * wb).sum(axis=cdim)
                loss = loss + (eps / n_classes) * valid * smooth
            if reduction == "none":
                out, coef = loss, valid.astype(x.dtype)
            else:
                out = loss.sum()
                coef = valid.astype(x.dtype)
                if reduction == "mean":
                    denom = base.sum()
                    out = out / denom
                    coef = coef / denom
        ctx.save_for_backward(x, e, s)
        ctx.args = (tt, w, base, coef, reduction, eps)
        return np.asarray(out, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, e, s = ctx.saved_tensors
        tt, w, base, coef, reduction, eps = ctx.args
        if not ctx.needs_input_grad[0]:
            return (None,) * 6
        if base is None:  # saved by _plain_forward
            if not GRAD_ENABLED[0]:
                return _plain_backward(g, e._data, s._data, tt, coef), None, None, None, None, None
            base = np.ones(tt.shape, x._data.dtype)
            coef = base * coef
        ndim = x._data.ndim
        cdim = _cdim(ndim)
        n_classes = x._data.shape[cdim]
        dt = x._data.dtype
        # q = (1 - eps) * w[t] * onehot(t) + eps / C * w ; qsum is its sum over classes
        target_part = base if eps == 0 else (1 - eps) * base
        qsum = target_part + (eps / n_classes) * (n_classes if w is None else w.sum())
        a = _backward_grad(g, coef, reduction, cdim, ndim)
        wb = None if w is None else w.reshape((-1,) + (1,) * (ndim - 1 - cdim))
        if GRAD_ENABLED[0]:  # differentiable form for double backward
            from .softmax import log_softmax

            q = _scatter(x._data.shape, tt, target_part, dt)
            if eps > 0:
                q = q + (eps / n_classes) * (1.0 if wb is None else wb)
            soft = log_softmax(x, cdim).exp()
            qs = qsum[:, None] if ndim > 1 else qsum
            return (soft * const(qs, dt) - const(q, dt)) * a, None, None, None, None, None
        with np.errstate(divide="ignore", invalid="ignore"):
            gx = e._data * ((a * (qsum[:, None] if ndim > 1 else qsum)) / s._data)
            sub = (a.squeeze(cdim) if ndim > 1 else a) * target_part
            _subtract_at(gx, tt, sub)
            if eps > 0:
                gx -= a * (eps / n_classes) * (1.0 if wb is None else wb)
        return Tensor._make(gx.astype(dt, copy=False)), None, None, None, None, None


def _plain_forward(ctx, x, t, reduction: str) -> np.ndarray:
    """``CrossEntropy.forward`` in the common case, in fewer passes: 2-D logits, every target
    valid, no class weight or smoothing, a reduced loss. ``ctx.args`` holds ``base=None``
    and the scalar ``coef`` (1 or 1/N) that ``_plain_backward`` expects."""
    xp = array_module(x)
    n = x.shape[0]
    tt = t.astype(np.intp, copy=False)
    # the row maxima over few classes: a long reduction over the transposed copy is ~5x
    # faster than NumPy's many short ones (max is exact, so the result is the same)
    m = xp.ascontiguousarray(x.T).max(0) if x.shape[1] < 64 else x.max(1)
    with np.errstate(invalid="ignore", over="ignore"):
        z = x - m[:, None]
        e = xp.exp(z)
        s = e.sum(axis=1, keepdims=True)
        nll = xp.log(s[:, 0]) - z[xp.arange(n), tt]
    loss = nll.sum()
    coef = x.dtype.type(1)
    if reduction == "mean":
        coef = coef / x.dtype.type(n)
        loss = loss / x.dtype.type(n)
    ctx.save_for_backward(x, e, s)
    ctx.args = (tt, None, None, coef, reduction, 0.0)
    return np.asarray(loss, dtype=x.dtype)


def _plain_backward(g: Tensor, e: np.ndarray, s: np.ndarray, tt: np.ndarray, coef) -> Tensor:
    """The gradient of ``_plain_forward``: ``a * (softmax - onehot(t))`` with ``a = g * coef``."""
    a = g._data * coef
    gx = e * (a / s)
    gx[array_module(e).arange(tt.shape[0]), tt] -= a
    return Tensor._make(gx.astype(e.dtype, copy=False))


def _subtract_at(arr: np.ndarray, tt, values) -> None:
    """``arr[n, t[n, ...], ...] -= values`` in place (each place is hit once)."""
    if arr.ndim == 1:
        arr[tt] -= values
    elif arr.ndim == 2:
        arr[np.arange(arr.shape[0]), tt] -= values
    else:
        idx = tt[:, None]
        picked = np.take_along_axis(arr, idx, 1)
        np.put_along_axis(arr, idx, picked - values[:, None], 1)


class CrossEntropy2d(CrossEntropy):
    """``CrossEntropy`` on inputs with spatial dimensions (PyTorch names it NllLoss2d)."""

    node_name = "NllLoss2DBackward0"


# ---- cross-entropy with class-probability targets -------------------------------------------
class SoftCrossEntropy(Function):
    """Fused log-softmax and cross-entropy against class probabilities (soft labels),
    differentiable with respect to both the logits and the target probabilities."""

    raw = True
    node_name = "CrossEntropyLossBackward0"

    @staticmethod
    def forward(ctx, x, t, w, reduction, eps):
        xp = array_module(x)
        cdim = _cdim(x.ndim)
        n_classes = x.shape[cdim]
        wb = None if w is None else w.reshape((-1,) + (1,) * (x.ndim - 1 - cdim))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            z = x - x.max(axis=cdim, keepdims=True) if x.size else x.copy()
            logp = z - xp.log(xp.exp(z).sum(axis=cdim, keepdims=True))
            q = t if eps <= 0 else t * (1 - eps) + eps / n_classes
            if wb is not None:
                q = q * wb
            loss = -(logp * q).sum(axis=cdim)
            coef = 1.0
            if reduction != "none":
                loss = loss.sum()
                if reduction == "mean":
                    coef = 1.0 / (x.size // n_classes) if x.size else np.nan
                    loss = loss * coef
        ctx.save_for_backward(x, t, logp)
        ctx.args = (wb, reduction, eps)
        return np.asarray(loss, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, t, logp = ctx.saved_tensors
        wb, reduction, eps = ctx.args
        ndim = x._data.ndim
        cdim = _cdim(ndim)
        n_classes = x._data.shape[cdim]
        dt = x._data.dtype
        nx, nt = ctx.needs_input_grad[:2]
        coef = 1.0 / (x._data.size // n_classes) if reduction == "mean" and x._data.size else 1.0
        if GRAD_ENABLED[0]:
            from .softmax import log_softmax

            a = g * coef
            if reduction == "none" and ndim > 1:
                a = a.unsqueeze(cdim)
            lp = log_softmax(x, cdim)
            q = t if eps <= 0 else t * (1 - eps) + eps / n_classes
            w = 1.0 if wb is None else const(wb, dt)
            q = q * w
            gx = (lp.exp() * q.sum(cdim, keepdim=True) - q) * a if nx else None
            gt = lp * w * a * (eps - 1) if nt else None
            return gx, gt, None, None, None
        a = g._data * coef
        if reduction == "none" and ndim > 1:
            a = a[:, None]
        lp, tv = logp._data, t._data
        w = 1.0 if wb is None else wb
        gx = gt = None
        if nx:
            q = (tv if eps <= 0 else tv * (1 - eps) + eps / n_classes) * w
            gx = Tensor._make(((np.exp(lp) * q.sum(axis=cdim, keepdims=True) - q) * a
                               ).astype(dt, copy=False))
        if nt:
            gt = Tensor._make((lp * w * a * (eps - 1)).astype(dt, copy=False))
        return gx, gt, None, None, None


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between logits and targets: ``log_softmax`` and ``nll_loss`` in one fused,
    numerically stable op.

    ``target`` holds class indices (int64, shape ``(N, d1, ...)``) or, when it has the input's
    shape, class probabilities. For indices the per-element loss is
    ``-w[t] * log_softmax(x)[t]`` (mixed with ``-sum_c w[c] log_softmax(x)[c] / C`` by
    ``label_smoothing``), and ``'mean'`` divides by the summed weights of the targets that are
    not ``ignore_index``. For probabilities ``'mean'`` divides by the number of samples.

    Args:
        input: unnormalised logits, ``(N, C)``, ``(N, C, d1, ...)`` or unbatched ``(C,)``.
        target: class indices ``(N, d1, ...)`` (or ``()``) in ``[0, C)``, or probabilities of
            the input's shape.
        weight: optional rescaling weight for each class, shape ``(C,)``.
        ignore_index: target value that contributes neither loss nor gradient (indices only).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        label_smoothing: in ``[0, 1]``; mixes the target with the uniform distribution.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(N, C, *)``, target ``(N, *)`` or ``(N, C, *)``; output scalar, or ``(N, *)``
        with ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 3.0]], requires_grad=True)
        >>> loss = F.cross_entropy(logits, torch.tensor([0, 2]))
        >>> round(loss.item(), 4)
        0.1672
        >>> loss.backward(); logits.grad.shape
        torch.Size([2, 3])
    """
    check_tensor(input, "cross_entropy")
    check_tensor(target, "cross_entropy", "target")
    reduction = resolve_reduction(reduction, size_average, reduce)
    eps = float(label_smoothing)
    if input.shape == target.shape:
        return _soft_cross_entropy(input, target, weight, ignore_index, reduction, eps)
    if eps > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {eps}")
    t, w = _class_targets(input, target, weight, ignore_index, "cross_entropy")
    fn = CrossEntropy2d if input._data.ndim > 2 else CrossEntropy
    return fn.apply(input, t, w, int(ignore_index), reduction, max(eps, 0.0))


def _soft_cross_entropy(input, target, weight, ignore_index, reduction, eps) -> Tensor:
    check_float_input(input, "cross_entropy")
    if target._data.dtype.kind != "f":
        raise RuntimeError(f"Expected floating point type for target with class probabilities, "
                           f"got {type_name(target)}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    if eps > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {eps}")
    if input._data.ndim < 1:
        raise ValueError("cross_entropy: expected an input with a class dimension, got a 0-d "
                         "tensor")
    n_classes = input.shape[_cdim(input._data.ndim)]
    dt = binary_dtype(input, target)
    input, target = input.to(_as_dtype(dt)), target.to(_as_dtype(dt))
    w = None
    if weight is not None:
        check_tensor(weight, "cross_entropy", "weight")
        if weight._data.ndim != 1 or weight._data.size != n_classes:
            raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all "
                               f"{n_classes} classes or no classes but got weight tensor of "
                               f"shape: {list(weight.shape)}")
        w = weight._data.astype(dt, copy=False)
    return SoftCrossEntropy.apply(input, target, w, reduction, max(eps, 0.0))


def _as_dtype(npd):
    from .._dtypes import from_numpy_dtype

    return from_numpy_dtype(np.dtype(npd))


# ---- negative log-likelihood -----------------------------------------------------------------
class NllLoss(Function):
    """``-w[t] * input[t]`` over class indices, with class weights and an ignored index."""

    raw = True
    node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, t, w, ignore_index, reduction):
        xp = array_module(x)
        cdim = _cdim(x.ndim)
        valid = t != ignore_index
        tt = xp.where(valid, t, 0).astype(np.intp)
        base = valid.astype(x.dtype) if w is None else xp.where(valid, w[tt], 0)
        loss = -base * _pick(x, tt, cdim) if x.size else np.zeros(t.shape, x.dtype)
        coef = valid.astype(x.dtype)
        if reduction != "none":
            loss = loss.sum()
            if reduction == "mean":
                with np.errstate(divide="ignore", invalid="ignore"):
                    denom = base.sum()
                    loss = loss / denom
                    coef = coef / denom
        ctx.args = (x.shape, tt, base * coef, reduction)
        return np.asarray(loss, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        shape, tt, scale, reduction = ctx.args
        if not ctx.needs_input_grad[0]:
            return (None,) * 5
        dt = g._data.dtype
        cdim = _cdim(len(shape))
        if GRAD_ENABLED[0]:  # linear in g: a constant pattern times the upstream gradient
            gb = g.unsqueeze(cdim) if reduction == "none" and len(shape) > 1 else g
            return gb * const(_scatter(shape, tt, -scale, dt), dt), None, None, None, None
        gv = -(g._data * scale)
        return Tensor._make(_scatter(shape, tt, gv, dt)), None, None, None, None


class NllLoss2d(NllLoss):
    """``NllLoss`` on inputs with spatial dimensions."""

    node_name = "NllLoss2DBackward0"


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices under log-probabilities ``input``.

    The per-element loss is ``-weight[t] * input[n, t]``; ``'mean'`` divides by the summed
    weights of the targets that are not ``ignore_index``. Use it after ``log_softmax``
    (``cross_entropy`` fuses the two).

    Args:
        input: log-probabilities ``(N, C)``, ``(N, C, d1, ...)`` or unbatched ``(C,)``.
        target: class indices (int64) ``(N,)``, ``(N, d1, ...)`` or ``()``.
        weight: optional rescaling weight for each class, shape ``(C,)``.
        ignore_index: target value that contributes neither loss nor gradient.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        size_average, reduce: deprecated; mapped onto ``reduction`` with a warning.

    Shape:
        input ``(N, C, *)``, target ``(N, *)``; output scalar, or ``(N, *)`` with
        ``reduction='none'``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> logp = torch.tensor([[-0.1, -2.4], [-1.6, -0.2]])
        >>> F.nll_loss(logp, torch.tensor([0, 1]), reduction='none')
        tensor([0.1000, 0.2000])
    """
    check_tensor(input, "nll_loss")
    reduction = resolve_reduction(reduction, size_average, reduce)
    t, w = _class_targets(input, target, weight, ignore_index, "nll_loss")
    fn = NllLoss2d if input._data.ndim > 2 else NllLoss
    return fn.apply(input, t, w, int(ignore_index), reduction)
