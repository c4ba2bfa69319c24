"""softmax / log_softmax: forward against NumPy, stability, gradients and second derivatives on
both backward paths, the dtype argument, the deprecated implicit dim, errors, PyTorch."""

import warnings

import numpy as np
import pytest

import chainrule as torch
from tests.helpers import check_op, compare_with_torch

SHAPES = [(3, 4), (5,), (2, 3, 4), (0, 3), (1,)]


def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _np_log_softmax(x, axis):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("name,ref", [("softmax", _np_softmax),
                                      ("log_softmax", _np_log_softmax)])
def test_forward_and_grads(name, ref, dim):
    shapes = SHAPES if dim == -1 else SHAPES[:3]
    check_op(lambda x: getattr(torch, name)(x, dim), lambda x: ref(x, dim), shapes)
    check_op(lambda x: getattr(x, name)(dim), lambda x: ref(x, dim), [(2, 3)])
    x = np.random.default_rng(0).standard_normal((3, 4))
    compare_with_torch(lambda t: getattr(torch, name)(t, dim),
                       lambda t: getattr(__import__("torch"), name)(t, dim), x)


@pytest.mark.parametrize("name,value", [("softmax", 1.0), ("log_softmax", 0.0)])
def test_zero_dim_input(name, value):
    x = torch.tensor(3.0, requires_grad=True)
    y = getattr(torch, name)(x, 0)
    assert y.item() == value
    y.backward()
    assert x.grad.item() == 0.0


def test_stable_for_large_inputs():
    x = torch.tensor([[1000.0, 0.0, -1000.0], [-1e30, -1e30, -1e30]])
    s = torch.softmax(x, 1)
    ls = torch.log_softmax(x, 1)
    assert np.isfinite(s.numpy()).all() and np.isfinite(ls.numpy()).all()
    np.testing.assert_allclose(s.numpy()[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(ls.numpy()[0], [0.0, -1000.0, -2000.0])
    np.testing.assert_allclose(s.numpy()[1], [1 / 3] * 3, rtol=1e-6)


def test_grad_fn_names_and_dtype_argument():
    x = torch.randn(2, 3, requires_grad=True)
    assert torch.softmax(x, 1).grad_fn.name() == "SoftmaxBackward0"
    assert torch.log_softmax(x, 1).grad_fn.name() == "LogSoftmaxBackward0"
    y = torch.softmax(x, 1, dtype=torch.float64)
    assert y.dtype == torch.float64 and y.grad_fn.name() == "SoftmaxBackward0"
    y.sum().backward()
    assert x.grad.dtype == torch.float32
    assert x.softmax(1, torch.float64).dtype == torch.float64
    assert torch.log_softmax(torch.tensor([1, 2]), 0, dtype=torch.float32).dtype == \
        torch.float32
    assert torch.softmax(x, 1).dtype == torch.float32


def test_implicit_dim_is_deprecated_and_follows_pytorch():
    for shape, dim in [((), 0), ((4,), 0), ((2, 3), 1), ((2, 3, 4), 0), ((2, 3, 4, 5), 1)]:
        x = torch.randn(*shape)
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been "
                                             "deprecated"):
            y = torch.softmax(x)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            np.testing.assert_allclose(y.numpy(), torch.softmax(x, dim).numpy())
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        torch.randn(2, 3).log_softmax()


def test_errors():
    with pytest.raises(NotImplementedError, match="\"softmax_lastdim_kernel_impl\" not "
                                                  "implemented for 'Long'"):
        torch.softmax(torch.tensor([1, 2]), 0)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-2, 1\], but got 2\)"):
        torch.softmax(torch.zeros(2, 3), 2)
    with pytest.raises(TypeError, match=r"softmax\(\): argument 'dim' \(position 2\) must be "
                                        "int, not float"):
        torch.softmax(torch.zeros(2, 3), 1.0)
    with pytest.raises(TypeError, match="must be Tensor"):
        torch.log_softmax([1.0, 2.0], 0)


def test_backward_fast_path_equals_graph_path():
    rng = np.random.default_rng(1)
    for name in ("softmax", "log_softmax"):
        x = torch.tensor(rng.standard_normal((3, 5)), requires_grad=True)
        y = getattr(torch, name)(x, 1)
        g = torch.tensor(rng.standard_normal((3, 5)))
        (fast,) = torch.autograd.grad(y, x, g, retain_graph=True)
        (graph,) = torch.autograd.grad(y, x, g, create_graph=True)
        np.testing.assert_allclose(fast.numpy(), graph.detach().numpy(), rtol=1e-12)
