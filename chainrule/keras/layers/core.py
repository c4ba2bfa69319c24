"""Core layers: ``Input``/``InputLayer``, ``Dense``, ``Activation``, ``Flatten``, ``Reshape``,
``Dropout``, ``Lambda``, ``Rescaling``, ``Permute``, ``RepeatVector``, ``Identity``."""

from __future__ import annotations

import math

from ..._tensor import Tensor
from ...nn import functional as F
from .. import activations, initializers, regularizers
from ..backend import unique_name
from .base import InputSpec, KerasTensor, Layer, Node

__all__ = ["Activation", "Dense", "Dropout", "Flatten", "Identity", "Input", "InputLayer",
           "Lambda", "LeakyReLU", "Permute", "ReLU", "RepeatVector", "Rescaling", "Reshape",
           "Softmax"]

# Activations whose pre-activation ("logits") the losses can use for a stable cross-entropy.
_PROB_ACTIVATIONS = {"softmax": activations.softmax, "sigmoid": activations.sigmoid}


def _as_float(x: Tensor) -> Tensor:
    return x if x.is_floating_point() else x.float()


class _Activated:
    """Mixin: apply ``self.activation`` and keep the pre-activation when it is a probability
    (softmax/sigmoid), so cross-entropy losses can start from logits."""

    def _activate(self, z: Tensor) -> Tensor:
        kind = next((k for k, f in _PROB_ACTIVATIONS.items() if self.activation is f), None)
        self.__dict__["_last_logits"] = (kind, z) if kind else None
        return self.activation(z)


class InputLayer(Layer):
    """The entry point of a functional model: holds the symbolic input tensor.

    Args:
        shape: shape of one sample (batch axis excluded), None for unknown sizes.
        batch_size: optional fixed batch size.
        dtype: input dtype (default float32; use ``'int32'`` for token ids).
        batch_shape: full shape including the batch axis (instead of ``shape``).
        name: the layer's name.

    Example:
        >>> from chainrule import keras
        >>> keras.layers.InputLayer(shape=(3,)).output.shape
        (None, 3)
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, **kwargs) -> None:
        if "input_shape" in kwargs and shape is None:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs and batch_shape is None:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name or unique_name("input_layer"), dtype=dtype or "float32",
                         **kwargs)
        if batch_shape is None:
            if shape is None:
                raise ValueError("You must pass a `shape` argument.")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size,) + shape
        self.__dict__["batch_shape"] = tuple(None if d is None else int(d) for d in batch_shape)
        node = Node(self, [])
        kt = KerasTensor(self.batch_shape, self._dtype, name=self.name, node=node)
        node.outputs = kt
        self._inbound_nodes.append(node)
        self.__dict__["_output_shape"] = self.batch_shape
        self.built = True

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self._dtype, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional=False) -> KerasTensor:
    """A symbolic input for the functional API or the first entry of a ``Sequential``.

    Args:
        shape: shape of one sample, e.g. ``(28, 28, 1)`` (batch axis excluded).
        batch_size: optional fixed batch size.
        dtype: input dtype (default float32).
        batch_shape: full shape with the batch axis, instead of ``shape``.
        name: the input layer's name.

    Returns:
        A ``KerasTensor`` of shape ``(batch_size, *shape)``.

    Example:
        >>> from chainrule import keras
        >>> keras.Input(shape=(28, 28, 1)).shape
        (None, 28, 28, 1)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, batch_shape=batch_shape,
                       name=name)
    return layer.output


class Dense(_Activated, Layer):
    """Densely-connected layer: ``activation(inputs @ kernel + bias)`` on the last axis.

    Args:
        units: output size.
        activation: name (``'relu'``, ``'softmax'`` …), callable, or None for linear.
        use_bias: add a bias vector.
        kernel_initializer: default ``'glorot_uniform'``.
        bias_initializer: default ``'zeros'``.
        kernel_regularizer, bias_regularizer: optional penalties (``'l2'``, ``L1(0.01)`` …).
        activity_regularizer: optional penalty on the outputs.
        kernel_constraint, bias_constraint: optional projections after each update.
        **kwargs: base layer arguments (``name``, ``input_shape``, ``trainable`` …).

    Shape:
        ``(batch, ..., in)`` → ``(batch, ..., units)``; kernel ``(in, units)``.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> layer = keras.layers.Dense(4, activation="relu")
        >>> layer(np.ones((2, 3))).shape, layer.kernel.shape
        (torch.Size([2, 4]), torch.Size([3, 4]))
    """

    def __init__(self, units: int, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        units = int(units)
        if units <= 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive "
                             f"integer. Received: units={units}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape) -> None:
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(f"The last dimension of the inputs to a Dense layer should be "
                             f"defined. Found None. Full input shape received: {input_shape}")
        self.kernel = self.add_weight(shape=(in_dim, self.units), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), name="bias",
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: in_dim})
        self.built = True

    def call(self, inputs):
        z = _as_float(inputs) @ self.kernel
        if self.use_bias:
            z = z + self.bias
        out = self._activate(z)
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(out) / max(out.shape[0], 1))
        return out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, activation=activations.serialize(self.activation),
                      use_bias=self.use_bias,
                      kernel_initializer=initializers.serialize(self.kernel_initializer),
                      bias_initializer=initializers.serialize(self.bias_initializer),
                      kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                      bias_regularizer=regularizers.serialize(self.bias_regularizer))
        return config


class Activation(_Activated, Layer):
    """Apply an activation function (by name or callable).

    Args:
        activation: e.g. ``'relu'``, ``'softmax'``, or a callable on tensors.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.Activation("relu")(np.array([[-1.0, 2.0]])).tolist()
        [[0.0, 2.0]]
    """

    def __init__(self, activation, **kwargs) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self._activate(_as_float(inputs))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Flatten(Layer):
    """Flatten every axis but the batch axis: ``(N, d1, d2, ...)`` → ``(N, d1 * d2 * ...)``.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.Flatten()(np.zeros((2, 3, 4))).shape
        torch.Size([2, 12])
    """

    def __init__(self, data_format=None, **kwargs) -> None:
        super().__init__(**kwargs)

    def call(self, inputs):
        return inputs.reshape(inputs.shape[0], -1)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def _output_dtype(self, inputs):
        return inputs.dtype if isinstance(inputs, KerasTensor) else self._dtype


class Reshape(Layer):
    """Reshape each sample to ``target_shape`` (one entry may be -1).

    Args:
        target_shape: the per-sample shape, batch axis excluded.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.Reshape((2, -1))(np.zeros((5, 6))).shape
        torch.Size([5, 2, 3])
    """

    def __init__(self, target_shape, **kwargs) -> None:
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)

    def _resolve(self, in_shape) -> tuple:
        target = list(self.target_shape)
        if -1 in target:
            known = math.prod(d for d in target if d != -1)
            if any(d is None for d in in_shape):
                target[target.index(-1)] = None
                return tuple(target)
            total = math.prod(in_shape)
            if known == 0 or total % known:
                raise ValueError(f"The total size of the tensor must be unchanged. Received: "
                                 f"input_shape={tuple(in_shape)}, target_shape="
                                 f"{self.target_shape}")
            target[target.index(-1)] = total // known
        elif None not in in_shape and math.prod(in_shape) != math.prod(target):
            raise ValueError(f"The total size of the tensor must be unchanged. Received: "
                             f"input_shape={tuple(in_shape)}, target_shape={self.target_shape}")
        return tuple(target)

    def call(self, inputs):
        return inputs.reshape((inputs.shape[0],) + self._resolve(tuple(inputs.shape[1:])))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolve(tuple(input_shape[1:]))

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Dropout(Layer):
    """Randomly zero a fraction ``rate`` of the inputs during training, scaling the rest by
    ``1 / (1 - rate)``; the identity at inference.

    Args:
        rate: fraction of inputs to drop, in ``[0, 1)``.
        noise_shape: accepted for compatibility (must be None).
        seed: accepted for compatibility (use ``keras.utils.set_random_seed``).

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.Dropout(0.5)(np.ones((1, 4))).tolist()  # inference: unchanged
        [[1.0, 1.0, 1.0, 1.0]]
    """

    def __init__(self, rate: float, noise_shape=None, seed=None, **kwargs) -> None:
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float "
                             f"value between 0 and 1. Received: rate={rate}")
        if noise_shape is not None:
            raise NotImplementedError("Dropout: noise_shape is not supported")
        self.rate = float(rate)
        self.seed = seed

    def call(self, inputs, training=None):
        if training and self.rate > 0:
            return F.dropout(_as_float(inputs), self.rate, True)
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class Lambda(Layer):
    """Wrap a function of tensors as a layer (``Lambda(lambda x: x * 2)``).

    Args:
        function: callable on chainrule tensors.
        output_shape: optional output shape (inferred by running it otherwise).
        arguments: extra keyword arguments passed to ``function``.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.Lambda(lambda x: x * 2)(np.ones((1, 2))).tolist()
        [[2.0, 2.0]]
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.function = function
        self.arguments = arguments or {}
        self._fixed_output_shape = output_shape

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def compute_output_spec(self, inputs, *args, **kwargs):
        """Run the function on a zero batch to find the output's shape and dtype."""
        return self._run_dummy(inputs)


class Rescaling(Layer):
    """``inputs * scale + offset`` (e.g. ``Rescaling(1.0 / 255)`` for pixel values).

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.Rescaling(0.5, offset=1.0)(np.array([[2.0]])).tolist()
        [[2.0]]
    """

    def __init__(self, scale, offset=0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset

    def call(self, inputs):
        out = _as_float(inputs) * self.scale
        return out + self.offset if self.offset else out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


class Permute(Layer):
    """Permute the non-batch axes (``dims`` are 1-based, as in Keras).

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.Permute((2, 1))(np.zeros((4, 2, 3))).shape
        torch.Size([4, 3, 2])
    """

    def __init__(self, dims, **kwargs) -> None:
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Invalid permutation argument `dims` for Permute Layer. The set "
                             f"of indices in `dims` must be consecutive and start from 1. "
                             f"Received dims={dims}")

    def call(self, inputs):
        return inputs.permute(0, *self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": list(self.dims)}


class RepeatVector(Layer):
    """Repeat a ``(N, features)`` input ``n`` times: ``(N, n, features)``.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.RepeatVector(3)(np.zeros((2, 5))).shape
        torch.Size([2, 3, 5])
    """

    def __init__(self, n: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return inputs.unsqueeze(1).expand(inputs.shape[0], self.n, inputs.shape[1])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class Identity(Layer):
    """Return the input unchanged.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.Identity()(np.ones((1, 2))).tolist()
        [[1.0, 1.0]]
    """

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


class Softmax(_Activated, Layer):
    """Softmax along ``axis`` (default -1) as a layer.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.Softmax()(np.array([[0.0, 0.0]])).tolist()
        [[0.5, 0.5]]
    """

    def __init__(self, axis: int = -1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.axis = axis
        self.activation = activations.softmax if axis == -1 else \
            (lambda x: activations.softmax(x, axis=axis))

    def call(self, inputs):
        return self._activate(_as_float(inputs))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class ReLU(Layer):
    """Rectified linear unit as a layer, with Keras's optional cap, slope and threshold.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.ReLU(max_value=1.0)(np.array([[-1.0, 3.0]])).tolist()
        [[0.0, 1.0]]
    """

    def __init__(self, max_value=None, negative_slope: float = 0.0, threshold: float = 0.0,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, \
            threshold

    def call(self, inputs):
        return activations.relu(_as_float(inputs), self.negative_slope, self.max_value,
                                self.threshold)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(Layer):
    """Leaky ReLU as a layer (Keras 3's default ``negative_slope=0.3``).

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> [round(v, 2) for v in keras.layers.LeakyReLU()(np.array([[-1.0]])).flatten().tolist()]
        [-0.3]
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs) -> None:
        if "alpha" in kwargs:  # Keras 2's name
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = negative_slope

    def call(self, inputs):
        return F.leaky_relu(_as_float(inputs), self.negative_slope)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}

