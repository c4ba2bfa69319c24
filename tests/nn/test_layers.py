"""Layers: Linear, Bilinear, Identity, Flatten/Unflatten, Dropout*, BatchNorm*, LayerNorm,
GroupNorm, InstanceNorm*, RMSNorm, Embedding."""

import math

import numpy as np
import pytest

import chainrule as torch
from chainrule import nn
from chainrule.ops import dropout as D
from chainrule.ops import embedding as E
from chainrule.ops import linear as L
from chainrule.ops import normalization as N
from tests.helpers import check_grad, compare_with_torch, requires_torch, torch_available

RNG = np.random.default_rng(0)


def _arr(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, size=shape)


def _copy_params(cr_module, th_module):
    """Copy chainrule parameters and buffers into the torch module (float64 both)."""
    import torch as th

    th_module.load_state_dict({k: th.tensor(np.array(v._data))
                               for k, v in cr_module.state_dict().items()})


def _compare_module(cr_module, th_module, *inputs, train=True, rtol=1e-6, atol=1e-8):
    """Same input, same weights: outputs, input gradients and parameter gradients agree."""
    import torch as th

    cr_module.double()
    th_module.double()
    _copy_params(cr_module, th_module)
    cr_module.train(train)
    th_module.train(train)
    cx = [torch.tensor(a, requires_grad=a.dtype.kind == "f") if isinstance(a, np.ndarray)
          else a for a in inputs]
    tx = [th.tensor(a, requires_grad=a.dtype.kind == "f") if isinstance(a, np.ndarray)
          else a for a in inputs]
    cy, ty = cr_module(*cx), th_module(*tx)
    np.testing.assert_allclose(cy._data, ty.detach().numpy(), rtol=rtol, atol=atol)
    seed = RNG.standard_normal(tuple(ty.shape))
    cy.backward(torch.tensor(seed))
    ty.backward(th.tensor(seed))
    for c, t in zip(cx, tx):
        if isinstance(c, torch.Tensor) and c.requires_grad:
            np.testing.assert_allclose(c.grad._data, t.grad.numpy(), rtol=rtol, atol=atol)
    for (name, cp), (_, tp) in zip(cr_module.named_parameters(), th_module.named_parameters()):
        np.testing.assert_allclose(cp.grad._data, tp.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=name)
    for (name, cb), (_, tb) in zip(cr_module.named_buffers(), th_module.named_buffers()):
        np.testing.assert_allclose(cb._data, tb.numpy(), rtol=rtol, atol=atol, err_msg=name)


# ---- Linear --------------------------------------------------------------------------------------
def test_linear_forward_reference_and_init_bounds():
    torch.manual_seed(0)
    fc = nn.Linear(50, 20)
    assert fc.weight.shape == torch.Size([20, 50]) and fc.bias.shape == torch.Size([20])
    bound = 1 / math.sqrt(50)
    assert float(fc.weight.abs().max()) <= bound and float(fc.bias.abs().max()) <= bound
    # kaiming_uniform_(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)): std = bound / sqrt(3)
    assert abs(float(fc.weight.std()) - bound / math.sqrt(3)) < 0.01
    x = _arr(7, 50).astype(np.float32)
    y = fc(torch.tensor(x))
    assert y.dtype == torch.float32
    np.testing.assert_allclose(y._data, x @ fc.weight._data.T + fc.bias._data, rtol=1e-5,
                               atol=1e-6)
    assert y.grad_fn.name() == "AddmmBackward0"
    assert nn.Linear(3, 2, bias=False)(torch.ones(1, 3)).grad_fn.name() == "MmBackward0"
    assert fc(torch.ones(2, 3, 50)).shape == torch.Size([2, 3, 20])
    assert fc(torch.ones(50)).shape == torch.Size([20])


def test_linear_gradients_fast_and_create_graph_paths():
    x, w, b = _arr(4, 3), _arr(2, 3), _arr(2)
    check_grad(L.linear, x, w, b)
    check_grad(L.linear, x, w)
    check_grad(L.linear, _arr(2, 3, 3), w, b)
    check_grad(L.linear, _arr(3), w, b)
    # the NumPy fast path and the tensor-op path give the same first derivatives
    xs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    g_fast = torch.autograd.grad(L.linear(*xs).pow(2).sum(), xs)
    g_graph = torch.autograd.grad(L.linear(*xs).pow(2).sum(), xs, create_graph=True)
    for a, c in zip(g_fast, g_graph):
        np.testing.assert_allclose(a._data, c._data, rtol=1e-12)
        assert c.requires_grad


def test_linear_errors():
    fc = nn.Linear(5, 2)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(4x3 and "
                                           r"5x2\)") as info:
        fc(torch.ones(4, 3))
    assert "Linear(in_features=5, out_features=2, bias=True)" in str(info.value)
    assert "received input of shape [4, 3]" in str(info.value)
    with pytest.raises(RuntimeError, match=r"\(12x3 and 5x2\)"):
        fc(torch.ones(2, 6, 3))
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: "
                                           "double != float"):
        fc(torch.ones(4, 5, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="long != float"):
        fc(torch.ones(4, 5, dtype=torch.int64))
    with pytest.raises(RuntimeError, match="in_features must be non-negative, received "
                                           "in_features=-1"):
        nn.Linear(-1, 2)
    with pytest.raises(TypeError, match="in_features must be an int"):
        nn.Linear(2.5, 2)
    with pytest.raises(RuntimeError, match="bias must have shape"):
        L.linear(torch.ones(2, 3), torch.ones(2, 3), torch.ones(3))


@requires_torch
def test_linear_matches_torch():
    import torch as th

    _compare_module(nn.Linear(6, 4), th.nn.Linear(6, 4), _arr(5, 6))
    _compare_module(nn.Linear(6, 4, bias=False), th.nn.Linear(6, 4, bias=False), _arr(2, 5, 6))


def test_linear_state_dict_round_trip_and_repr():
    a, b = nn.Linear(3, 2), nn.Linear(3, 2)
    b.load_state_dict(a.state_dict())
    x = torch.randn(4, 3)
    np.testing.assert_array_equal(a(x)._data, b(x)._data)
    assert repr(nn.Linear(784, 512, bias=False)) == \
        "Linear(in_features=784, out_features=512, bias=False)"


def test_bilinear():
    m = nn.Bilinear(3, 2, 4)
    x1, x2 = _arr(5, 3).astype(np.float32), _arr(5, 2).astype(np.float32)
    y = m(torch.tensor(x1), torch.tensor(x2))
    ref = np.einsum("ni,oij,nj->no", x1, m.weight._data, x2) + m.bias._data
    np.testing.assert_allclose(y._data, ref, rtol=1e-5, atol=1e-6)
    check_grad(L.bilinear, _arr(2, 3), _arr(2, 2), _arr(4, 3, 2), _arr(4))
    assert repr(m) == "Bilinear(in1_features=3, in2_features=2, out_features=4, bias=True)"
    with pytest.raises(RuntimeError, match="input1 must have 3"):
        m(torch.ones(5, 2), torch.ones(5, 2))
    if torch_available:
        import torch as th

        _compare_module(nn.Bilinear(3, 2, 4), th.nn.Bilinear(3, 2, 4), _arr(5, 3), _arr(5, 2))


def test_identity_flatten_unflatten():
    x = torch.randn(2, 3, 4, 5)
    assert nn.Identity(3, foo=1)(x) is x
    assert nn.Flatten()(x).shape == torch.Size([2, 60])
    assert nn.Flatten(0, 1)(x).shape == torch.Size([6, 4, 5])
    assert nn.Flatten(-2)(x).shape == torch.Size([2, 3, 20])
    assert nn.Unflatten(1, (3, 20))(torch.ones(2, 60)).shape == torch.Size([2, 3, 20])
    assert nn.Unflatten(-1, (2, -1))(torch.ones(2, 60)).shape == torch.Size([2, 2, 30])
    with pytest.raises(RuntimeError, match=r"unflatten: Provided sizes \[2, 3\] don't multiply "
                                           r"up to the size of dim 1 \(5\) in the input tensor"):
        nn.Unflatten(1, (2, 3))(torch.ones(2, 5))
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.Unflatten(1, (2, 5))) == "Unflatten(dim=1, unflattened_size=(2, 5))"
    y = nn.Flatten()(torch.randn(2, 2, 2, requires_grad=True))
    assert y.requires_grad


# ---- Dropout -------------------------------------------------------------------------------------
def test_dropout_train_eval_statistics():
    torch.manual_seed(0)
    drop = nn.Dropout(0.3)
    x = torch.ones(100, 100, requires_grad=True)
    y = drop(x)
    kept = y._data != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(y._data[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad._data, kept / 0.7, rtol=1e-6)  # same mask
    drop.eval()
    assert drop(x) is x
    assert bool((D.dropout(x, 0.0)._data == 1).all())
    assert float(D.dropout(x, 1.0).abs().sum()) == 0.0
    assert repr(nn.Dropout(0.2, inplace=True)) == "Dropout(p=0.2, inplace=True)"


def test_dropout_reproducible_with_seed():
    torch.manual_seed(3)
    a = nn.Dropout()(torch.ones(50))
    torch.manual_seed(3)
    b = nn.Dropout()(torch.ones(50))
    np.testing.assert_array_equal(a._data, b._data)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_probability_checked(p):
    with pytest.raises(ValueError, match=f"dropout probability has to be between 0 and 1, but "
                                         f"got {p}"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match="dropout probability"):
        D.dropout(torch.ones(1), p)


def test_dropout2d_and_friends_are_channelwise():
    torch.manual_seed(1)
    y = nn.Dropout2d(0.5)(torch.ones(4, 32, 3, 3))
    per_channel = y._data.reshape(4, 32, -1)
    assert (per_channel.min(-1) == per_channel.max(-1)).all()
    assert set(np.unique(y._data)) <= {0.0, 2.0}
    y1 = nn.Dropout1d(0.5)(torch.ones(4, 32, 5))
    assert (y1._data.min(-1) == y1._data.max(-1)).all()
    y3 = nn.Dropout3d(0.5)(torch.ones(2, 8, 2, 2, 2))
    assert (y3._data.reshape(2, 8, -1).min(-1) == y3._data.reshape(2, 8, -1).max(-1)).all()
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input"):
        nn.Dropout1d()(torch.ones(2, 3, 4, 5))
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        nn.Dropout2d()(torch.ones(2, 3, 4))
    assert nn.Dropout2d().eval()(torch.ones(1, 2, 2, 2)).tolist() == torch.ones(1, 2, 2, 2).tolist()


def test_alpha_dropout_keeps_mean_and_variance():
    torch.manual_seed(0)
    x = torch.randn(200000)
    y = nn.AlphaDropout(0.2)(x)
    assert abs(float(y.mean())) < 0.02 and abs(float(y.std()) - 1) < 0.02
    assert nn.AlphaDropout(0.2).eval()(x) is x
    check_grad(lambda t: (torch.manual_seed(0), D.alpha_dropout(t, 0.3, True))[1], _arr(10),
               gradgrad=False)
    assert nn.FeatureAlphaDropout(0.5)(torch.ones(2, 3, 4)).shape == torch.Size([2, 3, 4])


# ---- BatchNorm -----------------------------------------------------------------------------------
def _bn_reference(x, running_mean, running_var, momentum, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    mean, var = x.mean(axes), x.var(axes)
    n = x.size // x.shape[1]
    shape = (1, -1) + (1,) * (x.ndim - 2)
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    rm = (1 - momentum) * running_mean + momentum * mean
    rv = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    return y, rm, rv


def test_batchnorm_training_forward_and_running_stats():
    bn = nn.BatchNorm2d(3, momentum=0.2)
    x = _arr(4, 3, 5, 5).astype(np.float32)
    y = bn(torch.tensor(x))
    ref, rm, rv = _bn_reference(x.astype(np.float64), np.zeros(3), np.ones(3), 0.2)
    np.testing.assert_allclose(y._data, ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.running_mean._data, rm, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var._data, rv, rtol=1e-5, atol=1e-6)
    assert bn.num_batches_tracked.item() == 1 and bn.running_mean.dtype == torch.float32
    assert y.grad_fn.name() == "NativeBatchNormBackward0"
    # eval: the running statistics normalise, and nothing is updated
    bn.eval()
    x2 = _arr(2, 3, 5, 5).astype(np.float32)
    y2 = bn(torch.tensor(x2))
    expect = (x2 - rm.reshape(1, 3, 1, 1)) / np.sqrt(rv.reshape(1, 3, 1, 1) + 1e-5)
    np.testing.assert_allclose(y2._data, expect, rtol=1e-4, atol=1e-5)
    assert bn.num_batches_tracked.item() == 1


def test_batchnorm_cumulative_average_and_options():
    bn = nn.BatchNorm1d(2, momentum=None)
    batches = [_arr(6, 2) for _ in range(3)]
    for b in batches:
        bn(torch.tensor(b.astype(np.float32)))
    means = np.mean([b.mean(0) for b in batches], axis=0)
    np.testing.assert_allclose(bn.running_mean._data, means, rtol=1e-5, atol=1e-6)
    assert bn.num_batches_tracked.item() == 3
    no_track = nn.BatchNorm1d(2, track_running_stats=False)
    assert no_track.running_mean is None and list(no_track.state_dict()) == ["weight", "bias"]
    no_track.eval()
    y = no_track(torch.tensor([[1.0, 2.0], [3.0, 6.0]]))  # batch statistics even in eval
    np.testing.assert_allclose(y._data, [[-1, -1], [1, 1]], atol=1e-4)
    plain = nn.BatchNorm1d(2, affine=False)
    assert plain.weight is None and len(list(plain.parameters())) == 0
    assert nn.BatchNorm1d(2, bias=False).bias is None


@pytest.mark.parametrize("momentum", [0.1, None])
@requires_torch
def test_batchnorm_matches_torch_over_steps(momentum):
    import torch as th

    cbn, tbn = nn.BatchNorm2d(3, momentum=momentum), th.nn.BatchNorm2d(3, momentum=momentum)
    cbn.weight.data = torch.tensor(_arr(3).astype(np.float32))
    for _ in range(3):
        _compare_module(cbn, tbn, _arr(4, 3, 2, 2))
        for p in cbn.parameters():
            p.grad = None
        for p in tbn.parameters():
            p.grad = None
    _compare_module(cbn, tbn, _arr(4, 3, 2, 2), train=False)
    for p in cbn.parameters():
        p.grad = None
    for p in tbn.parameters():
        p.grad = None
    _compare_module(nn.BatchNorm1d(4), th.nn.BatchNorm1d(4), _arr(5, 4, 3))


def test_batchnorm_gradients():
    w, b = _arr(3), _arr(3)
    check_grad(lambda x, w, b: N.batch_norm(x, None, None, w, b, True), _arr(4, 3, 2), w, b)
    check_grad(lambda x: N.batch_norm(x, None, None, training=True), _arr(5, 3))
    rm, rv = torch.tensor(_arr(3)), torch.tensor(_arr(3, low=0.5, high=2))
    check_grad(lambda x, w, b: N.batch_norm(x, rm, rv, w, b, False), _arr(4, 3, 2), w, b)


def test_batchnorm_errors():
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3)(torch.ones(2, 3, 5))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(torch.ones(2, 3, 5, 5))
    with pytest.raises(RuntimeError, match="running_mean should contain 4 elements not 3") as info:
        nn.BatchNorm2d(3)(torch.ones(2, 4, 5, 5))
    assert "received input of shape [2, 4, 5, 5]" in str(info.value)
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, "
                                         r"got input size torch.Size\(\[1, 3\]\)"):
        nn.BatchNorm1d(3)(torch.ones(1, 3))
    assert nn.BatchNorm1d(3).eval()(torch.ones(1, 3)).shape == torch.Size([1, 3])
    with pytest.raises(ValueError, match="num_features must be a positive int"):
        nn.BatchNorm1d(0)


def test_batchnorm_state_dict_round_trip():
    a = nn.BatchNorm1d(3)
    a(torch.randn(8, 3))
    b = nn.BatchNorm1d(3)
    b.load_state_dict(a.state_dict())
    assert b.num_batches_tracked.item() == 1
    np.testing.assert_array_equal(a.running_var._data, b.running_var._data)


# ---- LayerNorm, GroupNorm, InstanceNorm, RMSNorm -------------------------------------------------
def test_layernorm():
    ln = nn.LayerNorm([3, 4])
    x = _arr(2, 5, 3, 4).astype(np.float32)
    y = ln(torch.tensor(x))
    mean = x.mean((-2, -1), keepdims=True)
    ref = (x - mean) / np.sqrt(x.var((-2, -1), keepdims=True) + 1e-5)
    np.testing.assert_allclose(y._data, ref, rtol=1e-4, atol=1e-5)
    check_grad(lambda x, w, b: N.layer_norm(x, (4,), w, b), _arr(3, 4), _arr(4), _arr(4))
    check_grad(lambda x: N.layer_norm(x, (2, 3)), _arr(2, 3))
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[3\], expected input with "
                                           r"shape \[\*, 3\], but got input of size\[2, 4\]"):
        nn.LayerNorm(3)(torch.ones(2, 4))
    assert repr(nn.LayerNorm(5)) == \
        "LayerNorm((5,), eps=1e-05, elementwise_affine=True, bias=True)"
    if torch_available:
        import torch as th

        _compare_module(nn.LayerNorm(4), th.nn.LayerNorm(4), _arr(3, 2, 4))


def test_groupnorm():
    gn = nn.GroupNorm(2, 4)
    x = _arr(3, 4, 5).astype(np.float32)
    y = gn(torch.tensor(x))
    g = x.reshape(3, 2, -1)
    ref = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-5))
    np.testing.assert_allclose(y._data, ref.reshape(x.shape), rtol=1e-4, atol=1e-5)
    check_grad(lambda x, w, b: N.group_norm(x, 2, w, b), _arr(2, 4, 3), _arr(4), _arr(4))
    with pytest.raises(ValueError, match=r"num_channels \(6\) must be divisible by num_groups "
                                         r"\(4\)"):
        nn.GroupNorm(4, 6)
    with pytest.raises(RuntimeError, match="Expected number of channels in input to be divisible"):
        N.group_norm(torch.ones(2, 4), 3)
    with pytest.raises(RuntimeError, match=r"input of shape \[2, 4\]: GroupNorm\(3, 6, .*\) "
                                           r"expects 6 channels"):
        nn.GroupNorm(3, 6)(torch.ones(2, 4))
    if torch_available:
        import torch as th

        _compare_module(nn.GroupNorm(3, 6), th.nn.GroupNorm(3, 6), _arr(2, 6, 4))


def test_instancenorm():
    x = _arr(2, 3, 6)
    check_grad(lambda x, w, b: N.instance_norm(x, weight=w, bias=b), x, _arr(3), _arr(3))
    m = nn.InstanceNorm1d(3, affine=True, track_running_stats=True)
    y = m(torch.tensor(x.astype(np.float32)))
    ref = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(y._data, ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(m.running_mean._data, 0.1 * x.mean(-1).mean(0), rtol=1e-5,
                               atol=1e-6)
    assert nn.InstanceNorm2d(3)(torch.randn(3, 4, 4)).shape == torch.Size([3, 4, 4])  # unbatched
    with pytest.raises(ValueError, match=r"expected input's size at dim=1 to match num_features"):
        nn.InstanceNorm1d(4, affine=True)(torch.ones(2, 3, 5))
    if torch_available:
        import torch as th

        _compare_module(nn.InstanceNorm1d(3, affine=True, track_running_stats=True),
                        th.nn.InstanceNorm1d(3, affine=True, track_running_stats=True), x)
        _compare_module(nn.InstanceNorm2d(2), th.nn.InstanceNorm2d(2), _arr(2, 2, 3, 3))


def test_rmsnorm():
    m = nn.RMSNorm(4, eps=1e-6)
    x = _arr(3, 4).astype(np.float32)
    ref = x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-6)
    np.testing.assert_allclose(m(torch.tensor(x))._data, ref, rtol=1e-5, atol=1e-6)
    check_grad(lambda x, w: N.rms_norm(x, (4,), w), _arr(3, 4), _arr(4))
    if torch_available:
        import torch as th

        _compare_module(nn.RMSNorm([2, 3]), th.nn.RMSNorm([2, 3]), _arr(4, 2, 3))


def test_norm_fast_and_create_graph_paths_agree():
    x, w, b = _arr(4, 3, 2), _arr(3), _arr(3)
    for fn in (lambda *t: N.batch_norm(t[0], None, None, t[1], t[2], True),
               lambda *t: N.group_norm(t[0], 3, t[1], t[2])):
        ts = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
        fast = torch.autograd.grad(fn(*ts).pow(3).sum(), ts)
        graph = torch.autograd.grad(fn(*ts).pow(3).sum(), ts, create_graph=True)
        for a, c in zip(fast, graph):
            np.testing.assert_allclose(a._data, c._data, rtol=1e-9, atol=1e-12)


# ---- Embedding -----------------------------------------------------------------------------------
def test_embedding_lookup_and_gradient():
    emb = nn.Embedding(6, 3)
    idx = torch.tensor([[1, 2, 1], [5, 0, 1]])
    y = emb(idx)
    np.testing.assert_array_equal(y._data, emb.weight._data[idx._data])
    assert y.grad_fn.name() == "EmbeddingBackward0"
    y.sum().backward()
    counts = np.bincount(idx._data.ravel(), minlength=6)
    np.testing.assert_allclose(emb.weight.grad._data, np.repeat(counts[:, None], 3, axis=1))
    check_grad(lambda w: E.embedding(idx, w), _arr(6, 3))
    assert repr(nn.Embedding(10, 3, padding_idx=0)) == "Embedding(10, 3, padding_idx=0)"


def test_embedding_padding_idx_gets_no_gradient():
    emb = nn.Embedding(5, 2, padding_idx=-1)
    assert emb.padding_idx == 4 and emb.weight[4].tolist() == [0.0, 0.0]
    emb(torch.tensor([4, 4, 1])).sum().backward()
    assert emb.weight.grad[4].tolist() == [0.0, 0.0]
    assert emb.weight.grad[1].tolist() == [1.0, 1.0]


def test_embedding_from_pretrained_max_norm_and_errors():
    w = torch.tensor([[3.0, 4.0], [0.1, 0.2]])
    emb = nn.Embedding.from_pretrained(w)
    assert not emb.weight.requires_grad and emb(torch.tensor([0])).tolist() == [[3.0, 4.0]]
    assert nn.Embedding.from_pretrained(w, freeze=False).weight.requires_grad
    capped = nn.Embedding.from_pretrained(torch.tensor([[3.0, 4.0], [0.1, 0.2]]), max_norm=1.0)
    out = capped(torch.tensor([0, 1]))
    np.testing.assert_allclose(out._data, [[0.6, 0.8], [0.1, 0.2]], rtol=1e-5)
    np.testing.assert_allclose(capped.weight._data[0], [0.6, 0.8], rtol=1e-5)  # renormed in place
    with pytest.raises(IndexError, match="index out of range in self"):
        nn.Embedding(5, 2)(torch.tensor([5]))
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices' to have one "
                                           "of the following scalar types: Long, Int"):
        nn.Embedding(5, 2)(torch.tensor([1.0]))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(5, 2, padding_idx=7)


@requires_torch
def test_embedding_matches_torch():
    import torch as th

    idx = np.array([[1, 0, 3, 1], [2, 2, 2, 0]])
    for kw in ({}, {"padding_idx": 2}, {"scale_grad_by_freq": True}):
        cw, tw = _arr(4, 3), None
        tw = th.tensor(cw, requires_grad=True)
        cwt = torch.tensor(cw, requires_grad=True)
        cy = E.embedding(torch.tensor(idx), cwt, **kw)
        ty = th.nn.functional.embedding(th.tensor(idx), tw, **kw)
        seed = _arr(2, 4, 3)
        cy.backward(torch.tensor(seed))
        ty.backward(th.tensor(seed))
        np.testing.assert_allclose(cwt.grad._data, tw.grad.numpy(), rtol=1e-12)
    compare_with_torch(lambda x, w: L.linear(x, w), th.nn.functional.linear, _arr(3, 2),
                       _arr(4, 2))


# ---- EmbeddingBag, LocalResponseNorm, SyncBatchNorm, LazyLinear ----------------------------------
def test_embedding_bag_modes():
    w = _arr(10, 3)
    idx, off = torch.tensor([1, 2, 4, 5, 4, 3]), torch.tensor([0, 4, 4])
    rows = w[[1, 2, 4, 5, 4, 3]]
    for mode, ref in (("sum", [rows[:4].sum(0), np.zeros(3), rows[4:].sum(0)]),
                      ("mean", [rows[:4].mean(0), np.zeros(3), rows[4:].mean(0)]),
                      ("max", [rows[:4].max(0), np.zeros(3), rows[4:].max(0)])):
        bag = nn.EmbeddingBag.from_pretrained(torch.tensor(w), mode=mode)
        np.testing.assert_allclose(bag(idx, off)._data, ref, rtol=1e-12)
    fixed = nn.EmbeddingBag.from_pretrained(torch.tensor(w), mode="mean", padding_idx=4)
    np.testing.assert_allclose(fixed(torch.tensor([[1, 4], [4, 4]]))._data,
                               [w[1], np.zeros(3)], rtol=1e-12)
    check_grad(lambda w: E.embedding_bag(idx, w, off, mode="mean"), w)
    check_grad(lambda w, p: E.embedding_bag(idx, w, off, mode="sum", per_sample_weights=p), w,
               _arr(6))
    assert repr(nn.EmbeddingBag(10, 3)) == "EmbeddingBag(10, 3, mode='mean')"
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        nn.EmbeddingBag(10, 3)(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        nn.EmbeddingBag(10, 3)(torch.tensor([[1, 2]]), torch.tensor([0]))
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for "
                                                  "mode='sum'"):
        nn.EmbeddingBag(10, 3)(torch.tensor([[1, 2]]), per_sample_weights=torch.ones(1, 2))


@requires_torch
def test_embedding_bag_matches_torch():
    import torch as th

    w = _arr(10, 3)
    for kw, inp, off in [({"mode": "sum"}, [1, 2, 4, 5, 4, 3], [0, 4]),
                         ({"mode": "mean"}, [1, 2, 4, 5, 4, 3], [0, 4, 4]),
                         ({"mode": "max", "padding_idx": 2}, [[1, 2], [2, 2]], None),
                         ({"mode": "sum", "include_last_offset": True}, [1, 2, 4, 5, 4, 3],
                          [0, 2, 6])]:
        cbag = nn.EmbeddingBag.from_pretrained(torch.tensor(w), freeze=False, **kw)
        tbag = th.nn.EmbeddingBag.from_pretrained(th.tensor(w), freeze=False, **kw)
        co = cbag(torch.tensor(inp), None if off is None else torch.tensor(off))
        to = tbag(th.tensor(inp), None if off is None else th.tensor(off))
        cw, tw = cbag.weight, tbag.weight
        seed = _arr(*to.shape)
        co.backward(torch.tensor(seed))
        to.backward(th.tensor(seed))
        np.testing.assert_allclose(co._data, to.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(cw.grad._data, tw.grad.numpy(), rtol=1e-12)


def test_local_response_norm():
    x = _arr(2, 5, 3)
    y = nn.LocalResponseNorm(3, alpha=0.3, beta=0.5, k=2.0)(torch.tensor(x))
    sq = np.pad(x * x, ((0, 0), (1, 1), (0, 0)))
    window = sq[:, :-2] + sq[:, 1:-1] + sq[:, 2:]
    np.testing.assert_allclose(y._data, x / (2.0 + 0.3 * window / 3) ** 0.5, rtol=1e-10)
    check_grad(lambda t: N.local_response_norm(t, 2, 0.1, 0.75, 2.0), _arr(1, 4, 2))
    with pytest.raises(ValueError, match="Expected 3D or higher dimensionality input"):
        N.local_response_norm(torch.ones(2, 3), 2)


def test_sync_batchnorm_and_lazy_linear():
    sbn = nn.SyncBatchNorm(3)
    assert sbn(torch.randn(4, 3, 2, 2, 2)).shape == torch.Size([4, 3, 2, 2, 2])
    assert nn.SyncBatchNorm.convert_sync_batchnorm(sbn) is sbn
    fc = nn.LazyLinear(4)
    assert repr(fc) == "LazyLinear(in_features=0, out_features=4, bias=True)"
    w = fc.weight
    assert fc(torch.ones(3, 7)).shape == torch.Size([3, 4])
    assert type(fc) is nn.Linear and fc.weight is w and w.shape == torch.Size([4, 7])
    assert float(w.abs().max()) <= 1 / math.sqrt(7)


def test_embedding_scatter_both_paths(monkeypatch):
    idx = RNG.integers(0, 20, size=(7, 9))
    g = _arr(7, 9, 4)
    fast = E._scatter_rows(idx, g, 20, 3, False)
    monkeypatch.setattr(E, "_FAST_UFUNC_AT", False)
    slow = E._scatter_rows(idx, g, 20, 3, False)
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12)
    assert not fast[3].any()
