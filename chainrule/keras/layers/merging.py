"""Merge layers for functional models: ``Add``, ``Subtract``, ``Multiply``, ``Average``,
``Maximum``, ``Minimum``, ``Concatenate`` (and their functional forms ``add``,
``concatenate`` …)."""

from __future__ import annotations

from ...ops.joining import cat
from .base import Layer

__all__ = ["Add", "Average", "Concatenate", "Maximum", "Minimum", "Multiply", "Subtract",
           "add", "average", "concatenate", "maximum", "minimum", "multiply", "subtract"]


def _broadcast_shape(shapes) -> tuple:
    rank = max(len(s) for s in shapes)
    out = []
    for dims in zip(*[(1,) * (rank - len(s)) + tuple(s) for s in shapes]):
        known = [d for d in dims if d not in (None, 1)]
        if None in dims and not known:
            out.append(None)
        elif known:
            if len(set(known)) > 1:
                raise ValueError(f"Inputs have incompatible shapes. Received shapes "
                                 f"{[tuple(s) for s in shapes]}")
            out.append(known[0])
        else:
            out.append(1)
    return tuple(out)


class _Merge(Layer):
    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"A merge layer should be called on a list of at least 2 inputs. "
                             f"Received: inputs={inputs} (not a list of tensors)")
        out = inputs[0]
        for x in inputs[1:]:
            out = self._merge(out, x)
        return self._finish(out, len(inputs))

    def _finish(self, out, n):
        return out

    def compute_output_shape(self, input_shape):
        return _broadcast_shape(input_shape)


class Add(_Merge):
    """Element-wise sum of a list of inputs.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.Add()([np.ones((1, 2)), np.ones((1, 2))]).tolist()
        [[2.0, 2.0]]
    """

    def _merge(self, a, b):
        return a + b


class Subtract(_Merge):
    """``inputs[0] - inputs[1]``.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.Subtract()([np.ones((1, 2)), np.ones((1, 2))]).tolist()
        [[0.0, 0.0]]
    """

    def call(self, inputs):
        if len(inputs) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. "
                             f"Received: inputs={inputs}")
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """Element-wise product of a list of inputs.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.Multiply()([np.full((1, 2), 2.0), np.full((1, 2), 3.0)]).tolist()
        [[6.0, 6.0]]
    """

    def _merge(self, a, b):
        return a * b


class Average(_Merge):
    """Element-wise mean of a list of inputs.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.Average()([np.zeros((1, 2)), np.full((1, 2), 2.0)]).tolist()
        [[1.0, 1.0]]
    """

    def _merge(self, a, b):
        return a + b

    def _finish(self, out, n):
        return out / n


class Maximum(_Merge):
    """Element-wise maximum of a list of inputs.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.Maximum()([np.zeros((1, 2)), np.ones((1, 2))]).tolist()
        [[1.0, 1.0]]
    """

    def _merge(self, a, b):
        return a.maximum(b)


class Minimum(_Merge):
    """Element-wise minimum of a list of inputs.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.Minimum()([np.zeros((1, 2)), np.ones((1, 2))]).tolist()
        [[0.0, 0.0]]
    """

    def _merge(self, a, b):
        return a.minimum(b)


class Concatenate(Layer):
    """Concatenate a list of inputs along ``axis`` (default -1).

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> keras.layers.Concatenate()([np.zeros((1, 2)), np.ones((1, 3))]).shape
        torch.Size([1, 5])
    """

    def __init__(self, axis: int = -1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        return cat(list(inputs), self.axis)

    def compute_output_shape(self, input_shape):
        shapes = [list(s) for s in input_shape]
        out = shapes[0][:]
        ax = self.axis % len(out)
        sizes = [s[ax] for s in shapes]
        out[ax] = None if any(d is None for d in sizes) else sum(sizes)
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def add(inputs, **kwargs):
    """Functional form of ``Add``: ``add([a, b])``.

    Example:
        >>> import numpy as np
        >>> add([np.ones((1, 1)), np.ones((1, 1))]).tolist()
        [[2.0]]
    """
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of ``Subtract``.

    Example:
        >>> import numpy as np
        >>> subtract([np.ones((1, 1)), np.ones((1, 1))]).tolist()
        [[0.0]]
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of ``Multiply``.

    Example:
        >>> import numpy as np
        >>> multiply([np.ones((1, 1)), np.ones((1, 1))]).tolist()
        [[1.0]]
    """
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of ``Average``.

    Example:
        >>> import numpy as np
        >>> average([np.ones((1, 1)), np.ones((1, 1))]).tolist()
        [[1.0]]
    """
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of ``Maximum``.

    Example:
        >>> import numpy as np
        >>> maximum([np.ones((1, 1)), np.zeros((1, 1))]).tolist()
        [[1.0]]
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of ``Minimum``.

    Example:
        >>> import numpy as np
        >>> minimum([np.ones((1, 1)), np.zeros((1, 1))]).tolist()
        [[0.0]]
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis: int = -1, **kwargs):
    """Functional form of ``Concatenate``.

    Example:
        >>> import numpy as np
        >>> concatenate([np.ones((1, 1)), np.zeros((1, 1))]).tolist()
        [[1.0, 0.0]]
    """
    return Concatenate(axis=axis, **kwargs)(inputs)
