"""Normalisation modules: ``BatchNorm1d/2d/3d``, ``InstanceNorm1d/2d/3d``, ``LayerNorm``,
``GroupNorm``, ``RMSNorm``."""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from ... import _dtypes
from ..._device import check_device
from ..._tensor import Tensor
from ...ops import normalization as N
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LayerNorm",
    "LocalResponseNorm",
    "RMSNorm",
    "SyncBatchNorm",
]


def _np_dtype(dtype):
    return (_dtypes.to_dtype(dtype) if dtype is not None else _dtypes.get_default_dtype()).np


def _param(shape, npd) -> Parameter:
    return Parameter(Tensor._make(np.empty(shape, dtype=npd)))


def _register_affine(module: Module, affine: bool, bias: bool, shape: tuple, npd) -> None:
    """Give ``module`` an uninitialised ``weight`` and ``bias`` of ``shape`` (None where not
    learnt)."""
    if affine:
        module.weight = _param(shape, npd)
        if bias:
            module.bias = _param(shape, npd)
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


def _reset_affine(module: Module, affine: bool) -> None:
    """Set ``module``'s weight to 1 and bias (if any) to 0 when it is ``affine``."""
    if affine:
        init.ones_(module.weight)
        if module.bias is not None:
            init.zeros_(module.bias)


class _NormBase(Module):
    """Shared state of batch and instance norm: affine parameters and running statistics."""

    _version = 2
    _dims: tuple = ()  # accepted input ranks

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, bias: bool = True) -> None:
        super().__init__()
        check_device(device, type(self).__name__)
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) \
                or num_features <= 0:
            raise ValueError(f"{type(self).__name__}: num_features must be a positive int, "
                             f"received num_features={num_features!r}")
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"{type(self).__name__}: momentum must be in [0, 1] or None, "
                             f"received momentum={momentum}")
        if eps < 0:
            raise ValueError(f"{type(self).__name__}: eps must be non-negative, received "
                             f"eps={eps}")
        npd = _np_dtype(dtype)
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _register_affine(self, affine, bias, (self.num_features,), npd)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor._make(np.zeros(self.num_features, npd)))
            self.register_buffer("running_var", Tensor._make(np.ones(self.num_features, npd)))
            self.register_buffer("num_batches_tracked", Tensor._make(np.array(0, np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean to 0, running variance to 1, batch count to 0."""
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self) -> None:
        """Reset the running statistics; weight to 1, bias to 0."""
        self.reset_running_stats()
        _reset_affine(self, self.affine)

    def _check_input_dim(self, input) -> None:
        if not isinstance(input, Tensor):
            raise TypeError(f"{self._get_name()}: expected a Tensor input, received "
                            f"{type(input).__name__}")
        if input.ndim not in self._dims:
            want = " or ".join(f"{d}D" for d in self._dims)
            raise ValueError(f"expected {want} input (got {input.ndim}D input): "
                             f"{self._get_name()}({self.num_features}) received input of shape "
                             f"{list(input.shape)}")

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs) -> None:
        version = local_metadata.get("version", None)
        key = prefix + "num_batches_tracked"
        if (version is None or version < 2) and self.track_running_stats and \
                key not in state_dict:
            # checkpoints from before the counter existed
            state_dict[key] = (self.num_batches_tracked if self.num_batches_tracked is not None
                               else Tensor._make(np.array(0, np.int64)))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


class _BatchNorm(_NormBase):
    def forward(self, input: Tensor) -> Tensor:
        """Normalise with batch statistics (training) or running statistics (eval)."""
        self._check_input_dim(input)
        if input.shape[1] != self.num_features:
            raise RuntimeError(
                f"running_mean should contain {input.shape[1]} elements not "
                f"{self.num_features}: {self._get_name()}({self.num_features}) expects "
                f"{self.num_features} channels (num_features) in dimension 1 of its input, "
                f"received input of shape {list(input.shape)}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            if input.numel() // self.num_features == 1:
                raise ValueError(f"Expected more than 1 value per channel when training, got "
                                 f"input size {input.shape}")
            nbt = self.num_batches_tracked
            nbt._data += 1
            nbt._version.value += 1
            factor = 1.0 / float(nbt._data) if self.momentum is None else self.momentum
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return N.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over a batch of vectors or sequences: each channel ``c`` becomes
    ``(x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c``.

    In training the mean and (biased) variance come from the batch, and the running statistics
    are updated in place: ``running = (1 - momentum) * running + momentum * batch`` with the
    unbiased batch variance (``momentum=None``: a cumulative average). In eval mode the running
    statistics are used.

    Args:
        num_features: the number of channels ``C``.
        eps: added to the variance for stability.
        momentum: the running statistics' update factor, or None for a cumulative average.
        affine: learn ``weight`` (init 1) and ``bias`` (init 0).
        track_running_stats: keep running statistics (else batch statistics always).
        bias: learn a bias (when ``affine``).

    Shape:
        - Input: ``(N, C)`` or ``(N, C, L)``. Output: the same.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> bn = nn.BatchNorm1d(2)
        >>> y = bn(torch.tensor([[1.0, 2.0], [3.0, 6.0]]))
        >>> bn.running_mean, bn.num_batches_tracked
        (tensor([0.2000, 0.4000]), tensor(1))
        >>> bn
        BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over images, per channel (see ``BatchNorm1d``).

    Shape:
        - Input: ``(N, C, H, W)``. Output: the same.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> bn = nn.BatchNorm2d(3)
        >>> y = bn(torch.randn(4, 3, 5, 5))
        >>> bool((y.mean(dim=(0, 2, 3)).abs() < 1e-5).all())
        True
    """

    _dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over volumes, per channel (see ``BatchNorm1d``).

    Shape:
        - Input: ``(N, C, D, H, W)``. Output: the same.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.BatchNorm3d(2)(torch.randn(2, 2, 3, 3, 3)).shape
        torch.Size([2, 2, 3, 3, 3])
    """

    _dims = (5,)


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation for any input rank ``(N, C, *)``. Synchronising statistics across
    processes has no meaning on one CPU, so this is ``BatchNorm`` under PyTorch's name.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.SyncBatchNorm(3)(torch.randn(4, 3, 2, 2, 2)).shape
        torch.Size([4, 3, 2, 2, 2])
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, process_group=None,
                 device=None, dtype=None) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input_dim(self, input) -> None:
        if not isinstance(input, Tensor):
            raise TypeError(f"SyncBatchNorm: expected a Tensor input, received "
                            f"{type(input).__name__}")
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """Returns ``module`` unchanged (its BatchNorm layers already behave the same)."""
        return module


class _InstanceNorm(_NormBase):
    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias)

    def forward(self, input: Tensor) -> Tensor:
        """Normalise each channel of each sample over its spatial dimensions."""
        self._check_input_dim(input)
        no_batch = self._dims[0]
        feature_dim = input.ndim - no_batch
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match "
                                 f"num_features ({self.num_features}), but got: "
                                 f"{input.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You "
                          "can silence this warning by not passing in num_features, which is "
                          "not used because affine=False", stacklevel=2)
        unbatched = input.ndim == no_batch
        x = input.reshape((1,) + tuple(input.shape)) if unbatched else input
        out = N.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                              self.training or not self.track_running_stats,
                              self.momentum if self.momentum is not None else 0.0, self.eps)
        return out.reshape(tuple(input.shape)) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of sequences: each channel of each sample is normalised over its
    length. No affine parameters or running statistics by default.

    Shape:
        - Input: ``(N, C, L)`` or ``(C, L)``. Output: the same.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.InstanceNorm1d(1)(torch.tensor([[[1.0, 3.0]]]))
        tensor([[[-1.0000,  1.0000]]])
    """

    _dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of images (see ``InstanceNorm1d``).

    Shape:
        - Input: ``(N, C, H, W)`` or ``(C, H, W)``. Output: the same.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.InstanceNorm2d(3)(torch.randn(2, 3, 4, 4)).shape
        torch.Size([2, 3, 4, 4])
    """

    _dims = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of volumes (see ``InstanceNorm1d``).

    Shape:
        - Input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``. Output: the same.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.InstanceNorm3d(2)(torch.randn(1, 2, 2, 2, 2)).shape
        torch.Size([1, 2, 2, 2, 2])
    """

    _dims = (4, 5)


def _shape_tuple(normalized_shape, layer: str) -> tuple:
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    shape = tuple(int(s) for s in normalized_shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"{layer}: normalized_shape must be non-negative, received "
                         f"normalized_shape={shape}")
    return shape


class LayerNorm(Module):
    """Layer normalisation: each sample is normalised over its last dimensions
    (``normalized_shape``), then scaled and shifted elementwise.

    Args:
        normalized_shape: the trailing shape to normalise over (an int for the last dimension).
        eps: added to the variance for stability.
        elementwise_affine: learn ``weight`` (init 1) and ``bias`` (init 0).
        bias: learn a bias (when ``elementwise_affine``).

    Shape:
        - Input: ``(*, *normalized_shape)``. Output: the same.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> ln = nn.LayerNorm(4)
        >>> ln
        LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)
        >>> y = ln(torch.tensor([[1.0, 2.0, 3.0, 4.0]]))
        >>> round(float(y.mean()), 6), round(float(y.var(unbiased=False)), 3)
        (0.0, 1.0)
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        check_device(device, "LayerNorm")
        self.normalized_shape = _shape_tuple(normalized_shape, "LayerNorm")
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _register_affine(self, elementwise_affine, bias, self.normalized_shape, _np_dtype(dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight to 1, bias to 0."""
        _reset_affine(self, self.elementwise_affine)

    def forward(self, input: Tensor) -> Tensor:
        """Normalise the trailing dimensions."""
        try:
            return N.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc} (raised by {self!r})") from None

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Group normalisation: the channels are split into ``num_groups`` groups and each group of
    each sample is normalised (with its spatial dimensions), then scaled per channel.

    Args:
        num_groups: the number of groups (must divide ``num_channels``).
        num_channels: the number of channels ``C``.
        eps: added to the variance for stability.
        affine: learn per-channel ``weight`` (init 1) and ``bias`` (init 0).

    Shape:
        - Input: ``(N, C, *)``. Output: the same.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> gn = nn.GroupNorm(2, 4)
        >>> gn(torch.randn(3, 4, 5)).shape
        torch.Size([3, 4, 5])
        >>> gn
        GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        check_device(device, "GroupNorm")
        if num_groups <= 0:
            raise ValueError(f"GroupNorm: num_groups must be positive, received "
                             f"num_groups={num_groups}")
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        _register_affine(self, affine, bias, (num_channels,), _np_dtype(dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight to 1, bias to 0."""
        _reset_affine(self, self.affine)

    def forward(self, input: Tensor) -> Tensor:
        """Normalise each group of channels."""
        if isinstance(input, Tensor) and input.ndim >= 2 and \
                input.shape[1] != self.num_channels and self.affine:
            raise RuntimeError(f"Expected weight to be a vector of size equal to the number of "
                               f"channels in input, but got weight of shape "
                               f"[{self.num_channels}] and input of shape {list(input.shape)}: "
                               f"{self!r} expects {self.num_channels} channels (num_channels) in "
                               "dimension 1")
        try:
            return N.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc} (raised by {self!r})") from None

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class LocalResponseNorm(Module):
    """Local response normalisation across channels (AlexNet):
    ``x / (k + alpha * mean of x^2 over size neighbouring channels) ** beta``.

    Shape:
        - Input: ``(N, C, *)``. Output: the same.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.LocalResponseNorm(2)
        LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        """Normalise across channels."""
        return N.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class RMSNorm(Module):
    """Root-mean-square normalisation over the trailing ``normalized_shape`` dimensions:
    ``x / sqrt(mean(x^2) + eps) * weight``.

    Args:
        normalized_shape: the trailing shape to normalise over.
        eps: added to the mean square (the dtype's epsilon when None).
        elementwise_affine: learn ``weight`` (init 1).

    Shape:
        - Input: ``(*, *normalized_shape)``. Output: the same.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.RMSNorm(4)
        RMSNorm((4,), eps=None, elementwise_affine=True)
    """

    def __init__(self, normalized_shape, eps: float | None = None,
                 elementwise_affine: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        check_device(device, "RMSNorm")
        self.normalized_shape = _shape_tuple(normalized_shape, "RMSNorm")
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = _param(self.normalized_shape, _np_dtype(dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight to 1."""
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, input: Tensor) -> Tensor:
        """Normalise the trailing dimensions."""
        return N.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
