"""In-place ops through views rewrite the base's history (PyTorch's CopySlices)."""

import numpy as np
import pytest

import chainrule as torch
from chainrule.autograd import gradcheck, gradgradcheck


def leaf(rows):
    return torch.tensor(rows, dtype=torch.float64, requires_grad=True)


def test_augmented_assignment_on_a_column_view():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x * 2
    y[:, 0] += 10
    assert y.grad_fn.name() == "CopySlices"
    np.testing.assert_array_equal(y.detach().numpy(), [[12, 4], [16, 8]])
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * 2 * y.detach().numpy())


def test_inplace_activation_on_a_flattened_view():
    x = leaf([[-1.0, 2.0], [3.0, -4.0]])
    y = x * 1
    y.view(-1).relu_()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1], [1, 0]])


def test_copy_into_a_view_of_a_plain_tensor_connects_the_source():
    w = leaf([5.0, 6.0])
    b = torch.zeros(2, 2, dtype=torch.float64)
    b[:, 1].copy_(w)
    assert b.requires_grad and b.grad_fn.name() == "CopySlices"
    (b * torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])


def test_write_through_a_transposed_view():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x * 1
    y.t()[0, 1] = 7.0
    np.testing.assert_array_equal(y.detach().numpy(), [[1, 2], [7, 4]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 1], [0, 1]])


def test_view_of_leaf_still_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[0].mul_(2)


def test_gradients_through_inplace_view_ops_pass_gradcheck():
    def f(a, s):
        y = a * 1
        y[1:, ::2] *= s
        y.view(-1)[:3].sigmoid_()
        return y

    a = torch.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    s = torch.tensor(1.7, dtype=torch.float64, requires_grad=True)
    assert gradcheck(f, (a, s))
    assert gradgradcheck(f, (a, s))
