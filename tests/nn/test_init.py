"""nn.init: distributions, bounds, gains, fans, in-place semantics, errors."""

import math

import numpy as np
import pytest

import chainrule as torch
from chainrule import nn
from chainrule.nn import init
from tests.helpers import torch_available


def _big(*shape):
    return nn.Parameter(torch.empty(*shape))


def test_inplace_outside_autograd_and_version_bump():
    p = _big(30, 40)
    version = p._version.value
    arr = p._data
    out = init.normal_(p)
    assert out is p and p._data is arr  # same memory
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    assert p._version.value == version + 1
    assert p.dtype == torch.float32


def test_uniform_normal_constant_family():
    torch.manual_seed(0)
    t = init.uniform_(torch.empty(200, 200), -0.5, 1.5)
    assert float(t.min()) >= -0.5 and float(t.max()) <= 1.5
    assert abs(float(t.mean()) - 0.5) < 0.02
    t = init.normal_(torch.empty(200, 200), mean=2.0, std=0.5)
    assert abs(float(t.mean()) - 2.0) < 0.01 and abs(float(t.std()) - 0.5) < 0.01
    assert init.constant_(torch.empty(2, 2), 0.25).tolist() == [[0.25, 0.25], [0.25, 0.25]]
    assert init.ones_(torch.empty(3)).tolist() == [1.0, 1.0, 1.0]
    assert init.zeros_(torch.ones(3)).tolist() == [0.0, 0.0, 0.0]
    d = init.normal_(torch.empty(10, dtype=torch.float64))
    assert d.dtype == torch.float64


def test_global_generator_and_explicit_generator():
    torch.manual_seed(5)
    a = init.normal_(torch.empty(8)).tolist()
    torch.manual_seed(5)
    b = init.normal_(torch.empty(8)).tolist()
    assert a == b
    g = torch.Generator().manual_seed(7)
    c = init.uniform_(torch.empty(8), generator=g).tolist()
    g.manual_seed(7)
    assert init.uniform_(torch.empty(8), generator=g).tolist() == c
    torch.manual_seed(0)
    l1 = nn.Linear(5, 5).weight.tolist()
    torch.manual_seed(0)
    assert nn.Linear(5, 5).weight.tolist() == l1  # model init is reproducible


def test_eye_and_dirac():
    assert init.eye_(torch.empty(2, 3)).tolist() == [[1, 0, 0], [0, 1, 0]]
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(torch.empty(2, 2, 2))
    w = init.dirac_(torch.empty(4, 2, 3, 3), groups=2)
    arr = w._data
    assert arr.sum() == 4 and arr[0, 0, 1, 1] == 1 and arr[1, 1, 1, 1] == 1
    assert arr[2, 0, 1, 1] == 1 and arr[3, 1, 1, 1] == 1
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions"):
        init.dirac_(torch.empty(2, 2))


@pytest.mark.parametrize("name, param, expected", [
    ("linear", None, 1), ("conv2d", None, 1), ("sigmoid", None, 1), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("selu", None, 0.75),
])
def test_calculate_gain(name, param, expected):
    assert init.calculate_gain(name, param) == pytest.approx(expected)
    if torch_available:
        import torch as th

        assert init.calculate_gain(name, param) == pytest.approx(
            th.nn.init.calculate_gain(name, param))


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope x not a valid number"):
        init.calculate_gain("leaky_relu", "x")


def test_fan_in_fan_out():
    assert init._calculate_fan_in_and_fan_out(torch.empty(5, 3)) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(torch.empty(16, 8, 3, 3)) == (72, 144)
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with "
                                         "fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(torch.empty(4))


def test_xavier_bounds_and_std():
    torch.manual_seed(1)
    w = init.xavier_uniform_(torch.empty(300, 200), gain=2.0)
    bound = 2.0 * math.sqrt(6 / 500)
    assert float(w.abs().max()) <= bound and float(w.abs().max()) > 0.95 * bound
    w = init.xavier_normal_(torch.empty(300, 200))
    assert abs(float(w.std()) - math.sqrt(2 / 500)) < 0.002


def test_kaiming_modes_and_nonlinearities():
    torch.manual_seed(2)
    w = init.kaiming_uniform_(torch.empty(256, 128), a=math.sqrt(5))
    assert float(w.abs().max()) <= 1 / math.sqrt(128)
    w = init.kaiming_normal_(torch.empty(256, 128), mode="fan_out", nonlinearity="relu")
    assert abs(float(w.std()) - math.sqrt(2 / 256)) < 0.003
    w = init.kaiming_normal_(torch.empty(64, 32, 3, 3))
    assert abs(float(w.std()) - math.sqrt(2 / (1 + 0.01 ** 2)) / math.sqrt(288)) < 0.003
    with pytest.raises(ValueError, match="Mode fan_avg not supported, please use one of fan_in, "
                                         "fan_out"):
        init.kaiming_uniform_(torch.empty(2, 2), mode="fan_avg")
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(torch.empty(0, 3))


def test_orthogonal():
    for shape in [(5, 5), (3, 7), (7, 3), (4, 2, 3)]:
        w = init.orthogonal_(torch.empty(*shape), gain=2.0)._data.reshape(shape[0], -1)
        rows, cols = w.shape
        gram = w @ w.T if rows <= cols else w.T @ w
        np.testing.assert_allclose(gram, 4 * np.eye(min(rows, cols)), atol=1e-5)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions"):
        init.orthogonal_(torch.empty(3))


def test_trunc_normal():
    torch.manual_seed(3)
    w = init.trunc_normal_(torch.empty(100000), mean=1.0, std=2.0, a=0.0, b=2.0)
    assert float(w.min()) >= 0.0 and float(w.max()) <= 2.0
    # the truncated normal is symmetric around the mean here
    assert abs(float(w.mean()) - 1.0) < 0.01
    w = init.trunc_normal_(torch.empty(100000), std=0.02)
    assert abs(float(w.std()) - 0.02) < 0.001


def test_sparse():
    w = init.sparse_(torch.empty(10, 4), sparsity=0.25)
    assert ((w._data == 0).sum(0) >= 3).all()


def test_init_accepts_plain_tensors_and_rejects_others():
    t = torch.empty(3, 3)
    assert init.zeros_(t) is t
    with pytest.raises(TypeError, match="expected a Tensor"):
        init.zeros_(np.zeros(3))


def test_deprecated_names_warn():
    with pytest.warns(FutureWarning, match="`nn.init.xavier_uniform` is now deprecated in favor "
                                           "of `nn.init.xavier_uniform_`"):
        w = init.xavier_uniform(torch.empty(3, 3))
    assert w.shape == torch.Size([3, 3])
