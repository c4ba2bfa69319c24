"""Keras's loss functions on chainrule tensors: ``(y_true, y_pred)`` → per-sample values
(the mean over the last axis for element-wise losses), with Keras's formulas, clipping and
shape checks. ``keras.losses`` re-exports them and wraps them in ``Loss`` objects."""

from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ..nn import functional as F
from .backend import epsilon

__all__ = ["binary_crossentropy", "categorical_crossentropy", "categorical_hinge",
           "cosine_similarity", "hinge", "huber", "kl_divergence", "log_cosh", "match_ranks",
           "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
           "mean_squared_logarithmic_error", "poisson", "sparse_categorical_crossentropy",
           "sparse_labels", "squared_hinge"]


def _t(x, dtype=np.float32) -> Tensor:
    if isinstance(x, Tensor):
        if dtype == np.float32 and not x.is_floating_point():
            return x.float()
        return x
    return Tensor._make(np.ascontiguousarray(np.asarray(x, dtype=dtype)))


def _shape(t: Tensor) -> tuple:
    return tuple(t.shape)


def match_ranks(y_true: Tensor, y_pred: Tensor, name: str) -> Tensor:
    """Squeeze or expand a trailing axis of size 1 so ``y_true`` has ``y_pred``'s rank, then
    check the shapes agree (Keras's ``squeeze_or_expand_to_same_rank``).

    Example:
        >>> import chainrule as torch
        >>> match_ranks(torch.zeros(4), torch.zeros(4, 1), "mse").shape
        torch.Size([4, 1])
    """
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_true = y_true.unsqueeze(-1)
    if _shape(y_true) != _shape(y_pred):
        try:
            np.broadcast_shapes(_shape(y_true), _shape(y_pred))
            ok = y_true.ndim == y_pred.ndim
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"{name}: y_true and y_pred have incompatible shapes. Received: "
                             f"y_true.shape={_shape(y_true)}, y_pred.shape={_shape(y_pred)}")
    return y_true


def mean_squared_error(y_true, y_pred) -> Tensor:
    """``mean((y_true - y_pred) ** 2, axis=-1)``.

    Example:
        >>> import numpy as np
        >>> mean_squared_error(np.array([[0.0, 0.0]]), np.array([[1.0, 3.0]])).tolist()
        [5.0]
    """
    y_pred = _t(y_pred)
    y_true = match_ranks(_t(y_true), y_pred, "mean_squared_error")
    d = y_pred - y_true
    return (d * d).mean(-1)


def mean_absolute_error(y_true, y_pred) -> Tensor:
    """``mean(|y_true - y_pred|, axis=-1)``.

    Example:
        >>> import numpy as np
        >>> mean_absolute_error(np.array([[0.0, 0.0]]), np.array([[1.0, -3.0]])).tolist()
        [2.0]
    """
    y_pred = _t(y_pred)
    y_true = match_ranks(_t(y_true), y_pred, "mean_absolute_error")
    return (y_pred - y_true).abs().mean(-1)


def mean_absolute_percentage_error(y_true, y_pred) -> Tensor:
    """``100 * mean(|(y_true - y_pred) / max(|y_true|, eps)|, axis=-1)``.

    Example:
        >>> import numpy as np
        >>> mean_absolute_percentage_error(np.array([[2.0]]), np.array([[1.0]])).tolist()
        [50.0]
    """
    y_pred = _t(y_pred)
    y_true = match_ranks(_t(y_true), y_pred, "mean_absolute_percentage_error")
    diff = ((y_true - y_pred) / y_true.abs().clamp(min=epsilon())).abs()
    return diff.mean(-1) * 100.0


def mean_squared_logarithmic_error(y_true, y_pred) -> Tensor:
    """``mean((log(y_pred + 1) - log(y_true + 1)) ** 2, axis=-1)`` (values clipped at eps).

    Example:
        >>> import numpy as np
        >>> mean_squared_logarithmic_error(np.array([[1.0]]), np.array([[1.0]])).tolist()
        [0.0]
    """
    y_pred = _t(y_pred)
    y_true = match_ranks(_t(y_true), y_pred, "mean_squared_logarithmic_error")
    d = (y_pred.clamp(min=epsilon()) + 1.0).log() - (y_true.clamp(min=epsilon()) + 1.0).log()
    return (d * d).mean(-1)


def binary_crossentropy(y_true, y_pred, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """Binary cross-entropy, averaged over the last axis.

    Args:
        y_true: targets in ``[0, 1]``.
        y_pred: probabilities (or logits with ``from_logits=True``).
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: squeeze targets towards 0.5.

    Example:
        >>> import numpy as np
        >>> round(binary_crossentropy(np.array([[1.0]]), np.array([[0.5]])).item(), 4)
        0.6931
    """
    y_pred = _t(y_pred)
    y_true = match_ranks(_t(y_true), y_pred, "binary_crossentropy")
    if y_pred.ndim >= 1 and y_pred.shape[-1] > 1 and y_true.ndim and \
            _shape(y_true) != _shape(y_pred):
        raise ValueError(f"binary_crossentropy expects y_true with the shape of y_pred; "
                         f"received y_true.shape={_shape(y_true)}, "
                         f"y_pred.shape={_shape(y_pred)}. For integer class labels use "
                         f"loss='sparse_categorical_crossentropy'.")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        return F.binary_cross_entropy_with_logits(y_pred, y_true.expand_as(y_pred),
                                                  reduction="none").mean(axis)
    eps = epsilon()
    p = y_pred.clamp(eps, 1.0 - eps)
    bce = y_true * p.log() + (1.0 - y_true) * (1.0 - p).log()
    return -bce.mean(axis)


def _check_categorical(y_true: Tensor, y_pred: Tensor) -> None:
    if _shape(y_true) == _shape(y_pred):
        return
    classes = y_pred.shape[-1] if y_pred.ndim else 1
    sparse_like = y_true.ndim == y_pred.ndim - 1 or (
        y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1 and classes > 1)
    hint = (f" It looks like y_true holds integer class labels: use "
            f"loss='sparse_categorical_crossentropy', or one-hot encode them with "
            f"keras.utils.to_categorical(y, num_classes={classes}).") if sparse_like else ""
    raise ValueError(f"categorical_crossentropy expects one-hot targets with the shape of the "
                     f"model's output. Received: y_true.shape={_shape(y_true)}, "
                     f"y_pred.shape={_shape(y_pred)}.{hint}")


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """Cross-entropy between one-hot (or soft) targets and predicted class probabilities.

    Args:
        y_true: one-hot targets, shape ``(N, C)``.
        y_pred: probabilities (renormalised, clipped at eps) or logits.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: mix the targets with the uniform distribution.

    Raises:
        ValueError: ``y_true`` does not have ``y_pred``'s shape (e.g. integer labels; the
            message suggests ``sparse_categorical_crossentropy`` or ``to_categorical``).

    Example:
        >>> import numpy as np
        >>> round(categorical_crossentropy(np.array([[0.0, 1.0]]),
        ...                                np.array([[0.5, 0.5]])).item(), 4)
        0.6931
    """
    y_pred = _t(y_pred)
    y_true = _t(y_true)
    _check_categorical(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[axis]
    if from_logits:
        return -(y_true * F.log_softmax(y_pred, dim=axis)).sum(axis)
    eps = epsilon()
    p = (y_pred / y_pred.sum(axis, keepdim=True)).clamp(eps, 1.0 - eps)
    return -(y_true * p.log()).sum(axis)


def sparse_labels(y_true, y_pred: Tensor) -> Tensor:
    """Integer labels for ``y_pred``'s classes: checked (shape, integrality, range) and
    squeezed to ``y_pred.shape[:-1]``.

    Example:
        >>> import chainrule as torch
        >>> sparse_labels(np.array([[2], [0]]), torch.zeros(2, 3)).tolist()
        [2, 0]
    """
    classes = y_pred.shape[-1]
    arr = y_true._data if isinstance(y_true, Tensor) else np.asarray(y_true)
    if arr.ndim == y_pred.ndim and arr.shape[-1] == 1:
        arr = arr.reshape(arr.shape[:-1])
    if arr.shape != tuple(y_pred.shape[:-1]):
        onehot = arr.shape == tuple(y_pred.shape)
        hint = (" It looks like y_true is one-hot encoded: use "
                "loss='categorical_crossentropy', or pass integer labels "
                "(np.argmax(y, axis=-1)).") if onehot else ""
        raise ValueError(f"sparse_categorical_crossentropy expects integer class labels of "
                         f"shape {tuple(y_pred.shape[:-1])} (or with a trailing axis of size "
                         f"1) for y_pred.shape={tuple(y_pred.shape)}. Received: "
                         f"y_true.shape={tuple(np.shape(y_true))}.{hint}")
    if arr.dtype.kind == "f" and arr.size and not np.all(arr == np.round(arr)):
        raise ValueError("sparse_categorical_crossentropy expects integer class labels; "
                         "received non-integer values in y_true.")
    if arr.size:
        lo, hi = arr.min(), arr.max()
        if lo < 0 or hi >= classes:
            bad = hi if hi >= classes else lo
            raise ValueError(f"Received a label value of {int(bad)} which is outside the valid "
                             f"range of [0, {classes}). The model's output has {classes} "
                             f"classes; check the labels or the last layer's units.")
    return Tensor._make(np.ascontiguousarray(arr.astype(np.int64, copy=False)))


def _class_last_to_first(x: Tensor, axis: int) -> Tensor:
    return x if x.ndim <= 2 else x.movedim(axis % x.ndim, 1)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                                    ignore_class=None, axis: int = -1) -> Tensor:
    """Cross-entropy between integer labels and predicted class probabilities.

    Args:
        y_true: integer labels ``(N,)`` or ``(N, 1)``.
        y_pred: probabilities ``(N, C)`` (clipped at eps) or logits.
        from_logits: whether ``y_pred`` holds logits.
        ignore_class: a label value that contributes no loss.

    Raises:
        ValueError: one-hot ``y_true`` (the message suggests ``categorical_crossentropy``),
            non-integer labels, or labels outside ``[0, C)``.

    Example:
        >>> import numpy as np
        >>> round(sparse_categorical_crossentropy(np.array([1]),
        ...                                       np.array([[0.5, 0.5]])).item(), 4)
        0.6931
    """
    y_pred = _t(y_pred)
    labels = sparse_labels(y_true, y_pred) if ignore_class is None else \
        Tensor._make(np.asarray(y_true._data if isinstance(y_true, Tensor) else y_true,
                                dtype=np.int64).reshape(tuple(y_pred.shape[:-1])))
    ignore = -100 if ignore_class is None else int(ignore_class)
    if from_logits:
        logits = _class_last_to_first(y_pred, axis)
        return F.cross_entropy(logits, labels, ignore_index=ignore, reduction="none")
    eps = epsilon()
    p = (y_pred / y_pred.sum(axis, keepdim=True)).clamp(eps, 1.0 - eps)
    logp = _class_last_to_first(p.log(), axis)
    return F.nll_loss(logp, labels, ignore_index=ignore, reduction="none")


def _signed(y_true: Tensor) -> Tensor:
    arr = y_true._data
    if arr.size and np.all((arr == 0) | (arr == 1)):
        return y_true * 2.0 - 1.0
    return y_true


def hinge(y_true, y_pred) -> Tensor:
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)``; 0/1 labels become -1/1.

    Example:
        >>> import numpy as np
        >>> hinge(np.array([[1.0]]), np.array([[0.25]])).tolist()
        [0.75]
    """
    y_pred = _t(y_pred)
    y_true = _signed(match_ranks(_t(y_true), y_pred, "hinge"))
    return (1.0 - y_true * y_pred).clamp(min=0.0).mean(-1)


def squared_hinge(y_true, y_pred) -> Tensor:
    """``mean(max(1 - y_true * y_pred, 0) ** 2, axis=-1)``; 0/1 labels become -1/1.

    Example:
        >>> import numpy as np
        >>> squared_hinge(np.array([[1.0]]), np.array([[0.5]])).tolist()
        [0.25]
    """
    y_pred = _t(y_pred)
    y_true = _signed(match_ranks(_t(y_true), y_pred, "squared_hinge"))
    m = (1.0 - y_true * y_pred).clamp(min=0.0)
    return (m * m).mean(-1)


def categorical_hinge(y_true, y_pred) -> Tensor:
    """``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`` per sample.

    Example:
        >>> import numpy as np
        >>> categorical_hinge(np.array([[0.0, 1.0]]), np.array([[0.2, 0.9]])).tolist()
        [0.3...]
    """
    y_pred, y_true = _t(y_pred), _t(y_true)
    _check_categorical(y_true, y_pred)
    pos = (y_true * y_pred).sum(-1)
    neg = ((1.0 - y_true) * y_pred).amax(-1)
    return (neg - pos + 1.0).clamp(min=0.0)


def huber(y_true, y_pred, delta: float = 1.0) -> Tensor:
    """Quadratic for errors up to ``delta``, linear beyond; averaged over the last axis.

    Example:
        >>> import numpy as np
        >>> huber(np.array([[0.0, 0.0]]), np.array([[0.5, 3.0]])).tolist()
        [1.3125]
    """
    y_pred = _t(y_pred)
    y_true = match_ranks(_t(y_true), y_pred, "huber")
    a = (y_pred - y_true).abs()
    quad = a.clamp(max=delta)
    return (0.5 * quad * quad + delta * (a - quad)).mean(-1)


def log_cosh(y_true, y_pred) -> Tensor:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed stably.

    Example:
        >>> import numpy as np
        >>> log_cosh(np.array([[0.0]]), np.array([[0.0]])).tolist()
        [0.0]
    """
    y_pred = _t(y_pred)
    y_true = match_ranks(_t(y_true), y_pred, "log_cosh")
    x = y_pred - y_true
    return (x + F.softplus(-2.0 * x) - math.log(2.0)).mean(-1)


def kl_divergence(y_true, y_pred) -> Tensor:
    """``sum(y_true * log(y_true / y_pred), axis=-1)`` with both clipped to ``[eps, 1]``.

    Example:
        >>> import numpy as np
        >>> kl_divergence(np.array([[0.5, 0.5]]), np.array([[0.5, 0.5]])).tolist()
        [0.0]
    """
    y_pred, y_true = _t(y_pred), _t(y_true)
    t = y_true.clamp(epsilon(), 1.0)
    p = y_pred.clamp(epsilon(), 1.0)
    return (t * (t / p).log()).sum(-1)


def poisson(y_true, y_pred) -> Tensor:
    """``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``.

    Example:
        >>> import numpy as np
        >>> round(poisson(np.array([[1.0]]), np.array([[1.0]])).item(), 4)
        1.0
    """
    y_pred = _t(y_pred)
    y_true = match_ranks(_t(y_true), y_pred, "poisson")
    return (y_pred - y_true * (y_pred + epsilon()).log()).mean(-1)


def cosine_similarity(y_true, y_pred, axis: int = -1) -> Tensor:
    """Negative cosine similarity along ``axis`` (-1 for identical directions).

    Example:
        >>> import numpy as np
        >>> round(cosine_similarity(np.array([[1.0, 0.0]]), np.array([[2.0, 0.0]])).item(), 4)
        -1.0
    """
    y_pred, y_true = _t(y_pred), _t(y_true)
    t = F.normalize(y_true, dim=axis)
    p = F.normalize(y_pred, dim=axis)
    return -(t * p).sum(axis)
