"""``embedding``: rows of a weight matrix looked up by integer indices.

The gradient of the weight is a scatter-add of the output gradient into the looked-up rows
(``np.add.at``, fast since NumPy 1.25; a sort and ``np.add.reduceat`` otherwise); its own
gradient is the lookup again, so second derivatives work.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ._util import check_tensor

__all__ = ["embedding", "embedding_bag", "embedding_renorm_"]

_FAST_UFUNC_AT = tuple(int(p) for p in np.__version__.split(".")[:2]) >= (1, 25)


def _scatter_rows(idx: np.ndarray, rows: np.ndarray, num: int, padding_idx, scale_by_freq):
    """Sum ``rows[i]`` into row ``idx[i]`` of a ``(num, D)`` zero matrix."""
    flat = idx.reshape(-1)
    g = rows.reshape(flat.size, -1)
    out = np.zeros((num, g.shape[1]), dtype=rows.dtype)
    if flat.size == 0:
        return out
    if _FAST_UFUNC_AT and not scale_by_freq:
        # NumPy >= 1.25 made ufunc.at fast: measured 1.7-2x faster than sort + reduceat below
        # (3200 x 128 rows into 10000: 10.7 vs 17.9 ms; 100000 x 64 into 50000: 115 vs 244 ms)
        np.add.at(out, flat, g)
        if padding_idx is not None:
            out[padding_idx] = 0
        return out
    order = np.argsort(flat, kind="stable")
    s = flat[order]
    starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
    sums = np.add.reduceat(g[order], starts, axis=0)
    uniq = s[starts]
    if scale_by_freq:
        counts = np.diff(np.append(starts, s.size))
        sums /= counts[:, None].astype(sums.dtype)
    out[uniq] = sums
    if padding_idx is not None:
        out[padding_idx] = 0
    return out


class Embedding(Function):
    """Primitive of ``embedding``: a row lookup."""

    raw = True

    @staticmethod
    def forward(ctx, weight, idx, padding_idx, scale_by_freq):
        ctx.idx, ctx.num = idx, weight.shape[0]
        ctx.padding_idx, ctx.scale_by_freq = padding_idx, scale_by_freq
        return np.take(weight, idx, axis=0)

    @staticmethod
    def backward(ctx, g):
        gw = EmbeddingDenseBackward.apply(g, ctx.idx, ctx.num, ctx.padding_idx,
                                          ctx.scale_by_freq)
        return gw, None, None, None


class EmbeddingDenseBackward(Function):
    """The weight gradient as a function of the output gradient (for double backward)."""

    raw = True

    @staticmethod
    def forward(ctx, g, idx, num, padding_idx, scale_by_freq):
        ctx.idx, ctx.padding_idx, ctx.scale_by_freq = idx, padding_idx, scale_by_freq
        return _scatter_rows(idx, g, num, padding_idx, scale_by_freq)

    @staticmethod
    def backward(ctx, gg):
        idx = ctx.idx
        weight = gg._data
        if ctx.scale_by_freq or ctx.padding_idx is not None:
            scale = np.ones(idx.shape, dtype=weight.dtype)
            if ctx.scale_by_freq:
                _, inv, counts = np.unique(idx, return_inverse=True, return_counts=True)
                scale = scale / counts[inv.reshape(idx.shape)]
            if ctx.padding_idx is not None:
                scale = scale * (idx != ctx.padding_idx)
            out = Embedding.apply(gg, idx, None, False)
            return out * Tensor._make(scale[..., None].astype(weight.dtype)), None, None, None, \
                None
        return Embedding.apply(gg, idx, None, False), None, None, None, None


def embedding_renorm_(weight: Tensor, input: Tensor, max_norm: float,
                      norm_type: float = 2.0) -> Tensor:
    """Rescale in place the rows of ``weight`` indexed by ``input`` whose ``norm_type``-norm
    exceeds ``max_norm`` to have norm ``max_norm`` (not recorded by autograd).

    Example:
        >>> import chainrule as torch
        >>> w = torch.tensor([[3.0, 4.0], [0.3, 0.4]])
        >>> embedding_renorm_(w, torch.tensor([0, 1]), 1.0)
        tensor([[0.6000, 0.8000],
                [0.3000, 0.4000]])
    """
    with no_grad():
        rows = np.unique(input._data.reshape(-1))
        w = weight._data
        sel = w[rows]
        if norm_type == float("inf"):
            norms = np.abs(sel).max(axis=1)
        else:
            norms = (np.abs(sel) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
        big = norms > max_norm
        if big.any():
            scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
            w[rows[big]] = sel[big] * scale[:, None]
            weight._version.value += 1
    return weight


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of ``weight``: ``out[..., :] = weight[input[...], :]``.

    Args:
        input: integer indices of any shape, each in ``[0, num_embeddings)``.
        weight: ``(num_embeddings, embedding_dim)``.
        padding_idx: this row receives no gradient.
        max_norm: rows looked up are first renormalised in place to at most this norm.
        norm_type: the p of the p-norm for ``max_norm``.
        scale_grad_by_freq: divide each row's gradient by how often it occurs in ``input``.
        sparse: not supported (dense gradients only); must be False.

    Shape:
        - Output: ``(*input.shape, embedding_dim)``.

    Example:
        >>> import chainrule as torch
        >>> w = torch.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]])
        >>> embedding(torch.tensor([[2, 1]]), w)
        tensor([[[3., 4.],
                 [1., 2.]]])
    """
    check_tensor(input, "embedding")
    check_tensor(weight, "embedding", "weight")
    if input._data.dtype.kind not in "iu":
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {input.type()} instead "
                           "(while checking arguments for embedding)")
    if weight.ndim != 2:
        raise RuntimeError(f"'weight' must be 2-D, received weight of shape "
                           f"{list(weight.shape)}")
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported; use "
                                  "sparse=False")
    num = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= num:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -num:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = num + padding_idx
    idx = input._data
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= num:
            raise IndexError(f"index out of range in self (embedding: indices must be in [0, "
                             f"{num}) for a weight of {num} rows, received indices in "
                             f"[{lo}, {hi}])")
    if max_norm is not None:
        embedding_renorm_(weight, input, max_norm, norm_type)
    return Embedding.apply(weight, idx, padding_idx, bool(scale_grad_by_freq))


class EmbeddingBagSum(EmbeddingDenseBackward):
    """Sum of rows per bag: ``out[b] = sum(rows[i] for i with bag[i] == b)``; its gradient is
    the lookup ``g[bag]``."""

    node_name = "EmbeddingBagBackward0"


def _bag_ids(input: Tensor, offsets, include_last_offset: bool):
    """The flat indices and, for each of them, the number of its bag; and the bag count."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found offsets of "
                             f"type {type(offsets)}")
        b, length = input.shape
        return input._data.reshape(-1), np.repeat(np.arange(b), length), b
    if input.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.ndim}")
    if offsets is None or not isinstance(offsets, Tensor) or offsets.ndim != 1:
        got = "None" if offsets is None else f"{offsets.ndim}D"
        raise ValueError(f"offsets has to be a 1D Tensor but got {got}")
    off = offsets._data.astype(np.int64)
    n = input.shape[0]
    if off.size and off[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {off[0]}")
    if include_last_offset:
        starts, ends = off[:-1], off[1:]
    else:
        starts, ends = off, np.append(off[1:], n)
    if np.any(ends < starts) or (ends.size and ends[-1] > n):
        raise RuntimeError("offsets must be non-decreasing and at most the number of indices, "
                           f"received offsets {off.tolist()} for {n} indices")
    return input._data, np.repeat(np.arange(starts.size), ends - starts), starts.size


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2, scale_grad_by_freq=False,
                  mode: str = "mean", sparse: bool = False, per_sample_weights=None,
                  include_last_offset: bool = False, padding_idx: int | None = None) -> Tensor:
    """Sums, means or maxima of bags of embeddings, without materialising the lookups per bag.

    Args:
        input: ``(B, L)`` fixed-length bags, or ``(N)`` indices split into bags by ``offsets``.
        weight: ``(num_embeddings, embedding_dim)``.
        offsets: ``(B)`` start of each bag in a 1-D ``input`` (``B + 1`` entries with
            ``include_last_offset``).
        mode: ``'sum'``, ``'mean'`` or ``'max'``.
        per_sample_weights: weights of the looked-up rows (``mode='sum'`` only).
        padding_idx: entries with this index are left out of their bag.

    Shape:
        - Output: ``(B, embedding_dim)``.

    Example:
        >>> import chainrule as torch
        >>> w = torch.tensor([[1.0, 1.0], [2.0, 4.0], [6.0, 0.0]])
        >>> embedding_bag(torch.tensor([0, 1, 2, 2]), w, torch.tensor([0, 2]), mode='sum')
        tensor([[ 3.,  5.],
                [12.,  0.]])
    """
    check_tensor(input, "embedding_bag")
    check_tensor(weight, "embedding_bag", "weight")
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode!r}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. "
                                  "per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    flat, bag, num_bags = _bag_ids(input, offsets, include_last_offset)
    rows = embedding(Tensor._make(flat), weight, padding_idx, max_norm, norm_type,
                     scale_grad_by_freq, sparse)
    keep = np.ones(flat.shape, dtype=bool)
    if padding_idx is not None:
        keep = flat != (padding_idx if padding_idx >= 0 else weight.shape[0] + padding_idx)
    npd = weight._data.dtype
    if mode == "max":
        from .joining import stack

        outs = []
        for b in range(num_bags):
            sel = np.flatnonzero((bag == b) & keep)
            outs.append(rows[Tensor._make(sel)].amax(0) if sel.size
                        else Tensor._make(np.zeros(weight.shape[1], dtype=npd)))
        if not outs:
            return Tensor._make(np.zeros((0, weight.shape[1]), dtype=npd))
        return stack(outs)
    scale = keep.astype(npd)
    if mode == "mean":
        counts = np.bincount(bag[keep], minlength=num_bags).astype(npd)
        scale = scale / np.maximum(counts, 1)[bag]
    rows = rows * Tensor._make(scale[:, None])
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)
    return EmbeddingBagSum.apply(rows, bag, num_bags, None, False)
