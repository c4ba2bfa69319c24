"""Keras losses (``keras.losses``) on chainrule tensors, with Keras's formulas and checks.

A loss function maps ``(y_true, y_pred)`` to per-sample values (the mean over the last axis
for element-wise losses); a ``Loss`` object reduces them (default: mean over the batch,
``'sum_over_batch_size'``) with optional sample weights. Cross-entropies on probabilities clip
them to ``[epsilon, 1 - epsilon]`` as Keras does; when the model's last layer is a softmax or
sigmoid, ``Model.compute_loss`` hands the loss the pre-activation logits instead, so the fused,
numerically stable ``cross_entropy`` of ``nn.functional`` does the work.

Example:
    >>> import numpy as np
    >>> from chainrule import keras
    >>> loss = keras.losses.get("mse")
    >>> float(loss(np.array([[1.0, 2.0]]), np.array([[1.0, 4.0]])))
    2.0
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .backend import snake_case
from .loss_functions import (
    _t,
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)

__all__ = ["BinaryCrossentropy", "CategoricalCrossentropy", "CategoricalHinge",
           "CosineSimilarity", "Hinge", "Huber", "KLDivergence", "LogCosh", "Loss",
           "LossFunctionWrapper", "MeanAbsoluteError", "MeanAbsolutePercentageError",
           "MeanSquaredError", "MeanSquaredLogarithmicError", "Poisson",
           "SparseCategoricalCrossentropy", "SquaredHinge", "binary_crossentropy",
           "categorical_crossentropy", "categorical_hinge", "cosine_similarity", "get", "hinge",
           "huber", "kl_divergence", "log_cosh", "mean_absolute_error",
           "mean_absolute_percentage_error", "mean_squared_error",
           "mean_squared_logarithmic_error", "poisson", "sparse_categorical_crossentropy",
           "squared_hinge"]


# ---- Loss objects ------------------------------------------------------------------------------
_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "none", None, "auto",
               "mean_with_sample_weight")


def reduce_values(values: Tensor, sample_weight=None,
                  reduction: str | None = "sum_over_batch_size") -> Tensor:
    """Weight per-sample loss values and reduce them as Keras does (``'sum_over_batch_size'``
    divides the weighted sum by the number of values).

    Example:
        >>> import chainrule as torch
        >>> reduce_values(torch.tensor([1.0, 3.0]), np.array([1.0, 0.0])).item()
        0.5
    """
    if sample_weight is not None:
        w = _t(sample_weight)
        while w.ndim > values.ndim and w.shape[-1] == 1:
            w = w.squeeze(-1)
        while w.ndim < values.ndim:
            w = w.unsqueeze(-1)
        values = values * w
    if reduction in (None, "none"):
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return total / max(float(np.sum(np.broadcast_to(np.asarray(
            w._data), values.shape))), 1e-12)
    return total / max(values.numel(), 1)


class Loss:
    """Base class of loss objects: ``loss(y_true, y_pred, sample_weight=None)`` returns the
    reduced scalar tensor; subclasses implement ``call`` (per-sample values).

    Args:
        name: the loss's name.
        reduction: ``'sum_over_batch_size'`` (default), ``'sum'`` or ``'none'``.

    Example:
        >>> import numpy as np
        >>> class Twice(Loss):
        ...     def call(self, y_true, y_pred):
        ...         return mean_absolute_error(y_true, y_pred) * 2
        >>> float(Twice()(np.zeros((2, 1)), np.ones((2, 1))))
        2.0
    """

    def __init__(self, name: str | None = None, reduction="sum_over_batch_size",
                 dtype=None) -> None:
        if reduction not in _REDUCTIONS:
            raise ValueError(f"Invalid value for argument `reduction`. Expected one of "
                             f"{_REDUCTIONS}. Received: reduction={reduction}")
        self.name = name or snake_case(type(self).__name__)
        self.reduction = reduction

    def call(self, y_true, y_pred) -> Tensor:
        """Per-sample loss values."""
        raise NotImplementedError(f"{type(self).__name__} must implement call")

    def __call__(self, y_true, y_pred, sample_weight=None) -> Tensor:
        return reduce_values(self.call(y_true, y_pred), sample_weight, self.reduction)

    def get_config(self) -> dict:
        """The constructor arguments."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict):
        """Rebuild from ``get_config()``."""
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a plain function ``fn(y_true, y_pred, **kwargs)``.

    Example:
        >>> import numpy as np
        >>> loss = LossFunctionWrapper(mean_absolute_error)
        >>> float(loss(np.zeros((1, 2)), np.ones((1, 2))))
        1.0
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs) -> None:
        super().__init__(name=name or getattr(fn, "__name__", "loss"), reduction=reduction)
        self.fn, self.fn_kwargs = fn, kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self.fn_kwargs}


def _wrapper_class(fn, default_name: str, doc: str, params: tuple = (), cls_name=None):
    """A ``LossFunctionWrapper`` subclass for ``fn`` whose keyword ``params`` are
    constructor arguments."""

    def __init__(self, *args, reduction="sum_over_batch_size", name=default_name, dtype=None,
                 **kwargs):
        opts = dict(zip(params, args))
        for key in params:
            if key in kwargs:
                opts[key] = kwargs.pop(key)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(kwargs)}")
        LossFunctionWrapper.__init__(self, fn, reduction=reduction, name=name, **opts)

    cls_name = cls_name or "".join(p.capitalize() for p in default_name.split("_"))
    return type(cls_name, (LossFunctionWrapper,), {"__init__": __init__, "__doc__": doc})


MeanSquaredError = _wrapper_class(mean_squared_error, "mean_squared_error", """
    Mean of squared errors (``'mse'``).

    Example:
        >>> import numpy as np
        >>> float(MeanSquaredError()(np.zeros((2, 1)), np.ones((2, 1))))
        1.0
    """)
MeanAbsoluteError = _wrapper_class(mean_absolute_error, "mean_absolute_error", """
    Mean of absolute errors (``'mae'``).

    Example:
        >>> import numpy as np
        >>> float(MeanAbsoluteError()(np.zeros((2, 1)), np.ones((2, 1))))
        1.0
    """)
MeanAbsolutePercentageError = _wrapper_class(
    mean_absolute_percentage_error, "mean_absolute_percentage_error", """
    Mean absolute percentage error (``'mape'``).

    Example:
        >>> import numpy as np
        >>> float(MeanAbsolutePercentageError()(np.full((1, 1), 2.0), np.ones((1, 1))))
        50.0
    """)
MeanSquaredLogarithmicError = _wrapper_class(
    mean_squared_logarithmic_error, "mean_squared_logarithmic_error", """
    Mean squared logarithmic error (``'msle'``).

    Example:
        >>> import numpy as np
        >>> float(MeanSquaredLogarithmicError()(np.ones((1, 1)), np.ones((1, 1))))
        0.0
    """)
BinaryCrossentropy = _wrapper_class(binary_crossentropy, "binary_crossentropy", """
    Binary cross-entropy loss object.

    Args:
        from_logits: whether predictions are logits (default False: probabilities).
        label_smoothing: squeeze targets towards 0.5.

    Example:
        >>> import numpy as np
        >>> round(float(BinaryCrossentropy()(np.ones((1, 1)), np.full((1, 1), 0.5))), 4)
        0.6931
    """, ("from_logits", "label_smoothing", "axis"))
CategoricalCrossentropy = _wrapper_class(categorical_crossentropy, "categorical_crossentropy", """
    Categorical cross-entropy loss object (one-hot targets).

    Args:
        from_logits: whether predictions are logits.
        label_smoothing: mix targets with the uniform distribution.

    Example:
        >>> import numpy as np
        >>> round(float(CategoricalCrossentropy()(np.eye(2), np.full((2, 2), 0.5))), 4)
        0.6931
    """, ("from_logits", "label_smoothing", "axis"))
SparseCategoricalCrossentropy = _wrapper_class(
    sparse_categorical_crossentropy, "sparse_categorical_crossentropy", """
    Sparse categorical cross-entropy loss object (integer labels).

    Args:
        from_logits: whether predictions are logits.
        ignore_class: a label that contributes no loss.

    Example:
        >>> import numpy as np
        >>> round(float(SparseCategoricalCrossentropy()(np.array([0]), np.full((1, 2), .5))), 4)
        0.6931
    """, ("from_logits", "ignore_class", "axis"))
Hinge = _wrapper_class(hinge, "hinge", """
    Hinge loss object.

    Example:
        >>> import numpy as np
        >>> float(Hinge()(np.ones((1, 1)), np.zeros((1, 1))))
        1.0
    """)
SquaredHinge = _wrapper_class(squared_hinge, "squared_hinge", """
    Squared hinge loss object.

    Example:
        >>> import numpy as np
        >>> float(SquaredHinge()(np.ones((1, 1)), np.zeros((1, 1))))
        1.0
    """)
CategoricalHinge = _wrapper_class(categorical_hinge, "categorical_hinge", """
    Categorical hinge loss object.

    Example:
        >>> import numpy as np
        >>> float(CategoricalHinge()(np.eye(2), np.eye(2)))
        0.0
    """)
Huber = _wrapper_class(huber, "huber_loss", """
    Huber loss object.

    Args:
        delta: where the loss turns from quadratic to linear (default 1).

    Example:
        >>> import numpy as np
        >>> float(Huber()(np.zeros((1, 1)), np.full((1, 1), 3.0)))
        2.5
    """, ("delta",), "Huber")
LogCosh = _wrapper_class(log_cosh, "log_cosh", """
    Log-cosh loss object.

    Example:
        >>> import numpy as np
        >>> float(LogCosh()(np.zeros((1, 1)), np.zeros((1, 1))))
        0.0
    """)
KLDivergence = _wrapper_class(kl_divergence, "kl_divergence", """
    Kullback-Leibler divergence loss object.

    Example:
        >>> import numpy as np
        >>> float(KLDivergence()(np.full((1, 2), .5), np.full((1, 2), .5)))
        0.0
    """, (), "KLDivergence")
Poisson = _wrapper_class(poisson, "poisson", """
    Poisson loss object.

    Example:
        >>> import numpy as np
        >>> round(float(Poisson()(np.ones((1, 1)), np.ones((1, 1)))), 4)
        1.0
    """)
CosineSimilarity = _wrapper_class(cosine_similarity, "cosine_similarity", """
    Negative cosine similarity loss object.

    Example:
        >>> import numpy as np
        >>> round(float(CosineSimilarity()(np.eye(2), np.eye(2))), 4)
        -1.0
    """, ("axis",))

_FUNCTIONS = {
    "mean_squared_error": mean_squared_error, "mse": mean_squared_error,
    "mean_absolute_error": mean_absolute_error, "mae": mean_absolute_error,
    "mean_absolute_percentage_error": mean_absolute_percentage_error,
    "mape": mean_absolute_percentage_error,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error,
    "msle": mean_squared_logarithmic_error,
    "binary_crossentropy": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "hinge": hinge, "squared_hinge": squared_hinge, "categorical_hinge": categorical_hinge,
    "huber": huber, "huber_loss": huber, "log_cosh": log_cosh, "logcosh": log_cosh,
    "kl_divergence": kl_divergence, "kld": kl_divergence,
    "kullback_leibler_divergence": kl_divergence, "poisson": poisson,
    "cosine_similarity": cosine_similarity,
}
_CLASSES = {mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
            mean_absolute_percentage_error: MeanAbsolutePercentageError,
            mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
            binary_crossentropy: BinaryCrossentropy,
            categorical_crossentropy: CategoricalCrossentropy,
            sparse_categorical_crossentropy: SparseCategoricalCrossentropy, hinge: Hinge,
            squared_hinge: SquaredHinge, categorical_hinge: CategoricalHinge, huber: Huber,
            log_cosh: LogCosh, kl_divergence: KLDivergence, poisson: Poisson,
            cosine_similarity: CosineSimilarity}
_BY_CLASS_NAME = {c.__name__: c for c in _CLASSES.values()}
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence


def get(identifier) -> Loss:
    """Resolve a loss given by name (``'mse'``, ``'categorical_crossentropy'`` …), class
    name, Keras loss function, ``Loss`` object or any callable ``(y_true, y_pred)``.

    Returns:
        A ``Loss`` object (plain functions are wrapped).

    Raises:
        ValueError: unknown name (the message lists the known ones).

    Example:
        >>> type(get("sparse_categorical_crossentropy")).__name__
        'SparseCategoricalCrossentropy'
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        fn = _FUNCTIONS.get(identifier) or _FUNCTIONS.get(snake_case(identifier))
        cls = _BY_CLASS_NAME.get(identifier)
        if cls is not None:
            return cls()
        if fn is None:
            raise ValueError(f"Could not interpret loss identifier: {identifier!r}. Known "
                             f"losses: {', '.join(sorted(_FUNCTIONS))}")
        return _CLASSES[fn]()
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if identifier in _CLASSES:
        return _CLASSES[identifier]()
    if callable(identifier):
        return LossFunctionWrapper(identifier)
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


def kind_of(loss: Loss) -> str | None:
    """The Keras function behind a built-in loss object (``'categorical_crossentropy'`` …).

    Example:
        >>> kind_of(get("mse"))
        'mean_squared_error'
    """
    fn = getattr(loss, "fn", None)
    return fn.__name__ if fn in _CLASSES else None


def from_logits_value(loss: Loss, y_true, logits: Tensor, activation: str):
    """Per-sample values of a cross-entropy ``loss`` computed from the pre-activation
    ``logits`` of a final ``activation`` (softmax/sigmoid), or None if that does not apply.

    Example:
        >>> import chainrule as torch
        >>> v = from_logits_value(get("sparse_categorical_crossentropy"), np.array([0]),
        ...                       torch.tensor([[0.0, 0.0]]), "softmax")
        >>> round(v.item(), 4)
        0.6931
    """
    kind = kind_of(loss)
    opts = getattr(loss, "fn_kwargs", {})
    if opts.get("from_logits") or opts.get("axis", -1) != -1:
        return None
    if activation == "softmax" and kind == "categorical_crossentropy":
        return categorical_crossentropy(y_true, logits, from_logits=True,
                                        label_smoothing=opts.get("label_smoothing", 0.0))
    if activation == "softmax" and kind == "sparse_categorical_crossentropy":
        return sparse_categorical_crossentropy(y_true, logits, from_logits=True,
                                               ignore_class=opts.get("ignore_class"))
    if activation == "sigmoid" and kind == "binary_crossentropy":
        return binary_crossentropy(y_true, logits, from_logits=True,
                                   label_smoothing=opts.get("label_smoothing", 0.0))
    return None


def serialize(loss) -> str | dict:
    """A name or config for ``compile``'s loss (used by ``model.save``).

    Example:
        >>> serialize(get("mse"))
        'mean_squared_error'
    """
    kind = kind_of(loss) if isinstance(loss, Loss) else None
    if kind and not getattr(loss, "fn_kwargs", None):
        return kind
    if isinstance(loss, Loss):
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    raise ValueError(f"Cannot serialize the loss {loss!r}")
