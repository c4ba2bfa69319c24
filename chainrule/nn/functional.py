"""``chainrule.nn.functional`` (imported as ``F``): every functional op in one namespace, as
``torch.nn.functional``.

The ops are implemented in ``chainrule.ops`` (one module per family) and re-exported here by
name. This module defines only the few functions no op family owns: ``one_hot``,
``gumbel_softmax``, the ``relu``/``sigmoid``/``tanh`` wrappers with PyTorch's signatures and
the in-place activation variants (``relu_``, ``elu_``…).

Example:
    >>> import chainrule as torch
    >>> import chainrule.nn.functional as F
    >>> logits = torch.tensor([[1.0, 2.0, 0.5]])
    >>> round(F.cross_entropy(logits, torch.tensor([1])).item(), 4)
    0.4644
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..ops import activation as _activation
from ..ops import elementwise as _elementwise
from ..ops._inplace import inplace as _inplace
from ..ops._util import check_tensor as _check_tensor
from ..ops.activation import (
    celu,
    elu,
    gelu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    logsigmoid,
    mish,
    prelu,
    relu6,
    rrelu,
    selu,
    silu,
    softplus,
    softshrink,
    softsign,
    tanhshrink,
    threshold,
)
from ..ops.conv import conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d
from ..ops.conv_fold import fold, unfold
from ..ops.dropout import (
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)
from ..ops.embedding import embedding
from ..ops.linear import bilinear, linear
from ..ops.loss import cross_entropy, nll_loss
from ..ops.loss_binary import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    multilabel_soft_margin_loss,
    soft_margin_loss,
)
from ..ops.loss_distance import cosine_similarity, normalize, pairwise_distance, pdist
from ..ops.loss_margin import (
    cosine_embedding_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from ..ops.loss_regression import (
    gaussian_nll_loss,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    poisson_nll_loss,
    smooth_l1_loss,
)
from ..ops.normalization import batch_norm, group_norm, instance_norm, layer_norm, rms_norm
from ..ops.pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool3d,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    lp_pool1d,
    lp_pool2d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
)
from ..ops.resample import (
    interpolate,
    pad,
    pixel_shuffle,
    pixel_unshuffle,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)
from ..ops.softmax import log_softmax, softmax

__all__ = [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
    "adaptive_max_pool2d", "adaptive_max_pool3d", "alpha_dropout", "avg_pool1d", "avg_pool2d",
    "avg_pool3d", "batch_norm", "bilinear", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "celu", "celu_", "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "cosine_embedding_loss",
    "cosine_similarity", "cross_entropy", "dropout", "dropout1d", "dropout2d", "dropout3d",
    "elu", "elu_", "embedding", "feature_alpha_dropout", "fold", "gaussian_nll_loss", "gelu",
    "glu", "group_norm", "gumbel_softmax", "hardshrink", "hardsigmoid", "hardswish",
    "hardtanh", "hardtanh_", "hinge_embedding_loss", "huber_loss", "instance_norm",
    "interpolate", "kl_div", "l1_loss", "layer_norm", "leaky_relu", "leaky_relu_", "linear",
    "log_softmax", "logsigmoid", "lp_pool1d", "lp_pool2d", "margin_ranking_loss", "max_pool1d",
    "max_pool2d", "max_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d", "mish",
    "mse_loss", "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss",
    "nll_loss", "normalize", "one_hot", "pad", "pairwise_distance", "pdist", "pixel_shuffle",
    "pixel_unshuffle", "poisson_nll_loss", "prelu", "relu", "relu6", "relu_", "rms_norm",
    "rrelu", "rrelu_", "selu", "selu_", "sigmoid", "silu", "smooth_l1_loss",
    "soft_margin_loss", "softmax", "softmin", "softplus", "softshrink", "softsign", "tanh",
    "tanhshrink", "threshold", "threshold_", "triplet_margin_loss",
    "triplet_margin_with_distance_loss", "unfold", "upsample", "upsample_bilinear",
    "upsample_nearest",
]


# ---- wrappers with PyTorch's functional signatures --------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """Rectified linear unit ``max(x, 0)``, in place with ``inplace=True``.

    Args:
        input: any tensor.
        inplace: overwrite ``input`` and return it.

    Shape:
        output has the input's shape.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.relu(torch.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    return relu_(input) if inplace else _elementwise.relu(input)


def sigmoid(input: Tensor) -> Tensor:
    """The logistic function ``1 / (1 + exp(-x))``, elementwise.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.sigmoid(torch.tensor([0.0]))
        tensor([0.5000])
    """
    return _elementwise.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent, elementwise.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.tanh(torch.tensor([0.0]))
        tensor([0.])
    """
    return _elementwise.tanh(input)


# ---- in-place activations ---------------------------------------------------------------------
def relu_(input: Tensor) -> Tensor:
    """In-place ``relu``; returns ``input``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> x = torch.tensor([-1.0, 2.0])
        >>> F.relu_(x) is x, x
        (True, tensor([0., 2.]))
    """
    return _inplace(input, _elementwise.relu)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``elu``; returns ``input``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.elu_(torch.tensor([0.0, 2.0]))
        tensor([0., 2.])
    """
    return _inplace(input, elu, alpha)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place ``leaky_relu``; returns ``input``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.leaky_relu_(torch.tensor([-2.0, 2.0]), 0.5)
        tensor([-1.,  2.])
    """
    return _inplace(input, leaky_relu, negative_slope)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place ``hardtanh``; returns ``input``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.hardtanh_(torch.tensor([-2.0, 0.5, 2.0]))
        tensor([-1.0000,  0.5000,  1.0000])
    """
    return _inplace(input, hardtanh, min_val, max_val)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place ``threshold``: ``x if x > threshold else value``; returns ``input``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.threshold_(torch.tensor([0.5, 2.0]), 1.0, -1.0)
        tensor([-1.,  2.])
    """
    return _inplace(input, _activation.threshold, threshold, value)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``celu``; returns ``input``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.celu_(torch.tensor([0.0, 2.0]))
        tensor([0., 2.])
    """
    return _inplace(input, celu, alpha)


def selu_(input: Tensor) -> Tensor:
    """In-place ``selu``; returns ``input``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.selu_(torch.tensor([0.0]))
        tensor([0.])
    """
    return _inplace(input, selu)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    """In-place ``rrelu``; returns ``input``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.rrelu_(torch.tensor([0.0, 2.0]))
        tensor([0., 2.])
    """
    return _inplace(input, rrelu, lower, upper, training)


# ---- functions no op family owns ----------------------------------------------------------------
def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """``softmax(-input)`` along ``dim``: weights that favour the smallest values.

    Args:
        input: a floating tensor.
        dim: the dimension to normalise; omitting it is deprecated (dim 0 for 0-, 1- and 3-D
            inputs and 1 otherwise, with a warning).
        dtype: cast the input to this dtype first.

    Shape:
        output has the input's shape.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.softmin(torch.tensor([0.0, 1000.0]), dim=0)
        tensor([1., 0.])
    """
    import warnings

    _check_tensor(input, "softmin")
    if dim is None:
        warnings.warn("Implicit dimension choice for softmin has been deprecated. Change the "
                      "call to include dim=X as an argument.", UserWarning,
                      stacklevel=_stacklevel)
        dim = 0 if input.ndim in (0, 1, 3) else 1
    if dtype is not None:
        input = input.to(dtype)
    return softmax(-input, dim)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """One-hot encoding of class indices: an int64 tensor of shape ``(*, num_classes)`` with
    a 1 at each index.

    Args:
        tensor: class indices (int64) of any shape.
        num_classes: number of classes; -1 infers ``max(tensor) + 1``.

    Shape:
        ``(*)`` gives ``(*, num_classes)``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.one_hot(torch.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    _check_tensor(tensor, "one_hot", "tensor")
    idx = tensor._data
    if idx.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    if idx.size and idx.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes < 0 or (idx.size and idx.max() >= num_classes):
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = (idx[..., None] == np.arange(num_classes)).astype(np.int64)
    return Tensor._make(out)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """Sample from the Gumbel-softmax distribution: ``softmax((logits + g) / tau)`` with
    Gumbel(0, 1) noise ``g``; ``hard`` returns one-hot samples whose gradient is the soft
    sample's (straight-through estimator).

    Args:
        logits: unnormalised log-probabilities ``(*, C)``.
        tau: temperature (lower is closer to one-hot).
        hard: return one-hot vectors, differentiated as the soft samples.
        eps: deprecated and unused.
        dim: the class dimension.

    Shape:
        output has the logits' shape.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> y = F.gumbel_softmax(torch.zeros(2, 3), hard=True)
        >>> y.sum(dim=-1)
        tensor([1., 1.])
    """
    import warnings

    from ..random import numpy_rng

    _check_tensor(logits, "gumbel_softmax", "logits")
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = Tensor._make(numpy_rng().gumbel(size=logits._data.shape).astype(
        logits._data.dtype))
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = np.expand_dims(y_soft._data.argmax(axis=dim), dim)
    y_hard = np.zeros_like(y_soft._data)
    np.put_along_axis(y_hard, index, 1.0, axis=dim)
    return Tensor._make(y_hard) - y_soft.detach() + y_soft
