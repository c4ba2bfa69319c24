"""sort / argsort / topk / kthvalue / unique / searchsorted: values, index order, gradients,
named results, errors, agreement with PyTorch."""

import numpy as np
import pytest

import chainrule as torch
from tests.helpers import check_op, compare_with_torch

SHAPES = [(3, 5), (5,), (2, 1, 4)]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, -1])
def test_sort_values_and_grads(dim, descending):
    def ref(x):
        if x.ndim == 0:
            return x
        v = np.sort(x, axis=dim)
        return np.flip(v, axis=dim) if descending else v

    check_op(lambda x: torch.sort(x, dim, descending).values, ref, SHAPES + [()])
    x = np.random.default_rng(0).standard_normal((3, 5))
    compare_with_torch(lambda t: t.sort(dim, descending).values,
                       lambda t: t.sort(dim, descending).values, x)


def test_sort_is_stable_both_ways_and_nan_is_largest():
    x = torch.tensor([2.0, 1.0, 2.0, float("nan"), 1.0])
    v, i = torch.sort(x)
    assert i.tolist() == [1, 4, 0, 2, 3] and np.isnan(v[-1].item())
    v, i = torch.sort(x, descending=True)
    assert i.tolist() == [3, 0, 2, 1, 4]
    assert torch.argsort(torch.tensor([3, 1, 2, 1]), descending=True).tolist() == [0, 2, 1, 3]
    assert torch.argsort(torch.tensor([True, False, True])).tolist() == [1, 0, 2]
    assert torch.msort(torch.tensor([[2, 1], [1, 2]])).tolist() == [[1, 1], [2, 2]]


def test_sort_result_type_and_grad_fn():
    x = torch.tensor([3.0, 1.0, 2.0], requires_grad=True)
    result = torch.sort(x)
    values, indices = result
    assert result.values is values and result.indices is indices and result[1] is indices
    assert values.grad_fn.name() == "SortBackward0" and not indices.requires_grad
    assert repr(result).startswith("torch.return_types.sort(\nvalues=tensor([1., 2., 3.]")
    values.backward(torch.tensor([1.0, 2.0, 3.0]))
    assert x.grad.tolist() == [3.0, 1.0, 2.0]


@pytest.mark.parametrize("k,dim,largest", [(2, -1, True), (3, 0, False), (5, 1, True),
                                           (0, 1, True)])
def test_topk(k, dim, largest):
    def ref(x):
        v = np.sort(x, axis=dim)
        v = np.flip(v, axis=dim) if largest else v
        return np.take(v, np.arange(k), axis=dim)

    check_op(lambda x: torch.topk(x, k, dim, largest).values, ref, [(3, 5)])
    x = np.random.default_rng(1).standard_normal((3, 5))
    compare_with_torch(lambda t: t.topk(k, dim, largest)[0],
                       lambda t: t.topk(k, dim, largest)[0], x)


def test_topk_indices_and_errors():
    out = torch.topk(torch.tensor([1.0, 5.0, 3.0, 4.0]), 2)
    assert out.indices.tolist() == [1, 3] and out.values.grad_fn is None
    assert torch.topk(torch.tensor([1.0, float("nan"), 3.0]), 1).indices.tolist() == [1]
    x = torch.zeros(3, 4, requires_grad=True)
    assert torch.topk(x, 2).values.grad_fn.name() == "TopkBackward0"
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        torch.topk(x, 5)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-2, 1\], but got 2\)"):
        torch.topk(x, 1, dim=2)


@pytest.mark.parametrize("keepdim", [False, True])
def test_kthvalue(keepdim):
    check_op(lambda x: torch.kthvalue(x, 2, 1, keepdim).values,
             lambda x: np.sort(x, axis=1)[:, 1:2] if keepdim else np.sort(x, axis=1)[:, 1],
             [(3, 5)])
    r = torch.kthvalue(torch.tensor([[4.0, 1.0, 3.0]]), 3, keepdim=keepdim)
    assert r.indices.tolist() == ([[0]] if keepdim else [0])
    with pytest.raises(RuntimeError, match=r"kthvalue\(\): selected number k out of range for "
                                           "dimension 1"):
        torch.kthvalue(torch.zeros(3, 4), 5)
    assert torch.kthvalue(torch.tensor(2.0), 1).values.item() == 2.0


def test_unique_and_unique_consecutive():
    x = torch.tensor([[2, 1], [2, 3]])
    out, inv, cnt = torch.unique(x, return_inverse=True, return_counts=True)
    assert out.tolist() == [1, 2, 3] and cnt.tolist() == [1, 2, 1]
    assert inv.tolist() == [[1, 0], [1, 2]]
    rows = torch.unique(torch.tensor([[1, 2], [0, 5], [1, 2]]), dim=0)
    assert rows.tolist() == [[0, 5], [1, 2]]
    out, inv, cnt = torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 3, 1]),
                                             return_inverse=True, return_counts=True)
    assert out.tolist() == [1, 2, 3, 1] and cnt.tolist() == [2, 2, 1, 1]
    assert inv.tolist() == [0, 0, 1, 1, 2, 3]
    assert x.unique().tolist() == [1, 2, 3]


def test_searchsorted_and_bucketize():
    seq = torch.tensor([1, 3, 5, 7, 9])
    vals = torch.tensor([[3, 6, 9], [3, 6, 9]])
    assert torch.searchsorted(seq, vals).tolist() == [[1, 3, 4], [1, 3, 4]]
    assert torch.searchsorted(seq, vals, right=True).tolist() == [[2, 3, 5], [2, 3, 5]]
    assert torch.searchsorted(seq, vals, side="right").dtype == torch.int64
    assert torch.searchsorted(seq, vals, out_int32=True).dtype == torch.int32
    batch = torch.tensor([[1, 3, 5], [2, 4, 6]])
    assert torch.searchsorted(batch, torch.tensor([[4], [4]])).tolist() == [[2], [1]]
    assert torch.bucketize(torch.tensor([1, 5, 9]), torch.tensor([2, 4, 6, 8])).tolist() == \
        [0, 2, 4]
    assert torch.bucketize(torch.tensor([4]), torch.tensor([2, 4, 6]), right=True).tolist() == [2]
    with pytest.raises(RuntimeError, match="boundaries tensor must be 1 dimension"):
        torch.bucketize(torch.tensor([1]), batch)
