"""Stateful training metrics (``keras.metrics``), accumulated in NumPy outside autograd.

A metric keeps running totals over an epoch: ``update_state(y_true, y_pred)`` adds a batch,
``result()`` returns the running value (Keras's numbers: an accuracy over all samples seen
since ``reset_state()``), so the progress bar and ``History`` show epoch averages.

Example:
    >>> import numpy as np
    >>> from chainrule import keras
    >>> m = keras.metrics.SparseCategoricalAccuracy()
    >>> m.update_state(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]))
    >>> m.result()
    0.5
"""

from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import no_grad
from .backend import epsilon, snake_case
from .confusion_metrics import AUC, Precision, Recall
from .metric_base import Mean, Metric
from .metric_base import align as _align
from .metric_base import to_numpy as _np

__all__ = [
    "AUC",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "Metric",
    "Precision",
    "Recall",
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "Sum",
    "TopKCategoricalAccuracy",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "get",
    "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]


# ---- metric functions (per-sample values, NumPy) ------------------------------------------
def accuracy(y_true, y_pred) -> np.ndarray:
    """Exact-match accuracy per element (``y_true == y_pred``).

    Example:
        >>> accuracy([1, 2], [1, 3]).tolist()
        [1.0, 0.0]
    """
    t, p = _np(y_true), _np(y_pred)
    t = _align(t, p)
    return (t == p).astype(np.float32)


def binary_accuracy(y_true, y_pred, threshold: float = 0.5) -> np.ndarray:
    """Fraction of ``(y_pred > threshold) == y_true`` over the last axis.

    Example:
        >>> binary_accuracy([[1.0], [0.0]], [[0.7], [0.6]]).tolist()
        [1.0, 0.0]
    """
    t, p = _np(y_true), _np(y_pred)
    t = _align(t, p)
    return ((p > threshold) == (t > 0.5)).astype(np.float32).mean(axis=-1)


def categorical_accuracy(y_true, y_pred) -> np.ndarray:
    """``argmax(y_true) == argmax(y_pred)`` per sample (one-hot targets).

    Example:
        >>> categorical_accuracy([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]]).tolist()
        [1.0, 0.0]
    """
    t, p = _np(y_true), _np(y_pred)
    return (np.argmax(t, axis=-1) == np.argmax(p, axis=-1)).astype(np.float32)


def sparse_categorical_accuracy(y_true, y_pred) -> np.ndarray:
    """``y_true == argmax(y_pred)`` per sample (integer labels).

    Example:
        >>> sparse_categorical_accuracy([1, 0], [[0.2, 0.8], [0.3, 0.7]]).tolist()
        [1.0, 0.0]
    """
    t, p = _np(y_true), _np(y_pred)
    if t.ndim == p.ndim and t.shape[-1] == 1:
        t = t.reshape(t.shape[:-1])
    return (t.astype(np.int64) == np.argmax(p, axis=-1)).astype(np.float32)


def top_k_categorical_accuracy(y_true, y_pred, k: int = 5) -> np.ndarray:
    """Whether the true class (one-hot) is among the ``k`` highest predictions.

    Example:
        >>> top_k_categorical_accuracy([[0, 0, 1]], [[0.5, 0.4, 0.1]], k=2).tolist()
        [0.0]
    """
    return sparse_top_k_categorical_accuracy(np.argmax(_np(y_true), axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5) -> np.ndarray:
    """Whether the true class (integer) is among the ``k`` highest predictions.

    Example:
        >>> sparse_top_k_categorical_accuracy([2], [[0.5, 0.1, 0.4]], k=2).tolist()
        [1.0]
    """
    t, p = _np(y_true).astype(np.int64), _np(y_pred)
    if t.ndim == p.ndim and t.shape[-1] == 1:
        t = t.reshape(t.shape[:-1])
    k = min(k, p.shape[-1])
    top = np.argpartition(-p, k - 1, axis=-1)[..., :k]
    return (top == t[..., None]).any(axis=-1).astype(np.float32)


def _mse(y_true, y_pred):
    t, p = _np(y_true), _np(y_pred)
    return np.square(p - _align(t, p)).mean(axis=-1)


def _mae(y_true, y_pred):
    t, p = _np(y_true), _np(y_pred)
    return np.abs(p - _align(t, p)).mean(axis=-1)


def _mape(y_true, y_pred):
    t, p = _np(y_true), _np(y_pred)
    t = _align(t, p)
    return 100.0 * np.abs((t - p) / np.maximum(np.abs(t), epsilon())).mean(axis=-1)


def _loss_metric(name):
    def fn(y_true, y_pred, **kwargs):
        from . import losses

        with no_grad():
            return getattr(losses, name)(y_true, y_pred, **kwargs)._data

    fn.__name__ = name
    return fn


# ---- metric objects ---------------------------------------------------------------------------
class Sum(Metric):
    """The running sum of all values.

    Example:
        >>> s = Sum(); s.update_state([1.0, 2.0]); s.result()
        3.0
    """

    def __init__(self, name: str = "sum", dtype=None) -> None:
        super().__init__(name=name)
        self.reset_state()

    def reset_state(self) -> None:
        self.total = 0.0

    def update_state(self, values, sample_weight=None) -> None:
        v = np.asarray(_np(values), dtype=np.float64)
        if sample_weight is not None:
            v = v * np.asarray(_np(sample_weight), dtype=np.float64)
        self.total += float(v.sum())

    def result(self) -> float:
        return self.total


class MeanMetricWrapper(Mean):
    """The mean over all samples of a per-sample metric function ``fn(y_true, y_pred)``.

    Example:
        >>> m = MeanMetricWrapper(categorical_accuracy, name="acc")
        >>> m.update_state([[0, 1]], [[0.1, 0.9]]); m.result()
        1.0
    """

    def __init__(self, fn, name: str | None = None, dtype=None, direction: str = "up",
                 **kwargs) -> None:
        super().__init__(name=name or getattr(fn, "__name__", "metric"))
        self.fn, self.fn_kwargs = fn, kwargs
        self._direction = direction

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        super().update_state(self.fn(y_true, y_pred, **self.fn_kwargs), sample_weight)

    def get_config(self):
        return {"name": self.name, **self.fn_kwargs}


def _wrapper(fn, default: str, direction: str, doc: str, params: tuple = (), cls_name=None):
    def __init__(self, *args, name: str = default, dtype=None, **kwargs):
        opts = dict(zip(params, args))
        for key in params:
            if key in kwargs:
                opts[key] = kwargs.pop(key)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(kwargs)}")
        MeanMetricWrapper.__init__(self, fn, name=name, direction=direction, **opts)

    cls_name = cls_name or "".join(p.capitalize() for p in default.split("_"))
    return type(cls_name, (MeanMetricWrapper,), {"__init__": __init__, "__doc__": doc,
                                                  "_direction": direction})


Accuracy = _wrapper(accuracy, "accuracy", "up", """
    How often predictions equal labels exactly.

    Example:
        >>> m = Accuracy(); m.update_state([1, 2], [1, 1]); m.result()
        0.5
    """)
BinaryAccuracy = _wrapper(binary_accuracy, "binary_accuracy", "up", """
    How often ``y_pred > threshold`` matches binary labels.

    Args:
        threshold: decision threshold on probabilities (default 0.5).

    Example:
        >>> m = BinaryAccuracy(); m.update_state([[1], [0]], [[0.9], [0.2]]); m.result()
        1.0
    """, ("threshold",))
CategoricalAccuracy = _wrapper(categorical_accuracy, "categorical_accuracy", "up", """
    How often the argmax of the prediction matches the one-hot label.

    Example:
        >>> m = CategoricalAccuracy(); m.update_state([[0, 1]], [[0.4, 0.6]]); m.result()
        1.0
    """)
SparseCategoricalAccuracy = _wrapper(sparse_categorical_accuracy,
                                     "sparse_categorical_accuracy", "up", """
    How often the argmax of the prediction matches the integer label.

    Example:
        >>> m = SparseCategoricalAccuracy(); m.update_state([1], [[0.4, 0.6]]); m.result()
        1.0
    """)
TopKCategoricalAccuracy = _wrapper(top_k_categorical_accuracy, "top_k_categorical_accuracy",
                                   "up", """
    How often the one-hot label is among the top ``k`` predictions.

    Example:
        >>> m = TopKCategoricalAccuracy(k=1); m.update_state([[0, 1]], [[.4, .6]]); m.result()
        1.0
    """, ("k",))
SparseTopKCategoricalAccuracy = _wrapper(sparse_top_k_categorical_accuracy,
                                         "sparse_top_k_categorical_accuracy", "up", """
    How often the integer label is among the top ``k`` predictions.

    Example:
        >>> m = SparseTopKCategoricalAccuracy(k=1); m.update_state([0], [[.4, .6]]); m.result()
        0.0
    """, ("k",))
MeanSquaredError = _wrapper(_mse, "mean_squared_error", "down", """
    Mean squared error as a metric.

    Example:
        >>> m = MeanSquaredError(); m.update_state([[0.0]], [[2.0]]); m.result()
        4.0
    """)
MeanAbsoluteError = _wrapper(_mae, "mean_absolute_error", "down", """
    Mean absolute error as a metric.

    Example:
        >>> m = MeanAbsoluteError(); m.update_state([[0.0]], [[-2.0]]); m.result()
        2.0
    """)
MeanAbsolutePercentageError = _wrapper(_mape, "mean_absolute_percentage_error", "down", """
    Mean absolute percentage error as a metric.

    Example:
        >>> m = MeanAbsolutePercentageError(); m.update_state([[2.0]], [[1.0]]); m.result()
        50.0
    """)
BinaryCrossentropy = _wrapper(_loss_metric("binary_crossentropy"), "binary_crossentropy",
                              "down", """
    Binary cross-entropy as a metric.

    Example:
        >>> m = BinaryCrossentropy(); m.update_state([[1.0]], [[0.5]]); round(m.result(), 4)
        0.6931
    """, ("from_logits", "label_smoothing"))
CategoricalCrossentropy = _wrapper(_loss_metric("categorical_crossentropy"),
                                   "categorical_crossentropy", "down", """
    Categorical cross-entropy as a metric.

    Example:
        >>> m = CategoricalCrossentropy(); m.update_state([[0., 1.]], [[.5, .5]])
        >>> round(m.result(), 4)
        0.6931
    """, ("from_logits", "label_smoothing"))
SparseCategoricalCrossentropy = _wrapper(_loss_metric("sparse_categorical_crossentropy"),
                                         "sparse_categorical_crossentropy", "down", """
    Sparse categorical cross-entropy as a metric.

    Example:
        >>> m = SparseCategoricalCrossentropy(); m.update_state([1], [[.5, .5]])
        >>> round(m.result(), 4)
        0.6931
    """, ("from_logits",))


class RootMeanSquaredError(Metric):
    """``sqrt(mean((y_true - y_pred) ** 2))`` over all elements seen.

    Example:
        >>> m = RootMeanSquaredError(); m.update_state([[0.0], [0.0]], [[3.0], [4.0]])
        >>> round(m.result(), 4)
        3.5355
    """

    _direction = "down"

    def __init__(self, name: str = "root_mean_squared_error", dtype=None) -> None:
        super().__init__(name=name)
        self._mean = Mean()

    def reset_state(self) -> None:
        self._mean.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        t, p = _np(y_true), _np(y_pred)
        self._mean.update_state(np.square(p - _align(t, p)), sample_weight)

    def result(self) -> float:
        return float(np.sqrt(self._mean.result()))


_DOWN = {"mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
         "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
         "root_mean_squared_error", "loss"}
_NAMED = {
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "rmse": RootMeanSquaredError, "root_mean_squared_error": RootMeanSquaredError,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "precision": Precision, "recall": Recall, "auc": AUC,
}
_BY_CLASS = {c.__name__: c for c in set(_NAMED.values()) | {Accuracy}}
_FN_CLASSES = {binary_accuracy: BinaryAccuracy, categorical_accuracy: CategoricalAccuracy,
               sparse_categorical_accuracy: SparseCategoricalAccuracy,
               top_k_categorical_accuracy: TopKCategoricalAccuracy,
               sparse_top_k_categorical_accuracy: SparseTopKCategoricalAccuracy}


def get(identifier, y_true=None, y_pred=None, loss_kind: str | None = None) -> Metric:
    """Resolve a metric spec: a name (``'accuracy'``, ``'mae'`` …), class name, ``Metric``,
    metric function or callable ``(y_true, y_pred)``. ``'accuracy'``/``'acc'`` becomes
    binary, categorical or sparse categorical accuracy from the loss and the shapes, as in
    Keras; the logged name stays the string given.

    Raises:
        ValueError: unknown name (the message lists the known ones).

    Example:
        >>> import numpy as np
        >>> type(get("accuracy", np.zeros(4), np.zeros((4, 10)))).__name__
        'SparseCategoricalAccuracy'
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        key = identifier
        if key in ("accuracy", "acc"):
            return _resolve_accuracy(key, y_true, y_pred, loss_kind)
        cls = _NAMED.get(key) or _NAMED.get(snake_case(key)) or _BY_CLASS.get(key)
        if cls is None:
            known = ", ".join(["accuracy", *sorted(_NAMED)])
            raise ValueError(f"Could not interpret metric identifier: {identifier!r}. Known "
                             f"metrics: {known}")
        return cls(name=identifier) if key in _NAMED else cls()
    if identifier in _FN_CLASSES:
        return _FN_CLASSES[identifier]()
    if identifier is accuracy:
        return _resolve_accuracy("accuracy", y_true, y_pred, loss_kind)
    if callable(identifier):
        from . import losses

        if identifier in losses._CLASSES:
            name = identifier.__name__
            return _NAMED[name](name=name)
        return MeanMetricWrapper(_tensor_fn(identifier),
                                 name=getattr(identifier, "__name__", "metric"),
                                 direction="down")
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")


def _tensor_fn(fn):
    """Run a user metric written with tensor ops on NumPy batches."""
    def wrapped(y_true, y_pred):
        from .layers.base import to_tensor

        with no_grad():
            out = fn(to_tensor(_np(y_true)), to_tensor(_np(y_pred)))
        return _np(out)

    wrapped.__name__ = getattr(fn, "__name__", "metric")
    return wrapped


def _resolve_accuracy(name, y_true, y_pred, loss_kind) -> Metric:
    if loss_kind == "categorical_crossentropy":
        return CategoricalAccuracy(name=name)
    if loss_kind == "sparse_categorical_crossentropy":
        return SparseCategoricalAccuracy(name=name)
    if loss_kind == "binary_crossentropy":
        return BinaryAccuracy(name=name)
    if y_pred is None:
        return Accuracy(name=name)
    t, p = np.shape(_np(y_true)), np.shape(_np(y_pred))
    if p and p[-1] == 1:
        return BinaryAccuracy(name=name)
    if len(t) == len(p) - 1 or (len(t) == len(p) and t[-1] == 1 and p[-1] > 1):
        return SparseCategoricalAccuracy(name=name)
    if len(t) == len(p) and t == p and len(p) >= 2:
        return CategoricalAccuracy(name=name)
    return Accuracy(name=name)


def direction(name: str, model=None) -> str | None:
    """``'up'``/``'down'`` for a logged metric name (``val_`` prefix allowed), from the
    model's compiled metrics or well-known names; None if unknown.

    Example:
        >>> direction("val_loss"), direction("val_accuracy"), direction("weird")
        ('down', 'up', None)
    """
    base = name.removeprefix("val_")
    if base == "loss" or base.endswith("_loss"):
        return "down"
    for m in getattr(model, "_compiled_metrics", None) or []:
        if m.name == base:
            return m._direction
    if "acc" in base or base in ("auc", "precision", "recall"):
        return "up"
    if base in _DOWN or base in ("mse", "mae", "mape", "rmse"):
        return "down"
    return None
