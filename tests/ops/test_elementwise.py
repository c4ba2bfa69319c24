"""Unary elementwise ops: forward against NumPy, gradients and second derivatives."""

import math

import numpy as np
import pytest

import chainrule as torch
from tests.helpers import check_op, compare_with_torch

SHAPES = [(3, 4), (), (0, 2), (2, 1, 3)]

UNARY = [
    ("exp", np.exp, {}),
    ("exp2", np.exp2, {}),
    ("expm1", np.expm1, {}),
    ("log", np.log, {"positive": True}),
    ("log2", np.log2, {"positive": True}),
    ("log10", np.log10, {"positive": True}),
    ("log1p", np.log1p, {"positive": True}),
    ("sqrt", np.sqrt, {"positive": True}),
    ("rsqrt", lambda x: 1 / np.sqrt(x), {"positive": True}),
    ("square", np.square, {}),
    ("reciprocal", lambda x: 1 / x, {"positive": True}),
    ("sin", np.sin, {}),
    ("cos", np.cos, {}),
    ("tan", np.tan, {"low": -1.0, "high": 1.0}),
    ("asin", np.arcsin, {"low": -0.9, "high": 0.9}),
    ("acos", np.arccos, {"low": -0.9, "high": 0.9}),
    ("atan", np.arctan, {}),
    ("sinh", np.sinh, {}),
    ("cosh", np.cosh, {}),
    ("tanh", np.tanh, {}),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x)), {}),
    ("neg", np.negative, {}),
    ("erf", np.vectorize(math.erf, otypes=[np.float64]), {}),
    ("frac", lambda x: x - np.trunc(x), {}),
]


@pytest.mark.parametrize("name,ref,opts", UNARY, ids=[u[0] for u in UNARY])
def test_unary_op(name, ref, opts):
    check_op(getattr(torch, name), ref, SHAPES, **opts)


@pytest.mark.parametrize("name,ref", [("relu", lambda x: np.maximum(x, 0)), ("abs", np.abs)])
def test_kinks_away_from_zero(name, ref):
    # gradcheck at least 0.1 away from the kink, where the derivative is defined
    rng = np.random.default_rng(1)
    x = rng.uniform(0.1, 2, size=(3, 4)) * rng.choice([-1, 1], size=(3, 4))
    check_op(getattr(torch, name), ref, [(3, 4)], grad=False)
    t = torch.tensor(x, requires_grad=True)
    assert torch.autograd.gradcheck(getattr(torch, name), (t,))


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round", "sign"])
def test_piecewise_constant_ops_have_zero_gradient(name):
    x = torch.tensor([-1.7, -0.2, 0.4, 2.6], requires_grad=True)
    y = getattr(torch, name)(x)
    np.testing.assert_array_equal(y.detach().numpy(), getattr(np, name if name != "round"
                                                                else "round")(x.detach().numpy()))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(4, np.float32))


def test_sigmoid_is_stable_for_large_inputs():
    y = torch.sigmoid(torch.tensor([-1000.0, 0.0, 1000.0]))
    np.testing.assert_array_equal(y.numpy(), np.array([0.0, 0.5, 1.0], np.float32))


def test_perceptron_sigmoid_value_and_derivative():
    z = torch.tensor(3.2, requires_grad=True)
    s = torch.sigmoid(z)
    s.backward()
    assert round(s.item(), 4) == 0.9608
    assert abs(z.grad.item() - s.item() * (1 - s.item())) < 1e-7


def test_clamp_scalar_and_tensor_bounds():
    check_op(lambda x: torch.clamp(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7),
             [(4, 5)], gradgrad=False)
    check_op(lambda x, lo: torch.clamp(x, min=lo), lambda x, lo: np.maximum(x, lo),
             [((3, 4), (4,))], gradgrad=False)
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
        torch.clamp(torch.ones(2))


def test_integer_input_promotes_to_default_float():
    y = torch.exp(torch.tensor([0, 1]))
    assert y.dtype == torch.float32
    assert torch.abs(torch.tensor([-2, 3])).dtype == torch.int64


def test_inplace_unary_on_non_leaf_records_graph():
    x = torch.tensor([0.5, 1.0], requires_grad=True)
    y = x * 2
    y.exp_()
    assert y.grad_fn.name() == "ExpBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * np.array([0.5, 1.0])), rtol=1e-6)


def test_matches_torch():
    x = np.random.default_rng(0).uniform(0.5, 2, size=(3, 4))
    for name in ["exp", "log", "sqrt", "tanh", "sigmoid", "sin"]:
        compare_with_torch(getattr(torch, name), lambda t, n=name: getattr(t, n)(), x)
