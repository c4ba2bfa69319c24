"""``Tensor``: a NumPy array plus the fields autograd needs.

Operators and most methods are bound by the op modules (``chainrule.ops``), which hold the
implementations; this module keeps the tensor's own state, conversions and autograd entry points.
"""

from __future__ import annotations

import numbers
import warnings
import weakref

import numpy as np

from . import _dtypes
from ._device import CPU, check_device, device as _device_cls
from .autograd.engine import backward as _backward, execute as _execute
from .autograd.function import AccumulateGrad
from .autograd.grad_mode import GRAD_ENABLED

_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int8": "Char",
               "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte",
               "bool": "Bool", "bfloat16": "BFloat16"}


class Size(tuple):
    """A tensor's shape: a tuple of ints that prints as ``torch.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        result = tuple.__getitem__(self, item)
        return Size(result) if isinstance(item, slice) else result

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))


_object_new = object.__new__


class _Version:
    """An in-place modification counter, shared between a tensor and its views.

    ``value`` starts as the class attribute 0, so making a counter (once per tensor) runs no
    ``__init__``; the first in-place change gives the instance its own value.
    """

    value = 0


class Tensor:
    """A multi-dimensional array that can record operations for automatic differentiation.

    Create tensors with ``chainrule.tensor``, ``zeros``, ``randn``…; ``Tensor(2, 3)`` makes an
    uninitialised float tensor and ``Tensor([1, 2])`` a float tensor from data, as in PyTorch.
    """

    __slots__ = ("_data", "_requires_grad", "_grad", "_grad_fn", "_output_nr", "_version",
                 "_base", "_hooks", "_post_acc_hooks", "_retains_grad", "_acc", "__weakref__",
                 "__dict__")
    __array_priority__ = 1000

    def __init__(self, *args, **kwargs) -> None:
        dtype = kwargs.pop("dtype", None)
        check_device(kwargs.pop("device", None), "Tensor")
        if kwargs:
            raise TypeError(f"Tensor(): unexpected keyword arguments {sorted(kwargs)}")
        npd = (_dtypes.to_dtype(dtype) if dtype is not None else _dtypes.get_default_dtype()).np
        if all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in args):
            data = np.empty(args, dtype=npd)
        elif len(args) == 1 and isinstance(args[0], (tuple, list)) and args[0] and all(
                isinstance(a, numbers.Integral) for a in args[0]) and isinstance(args[0], Size):
            data = np.empty(tuple(args[0]), dtype=npd)
        elif len(args) == 1:
            data = np.array(_to_array_tree(args[0]), dtype=npd)
        else:
            raise TypeError("Tensor(): expected sizes (ints) or one data argument")
        self._init(data)

    def _init(self, data: np.ndarray, requires_grad: bool = False, grad_fn=None,
              output_nr: int = 0) -> None:
        self._data = data
        self._requires_grad = requires_grad
        self._grad = None
        self._grad_fn = grad_fn
        self._output_nr = output_nr
        self._version = _Version()
        self._base = None
        self._hooks = None
        self._post_acc_hooks = None
        self._retains_grad = False
        self._acc = None

    @classmethod
    def _make(cls, data: np.ndarray, requires_grad: bool = False, grad_fn=None,
              output_nr: int = 0) -> "Tensor":
        """Wrap an array without copying or checking (internal fast path)."""
        # ``_init``'s fields, set inline: this runs for every op's output, where the extra
        # call would be a measurable part of the per-op overhead; keep the two lists equal
        t = _object_new(cls)
        t._data = data
        t._requires_grad = requires_grad
        t._grad = None
        t._grad_fn = grad_fn
        t._output_nr = output_nr
        t._version = _Version()
        t._base = None
        t._hooks = None
        t._post_acc_hooks = None
        t._retains_grad = False
        t._acc = None
        return t

    def _alias(self) -> "Tensor":
        """A new tensor object over the same data and version counter, outside any graph."""
        t = Tensor._make(self._data)
        t._version = self._version
        t._base = self._base if self._base is not None else self
        return t

    def _alias_with_history(self) -> "Tensor":
        """A new tensor object over the same data that stands for this tensor in the graph."""
        t = Tensor._make(self._data, self._requires_grad, self._grad_fn, self._output_nr)
        if self._grad_fn is None and self._requires_grad:
            t._acc = self._accumulator()
        return t

    def _accumulator(self) -> AccumulateGrad:
        """This leaf's ``AccumulateGrad`` node (made once; it refers back to the leaf weakly)."""
        acc = self._acc
        if acc is None:
            acc = self._acc = AccumulateGrad(self)
        return acc

    # ---- shape, dtype, device ------------------------------------------------------------
    @property
    def shape(self) -> Size:
        """The tensor's dimensions as a ``Size``."""
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape, or the length of dimension ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self) -> _dtypes.dtype:
        """The element type."""
        return _dtypes.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> _device_cls:
        """Always ``device(type='cpu')``."""
        return CPU

    is_cuda = False
    is_sparse = False
    is_quantized = False
    is_meta = False
    layout = "torch.strided"

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    def dim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        """The number of elements."""
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes of all elements."""
        return self._data.nbytes

    def stride(self, dim: int | None = None):
        """Strides in elements (not bytes), as PyTorch reports them."""
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim)]

    def is_contiguous(self, memory_format=None) -> bool:
        """Whether the elements are laid out in row-major order without gaps."""
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self) -> bool:
        """Whether the dtype is a floating type."""
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        """Always False (complex dtypes are not supported)."""
        return False

    def data_ptr(self) -> int:
        """Address of the first element."""
        return self._data.__array_interface__["data"][0]

    def storage_offset(self) -> int:
        """Offset in elements of this view from the start of its base's memory."""
        base = self._data
        while isinstance(base.base, np.ndarray):
            base = base.base
        return (self.data_ptr() - base.__array_interface__["data"][0]) // self._data.itemsize

    def get_device(self) -> int:
        """-1, the CPU's device index in PyTorch."""
        return -1

    def type(self, dtype=None):
        """Without arguments the type name (``'torch.FloatTensor'``); otherwise a cast."""
        if dtype is None:
            return f"torch.{_TYPE_NAMES[self.dtype.name]}Tensor"
        if isinstance(dtype, str) and dtype.startswith("torch.") and dtype.endswith("Tensor"):
            name = dtype[6:-6]
            dtype = next(k for k, v in _TYPE_NAMES.items() if v == name)
        return self.to(dtype)

    # ---- autograd fields -----------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        """Whether operations on this tensor are recorded for autograd."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set ``requires_grad`` in place (leaves only); returns self."""
        if self._grad_fn is not None and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If "
                               "you want to use a computed variable in a subgraph that doesn't "
                               "require differentiation use var_no_grad = var.detach().")
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if self._grad_fn is None:
            self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad_fn(self):
        """The graph node that created this tensor (None for leaves)."""
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        """True for tensors not created by a recorded operation."""
        return self._grad_fn is None

    @property
    def output_nr(self) -> int:
        """Which output of its ``grad_fn`` this tensor is."""
        return self._output_nr

    @property
    def grad(self):
        """The accumulated gradient (leaves, and non-leaves after ``retain_grad()``)."""
        if self._grad_fn is not None and not self._retains_grad and self._grad is None:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed "
                "want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() "
                "on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
                "you access the leaf Tensor instead.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"assigned grad has data of a different size: expected "
                                   f"{list(self.shape)}, received {list(value.shape)}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: expected "
                                   f"{self.dtype}, received {value.dtype}")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def retains_grad(self) -> bool:
        """Whether ``retain_grad()`` was called on this non-leaf tensor."""
        return self._retains_grad

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor during backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        ref = weakref.ref(self)

        def retain(grad):
            t = ref()
            if t is not None:
                if t._grad is None:
                    t._grad = grad if grad._requires_grad else Tensor._make(grad._data.copy())
                else:
                    t._grad = t._grad + grad
            return None

        retain._is_retain = True
        self._node_hooks().append(retain)

    def _node_hooks(self) -> list:
        node = self._grad_fn
        if node._pre_hooks is None:
            node._pre_hooks = {}
        return node._pre_hooks.setdefault(self._output_nr, [])

    def register_hook(self, hook):
        """Call ``hook(grad)`` whenever this tensor's gradient is computed; a tensor it returns
        replaces the gradient. Returns a handle with ``remove()``."""
        from .autograd.function import _RemovableHandle

        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            return _RemovableHandle(self._hooks, hook)
        hooks = self._node_hooks()
        pos = next((i for i, h in enumerate(hooks) if getattr(h, "_is_retain", False)),
                   len(hooks))
        hooks.insert(pos, hook)  # retained grads see what the hooks made of the gradient
        return _RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after a gradient is accumulated into this leaf's ``.grad``."""
        from .autograd.function import _RemovableHandle

        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if self._post_acc_hooks is None:
            self._post_acc_hooks = []
        self._post_acc_hooks.append(hook)
        return _RemovableHandle(self._post_acc_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False,
                 inputs=None) -> None:
        """Accumulate the gradient of this tensor into the leaves' ``.grad``.

        Args:
            gradient: d(something)/d(self); omit for a scalar.
            retain_graph: keep the graph for another backward (default ``create_graph``).
            create_graph: record the backward pass for higher-order derivatives.
            inputs: accumulate only into these tensors.
        """
        if inputs is None and gradient is None and retain_graph is None and not create_graph:
            _execute((self,))  # the common loss.backward(): no argument to check
        else:
            _backward(self, gradient, retain_graph, create_graph, inputs)

    def detach(self) -> "Tensor":
        """A tensor sharing this one's data, outside the graph (``requires_grad=False``)."""
        return self._alias()

    def detach_(self) -> "Tensor":
        """Detach this tensor from the graph in place, making it a leaf."""
        self._grad_fn = None
        self._requires_grad = False
        self._output_nr = 0
        return self

    @property
    def data(self) -> "Tensor":
        """This tensor's values as a tensor outside the graph (shares memory)."""
        return self._alias()

    @data.setter
    def data(self, value) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, received {type(value).__name__}")
        self._data = value._data

    # ---- conversions ---------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The values as a NumPy array sharing memory with this tensor."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and dtype != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def item(self):
        """The single value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        """The values as (nested) Python lists of numbers."""
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()))

    def __complex__(self) -> complex:
        return complex(self.item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        from ._tensor_str import tensor_repr

        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec) if not spec else format(str(self), spec)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data, self._requires_grad, type(self)))

    def __deepcopy__(self, memo):
        if self._grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        if id(self) in memo:
            return memo[id(self)]
        new = type(self).__new__(type(self))
        Tensor._init(new, self._data.copy(), self._requires_grad)
        if self._grad is not None:
            new._grad = Tensor._make(self._grad._data.copy())
        if hasattr(self, "__dict__") and self.__dict__:
            import copy

            new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        memo[id(self)] = new
        return new

    def cpu(self) -> "Tensor":
        """This tensor (it already lives on the CPU)."""
        return self

    def cuda(self, device=None, non_blocking: bool = False):
        """Raises: chainrule has no CUDA backend."""
        check_device("cuda", "Tensor.cuda")

    def pin_memory(self) -> "Tensor":
        """This tensor (pinning has no meaning without a GPU)."""
        return self

    def share_memory_(self) -> "Tensor":
        """This tensor (worker processes receive copies)."""
        return self

    def apply_(self, fn) -> "Tensor":
        """Apply a Python function to every element in place (slow; for tests and teaching)."""
        flat = self._data.reshape(-1)
        for i in range(flat.size):
            flat[i] = fn(flat[i].item())
        self._version.value += 1
        return self


# ``Tensor._make(data)`` for the hot paths (as fast as a module-level function of its own)
_wrap = Tensor._make


def _rebuild(data, requires_grad, cls=None):
    cls = cls or Tensor
    t = cls.__new__(cls)
    Tensor._init(t, data, requires_grad)
    return t


def _wrap_dim(dim: int, ndim: int) -> int:
    """Map a possibly negative ``dim`` into ``range(ndim)`` with PyTorch's IndexError."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


def _to_array_tree(data):
    """Turn nested sequences that may contain tensors into something ``np.array`` accepts."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)) and any(isinstance(d, (Tensor, list, tuple))
                                                for d in data):
        return [_to_array_tree(d) for d in data]
    return data


def tensor_from_array(array: np.ndarray, requires_grad: bool = False) -> Tensor:
    """Wrap an array (no copy), converting unsupported NumPy dtypes to the nearest PyTorch one."""
    array = np.asarray(array)
    if array.dtype not in _dtypes._FROM_NUMPY:
        array = array.astype(_dtypes.to_dtype(_nearest_dtype(array.dtype)).np)
    return Tensor._make(array, requires_grad)


def _nearest_dtype(npd):
    if npd.kind == "f":
        return np.float64
    if npd.kind == "u":
        return np.int64
    if npd.kind == "i":
        return np.int64
    if npd.kind == "b":
        return np.bool_
    raise TypeError(f"can't convert np.ndarray of type {npd}. The only supported types are: "
                    "float64, float32, float16, int64, int32, int16, int8, uint8, and bool.")


def _infer_array(data, dtype) -> np.ndarray:
    """Build the array for ``tensor(data)``: PyTorch's dtype inference, copying the data."""
    if isinstance(data, Tensor):
        arr = data._data.copy()
    elif isinstance(data, np.ndarray):
        arr = np.array(data, copy=True)
        if dtype is None and arr.dtype not in _dtypes._FROM_NUMPY:
            arr = arr.astype(_nearest_dtype(arr.dtype))
    else:
        try:
            arr = np.array(_to_array_tree(data))
        except ValueError as exc:
            raise ValueError(f"tensor(): could not build a tensor from the data ({exc})") from None
        if arr.dtype == object or arr.dtype.kind in "USV":
            raise TypeError(f"tensor(): could not infer dtype of {type(data).__name__}; expected "
                            "numbers, nested sequences of numbers, arrays or tensors")
        if dtype is None:
            if arr.dtype.kind == "f" and not _holds_numpy_floats(data):
                arr = arr.astype(_dtypes.get_default_dtype().np)
            elif arr.dtype.kind in "iu":
                arr = arr.astype(np.int64)
            elif arr.dtype not in _dtypes._FROM_NUMPY:
                arr = arr.astype(_nearest_dtype(arr.dtype))
    if dtype is not None:
        arr = arr.astype(_dtypes.to_dtype(dtype).np, copy=False)
    return arr


def _holds_numpy_floats(data) -> bool:
    """True for a NumPy float scalar (which keeps its dtype in ``tensor``)."""
    return isinstance(data, np.floating) or (isinstance(data, np.ndarray))


def tensor(data, dtype=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """Build a tensor by copying ``data`` (a number, nested sequence, array or tensor).

    Python floats give the default dtype (float32), ints ``int64``, bools ``bool``; NumPy arrays
    keep their dtype.

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([[1, 2], [3, 4]])
        tensor([[1, 2],
                [3, 4]])
    """
    check_device(device, "tensor")
    t = Tensor._make(_infer_array(data, dtype))
    if requires_grad:
        t.requires_grad_(True)
    return t


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with ``data`` when it is a tensor or array of the
    requested dtype."""
    check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype is _dtypes.to_dtype(dtype) else data.to(dtype)
    if isinstance(data, np.ndarray) and data.dtype in _dtypes._FROM_NUMPY and (
            dtype is None or _dtypes.to_dtype(dtype).np == data.dtype):
        return Tensor._make(data)
    return tensor(data, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array (its dtype is kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    if array.dtype not in _dtypes._FROM_NUMPY:
        raise TypeError(f"can't convert np.ndarray of type numpy.{array.dtype}. The only "
                        "supported types are: float64, float32, float16, int64, int32, int16, "
                        "int8, uint8, and bool.")
    return Tensor._make(array)


def is_tensor(obj) -> bool:
    """Whether ``obj`` is a chainrule tensor."""
    return isinstance(obj, Tensor)


def _grad_recorded(*args) -> bool:
    """Whether an op on ``args`` will be recorded (recording on and a tensor requires grad)."""
    if not GRAD_ENABLED[0]:
        return False
    return any(isinstance(a, Tensor) and a._requires_grad for a in args)
