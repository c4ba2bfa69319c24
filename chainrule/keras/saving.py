"""Saving Keras models: ``save_weights``/``load_weights``, ``model.save`` and
``keras.models.load_model``, on top of ``chainrule.save``/``chainrule.load``.

Files are chainrule's pickle-free, safetensors-compatible checkpoints whatever the extension
(``.weights.h5`` and ``.keras`` names are accepted so Keras code runs unchanged, but the bytes
are not HDF5/zip). A weights file holds the weights in Keras's order (``model.weights``) with
their layer paths; a model file adds the architecture as JSON (layer configs and, for
functional models, the call graph) and the compile arguments given by name.
"""

from __future__ import annotations

import json
import os

import numpy as np

from .._tensor import Tensor

__all__ = ["SavingMixin", "load_model"]

_WEIGHTS_FORMAT = "chainrule.keras.weights"
_MODEL_FORMAT = "chainrule.keras.model"


def _check_overwrite(filepath: str, overwrite: bool) -> None:
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"The file {filepath!r} already exists; pass overwrite=True to "
                              f"replace it")


def _weight_paths(model) -> list:
    paths = []
    for layer in model._flatten_layers():
        for attr, _, trainable in layer._vars:
            paths.append((layer, attr, trainable))
    order = {id(w): i for i, w in enumerate(model.weights)}
    named = sorted(((order.get(id(layer._var(attr)), 1 << 30), f"{layer.name}/{attr}")
                    for layer, attr, _ in paths))
    return [name for _, name in named]


class SavingMixin:
    """``save_weights``, ``load_weights`` and ``save`` for ``Model`` (see the methods).

    Example:
        >>> from chainrule import keras
        >>> issubclass(keras.Model, SavingMixin)
        True
    """

    def save_weights(self, filepath, overwrite: bool = True) -> None:
        """Write all weights (Keras's order) to ``filepath``.

        Args:
            filepath: destination; Keras's ``.weights.h5`` name is accepted (the file is in
                chainrule's safetensors format).
            overwrite: replace an existing file (otherwise raise ``FileExistsError``).

        Example:
            >>> import os, tempfile
            >>> from chainrule import keras
            >>> m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
            >>> path = os.path.join(tempfile.mkdtemp(), "m.weights.h5")
            >>> m.save_weights(path); m.load_weights(path)
        """
        from .. import serialization

        filepath = os.fspath(filepath)
        _check_overwrite(filepath, overwrite)
        if not self.built:
            raise ValueError(f"Model '{self.name}' is not built yet; call it on data or pass "
                             f"an input shape before saving its weights")
        payload = {"format": _WEIGHTS_FORMAT, "version": 1, "names": _weight_paths(self),
                   "weights": [Tensor._make(w._data.copy()) for w in self.weights]}
        serialization.save(payload, filepath)

    def load_weights(self, filepath, skip_mismatch: bool = False, **kwargs) -> None:
        """Read weights saved by ``save_weights`` (or ``model.save``) into this model.

        Args:
            filepath: the file.
            skip_mismatch: skip weights whose shape does not match instead of raising.

        Raises:
            ValueError: the model is not built, or the file holds a different number of
                weights or different shapes.
        """
        from .. import serialization

        data = serialization.load(os.fspath(filepath))
        if isinstance(data, dict) and data.get("format") in (_WEIGHTS_FORMAT, _MODEL_FORMAT):
            arrays = [w._data for w in data["weights"]]
        elif isinstance(data, dict) and all(isinstance(v, Tensor) for v in data.values()):
            self.load_state_dict(data)  # a chainrule/PyTorch state dict
            return
        else:
            raise ValueError(f"{filepath!r} is not a weights file written by "
                             f"save_weights/model.save")
        mine = self.weights
        if not self.built and not mine:
            raise ValueError(f"Unable to load weights into model '{self.name}': it is not "
                             f"built yet. Build it first (call it on data, call "
                             f"model.build(input_shape), or start it with keras.Input).")
        if len(arrays) != len(mine):
            raise ValueError(f"Weight count mismatch when loading {filepath!r} into model "
                             f"'{self.name}': the model has {len(mine)} weights but the file "
                             f"contains {len(arrays)}. File weights: {data.get('names')}")
        if skip_mismatch:
            arrays = [a if tuple(a.shape) == tuple(w.shape) else w._data
                      for a, w in zip(arrays, mine)]
        self.set_weights(arrays)

    def save(self, filepath, overwrite: bool = True, zipped=None, **kwargs) -> None:
        """Save architecture, weights and compile arguments to one file (``.keras`` names
        accepted); reload with ``keras.models.load_model``.

        Raises:
            ValueError: the model cannot be described by configs (subclassed models,
                ``Lambda`` layers): save its weights instead.
        """
        from .. import serialization

        filepath = os.fspath(filepath)
        _check_overwrite(filepath, overwrite)
        config = model_config(self)
        payload = {"format": _MODEL_FORMAT, "version": 1, "config": json.dumps(config),
                   "compile": json.dumps(compile_config(self)),
                   "names": _weight_paths(self),
                   "weights": [Tensor._make(w._data.copy()) for w in self.weights]}
        serialization.save(payload, filepath)

    def to_json(self, **kwargs) -> str:
        """The architecture as a JSON string."""
        return json.dumps(model_config(self), **kwargs)


def compile_config(model) -> dict | None:
    """The compile arguments when they can be written as names/configs, else None.

    Example:
        >>> from chainrule import keras
        >>> m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> m.compile("adam", "mse", metrics=["mae"])
        >>> compile_config(m)["loss"], compile_config(m)["metrics"]
        ('mse', ['mae'])
    """
    if not getattr(model, "compiled", False):
        return None
    from . import losses as losses_mod

    def plain(spec):
        return spec if isinstance(spec, str) else None

    loss = model.loss
    if not isinstance(loss, str) and loss is not None:
        try:
            loss = losses_mod.serialize(losses_mod.get(loss))
        except ValueError:
            return None
    metrics = [plain(m) for m in model._metric_specs]
    if any(m is None for m in metrics):
        metrics = [m for m in metrics if m is not None]
    opt = model.optimizer
    return {"optimizer": {"class_name": type(opt).__name__, "config": opt.get_config()},
            "loss": loss, "metrics": metrics}


def model_config(model) -> dict:
    """``{'class_name', 'config'}`` describing a Sequential or functional model.

    Example:
        >>> from chainrule import keras
        >>> m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model_config(m)["class_name"], len(model_config(m)["config"]["layers"])
        ('Sequential', 1)
    """
    from .layers.core import Lambda
    from .models import Model, Sequential

    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, Lambda):
            msg = (f"Cannot save model '{model.name}': Lambda layer '{layer.name}' "
                   f"wraps Python code. Use save_weights() instead.")
            raise ValueError(msg)  # noqa: TRY004
    if isinstance(model, Sequential):
        return {"class_name": "Sequential", "config": model.get_config()}
    if isinstance(model, Model) and model._graph is not None:
        return {"class_name": "Functional", "config": _functional_config(model)}
    raise ValueError(f"Cannot save model '{model.name}' of class {type(model).__name__}: "
                     f"subclassed models have no config. Use save_weights()/load_weights() "
                     f"with the same class instead.")


def _functional_config(model) -> dict:
    from .models import serialize_layer

    graph = model._graph
    layers = graph.layers
    index = {id(lay): i for i, lay in enumerate(layers)}
    node_ids = {id(n): i for i, n in enumerate(graph.nodes)}
    producers = {}
    for n in graph.nodes:
        for k, t in enumerate(_flat(n.outputs)):
            producers[id(t)] = [node_ids[id(n)], k]

    def ref(struct):
        if isinstance(struct, (list, tuple)):
            return [ref(s) for s in struct]
        return producers[id(struct)]

    nodes = [{"layer": index[id(n.layer)], "inputs": ref(n.inputs) if n.inputs != [] else None}
             for n in graph.nodes]
    return {"name": model.name, "layers": [serialize_layer(lay) for lay in layers],
            "nodes": nodes, "inputs": ref(graph.input_struct),
            "outputs": ref(graph.output_struct)}


def _flat(struct):
    if isinstance(struct, (list, tuple)):
        return [t for s in struct for t in _flat(s)]
    return [struct]


def layer_from_config(spec: dict, custom_objects=None):
    """Create a layer (or nested model) from ``{'class_name', 'config'}``.

    Example:
        >>> layer = layer_from_config({"class_name": "Dense", "config": {"units": 3}})
        >>> type(layer).__name__, layer.units
        ('Dense', 3)
    """
    from . import layers as layers_mod
    from .models import Model, Sequential

    name, config = spec["class_name"], dict(spec["config"])
    custom = custom_objects or {}
    if name == "Sequential":
        seq = Sequential(name=config.get("name"), trainable=config.get("trainable", True))
        if config.get("batch_shape") is not None:
            seq.add(layers_mod.InputLayer(batch_shape=tuple(config["batch_shape"])))
        for sub in config["layers"]:
            seq.add(layer_from_config(sub, custom_objects))
        return seq
    if name == "Functional":
        built = [layer_from_config(sub, custom_objects) for sub in config["layers"]]
        outs: list = []

        def deref(r):
            if r is None:
                return None
            if isinstance(r[0], list):
                return [deref(x) for x in r]
            return _flat(outs[r[0]])[r[1]]

        for node in config["nodes"]:
            layer = built[node["layer"]]
            if isinstance(layer, layers_mod.InputLayer):
                outs.append(layer.output)
            else:
                outs.append(layer(deref(node["inputs"])))
        return Model(inputs=deref(config["inputs"]), outputs=deref(config["outputs"]),
                     name=config.get("name"))
    cls = custom.get(name) or getattr(layers_mod, name, None)
    if cls is None:
        raise ValueError(f"Unknown layer: '{name}'. Please ensure you are using a "
                         f"`keras.utils.custom_object_scope` and that this object is included "
                         f"in the scope, or pass it in `custom_objects`.")
    for key in ("batch_input_shape", "batch_shape", "kernel_size", "strides", "pool_size",
                "dilation_rate", "target_shape", "dims"):
        if isinstance(config.get(key), list):
            config[key] = tuple(config[key])
    return cls.from_config(config)


def load_model(filepath, custom_objects=None, compile: bool = True, safe_mode: bool = True):
    """Load a model written by ``model.save``: architecture, weights and (if given by
    names) its compile arguments.

    Args:
        filepath: the file.
        custom_objects: ``{'ClassName': cls}`` for custom layers.
        compile: re-compile with the saved optimizer/loss/metrics.
        safe_mode: accepted for compatibility (loading never runs code from the file).

    Returns:
        The model.

    Example:
        >>> import os, tempfile, numpy as np
        >>> from chainrule import keras
        >>> m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
        >>> m.save(path)
        >>> m2 = keras.models.load_model(path)
        >>> bool(np.allclose(m2.get_weights()[0], m.get_weights()[0]))
        True
    """
    from .. import serialization
    from . import optimizers

    data = serialization.load(os.fspath(filepath))
    if not isinstance(data, dict) or data.get("format") != _MODEL_FORMAT:
        raise ValueError(f"{filepath!r} is not a model file written by model.save() (a "
                         f"weights-only file loads with model.load_weights)")
    model = layer_from_config(json.loads(data["config"]), custom_objects)
    model.set_weights([w._data for w in data["weights"]])
    comp = json.loads(data["compile"]) if data.get("compile") else None
    if compile and comp:
        model.compile(optimizer=optimizers.get(comp["optimizer"]), loss=comp["loss"],
                      metrics=comp["metrics"] or None)
    return model


_ = np
