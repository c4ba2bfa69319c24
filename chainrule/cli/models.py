"""Models for the ``chainrule`` command: the built-in ``mlp``, ``cnn`` and ``logreg``, and models
defined in a user's Python file.

A model file may define (looked up in this order):

* ``build_model(...)``: a function returning an ``nn.Module``; it may accept the keyword
  arguments ``input_shape`` (one example's shape, e.g. ``(1, 28, 28)``) and ``num_classes``;
* ``model``: an ``nn.Module`` instance;
* exactly one ``nn.Module`` subclass (e.g. ``class Net(nn.Module)``), built with no arguments
  (or with ``input_shape`` / ``num_classes`` where its ``__init__`` accepts them).

Images reach the model as ``(N, 1, 28, 28)``; a model that fails on that shape is given
``(N, 784)`` instead. It should return one score per class (logits or log-probabilities,
e.g. ``F.log_softmax``), or for two classes a single logit.
"""

from __future__ import annotations

import importlib.util
import inspect
import math
import os
import sys
import traceback
import zlib
from dataclasses import dataclass

import numpy as np

from .errors import CLIError

__all__ = ["BUILTIN_MODELS", "ModelInfo", "build_model", "prepare_inputs"]

BUILTIN_MODELS = {
    "mlp": "multilayer perceptron: Flatten, Linear(in, 512), ReLU, Linear(512, classes)",
    "cnn": "the Keras course convnet: Conv 32, MaxPool, Conv 64, MaxPool, Flatten, Dropout 0.5, "
           "Linear (images only)",
    "logreg": "multinomial logistic regression: Flatten, Linear(in, classes)",
}


@dataclass
class ModelInfo:
    """How a model is fed and read: ``layout`` is ``'as-is'`` or ``'flat'`` (inputs reshaped to
    ``(N, features)``); ``head`` is ``'multiclass'`` (one score per class) or ``'binary'``
    (one logit for two classes)."""

    spec: str
    layout: str = "as-is"
    head: str = "multiclass"


def _mlp(input_shape, num_classes: int, hidden) -> object:
    from .. import nn

    layers, width = [nn.Flatten()], math.prod(input_shape)
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


def _cnn(input_shape, num_classes: int) -> object:
    from .. import nn

    if len(input_shape) != 3 or min(input_shape[1:]) < 10:
        raise CLIError(f"model 'cnn' needs image data (mnist, fashion-mnist); this dataset's "
                       f"examples have shape {tuple(input_shape)}; use mlp or logreg")
    c, h, w = input_shape
    side_h, side_w = ((h - 2) // 2 - 2) // 2, ((w - 2) // 2 - 2) // 2
    return nn.Sequential(
        nn.Conv2d(c, 32, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.5), nn.Linear(64 * side_h * side_w, num_classes))


def _logreg(input_shape, num_classes: int) -> object:
    from .. import nn

    return nn.Sequential(nn.Flatten(), nn.Linear(math.prod(input_shape), num_classes))


def _user_frame(exc: BaseException, path: str) -> str:
    """``', line N'`` of the deepest traceback frame inside the user's file, if any."""
    line = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(frame.filename) == path:
            line = f", line {frame.lineno}"
    if isinstance(exc, SyntaxError) and exc.lineno:
        line = f", line {exc.lineno}"
    return line


def _kwargs_for(fn, input_shape, num_classes: int) -> dict:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}
    offered = {"input_shape": tuple(input_shape), "num_classes": num_classes}
    return {k: v for k, v in offered.items() if k in params}


def _load_file(path: str, input_shape, num_classes: int):
    """Run the model file and return the ``nn.Module`` it defines."""
    from ..nn import Module

    name = f"_chainrule_model_{zlib.crc32(path.encode()):08x}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CLIError(f"cannot import the model file {path} (is it a Python file?)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, os.path.dirname(path))  # so the file can import its neighbours
    stage = "running"
    try:
        spec.loader.exec_module(module)
        stage = "building the model from"
        found = getattr(module, "build_model", None)
        if callable(found):
            model = found(**_kwargs_for(found, input_shape, num_classes))
            what = "build_model()"
        elif isinstance(getattr(module, "model", None), Module):
            model, what = module.model, "model"
        else:
            classes = [c for c in vars(module).values() if isinstance(c, type)
                       and issubclass(c, Module) and c.__module__ == name]
            if len(classes) != 1:
                raise CLIError(
                    f"{path} defines no model: give it a build_model() function, a "
                    "module-level `model` (an nn.Module), or exactly one nn.Module subclass"
                    + (f" (found {len(classes)}: "
                       f"{', '.join(c.__name__ for c in classes)})" if classes else ""))
            model = classes[0](**_kwargs_for(classes[0], input_shape, num_classes))
            what = f"{classes[0].__name__}()"
    except CLIError:
        raise
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the user's code, on one line
        msg = str(exc).strip().splitlines()
        raise CLIError(f"error while {stage} the model file {path}{_user_frame(exc, path)}: "
                       f"{type(exc).__name__}" + (f": {msg[0]}" if msg else "")) from None
    finally:
        sys.path.remove(os.path.dirname(path))
    if not isinstance(model, Module):
        raise CLIError(f"{path}: {what} is a {type(model).__name__}, not an nn.Module")
    return model


def prepare_inputs(x: np.ndarray, info: ModelInfo) -> np.ndarray:
    """Reshape a batch of inputs as the model expects (``'flat'``: ``(N, features)``)."""
    return x.reshape(len(x), -1) if info.layout == "flat" else x


def _probe(model, spec: str, input_shape, num_classes: int) -> ModelInfo:
    """Find how to feed the model (as-is or flattened) and read its output, on a dummy batch."""
    from .. import from_numpy, no_grad

    was_training = model.training
    model.eval()
    errors = []
    try:
        for layout in ("as-is", "flat") if len(input_shape) > 1 else ("as-is",):
            info = ModelInfo(spec, layout)
            batch = prepare_inputs(np.zeros((2, *input_shape), np.float32), info)
            try:
                with no_grad():
                    out = model(from_numpy(batch))
            except Exception as exc:  # noqa: BLE001 - the user's model decides what it raises
                errors.append(f"on shape {batch.shape}: {type(exc).__name__}: "
                              f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}")
                continue
            shape = tuple(getattr(out, "shape", ()))
            if shape == (2, num_classes):
                return info
            if shape in ((2, 1), (2,)) and num_classes == 2:
                info.head = "binary"
                return info
            raise CLIError(f"the model returns shape {shape} for a batch of 2, but the dataset "
                           f"has {num_classes} classes: expected ({2}, {num_classes})")
    finally:
        model.train(was_training)
    raise CLIError(f"the model {spec} cannot process this dataset's examples (shape "
                   f"{tuple(input_shape)}): " + "; ".join(errors))


def build_model(spec: str, input_shape, num_classes: int, hidden=(512,)):
    """Build model ``spec`` (a built-in name or a Python file) for the given data.

    Args:
        spec: ``'mlp'``, ``'cnn'``, ``'logreg'`` or the path of a model file.
        input_shape: one example's shape.
        num_classes: the number of classes.
        hidden: the hidden widths of ``mlp``.

    Returns:
        ``(model, info)``: the ``nn.Module`` and its ``ModelInfo`` (``spec`` made absolute for
        files, so a checkpoint can rebuild it from anywhere).

    Raises:
        CLIError: unknown model, broken model file, or a model that does not fit the data.

    Example:
        >>> model, info = build_model("mlp", (1, 28, 28), 10)
        >>> sum(p.numel() for p in model.parameters()), info.layout
        (407050, 'as-is')
    """
    if spec in BUILTIN_MODELS:
        if spec == "mlp":
            model = _mlp(input_shape, num_classes, hidden)
        elif spec == "cnn":
            model = _cnn(input_shape, num_classes)
        else:
            model = _logreg(input_shape, num_classes)
        return model, ModelInfo(spec)
    path = os.path.abspath(os.path.expanduser(spec))
    if not os.path.isfile(path):
        hint = "no such file" if spec.endswith(".py") or os.sep in spec else "unknown model"
        raise CLIError(f"{hint} {spec!r}: choose {', '.join(BUILTIN_MODELS)}, or give the path "
                       "of a Python file defining a model")
    model = _load_file(path, input_shape, num_classes)
    return model, _probe(model, path, input_shape, num_classes)
