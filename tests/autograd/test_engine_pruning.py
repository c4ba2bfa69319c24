"""With ``inputs`` given, the engine runs only the nodes on a path to them, as PyTorch does."""

import numpy as np
import pytest

import chainrule as torch


class Exploding(torch.autograd.Function):
    """Doubles its input; its backward fails, so a test notices if it ever runs."""

    @staticmethod
    def forward(ctx, a):
        return a * 2

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("this branch should have been pruned")


def two_branches():
    x = torch.randn(3, requires_grad=True)
    z = torch.randn(3, requires_grad=True)
    return x, z, (x * 3).sum() + Exploding.apply(z).sum()


def test_grad_skips_a_branch_that_leads_elsewhere():
    x, z, y = two_branches()
    (gx,) = torch.autograd.grad(y, x)
    np.testing.assert_array_equal(gx.numpy(), np.full(3, 3.0))
    assert z.grad is None


def test_backward_with_inputs_skips_a_branch_that_leads_elsewhere():
    x, z, y = two_branches()
    y.backward(inputs=[x])
    np.testing.assert_array_equal(x.grad.numpy(), np.full(3, 3.0))
    assert z.grad is None


def test_without_inputs_every_branch_runs():
    _, _, y = two_branches()
    with pytest.raises(RuntimeError, match="pruned"):
        y.backward()


def test_grad_of_a_non_leaf_does_not_run_below_it():
    x = torch.randn(3, requires_grad=True)
    h = Exploding.apply(x)
    y = (h * h).sum()
    (gh,) = torch.autograd.grad(y, h)
    np.testing.assert_allclose(gh.numpy(), 2 * h.detach().numpy())


def test_hooks_of_pruned_tensors_do_not_fire():
    x = torch.randn(3, requires_grad=True)
    z = torch.randn(3, requires_grad=True)
    seen = []
    w = z * 5
    w.register_hook(lambda g: seen.append("w"))
    y = (x * w).sum()
    torch.autograd.grad(y, x)
    assert seen == []
    torch.autograd.grad((x * w).sum(), z)
    assert seen == ["w"]


def test_backward_with_a_non_leaf_input_fills_its_grad():
    x = torch.randn(3, requires_grad=True)
    h = x * 2
    (h * h).sum().backward(inputs=[h])
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.detach().numpy())
    assert h.retains_grad
    assert x.grad is None


def test_shared_subgraph_counts_every_path_once():
    x = torch.randn(4, requires_grad=True, dtype=torch.float64)
    z = torch.randn(4, requires_grad=True, dtype=torch.float64)
    a = x.exp()
    y = (a * a + a.sin() + Exploding.apply(z)).sum()
    (gx,) = torch.autograd.grad(y, x)
    xv = x.detach().numpy()
    expected = 2 * np.exp(2 * xv) + np.cos(np.exp(xv)) * np.exp(xv)
    np.testing.assert_allclose(gx.numpy(), expected)


def test_several_inputs_some_unreachable():
    x = torch.randn(2, requires_grad=True)
    unrelated = torch.randn(2, requires_grad=True)
    z = torch.randn(2, requires_grad=True)
    y = (x * 4).sum() + Exploding.apply(z).sum()
    gx, gu = torch.autograd.grad(y, (x, unrelated), allow_unused=True)
    np.testing.assert_array_equal(gx.numpy(), np.full(2, 4.0))
    assert gu is None
