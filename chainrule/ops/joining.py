"""Joining and splitting (cat/stack and their h/v/d variants, split, chunk, unbind,
tensor_split, atleast_nd) and copying rearrangements (repeat/tile, flip, roll, tril/triu, diag).
Re-exported by ``shape``, which owns the view helpers these build on.
"""

from __future__ import annotations

import operator

import numpy as np

from .. import _dtypes
from .._tensor import Tensor
from ..autograd.function import Function
from ._util import bind, check_tensor, write_out
from .shape import (DiagonalScatter, _dim_list, _slicer, as_view, diag_view, narrow,
                    parse_shape, reshape, unsqueeze, wrap)

__all__ = [
    "cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack",
    "tile", "flip", "fliplr", "flipud", "roll", "tril", "triu", "diag", "split", "chunk",
    "unbind", "tensor_split", "atleast_1d", "atleast_2d", "atleast_3d",
]


def _tensor_list(tensors, fn: str) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(x).__name__}")
    return list(tensors)


def _promoted(tensors: list) -> np.dtype:
    d = tensors[0].dtype
    for x in tensors[1:]:
        d = _dtypes.promote_types(d, x.dtype)
    return d.np


def _skipped(shape: tuple) -> bool:
    """PyTorch's legacy rule: 1-D empty tensors are ignored by ``cat``."""
    return shape == (0,)


# ---- cat, stack -------------------------------------------------------------------------------
class Cat(Function):
    raw = True

    @staticmethod
    def forward(ctx, d, npd, *xs):
        ctx.meta = (d, [x.shape for x in xs])
        parts = [x for x in xs if not _skipped(x.shape)]
        if not parts:
            return np.zeros((0,), npd)
        return np.concatenate(parts, axis=d, dtype=npd, casting="unsafe")

    @staticmethod
    def backward(ctx, g):
        d, shapes = ctx.meta
        grads, start = [], 0
        for shape, need in zip(shapes, ctx.needs_input_grad[2:]):
            if _skipped(shape):
                grads.append(Tensor._make(np.zeros((0,), g._data.dtype)) if need else None)
                continue
            grads.append(narrow(g, d, start, shape[d]) if need else None)
            start += shape[d]
        return (None, None, *grads)


def cat(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Join tensors along an existing dimension, promoting dtypes; 1-D empty tensors are skipped.

    Args:
        tensors: a list or tuple of tensors with equal sizes except along ``dim``.
        dim: the dimension to join along.

    Returns:
        A new tensor (a copy) of the promoted dtype.

    Example:
        >>> import chainrule as torch
        >>> torch.cat([torch.zeros(1, 2), torch.ones(2, 2)]).shape
        torch.Size([3, 2])
    """
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if x._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    used = [(i, x._data.shape) for i, x in enumerate(tensors) if not _skipped(x._data.shape)]
    ref = used[0][1] if used else (0,)
    d = wrap(operator.index(dim), len(ref))
    for i, shape in used:
        if len(shape) != len(ref):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(ref)} and "
                               f"{len(shape)}")
        for a, (r, s) in enumerate(zip(ref, shape)):
            if a != d and r != s:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {r} but got size {s} for tensor number {i} in "
                                   "the list.")
    return write_out(Cat.apply(d, _promoted(tensors), *tensors), out)


concat = concatenate = cat


class Stack(Function):
    raw = True

    @staticmethod
    def forward(ctx, d, npd, *xs):
        ctx.dim = d
        return np.stack(xs, axis=d, dtype=npd, casting="unsafe")

    @staticmethod
    def backward(ctx, g):
        grads = unbind(g, ctx.dim)
        return (None, None, *(gi if need else None
                              for gi, need in zip(grads, ctx.needs_input_grad[2:])))


def stack(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Join equally shaped tensors along a new dimension ``dim``.

    Example:
        >>> import chainrule as torch
        >>> torch.stack([torch.tensor([1, 2]), torch.tensor([3, 4])], dim=1)
        tensor([[1, 3],
                [2, 4]])
    """
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    first = tensors[0]._data.shape
    for i, x in enumerate(tensors):
        if x._data.shape != first:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(first)} at entry 0 and {list(x.shape)} at entry {i}")
    d = wrap(operator.index(dim), len(first) + 1)
    return write_out(Stack.apply(d, _promoted(tensors), *tensors), out)


def hstack(tensors, *, out=None) -> Tensor:
    """Concatenate column-wise: along dim 1, or dim 0 for 1-D tensors."""
    tensors = atleast_1d(_tensor_list(tensors, "hstack"))
    return cat(tensors, 0 if tensors and tensors[0].ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None) -> Tensor:
    """Concatenate row-wise (1-D tensors become rows)."""
    return cat(atleast_2d(_tensor_list(tensors, "vstack")), 0, out=out)


def dstack(tensors, *, out=None) -> Tensor:
    """Concatenate depth-wise along dim 2 (after ``atleast_3d``)."""
    return cat(atleast_3d(_tensor_list(tensors, "dstack")), 2, out=out)


def column_stack(tensors, *, out=None) -> Tensor:
    """Stack as columns: 0-d and 1-D tensors become columns, then concatenate along dim 1."""
    tensors = _tensor_list(tensors, "column_stack")
    cols = [reshape(x, (x.numel(), 1)) if x.ndim <= 1 else x for x in tensors]
    return cat(cols, 1, out=out)


# ---- repeat, tile -----------------------------------------------------------------------------
class Repeat(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, reps):
        ctx.meta = (x.shape, reps)
        return np.tile(x, reps)

    @staticmethod
    def backward(ctx, g):
        from .reduction import sum

        shape, reps = ctx.meta
        padded = (1,) * (len(reps) - len(shape)) + shape
        pairs = [v for r, s in zip(reps, padded) for v in (r, s)]
        summed = sum(reshape(g, pairs), tuple(range(0, len(pairs), 2))) if reps else g * 1
        return reshape(summed, shape), None


def repeat(input, *sizes) -> Tensor:
    """Tile the tensor ``sizes[i]`` times along each dimension (extra leading sizes add dims).

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([1, 2]).repeat(2, 2)
        tensor([[1, 2, 1, 2],
                [1, 2, 1, 2]])
    """
    check_tensor(input, "repeat")
    reps = parse_shape(sizes, "repeat", "repeats")
    shape = input._data.shape
    if len(reps) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    padded = (1,) * (len(reps) - len(shape)) + shape
    result = [r * s for r, s in zip(reps, padded)]
    for r, v in zip(reps, result):
        if r < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {v}: {result}")
    return Repeat.apply(input, reps)


def tile(input, dims) -> Tensor:
    """``repeat``, with ``dims`` padded by leading ones when shorter than ``input.ndim``."""
    check_tensor(input, "tile")
    reps = parse_shape((dims,) if not isinstance(dims, (tuple, list)) else (tuple(dims),),
                       "tile", "dims")
    return repeat(input, (1,) * (input._data.ndim - len(reps)) + reps)


# ---- flip, roll -------------------------------------------------------------------------------
class Flip(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.flip(x, axes).copy()

    @staticmethod
    def backward(ctx, g):
        return flip(g, ctx.axes), None


def flip(input, *args, dims=None) -> Tensor:
    """Reverse the order of elements along ``dims`` (a copy, as in PyTorch).

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([[1, 2], [3, 4]]).flip(1)
        tensor([[2, 1],
                [4, 3]])
    """
    check_tensor(input, "flip")
    axes = _dim_list(args if dims is None else (dims,), input._data.ndim, "flip")
    return Flip.apply(input, axes if input._data.ndim else ())


def fliplr(input) -> Tensor:
    """Flip left-right (dimension 1); needs at least 2 dimensions."""
    if check_tensor(input, "fliplr")._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input) -> Tensor:
    """Flip up-down (dimension 0); needs at least 1 dimension."""
    if check_tensor(input, "flipud")._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


class Roll(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, shifts, axes):
        ctx.meta = (shifts, axes)
        return np.roll(x, shifts, axes)

    @staticmethod
    def backward(ctx, g):
        shifts, axes = ctx.meta
        return Roll.apply(g, tuple(-s for s in shifts), axes), None, None


def roll(input, shifts, dims=None) -> Tensor:
    """Shift elements circularly by ``shifts`` along ``dims`` (of the flattened tensor if None).

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([1, 2, 3, 4]).roll(1)
        tensor([4, 1, 2, 3])
    """
    check_tensor(input, "roll")
    shifts = parse_shape((shifts if isinstance(shifts, (tuple, list)) else (shifts,),),
                         "roll", "shifts")
    dims = () if dims is None else parse_shape(
        (dims if isinstance(dims, (tuple, list)) else (dims,),), "roll", "dims")
    if len(shifts) != max(len(dims), 1) or not shifts:
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{len(dims)}")
    if dims and input._data.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    axes = tuple(wrap(d, input._data.ndim) for d in dims) if dims else None
    return Roll.apply(input, shifts, axes)


# ---- tril, triu, diag -------------------------------------------------------------------------
class Tril(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return np.tril(x, k)

    @staticmethod
    def backward(ctx, g):
        return tril(g, ctx.k), None


class Triu(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return np.triu(x, k)

    @staticmethod
    def backward(ctx, g):
        return triu(g, ctx.k), None


def _triangle(cls, input, diagonal, fn: str) -> Tensor:
    if check_tensor(input, fn)._data.ndim < 2:
        raise RuntimeError(f"{fn}: input tensor must have at least 2 dimensions")
    return cls.apply(input, operator.index(diagonal))


def tril(input, diagonal: int = 0, *, out=None) -> Tensor:
    """Lower triangle of the last two dimensions (on and below diagonal ``diagonal``).

    Example:
        >>> import chainrule as torch
        >>> torch.ones(2, 2).tril()
        tensor([[1., 0.],
                [1., 1.]])
    """
    return write_out(_triangle(Tril, input, diagonal, "tril"), out)


def triu(input, diagonal: int = 0, *, out=None) -> Tensor:
    """Upper triangle of the last two dimensions (on and above diagonal ``diagonal``)."""
    return write_out(_triangle(Triu, input, diagonal, "triu"), out)


class DiagEmbed(DiagonalScatter):
    node_name = "DiagEmbedBackward0"


class DiagonalCopy(Function):
    raw = True
    node_name = "DiagonalBackward0_copy"

    @staticmethod
    def forward(ctx, x, k):
        ctx.meta = (x.shape, k, 0, 1)
        return diag_view(x, k, 0, 1).copy()

    @staticmethod
    def backward(ctx, g):
        return DiagonalScatter.apply(g, *ctx.meta), None


def diag(input, diagonal: int = 0) -> Tensor:
    """A 1-D tensor placed on diagonal ``diagonal`` of a square matrix, or a matrix's diagonal.

    Example:
        >>> import chainrule as torch
        >>> torch.diag(torch.tensor([1, 2]))
        tensor([[1, 0],
                [0, 2]])
    """
    check_tensor(input, "diag")
    nd, k = input._data.ndim, operator.index(diagonal)
    if nd == 1:
        n = input._data.shape[0] + abs(k)
        return DiagEmbed.apply(input, (n, n), k, 0, 1)
    if nd == 2:
        return DiagonalCopy.apply(input, k)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")


# ---- split, chunk, unbind, tensor_split -------------------------------------------------------
class Split(Function):
    """Views of consecutive pieces along ``d``; the backward concatenates their gradients."""

    raw = True

    @staticmethod
    def forward(ctx, x, d, sizes):
        ctx.dim = d
        out, start = [], 0
        for s in sizes:
            out.append(x[_slicer(x.ndim, d, slice(start, start + s))])
            start += s
        return tuple(out)

    @staticmethod
    def backward(ctx, *grads):
        return cat(list(grads), ctx.dim), None, None


class SplitWithSizes(Split):
    node_name = "SplitWithSizesBackward0"


class Unbind(Function):
    raw = True

    @staticmethod
    def forward(ctx, x, d):
        ctx.dim = d
        return tuple(x[_slicer(x.ndim, d, i)] for i in range(x.shape[d]))

    @staticmethod
    def backward(ctx, *grads):
        return stack(list(grads), ctx.dim), None


def _pieces(cls, input, d: int, sizes) -> tuple:
    outs = cls.apply(input, d, tuple(sizes))
    return tuple(as_view(o, input) for o in outs)


def _split_dim(input, dim, fn: str) -> int:
    check_tensor(input, fn)
    if input._data.ndim == 0:
        raise RuntimeError(f"{fn} expects at least a 1-dimensional tensor")
    return wrap(operator.index(dim), input._data.ndim)


def split(tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Cut into views of ``split_size`` along ``dim`` (the last may be smaller), or into pieces of
    the sizes listed.

    Returns:
        A tuple of views of ``tensor``.

    Example:
        >>> import chainrule as torch
        >>> [p.tolist() for p in torch.arange(5).split([2, 3])]
        [[0, 1], [2, 3, 4]]
    """
    d = _split_dim(tensor, dim, "split")
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = parse_shape((split_size_or_sections,), "split", "split_size")
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got "
                               f"split_sizes={list(sizes)}")
        return _pieces(SplitWithSizes, tensor, d, sizes)
    s = operator.index(split_size_or_sections)
    if s < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
    if s == 0 and n:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension "
                           f"size of {n}")
    sizes = [s] * (n // s) + ([n % s] if n % s else []) if n else [0]
    return _pieces(Split, tensor, d, sizes)


def chunk(input, chunks: int, dim: int = 0) -> tuple:
    """Split into ``chunks`` views of equal size ``ceil(n / chunks)`` (fewer if n is small).

    Example:
        >>> import chainrule as torch
        >>> [p.shape[0] for p in torch.zeros(5).chunk(3)]
        [2, 2, 1]
    """
    d = _split_dim(input, dim, "chunk")
    chunks = operator.index(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input._data.shape[d]
    if n == 0:
        return _pieces(SplitWithSizes, input, d, [0] * chunks)
    return split(input, -(-n // chunks), d)


def unbind(input, dim: int = 0) -> tuple:
    """The slices along ``dim`` as a tuple of views with that dimension removed.

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([[1, 2], [3, 4]]).unbind(1)
        (tensor([1, 3]), tensor([2, 4]))
    """
    check_tensor(input, "unbind")
    if input._data.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = wrap(operator.index(dim), input._data.ndim)
    outs = Unbind.apply(input, d)
    return tuple(as_view(o, input) for o in outs)


def tensor_split(input, indices_or_sections, dim: int = 0) -> tuple:
    """Split into ``n`` nearly equal views (the first ``size % n`` one longer), or at indices."""
    d = _split_dim(input, dim, "tensor_split")
    n = input._data.shape[d]
    if isinstance(indices_or_sections, Tensor) and indices_or_sections.ndim == 1:
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, (list, tuple)):
        cuts = [operator.index(i) for i in indices_or_sections]
        bounds = list(zip([0] + cuts, cuts + [n]))
    else:
        sections = operator.index(indices_or_sections)
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        q, r = divmod(n, sections)
        sizes = [q + 1] * r + [q] * (sections - r)
        starts = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        bounds = [(starts[i], starts[i + 1]) for i in range(sections)]
    out = []
    for a, b in bounds:
        a, b, _ = slice(a, b).indices(n)
        out.append(narrow(input, d, a, max(b - a, 0)))
    return tuple(out)


def _atleast(n: int, tensors: tuple, fn: str):
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    seq = tensors[0] if len(tensors) == 1 and not single else tensors
    out = []
    for x in seq:
        check_tensor(x, fn)
        nd = x._data.ndim
        if nd == 0:
            x = reshape(x, (1,) * n)
        elif nd < n:  # PyTorch adds the missing dims with unsqueeze
            x = unsqueeze(x, -1) if (n, nd) == (3, 2) else unsqueeze(x, 0)
            if (n, nd) == (3, 1):
                x = unsqueeze(x, -1)
        out.append(x)
    return out[0] if single else tuple(out)


def atleast_1d(*tensors):
    """Each tensor as at least 1-D (0-d becomes shape (1,))."""
    return _atleast(1, tensors, "atleast_1d")


def atleast_2d(*tensors):
    """Each tensor as at least 2-D (a leading size-1 dimension is added)."""
    return _atleast(2, tensors, "atleast_2d")


def atleast_3d(*tensors):
    """Each tensor as at least 3-D ((n,) becomes (1, n, 1); (m, n) becomes (m, n, 1))."""
    return _atleast(3, tensors, "atleast_3d")



def _tri_inplace(fn):
    def method(self, diagonal: int = 0):
        from ._inplace import inplace

        return inplace(self, fn, diagonal)

    method.__doc__ = f"In-place ``{fn.__name__}``; returns self."
    return method


bind(repeat=repeat, tile=tile, flip=flip, fliplr=fliplr, flipud=flipud, roll=roll, tril=tril,
     triu=triu, diag=diag, tril_=_tri_inplace(tril), triu_=_tri_inplace(triu), split=split,
     chunk=chunk, unbind=unbind, tensor_split=tensor_split)
