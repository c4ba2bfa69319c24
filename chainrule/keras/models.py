"""Keras models: ``Model`` (functional ``Model(inputs, outputs)`` or subclassed with
``call``) and ``Sequential`` (a list of layers, or ``.add``).

A model is a ``Layer`` (hence an ``nn.Module``) with the training engine of ``trainer.py``.
Functional models keep the graph recorded by calling layers on ``keras.Input`` tensors and
replay it on data; a ``Sequential`` given an input shape (``keras.Input``, ``input_shape=`` on
its first layer, or ``build``) builds the same graph, so shapes and parameter counts are known
before training, as in Keras. Without one, it is built by the first batch.

Example:
    >>> import numpy as np
    >>> from chainrule import keras
    >>> from chainrule.keras import layers
    >>> model = keras.Sequential([keras.Input((784,)), layers.Dense(512, activation="relu"),
    ...                           layers.Dense(10, activation="softmax")])
    >>> model.count_params()
    407050
    >>> model.predict(np.zeros((3, 784)), verbose=0).shape
    (3, 10)
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from .backend import np_dtype, snake_case, unique_name
from .layers._tree import flatten, map_structure
from .layers.base import KerasTensor, Layer, format_shape, to_tensor
from .layers.core import InputLayer
from .saving import SavingMixin, load_model
from .trainer import Trainer

__all__ = ["Functional", "Model", "Sequential", "load_model"]


class _Graph:
    """The layer-call graph between input and output KerasTensors, in execution order."""

    def __init__(self, inputs, outputs) -> None:
        self.input_struct, self.output_struct = inputs, outputs
        self.inputs = [t for t in flatten(inputs)]
        self.outputs = [t for t in flatten(outputs)]
        for i, t in enumerate(self.inputs):
            if not isinstance(t, KerasTensor) or not isinstance(t._node.layer, InputLayer):
                msg = (f"All `inputs` values must be KerasTensors created by "
                       f"keras.Input(). Received inputs[{i}]={t!r}")
                raise ValueError(msg)  # noqa: TRY004
        for i, t in enumerate(self.outputs):
            if not isinstance(t, KerasTensor):
                msg = (f"All `outputs` values must be KerasTensors. Received: "
                       f"outputs[{i}]={t!r}")
                raise ValueError(msg)  # noqa: TRY004
        order, seen = [], set()
        for out in self.outputs:
            stack = [(out._node, False)]
            while stack:
                node, expanded = stack.pop()
                if id(node) in seen:
                    continue
                if expanded:
                    seen.add(id(node))
                    order.append(node)
                    continue
                stack.append((node, True))
                for parent in reversed(node.parent_nodes):
                    if id(parent) not in seen:
                        stack.append((parent, False))
        input_ids = {id(t._node) for t in self.inputs}
        for node in order:
            if isinstance(node.layer, InputLayer) and id(node) not in input_ids:
                raise ValueError(f"Graph disconnected: the output depends on the input "
                                 f"'{node.layer.name}', which is not in the model's `inputs`")
        self.nodes = order
        self.layers = []
        for node in order:
            if not any(node.layer is lay for lay in self.layers):
                self.layers.append(node.layer)

    def consumers(self, kt: KerasTensor) -> list:
        """Layers whose calls in this graph take ``kt`` as an input."""
        return [n.layer for n in self.nodes if any(t is kt for t in n.input_tensors)]

    def run(self, inputs: list):
        env = {id(kt): v for kt, v in zip(self.inputs, inputs)}
        for node in self.nodes:
            if isinstance(node.layer, InputLayer):
                continue
            args = map_structure(lambda t: env[id(t)] if isinstance(t, KerasTensor) else t,
                                 node.inputs)
            out = node.layer(args, *node.args, **node.kwargs)
            for kt, value in zip(flatten(node.outputs), flatten(out)):
                env[id(kt)] = value
        return map_structure(lambda t: env[id(t)], self.output_struct)


class Model(SavingMixin, Trainer, Layer):
    """A trainable model: functional (``Model(inputs=..., outputs=...)``) or subclassed
    (define layers in ``__init__`` and the forward pass in ``call``).

    Args:
        inputs: KerasTensor(s) from ``keras.Input`` (functional API).
        outputs: KerasTensor(s) computed from ``inputs`` by calling layers.
        name: the model's name.
        trainable: whether its weights are trained.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> inputs = keras.Input((3,))
        >>> outputs = keras.layers.Dense(2)(keras.layers.Dense(4, activation="relu")(inputs))
        >>> keras.Model(inputs, outputs).predict(np.ones((5, 3)), verbose=0).shape
        (5, 2)
        >>> class MLP(keras.Model):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = keras.layers.Dense(8, activation="relu")
        ...         self.out = keras.layers.Dense(1)
        ...     def call(self, x):
        ...         return self.out(self.hidden(x))
        >>> MLP()(np.ones((2, 3))).shape
        torch.Size([2, 1])
    """

    def __init__(self, *args, **kwargs) -> None:
        inputs = kwargs.pop("inputs", None)
        outputs = kwargs.pop("outputs", None)
        if args:
            inputs, args = args[0], args[1:]
        if args:
            outputs, args = args[0], args[1:]
        if args:
            raise TypeError(f"Model() got unexpected positional arguments {args}")
        graph = inputs is not None and outputs is not None
        name = kwargs.pop("name", None)
        if name is None:
            base = "functional" if graph and type(self) in (Model, Functional) else \
                snake_case(type(self).__name__)
            name = unique_name(base)
        Layer.__init__(self, name=name, trainable=kwargs.pop("trainable", True), **kwargs)
        self._init_trainer()
        self.__dict__["_graph"] = None
        if graph:
            self._set_graph(inputs, outputs)
        elif inputs is not None or outputs is not None:
            raise ValueError("Model() needs both `inputs` and `outputs` (or neither, for a "
                             "subclassed model)")

    def _set_graph(self, inputs, outputs) -> None:
        graph = _Graph(inputs, outputs)
        self.__dict__["_graph"] = graph
        used = set()
        for i, layer in enumerate(graph.layers):
            key = layer.name if layer.name not in used and "." not in layer.name else \
                f"layer_{i}"
            if key in self._modules or hasattr(type(self), key) or key in self.__dict__:
                key = f"layer_{i}"
            used.add(key)
            self.add_module(key, layer)
        self.built = True

    # ---- structure ---------------------------------------------------------------------
    @property
    def layers(self) -> list:
        """The model's layers (functional models include their ``InputLayer``s)."""
        if self._graph is not None:
            return list(self._graph.layers)
        return [m for m in self._modules.values() if isinstance(m, Layer)]

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by name or by index in ``layers``.

        Raises:
            ValueError: no such layer (the message lists the available names).
        """
        if index is not None and name is not None:
            raise ValueError("Provide only a layer name or a layer index, not both")
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only "
                                 f"has {len(self.layers)} layers.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: "
                         f"{[lay.name for lay in self.layers]}.")

    @property
    def inputs(self) -> list:
        """The model's input KerasTensors (functional models)."""
        return list(self._graph.inputs) if self._graph is not None else None

    @property
    def outputs(self) -> list:
        """The model's output KerasTensors (functional models)."""
        return list(self._graph.outputs) if self._graph is not None else None

    @property
    def input(self):
        """The symbolic input(s) of a functional model."""
        if self._graph is None:
            return super().input
        return self._graph.input_struct

    @property
    def output(self):
        """The symbolic output(s) of a functional model."""
        if self._graph is None:
            return super().output
        return self._graph.output_struct

    @property
    def input_shape(self):
        """The declared input shape(s), batch axis None."""
        if self._graph is None:
            raise AttributeError(f"The model {self.name} has no defined input shape yet")
        shapes = [t.shape for t in self._graph.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        """The output shape(s), batch axis None."""
        if self._graph is not None:
            shapes = [t.shape for t in self._graph.outputs]
            return shapes[0] if len(shapes) == 1 else shapes
        return super().output_shape

    def _output_layer(self):
        if self._graph is None or len(self._graph.outputs) != 1:
            return None
        layer = self._graph.outputs[0]._node.layer
        return layer._output_layer() if isinstance(layer, Model) else layer

    # ---- calling -----------------------------------------------------------------------
    def _maybe_build(self, shapes) -> None:
        if self.built:
            return
        self.__dict__["_build_shapes"] = shapes
        if type(self).build not in (Model.build, Sequential.build):
            with no_grad():
                self.build(shapes)  # a subclass's own build runs before its first call
        self.built = True

    def build(self, input_shape=None) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis may be None) by
        running the model once on a zero batch.

        Example:
            >>> from chainrule import keras
            >>> class Net(keras.Model):
            ...     def __init__(self):
            ...         super().__init__()
            ...         self.d = keras.layers.Dense(2)
            ...     def call(self, x):
            ...         return self.d(x)
            >>> net = Net(); net.build((None, 5)); net.count_params()
            12
        """
        if self._graph is not None or input_shape is None:
            self.built = True
            return
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        dummy = [Tensor._make(np.zeros(tuple(1 if d is None else d for d in s), np.float32))
                 for s in shapes]
        with no_grad():
            self(dummy if isinstance(input_shape, list) else dummy[0], training=False)
        self.__dict__["_build_shapes"] = input_shape

    def call(self, inputs, training=None, mask=None):
        """The forward pass (functional models replay their graph; subclasses override)."""
        if self._graph is None:
            raise NotImplementedError(f"Model {type(self).__name__} must implement call() or "
                                      f"be created with inputs and outputs")
        return self._graph.run(self._standardize_inputs(inputs))

    def _standardize_inputs(self, inputs) -> list:
        graph = self._graph
        if isinstance(inputs, dict):
            names = [t._node.layer.name for t in graph.inputs]
            missing = [n for n in names if n not in inputs]
            if missing:
                raise ValueError(f"Missing data for input(s) {missing}. Expected the keys "
                                 f"{names}, received {list(inputs)}")
            flat = [inputs[n] for n in names]
        else:
            flat = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) != len(graph.inputs):
            raise ValueError(f'Layer "{self.name}" expects {len(graph.inputs)} input(s), but it '
                             f"received {len(flat)} input tensors.")
        out = []
        for i, (kt, x) in enumerate(zip(graph.inputs, flat)):
            x = to_tensor(x)
            x = self._adjust_input(i, kt, x)
            want = np_dtype(kt.dtype)
            if x._data.dtype != want and (want.kind == "f" or x.is_floating_point()):
                x = Tensor._make(x._data.astype(want)) if not x.requires_grad else \
                    x.to(_chainrule_dtype(want))
            out.append(x)
        return out

    def _adjust_input(self, i: int, kt: KerasTensor, x: Tensor) -> Tensor:
        want, got = kt.shape, tuple(x.shape)
        if len(got) == len(want) - 1 and want[-1] == 1:
            x, got = x.unsqueeze(-1), got + (1,)
        elif len(got) == len(want) + 1 and got[-1] == 1 and want[-1] != 1:
            x, got = x.squeeze(-1), got[:-1]
        ok = len(got) == len(want) and all(w is None or w == g for w, g in zip(want, got))
        if not ok:
            for layer in self._graph.consumers(kt):
                spec = layer.input_spec
                if spec is not None and not isinstance(spec, (list, tuple)):
                    spec.check(got, layer.name, 0)
            raise ValueError(f'Input {i} of layer "{self.name}" is incompatible with the layer: '
                             f"expected shape={format_shape(want)}, found shape="
                             f"{format_shape(got)}")
        return x

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None) -> None:
        """Print Keras's summary table: layers, output shapes, parameter counts and totals.

        Args:
            line_length: total width (default ``min(88, terminal columns - 4)``).
            positions: column boundaries as fractions (or absolute positions).
            print_fn: called with the whole summary text instead of printing it.
            expand_nested: also list the layers of nested models.
            show_trainable: add a column telling whether each layer is trainable.
            layer_range: ``(first_name, last_name)`` patterns limiting the rows.
        """
        from .summary import print_summary

        print_summary(self, line_length, positions, print_fn, expand_nested, show_trainable,
                      layer_range)


Functional = Model


def _chainrule_dtype(np_dt):
    from .. import _dtypes

    return getattr(_dtypes, str(np_dt))


class Sequential(Model):
    """A linear stack of layers.

    Args:
        layers: optional list of layers; it may start with ``keras.Input(shape)``.
        trainable: whether the model's weights are trained.
        name: the model's name (default ``'sequential'``, made unique).

    Example:
        >>> from chainrule import keras
        >>> from chainrule.keras import layers
        >>> model = keras.Sequential()
        >>> model.add(keras.Input(shape=(28, 28, 1)))
        >>> model.add(layers.Conv2D(32, 3, activation="relu"))
        >>> model.add(layers.MaxPooling2D(2))
        >>> model.output_shape
        (None, 13, 13, 32)
    """

    def __init__(self, layers=None, trainable: bool = True, name: str | None = None) -> None:
        Model.__init__(self, name=name or unique_name("sequential"), trainable=trainable)
        self.__dict__["_seq_layers"] = []
        self.__dict__["_input_layer"] = None
        self.__dict__["_last_output"] = None
        if layers is not None and not isinstance(layers, (list, tuple)):
            raise TypeError(f"Sequential expects a list of layers, received {type(layers)}")
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> list:
        """The layers in order (without the input layer)."""
        return list(self._seq_layers)

    def add(self, layer, rebuild: bool = True) -> None:
        """Append a layer (or set the input with ``keras.Input``).

        Raises:
            TypeError: ``layer`` is not a Keras layer.
            ValueError: a layer name is used twice.
        """
        if isinstance(layer, KerasTensor):
            layer = layer._node.layer
        if isinstance(layer, InputLayer):
            if self._seq_layers or self._input_layer is not None:
                raise ValueError("An InputLayer (keras.Input) can only be the first element of "
                                 "a Sequential model.")
            self.__dict__["_input_layer"] = layer
            self.__dict__["_last_output"] = layer.output
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Only instances of `keras.Layer` can be added to a Sequential "
                            f"model. Received: {layer} (of type {type(layer)})")
        if any(lay.name == layer.name for lay in self._seq_layers):
            raise ValueError(f"All layers added to a Sequential model should have unique "
                             f"names. Name '{layer.name}' is already the name of a layer in "
                             f"this model. Update the `name` argument to pass a unique name.")
        if not self._seq_layers and self._input_layer is None and \
                layer._batch_input_shape is not None:
            inp = InputLayer(batch_shape=layer._batch_input_shape, dtype="float32")
            self.__dict__["_input_layer"] = inp
            self.__dict__["_last_output"] = inp.output
        self._seq_layers.append(layer)
        key = layer.name if layer.name not in self._modules and "." not in layer.name and \
            not hasattr(type(self), layer.name) and layer.name not in self.__dict__ \
            else f"layer_{len(self._seq_layers) - 1}"
        self.add_module(key, layer)
        if self._last_output is not None:
            self.__dict__["_last_output"] = layer(self._last_output)
            self._set_sequential_graph()
        else:
            self.built = False

    def _set_sequential_graph(self) -> None:
        self.__dict__["_graph"] = _Graph(self._input_layer.output, self._last_output)
        self.built = True

    def pop(self) -> Layer:
        """Remove and return the last layer.

        Raises:
            ValueError: the model has no layers.
        """
        if not self._seq_layers:
            raise ValueError("There are no layers in the model.")
        layer = self._seq_layers.pop()
        for key, mod in list(self._modules.items()):
            if mod is layer:
                del self._modules[key]
        if self._input_layer is not None:
            x = self._input_layer.output
            for lay in self._seq_layers:
                x = lay(x)
            self.__dict__["_last_output"] = x
            if self._seq_layers:
                self._set_sequential_graph()
            else:
                self.__dict__["_graph"] = None
        return layer

    def build(self, input_shape=None) -> None:
        """Build the model for inputs of ``input_shape`` (batch axis included, may be None).

        Example:
            >>> from chainrule import keras
            >>> m = keras.Sequential([keras.layers.Dense(4)])
            >>> m.build((None, 3)); m.count_params()
            16
        """
        if self._graph is not None:
            self.built = True
            return
        if input_shape is None:
            raise ValueError("You must provide an `input_shape` argument.")
        inp = InputLayer(batch_shape=tuple(input_shape))
        self.__dict__["_input_layer"] = inp
        x = inp.output
        for layer in self._seq_layers:
            x = layer(x)
        self.__dict__["_last_output"] = x
        self._set_sequential_graph()

    def call(self, inputs, training=None, mask=None):
        if self._graph is not None:
            return self._graph.run(self._standardize_inputs(inputs))
        x = inputs
        for layer in self._seq_layers:
            x = layer(x)
        return x

    def _output_layer(self):
        if not self._seq_layers:
            return None
        last = self._seq_layers[-1]
        return last._output_layer() if isinstance(last, Model) else last

    @property
    def input_shape(self):
        """The input shape, batch axis None (once an input is known)."""
        if self._input_layer is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined input shape "
                                 f"yet.")
        return self._input_layer.batch_shape

    def get_config(self) -> dict:
        config = {"name": self.name, "trainable": self.trainable,
                  "layers": [serialize_layer(lay) for lay in self._seq_layers]}
        if self._input_layer is not None:
            config["batch_shape"] = list(self._input_layer.batch_shape)
        return config


def serialize_layer(layer: Layer) -> dict:
    """``{'class_name', 'config'}`` of a layer (used by ``model.save``).

    Example:
        >>> from chainrule import keras
        >>> serialize_layer(keras.layers.Dropout(0.5, name="d"))["config"]["rate"]
        0.5
    """
    return {"class_name": type(layer).__name__, "config": layer.get_config()}

