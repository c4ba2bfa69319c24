"""Products: ``matmul`` (and ``@``), ``mm``, ``bmm``, ``mv``, ``dot``, ``vdot``, ``outer``,
``addmm``, ``addmv``, ``baddbmm``, ``trace``, ``cross`` (``einsum``, ``tensordot`` and ``inner``
live in ``einsum.py`` and are re-exported here).

``matmul`` is the hot op of MLP training: its forward is one ``np.matmul`` on the operands as
they are, and its backward (``g @ b.mT``, ``a.mT @ g``) skips the graph entirely unless a
second derivative is being recorded. Broadcast batch dimensions are summed by the engine.
"""

from __future__ import annotations

import numpy as np

from .. import _dtypes
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_ENABLED
from ._util import as_operand, bind, check_tensor, wrap_dim, write_out
from .indexing import c_type_name

__all__ = [
    "matmul", "mm", "bmm", "mv", "dot", "vdot", "outer", "ger", "addmm", "addmv", "baddbmm",
    "trace", "cross",
]


def _mT(x):
    return x.swapaxes(-1, -2) if isinstance(x, np.ndarray) else x.transpose(-1, -2)


def _mul(x, y):
    return np.multiply(x, y) if isinstance(x, np.ndarray) else x * y


def _mm(x, y):
    return np.matmul(x, y) if isinstance(x, np.ndarray) else Matmul.apply(x, y)


def _expand_dims(x, d: int):
    return np.expand_dims(x, d) if isinstance(x, np.ndarray) else x.unsqueeze(d)


def _squeeze(x, d: int):
    return np.squeeze(x, d) if isinstance(x, np.ndarray) else x.squeeze(d)


def _reshape(x, shape):
    return x.reshape(shape)


def matmul_grads(g, a, b, need_a: bool, need_b: bool) -> tuple:
    """Gradients of ``a @ b`` (arrays or tensors alike), before summing broadcast dims."""
    na, nb = a.ndim, b.ndim
    ga = gb = None
    if na == 1 and nb == 1:
        ga = _mul(g, b) if need_a else None
        gb = _mul(g, a) if need_b else None
    elif nb == 1:  # (..., n, k) @ (k,) -> (..., n)
        ga = _mul(_expand_dims(g, -1), b) if need_a else None
        if need_b:
            gb = _squeeze(_mm(_expand_dims(g, -2), a), -2)
    elif na == 1:  # (k,) @ (..., k, m) -> (..., m)
        ga = _squeeze(_mm(b, _expand_dims(g, -1)), -1) if need_a else None
        gb = _mul(_expand_dims(a, -1), _expand_dims(g, -2)) if need_b else None
    else:
        ga = _mm(g, _mT(b)) if need_a else None
        if need_b:
            if na > 2 and nb == 2:  # fold the batch into rows: one GEMM, no batched result
                k, m = a.shape[-1], g.shape[-1]
                gb = _mm(_mT(_reshape(a, (-1, k))), _reshape(g, (-1, m)))
            else:
                gb = _mm(_mT(a), g)
    return ga, gb


class Matmul(Function):
    """``a @ b`` for operands of any rank >= 1 with broadcast batch dimensions."""

    raw = True
    node_name = "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad[:2]
        if GRAD_ENABLED[0]:  # recording a double backward: use differentiable ops
            return matmul_grads(g, a, b, need_a, need_b)
        ga, gb = matmul_grads(g._data, a._data, b._data, need_a, need_b)
        return (Tensor._make(ga) if ga is not None else None,
                Tensor._make(gb) if gb is not None else None)


def _named(name: str):
    return type(name[:-9], (Matmul,), {"node_name": name, "raw": True})


_MM, _MV, _DOT, _BMM, _VDOT = (_named(n) for n in (
    "MmBackward0", "MvBackward0", "DotBackward0", "BmmBackward0", "VdotBackward0"))
_VM = type("SqueezeBackward4", (Matmul,), {"node_name": "SqueezeBackward4", "raw": True})


def _same_dtype(a: Tensor, b: Tensor) -> None:
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{c_type_name(a._data.dtype)} != {c_type_name(b._data.dtype)}")


def _cannot_multiply(r1, c1, r2, c2):
    return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({r1}x{c1} and {r2}x{c2})")


def _inconsistent(n1: int, n2: int):
    return RuntimeError(f"inconsistent tensor size, expected tensor [{n1}] and src [{n2}] to have "
                        f"the same number of elements, but got {n1} and {n2} elements "
                        "respectively")


def _matmul_check(sa: tuple, sb: tuple) -> None:
    """Raise PyTorch's error when ``a @ b`` is undefined for these shapes."""
    na, nb = len(sa), len(sb)
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{na}D and {nb}D")
    if sa[-1] == sb[-2 if nb > 1 else -1]:
        if na > 2 and nb > 2:
            _batch(sa[:-2], sb[:-2])
        return
    rows = int(np.prod(sa[:-1])) if na > 1 else 1
    if nb == 1:
        if na == 1:
            raise _inconsistent(sa[0], sb[0])
        raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{sa[-1]}), vec "
                           f"({sb[0]})")
    if nb == 2:
        raise _cannot_multiply(rows, sa[-1], sb[0], sb[1])
    batch = _batch(sa[:-2], sb[:-2])
    n = int(np.prod(batch))
    raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                       f"[{n}, {sa[-1]}] but got: [{n}, {sb[-2]}].")


def _batch(ba: tuple, bb: tuple) -> tuple:
    from .scatter import _broadcast_or_raise

    return _broadcast_or_raise(ba, bb)


def matmul(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Matrix product with PyTorch's rules for 1-D operands and broadcast batch dimensions.

    Shape:
        ``(n,) @ (n,)`` -> ``()``; ``(n, k) @ (k, m)`` -> ``(n, m)``; ``(..., n, k) @
        (..., k, m)`` -> ``(..., n, m)`` with the batch dims broadcast; a 1-D operand acts as a
        row (left) or column (right) vector whose dimension is then removed.

    Example:
        >>> import chainrule as torch
        >>> torch.tensor([[1., 2.], [3., 4.]]) @ torch.tensor([1., 1.])
        tensor([3., 7.])
    """
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        bad = input if not isinstance(input, Tensor) else other
        raise TypeError(f"matmul(): argument '{'input' if bad is input else 'other'}' must be "
                        f"Tensor, not {type(bad).__name__}")
    a, b = input._data, other._data
    if a.dtype != b.dtype:
        _same_dtype(input, other)
    na, nb = a.ndim, b.ndim
    fn = _MM if na == 2 and nb == 2 else Matmul if na > 2 or nb > 2 else (
        _MV if nb == 1 and na == 2 else _DOT if na == 1 and nb == 1 else _VM)
    if na == 0 or nb == 0 or a.shape[-1] != b.shape[-2 if nb > 1 else -1]:
        _matmul_check(a.shape, b.shape)
    try:
        result = fn.apply(input, other)
    except ValueError:  # batch dimensions that do not broadcast
        _matmul_check(a.shape, b.shape)
        raise
    return write_out(result, out)


def _rmatmul(self, other):
    return matmul(as_operand(other), self)


def mm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:
    """Product of two matrices (2-D only; use ``matmul`` for broadcasting).

    Example:
        >>> import chainrule as torch
        >>> torch.mm(torch.ones(2, 3), torch.ones(3, 4)).shape
        torch.Size([2, 4])
    """
    check_tensor(input, "mm")
    check_tensor(mat2, "mm", "mat2")
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    (r1, c1), (r2, c2) = input._data.shape, mat2._data.shape
    if c1 != r2:
        raise _cannot_multiply(r1, c1, r2, c2)
    _same_dtype(input, mat2)
    return write_out(_MM.apply(input, mat2), out)


def bmm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:
    """Batched matrix product of two 3-D tensors with the same batch size (no broadcasting).

    Example:
        >>> import chainrule as torch
        >>> torch.bmm(torch.ones(5, 2, 3), torch.ones(5, 3, 4)).shape
        torch.Size([5, 2, 4])
    """
    check_tensor(input, "bmm")
    check_tensor(mat2, "bmm", "mat2")
    if input._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    (b1, _, k1), (b2, k2, _) = input._data.shape, mat2._data.shape
    if (b1, k1) != (b2, k2):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b1}, {k1}] but got: [{b2}, {k2}].")
    _same_dtype(input, mat2)
    return write_out(_BMM.apply(input, mat2), out)


def mv(input: Tensor, vec: Tensor, *, out=None) -> Tensor:
    """Matrix-vector product of a 2-D and a 1-D tensor.

    Example:
        >>> import chainrule as torch
        >>> torch.mv(torch.eye(2), torch.tensor([3., 4.]))
        tensor([3., 4.])
    """
    check_tensor(input, "mv")
    check_tensor(vec, "mv", "vec")
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, "
                           f"{vec._data.ndim}")
    (r, c), n = input._data.shape, vec._data.shape[0]
    if c != n:
        raise RuntimeError(f"size mismatch, got input ({r}), mat ({r}x{c}), vec ({n})")
    _same_dtype(input, vec)
    return write_out(_MV.apply(input, vec), out)


def _vectors(input, other, fn: str) -> None:
    check_tensor(input, fn)
    check_tensor(other, fn, "tensor")
    a, b = input._data, other._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype != b.dtype:
        names = [_dtypes.from_numpy_dtype(d).name for d in (a.dtype, b.dtype)]
        names = [{"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
                  "float16": "Half", "bool": "Bool"}.get(n, n) for n in names]
        raise RuntimeError(f"{fn} : expected both vectors to have same dtype, but found "
                           f"{names[0]} and {names[1]}")
    if a.shape[0] != b.shape[0]:
        raise _inconsistent(a.shape[0], b.shape[0])


def dot(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Inner product of two 1-D tensors of the same length.

    Example:
        >>> import chainrule as torch
        >>> torch.dot(torch.tensor([2., 3.]), torch.tensor([2., 1.]))
        tensor(7.)
    """
    _vectors(input, other, "dot")
    return write_out(_DOT.apply(input, other), out)


def vdot(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """``dot`` (the conjugation of the first argument is a no-op for real tensors)."""
    _vectors(input, other, "vdot")
    return write_out(_VDOT.apply(input, other), out)


def outer(input: Tensor, vec2: Tensor, *, out=None) -> Tensor:
    """Outer product of two 1-D tensors: ``out[i, j] = input[i] * vec2[j]``.

    Example:
        >>> import chainrule as torch
        >>> torch.outer(torch.tensor([1., 2.]), torch.tensor([1., 10.]))
        tensor([[ 1., 10.],
                [ 2., 20.]])
    """
    check_tensor(input, "outer")
    check_tensor(vec2, "outer", "vec2")
    if input._data.ndim != 1 or vec2._data.ndim != 1:
        raise RuntimeError(f"outer: expected 1-D tensors, but got {input._data.ndim}-D and "
                           f"{vec2._data.ndim}-D tensors")
    return write_out(input[:, None] * vec2, out)


ger = outer


class Addmm(Function):
    raw = True

    @staticmethod
    def forward(ctx, input, m1, m2, beta, alpha):
        ctx.save_for_backward(m1, m2)
        ctx.beta, ctx.alpha = beta, alpha
        out = np.matmul(m1, m2)
        if alpha != 1:
            out *= alpha
        if beta != 0:
            out += input * beta if beta != 1 else input
        return out

    @staticmethod
    def backward(ctx, g):
        m1, m2 = ctx.saved_tensors
        need = ctx.needs_input_grad
        gi = None
        if need[0]:
            gi = g * ctx.beta if ctx.beta != 1 else g
        gs = g * ctx.alpha if ctx.alpha != 1 and (need[1] or need[2]) else g
        if GRAD_ENABLED[0]:
            g1, g2 = matmul_grads(gs, m1, m2, need[1], need[2])
        else:
            g1, g2 = matmul_grads(gs._data, m1._data, m2._data, need[1], need[2])
            g1 = Tensor._make(g1) if g1 is not None else None
            g2 = Tensor._make(g2) if g2 is not None else None
        return gi, g1, g2, None, None


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``; ``input`` broadcasts to the product's shape
    (with ``beta=0`` it is ignored, NaNs included).

    Example:
        >>> import chainrule as torch
        >>> torch.addmm(torch.ones(2), torch.eye(2), torch.eye(2), alpha=3)
        tensor([[4., 1.],
                [1., 4.]])
    """
    check_tensor(input, "addmm")
    for name, m in (("mat1", mat1), ("mat2", mat2)):
        check_tensor(m, "addmm", name)
        if m._data.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {m._data.ndim}-D tensor")
    (r1, c1), (r2, c2) = mat1._data.shape, mat2._data.shape
    if c1 != r2:
        raise _cannot_multiply(r1, c1, r2, c2)
    _same_dtype(mat1, mat2)
    target = (mat1._data.shape[0], mat2._data.shape[1])
    try:
        shape = np.broadcast_shapes(input._data.shape, target)
    except ValueError:
        shape = None
    if shape != target:
        s = (1,) * (2 - input._data.ndim) + input._data.shape[-2:]
        d = next(i for i in (1, 0) if s[i] not in (1, target[i]))
        raise RuntimeError(f"The expanded size of the tensor ({target[d]}) must match the "
                           f"existing size ({s[d]}) at non-singleton dimension {d}.  Target "
                           f"sizes: {list(target)}.  Tensor sizes: {list(input.shape)}")
    return write_out(Addmm.apply(input, mat1, mat2, beta, alpha), out)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``."""
    prod = mv(mat, vec)
    return write_out(_combine(input, prod, beta, alpha), out)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1,
            out=None) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)`` for 3-D batches."""
    prod = bmm(batch1, batch2)
    return write_out(_combine(input, prod, beta, alpha), out)


def _combine(input, prod, beta, alpha):
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return prod  # PyTorch ignores input (even its NaNs) when beta is 0
    return prod + (input * beta if beta != 1 else input)


class Trace(Function):
    raw = True

    @staticmethod
    def forward(ctx, x):
        ctx.shape, ctx.dtype = x.shape, x.dtype
        res = np.trace(x)
        return np.asarray(res, dtype=x.dtype if x.dtype.kind == "f" else np.int64)

    @staticmethod
    def backward(ctx, g):
        return g * Tensor._make(np.eye(*ctx.shape, dtype=ctx.dtype))


def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a 2-D tensor.

    Example:
        >>> import chainrule as torch
        >>> torch.trace(torch.tensor([[1., 2.], [3., 4.]]))
        tensor(5.)
    """
    check_tensor(input, "trace")
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim "
                           f"{input._data.ndim}")
    return Trace.apply(input)


class LinalgCross(Function):
    raw = True

    @staticmethod
    def forward(ctx, a, b, dim):
        ctx.save_for_backward(a, b)
        ctx.dim = dim
        return np.cross(a, b, axis=dim)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = LinalgCross.apply(b, g, ctx.dim) if need[0] else None
        gb = LinalgCross.apply(g, a, ctx.dim) if need[1] else None
        return ga, gb, None


def cross(input: Tensor, other: Tensor, dim: int | None = None, *, out=None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (default: the first dimension of size 3),
    with broadcasting.

    Example:
        >>> import chainrule as torch
        >>> torch.cross(torch.tensor([1., 0., 0.]), torch.tensor([0., 1., 0.]), dim=0)
        tensor([0., 0., 1.])
    """
    check_tensor(input, "cross")
    check_tensor(other, "cross", "other")
    a, b = input._data, other._data
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if dim is None:
        dim = next((d for d in range(a.ndim) if a.shape[d] == 3 and b.shape[d] == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    dim = wrap_dim(dim, a.ndim)
    if a.shape[dim] != 3 or b.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a.shape[dim]} and {b.shape[dim]}")
    if a.dtype != b.dtype:
        dt = _dtypes.promote_types(input.dtype, other.dtype)
        input, other = input.to(dt), other.to(dt)
    return write_out(LinalgCross.apply(input, other, dim), out)


bind(matmul=matmul, __matmul__=matmul, __rmatmul__=_rmatmul, mm=mm, bmm=bmm, mv=mv, dot=dot,
     vdot=vdot, outer=outer, ger=ger, addmm=addmm, addmv=addmv, baddbmm=baddbmm,
     trace=trace, cross=cross)

from . import einsum as _einsum  # noqa: E402 - re-exported as part of this family
from .einsum import *  # noqa: E402,F403

__all__ += _einsum.__all__
