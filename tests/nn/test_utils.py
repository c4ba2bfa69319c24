"""nn.utils: gradient clipping, parameters <-> vector, and the model summary."""

import math

import numpy as np
import pytest

import chainrule as torch
from chainrule import nn
from chainrule.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    get_total_norm,
    parameters_to_vector,
    summary,
    vector_to_parameters,
)
from tests.helpers import requires_torch


def _params_with_grads(grads):
    params = []
    for g in grads:
        p = nn.Parameter(torch.zeros(*np.shape(g)))
        p.grad = torch.tensor(np.asarray(g, dtype=np.float32))
        params.append(p)
    return params


def test_clip_grad_norm_scales_and_returns_total():
    params = _params_with_grads([[3.0, 0.0], [[0.0], [4.0]]])
    total = clip_grad_norm_(params, max_norm=1.0)
    assert isinstance(total, torch.Tensor) and total.ndim == 0
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(params[0].grad._data, [0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(params[1].grad._data, [[0.0], [0.8]], rtol=1e-5)
    # below the limit: unchanged
    params = _params_with_grads([[0.3, 0.4]])
    assert clip_grad_norm_(params, 10.0).item() == pytest.approx(0.5)
    np.testing.assert_allclose(params[0].grad._data, [0.3, 0.4], rtol=1e-6)


def test_clip_grad_norm_other_norms_and_edge_cases():
    params = _params_with_grads([[3.0, -7.0], [1.0]])
    assert clip_grad_norm_(params, 1.0, norm_type="inf").item() == pytest.approx(7.0)
    params = _params_with_grads([[3.0, -7.0], [1.0]])
    assert clip_grad_norm_(params, 100.0, norm_type=1).item() == pytest.approx(11.0)
    assert clip_grad_norm_([nn.Parameter(torch.ones(2))], 1.0).item() == 0.0  # no grads
    single = _params_with_grads([[6.0, 8.0]])[0]
    clip_grad_norm_(single, 5.0)  # a lone tensor is accepted
    np.testing.assert_allclose(single.grad._data, [3.0, 4.0], rtol=1e-5)
    bad = _params_with_grads([[float("nan"), 1.0]])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from "
                                           "`parameters` is non-finite"):
        clip_grad_norm_(bad, 1.0, error_if_nonfinite=True)
    assert get_total_norm([torch.tensor([3.0]), torch.tensor([4.0])]).item() == pytest.approx(5)


@requires_torch
def test_clip_grad_norm_matches_torch():
    import torch as th

    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((4, 3)), rng.standard_normal(5)]
    for norm_type in (2.0, 1.0, 3.0, float("inf")):
        cps = _params_with_grads(grads)
        tps = [th.nn.Parameter(th.zeros(g.shape)) for g in grads]
        for p, g in zip(tps, grads):
            p.grad = th.tensor(g, dtype=th.float32)
        ct = clip_grad_norm_(cps, 0.5, norm_type)
        tt = th.nn.utils.clip_grad_norm_(tps, 0.5, norm_type)
        assert ct.item() == pytest.approx(tt.item(), rel=1e-5)
        for c, t in zip(cps, tps):
            np.testing.assert_allclose(c.grad._data, t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_value():
    params = _params_with_grads([[-5.0, 0.5, 5.0]])
    version = params[0].grad._version.value
    assert clip_grad_value_(params, 1.0) is None
    assert params[0].grad.tolist() == [-1.0, 0.5, 1.0]
    assert params[0].grad._version.value == version + 1


def test_parameters_to_vector_and_back():
    net = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = parameters_to_vector(net.parameters())
    assert vec.shape == torch.Size([3 * 2 + 2 + 2 + 1])
    np.testing.assert_array_equal(vec._data[:6], net[0].weight._data.ravel())
    vec.sum().backward()  # differentiable
    assert net[0].weight.grad.tolist() == [[1.0] * 3] * 2
    new = torch.arange(11, dtype=torch.float32)
    w = net[0].weight
    vector_to_parameters(new, net.parameters())
    assert net[0].weight is w and w.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert net[1].bias.tolist() == [10.0]
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        vector_to_parameters([1.0], net.parameters())


SUMMARY = """=============================================================
Layer (type)                Output Shape              Param #
=============================================================
0 (Linear)                  [-1, 512]                 401,920
1 (ReLU)                    [-1, 512]                 0
2 (Linear)                  [-1, 10]                  5,130
=============================================================
Total params: 407,050
Trainable params: 407,050
Non-trainable params: 0
-------------------------------------------------------------"""


def test_summary_sequential(capsys):
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))
    state = torch.get_rng_state()
    text = summary(model, (784,))
    assert text == SUMMARY
    assert capsys.readouterr().out == SUMMARY + "\n"
    assert torch.get_rng_state().tolist() == state.tolist()  # global random state untouched
    assert model.training  # mode restored
    assert not model[0]._forward_hooks  # hooks removed


def test_summary_custom_model_frozen_and_multi_input():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 4)
            self.bn = nn.BatchNorm1d(4)
            self.fc = nn.Linear(8, 2)

        def forward(self, idx, x):
            return self.fc(torch.cat([self.bn(self.emb(idx)), x], dim=1))

    net = net_eval = Net()
    net.emb.requires_grad_(False)
    text = summary(net, [(), (4,)], dtypes=[torch.int64, torch.float32], print_fn=None)
    lines = text.splitlines()
    assert lines[3].split() == ["emb", "(Embedding)", "[-1,", "4]", "40"]
    assert lines[4].split() == ["bn", "(BatchNorm1d)", "[-1,", "4]", "8"]
    assert lines[5].split() == ["fc", "(Linear)", "[-1,", "2]", "18"]
    assert "Total params: 66" in text and "Trainable params: 26" in text
    assert "Non-trainable params: 40" in text
    assert net_eval.bn.num_batches_tracked.item() == 0  # ran in eval mode
    assert repr(text).startswith("<chainrule summary")
    with pytest.raises(TypeError, match="expected an nn.Module"):
        summary(lambda x: x, (3,))
    batch = summary(nn.Linear(3, 2), (3,), batch_size=16, print_fn=None)
    assert "[16, 2]" in batch and math.isfinite(len(batch))
