"""gather / scatter / scatter_add / take_along_dim / where / nonzero: forward against NumPy and
PyTorch, gradients and second derivatives, in-place forms, errors."""

import numpy as np
import pytest

import chainrule as torch
from tests.helpers import check_grad, check_op, compare_with_torch

IDX = np.array([[0, 3, 3], [2, 2, 1], [1, 0, 0]])


def _np_scatter_add(x, dim, index, src):
    out = x.copy()
    for pos in np.ndindex(*index.shape):
        target = list(pos)
        target[dim] = index[pos]
        out[tuple(target)] += src[pos]
    return out


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather(dim):
    idx = np.array([[0, 2, 2], [1, 0, 0]])
    check_op(lambda x: torch.gather(x, dim, torch.tensor(idx)),
             lambda x: np.take_along_axis(x[:, :3] if dim == 0 else x[:2], idx, axis=dim),
             [(3, 4)])
    x = np.random.default_rng(0).standard_normal((3, 4))
    compare_with_torch(lambda t: t.gather(dim, torch.tensor(idx)),
                       lambda t: t.gather(dim, __import__("torch").tensor(idx)), x)


def test_gather_grad_accumulates_repeats_and_names():
    x = torch.zeros(2, 3, requires_grad=True)
    y = x.gather(1, torch.tensor([[0, 0, 0], [2, 1, 2]]))
    assert y.grad_fn.name() == "GatherBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [[3.0, 0.0, 0.0], [0.0, 1.0, 2.0]]
    assert torch.gather(torch.tensor(5.0), 0, torch.tensor(0)).item() == 5.0


@pytest.mark.parametrize("args,msg", [
    ((1, [[0], [5], [1]]), "index 5 is out of bounds for dimension 1 with size 4"),
    ((1, [0]), "Index tensor must have the same number of dimensions as input tensor"),
    ((0, [[0, 1, 2, 3, 0]]), (r"Size does not match at dimension 1 expected index \[1, 5\] to be "
                             r"no larger than self \[3, 4\] apart from dimension 0")),
])
def test_gather_errors(args, msg):
    with pytest.raises(RuntimeError, match=msg):
        torch.zeros(3, 4).gather(args[0], torch.tensor(args[1]))
    with pytest.raises(RuntimeError, match="Expected dtype int32/int64 for index"):
        torch.zeros(3, 4).gather(0, torch.tensor([[0.0]]))


@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_add(dim):
    idx = torch.tensor(IDX[:, :3] if dim else IDX[:3] % 3)
    ref_idx = idx.numpy()
    check_op(lambda x, s: torch.scatter_add(x, dim, idx, s),
             lambda x, s: _np_scatter_add(x, dim, ref_idx, s), [((3, 4), (3, 3)), ((3, 4),
                                                                                (4, 5))])
    rng = np.random.default_rng(1)
    compare_with_torch(lambda x, s: x.scatter_add(dim, idx, s),
                       lambda x, s: x.scatter_add(dim, __import__("torch").tensor(ref_idx), s),
                       rng.standard_normal((3, 4)), rng.standard_normal((3, 3)))


def test_scatter_with_src_and_value():
    idx = torch.tensor([[2, 0], [1, 3]])  # distinct targets per row: a deterministic scatter

    def ref(x, s):
        out = x.copy()
        out[0, 2], out[0, 0], out[1, 1], out[1, 3] = s[0, 0], s[0, 1], s[1, 0], s[1, 1]
        return out

    check_op(lambda x, s: torch.scatter(x, 1, idx, s), ref, [((2, 4), (2, 2)), ((2, 4), (3, 3))])
    check_op(lambda x: x.scatter(1, idx, value=-1.0),
             lambda x: ref(x, np.full((2, 2), -1.0)), [(2, 4)])
    x = torch.zeros(2, 4, requires_grad=True)
    assert x.scatter(1, idx, 1.0).grad_fn.name() == "ScatterBackward0"
    assert x.scatter_add(1, idx, torch.ones(2, 2)).grad_fn.name() == "ScatterAddBackward0"
    y = torch.zeros(2, 4)
    y.scatter_(1, idx, torch.ones(2, 2))
    y.scatter_add_(1, idx, torch.ones(2, 2))
    y.scatter_(1, torch.tensor([[0], [0]]), 5.0, reduce="add")
    assert y.tolist() == [[7.0, 0.0, 2.0, 0.0], [5.0, 2.0, 0.0, 2.0]]
    y.scatter_(1, torch.tensor([[0], [0]]), 2.0, reduce="multiply")
    assert y[:, 0].tolist() == [14.0, 10.0]


def test_scatter_errors():
    x = torch.zeros(3, 4)
    idx = torch.tensor([[0], [1], [1]])
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 1 with size 4"):
        x.scatter(1, torch.tensor([[0], [5], [1]]), 1.0)
    with pytest.raises(RuntimeError, match=r"scatter\(\): Expected self.dtype to be equal to "
                                           "src.dtype"):
        x.scatter(1, idx, torch.ones(3, 1, dtype=torch.float64))
    with pytest.raises(RuntimeError, match=r"Expected index \[3, 1\] to be no larger than self "
                                           r"\[3, 4\] apart from dimension 1 and to be no larger "
                                           r"size than src \[2, 1\]"):
        x.scatter(1, idx, torch.ones(2, 1))
    with pytest.raises(RuntimeError, match="reduce argument must be either add or multiply."):
        x.scatter(1, idx, 1.0, reduce="foo")
    with pytest.raises(RuntimeError, match=r"scatter\(\): Expected dtype int64 for index"):
        x.scatter(1, idx.int(), 1.0)


def test_take_along_dim_broadcasts():
    idx = torch.tensor([[0], [2]])
    check_op(lambda x: torch.take_along_dim(x, idx, 1),
             lambda x: np.take_along_axis(x, np.array([[0], [2]]), 1), [(2, 3), (1, 3)])
    check_op(lambda x: torch.take_along_dim(x, torch.tensor([5, 0, -1])),
             lambda x: x.reshape(-1)[[5, 0, -1]], [(2, 3)])
    x = torch.tensor([[10.0, 30.0, 20.0], [60.0, 40.0, 50.0]])
    assert torch.take_along_dim(x, x.argsort(1), 1).tolist() == [[10, 20, 30], [40, 50, 60]]
    with pytest.raises(RuntimeError, match="should have the same number of dimensions"):
        torch.take_along_dim(x, torch.tensor([0]), 1)


# ---- where / nonzero -------------------------------------------------------------------------
def test_where_forward_grads_and_broadcasting():
    cond = np.array([[True, False, True], [False, False, True]])
    c = torch.tensor(cond)
    check_op(lambda x, y: torch.where(c, x, y), lambda x, y: np.where(cond, x, y),
             [((2, 3), (2, 3)), ((3,), (2, 1)), ((), (2, 3))])
    check_op(lambda x: torch.where(c, x, 0.5), lambda x: np.where(cond, x, 0.5), [(2, 3), (1,)])
    check_op(lambda x: torch.where(c, -1.0, x), lambda x: np.where(cond, -1.0, x), [(2, 3)])
    x = torch.zeros(2, 3, requires_grad=True)
    assert torch.where(c, x, 0.0).grad_fn.name() == "WhereBackward0"
    assert x.where(c, 1.0).tolist() == [[0.0, 1.0, 0.0], [1.0, 1.0, 0.0]]
    rng = np.random.default_rng(3)
    compare_with_torch(lambda a, b: torch.where(a > b, a, b),
                       lambda a, b: __import__("torch").where(a > b, a, b),
                       rng.standard_normal((2, 3)), rng.standard_normal((3,)))


def test_where_dtype_promotion():
    c = torch.tensor([True, False])
    assert torch.where(c, 1, 0).dtype == torch.int64
    assert torch.where(c, 1.0, 0).dtype == torch.float32
    assert torch.where(c, torch.ones(2, dtype=torch.float64), torch.zeros(2)).dtype == \
        torch.float64
    assert torch.where(c, torch.ones(2, dtype=torch.int64), 2.5).dtype == torch.float32
    assert torch.where(c, torch.ones(2, dtype=torch.float16), 2.5).dtype == torch.float16


def test_where_errors():
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor, but "
                                           "got a tensor with dtype Float"):
        torch.where(torch.ones(2), 1.0, 0.0)
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(4\) must match the size of "
                                           r"tensor b \(2\) at non-singleton dimension 1"):
        torch.where(torch.ones(3, 4) > 0, torch.ones(3, 4), torch.zeros(2))


def test_nonzero_argwhere_and_where_one_arg():
    x = torch.tensor([[0, 1, 0], [2, 0, 3]])
    assert torch.nonzero(x).tolist() == [[0, 1], [1, 0], [1, 2]]
    assert torch.argwhere(x).dtype == torch.int64
    rows, cols = torch.where(x > 0)
    assert rows.tolist() == [0, 1, 1] and cols.tolist() == [1, 0, 2]
    assert [t.tolist() for t in x.nonzero(as_tuple=True)] == [[0, 1, 1], [1, 0, 2]]
    assert torch.nonzero(torch.tensor(3.0)).shape == (1, 0)
    assert torch.nonzero(torch.tensor(3.0), as_tuple=True)[0].tolist() == [0]
    assert torch.nonzero(torch.zeros(0, 2)).shape == (0, 2)


def test_second_derivatives_through_gather_and_scatter():
    idx = torch.tensor([[0, 0], [1, 2]])
    rng = np.random.default_rng(4)
    check_grad(lambda x: x.gather(1, idx) ** 2, rng.standard_normal((2, 3)))
    check_grad(lambda x, s: x.scatter_add(1, idx, s) ** 2, rng.standard_normal((2, 3)),
               rng.standard_normal((2, 2)))
    check_grad(lambda x, y: torch.where(x > 0, x * y, y ** 2), rng.standard_normal((2, 3)),
               rng.standard_normal((2, 3)))
