"""Autograd semantics: PyTorch's rules for leaves, .grad, graphs, hooks and errors."""

import warnings

import numpy as np
import pytest

import chainrule as torch


def leaf(values, dtype=None):
    return torch.tensor(values, dtype=dtype, requires_grad=True)


# ---- the course's worked examples ------------------------------------------------------------
def test_course_example_e_equals_a_plus_b_times_b_plus_1():
    a, b = leaf(3.0), leaf(2.0)
    e = (a + b) * (b + 1)
    e.backward()
    assert (a.grad.item(), b.grad.item()) == (3.0, 8.0)


def test_course_example_f_equals_x_plus_y_times_z():
    x, y, z = leaf(-2.0), leaf(5.0), leaf(-4.0)
    f = (x + y) * z
    f.backward()
    assert (x.grad.item(), y.grad.item(), z.grad.item()) == (-4.0, -4.0, 3.0)
    assert f.item() == -12.0


def test_course_example_squared_error_of_a_line():
    x, y = torch.tensor(2.0), torch.tensor(5.0)
    w, b = leaf(3.0), leaf(4.0)
    J = (y - (w * x + b)) ** 2
    J.backward()
    assert (w.grad.item(), b.grad.item()) == (20.0, 10.0)


# ---- leaves, requires_grad, grad_fn ----------------------------------------------------------
def test_requires_grad_propagates_and_leaves_are_marked():
    x = leaf([1.0, 2.0])
    c = torch.tensor([3.0, 4.0])
    y = x * c
    assert y.requires_grad and not y.is_leaf and x.is_leaf and c.is_leaf
    assert not (c * 2).requires_grad
    assert y.grad_fn.name() == "MulBackward0"
    (node, nr), (none, _) = y.grad_fn.next_functions
    assert type(node).__name__ == "AccumulateGrad" and node.variable is x and none is None


def test_grad_fn_names_match_pytorch():
    x = leaf([1.0, 2.0])
    assert (x + 1).grad_fn.name() == "AddBackward0"
    assert (x - 1).grad_fn.name() == "SubBackward0"
    assert (x / 2).grad_fn.name() == "DivBackward0"
    assert (x ** 2).grad_fn.name() == "PowBackward0"
    assert (-x).grad_fn.name() == "NegBackward0"
    assert x.exp().grad_fn.name() == "ExpBackward0"
    assert x.sigmoid().grad_fn.name() == "SigmoidBackward0"


def test_only_floating_tensors_can_require_grad():
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype"):
        torch.tensor([1, 2], requires_grad=True)


def test_requires_grad_of_non_leaf_cannot_be_switched_off():
    y = leaf([1.0]) * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad = False


def test_integer_results_do_not_require_grad():
    x = leaf([1.0, 2.0])
    assert not (x > 1).requires_grad


# ---- .grad accumulation and retain_grad ------------------------------------------------------
def test_grad_accumulates_over_backward_calls():
    x = leaf([1.0, 2.0])
    for _ in range(3):
        (x * x).backward(torch.ones(2))
    np.testing.assert_allclose(x.grad.numpy(), 3 * 2 * np.array([1.0, 2.0]))


def test_tensor_used_twice_sums_its_gradients():
    x = leaf(3.0)
    (x * x + x).backward()
    assert x.grad.item() == 7.0


def test_shared_upstream_gradient_is_not_aliased_between_leaves():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).backward(torch.ones(2))
    a.grad.mul_(10)
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_caller_gradient_is_never_modified():
    a = leaf([1.0, 2.0])
    g = torch.ones(2)
    (a + 0).backward(g)
    (a + 0).backward(g)
    np.testing.assert_array_equal(g.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0])


def test_reading_grad_of_non_leaf_warns_and_retain_grad_keeps_it():
    x = leaf([1.0, 2.0])
    y = x * 2
    z = y * y
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert y.grad is None
    y.retain_grad()
    assert y.retains_grad
    z.backward(torch.ones(2))
    np.testing.assert_allclose(y.grad.numpy(), 2 * np.array([2.0, 4.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y.grad  # noqa: B018 - retained: no warning


# ---- graph freeing, retain_graph, create_graph -----------------------------------------------
def test_second_backward_through_freed_graph_raises():
    x = leaf(2.0)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = leaf(2.0)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 8.0


def test_create_graph_gives_higher_derivatives():
    x = leaf(3.0)
    y = x ** 3
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    assert g.item() == 27.0 and g.requires_grad
    (g2,) = torch.autograd.grad(g, x, create_graph=True)
    assert g2.item() == 18.0
    (g3,) = torch.autograd.grad(g2, x)
    assert g3.item() == 6.0


def test_backward_create_graph_makes_grad_differentiable():
    x = leaf(2.0)
    (x.exp() * x).backward(create_graph=True)
    assert x.grad.requires_grad
    gx = x.grad
    x.grad = None
    gx.backward()
    np.testing.assert_allclose(x.grad.item(), np.exp(2.0) * (2 + 2.0), rtol=1e-6)


# ---- errors ----------------------------------------------------------------------------------
def test_non_scalar_output_needs_explicit_gradient():
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        (leaf([1.0, 2.0]) * 2).backward()


def test_backward_of_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does "
                                           "not have a grad_fn"):
        torch.tensor(1.0).backward()


def test_gradient_shape_mismatch_raises():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        y.backward(torch.ones(3))


def test_inplace_change_of_saved_tensor_is_detected():
    x = leaf([1.0, 2.0])
    y = x * 2
    z = y * y
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*is at version 1; "
                                           "expected version 0"):
        z.backward(torch.ones(2))


def test_inplace_change_of_saved_output_is_detected():
    x = leaf([1.0, 2.0])
    y = x.exp()
    y.mul_(2)
    with pytest.raises(RuntimeError, match="output 0 of ExpBackward0"):
        y.backward(torch.ones(2))


def test_inplace_op_on_leaf_requiring_grad_raises_but_is_allowed_under_no_grad():
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation."):
        w.add_(1)
    with torch.no_grad():
        w -= 0.5 * torch.ones(2)
    np.testing.assert_array_equal(w.detach().numpy(), [0.5, 1.5])
    assert w.is_leaf and w.requires_grad


def test_inplace_on_non_leaf_rebases_the_graph():
    x = leaf([1.0, 2.0])
    y = x * 3
    y += x
    assert y.grad_fn.name() == "AddBackward0"
    y.backward(torch.ones(2))
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])


def test_grad_with_unused_input():
    x, u = leaf(1.0), leaf(2.0)
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        torch.autograd.grad(x * 2, (x, u))
    gx, gu = torch.autograd.grad(x * 2, (x, u), allow_unused=True)
    assert gx.item() == 2.0 and gu is None


def test_grad_does_not_touch_dot_grad():
    x = leaf(2.0)
    torch.autograd.grad(x * x, x)
    assert x.grad is None


def test_backward_inputs_restricts_accumulation():
    a, b = leaf(1.0), leaf(2.0)
    (a * b).backward(inputs=[a])
    assert a.grad.item() == 2.0 and b.grad is None


# ---- grad modes ------------------------------------------------------------------------------
def test_no_grad_and_enable_grad_nest():
    x = leaf(1.0)
    with torch.no_grad():
        assert not (x * 2).requires_grad
        with torch.enable_grad():
            assert (x * 2).requires_grad
    assert (x * 2).requires_grad


def test_grad_modes_as_decorators():
    x = leaf(1.0)

    @torch.no_grad()
    def f(t):
        return t * 2

    @torch.inference_mode()
    def g(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    assert torch.is_grad_enabled()


def test_set_grad_enabled_function_and_context():
    x = leaf(1.0)
    with torch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert torch.is_grad_enabled()
    torch.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        torch.set_grad_enabled(True)


# ---- hooks -----------------------------------------------------------------------------------
def test_hook_can_replace_gradient_and_be_removed():
    x = leaf([1.0, 2.0])
    handle = x.register_hook(lambda g: g * 10)
    (x * 1).backward(torch.ones(2))
    np.testing.assert_array_equal(x.grad.numpy(), [10.0, 10.0])
    handle.remove()
    x.grad = None
    (x * 1).backward(torch.ones(2))
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_hook_on_intermediate_changes_what_flows_upstream():
    x = leaf(1.0)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 3)
    (y * 1).backward()
    assert y.grad.item() == 3.0 and x.grad.item() == 6.0


# ---- custom Function -------------------------------------------------------------------------
class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        assert ctx.needs_input_grad == (True,)
        return g * (x > 0)


def test_custom_function():
    x = leaf([-1.0, 2.0])
    y = MyReLU.apply(x)
    assert y.grad_fn.name() == "MyReLUBackward"
    y.backward(torch.ones(2))
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0])


class SortedWithIndex(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        idx = torch.tensor(np.argsort(x.detach().numpy()))
        ctx.mark_non_differentiable(idx)
        ctx.idx = idx
        return x * 1, idx

    @staticmethod
    def backward(ctx, g, g_idx):
        return g


def test_custom_function_non_differentiable_output():
    x = leaf([3.0, 1.0])
    y, idx = SortedWithIndex.apply(x)
    assert y.requires_grad and not idx.requires_grad


def test_custom_function_wrong_number_of_gradients():
    class Bad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
        Bad.apply(leaf(1.0), leaf(2.0)).backward()


# ---- engine ----------------------------------------------------------------------------------
def test_very_long_chain_does_not_recurse():
    x = leaf(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_broadcasting_is_undone():
    a = leaf(np.ones((3, 1)))
    b = leaf(np.ones(4))
    (a * b).backward(torch.ones(3, 4))
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    np.testing.assert_array_equal(a.grad.numpy(), np.full((3, 1), 4.0))
    np.testing.assert_array_equal(b.grad.numpy(), np.full(4, 3.0))


def test_gradient_keeps_input_dtype():
    a = leaf([1.0, 2.0], dtype=torch.float32)
    b = leaf(2.0, dtype=torch.float64)
    (a * b).backward(torch.ones(2))
    assert a.grad.dtype == torch.float32 and b.grad.dtype == torch.float64


def test_detach_shares_memory_and_leaves_graph():
    x = leaf([1.0, 2.0])
    d = (x * 2).detach()
    assert not d.requires_grad and d.grad_fn is None
    base = x.detach()
    base.numpy()[0] = 5.0
    assert x.detach().numpy()[0] == 5.0


def test_numpy_on_tensor_requiring_grad_raises():
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        leaf([1.0]).numpy()
