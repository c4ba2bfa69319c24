"""Activation functions (chainrule.ops.activation) and modules: values, gradients (first and
second order), node names, reprs, and agreement with PyTorch."""

import importlib
import math

import numpy as np
import pytest

import chainrule as torch
from chainrule import nn
from chainrule.ops import activation as A
from tests.helpers import check_grad, check_op, compare_with_torch, torch_available


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


_ERF = np.vectorize(math.erf, otypes=[float])
SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

# name -> (chainrule fn, NumPy reference, torch.nn.functional name and kwargs)
CASES = {
    "leaky_relu": (lambda x: A.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x),
                   ("leaky_relu", {"negative_slope": 0.2})),
    "hardtanh": (lambda x: A.hardtanh(x, -1.5, 1.0), lambda x: np.clip(x, -1.5, 1.0),
                 ("hardtanh", {"min_val": -1.5, "max_val": 1.0})),
    "relu6": (lambda x: A.relu6(x * 4), lambda x: np.clip(x * 4, 0, 6), None),
    "elu": (lambda x: A.elu(x, 0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x)),
            ("elu", {"alpha": 0.7})),
    "selu": (A.selu, lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(x)), ("selu", {})),
    "celu": (lambda x: A.celu(x, 1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(x / 1.5)),
             ("celu", {"alpha": 1.5})),
    "gelu": (A.gelu, lambda x: 0.5 * x * (1 + _ERF(x / math.sqrt(2))), ("gelu", {})),
    "gelu_tanh": (lambda x: A.gelu(x, approximate="tanh"),
                  lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi)
                                                   * (x + 0.044715 * x ** 3))),
                  ("gelu", {"approximate": "tanh"})),
    "silu": (A.silu, lambda x: x * _sigmoid(x), ("silu", {})),
    "mish": (A.mish, lambda x: x * np.tanh(np.log1p(np.exp(x))), ("mish", {})),
    "hardsigmoid": (lambda x: A.hardsigmoid(x * 3), lambda x: np.clip(x * 3 / 6 + 0.5, 0, 1),
                    None),
    "hardswish": (lambda x: A.hardswish(x * 3),
                  lambda x: x * 3 * np.clip(x * 3 + 3, 0, 6) / 6, None),
    "softplus": (lambda x: A.softplus(x, 2.0, 3.0),
                 lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2),
                 ("softplus", {"beta": 2.0, "threshold": 3.0})),
    "softsign": (A.softsign, lambda x: x / (1 + np.abs(x)), ("softsign", {})),
    "tanhshrink": (A.tanhshrink, lambda x: x - np.tanh(x), ("tanhshrink", {})),
    "logsigmoid": (A.logsigmoid, lambda x: np.log(_sigmoid(x)), ("logsigmoid", {})),
    "threshold": (lambda x: A.threshold(x, 0.5, -3.0), lambda x: np.where(x > 0.5, x, -3.0),
                  ("threshold", {"threshold": 0.5, "value": -3.0})),
    "hardshrink": (lambda x: A.hardshrink(x, 0.5), lambda x: np.where(np.abs(x) > 0.5, x, 0),
                   ("hardshrink", {"lambd": 0.5})),
    "softshrink": (lambda x: A.softshrink(x, 0.5),
                   lambda x: np.where(np.abs(x) > 0.5, x - np.sign(x) * 0.5, 0),
                   ("softshrink", {"lambd": 0.5})),
    "glu": (lambda x: A.glu(x, -1), lambda x: x[..., :x.shape[-1] // 2] * _sigmoid(
        x[..., x.shape[-1] // 2:]), ("glu", {"dim": -1})),
    "rrelu_eval": (lambda x: A.rrelu(x, 0.1, 0.3), lambda x: np.where(x >= 0, x, 0.2 * x),
                   ("rrelu", {"lower": 0.1, "upper": 0.3})),
}


def _away_from_kinks(low=-3.0, high=3.0):
    """Inputs for gradcheck that keep a distance from every kink used in CASES."""
    rng = np.random.default_rng(1)
    x = rng.uniform(low, high, size=(3, 4))
    kinks = np.array([-3.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 3.0]) / 1.0
    for k in np.concatenate([kinks, kinks / 3, kinks / 4]):
        x[np.abs(x - k) < 0.05] += 0.11
    return x


@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients(name):
    fn, ref, _ = CASES[name]
    x = _away_from_kinks()
    for dtype in (np.float32, np.float64):
        y = fn(torch.tensor(x.astype(dtype)))
        assert y.dtype == torch.tensor(x.astype(dtype)).dtype
        np.testing.assert_allclose(y._data, ref(x), rtol=1e-5 if dtype == np.float32 else 1e-10,
                                   atol=1e-6 if dtype == np.float32 else 1e-12)
    check_grad(fn, x)


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n][2] is not None])
def test_matches_torch(name):
    if not torch_available:
        pytest.skip("PyTorch is not installed")
    import torch as th

    fn, _, (tname, kwargs) = CASES[name]
    compare_with_torch(fn, lambda t: getattr(th.nn.functional, tname)(t, **kwargs),
                       _away_from_kinks(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", ["elu", "gelu", "gelu_tanh", "silu", "mish", "softplus",
                                  "logsigmoid", "hardswish"])
def test_fast_path_equals_create_graph_path(name):
    fn = CASES[name][0]
    x = torch.tensor(_away_from_kinks(), requires_grad=True)
    (fast,) = torch.autograd.grad(fn(x).pow(2).sum(), x)
    (graph,) = torch.autograd.grad(fn(x).pow(2).sum(), x, create_graph=True)
    assert graph.requires_grad and not fast.requires_grad
    np.testing.assert_allclose(fast._data, graph._data, rtol=1e-12, atol=1e-14)


def test_extreme_inputs_stay_finite():
    x = torch.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    for fn in (A.logsigmoid, A.softplus, A.silu, A.mish, A.elu, A.selu, A.gelu):
        y = fn(x)
        assert np.isfinite(y._data).all(), fn.__name__
    np.testing.assert_allclose(A.logsigmoid(x)._data, [-1000, -50, -math.log(2), 0, 0],
                               rtol=1e-6, atol=1e-6)
    xr = torch.tensor([-1000.0, 1000.0], requires_grad=True)
    A.softplus(xr).sum().backward()
    np.testing.assert_allclose(xr.grad._data, [0.0, 1.0])


def test_node_names_as_pytorch():
    x = torch.randn(3, requires_grad=True)
    names = {
        "LeakyReluBackward0": A.leaky_relu(x), "HardtanhBackward0": A.relu6(x),
        "EluBackward0": A.selu(x), "CeluBackward0": A.celu(x), "GeluBackward0": A.gelu(x),
        "SiluBackward0": A.silu(x), "MishBackward0": A.mish(x),
        "HardswishBackward0": A.hardswish(x), "HardsigmoidBackward0": A.hardsigmoid(x),
        "SoftplusBackward0": A.softplus(x), "LogSigmoidBackward0": A.logsigmoid(x),
        "ThresholdBackward0": A.threshold(x, 0.1, 0.0), "SoftshrinkBackward0": A.softshrink(x),
        "RreluWithNoiseBackward0": A.rrelu(x, training=True),
        "PreluKernelBackward0": A.prelu(x, torch.ones(1)),
    }
    for name, y in names.items():
        assert y.grad_fn.name() == name


def test_prelu_per_channel_and_gradients():
    rng = np.random.default_rng(2)
    x = rng.uniform(-2, 2, (2, 3, 4))
    x[np.abs(x) < 0.05] = 0.3
    w = np.array([0.1, 0.25, 0.5])
    y = A.prelu(torch.tensor(x), torch.tensor(w))
    np.testing.assert_allclose(y._data, np.where(x > 0, x, w[None, :, None] * x))
    check_grad(A.prelu, x, w)
    check_grad(A.prelu, x, np.array([0.3]))
    m = nn.PReLU(3, init=0.1)
    assert m.weight.tolist() == pytest.approx([0.1] * 3) and repr(m) == "PReLU(num_parameters=3)"
    m(torch.tensor(x, dtype=torch.float32)).sum().backward()
    np.testing.assert_allclose(m.weight.grad._data, np.where(x > 0, 0, x).sum((0, 2)), rtol=1e-5)
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel size. "
                                           "Found parameter numbers = 3 and channel size = 4."):
        m(torch.ones(2, 4))
    if torch_available:
        import torch as th

        compare_with_torch(A.prelu, th.nn.functional.prelu, x, w)


def test_rrelu_training_slopes_in_range():
    torch.manual_seed(0)
    x = -torch.ones(1000)
    y = nn.RReLU(0.1, 0.3)(x)
    assert float(y.max()) <= -0.1 + 1e-6 and float(y.min()) >= -0.3 - 1e-6
    assert float(y.std()) > 0.01  # random slopes
    assert nn.RReLU(0.1, 0.3).eval()(x).tolist()[0] == pytest.approx(-0.2)


def test_errors():
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is "
                                           "size 3"):
        A.glu(torch.ones(2, 3))
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        A.gelu(torch.ones(1), approximate="fast")
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        nn.GELU("fast")
    with pytest.raises(TypeError, match="argument 'input' \\(position 1\\) must be Tensor"):
        A.silu([1.0])
    with pytest.raises(TypeError, match="'negative_slope' must be a number"):
        A.leaky_relu(torch.ones(1), "big")


def test_integer_inputs_become_float():
    y = A.elu(torch.tensor([-1, 2]))
    assert y.dtype == torch.float32
    np.testing.assert_allclose(y._data, [math.expm1(-1), 2.0], rtol=1e-6)


MODULE_REPRS = [
    (nn.ReLU(), "ReLU()"), (nn.ReLU(inplace=True), "ReLU(inplace=True)"),
    (nn.ReLU6(True), "ReLU6(inplace=True)"), (nn.LeakyReLU(0.2), "LeakyReLU(negative_slope=0.2)"),
    (nn.ELU(), "ELU(alpha=1.0)"), (nn.CELU(2.0, True), "CELU(alpha=2.0, inplace=True)"),
    (nn.SELU(), "SELU()"), (nn.GELU(), "GELU(approximate='none')"),
    (nn.GELU("tanh"), "GELU(approximate='tanh')"), (nn.SiLU(), "SiLU()"), (nn.Mish(), "Mish()"),
    (nn.Sigmoid(), "Sigmoid()"), (nn.Tanh(), "Tanh()"),
    (nn.Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)"), (nn.Hardsigmoid(), "Hardsigmoid()"),
    (nn.Hardswish(), "Hardswish()"), (nn.Softplus(), "Softplus(beta=1.0, threshold=20.0)"),
    (nn.Softsign(), "Softsign()"), (nn.Threshold(0.1, 20), "Threshold(threshold=0.1, value=20)"),
    (nn.Softmax(dim=1), "Softmax(dim=1)"), (nn.LogSoftmax(1), "LogSoftmax(dim=1)"),
    (nn.Softmin(0), "Softmin(dim=0)"), (nn.Softmax2d(), "Softmax2d()"),
    (nn.PReLU(), "PReLU(num_parameters=1)"), (nn.GLU(), "GLU(dim=-1)"),
    (nn.Hardshrink(), "Hardshrink(0.5)"), (nn.Softshrink(0.3), "Softshrink(0.3)"),
    (nn.LogSigmoid(), "LogSigmoid()"), (nn.Tanhshrink(), "Tanhshrink()"),
    (nn.RReLU(), "RReLU(lower=0.125, upper=0.3333333333333333)"),
]


@pytest.mark.parametrize("module, text", MODULE_REPRS, ids=[t for _, t in MODULE_REPRS])
def test_module_repr_as_pytorch(module, text):
    assert repr(module) == text


def test_modules_apply_their_functions():
    x = torch.tensor([-2.0, -0.5, 0.5, 2.0])
    pairs = [(nn.ReLU(), [0, 0, 0.5, 2]), (nn.ReLU6(), [0, 0, 0.5, 2]),
             (nn.LeakyReLU(0.1), [-0.2, -0.05, 0.5, 2]), (nn.Hardtanh(-1, 1), [-1, -0.5, 0.5, 1]),
             (nn.Threshold(1.0, 7.0), [7, 7, 7, 2]), (nn.Tanh(), np.tanh(x._data)),
             (nn.Sigmoid(), _sigmoid(x._data)), (nn.Softsign(), x._data / (1 + abs(x._data))),
             (nn.ELU(inplace=True), np.where(x._data > 0, x._data, np.expm1(x._data)))]
    for module, expected in pairs:
        np.testing.assert_allclose(module(x)._data, expected, rtol=1e-6, err_msg=repr(module))
    assert x.tolist() == [-2.0, -0.5, 0.5, 2.0]  # inplace=True left the input alone


@pytest.mark.skipif(not hasattr(importlib.import_module("chainrule.ops.softmax"), "log_softmax"),
                    reason="log_softmax not available yet")
def test_softmax_modules():
    x = torch.tensor([[1.0, 2.0, 3.0]])
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(nn.Softmax(dim=1)(x)._data, [e / e.sum()], rtol=1e-6)
    np.testing.assert_allclose(nn.LogSoftmax(dim=1)(x)._data, [np.log(e / e.sum())], rtol=1e-6)
    np.testing.assert_allclose(nn.Softmin(dim=1)(x)._data, [e[::-1] / e.sum()], rtol=1e-6)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = nn.Softmax()(x)
    np.testing.assert_allclose(y._data.sum(1), [1.0], rtol=1e-6)
    y2 = nn.Softmax2d()(torch.randn(2, 3, 4, 4))
    np.testing.assert_allclose(y2._data.sum(1), np.ones((2, 4, 4)), rtol=1e-5)
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D"):
        nn.Softmax2d()(torch.ones(2, 3))


def test_perceptron_step_with_threshold():
    # a perceptron's step activation: 1 where w.x + b > 0, else 0
    step = nn.Sequential(nn.Threshold(0.0, 0.0), nn.Hardtanh(0.0, 1e-9))
    z = torch.tensor([-1.0, 2.0])
    assert (step(z) > 0).tolist() == [False, True]


def test_check_op_gelu_noncontiguous():
    check_op(A.gelu, lambda x: 0.5 * x * (1 + _ERF(x / math.sqrt(2))), [(3, 4), ((),), (0, 3)])
