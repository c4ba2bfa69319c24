"""Tensor factories: constant fills, ranges, identity and grids, and the ``new_*`` methods.
Random factories and the in-place initialisers live in ``sampling.py`` and are re-exported
from here.

Float results use the default dtype; integer arguments give int64, as in PyTorch.
"""

from __future__ import annotations

import math
import operator
import warnings

import numpy as np

from .. import _dtypes
from .._device import check_device
from .._tensor import _TYPE_NAMES, Tensor, tensor
from ..autograd.function import Function
from ._util import bind, check_tensor, write_out

__all__ = [
    "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like",
    "scalar_tensor", "arange", "linspace", "logspace", "eye", "tril_indices", "triu_indices",
    "meshgrid",
]

_C_TYPES = {"uint8": "unsigned char", "int8": "signed char", "int16": "short", "int32": "int",
            "int64": "long", "bool": "bool"}


# ---- argument helpers ----------------------------------------------------------------------
def _type_name(npd) -> str:
    return _TYPE_NAMES[_dtypes.from_numpy_dtype(np.dtype(npd)).name]


def _num(v) -> str:
    """A number as PyTorch's C++ messages print it (``-1``, ``0.5``)."""
    return f"{v:g}" if isinstance(v, float) else str(v)


def _scalar(v):
    """A Python number from a number or a one-element tensor."""
    return v.item() if isinstance(v, (Tensor, np.ndarray, np.generic)) else v


def _parse_size(fn: str, args: tuple, size=None) -> tuple:
    """Sizes given as ints (``zeros(2, 3)``) or one sequence (``zeros((2, 3))``), PyTorch-style."""
    if size is not None:
        if args:
            raise TypeError(f"{fn}() got multiple values for argument 'size'")
        args = (size,)
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    elif len(args) == 1 and not isinstance(args[0], Tensor):
        try:
            operator.index(args[0])
        except TypeError:
            raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, not "
                            f"{type(args[0]).__name__}") from None
    dims = []
    for pos, a in enumerate(args):
        try:
            dims.append(operator.index(a))
        except TypeError:
            raise TypeError(f"{fn}(): argument 'size' failed to unpack the object at pos "
                            f"{pos + 1} with error \"type must be tuple of ints,but got "
                            f"{type(a).__name__}\"") from None
    if any(d < 0 for d in dims):
        if fn == "zeros":
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        bad = next(d for d in dims if d < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {dims}")
    return tuple(dims)


def _seq_size(fn: str, size) -> tuple:
    """A ``size`` argument that must be a sequence (``full``, ``randint``, ``new_full``)."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    return _parse_size(fn, (size,))


def _np_dtype(dtype, default=None) -> np.dtype:
    if dtype is None:
        return (default if default is not None else _dtypes.get_default_dtype()).np
    return _dtypes.to_dtype(dtype).np


def _finish(arr: np.ndarray, requires_grad: bool = False, out=None) -> Tensor:
    """Wrap a new array as a leaf, honouring ``requires_grad`` and ``out=``."""
    t = Tensor._make(arr)
    if out is not None:
        return write_out(t, out)
    if requires_grad:
        if arr.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t._requires_grad = True
    return t


def _check_float(npd: np.dtype, kernel: str) -> None:
    if npd.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_type_name(npd)}\'')


# ---- constant factories -----------------------------------------------------------------------
def _constant(fn: str, value, size: tuple, dtype, out, requires_grad, device) -> Tensor:
    check_device(device, fn)
    return _finish(np.full(size, value, dtype=_np_dtype(dtype)), requires_grad, out)


def zeros(*size_args, size=None, out=None, dtype=None, layout=None, device=None,
          pin_memory=False, requires_grad=False, memory_format=None) -> Tensor:
    """A tensor of zeros; ``size`` as ints (``zeros(2, 3)``) or a sequence (``zeros((2, 3))``).

    Example:
        >>> import chainrule as torch
        >>> torch.zeros(2, 3)
        tensor([[0., 0., 0.],
                [0., 0., 0.]])
    """
    shape = _parse_size("zeros", size_args, size)
    return _constant("zeros", 0, shape, dtype, out, requires_grad, device)


def ones(*size_args, size=None, out=None, dtype=None, layout=None, device=None,
         pin_memory=False, requires_grad=False, memory_format=None) -> Tensor:
    """A tensor of ones.

    Example:
        >>> import chainrule as torch
        >>> torch.ones(3, dtype=torch.int64)
        tensor([1, 1, 1])
    """
    shape = _parse_size("ones", size_args, size)
    return _constant("ones", 1, shape, dtype, out, requires_grad, device)


def empty(*size_args, size=None, out=None, dtype=None, layout=None, device=None,
          pin_memory=False, requires_grad=False, memory_format=None) -> Tensor:
    """An uninitialised tensor (its values are whatever the memory held).

    Example:
        >>> import chainrule as torch
        >>> torch.empty(2, 3).shape
        torch.Size([2, 3])
    """
    check_device(device, "empty")
    arr = np.empty(_parse_size("empty", size_args, size), dtype=_np_dtype(dtype))
    return _finish(arr, requires_grad, out)


def _fill_dtype(value) -> _dtypes.dtype:
    return _dtypes._category_default(_dtypes.scalar_category(value))


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, pin_memory=False,
         requires_grad=False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``; the dtype follows the value when not
    given (bool → bool, int → int64, float → the default dtype).

    Example:
        >>> import chainrule as torch
        >>> torch.full((2,), 7)
        tensor([7, 7])
    """
    value = _scalar(fill_value)
    dtype = dtype if dtype is not None else _fill_dtype(value)
    return _constant("full", value, _seq_size("full", size), dtype, out, requires_grad, device)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory=False,
                  requires_grad=False) -> Tensor:
    """A 0-d tensor holding ``s`` (default float dtype unless ``dtype`` is given).

    Example:
        >>> import chainrule as torch
        >>> torch.scalar_tensor(3)
        tensor(3.)
    """
    return _constant("scalar_tensor", _scalar(s), (), dtype, None, requires_grad, device)


def _like(fn: str, input, dtype, device, requires_grad, make) -> Tensor:
    check_tensor(input, fn)
    check_device(device, fn)
    npd = input._data.dtype if dtype is None else _np_dtype(dtype)
    return _finish(make(input._data.shape, npd), requires_grad)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    """Zeros with ``input``'s shape and (unless given) dtype.

    Example:
        >>> import chainrule as torch
        >>> torch.zeros_like(torch.tensor([1, 2]))
        tensor([0, 0])
    """
    return _like("zeros_like", input, dtype, device, requires_grad, np.zeros)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    """Ones with ``input``'s shape and (unless given) dtype."""
    return _like("ones_like", input, dtype, device, requires_grad, np.ones)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    """An uninitialised tensor with ``input``'s shape and (unless given) dtype."""
    return _like("empty_like", input, dtype, device, requires_grad, np.empty)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    """``fill_value`` everywhere, with ``input``'s shape and (unless given) dtype."""
    value = _scalar(fill_value)
    return _like("full_like", input, dtype, device, requires_grad,
                 lambda shape, npd: np.full(shape, value, dtype=npd))


# ---- ranges, identity, grids ------------------------------------------------------------------
def _is_float(v) -> bool:
    return isinstance(v, (float, np.floating))


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           pin_memory=False, requires_grad=False) -> Tensor:
    """Values from ``start`` up to (not including) ``end`` in steps of ``step``.

    Integer arguments give int64, any float argument the default float dtype; the length is
    ``ceil((end - start) / step)``.

    Example:
        >>> import chainrule as torch
        >>> torch.arange(5)
        tensor([0, 1, 2, 3, 4])
        >>> torch.arange(1, 2.5, 0.5)
        tensor([1.0000, 1.5000, 2.0000])
    """
    check_device(device, "arange")
    if end is None:
        start, end = 0, start
    start, end, step = _scalar(start), _scalar(end), _scalar(step)
    if dtype is None:
        floating = any(_is_float(v) for v in (start, end, step))
        npd = _dtypes.get_default_dtype().np if floating else np.dtype(np.int64)
    else:
        npd = _np_dtype(dtype)
    if npd.kind == "b":
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    if npd == np.int64:
        start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {_num(start)} -> {_num(end)}")
    if not ((step > 0 and end >= start) or (step < 0 and end <= start)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if npd == np.int64:
        sign = 1 if step > 0 else -1
        n = (end - start + step - sign) // step
        arr = start + np.arange(n, dtype=np.int64) * step
    else:
        n = math.ceil((float(end) - float(start)) / float(step))
        if npd.kind in "iu":
            start, step = int(start), int(step)
            arr = (start + np.arange(n, dtype=np.int64) * step).astype(npd)
        else:
            arr = _arange_float(float(start), float(step), n, npd)
    return _finish(arr, requires_grad, out)


# Extended precision stands in for the fused multiply-adds of PyTorch's CPU kernels, so ranges
# match PyTorch's values bit for bit (where long double is wider than double, as on x86).
_WIDE = np.longdouble


def _arange_float(start: float, step: float, n: int, npd: np.dtype) -> np.ndarray:
    """PyTorch's float arange: pairs of 32-byte vectors start from a base rounded to the dtype,
    and the leftover tail is computed element by element."""
    idx = np.arange(n)
    width = max(32 // npd.itemsize, 1)
    vec_end = n - n % (2 * width)
    wide_start, wide_step = _WIDE(start), _WIDE(step)
    values = (wide_start + wide_step * idx.astype(_WIDE)).astype(np.float64)
    if vec_end:
        head = idx[:vec_end]
        base = (wide_start + wide_step * (head - head % width).astype(_WIDE))
        base = base.astype(np.float64).astype(npd).astype(_WIDE)
        values[:vec_end] = (base + (head % width).astype(_WIDE) * wide_step).astype(np.float64)
    return values.astype(npd)


def _linspace_values(start, end, steps: int, npd: np.dtype) -> np.ndarray:
    """PyTorch's symmetric linspace: the first half counts up from ``start``, the second half
    down from ``end``, so both endpoints are exact. Floats use a step rounded to the dtype."""
    idx = np.arange(steps)
    if npd.kind == "f":
        start, end = npd.type(start), npd.type(end)
        step = npd.type(npd.type(end - start) / npd.type(max(steps - 1, 1)))
    else:  # integer dtypes truncate the ends first, then step in double precision
        start, end = float(int(start)), float(int(end))
        step = (end - start) / max(steps - 1, 1)
    up = _WIDE(start) + _WIDE(step) * idx.astype(_WIDE)
    down = _WIDE(end) - _WIDE(step) * (steps - 1 - idx).astype(_WIDE)
    values = np.where(idx < steps // 2, up, down) if steps > 1 else up
    return values.astype(npd) if npd.kind == "f" else values.astype(np.float64)


def _check_steps(fn: str, steps) -> int:
    if isinstance(steps, (float, bool)) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"{fn}(): argument 'steps' (position 3) must be int, not "
                        f"{type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return int(steps)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             pin_memory=False, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    Example:
        >>> import chainrule as torch
        >>> torch.linspace(0, 1, 5)
        tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    check_device(device, "linspace")
    steps = _check_steps("linspace", steps)
    npd = _np_dtype(dtype)
    arr = _linspace_values(_scalar(start), _scalar(end), steps, npd).astype(npd)
    return _finish(arr, requires_grad, out)


def logspace(start, end, steps, base: float = 10.0, *, out=None, dtype=None, layout=None,
             device=None, pin_memory=False, requires_grad=False) -> Tensor:
    """``base ** linspace(start, end, steps)``.

    Example:
        >>> import chainrule as torch
        >>> torch.logspace(0, 2, 3)
        tensor([  1.,  10., 100.])
    """
    check_device(device, "logspace")
    steps = _check_steps("logspace", steps)
    npd = _np_dtype(dtype)
    start, end = _scalar(start), _scalar(end)
    if steps == 1:
        exps = np.array([float(start)])
    else:
        # the ends are rounded to the dtype; exponents and powers are computed in double
        cast = npd.type if npd.kind == "f" else int
        lo, hi = cast(start), cast(end)
        step = float(cast(hi - lo)) / (steps - 1)
        idx = np.arange(steps)
        up = float(lo) + step * idx
        down = float(hi) - step * (steps - 1 - idx)
        exps = np.where(idx < steps // 2, up, down)
    if npd == np.float64:  # C's pow, which PyTorch calls, can differ from NumPy's in the last bit
        arr = np.array([_c_pow(float(base), e) for e in exps.tolist()], dtype=np.float64)
    else:
        with np.errstate(over="ignore"):
            arr = np.power(float(base), exps).astype(npd)
    return _finish(arr, requires_grad, out)


def _c_pow(base: float, exponent: float) -> float:
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return math.inf
    except ValueError:
        return math.nan


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, pin_memory=False,
        requires_grad=False) -> Tensor:
    """An ``n x m`` matrix (``m`` defaults to ``n``) with ones on the diagonal.

    Example:
        >>> import chainrule as torch
        >>> torch.eye(2)
        tensor([[1., 0.],
                [0., 1.]])
    """
    check_device(device, "eye")
    for name, v, pos in (("n", n, 1), ("m", m, 2)):
        if v is None:
            continue
        if isinstance(v, float) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"eye(): argument '{name}' (position {pos}) must be int, not "
                            f"{type(v).__name__}")
        if v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    return _finish(np.eye(n, n if m is None else m, dtype=_np_dtype(dtype)), requires_grad, out)


def _tri_indices(fn, tri, row: int, col: int, offset: int, dtype, device) -> Tensor:
    check_device(device, fn)
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")  # sic: PyTorch's spacing
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    rows, cols = tri(row, offset, col)
    return Tensor._make(np.stack([rows, cols]).astype(_np_dtype(dtype, _dtypes.int64)))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                 layout=None) -> Tensor:
    """The (row, column) indices of the lower triangle of a ``row x col`` matrix, as a
    ``2 x N`` int64 tensor in row-major order.

    Example:
        >>> import chainrule as torch
        >>> torch.tril_indices(3, 3)
        tensor([[0, 1, 1, 2, 2, 2],
                [0, 0, 1, 0, 1, 2]])
    """
    return _tri_indices("tril_indices", np.tril_indices, row, col, offset, dtype, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                 layout=None) -> Tensor:
    """The (row, column) indices of the upper triangle of a ``row x col`` matrix."""
    return _tri_indices("triu_indices", np.triu_indices, row, col, offset, dtype, device)


class _GridExpand(Function):
    """One meshgrid output: a 1-d input laid along ``axis`` and broadcast to ``shape``."""

    raw = True
    node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, x, axis, shape):
        ctx.axis, ctx.shape, ctx.in_shape = axis, shape, x.shape
        view = [1] * len(shape)
        view[axis] = x.size
        return np.broadcast_to(x.reshape(view), shape)

    @staticmethod
    def backward(ctx, g):
        return _GridSum.apply(g, ctx.axis, ctx.in_shape), None, None


class _GridSum(Function):
    """The adjoint of ``_GridExpand``: sum over every axis but ``axis``."""

    raw = True
    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, g, axis, in_shape):
        ctx.axis, ctx.shape = axis, g.shape
        others = tuple(i for i in range(g.ndim) if i != axis)
        return g.sum(axis=others).reshape(in_shape)

    @staticmethod
    def backward(ctx, g):
        return _GridExpand.apply(g, ctx.axis, ctx.shape), None, None


def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-d tensors: output ``i`` varies along dimension ``i``
    (``indexing='ij'``), or with the first two dimensions swapped (``indexing='xy'``).

    Example:
        >>> import chainrule as torch
        >>> gx, gy = torch.meshgrid(torch.tensor([1, 2]), torch.tensor([3, 4, 5]), indexing='ij')
        >>> gx
        tensor([[1, 1, 1],
                [2, 2, 2]])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but '
                           f"received: {indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        check_tensor(t, "meshgrid", "tensors")
    if any(t._data.dtype != tensors[0]._data.dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got a tensor of shape {list(t.shape)}")
    shape = [t._data.size for t in tensors]
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        shape[0], shape[1] = shape[1], shape[0]
        axes[0], axes[1] = 1, 0
    return tuple(_GridExpand.apply(t, ax, tuple(shape)) for t, ax in zip(tensors, axes))


# ---- new_* methods ---------------------------------------------------------------------------
def _new(self, fn, size, value, dtype, device, requires_grad) -> Tensor:
    check_device(device, fn)
    npd = self._data.dtype if dtype is None else _np_dtype(dtype)
    arr = np.empty(size, npd) if value is None else np.full(size, value, npd)
    return _finish(arr, requires_grad)


def new_tensor(self: Tensor, data, *, dtype=None, device=None, requires_grad=False,
               layout=None, pin_memory=False) -> Tensor:
    """A copy of ``data`` as a new leaf tensor, with this tensor's dtype unless given."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than tensor.new_tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
        data = data._data
    return tensor(data, dtype=self.dtype if dtype is None else dtype, device=device,
                  requires_grad=requires_grad)


def new_zeros(self: Tensor, *size_args, size=None, dtype=None, device=None,
              requires_grad=False, layout=None, pin_memory=False) -> Tensor:
    """Zeros of ``size`` with this tensor's dtype unless given."""
    shape = _parse_size("new_zeros", size_args, size)
    return _new(self, "new_zeros", shape, 0, dtype, device, requires_grad)


def new_ones(self: Tensor, *size_args, size=None, dtype=None, device=None,
             requires_grad=False, layout=None, pin_memory=False) -> Tensor:
    """Ones of ``size`` with this tensor's dtype unless given."""
    shape = _parse_size("new_ones", size_args, size)
    return _new(self, "new_ones", shape, 1, dtype, device, requires_grad)


def new_empty(self: Tensor, *size_args, size=None, dtype=None, device=None,
              requires_grad=False, layout=None, pin_memory=False) -> Tensor:
    """An uninitialised tensor of ``size`` with this tensor's dtype unless given."""
    shape = _parse_size("new_empty", size_args, size)
    return _new(self, "new_empty", shape, None, dtype, device, requires_grad)


def new_full(self: Tensor, size, fill_value, *, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False) -> Tensor:
    """``fill_value`` everywhere, of ``size``, with this tensor's dtype unless given."""
    return _new(self, "new_full", _seq_size("new_full", size), _scalar(fill_value), dtype,
                device, requires_grad)


bind(new_tensor=new_tensor, new_zeros=new_zeros, new_ones=new_ones, new_empty=new_empty,
     new_full=new_full)

# The random factories need the helpers above, so they are imported last.
from . import sampling  # noqa: E402
from .sampling import *  # noqa: E402,F401,F403

__all__ += sampling.__all__
