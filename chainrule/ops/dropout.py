"""Dropout: ``dropout``, the channel-wise ``dropout1d/2d/3d``, ``alpha_dropout`` and
``feature_alpha_dropout``.

In training, each element (or channel) is kept with probability ``1 - p`` and scaled by
``1 / (1 - p)``; the mask is drawn from the global generator and applied with one multiply, so
the gradient is the same mask. In evaluation the input is returned unchanged.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._tensor import Tensor
from ..random import numpy_rng
from ._util import check_tensor

__all__ = [
    "alpha_dropout",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "feature_alpha_dropout",
]

_SELU_NEG = 1.7580993408473766  # -SELU(-inf) = scale * alpha


def _check_p(p) -> float:
    if isinstance(p, Tensor):
        p = p.item()
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return float(p)


def _keep_mask(shape, p: float, npd) -> np.ndarray:
    """1 where an element is kept (probability ``1 - p``), else 0, in dtype ``npd``."""
    if p == 0.0:
        return np.ones(shape, dtype=npd)
    return (numpy_rng().random(shape, dtype=np.float32) >= p).astype(npd)


def _dropout_masked(input: Tensor, mask_shape, p: float) -> Tensor:
    npd = input._data.dtype
    if p == 1.0:
        return input * Tensor._make(np.zeros(mask_shape, dtype=npd))
    mask = _keep_mask(mask_shape, p, npd)
    if p:
        mask *= npd.type(1.0 / (1.0 - p))
    return input * Tensor._make(mask)


def _float_checked(input, fn: str) -> Tensor:
    check_tensor(input, fn)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{fn}: expected a floating point input, received {input.dtype}")
    return input


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``
    (training); return ``input`` unchanged when ``training`` is False.

    Args:
        input: any shape.
        p: the probability of zeroing an element.
        training: apply dropout (else identity).
        inplace: accepted for PyTorch compatibility; the result is computed out of place.

    Example:
        >>> import chainrule as torch
        >>> x = torch.ones(2, 3)
        >>> dropout(x, 0.5, training=False) is x
        True
        >>> sorted(set(dropout(x, 0.5).flatten().tolist())) in ([0.0], [0.0, 2.0], [2.0])
        True
    """
    p = _check_p(p)
    _float_checked(input, "dropout")
    if not training:
        return input
    return _dropout_masked(input, input.shape, p)


def _feature_dropout(input: Tensor, p: float, training: bool, batched: bool) -> Tensor:
    if not training:
        return input
    shape = input.shape
    if batched:
        mask_shape = tuple(shape[:2]) + (1,) * (input.ndim - 2)
    else:
        mask_shape = (shape[0],) + (1,) * (input.ndim - 1)
    return _dropout_masked(input, mask_shape, p)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels: input ``(N, C, L)`` or ``(C, L)``, each channel dropped with
    probability ``p``.

    Example:
        >>> import chainrule as torch
        >>> dropout1d(torch.ones(2, 3, 4), 0.5, training=False).shape
        torch.Size([2, 3, 4])
    """
    p = _check_p(p)
    _float_checked(input, "dropout1d")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D "
                           "input. Note that dropout1d exists to provide channel-wise dropout on "
                           "inputs with 1 spatial dimension, a channel dimension, and an optional "
                           "batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, batched=input.ndim == 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of images: input ``(N, C, H, W)`` (or ``(C, H, W)``, see below),
    each channel dropped with probability ``p``.

    A 3-D input is treated, as in PyTorch, as ``(N, C, L)`` with a warning.

    Example:
        >>> import chainrule as torch
        >>> y = dropout2d(torch.ones(1, 8, 2, 2), 0.5)
        >>> bool(((y == 0) | (y == 2)).all())
        True
    """
    p = _check_p(p)
    _float_checked(input, "dropout2d")
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is "
                      "deprecated and will result in an error in a future release. To retain "
                      "the behavior and silence this warning, please use dropout instead. Note "
                      "that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 3D or 4D inputs).", stacklevel=2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape "
                      "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch "
                      "to using dropout1d instead.", stacklevel=2)
    if input.ndim < 2:
        return dropout(input, p, training)
    return _feature_dropout(input, p, training, batched=True)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of volumes: input ``(N, C, D, H, W)`` or ``(C, D, H, W)``.

    Example:
        >>> import chainrule as torch
        >>> dropout3d(torch.ones(1, 2, 2, 2, 2), 0.5, training=False).shape
        torch.Size([1, 2, 2, 2, 2])
    """
    p = _check_p(p)
    _float_checked(input, "dropout3d")
    if input.ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is "
                      "deprecated and will result in an error in a future release. To retain "
                      "the behavior and silence this warning, please use dropout instead. Note "
                      "that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 4D or 5D inputs).", stacklevel=2)
    if input.ndim < 2:
        return dropout(input, p, training)
    return _feature_dropout(input, p, training, batched=input.ndim != 4)


def _alpha(input: Tensor, p: float, training: bool, mask_shape) -> Tensor:
    if not training or p == 0.0:
        return input
    npd = input._data.dtype
    if p == 1.0:
        return input * Tensor._make(np.zeros((), dtype=npd))
    keep = _keep_mask(mask_shape, p, npd)
    a = 1.0 / np.sqrt((_SELU_NEG ** 2 * p + 1) * (1 - p))
    b = ((keep - 1) * (_SELU_NEG * a) + _SELU_NEG * a * p).astype(npd)
    return input * Tensor._make((keep * a).astype(npd)) + Tensor._make(b)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped elements are set to SELU's negative saturation and
    the result is rescaled to keep zero mean and unit variance.

    Example:
        >>> import chainrule as torch
        >>> alpha_dropout(torch.ones(3), 0.5).tolist()
        [1.0, 1.0, 1.0]
    """
    p = _check_p(p)
    _float_checked(input, "alpha_dropout")
    return _alpha(input, p, training, input.shape)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels (dimension 1).

    Example:
        >>> import chainrule as torch
        >>> feature_alpha_dropout(torch.ones(2, 3, 4), 0.2, training=True).shape
        torch.Size([2, 3, 4])
    """
    p = _check_p(p)
    _float_checked(input, "feature_alpha_dropout")
    if input.ndim < 2:
        return _alpha(input, p, training, input.shape)
    return _alpha(input, p, training, tuple(input.shape[:2]) + (1,) * (input.ndim - 2))
