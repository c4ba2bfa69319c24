"""Confusion-count metrics: ``Precision``, ``Recall`` and ``AUC`` (re-exported by
``keras.metrics``)."""

from __future__ import annotations

import numpy as np

from .metric_base import Metric
from .metric_base import align as _align
from .metric_base import to_numpy as _np

__all__ = ["AUC", "Precision", "Recall"]


class _Confusion(Metric):
    """Binary confusion counts at a threshold (for ``Precision``/``Recall``)."""

    def __init__(self, thresholds=None, name=None, dtype=None, top_k=None,
                 class_id=None) -> None:
        super().__init__(name=name)
        self.threshold = 0.5 if thresholds is None else float(thresholds)
        self.class_id = class_id
        self.reset_state()

    def reset_state(self) -> None:
        self.tp = self.fp = self.fn = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        t, p = _np(y_true).astype(np.float64), _np(y_pred)
        t = _align(t, p)
        if self.class_id is not None:
            t, p = t[..., self.class_id], p[..., self.class_id]
        pred = p > self.threshold
        true = t > 0.5
        w = 1.0 if sample_weight is None else np.asarray(_np(sample_weight), np.float64)
        if not np.isscalar(w):
            w = np.broadcast_to(w.reshape(w.shape + (1,) * (pred.ndim - w.ndim)), pred.shape)
        self.tp += float(np.sum(w * (pred & true)))
        self.fp += float(np.sum(w * (pred & ~true)))
        self.fn += float(np.sum(w * (~pred & true)))


class Precision(_Confusion):
    """``TP / (TP + FP)`` of binary predictions thresholded at 0.5.

    Example:
        >>> m = Precision(); m.update_state([1, 0, 1], [0.9, 0.8, 0.1]); m.result()
        0.5
    """

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="precision",
                 dtype=None) -> None:
        super().__init__(thresholds, name=name, class_id=class_id)

    def result(self) -> float:
        d = self.tp + self.fp
        return self.tp / d if d else 0.0


class Recall(_Confusion):
    """``TP / (TP + FN)`` of binary predictions thresholded at 0.5.

    Example:
        >>> m = Recall(); m.update_state([1, 0, 1], [0.9, 0.8, 0.1]); m.result()
        0.5
    """

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="recall",
                 dtype=None) -> None:
        super().__init__(thresholds, name=name, class_id=class_id)

    def result(self) -> float:
        d = self.tp + self.fn
        return self.tp / d if d else 0.0


class AUC(Metric):
    """Area under the ROC (or precision-recall) curve, from counts at ``num_thresholds``
    evenly spaced thresholds (trapezoidal rule).

    Args:
        num_thresholds: number of thresholds (default 200).
        curve: ``'ROC'`` (default) or ``'PR'``.
        from_logits: apply a sigmoid to predictions first.

    Example:
        >>> m = AUC(); m.update_state([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> round(m.result(), 2)
        0.75
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str = "auc", dtype=None,
                 thresholds=None, multi_label: bool = False, num_labels=None, label_weights=None,
                 from_logits: bool = False) -> None:
        super().__init__(name=name)
        eps = 1e-7
        inner = np.linspace(0.0, 1.0, num_thresholds)[1:-1]
        self.thresholds = np.concatenate([[-eps], inner, [1.0 + eps]])
        self.curve, self.from_logits = curve.upper(), from_logits
        self.reset_state()

    def reset_state(self) -> None:
        n = len(self.thresholds)
        self.tp, self.fp = np.zeros(n), np.zeros(n)
        self.pos = self.neg = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        t = (_np(y_true).reshape(-1) > 0.5)
        p = _np(y_pred).astype(np.float64).reshape(-1)
        if self.from_logits:
            p = 1.0 / (1.0 + np.exp(-p))
        w = np.ones_like(p) if sample_weight is None else \
            np.broadcast_to(np.asarray(_np(sample_weight), np.float64).reshape(-1), p.shape)
        above = p[None, :] > self.thresholds[:, None]
        self.tp += (above & t[None, :]) @ w
        self.fp += (above & ~t[None, :]) @ w
        self.pos += float(w[t].sum())
        self.neg += float(w[~t].sum())

    def result(self) -> float:
        if self.curve == "PR":
            prec = np.divide(self.tp, self.tp + self.fp, out=np.ones_like(self.tp),
                             where=(self.tp + self.fp) > 0)
            rec = self.tp / self.pos if self.pos else np.zeros_like(self.tp)
            x, y = rec[::-1], prec[::-1]
        else:
            if not self.pos or not self.neg:
                return 0.0
            x, y = (self.fp / self.neg)[::-1], (self.tp / self.pos)[::-1]
        return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))
