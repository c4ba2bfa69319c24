"""``Layer``: the Keras layer base class, an ``nn.Module`` with Keras's build/call protocol.

A layer is created with its configuration only; its weights are made by ``build(input_shape)``
the first time it sees an input (a real batch, or a symbolic ``KerasTensor`` from
``keras.Input``), so shapes are inferred as in Keras. Weights are ``nn.Parameter``s (trainable)
or buffers (non-trainable, e.g. BatchNormalization's moving statistics) in Keras's layouts,
registered on the module, so ``parameters()``, ``state_dict()`` and chainrule optimizers work
unchanged. ``call(inputs, training=None)`` runs on chainrule tensors through autograd.
"""

from __future__ import annotations

import contextlib
import inspect
import re

import numpy as np

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...nn.modules.module import Module
from ...nn.parameter import Parameter
from .. import initializers, regularizers
from ..backend import np_dtype, snake_case, unique_name
from ._tree import flatten, flatten_shapes, map_shapes, map_structure
from .symbolic import InputSpec, KerasTensor, Node, format_shape, is_symbolic, to_tensor

__all__ = ["InputSpec", "KerasTensor", "Layer", "Node", "current_training", "format_shape",
           "to_tensor", "training_scope"]

_TRAINING: list = [None]  # the training flag inherited by nested layer calls


@contextlib.contextmanager
def training_scope(training):
    """Make ``training`` the flag that nested layer calls inherit.

    Example:
        >>> with training_scope(True):
        ...     current_training()
        True
    """
    _TRAINING.append(training)
    try:
        yield
    finally:
        _TRAINING.pop()


def current_training() -> bool:
    """The training flag of the enclosing call (False outside any).

    Example:
        >>> current_training()
        False
    """
    return bool(_TRAINING[-1])


class _EagerTensor(Tensor):
    """A layer's output at top level: ``.numpy()`` works even when it requires grad, as
    Keras code expects (``model(x).numpy()``); everything else is a plain tensor."""

    __slots__ = ()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The values as a NumPy array (no need to ``detach()`` first)."""
        return Tensor.numpy(self, force=True)


_EagerTensor.__name__ = "tensor"  # printed like a plain tensor


def _eager(out):
    for t in flatten(out):
        if type(t) is Tensor and t._requires_grad:
            t.__class__ = _EagerTensor
    return out


_SIG_CACHE: dict = {}


def _call_params(cls) -> set:
    """Names of the keyword parameters of ``cls.call`` (cached per class)."""
    params = _SIG_CACHE.get(cls)
    if params is None:
        sig = inspect.signature(cls.call)
        params = set(sig.parameters)
        if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
            params.add("**")
        _SIG_CACHE[cls] = params
    return params


class Layer(Module):
    """Base class of Keras layers: configuration in ``__init__``, weights in ``build``,
    computation in ``call``.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: the layer's name (default: the snake-case class name, made unique).
        dtype: the weights' dtype (default float32).
        input_shape: shape of one sample (batch axis excluded); builds a ``Sequential``
            model from its first layer, like ``keras.Input``.
        input_dim: shorthand for ``input_shape=(input_dim,)``.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> class Scale(keras.layers.Layer):
        ...     def build(self, input_shape):
        ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
        ...     def call(self, x):
        ...         return x * self.w
        >>> layer = Scale()
        >>> layer(np.ones((2, 3))).shape, [w.shape for w in layer.get_weights()]
        (torch.Size([2, 3]), [(3,)])
    """

    def __init__(self, *, trainable: bool = True, name: str | None = None, dtype=None,
                 input_shape=None, input_dim=None, batch_input_shape=None, batch_size=None,
                 autocast: bool = True, **kwargs) -> None:
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                             f"{kwargs}")
        Module.__init__(self)
        d = self.__dict__
        d["name"] = name or unique_name(snake_case(type(self).__name__))
        d["_trainable"] = bool(trainable)
        d["built"] = False
        d["_vars"] = []  # [attr, keras_name, trainable] in creation order
        d["_regularizers"] = []
        d["_constraints"] = []
        d["_call_losses"] = []
        d["_inbound_nodes"] = []
        d["_output_shape"] = None
        d["_build_shapes"] = None
        d["input_spec"] = None
        d["_dtype"] = str(np_dtype(dtype))
        d["_tracked_lists"] = {}
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            d["_batch_input_shape"] = tuple(batch_input_shape)
        elif input_shape is not None:
            shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
            d["_batch_input_shape"] = (batch_size,) + shape
        else:
            d["_batch_input_shape"] = None

    # ---- attributes --------------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        if isinstance(value, Tensor) and "_vars" in d:
            for var in d["_vars"]:
                if var[0] != name and (d["_parameters"].get(var[0]) is value
                                       or d["_buffers"].get(var[0]) is value):
                    self._rename_var(var, name)
                    return
        if isinstance(value, (list, tuple)) and value and "_modules" in d and \
                all(isinstance(v, Module) for v in value):
            for i, v in enumerate(value):
                self.add_module(f"{name}_{i}" if not name.startswith("_") else
                                f"{name[1:]}_{i}", v)
            d["_tracked_lists"][name] = len(value)
        super().__setattr__(name, value)

    def _rename_var(self, var: list, new: str) -> None:
        d = self.__dict__
        old = var[0]
        if old in d["_parameters"]:
            d["_parameters"] = {(new if k == old else k): v for k, v in d["_parameters"].items()}
        else:
            d["_buffers"] = {(new if k == old else k): v for k, v in d["_buffers"].items()}
        var[0] = new
        if var[1].startswith("variable"):
            var[1] = new
        for reg in d["_regularizers"] + d["_constraints"]:
            if reg[0] == old:
                reg[0] = new

    @property
    def dtype(self) -> str:
        """The weights' dtype name (``'float32'``)."""
        return self._dtype

    @property
    def trainable(self) -> bool:
        """Whether training updates this layer's weights; setting it freezes or unfreezes the
        layer and all its sub-layers."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        """Freeze (False) or unfreeze this layer and its sub-layers."""
        value = bool(value)
        for layer in self._flatten_layers(include_self=True):
            layer.__dict__["_trainable"] = value
            for attr, _, var_trainable in layer._vars:
                p = layer._parameters.get(attr)
                if p is not None:
                    p.requires_grad_(value and var_trainable)

    def _flatten_layers(self, include_self: bool = True) -> list:
        """This layer and all nested layers, depth first, without repeats."""
        out, seen = [], set()
        stack = [self] if include_self else list(reversed(self._sublayers()))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            out.append(layer)
            stack.extend(reversed(layer._sublayers()))
        return out

    def _sublayers(self) -> list:
        return [m for m in self._modules.values() if isinstance(m, Layer)]

    # ---- weights -------------------------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable: bool = True,
                   autocast: bool = True, regularizer=None, constraint=None,
                   aggregation: str = "none", name: str | None = None):
        """Create a weight of this layer (an ``nn.Parameter``, or a buffer if not trainable).

        Args:
            shape: the weight's shape (default scalar).
            initializer: name, ``Initializer`` or callable (default ``'glorot_uniform'`` for
                floats, ``'zeros'`` otherwise).
            dtype: the weight's dtype (default the layer's).
            trainable: whether the optimizer updates it.
            regularizer: optional penalty added to the loss (``'l2'``, ``L2(1e-4)`` …).
            constraint: optional projection applied after each optimizer step.
            name: the weight's name (also its attribute name on the module).
            autocast, aggregation: accepted for compatibility.

        Returns:
            The new weight tensor.

        Example:
            >>> from chainrule import keras
            >>> layer = keras.layers.Layer()
            >>> w = layer.add_weight(shape=(2, 3), initializer="zeros", name="w")
            >>> tuple(w.shape), layer.count_params()
            ((2, 3), 6)
        """
        shape = () if shape is None else tuple(int(s) for s in shape)
        dt = np_dtype(dtype or self._dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dt.kind == "f" else "zeros"
        value = np.asarray(initializers.get(initializer)(shape, dtype=dt), dtype=dt)
        if value.shape != shape:
            value = np.broadcast_to(value, shape).copy()
        keras_name = name or "variable"
        attr = re.sub(r"\W", "_", keras_name)
        base, k = attr, 0
        while attr in self._parameters or attr in self._buffers or attr in self.__dict__ \
                or hasattr(type(self), attr):
            k += 1
            attr = f"{base}_{k}"
        tensor = Tensor._make(np.ascontiguousarray(value))
        if trainable and dt.kind == "f":
            param = Parameter(tensor, requires_grad=self._trainable)
            self.register_parameter(attr, param)
            out = param
        else:
            self.register_buffer(attr, tensor)
            out = tensor
            trainable = False
        self._vars.append([attr, keras_name if name else attr, bool(trainable)])
        if regularizer is not None:
            self._regularizers.append([attr, regularizers.get(regularizer)])
        if constraint is not None:
            from .. import constraints

            self._constraints.append([attr, constraints.get(constraint)])
        return out

    def _var(self, attr: str) -> Tensor:
        return self._parameters.get(attr) if attr in self._parameters else self._buffers[attr]

    def _own_weights(self, trainable: bool | None = None) -> list:
        out = []
        for attr, _, var_trainable in self._vars:
            t = self._var(attr)
            is_tr = var_trainable and self._trainable
            if trainable is None or trainable == is_tr:
                out.append(t)
        return out

    @property
    def trainable_weights(self) -> list:
        """Weights the optimizer updates, in creation order (nested layers after)."""
        out = []
        for layer in self._flatten_layers():
            out.extend(w for w in layer._own_weights(True) if not _contains(out, w))
        return out

    @property
    def non_trainable_weights(self) -> list:
        """Weights training leaves alone (moving statistics, frozen layers)."""
        out = []
        for layer in self._flatten_layers():
            out.extend(w for w in layer._own_weights(False) if not _contains(out, w))
        return out

    @property
    def weights(self) -> list:
        """All weights in Keras's order: trainable then non-trainable, layer by layer."""
        out = []
        for layer in self._flatten_layers():
            own = layer._own_weights(True) + layer._own_weights(False)
            out.extend(w for w in own if not _contains(out, w))
        return out

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    def get_weights(self) -> list:
        """The weights as a list of NumPy arrays (copies), in Keras's order.

        Example:
            >>> from chainrule import keras
            >>> d = keras.layers.Dense(3)
            >>> d.build((None, 4))
            >>> [w.shape for w in d.get_weights()]
            [(4, 3), (3,)]
        """
        return [w._data.copy() for w in self.weights]

    def set_weights(self, weights) -> None:
        """Overwrite the weights from a list of arrays (Keras's order and shapes).

        Args:
            weights: arrays matching ``get_weights()``.

        Raises:
            ValueError: wrong number of arrays or a shape mismatch.

        Example:
            >>> import numpy as np
            >>> from chainrule import keras
            >>> d = keras.layers.Dense(1, input_shape=(2,))
            >>> d.build((None, 2))
            >>> d.set_weights([np.ones((2, 1)), np.zeros(1)])
            >>> d.get_weights()[0].tolist()
            [[1.0], [1.0]]
        """
        mine = self.weights
        weights = list(weights)
        if len(weights) != len(mine):
            raise ValueError(f"You called `set_weights(weights)` on layer '{self.name}' with a "
                             f"weight list of length {len(weights)}, but the layer was "
                             f"expecting {len(mine)} weights.")
        for w, value in zip(mine, weights):
            arr = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
            if tuple(arr.shape) != tuple(w.shape):
                raise ValueError(f"Layer {self.name} weight shape {tuple(w.shape)} is not "
                                 f"compatible with provided weight shape {tuple(arr.shape)}.")
        with no_grad():
            for w, value in zip(mine, weights):
                arr = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
                w._data[...] = arr
                w._version.value += 1

    def count_params(self) -> int:
        """The number of scalars in all weights (trainable and not).

        Example:
            >>> from chainrule import keras
            >>> d = keras.layers.Dense(512)
            >>> d.build((None, 784))
            >>> d.count_params()
            401920
        """
        if not self.built and not self._vars:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but the "
                             f"layer isn't built. You can build it manually via: "
                             f"`layer.build(input_shape)`.")
        return int(sum(w.numel() for w in self.weights))

    # ---- losses ------------------------------------------------------------------------------
    def add_loss(self, loss) -> None:
        """Add a scalar tensor to the training loss (call it inside ``call``).

        Example:
            >>> import chainrule as torch
            >>> from chainrule import keras
            >>> layer = keras.layers.Layer()
            >>> layer.add_loss(torch.tensor(2.0))
            >>> [l.item() for l in layer.losses]
            [2.0]
        """
        self._call_losses.append(loss)

    @property
    def losses(self) -> list:
        """Regularization penalties of all weights plus losses added by ``add_loss`` during
        the latest call (tensors connected to the graph)."""
        out = []
        for layer in self._flatten_layers():
            out.extend(layer._call_losses)
            for attr, reg in layer._regularizers:
                out.append(reg(layer._var(attr)))
        return out

    def _clear_losses(self) -> None:
        for layer in self._flatten_layers():
            layer.__dict__["_call_losses"] = []

    def _apply_constraints(self) -> None:
        with no_grad():
            for layer in self._flatten_layers():
                for attr, con in layer._constraints:
                    w = layer._var(attr)
                    new = con(w)
                    w._data[...] = new._data if isinstance(new, Tensor) else np.asarray(new)
                    w._version.value += 1

    # ---- build / call ------------------------------------------------------------------
    def build(self, input_shape) -> None:
        """Create the weights for inputs of ``input_shape`` (subclasses override)."""
        self.built = True

    def _maybe_build(self, shapes) -> None:
        if self.built:
            return
        self.__dict__["_build_shapes"] = shapes
        with no_grad():
            self.build(shapes)
        self.built = True

    def call(self, inputs, *args, **kwargs):
        """The layer's computation on chainrule tensors (subclasses override)."""
        return inputs

    def forward(self, *args, **kwargs):
        """``nn.Module`` entry point: runs ``call``."""
        return self.call(*args, **kwargs)

    def __call__(self, *args, **kwargs):
        if args:
            inputs, args = args[0], args[1:]
        elif "inputs" in kwargs:
            inputs = kwargs.pop("inputs")
        else:
            raise ValueError(f"Layer '{self.name}' was called without inputs")
        if is_symbolic(inputs):
            return self._symbolic_call(inputs, *args, **kwargs)
        if isinstance(inputs, (list, tuple)) and not any(
                isinstance(v, (Tensor, np.ndarray)) for v in flatten(inputs)):
            inputs = to_tensor(inputs)  # a nested list of numbers is one array
        else:
            inputs = map_structure(to_tensor, inputs)
        training = kwargs.pop("training", None)
        if training is None:
            training = _TRAINING[-1]
        params = _call_params(type(self))
        if "training" in params or "**" in params:
            kwargs["training"] = bool(training)
        with training_scope(training):
            shapes = map_structure(lambda t: tuple(t.shape), inputs)
            self._maybe_build(shapes)
            self._check_inputs(shapes)
            self.__dict__["_call_losses"] = []
            out = Module.__call__(self, inputs, *args, **kwargs)
        self.__dict__["_output_shape"] = map_structure(
            lambda t: (None,) + tuple(t.shape[1:]) if isinstance(t, Tensor) and t.ndim else
            None, out)
        return _eager(out) if len(_TRAINING) == 1 else out

    def _check_inputs(self, shapes) -> None:
        spec = self.input_spec
        if spec is None:
            return
        flat = flatten_shapes(shapes)
        specs = spec if isinstance(spec, (list, tuple)) else [spec]
        for i, (s, shape) in enumerate(zip(specs, flat)):
            if s is not None:
                s.check(shape, self.name, i)

    def _symbolic_call(self, inputs, *args, **kwargs):
        kwargs.pop("training", None)
        shapes = map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else t, inputs)
        self._maybe_build(shapes)
        self._check_inputs(shapes)
        node = Node(self, inputs, args, kwargs)
        out_spec = self.compute_output_spec(inputs, *args, **kwargs)
        counter = [0]

        def make(spec):
            kt = KerasTensor(spec[0], spec[1], node=node, index=counter[0])
            counter[0] += 1
            return kt

        outputs = map_structure(make, out_spec, is_leaf=lambda s: isinstance(s, _Spec))
        node.outputs = outputs
        self._inbound_nodes.append(node)
        self.__dict__["_output_shape"] = map_structure(lambda t: t.shape, outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        """The output shape (batch axis ``None``) for an input shape; by default found by
        running the layer on a small zero batch."""
        dummy = map_shapes(lambda s: KerasTensor(s), input_shape)
        spec = self._run_dummy(dummy)
        return map_structure(lambda s: s[0], spec, is_leaf=lambda s: isinstance(s, _Spec))

    def compute_output_spec(self, inputs, *args, **kwargs):
        """Output ``(shape, dtype)`` specs for KerasTensor inputs."""
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            shapes = self.compute_output_shape(map_structure(
                lambda t: t.shape if isinstance(t, KerasTensor) else t, inputs))
            dtype = self._output_dtype(inputs)
            return map_shapes(lambda s: _Spec(s, dtype), shapes)
        return self._run_dummy(inputs, *args, **kwargs)

    def _output_dtype(self, inputs) -> str:
        return self._dtype

    def _run_dummy(self, inputs, *args, **kwargs):
        """Run ``call`` on zero batches standing in for KerasTensors; a dimension that
        changes with the stand-in size of an unknown input dimension is reported as None."""
        results = []
        for fill in (1, 2):
            def concrete(t, fill=fill):
                if not isinstance(t, KerasTensor):
                    return t
                shape = tuple(fill if d is None else d for d in t.shape)
                return Tensor._make(np.zeros(shape, dtype=np.dtype(t.dtype)))

            with no_grad():
                out = self(map_structure(concrete, inputs), *args, training=False, **kwargs)
            results.append(out)
            if not any(None in t.shape[1:] for t in flatten(inputs)
                       if isinstance(t, KerasTensor)):
                break
        first = results[0]
        other = results[-1]

        def spec(a, b):
            shape = [None] + [da if da == db else None
                              for da, db in zip(tuple(a.shape)[1:], tuple(b.shape)[1:])]
            return _Spec(tuple(shape), str(a._data.dtype))

        flat_a, flat_b = flatten(first), flatten(other)
        specs = iter([spec(a, b) for a, b in zip(flat_a, flat_b)])
        return map_structure(lambda _: next(specs), first)

    # ---- functional-API attributes -------------------------------------------------------
    @property
    def input(self):
        """The symbolic input of the layer's first functional call."""
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} has never been called and thus has no "
                                 f"defined input.")
        return self._inbound_nodes[0].inputs

    @property
    def output(self):
        """The symbolic output of the layer's first functional call."""
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} has never been called and thus has no "
                                 f"defined output.")
        return self._inbound_nodes[0].outputs

    @property
    def output_shape(self):
        """The output shape recorded at the last call (batch axis None)."""
        if self._output_shape is None:
            raise AttributeError(f"The layer {self.name} has never been called and thus has "
                                 f"no defined output shape.")
        return self._output_shape

    # ---- config ------------------------------------------------------------------------------
    def get_config(self) -> dict:
        """The constructor arguments needed to rebuild the layer (JSON-able)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict):
        """Create a layer from ``get_config()``'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


class _Spec(tuple):
    """``(shape, dtype)`` of a symbolic output."""

    def __new__(cls, shape, dtype):
        return super().__new__(cls, (tuple(shape), dtype))


def _contains(items: list, w) -> bool:
    return any(x is w for x in items)
