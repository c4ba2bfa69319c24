"""Recurrent layers (chainrule.nn.modules.rnn, chainrule.ops.recurrent): outputs against a NumPy
loop reference and PyTorch with copied weights, gradients (fused BPTT against the tensor-op
recurrence and finite differences, second order included), parameter names, initialisation,
errors and reprs."""

import math

import numpy as np
import pytest

import chainrule as torch
from chainrule import nn
from chainrule.ops.linear import linear
from chainrule.ops.recurrent import Recurrent, composite
from tests.helpers import check_grad, torch_available

RNG = np.random.default_rng(3)


def _sig(x):
    return 1 / (1 + np.exp(-x))


def step_ref(mode, x, h, c, p):
    """One time step written from the equations in PyTorch's documentation."""
    gi = x @ p["weight_ih"].T + p.get("bias_ih", 0)
    gh = h @ p["weight_hh"].T + p.get("bias_hh", 0)
    if mode == "LSTM":
        i, f, g, o = np.split(gi + gh, 4, axis=-1)
        c = _sig(f) * c + _sig(i) * np.tanh(g)
        h = _sig(o) * np.tanh(c)
        return (h @ p["weight_hr"].T if "weight_hr" in p else h), c
    if mode == "GRU":
        ir, iz, in_ = np.split(gi, 3, axis=-1)
        hr, hz, hn = np.split(gh, 3, axis=-1)
        r, z = _sig(ir + hr), _sig(iz + hz)
        n = np.tanh(in_ + r * hn)
        return (1 - z) * n + z * h, None
    pre = gi + gh
    return (np.tanh(pre) if mode == "RNN_TANH" else np.maximum(pre, 0)), None


def rnn_ref(m, x, h0=None, c0=None):
    """Multi-layer, bidirectional reference over time-major ``x`` (L, N, I)."""
    dirs = 2 if m.bidirectional else 1
    steps, batch = x.shape[:2]
    hsize = m.proj_size or m.hidden_size
    hn, cn = [], []
    for layer in range(m.num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            p = {n.replace(sfx, ""): getattr(m, n)._data.astype(np.float64)
                 for n in m._flat_weights_names if n.endswith(sfx)}
            h = np.zeros((batch, hsize)) if h0 is None else h0[k]
            c = np.zeros((batch, m.hidden_size)) if c0 is None else c0[k]
            out = np.zeros((steps, batch, hsize))
            for t in (range(steps - 1, -1, -1) if d else range(steps)):
                h, c = step_ref(m.mode, x[t], h, c, p)
                out[t] = h
            outs.append(out)
            hn.append(h)
            cn.append(c)
        x = np.concatenate(outs, axis=-1)
    return x, np.stack(hn), (np.stack(cn) if m.mode == "LSTM" else None)


def _t(a, grad=False):
    return torch.tensor(a, requires_grad=grad)


MODULE_CASES = [
    (nn.RNN, {}), (nn.RNN, {"nonlinearity": "relu", "num_layers": 2}),
    (nn.LSTM, {}), (nn.LSTM, {"num_layers": 2, "bidirectional": True}),
    (nn.LSTM, {"proj_size": 2, "bidirectional": True}),
    (nn.GRU, {"bias": False}), (nn.GRU, {"num_layers": 2, "bidirectional": True}),
]


@pytest.mark.parametrize("cls,kw", MODULE_CASES)
def test_rnn_modules_match_reference(cls, kw):
    torch.manual_seed(0)
    m = cls(3, 4, **kw).double()
    x = RNG.standard_normal((5, 2, 3))
    lstm = cls is nn.LSTM
    out, hidden = m(_t(x))
    ref_out, ref_h, ref_c = rnn_ref(m, x)
    np.testing.assert_allclose(out._data, ref_out, atol=1e-12)
    h = hidden[0] if lstm else hidden
    np.testing.assert_allclose(h._data, ref_h, atol=1e-12)
    if lstm:
        np.testing.assert_allclose(hidden[1]._data, ref_c, atol=1e-12)
    # with initial states, batch_first and unbatched input
    dirs = 2 if kw.get("bidirectional") else 1
    layers = kw.get("num_layers", 1)
    h0 = RNG.standard_normal((dirs * layers, 2, kw.get("proj_size") or 4))
    c0 = RNG.standard_normal((dirs * layers, 2, 4))
    m.batch_first = True
    out, _ = m(_t(x.transpose(1, 0, 2)), (_t(h0), _t(c0)) if lstm else _t(h0))
    ref_out = rnn_ref(m, x, h0, c0)[0]
    np.testing.assert_allclose(out._data, ref_out.transpose(1, 0, 2), atol=1e-12)
    assert out.is_contiguous()
    out, hidden = m(_t(x[:, 0]), (_t(h0[:, 0]), _t(c0[:, 0])) if lstm else _t(h0[:, 0]))
    np.testing.assert_allclose(out._data, ref_out[:, 0], atol=1e-12)
    assert (hidden[0] if lstm else hidden).shape == h0[:, 0].shape


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"])
def test_fused_recurrence_grads_match_tensor_op_recurrence(mode):
    gates = {"LSTM": 4, "GRU": 3}.get(mode, 1)
    args = [RNG.standard_normal(s) * 0.5 for s in
            [(4, 2, gates * 3), (2, 3), (2, 3), (gates * 3, 3), (gates * 3,)]]
    for reverse in (False, True):
        ours = [_t(a, True) for a in args]
        ref = [_t(a, True) for a in args]
        c0 = ours[2] if mode == "LSTM" else None
        outs = Recurrent.apply(ours[0], ours[1], c0, ours[3], ours[4], None, mode, reverse)
        refs = composite(mode, reverse, ref[0], ref[1], ref[2] if mode == "LSTM" else None,
                         ref[3], ref[4], None)
        seeds = [RNG.standard_normal(tuple(o.shape)) for o in outs]
        for o, r in zip(outs, refs):
            np.testing.assert_allclose(o._data, r._data, atol=1e-12)
        torch.autograd.backward(list(outs), [_t(s) for s in seeds])
        torch.autograd.backward(list(refs), [_t(s) for s in seeds])
        for a, b in zip(ours, ref):
            if b.grad is not None:
                np.testing.assert_allclose(a.grad._data, b.grad._data, atol=1e-10)


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH"])
def test_recurrence_gradcheck_and_gradgradcheck(mode):
    gates = {"LSTM": 4, "GRU": 3}.get(mode, 1)

    def fn(x, w_ih, w_hh, b_hh, h0):
        return Recurrent.apply(linear(x, w_ih, None), h0, None, w_hh, b_hh, None, mode,
                               mode == "GRU")

    check_grad(fn, RNG.standard_normal((3, 1, 2)), RNG.standard_normal((gates * 2, 2)),
               RNG.standard_normal((gates * 2, 2)), RNG.standard_normal(gates * 2),
               RNG.standard_normal((1, 2)))


def test_lstm_projection_gradcheck():
    def fn(x, w_hh, w_hr, c0):
        return Recurrent.apply(x, None, c0, w_hh, None, w_hr, "LSTM", False)

    check_grad(fn, RNG.standard_normal((2, 1, 8)), RNG.standard_normal((8, 1)),
               RNG.standard_normal((1, 2)), RNG.standard_normal((1, 2)), gradgrad=False)


def test_module_backward_float32_and_dropout():
    torch.manual_seed(0)
    m = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = _t(RNG.standard_normal((6, 2, 3)).astype(np.float32), True)
    out, (h, c) = m(x)
    assert out.dtype == torch.float32 and h.dtype == torch.float32
    (out.sum() + c.sum()).backward()
    assert x.grad.dtype == torch.float32
    assert all(p.grad is not None and p.grad.dtype == torch.float32 for p in m.parameters())
    m.eval()
    a, _ = m(x)
    b, _ = m(x)
    np.testing.assert_array_equal(a._data, b._data)  # no dropout in eval mode


@pytest.mark.parametrize("cls,gates", [(nn.RNN, 1), (nn.LSTM, 4), (nn.GRU, 3)])
def test_parameter_names_shapes_and_init(cls, gates):
    torch.manual_seed(0)
    m = cls(5, 8, num_layers=2, bidirectional=True)
    names = [n for n, _ in m.named_parameters()]
    expected = []
    for layer in range(2):
        for sfx in ("", "_reverse"):
            expected += [f"weight_ih_l{layer}{sfx}", f"weight_hh_l{layer}{sfx}",
                         f"bias_ih_l{layer}{sfx}", f"bias_hh_l{layer}{sfx}"]
    assert names == expected == list(m.state_dict().keys())
    assert m.weight_ih_l0.shape == (gates * 8, 5) and m.weight_ih_l1.shape == (gates * 8, 16)
    assert m.weight_hh_l1_reverse.shape == (gates * 8, 8) and m.bias_hh_l0.shape == (gates * 8,)
    bound = 1 / math.sqrt(8)
    for p in m.parameters():
        assert p.dtype == torch.float32 and np.abs(p._data).max() <= bound
        assert np.abs(p._data).max() > 0.5 * bound
    assert len(m.all_weights) == 4
    lstm = nn.LSTM(3, 4, proj_size=2, bias=False)
    assert [n for n, _ in lstm.named_parameters()] == ["weight_ih_l0", "weight_hh_l0",
                                                       "weight_hr_l0"]
    assert lstm.weight_hh_l0.shape == (16, 2) and lstm.weight_hr_l0.shape == (2, 4)


@pytest.mark.parametrize("cls,kw,expected", [
    (nn.RNN, {}, "RNN(3, 4)"),
    (nn.RNN, {"num_layers": 2, "nonlinearity": "relu", "bias": False, "batch_first": True,
              "dropout": 0.5, "bidirectional": True},
     "RNN(3, 4, num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True)"),
    (nn.LSTM, {"num_layers": 2, "batch_first": True, "bidirectional": True},
     "LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True)"),
    (nn.LSTM, {"proj_size": 2}, "LSTM(3, 4, proj_size=2)"),
    (nn.GRU, {"num_layers": 3, "dropout": 0.1}, "GRU(3, 4, num_layers=3, dropout=0.1)"),
    (nn.RNNCell, {}, "RNNCell(3, 4)"),
    (nn.RNNCell, {"bias": False, "nonlinearity": "relu"}, ("RNNCell(3, 4, bias=False, "
     "nonlinearity=relu)")),
    (nn.LSTMCell, {}, "LSTMCell(3, 4)"),
    (nn.GRUCell, {"bias": False}, "GRUCell(3, 4, bias=False)"),
])
def test_reprs(cls, kw, expected):
    assert repr(cls(3, 4, **kw)) == expected


@pytest.mark.parametrize("cls", [nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_cells_match_reference_and_gradcheck(cls):
    torch.manual_seed(0)
    m = cls(3, 4).double()
    mode = {nn.RNNCell: "RNN_TANH", nn.LSTMCell: "LSTM", nn.GRUCell: "GRU"}[cls]
    p = {n: q._data for n, q in m.named_parameters()}
    x, h, c = (RNG.standard_normal((2, 3)), RNG.standard_normal((2, 4)),
               RNG.standard_normal((2, 4)))
    res = m(_t(x), (_t(h), _t(c)) if mode == "LSTM" else _t(h))
    ref_h, ref_c = step_ref(mode, x, h, c, p)
    if mode == "LSTM":
        np.testing.assert_allclose(res[0]._data, ref_h, atol=1e-12)
        np.testing.assert_allclose(res[1]._data, ref_c, atol=1e-12)
        assert [r.shape for r in m(_t(x[0]))] == [(4,), (4,)]
    else:
        np.testing.assert_allclose(res._data, ref_h, atol=1e-12)
        assert m(_t(x[0])).shape == (4,)
        check_grad(lambda a, b: m(a, b), x, h)


RNN_ERRORS = [
    (lambda: nn.LSTM(3, 4, dropout=2), ValueError, "dropout should be a number in range [0, 1]"),
    (lambda: nn.LSTM(3, 0), ValueError, "hidden_size must be greater than zero"),
    (lambda: nn.LSTM(3, 4, num_layers=0), ValueError, "num_layers must be greater than zero"),
    (lambda: nn.LSTM(3, 4.5), TypeError, "hidden_size should be of type int, got: float"),
    (lambda: nn.RNN(3, 4, nonlinearity="foo"), ValueError, ("Unknown nonlinearity 'foo'. Select "
     "from 'tanh' or 'relu'.")),
    (lambda: nn.GRU(3, 4, proj_size=2), ValueError, ("proj_size argument is only supported for "
     "LSTM, not RNN or GRU")),
    (lambda: nn.LSTM(3, 4, proj_size=4), ValueError, ("proj_size has to be smaller than "
     "hidden_size")),
    (lambda: nn.LSTM(3, 4)(torch.zeros(5, 2, 4)), RuntimeError, ("input.size(-1) must be equal "
     "to input_size. Expected 3, got 4")),
    (lambda: nn.LSTM(3, 4)(torch.zeros(5, 2, 3, 1)), ValueError, ("LSTM: Expected input to be "
     "2D or 3D, got 4D instead")),
    (lambda: nn.LSTM(3, 4)(torch.zeros(5, 2, 3), (torch.zeros(1, 3, 4), torch.zeros(1, 2, 4))),
     RuntimeError, "Expected hidden[0] size (1, 2, 4), got [1, 3, 4]"),
    (lambda: nn.LSTM(3, 4)(torch.zeros(5, 3), (torch.zeros(1, 1, 4), torch.zeros(1, 4))),
     RuntimeError, ("For unbatched 2-D input, hx and cx should also be 2-D but got (3-D, 2-D) "
     "tensors")),
    (lambda: nn.GRU(3, 4)(torch.zeros(5, 2, 3), torch.zeros(2, 2, 4)), RuntimeError,
     "Expected hidden size (1, 2, 4), got [2, 2, 4]"),
    (lambda: nn.RNN(3, 4)(torch.zeros(5, 2, 3), torch.zeros(1, 4)), RuntimeError,
     "For batched 3-D input, hx should also be 3-D but got 2-D tensor"),
    (lambda: nn.RNN(3, 4)(torch.zeros(5, 2, 3).double()), ValueError,
     "RNN input dtype (torch.float64) does not match weight dtype (torch.float32)"),
    (lambda: nn.RNNCell(3, 4)(torch.zeros(2, 4)), RuntimeError,
     "input has inconsistent input_size: got 4 expected 3"),
    (lambda: nn.RNNCell(3, 4)(torch.zeros(2, 3), torch.zeros(3, 4)), RuntimeError,
     "Input batch size 2 doesn't match hidden0 batch size 3"),
    (lambda: nn.LSTMCell(3, 4)(torch.zeros(2, 3), (torch.zeros(2, 4),)), RuntimeError,
     "lstm_cell expects two hidden states"),
    (lambda: nn.LSTM(3, 4)(torch.zeros(0, 2, 3)), RuntimeError,
     "Expected sequence length to be larger than 0 in RNN"),
    (lambda: nn.GRU(3, 4)(torch.zeros(5, 2, 3), torch.zeros(1, 2, 4).double()), RuntimeError,
     "Input and hidden tensors are not the same dtype"),
]


@pytest.mark.parametrize("call,exc,msg", RNN_ERRORS)
def test_rnn_errors(call, exc, msg):
    with pytest.raises(exc) as info:
        call()
    assert msg in str(info.value)


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.5)


@pytest.mark.skipif(not torch_available, reason="PyTorch is not installed")
@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")
@pytest.mark.parametrize("name,kw", [("LSTM", {"num_layers": 2, "bidirectional": True}),
                                     ("GRU", {"batch_first": True}),
                                     ("RNN", {"nonlinearity": "relu"}),
                                     ("LSTM", {"proj_size": 3})])
def test_against_torch_with_copied_weights(name, kw):
    import torch as th

    ours, theirs = getattr(nn, name)(4, 5, **kw), getattr(th.nn, name)(4, 5, **kw)
    with th.no_grad():
        for n, p in theirs.named_parameters():
            p.copy_(th.from_numpy(getattr(ours, n)._data))
    x = RNG.standard_normal((3, 6, 4)).astype(np.float32)
    xc, xt = _t(x, True), th.tensor(x, requires_grad=True)
    oc, ot = ours(xc), theirs(xt)
    np.testing.assert_allclose(oc[0]._data, ot[0].detach().numpy(), rtol=1e-5, atol=1e-6)
    (oc[0].sum() + (oc[1][1] if name == "LSTM" else oc[1]).sum()).backward()
    (ot[0].sum() + (ot[1][1] if name == "LSTM" else ot[1]).sum()).backward()
    np.testing.assert_allclose(xc.grad._data, xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    for n, p in theirs.named_parameters():
        np.testing.assert_allclose(getattr(ours, n).grad._data, p.grad.numpy(), rtol=1e-4,
                                   atol=1e-5, err_msg=n)
