"""``x[key]``, ``x[key] = v``, index_select / index_add / index_put / take / masked ops:
forward against NumPy and PyTorch, gradients and second derivatives, views, errors."""

import numpy as np
import pytest

import chainrule as torch
from tests.helpers import check_grad, check_op, compare_with_torch, torch_available

MASK45 = np.array([[True, False, True, False, False], [False] * 5, [True] * 5,
                   [False, True, False, False, True]])
# keys on a (4, 5, 6) tensor where NumPy's semantics equal PyTorch's
NUMPY_KEYS = [
    0, -1, slice(1, 3), slice(None, None, 2), (0, slice(1, 3)), (Ellipsis, 1), (None, 0),
    (slice(None), None, 1), (1, 2, 3), (), Ellipsis, (slice(5, 9),), (slice(-9, 2), 0),
    [0, 2, 0], np.array([3, 1]), (slice(None), [1, 1, 3]), ([0, 1], slice(None), [1, 2]),
    ([[0], [3]], [[1, 2]]), MASK45[:, 0], MASK45, (Ellipsis, [0, 5, 5]), (1, [1, 1], [2, 2]),
    True, (slice(1, 3), np.array([True, False, True, True, False])),
]
# keys where PyTorch applies integers before index arrays (NumPy would not)
TORCH_KEYS = [(0, slice(None), [1, 2]), (slice(None), 0, [1, 2]),
              (None, [1, 0], slice(None), 0), (0, None, [1, 2])]


def _key(k):
    return k


@pytest.mark.parametrize("key", NUMPY_KEYS, ids=[repr(k)[:30] for k in NUMPY_KEYS])
def test_getitem_matches_numpy_with_grads(key):
    check_op(lambda x: x[key], lambda x: np.asarray(x[key]), [(4, 5, 6)],
             gradgrad=not isinstance(key, np.ndarray) or key.ndim == 1)


@pytest.mark.parametrize("key", NUMPY_KEYS + TORCH_KEYS, ids=[repr(k)[:30] for k in
                                                              NUMPY_KEYS + TORCH_KEYS])
def test_getitem_matches_torch(key):
    x = np.random.default_rng(0).standard_normal((4, 5, 6))
    compare_with_torch(lambda t: t[key], lambda t: t[key], x)


def test_torch_semantics_for_ints_mixed_with_arrays():
    x = torch.zeros(2, 3, 4, 5)
    assert x[0, :, [1, 2]].shape == (3, 2, 5)
    assert x[:, 0, :, [1, 2]].shape == (2, 4, 2)
    assert x[None, [1, 0], :, 0].shape == (1, 2, 3, 5)
    assert x[[1, 0], None, [1, 2]].shape == (2, 1, 4, 5)


def test_getitem_double_backward_through_index_of_a_mask():
    m = torch.tensor(MASK45)
    check_grad(lambda x: x[m] ** 2, np.random.default_rng(1).standard_normal((4, 5)))


def test_index_accepts_tensors_of_int_and_bool_and_0d():
    x = torch.arange(12.).reshape(3, 4)
    assert x[torch.tensor(1)].tolist() == [4., 5., 6., 7.]
    assert x[torch.tensor(1)].grad_fn is None
    assert x[torch.tensor([2, 0], dtype=torch.int32)][:, 0].tolist() == [8., 0.]
    assert x[torch.tensor([True, False, True])].shape == (2, 4)
    assert x[torch.tensor([1, 0, 1], dtype=torch.uint8)].shape == (2, 4)
    assert x[np.int64(2), 1].item() == 9.0
    assert x[[]].shape == (0, 4)
    assert x[False].shape == (0, 3, 4)
    assert x[[[0, 1], [1, 0]]].tolist() == [1., 4.]  # a list of sequences is a tuple


def test_grad_fn_names():
    x = torch.zeros(3, 4, requires_grad=True)
    names = {x[0]: "SelectBackward0", x[1:3]: "SliceBackward0", x[0, 1:3]: "SliceBackward0",
             x[1:3, 0]: "SelectBackward0", x[None]: "UnsqueezeBackward0",
             x[...]: "AliasBackward0", x[:]: "SliceBackward0", x[:, :]: "AliasBackward0",
             x[[0, 1]]: "IndexBackward0", x[x > 0]: "IndexBackward0"}
    for out, name in names.items():
        assert out.grad_fn.name() == name


def test_basic_index_is_a_view_sharing_memory_and_version():
    x = torch.tensor(np.arange(12.0).reshape(3, 4))
    y = x[1, ::2]
    assert np.shares_memory(y.numpy(), x.numpy())
    assert y._base is x and y[0]._base is x
    x[1, 0] = 100.0
    assert y[0].item() == 100.0
    assert y._version is x._version and x._version.value == 1
    y.mul_(2)
    assert x[1, 2].item() == 12.0 and x._version.value == 2
    z = x[[1, 2]]
    assert not np.shares_memory(z.numpy(), x.numpy())


def test_modifying_the_base_of_a_saved_view_is_caught():
    w = torch.ones(3, 4, requires_grad=True)
    y = w * 1
    v = y[0]
    z = (v * v).sum()
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


@pytest.mark.parametrize("key,shape", [([0, 0, 1], (4, 3)), (np.zeros(50, np.int64), (4, 3)),
                                       ((slice(None), [2, 2, 0, 2]), (4, 3)),
                                       (([0, 0, 1], [1, 1, 2]), (4, 3)),
                                       (np.array([3, 1, 3, 3]), (5,))])
def test_repeated_indices_accumulate(key, shape):
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    g = torch.randn(*x[key].shape, dtype=torch.float64)
    x[key].backward(g)
    expected = np.zeros(shape)
    np.add.at(expected, key, g.numpy())
    np.testing.assert_allclose(x.grad.numpy(), expected)
    check_grad(lambda t: t[key], x.detach().numpy())


def test_large_embedding_like_gather_grad_matches_add_at():
    rng = np.random.default_rng(3)
    w = torch.tensor(rng.standard_normal((100, 8)), requires_grad=True)
    idx = torch.tensor(rng.integers(0, 100, 1000))
    w[idx].sum().backward()
    expected = np.zeros((100, 8))
    np.add.at(expected, idx.numpy(), 1.0)
    np.testing.assert_allclose(w.grad.numpy(), expected)


@pytest.mark.parametrize("key,exc,msg", [
    (5, IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    (-4, IndexError, "index -4 is out of bounds for dimension 0 with size 3"),
    ((slice(None), 7), IndexError, "index 7 is out of bounds for dimension 1 with size 4"),
    ([0, 5], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    ((0, 0, 0), IndexError, "too many indices for tensor of dimension 2"),
    (1.0, IndexError, (r"only integers, slices \(`:`\), ellipsis \(`...`\), None and long or "
                      r"byte Variables are valid indices \(got float\)")),
    ("a", IndexError, r"valid indices \(got str\)"),
    (slice(None, None, -1), ValueError, "step must be greater than zero"),
    (slice(None, None, 0), ValueError, "slice step cannot be zero"),
    (np.array([True, False]), IndexError, (r"The shape of the mask \[2\] at index 0 does not "
                                          r"match the shape of the indexed tensor \[3, 4\] at "
                                          "index 0")),
])
def test_index_errors(key, exc, msg):
    x = torch.zeros(3, 4)
    with pytest.raises(exc, match=msg):
        x[key]
    if torch_available and not isinstance(key, str):
        import torch as real

        with pytest.raises(exc):
            real.zeros(3, 4)[key]


def test_float_tensor_index_error():
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or "
                                         "bool tensors"):
        torch.zeros(3)[torch.tensor([1.0])]


# ---- __setitem__ -----------------------------------------------------------------------------
def test_setitem_forward_cases():
    x = torch.zeros(3, 4)
    x[0] = 5
    x[1, 1:3] = torch.tensor([1.0, 2.0])
    x[2] = torch.ones(1, 4) * 7  # leading size-1 dims are dropped
    x[[1, 2], [0, 0]] = torch.tensor([8.0, 9.0], dtype=torch.float64)
    x[x > 8.5] = -1
    x[:, 3] = [10, 11, 12]
    np.testing.assert_array_equal(x.numpy(), [[5, 5, 5, 10], [8, 1, 2, 11], [-1, 7, 7, 12]])
    assert x.dtype == torch.float32 and x._version.value == 6
    n = torch.zeros(3, dtype=torch.int64)
    n[0] = 1.7
    n[1:] = torch.tensor([2.9, 3.1])
    assert n.tolist() == [1, 2, 3]
    x[[0, 0]] = torch.tensor([[1.0] * 4, [2.0] * 4])
    assert x[0].tolist() == [2.0] * 4


def test_setitem_errors():
    x = torch.zeros(3, 4)
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[3\] cannot "
                                           r"be broadcast to indexing result of shape \[2, 4\]"):
        x[[0, 1]] = torch.ones(3)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        x[0] = torch.ones(2, 4)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        x[5] = 1
    with pytest.raises(TypeError, match="can't assign a dict"):
        x[0] = {}
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        e = torch.zeros(4).expand(3, 4)
        e[0] = 1.0
    leaf = torch.zeros(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is "
                                           "being used in an in-place operation."):
        leaf[0] = 1.0
    with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad"):
        leaf[[0, 1]] = 1.0
    with torch.no_grad():
        leaf[0] = 1.0  # allowed without recording
    assert leaf[0].tolist() == [1.0] * 4 and leaf.is_leaf


@pytest.mark.parametrize("key,vshape", [(0, (4,)), (0, (1, 4)), ((slice(None), 1), (3,)),
                                        ((slice(0, 2), slice(1, 3)), (1,)), ([2, 0], (2, 4)),
                                        (([0, 2], [1, 3]), (2,)), (MASK45[:3, :4], ()),
                                        ((Ellipsis, [0, 2]), (3, 1))])
def test_setitem_is_differentiable_wrt_tensor_and_value(key, vshape):
    rng = np.random.default_rng(0)

    def f(x, v):
        y = x * 1
        y[key] = v
        return y

    check_grad(f, rng.standard_normal((3, 4)), rng.standard_normal(vshape))
    compare_with_torch(f, f, rng.standard_normal((3, 4)), rng.standard_normal(vshape))


def test_setitem_with_repeated_indices_matches_torch():
    # every write of a repeated index receives the gradient, as in PyTorch
    def f(x, v):
        y = x * 1
        y[..., [0, 0]] = v
        return y

    x = torch.randn(3, 4, requires_grad=True)
    v = torch.randn(3, 1, requires_grad=True)
    f(x, v).sum().backward()
    assert v.grad.tolist() == [[2.0]] * 3 and x.grad[:, 0].tolist() == [0.0] * 3
    rng = np.random.default_rng(0)
    compare_with_torch(f, f, rng.standard_normal((3, 4)), rng.standard_normal((3, 1)))


def test_setitem_on_non_leaf_then_backward():
    x = torch.ones(3, 4, requires_grad=True)
    y = x * 2
    y[1] = 0.0
    assert y.grad_fn.name() == "CopySlices"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2] * 4, [0] * 4, [2] * 4])
    v = torch.tensor(3.0, requires_grad=True)
    h = torch.zeros(2, 3)
    h[:, 1] = v * 2
    h[[0], [0]] = v
    assert h.requires_grad and h.grad_fn.name() == "IndexPutBackward0"
    h.sum().backward()
    assert v.grad.item() == 5.0


def test_index_put():
    x = torch.zeros(5, dtype=torch.float64, requires_grad=True)
    idx = (torch.tensor([0, 0, 3]),)
    v = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    y = torch.index_put(x, idx, v, accumulate=True)
    assert y.tolist() == [3.0, 0.0, 0.0, 3.0, 0.0]
    check_grad(lambda a, b: torch.index_put(a, idx, b, accumulate=True), x.detach().numpy(),
               v.detach().numpy())
    z = torch.zeros(5)
    z.index_put_(idx, torch.tensor(1.0))
    assert z.tolist() == [1.0, 0.0, 0.0, 1.0, 0.0]


# ---- index_select / index_add / take / masked ops --------------------------------------------
def test_index_select():
    idx = torch.tensor([2, 0, 2])
    check_op(lambda x: torch.index_select(x, 1, idx), lambda x: x[:, [2, 0, 2]], [(3, 4)])
    check_op(lambda x: x.index_select(0, torch.tensor(1)), lambda x: x[[1]], [(3, 4)])
    x = torch.zeros(3, 4, requires_grad=True)
    assert x.index_select(0, idx).grad_fn.name() == "IndexSelectBackward0"
    with pytest.raises(IndexError, match="index out of range in self"):
        x.index_select(0, torch.tensor([0, 3]))
    with pytest.raises(IndexError, match=r"index_select\(\): Index is supposed to be a vector"):
        x.index_select(0, torch.tensor([[0]]))
    with pytest.raises(RuntimeError, match="Expected dtype int32 or int64 for index"):
        x.index_select(0, torch.tensor([0.0]))


def test_index_add():
    idx = torch.tensor([0, 0, 2])

    def ref(x, s):
        out = x.copy()
        np.add.at(out, (slice(None), [0, 0, 2]), 2 * s)
        return out

    check_op(lambda x, s: torch.index_add(x, 1, idx, s, alpha=2), ref, [((3, 4), (3, 3))])
    x = torch.zeros(3)
    x.index_add_(0, idx, torch.ones(3))
    assert x.tolist() == [2.0, 0.0, 1.0]
    with pytest.raises(RuntimeError, match="Expected source to have shape"):
        torch.index_add(x, 0, idx, torch.ones(2))


def test_take():
    idx = torch.tensor([[0, 11], [-1, 5]])
    check_op(lambda x: torch.take(x, idx), lambda x: x.reshape(-1)[[[0, 11], [-1, 5]]],
             [(3, 4)])
    assert torch.take(torch.tensor(5.0), torch.tensor([0, 0])).tolist() == [5.0, 5.0]
    with pytest.raises(IndexError, match="out of range: tried to access index 12 on a tensor "
                                         "of 12 elements."):
        torch.take(torch.zeros(3, 4), torch.tensor([12]))


def test_masked_fill_and_select():
    m = torch.tensor(MASK45[:3, :4])
    check_op(lambda x: x.masked_fill(m, -1.5), lambda x: np.where(MASK45[:3, :4], -1.5, x),
             [(3, 4)])
    check_op(lambda x: torch.masked_select(x, m), lambda x: x[MASK45[:3, :4]], [(3, 4)])
    row = torch.tensor([True, False, False, True])
    check_op(lambda x: torch.masked_select(x, row), lambda x: x[:, [0, 3]].reshape(-1),
             [(3, 4)])
    check_grad(lambda x, v: x.masked_fill(m, v), np.random.randn(3, 4), np.array(0.5))
    x = torch.zeros(3, 4, requires_grad=True)
    assert x.masked_fill(m, 1.0).grad_fn.name() == "MaskedFillBackward0"
    assert x.masked_select(m).grad_fn.name() == "MaskedSelectBackward0"
    y = torch.ones(2, 2)
    y.masked_fill_(torch.tensor([[True, False], [False, True]]), 0)
    assert y.tolist() == [[0.0, 1.0], [1.0, 0.0]]
    assert torch.tensor([1, 2]).masked_fill(torch.tensor([True, False]), 2.7).tolist() == [2, 2]
    with pytest.raises(RuntimeError, match="masked_fill_ only supports boolean masks, but got "
                                           "mask with dtype long int"):
        y.masked_fill(torch.tensor([1, 0]), 0.0)
    with pytest.raises(RuntimeError, match="only supports a 0-dimensional value tensor, but got "
                                           r"tensor with 1 dimension\(s\)."):
        y.masked_fill(torch.tensor([True, False]), torch.ones(2))
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of "
                                           r"tensor b \(5\) at non-singleton dimension 1"):
        y.masked_select(torch.ones(5, dtype=torch.bool))


def test_masked_ops_match_torch():
    x = np.random.default_rng(2).standard_normal((3, 4))
    compare_with_torch(lambda t: t.masked_fill(t > 0, 0.5) * t,
                       lambda t: t.masked_fill(t > 0, 0.5) * t, x)
    compare_with_torch(lambda t: t.masked_select(t < 0), lambda t: t.masked_select(t < 0), x)
