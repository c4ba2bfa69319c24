"""Distances and similarities the embedding losses are built on: ``pairwise_distance``,
``cosine_similarity``, ``pdist`` and ``normalize``. All are composites of tensor ops."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ._util import check_tensor

# the names PyTorch also exposes as ``torch.xxx`` (all are in ``chainrule.nn.functional``)
__all__ = ["cosine_similarity", "pairwise_distance", "pdist"]


class ClampMinForward(Function):
    """``clamp(min=eps)`` in the forward pass whose gradient passes unchanged, as PyTorch's
    in-place clamp under ``no_grad`` of a cloned tensor behaves."""

    raw = True
    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, v, eps):
        return np.maximum(v, eps).astype(v.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return g, None


def _norm(x: Tensor, p: float, dim: int, keepdim: bool) -> Tensor:
    """The ``p``-norm of ``x`` along ``dim`` (``p`` may be ``inf`` or 0)."""
    return x.norm(p, dim, keepdim=keepdim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """The ``p``-norm distance between corresponding vectors: ``||x1 - x2 + eps||_p`` over the
    last dimension.

    Args:
        x1, x2: tensors that broadcast to a common shape ``(N, D)`` or ``(D,)``.
        p: the norm degree.
        eps: added to the difference, which keeps the gradient finite at zero distance.
        keepdim: keep the reduced last dimension (of size 1).

    Shape:
        ``(N, D)`` and ``(N, D)`` give ``(N,)`` (``(N, 1)`` with ``keepdim``).

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.pairwise_distance(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]]), eps=0.0)
        tensor([5.])
    """
    check_tensor(x1, "pairwise_distance", "x1")
    check_tensor(x2, "pairwise_distance", "x2")
    ndim = max(x1._data.ndim, x2._data.ndim)
    if ndim == 0:
        raise RuntimeError("pairwise_distance: expected at least 1-D inputs, got two 0-d tensors")
    return _norm(x1 - x2 + eps, p, ndim - 1, keepdim)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim``:
    ``sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps))``.

    Each input is divided by its (clamped) norm first, which keeps the result in ``[-1, 1]``.

    Args:
        x1, x2: tensors that broadcast to a common shape.
        dim: the dimension holding the vectors.
        eps: lower bound of each norm, avoiding division by zero.

    Shape:
        ``(*, D, *)`` inputs give ``(*, *)``, the shape without ``dim``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.cosine_similarity(torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 1.0]]))
        tensor([0.7071])
    """
    check_tensor(x1, "cosine_similarity", "x1")
    check_tensor(x2, "cosine_similarity", "x2")
    if x1._data.dtype.kind != "f":
        x1 = x1.float()
    if x2._data.dtype.kind != "f":
        x2 = x2.float()
    shape = np.broadcast_shapes(x1._data.shape, x2._data.shape)
    if x1.shape != shape:
        x1 = x1.expand(*shape)
    if x2.shape != shape:
        x2 = x2.expand(*shape)
    n1 = ClampMinForward.apply(_norm(x1, 2, dim, True), float(eps))
    n2 = ClampMinForward.apply(_norm(x2, 2, dim, True), float(eps))
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """The ``p``-norm distance between every pair of rows of ``input`` (the upper triangle of
    the distance matrix, row by row, without the diagonal).

    Args:
        input: ``(N, M)`` row vectors.
        p: the norm degree.

    Shape:
        ``(N, M)`` gives ``(N * (N - 1) / 2,)``.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.pdist(torch.tensor([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]]))
        tensor([ 5., 10.,  5.])
    """
    check_tensor(input, "pdist")
    if input._data.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input._data.ndim}D")
    i, j = np.triu_indices(input.shape[0], 1)
    rows_i = Tensor._make(i.astype(np.int64))
    rows_j = Tensor._make(j.astype(np.int64))
    return _norm(input[rows_i] - input[rows_j], p, 1, False)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """Divide ``input`` by its ``p``-norm along ``dim``: ``x / max(||x||_p, eps)``.

    Args:
        input: a floating tensor.
        p: the norm degree.
        dim: the dimension to normalise.
        eps: lower bound of the norm, avoiding division by zero.
        out: optional output tensor.

    Shape:
        output has the input's shape.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.nn.functional as F
        >>> F.normalize(torch.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]])
    """
    from ._util import write_out

    check_tensor(input, "normalize")
    denom = _norm(input, p, dim, True).clamp_min(eps)
    return write_out(input / denom, out)
