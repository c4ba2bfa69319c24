"""The symbolic side of layers: ``KerasTensor`` (shape and dtype, no data), the ``Node``s
that record layer calls for the functional API, ``InputSpec`` checks and input conversion."""

from __future__ import annotations

import numpy as np

from ..._tensor import Tensor
from ..backend import np_dtype, unique_name
from ._tree import flatten

__all__ = ["InputSpec", "KerasTensor", "Node", "format_shape", "is_symbolic", "to_tensor"]


def format_shape(shape) -> str:
    """``(None, 28, 28, 1)`` as Keras prints shapes (``(None,)`` for rank 1).

    Example:
        >>> format_shape((None, 10)), format_shape((None,))
        ('(None, 10)', '(None,)')
    """
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def to_tensor(x, dtype=None):
    """A chainrule tensor from an array-like; floats become float32 (Keras's floatx).

    Example:
        >>> to_tensor(np.zeros(2)).dtype
        torch.float32
    """
    if isinstance(x, Tensor):
        return x
    arr = np.asarray(x)
    if dtype is not None:
        arr = arr.astype(np_dtype(dtype), copy=False)
    elif arr.dtype.kind == "f" and arr.dtype != np.float32:
        arr = arr.astype(np.float32)
    elif arr.dtype.kind in "iub" and arr.dtype != np.int64 and arr.dtype.kind != "b":
        arr = arr.astype(np.int64)
    return Tensor._make(np.ascontiguousarray(arr))


class InputSpec:
    """What a layer accepts: rank bounds and fixed axis sizes, checked before ``call``.

    Args:
        dtype: expected dtype (informational).
        shape: full expected shape (None entries are free).
        ndim, min_ndim, max_ndim: rank constraints.
        axes: ``{axis: size}`` the input must have.

    Example:
        >>> spec = InputSpec(min_ndim=2, axes={-1: 784})
        >>> spec.axes
        {-1: 784}
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None) -> None:
        self.dtype, self.name = dtype, name
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.axes = dict(axes or {})
        self.allow_last_axis_squeeze = allow_last_axis_squeeze

    def check(self, shape, layer_name: str, index: int = 0) -> None:
        """Raise Keras's ``ValueError`` if ``shape`` violates the spec."""
        shape = tuple(shape)
        head = f'Input {index} of layer "{layer_name}" is incompatible with the layer: '
        ndim = len(shape)
        if self.ndim is not None and ndim != self.ndim:
            raise ValueError(f"{head}expected ndim={self.ndim}, found ndim={ndim}. "
                             f"Full shape received: {format_shape(shape)}")
        if self.max_ndim is not None and ndim > self.max_ndim:
            raise ValueError(f"{head}expected max_ndim={self.max_ndim}, found ndim={ndim}. "
                             f"Full shape received: {format_shape(shape)}")
        if self.min_ndim is not None and ndim < self.min_ndim:
            raise ValueError(f"{head}expected min_ndim={self.min_ndim}, found ndim={ndim}. "
                             f"Full shape received: {format_shape(shape)}")
        for axis, value in self.axes.items():
            if value is None or not -ndim <= axis < ndim:
                continue
            got = shape[axis]
            if got is not None and got != value:
                raise ValueError(f"{head}expected axis {axis} of input shape to have value "
                                 f"{value}, but received input with shape "
                                 f"{format_shape(shape)}")
        if self.shape is not None:
            for want, got in zip(self.shape, shape):
                if want is not None and got is not None and want != got:
                    raise ValueError(f"{head}expected shape={format_shape(self.shape)}, found "
                                     f"shape={format_shape(shape)}")


class Node:
    """One application of a layer to symbolic inputs (an edge bundle of the functional graph).

    Example:
        >>> from chainrule import keras
        >>> out = keras.layers.Dense(2)(keras.Input((3,)))
        >>> type(out._node).__name__, out._node.layer.units
        ('Node', 2)
    """

    def __init__(self, layer, inputs, args=(), kwargs=None) -> None:
        self.layer = layer
        self.inputs = inputs
        self.args = args
        self.kwargs = kwargs or {}
        self.outputs = None

    @property
    def input_tensors(self) -> list:
        """The flat list of input KerasTensors."""
        return [t for t in flatten(self.inputs) if isinstance(t, KerasTensor)]

    @property
    def parent_nodes(self) -> list:
        """Nodes that produced this node's inputs."""
        return [t._node for t in self.input_tensors if t._node is not None]


class KerasTensor:
    """A symbolic tensor: a shape (batch axis ``None``) and dtype flowing through layers to
    describe a functional model; no data. Made by ``keras.Input`` and by calling a layer on
    KerasTensors. Arithmetic (``x / 255``, ``a + b``, ``x[:, 0]``) adds a ``Lambda`` node.

    Example:
        >>> from chainrule import keras
        >>> x = keras.Input(shape=(4,))
        >>> x.shape, keras.layers.Dense(2)(x).shape
        ((None, 4), (None, 2))
    """

    def __init__(self, shape, dtype="float32", name=None, node=None, index: int = 0) -> None:
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = str(np.dtype(np_dtype(dtype)))
        self.name = name or unique_name("keras_tensor")
        self._node = node
        self._index = index

    @property
    def ndim(self) -> int:
        """The rank, batch axis included."""
        return len(self.shape)

    @property
    def _keras_history(self):
        """``(layer, node_index, tensor_index)`` of the layer call that made this tensor."""
        if self._node is None:
            return None
        layer = self._node.layer
        return layer, layer._inbound_nodes.index(self._node), self._index

    def __repr__(self) -> str:
        return (f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse=False, "
                f"name={self.name}>")

    def _op(self, fn, *others):
        from .core import Lambda

        return Lambda(fn)([self, *others] if others else self)

    def __add__(self, other):
        return _binary(self, other, lambda a, b: a + b)

    def __radd__(self, other):
        return _binary(self, other, lambda a, b: b + a)

    def __sub__(self, other):
        return _binary(self, other, lambda a, b: a - b)

    def __rsub__(self, other):
        return _binary(self, other, lambda a, b: b - a)

    def __mul__(self, other):
        return _binary(self, other, lambda a, b: a * b)

    def __rmul__(self, other):
        return _binary(self, other, lambda a, b: b * a)

    def __truediv__(self, other):
        return _binary(self, other, lambda a, b: a / b)

    def __rtruediv__(self, other):
        return _binary(self, other, lambda a, b: b / a)

    def __neg__(self):
        return self._op(lambda a: -a)

    def __getitem__(self, key):
        return self._op(lambda a: a[key])


def _binary(a: KerasTensor, b, fn):
    from .core import Lambda

    if isinstance(b, KerasTensor):
        return Lambda(lambda xs: fn(xs[0], xs[1]))([a, b])
    return Lambda(lambda x: fn(x, b))(a)


def is_symbolic(inputs) -> bool:
    """Whether ``inputs`` holds KerasTensors (a functional-API call).

    Example:
        >>> is_symbolic([np.zeros(2)])
        False
    """
    return any(isinstance(t, KerasTensor) for t in flatten(inputs))
