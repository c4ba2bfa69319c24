"""``BatchNormalization`` and ``LayerNormalization`` with Keras's defaults and weight order.

Keras's batch normalization differs from PyTorch's in three details kept here: the moving
statistics decay with ``momentum=0.99`` (``moving = moving * momentum + batch * (1 -
momentum)``), the moving variance uses the biased batch variance, and ``epsilon`` defaults to
``1e-3``. The normalization itself runs through ``nn.functional.batch_norm``; channels-last
input is viewed as ``(N * H * W, C)`` so no transpose is needed.
"""

from __future__ import annotations

import numpy as np

from ...nn import functional as F
from .. import initializers, regularizers
from .base import InputSpec, Layer
from .core import _as_float

__all__ = ["BatchNormalization", "LayerNormalization"]


class BatchNormalization(Layer):
    """Normalize each feature (channel) over the batch, with learned scale and offset.

    In training, batch statistics normalize the input and update the moving mean and
    variance (non-trainable weights); at inference (``predict``, ``evaluate``, or when the
    layer is frozen with ``trainable=False``) the moving statistics are used.

    Args:
        axis: the feature axis (default -1, channels-last).
        momentum: decay of the moving statistics (default 0.99).
        epsilon: added to the variance (default 1e-3).
        center: learn an offset ``beta``.
        scale: learn a scale ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
        moving_variance_initializer: initializers (zeros, ones, zeros, ones).
        beta_regularizer, gamma_regularizer: optional penalties.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> bn = keras.layers.BatchNormalization()
        >>> bn(np.ones((4, 3))).shape, [w.shape for w in bn.get_weights()]
        (torch.Size([4, 3]), [(3,), (3,), (3,), (3,)])
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 synchronized: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.axis = int(axis)
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint

    def build(self, input_shape) -> None:
        ndim = len(input_shape)
        axis = self.axis % ndim
        dim = input_shape[axis]
        if dim is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined "
                             f"dimension but the layer received an input with shape "
                             f"{input_shape}.")
        self.__dict__["_axis"] = axis
        shape = (dim,)
        self.gamma = self.add_weight(shape=shape, name="gamma",
                                     initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight(shape=shape, name="beta",
                                    initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center else None
        self.moving_mean = self.add_weight(shape=shape, name="moving_mean", trainable=False,
                                           initializer=self.moving_mean_initializer)
        self.moving_variance = self.add_weight(shape=shape, name="moving_variance",
                                               trainable=False,
                                               initializer=self.moving_variance_initializer)
        self.input_spec = InputSpec(ndim=ndim, axes={axis: dim})
        self.built = True

    def call(self, inputs, training=None):
        x = _as_float(inputs)
        axis, ndim = self._axis, x.ndim
        shape = tuple(x.shape)
        if axis == ndim - 1:
            x2 = x.reshape(-1, shape[-1])
        elif axis == 1:
            x2 = x
        else:
            x2 = x.movedim(axis, 1)
        gamma = self.gamma if self.scale else None
        beta = self.beta if self.center else None
        if training and self.trainable:
            y = F.batch_norm(x2, None, None, gamma, beta, training=True, eps=self.epsilon)
            self._update_moving(x2._data)
        else:
            y = F.batch_norm(x2, self.moving_mean, self.moving_variance, gamma, beta,
                             training=False, eps=self.epsilon)
        if axis == ndim - 1:
            return y.reshape(shape)
        return y if axis == 1 else y.movedim(1, axis)

    def _update_moving(self, arr: np.ndarray) -> None:
        axes = (0,) + tuple(range(2, arr.ndim))
        mean = arr.mean(axis=axes, dtype=np.float64)
        var = arr.var(axis=axes, dtype=np.float64)
        m = self.momentum
        for buf, value in ((self.moving_mean, mean), (self.moving_variance, var)):
            data = buf._data
            data *= m
            data += ((1.0 - m) * value).astype(data.dtype)
            buf._version.value += 1

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale}


class LayerNormalization(Layer):
    """Normalize each sample over its last axis, with learned ``gamma`` and ``beta``.

    Args:
        axis: the normalized axis (default -1; only the last axis is supported).
        epsilon: added to the variance (default 1e-3).
        center, scale: learn ``beta`` / ``gamma``.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.LayerNormalization()(np.ones((2, 5))).shape
        torch.Size([2, 5])
    """

    def __init__(self, axis: int = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer="zeros", gamma_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, rms_scaling: bool = False,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if axis not in (-1,):
            raise NotImplementedError("LayerNormalization: only axis=-1 is supported")
        self.axis, self.epsilon = axis, float(epsilon)
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def build(self, input_shape) -> None:
        dim = input_shape[-1]
        self.gamma = self.add_weight(shape=(dim,), name="gamma",
                                     initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer) if self.scale else None
        self.beta = self.add_weight(shape=(dim,), name="beta",
                                    initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer) if self.center else None
        self.built = True

    def call(self, inputs):
        x = _as_float(inputs)
        return F.layer_norm(x, (x.shape[-1],), self.gamma if self.scale else None,
                            self.beta if self.center else None, self.epsilon)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale}
