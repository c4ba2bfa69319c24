"""``chainrule.linalg``: norms, inverses, determinants and solvers, as ``torch.linalg``.

Every function accepts batches of matrices (leading dimensions broadcast) and is
differentiable; ``inv``, ``det``, ``slogdet`` and ``solve`` are twice differentiable, the
SVD-based norms (``'nuc'``, ``2``, ``-2``) once.
"""

from __future__ import annotations

import math

import numpy as np

from ._tensor import Tensor
from .autograd.function import Function
from .ops._util import check_tensor, wrap_dim, write_out
from .ops.linalg import cross as _cross
from .ops.linalg import matmul
from .ops.sorting import return_type
from .ops.statistics import Norm

__all__ = [
    "norm", "vector_norm", "matrix_norm", "inv", "det", "slogdet", "solve", "cross", "matmul",
    "vecdot", "multi_dot", "matrix_power", "LinAlgError",
]

SlogdetResult = return_type("linalg_slogdet", ("sign", "logabsdet"), "SlogdetResult",
                            __name__)
_TYPE = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
         "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


class LinAlgError(RuntimeError):
    """Raised when a matrix is singular (or otherwise unsuitable) for the decomposition."""


def _float_input(x, fn: str, arg: str = "A") -> Tensor:
    check_tensor(x, f"linalg.{fn}", arg)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.{fn}: Expected a floating point or complex tensor as input. "
                           f"Got {_TYPE.get(x._data.dtype.name, x._data.dtype.name)}")
    return x


def _square(x: Tensor, fn: str, arg: str = "A") -> Tensor:
    _float_input(x, fn, arg)
    s = x._data.shape
    if x._data.ndim < 2:
        raise RuntimeError(f"linalg.{fn}: The input tensor {arg} must have at least 2 "
                           "dimensions.")
    if s[-1] != s[-2]:
        raise RuntimeError(f"linalg.{fn}: {arg} must be batches of square matrices, but they "
                           f"are {s[-2]} by {s[-1]} matrices")
    return x


def _mT(x: Tensor) -> Tensor:
    return x.transpose(-2, -1)


def _unsq2(g: Tensor) -> Tensor:
    return g[..., None, None]


# ---- norms -----------------------------------------------------------------------------------
def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None,
                out=None) -> Tensor:
    """The vector ``ord``-norm over ``dim`` (all elements by default): ``ord`` is any real,
    ``inf`` or ``-inf``; the gradient at a zero vector is zero.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.linalg
        >>> torch.linalg.vector_norm(torch.tensor([3., 4.]))
        tensor(5.)
    """
    check_tensor(x, "linalg.vector_norm", "x")
    if dtype is not None:
        x = x.to(dtype)
    _float_input(x, "vector_norm", "x")
    if isinstance(ord, (str, bool)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not "
                        f"{type(ord).__name__}")
    ord = float(ord)
    nd = x._data.ndim
    if dim is None:
        axes = tuple(range(nd))
    else:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        axes = tuple(sorted({wrap_dim(int(d), nd) for d in dims})) if dims else tuple(range(nd))
    if math.isinf(ord) and x._data.size == 0:
        raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty tensor "
                           "because the operation does not have an identity")
    return write_out(Norm.apply(x, axes, bool(keepdim), ord), out)


class SvdNorm(Function):
    """A function of the singular values of the last two dims: their sum, max or min."""

    raw = True
    node_name = "LinalgMatrixNormBackward0"

    @staticmethod
    def forward(ctx, x, kind):
        u, s, vh = np.linalg.svd(x, full_matrices=False)
        ctx.kind = kind
        if kind == "nuc":
            ctx.factors = (u, vh)
            return np.asarray(s.sum(axis=-1), dtype=x.dtype)
        k = 0 if kind == "max" else -1
        ctx.factors = (u[..., :, k:k + 1 or None], vh[..., k:k + 1 or None, :])
        return np.asarray(s[..., k], dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        u, vh = ctx.factors
        return _unsq2(g) * Tensor._make(np.matmul(u, vh)), None


def _reduce_pair(x: Tensor, d0: int, d1: int, fn0, fn1, keepdim: bool) -> Tensor:
    r = fn1(fn0(x.abs(), d0), d1)
    return r if keepdim else r.squeeze((d0, d1))


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None,
                out=None) -> Tensor:
    """A matrix norm over the two dimensions ``dim``: ``'fro'``, ``'nuc'``, ``1``, ``-1``,
    ``2``, ``-2``, ``inf`` or ``-inf``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.linalg
        >>> torch.linalg.matrix_norm(torch.tensor([[1., -2.], [3., 4.]]), ord=1)
        tensor(6.)
    """
    check_tensor(A, "linalg.matrix_norm", "A")
    if dtype is not None:
        A = A.to(dtype)
    _float_input(A, "matrix_norm")
    nd = A._data.ndim
    if nd < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
    d0, d1 = wrap_dim(dim[0], nd), wrap_dim(dim[1], nd)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, "
                           f"{dim[1]})")
    if ord == "fro":
        result = vector_norm(A, 2, (d0, d1), keepdim)
    elif ord == "nuc" or ord in (2, -2):
        moved = A.movedim((d0, d1), (-2, -1))
        kind = "nuc" if ord == "nuc" else ("max" if ord == 2 else "min")
        result = SvdNorm.apply(moved, kind)
        if keepdim:
            for d in sorted((d0, d1)):
                result = result.unsqueeze(d)
    elif ord in (1, -1, math.inf, -math.inf):
        big = ord > 0
        ext = (lambda t, d: t.amax(d, keepdim=True)) if big else (
            lambda t, d: t.amin(d, keepdim=True))
        total = (lambda t, d: t.sum(d, keepdim=True))
        if abs(ord) == 1:
            result = _reduce_pair(A, d0, d1, total, ext, keepdim)
        else:
            result = _reduce_pair(A, d1, d0, total, ext, keepdim)
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    return write_out(result, out)


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None,
         out=None) -> Tensor:
    """A vector or matrix norm: over one dimension (or a 1-D input) a ``vector_norm``, over two
    (or a 2-D input) a ``matrix_norm``; with neither ``ord`` nor ``dim``, the 2-norm of all
    elements.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.linalg
        >>> torch.linalg.norm(torch.tensor([[3., 0.], [0., 4.]]))
        tensor(5.)
    """
    check_tensor(A, "linalg.norm", "A")
    if dim is not None:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype,
                               out=out)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype,
                               out=out)
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got "
                           f"{list(dims)}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype, out=out)
    nd = A._data.ndim
    if nd == 1:
        if isinstance(ord, str):
            raise RuntimeError(f"linalg.vector_norm: Expected a numeric ord, got {ord!r}")
        return vector_norm(A, ord, None, keepdim, dtype=dtype, out=out)
    if nd == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D "
                       f"or 2D. Got {nd}D.")


# ---- inverse, determinant, solve ---------------------------------------------------------------
def _linalg_call(fn, fname: str, *arrays):
    try:
        return fn(*arrays)
    except np.linalg.LinAlgError:
        raise LinAlgError(f"linalg.{fname}: The input matrix is singular, so the operation "
                          "could not be completed.") from None


class Inv(Function):
    raw = True
    node_name = "LinalgInvExBackward0"

    @staticmethod
    def forward(ctx, a):
        y = _linalg_call(np.linalg.inv, "inv", a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        yt = _mT(y)
        return -matmul(matmul(yt, g), yt)


def inv(A: Tensor, *, out=None) -> Tensor:
    """The inverse of a square matrix (or of each in a batch); raises ``LinAlgError`` when
    singular.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.linalg
        >>> torch.linalg.inv(torch.tensor([[2., 0.], [0., 4.]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.2500]])
    """
    _square(A, "inv")
    return write_out(Inv.apply(A), out)


class Det(Function):
    raw = True
    node_name = "LinalgDetBackward0"

    @staticmethod
    def forward(ctx, a):
        d = np.asarray(np.linalg.det(a), dtype=a.dtype)
        ctx.save_for_backward(a, d)
        return d

    @staticmethod
    def backward(ctx, g):
        a, d = ctx.saved_tensors
        return _unsq2(g * d) * _mT(inv(a))


def det(A: Tensor, *, out=None) -> Tensor:
    """The determinant of a square matrix (or of each in a batch).

    Its gradient ``det(A) * inv(A).mT`` needs ``A`` invertible.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.linalg
        >>> torch.linalg.det(torch.tensor([[1., 2.], [3., 4.]]))
        tensor(-2.)
    """
    _square(A, "det")
    return write_out(Det.apply(A), out)


class Slogdet(Function):
    raw = True
    node_name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx, a):
        sign, logabs = np.linalg.slogdet(a)
        ctx.save_for_backward(a)
        sign = np.asarray(sign, dtype=a.dtype)
        ctx.mark_non_differentiable(sign)
        return sign, np.asarray(logabs, dtype=a.dtype)

    @staticmethod
    def backward(ctx, g_sign, g_log):
        (a,) = ctx.saved_tensors
        return _unsq2(g_log) * _mT(inv(a))


def slogdet(A: Tensor, *, out=None):
    """``(sign, logabsdet)`` of the determinant, accurate where ``det`` would overflow.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.linalg
        >>> torch.linalg.slogdet(torch.tensor([[1., 2.], [3., 4.]])).sign
        tensor(-1.)
    """
    _square(A, "slogdet")
    return SlogdetResult(*Slogdet.apply(A))


class Solve(Function):
    raw = True
    node_name = "LinalgSolveExBackward0"

    @staticmethod
    def forward(ctx, a, b):
        x = _linalg_call(np.linalg.solve, "solve", a, b)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        gb = Solve.apply(_mT(a), g)
        ga = -matmul(gb, _mT(x)) if ctx.needs_input_grad[0] else None
        return ga, gb


def solve(A: Tensor, B: Tensor, *, left: bool = True, out=None) -> Tensor:
    """The solution ``X`` of ``A @ X = B`` (or ``X @ A = B`` with ``left=False``); ``B`` may be
    a vector or a batch of vectors, and batch dimensions broadcast.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.linalg
        >>> torch.linalg.solve(torch.tensor([[2., 0.], [0., 4.]]), torch.tensor([2., 2.]))
        tensor([1.0000, 0.5000])
    """
    _square(A, "solve")
    _float_input(B, "solve", "B")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {_TYPE[A._data.dtype.name]} and B of type "
                           f"{_TYPE[B._data.dtype.name]} instead")
    n = A._data.shape[-1]
    vector = B._data.ndim == 1 or (B._data.ndim == A._data.ndim - 1
                                   and B._data.shape == A._data.shape[:-1])
    if not left:
        if vector:
            raise RuntimeError("linalg.solve: Vector broadcasting of the left hand side is not "
                               "supported for left=False. In this case linalg.solve is "
                               "equivalent to B / A.squeeze(-1)")
        return write_out(_mT(solve(_mT(A), _mT(B))), out)
    Bm = B[..., None] if vector else B
    if Bm._data.shape[-2] != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({A._data.shape[-2]}x{n} and {Bm._data.shape[-2]}x"
                           f"{Bm._data.shape[-1]})")
    X = Solve.apply(A, Bm)
    return write_out(X[..., 0] if vector else X, out)


# ---- products ----------------------------------------------------------------------------------
def cross(input: Tensor, other: Tensor, *, dim: int = -1, out=None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (the last by default)."""
    return _cross(input, other, dim, out=out)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1, out=None) -> Tensor:
    """Dot product of vectors along ``dim`` (other dimensions broadcast).

    Example:
        >>> import chainrule as torch
        >>> import chainrule.linalg
        >>> torch.linalg.vecdot(torch.tensor([[1., 2.], [3., 4.]]), torch.tensor([1., 1.]))
        tensor([3., 7.])
    """
    check_tensor(x, "linalg.vecdot", "x")
    check_tensor(y, "linalg.vecdot", "y")
    return write_out((x * y).sum(dim), out)


def multi_dot(tensors, *, out=None) -> Tensor:
    """The product of a chain of matrices; the first and last may be vectors."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        check_tensor(t, "linalg.multi_dot", "tensors")
        allowed = (1, 2) if i in (0, len(tensors) - 1) else (2,)
        if t._data.ndim not in allowed:
            raise RuntimeError(f"multi_dot(): tensor {i} must be "
                               f"{'1D or 2D' if len(allowed) == 2 else '2D'} but got "
                               f"{t._data.ndim}D")
    result = tensors[0]
    for t in tensors[1:]:
        result = matmul(result, t)
    return write_out(result, out)


def matrix_power(A: Tensor, n: int, *, out=None) -> Tensor:
    """``A`` multiplied by itself ``n`` times (``inv(A)`` powers for negative ``n``; the
    identity for 0).

    Example:
        >>> import chainrule as torch
        >>> import chainrule.linalg
        >>> torch.linalg.matrix_power(torch.tensor([[1., 1.], [0., 1.]]), 3)
        tensor([[1., 3.],
                [0., 1.]])
    """
    check_tensor(A, "linalg.matrix_power", "A")
    s = A._data.shape
    if A._data.ndim < 2 or s[-1] != s[-2]:
        raise RuntimeError("linalg.matrix_power: A must be batches of square matrices, but they "
                           f"are {s[-2] if len(s) > 1 else 1} by {s[-1] if s else 1} matrices")
    if n == 0:
        eye = np.broadcast_to(np.eye(s[-1], dtype=A._data.dtype), s).copy()
        return write_out(Tensor._make(eye), out)
    base = inv(A) if n < 0 else A
    n = abs(int(n))
    result = None
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return write_out(result, out)
