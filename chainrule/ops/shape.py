"""Shape ops that return views: reshape/view, flatten, squeeze/unsqueeze, transpose/permute,
expand/broadcast, narrow, diagonal. Joining and splitting (cat, stack, split, chunk, unbind …)
and copying rearrangements (flip, roll, repeat, tril/triu …) live in ``joining`` and are
re-exported from here.

A view shares memory and the version counter with its input and records its ``_base``, so an
in-place change through either one is seen by autograd's saved-tensor checks.
"""

from __future__ import annotations

import numbers
import operator
import warnings

import numpy as np

from .. import _dtypes
from .._tensor import Size, Tensor, _wrap_dim
from ..autograd.function import Function
from ._util import bind, check_tensor

__all__ = [
    "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose", "swapaxes",
    "swapdims", "t", "permute", "movedim", "moveaxis", "broadcast_to", "broadcast_tensors",
    "broadcast_shapes", "narrow", "diagonal",
]


# ---- helpers ----------------------------------------------------------------------------------
def wrap(dim: int, ndim: int) -> int:
    """Map a possibly negative ``dim`` into ``range(ndim)`` (0-d tensors accept 0 and -1)."""
    return _wrap_dim(dim, ndim)


def as_view(out: Tensor, input: Tensor) -> Tensor:
    """Make ``out`` a view of ``input``: shared version counter, ``_base`` set to the root."""
    out._version = input._version
    out._base = input._base if input._base is not None else input
    return out


def _is_int(x) -> bool:
    return isinstance(x, (numbers.Integral, Tensor)) and not isinstance(x, bool)


def parse_shape(args: tuple, fn: str, arg: str = "size") -> tuple:
    """Read sizes given as varargs (``view(2, 3)``) or as one sequence (``view((2, 3))``)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    out = []
    for i, s in enumerate(args):
        if not _is_int(s):
            raise TypeError(f"{fn}(): argument '{arg}' must be tuple of ints, but found element "
                            f"of type {type(s).__name__} at pos {i}")
        out.append(operator.index(s))
    return tuple(out)


def _dim_list(args: tuple, ndim: int, fn: str) -> tuple:
    """Wrapped dims from varargs or one sequence, rejecting repeats."""
    dims = []
    for d in parse_shape(args, fn, "dims"):
        d = wrap(d, ndim)
        if d in dims:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        dims.append(d)
    return tuple(dims)


def _infer(shape: tuple, numel: int) -> tuple:
    """Resolve one ``-1`` in ``shape`` and check the element count, with PyTorch's errors."""
    infer, known = None, 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
        else:
            known *= s
    bad = f"shape '{list(shape)}' is invalid for input of size {numel}"
    if infer is None:
        if known != numel:
            raise RuntimeError(bad)
        return shape
    if known == 0:
        if numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} "
                               "because the unspecified dimension size -1 can be any value and is "
                               "ambiguous")
        raise RuntimeError(bad)
    if numel % known:
        raise RuntimeError(bad)
    return shape[:infer] + (numel // known,) + shape[infer + 1:]


def _try_view(arr: np.ndarray, shape: tuple):
    """``arr`` reshaped without copying, or None when the strides do not allow it."""
    try:
        return np.reshape(arr, shape, copy=False)
    except ValueError:
        return None
    except TypeError:  # NumPy < 2.1 has no copy= argument
        view = arr.view()
        try:
            view.shape = shape
        except AttributeError:
            return None
        return view


# ---- reshape family ---------------------------------------------------------------------------
class View(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return reshape(g, ctx.in_shape), None


class UnsafeView(View):
    node_name = "UnsafeViewBackward0"  # reshape that had to copy


class Squeeze(View):
    node_name = "SqueezeBackward0"


class SqueezeDim(View):
    node_name = "SqueezeBackward1"


class SqueezeDims(View):
    node_name = "SqueezeBackward2"


class Unsqueeze(View):
    node_name = "UnsqueezeBackward0"


def reshape(input, *shape) -> Tensor:
    """The same elements in a new shape: a view when the strides allow, else a copy.

    One size may be ``-1`` and is inferred. Accepts ``reshape(x, (2, 3))`` and
    ``x.reshape(2, 3)``.

    Returns:
        A view sharing memory and version counter with ``input`` if possible, else a copy.

    Example:
        >>> import chainrule as torch
        >>> torch.arange(6).reshape(2, -1).shape
        torch.Size([2, 3])
    """
    check_tensor(input, "reshape")
    shape = _infer(parse_shape(shape, "reshape", "shape"), input._data.size)
    if _try_view(input._data, shape) is None:
        return UnsafeView.apply(input, shape)
    return as_view(View.apply(input, shape), input)


def view(input, *shape) -> Tensor:
    """A view with a new shape (one size may be ``-1``); raises if the strides forbid it.

    ``view(dtype)`` reinterprets the bytes as another dtype of the same size (no gradient).
    """
    check_tensor(input, "view")
    if len(shape) == 1 and isinstance(shape[0], _dtypes.dtype):
        npd = shape[0].np
        if npd.itemsize != input._data.dtype.itemsize:
            raise RuntimeError(f"view(dtype): {input.dtype} and {shape[0]} differ in size")
        return as_view(Tensor._make(input._data.view(npd)), input)
    shape = _infer(parse_shape(shape, "view"), input._data.size)
    if _try_view(input._data, shape) is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.")
    return as_view(View.apply(input, shape), input)


def view_as(input, other) -> Tensor:
    """``view`` with ``other``'s shape."""
    return view(input, check_tensor(other, "view_as", "other").shape)


def reshape_as(input, other) -> Tensor:
    """``reshape`` to ``other``'s shape."""
    return reshape(input, check_tensor(other, "reshape_as", "other").shape)


def flatten(input, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim`` … ``end_dim`` into one (a view when possible).

    Example:
        >>> import chainrule as torch
        >>> torch.zeros(2, 3, 4).flatten(1).shape
        torch.Size([2, 12])
    """
    check_tensor(input, "flatten")
    shape = input._data.shape
    if not shape:
        return reshape(input, 1)
    s, e = wrap(start_dim, len(shape)), wrap(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    return reshape(input, shape[:s] + (int(np.prod(shape[s:e + 1])),) + shape[e + 1:])


def unflatten(input, dim: int, sizes) -> Tensor:
    """Split dimension ``dim`` into ``sizes`` (one may be ``-1``)."""
    check_tensor(input, "unflatten")
    shape = input._data.shape
    d = wrap(dim, len(shape))
    sizes = parse_shape((sizes,), "unflatten", "sizes")
    known = int(np.prod([s for s in sizes if s != -1]))
    if (-1 in sizes and (known == 0 or shape[d] % known)) or (
            -1 not in sizes and known != shape[d]):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {d} ({shape[d]}) in the input tensor")
    inner = _infer(sizes, shape[d])
    return view(input, shape[:d] + inner + shape[d + 1:])


def squeeze(input, dim=None) -> Tensor:
    """Remove size-1 dimensions (all of them, or those among ``dim``, an int or tuple).

    Example:
        >>> import chainrule as torch
        >>> torch.zeros(1, 3, 1).squeeze().shape
        torch.Size([3])
    """
    check_tensor(input, "squeeze")
    shape = input._data.shape
    if dim is None:
        cls, dims = Squeeze, range(len(shape))
    elif isinstance(dim, (tuple, list)):
        cls, dims = SqueezeDims, _dim_list((dim,), len(shape), "squeeze")
    else:
        cls, dims = SqueezeDim, (wrap(operator.index(dim), len(shape)),)
    drop = {d for d in dims if shape and shape[d] == 1}
    new = tuple(s for i, s in enumerate(shape) if i not in drop)
    return as_view(cls.apply(input, new), input)


def unsqueeze(input, dim: int) -> Tensor:
    """Insert a size-1 dimension at ``dim`` (``-1`` appends).

    Example:
        >>> import chainrule as torch
        >>> torch.zeros(3).unsqueeze(0).shape
        torch.Size([1, 3])
    """
    check_tensor(input, "unsqueeze")
    shape = input._data.shape
    d = wrap(operator.index(dim), len(shape) + 1)
    return as_view(Unsqueeze.apply(input, shape[:d] + (1,) + shape[d:]), input)


# ---- transposes -------------------------------------------------------------------------------
class Transpose(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, d0, d1):
        ctx.dims = (d0, d1)
        return np.swapaxes(x, d0, d1) if x.ndim else x[...]

    @staticmethod
    def backward(ctx, g):
        return transpose(g, *ctx.dims), None, None


class T(Function):
    raw = True
    node_name = "TBackward0"

    @staticmethod
    def forward(ctx, x):
        return x.T

    @staticmethod
    def backward(ctx, g):
        return t(g)


class Permute(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, perm):
        ctx.perm = perm
        return np.transpose(x, perm)

    @staticmethod
    def backward(ctx, g):
        return permute(g, tuple(np.argsort(ctx.perm).tolist())), None


def transpose(input, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions (a view).

    Example:
        >>> import chainrule as torch
        >>> torch.zeros(2, 3, 4).transpose(0, 2).shape
        torch.Size([4, 3, 2])
    """
    check_tensor(input, "transpose")
    nd = input._data.ndim
    d0, d1 = wrap(operator.index(dim0), nd), wrap(operator.index(dim1), nd)
    return as_view(Transpose.apply(input, d0, d1), input)


swapaxes = swapdims = transpose


def t(input) -> Tensor:
    """Transpose a matrix (0-d and 1-D tensors come back as they are, as views)."""
    check_tensor(input, "t")
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input._data.ndim}D")
    return as_view(T.apply(input), input)


def permute(input, *args, dims=None) -> Tensor:
    """Reorder the dimensions: ``x.permute(2, 0, 1)`` or ``torch.permute(x, (2, 0, 1))``.

    Example:
        >>> import chainrule as torch
        >>> torch.zeros(2, 3, 4).permute(2, 0, 1).shape
        torch.Size([4, 2, 3])
    """
    check_tensor(input, "permute")
    nd = input._data.ndim
    raw = parse_shape(args if dims is None else (dims,), "permute", "dims")
    if len(raw) != nd:
        raise RuntimeError("permute(sparse_coo): number of dimensions in the tensor input does "
                           "not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {nd} is not equal to len(dims) = {len(raw)}")
    perm = tuple(wrap(d, nd) for d in raw)
    if len(set(perm)) != len(perm):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return as_view(Permute.apply(input, perm), input)


def movedim(input, source, destination) -> Tensor:
    """Move dimension(s) ``source`` to position(s) ``destination``; the rest keep their order."""
    check_tensor(input, "movedim")
    nd = input._data.ndim
    src = parse_shape((source if isinstance(source, (tuple, list)) else (source,),),
                      "movedim", "source")
    dst = parse_shape((destination if isinstance(destination, (tuple, list))
                       else (destination,),), "movedim", "destination")
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    src = [wrap(d, nd) for d in src]
    dst = [wrap(d, nd) for d in dst]
    for name, ds in (("source", src), ("destination", dst)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({ds})")
    perm = [-1] * nd
    for s, d in zip(src, dst):
        perm[d] = s
    rest = iter(i for i in range(nd) if i not in src)
    return permute(input, tuple(p if p != -1 else next(rest) for p in perm))


moveaxis = movedim


def _T(self) -> Tensor:
    if self._data.ndim != 2:
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their "
                      "shape is deprecated and it will throw an error in a future release. "
                      "Consider `x.mT` to transpose batches of matrices or "
                      "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions "
                      "of a tensor.", UserWarning, stacklevel=2)
    return permute(self, tuple(range(self._data.ndim - 1, -1, -1)))


def _matrix_t(name: str):
    def prop(self) -> Tensor:
        if self._data.ndim < 2:
            raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of "
                               f"matrices. Got {self._data.ndim}-D tensor.")
        return transpose(self, -2, -1)

    prop.__doc__ = "The last two dimensions swapped (a view)."
    return property(prop)


def _H(self) -> Tensor:
    if self._data.ndim not in (0, 2):
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self._data.ndim}-D tensor.")
    return permute(self, tuple(range(self._data.ndim - 1, -1, -1)))


# ---- expand, broadcast ------------------------------------------------------------------------
class Expand(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        # a same-shape expand stays writable; a real broadcast is read-only (overlapping memory)
        return x.view() if x.shape == shape else np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        from .reduction import sum_to_size

        if g._data.shape == ctx.in_shape:  # never hand the incoming gradient itself back
            return View.apply(g, ctx.in_shape), None
        return sum_to_size(g, ctx.in_shape), None


def expand(input, *sizes) -> Tensor:
    """Broadcast size-1 dimensions to ``sizes`` without copying (``-1`` keeps a size).

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([[1], [2]]).expand(2, 3)
        tensor([[1, 1, 1],
                [2, 2, 2]])
    """
    check_tensor(input, "expand")
    sizes = parse_shape(sizes, "expand")
    have = input._data.shape
    lead = len(sizes) - len(have)
    if lead < 0:
        raise RuntimeError(f"expand({input.type()}{{{list(have)}}}, size={list(sizes)}): the "
                           f"number of sizes provided ({len(sizes)}) must be greater or equal to "
                           f"the number of dimensions in the tensor ({len(have)})")
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
        else:
            h = have[i - lead]
            if s == -1:
                s = h
            elif s < 0 or (h != 1 and s != h):
                raise RuntimeError(f"The expanded size of the tensor ({s}) must match the "
                                   f"existing size ({h}) at non-singleton dimension {i}.  Target "
                                   f"sizes: {list(sizes)}.  Tensor sizes: {list(have)}")
        target.append(s)
    return as_view(Expand.apply(input, tuple(target)), input)


def expand_as(input, other) -> Tensor:
    """``expand`` to ``other``'s shape."""
    return expand(input, check_tensor(other, "expand_as", "other").shape)


def broadcast_to(input, size) -> Tensor:
    """``expand`` to ``size`` (NumPy's name)."""
    return expand(input, size)


def broadcast_shapes(*shapes) -> Size:
    """The shape that tensors of ``shapes`` broadcast to, with PyTorch's error if none.

    Example:
        >>> import chainrule as torch
        >>> torch.broadcast_shapes((2, 1), (3,))
        torch.Size([2, 3])
    """
    shapes = [(s,) if _is_int(s) else tuple(s) for s in shapes]
    out = [1] * max((len(s) for s in shapes), default=0)
    for s in shapes:
        off = len(out) - len(s)
        for i, v in enumerate(s):
            j = off + i
            if out[j] == 1:
                out[j] = v
            elif v != 1 and v != out[j]:
                raise RuntimeError(f"The size of tensor a ({out[j]}) must match the size of "
                                   f"tensor b ({v}) at non-singleton dimension {j}")
    return Size(out)


def broadcast_tensors(*tensors) -> tuple:
    """Expand all tensors to their common broadcast shape (views)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for i, x in enumerate(tensors):
        check_tensor(x, "broadcast_tensors", f"tensors[{i}]")
    shape = tuple(broadcast_shapes(*(x._data.shape for x in tensors)))
    return tuple(x if x._data.shape == shape else expand(x, shape) for x in tensors)


# ---- narrow, diagonal -------------------------------------------------------------------------
def _slicer(ndim: int, d: int, index) -> tuple:
    return (slice(None),) * d + (index,) + (slice(None),) * (ndim - d - 1)


class Narrow(Function):
    raw = True
    node_name = "SliceBackward0"

    @staticmethod
    def forward(ctx, x, d, start, length):
        ctx.meta = (x.shape, d, start, length)
        return x[_slicer(x.ndim, d, slice(start, start + length))]

    @staticmethod
    def backward(ctx, g):
        return NarrowScatter.apply(g, *ctx.meta), None, None, None


class NarrowScatter(Function):
    """Zeros of the input's shape with the narrowed gradient written back in (slice's backward)."""

    raw = True
    node_name = "SliceBackwardBackward0"

    @staticmethod
    def forward(ctx, g, shape, d, start, length):
        ctx.meta = (d, start, length)
        out = np.zeros(shape, g.dtype)
        out[_slicer(len(shape), d, slice(start, start + length))] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return narrow(gg, *ctx.meta), None, None, None, None


def narrow(input, dim: int, start, length: int) -> Tensor:
    """The view ``input[..., start:start + length, ...]`` along ``dim``.

    Example:
        >>> import chainrule as torch
        >>> torch.arange(5).narrow(0, 1, 3)
        tensor([1, 2, 3])
    """
    check_tensor(input, "narrow")
    shape = input._data.shape
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap(operator.index(dim), len(shape))
    n, start, length = shape[d], operator.index(start), operator.index(length)
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    start = start + n if start < 0 else start
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return as_view(Narrow.apply(input, d, start, length), input)


def diag_view(x: np.ndarray, k: int, d1: int, d2: int) -> np.ndarray:
    """A writable strided view of diagonal ``k`` of the (d1, d2) planes, appended as last dim."""
    n1, n2 = x.shape[d1], x.shape[d2]
    length = max(min(n1, n2 - k), 0) if k >= 0 else max(min(n1 + k, n2), 0)
    keep = [i for i in range(x.ndim) if i not in (d1, d2)]
    shape = tuple(x.shape[i] for i in keep) + (length,)
    strides = tuple(x.strides[i] for i in keep) + (x.strides[d1] + x.strides[d2],)
    base = x
    if length:
        idx = [slice(None)] * x.ndim
        idx[d1 if k < 0 else d2] = slice(abs(k), None)
        base = x[tuple(idx)]
    return np.lib.stride_tricks.as_strided(base, shape, strides)


class Diagonal(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, k, d1, d2):
        ctx.meta = (x.shape, k, d1, d2)
        return diag_view(x, k, d1, d2)

    @staticmethod
    def backward(ctx, g):
        return DiagonalScatter.apply(g, *ctx.meta), None, None, None


class DiagonalScatter(Function):
    """Zeros with ``g`` written on a diagonal: the backward of ``diagonal``."""

    raw = True
    node_name = "DiagonalBackwardBackward0"

    @staticmethod
    def forward(ctx, g, shape, k, d1, d2):
        ctx.meta = (k, d1, d2)
        out = np.zeros(shape, g.dtype)
        diag_view(out, k, d1, d2)[...] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return Diagonal.apply(gg, *ctx.meta), None, None, None, None


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal ``offset`` of each (dim1, dim2) plane, as a view in a new last dimension.

    Example:
        >>> import chainrule as torch
        >>> torch.arange(9).reshape(3, 3).diagonal(1)
        tensor([1, 5])
    """
    check_tensor(input, "diagonal")
    nd = input._data.ndim
    d1, d2 = wrap(operator.index(dim1), nd), wrap(operator.index(dim2), nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return as_view(Diagonal.apply(input, operator.index(offset), d1, d2), input)


from . import joining  # noqa: E402  (imports the helpers above)
from .joining import *  # noqa: E402,F401,F403

__all__ += joining.__all__


bind(reshape=reshape, view=view, view_as=view_as, reshape_as=reshape_as, flatten=flatten,
     unflatten=unflatten, squeeze=squeeze, unsqueeze=unsqueeze, transpose=transpose,
     swapaxes=transpose, swapdims=transpose, t=t, permute=permute, movedim=movedim,
     moveaxis=movedim, expand=expand, expand_as=expand_as, broadcast_to=broadcast_to,
     narrow=narrow, diagonal=diagonal, T=property(_T, doc="The dimensions reversed (a view)."),
     mT=_matrix_t("mT"), mH=_matrix_t("mH"),
     H=property(_H, doc="The conjugate transpose of a matrix (the transpose: real dtypes)."))
