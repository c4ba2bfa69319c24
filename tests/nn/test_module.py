"""nn.Module: registration, traversal, state_dict, modes, casting, hooks, repr; Parameter;
containers."""

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import chainrule
import chainrule as torch
from chainrule import nn
from tests.helpers import requires_torch


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.bn = nn.BatchNorm1d(3)
        self.fc2 = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc2(self.bn(self.fc1(x)).relu())


NET_REPR = """Net(
  (fc1): Linear(in_features=4, out_features=3, bias=True)
  (bn): BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
  (fc2): Linear(in_features=3, out_features=2, bias=True)
)"""


# ---- registration ------------------------------------------------------------------------------
def test_attribute_assignment_registers_parameters_modules_buffers():
    m = nn.Module()
    m.w = nn.Parameter(torch.ones(2))
    m.sub = nn.Linear(1, 1)
    m.register_buffer("stats", torch.zeros(3))
    m.register_buffer("tmp", torch.zeros(1), persistent=False)
    m.plain = torch.ones(1)
    assert list(m._parameters) == ["w"]
    assert list(m._modules) == ["sub"]
    assert list(m._buffers) == ["stats", "tmp"]
    assert "plain" in m.__dict__
    assert list(m.state_dict()) == ["w", "stats", "sub.weight", "sub.bias"]
    assert m.w is m._parameters["w"] and m.stats is m._buffers["stats"]
    # re-assigning a registered buffer keeps it a buffer
    m.stats = torch.ones(3)
    assert m._buffers["stats"].tolist() == [1.0, 1.0, 1.0]
    # assigning None to a parameter slot keeps the slot
    m.w = None
    assert m._parameters["w"] is None and m.w is None
    assert [n for n, _ in m.named_parameters()] == ["sub.weight", "sub.bias"]


def test_assignment_moves_between_kinds():
    m = nn.Module()
    m.x = nn.Linear(1, 1)
    m.x = nn.Parameter(torch.ones(1))  # a parameter replaces the module
    assert "x" not in m._modules and "x" in m._parameters


def test_buffer_marker_and_register_module():
    m = nn.Module()
    m.count = nn.Buffer(torch.zeros(1), persistent=False)
    assert "count" in m._buffers and "count" in m._non_persistent_buffers_set
    assert "count" not in m.state_dict()
    m.register_module("head", nn.ReLU())
    m.add_module("tail", nn.Tanh())
    assert list(m._modules) == ["head", "tail"]


@pytest.mark.parametrize("call, exc, msg", [
    (lambda m: m.register_buffer("a.b", torch.ones(1)), KeyError, 'buffer name can\'t contain "."'),
    (lambda m: m.register_buffer("", torch.ones(1)), KeyError, "buffer name can't be empty"),
    (lambda m: m.register_buffer(3, torch.ones(1)), TypeError, "buffer name should be a string"),
    (lambda m: m.register_buffer("b", [1]), TypeError,
     "cannot assign 'list' object to buffer 'b' (torch Tensor or None required)"),
    (lambda m: m.register_buffer("weight", torch.ones(1)), KeyError, "attribute 'weight' already"),
    (lambda m: m.register_parameter("p", torch.ones(1)), TypeError,
     ("cannot assign 'torch.FloatTensor' object to parameter 'p' (torch.nn.Parameter or None "
      "required)")),
    (lambda m: m.register_parameter("a.b", None), KeyError, "parameter name can't contain"),
    (lambda m: m.add_module("x", 3), TypeError, "int is not a Module subclass"),
    (lambda m: m.add_module("a.b", nn.ReLU()), KeyError, "module name can't contain"),
    (lambda m: setattr(m, "weight", torch.ones(2, 2)), TypeError,
     ("cannot assign 'torch.FloatTensor' as parameter 'weight' (torch.nn.Parameter or None "
      "expected)")),
    (lambda m: m.train("yes"), ValueError, "training mode is expected to be boolean"),
])
def test_registration_errors(call, exc, msg):
    with pytest.raises(exc) as info:
        call(nn.Linear(2, 2))
    assert msg in str(info.value.args[0])


def test_non_leaf_parameter_and_missing_super_init():
    x = torch.ones(2, requires_grad=True)
    p = nn.Parameter(x * 2)  # a Parameter is always a leaf
    assert p.is_leaf and p.requires_grad

    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(torch.ones(1))

    with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__"):
        Bad()

    class BadModule(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="cannot assign module before Module.__init__"):
        BadModule()


def test_getattr_delattr_dir():
    m = nn.Linear(2, 2)
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'foo'"):
        getattr(m, "foo")  # noqa: B009
    assert "weight" in dir(m) and "forward" in dir(m)
    del m.bias
    assert "bias" not in m._parameters
    s = nn.Sequential(nn.ReLU())
    assert "0" not in dir(s)


def test_forward_missing():
    with pytest.raises(NotImplementedError,
                       match=r'Module \[Module\] is missing the required "forward" function'):
        nn.Module()(torch.ones(1))


def test_module_init_rejects_arguments():
    with pytest.raises(TypeError, match="unexpected keyword argument 'foo'"):
        nn.Module(foo=1)


# ---- traversal -----------------------------------------------------------------------------------
def test_named_parameters_prefix_recurse_and_sharing():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "fc2.weight", "fc2.bias"]
    assert next(n for n, _ in net.named_parameters(prefix="model")) == "model.fc1.weight"
    assert list(net.named_parameters(recurse=False)) == []
    shared = nn.Sequential(net.fc1, net.fc1)
    assert len(list(shared.parameters())) == 2
    assert len(list(shared.named_parameters(remove_duplicate=False))) == 4
    tied = nn.Module()
    tied.a = nn.Linear(3, 3)
    tied.b = nn.Linear(3, 3)
    tied.b.weight = tied.a.weight
    assert sum(p.numel() for p in tied.parameters()) == 9 + 3 + 3


def test_buffers_children_modules():
    net = Net()
    assert [n for n, _ in net.named_buffers()] == [
        "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    assert len(list(net.buffers())) == 3
    assert [n for n, _ in net.named_children()] == ["fc1", "bn", "fc2"]
    assert list(net.children())[1] is net.bn
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "bn", "fc2"]
    assert [type(m).__name__ for m in net.modules()] == ["Net", "Linear", "BatchNorm1d", "Linear"]
    seq = nn.Sequential(net.fc1, net.fc1)
    assert len(list(seq.modules())) == 2
    assert len(list(seq.named_modules(remove_duplicate=False))) == 3


def test_get_submodule_parameter_buffer():
    model = nn.Sequential(OrderedDict(features=nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))))
    assert model.get_submodule("features.1") is model.features[1]
    assert model.get_submodule("") is model
    assert model.get_parameter("features.0.weight") is model.features[0].weight
    assert model.get_buffer("features.1.running_mean") is model.features[1].running_mean
    with pytest.raises(AttributeError, match="Sequential has no attribute `nope`"):
        model.get_submodule("features.nope")
    with pytest.raises(AttributeError, match="`weight` is not an nn.Module"):
        model.get_submodule("features.0.weight")
    with pytest.raises(AttributeError, match="`running_mean` is not an nn.Parameter"):
        model.get_parameter("features.1.running_mean")
    model.set_submodule("features.0", nn.Linear(2, 5))
    assert model.features[0].out_features == 5


def test_apply_order_and_init():
    net = Net()
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "BatchNorm1d", "Linear", "Net"]

    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)

    net.apply(init_weights)
    assert bool((net.fc2.weight == 0.5).all())


# ---- state dict ----------------------------------------------------------------------------------
def test_state_dict_contents_share_memory_and_detach():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == ["fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "bn.running_mean",
                        "bn.running_var", "bn.num_batches_tracked", "fc2.weight", "fc2.bias"]
    assert not sd["fc1.weight"].requires_grad and not isinstance(sd["fc1.weight"], nn.Parameter)
    assert np.shares_memory(sd["fc1.weight"]._data, net.fc1.weight._data)
    assert sd["bn.num_batches_tracked"].dtype == torch.int64
    kept = net.state_dict(keep_vars=True)
    assert kept["fc1.weight"] is net.fc1.weight
    assert sd._metadata["bn"] == {"version": 2}


def test_load_state_dict_round_trip_in_place():
    a, b = Net(), Net()
    w_before = b.fc1.weight
    arr_before = b.fc1.weight._data
    version = b.fc1.weight._version.value
    result = b.load_state_dict(a.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b.fc1.weight is w_before and b.fc1.weight._data is arr_before  # copied in place
    assert b.fc1.weight._version.value == version + 1
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[k]._data, v._data)


def test_load_state_dict_numpy_and_scalars():
    lin = nn.Linear(2, 1)
    lin.load_state_dict({"weight": np.array([[1.0, 2.0]]), "bias": np.array([0.5])})
    assert lin.weight.tolist() == [[1.0, 2.0]] and lin.bias.tolist() == [0.5]
    assert lin.weight.dtype == torch.float32  # values cast into the parameter's dtype
    bn = nn.BatchNorm1d(2)
    bn.load_state_dict({**bn.state_dict(), "num_batches_tracked": np.array([7])})
    assert bn.num_batches_tracked.item() == 7  # 1-element into 0-d


def test_load_state_dict_errors_strict_and_non_strict():
    net = Net()
    sd = net.state_dict()
    del sd["fc2.bias"]
    sd["extra"] = torch.ones(1)
    sd["fc1.ghost"] = torch.ones(1)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    assert str(info.value) == (
        'Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: "fc2.bias". '
        '\n\tUnexpected key(s) in state_dict: "extra", "fc1.ghost". ')
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc2.bias"]
    assert result.unexpected_keys == ["extra", "fc1.ghost"]
    assert repr(result) == ("_IncompatibleKeys(missing_keys=['fc2.bias'], "
                            "unexpected_keys=['extra', 'fc1.ghost'])")


def test_load_state_dict_size_mismatch_message():
    net = Net()
    sd = net.state_dict()
    sd["fc1.weight"] = torch.zeros(5, 4)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd, strict=False)  # shape errors are raised even when not strict
    assert str(info.value) == (
        "Error(s) in loading state_dict for Net:\n\tsize mismatch for fc1.weight: copying a "
        "param with shape torch.Size([5, 4]) from checkpoint, the shape in current model is "
        "torch.Size([3, 4]).")
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        net.load_state_dict([1, 2])
    with pytest.raises(RuntimeError, match="expected torch.Tensor or Tensor-like object"):
        net.load_state_dict({**net.state_dict(), "fc1.bias": "oops"})


def test_load_state_dict_assign():
    lin = nn.Linear(2, 2)
    new = torch.ones(2, 2)
    lin.load_state_dict({"weight": new, "bias": torch.zeros(2)}, assign=True)
    assert lin.weight._data is new._data and isinstance(lin.weight, nn.Parameter)
    assert lin.weight.requires_grad


def test_batchnorm_old_checkpoint_without_counter():
    bn = nn.BatchNorm1d(2)
    sd = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    assert bn.load_state_dict(sd).missing_keys == []  # no _metadata: an old checkpoint


@requires_torch
def test_load_state_dict_from_torch_and_outputs_match():
    import torch as th

    th.manual_seed(0)
    tnet = th.nn.Sequential(th.nn.Linear(4, 3), th.nn.BatchNorm1d(3), th.nn.ReLU(),
                            th.nn.Linear(3, 2))
    tnet(th.randn(8, 4))  # moves the running statistics
    cnet = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))
    cnet.load_state_dict(tnet.state_dict())  # torch tensors, with requires_grad
    tnet.eval()
    cnet.eval()
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(cnet(torch.tensor(x))._data,
                               tnet(th.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    back = {k: th.tensor(v.numpy()) for k, v in cnet.state_dict().items()}
    tnet.load_state_dict(back)


# ---- modes, grads, casting -----------------------------------------------------------------------
def test_train_eval_propagate():
    net = Net()
    assert net.training and net.bn.training
    assert net.eval() is net
    assert not net.training and not net.bn.training and not net.fc1.training
    net.train()
    assert net.fc2.training


def test_zero_grad_and_requires_grad():
    net = Net()
    net(torch.randn(5, 4)).sum().backward()
    g = net.fc1.weight.grad
    net.zero_grad(set_to_none=False)
    assert net.fc1.weight.grad is g and float(g.abs().sum()) == 0.0
    net.zero_grad()
    assert net.fc1.weight.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    assert net.requires_grad_() is net and net.fc1.bias.requires_grad


def test_to_dtype_and_device():
    net = Net()
    w = net.fc1.weight
    net(torch.randn(3, 4)).sum().backward()
    assert net.double() is net
    assert net.fc1.weight is w and w.dtype == torch.float64
    assert w.grad.dtype == torch.float64
    assert net.bn.running_mean.dtype == torch.float64
    assert net.bn.num_batches_tracked.dtype == torch.int64  # integer buffers untouched
    assert net(torch.randn(3, 4, dtype=torch.float64)).dtype == torch.float64
    net.to(torch.float32)
    assert w.dtype == torch.float32
    net.half()
    assert w.dtype == torch.float16
    net.float()
    assert net.to("cpu") is net and net.to(torch.device("cpu"), torch.float64) is net
    assert w.dtype == torch.float64
    net.to(dtype=torch.float32)
    assert net.cpu() is net
    with pytest.raises(RuntimeError, match="CPU only"):
        net.to("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        net.cuda()
    with pytest.raises(TypeError, match="only accepts floating point"):
        net.to(torch.int64)
    net.type(torch.float64)
    assert net.bn.num_batches_tracked.dtype == torch.float64  # type() casts everything


# ---- hooks ---------------------------------------------------------------------------------------
def test_forward_pre_and_forward_hooks():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(tuple(out.shape)))
    h3 = lin.register_forward_hook(lambda m, args, out: out + 100)
    y = lin(torch.ones(3, 2))
    np.testing.assert_allclose(y._data, np.broadcast_to(lin.bias._data + 100, (3, 2)))
    assert calls == [(3, 2)]
    for h in (h1, h2, h3):
        h.remove()
    h1.remove()  # removing twice is harmless
    lin(torch.ones(1, 2))
    assert calls == [(3, 2)]


def test_hooks_with_kwargs_prepend_and_context_manager():
    class Scale(nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale

    m = Scale()
    order = []
    m.register_forward_hook(lambda mod, a, o: order.append("second"))
    m.register_forward_hook(lambda mod, a, o: order.append("first"), prepend=True)
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"scale": 3.0}),
                                with_kwargs=True)
    seen = {}
    m.register_forward_hook(lambda mod, a, kw, o: seen.update(kw), with_kwargs=True)
    assert m(torch.ones(1), scale=2.0).item() == 3.0
    assert order == ["first", "second"] and seen == {"scale": 3.0}
    with m.register_forward_hook(lambda mod, a, o: o * 0):
        assert m(torch.ones(1)).item() == 0.0
    assert m(torch.ones(1)).item() == 3.0


def test_always_call_hook_runs_on_exception():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    calls = []
    m = Boom()
    m.register_forward_hook(lambda mod, a, o: calls.append(o), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        m(torch.ones(1))
    assert calls == [None]


def test_full_backward_hook_values():
    lin = nn.Linear(3, 2)
    record = {}

    def hook(module, grad_input, grad_output):
        record["gi"], record["go"] = grad_input, grad_output

    lin.register_full_backward_hook(hook)
    x = torch.randn(4, 3, requires_grad=True)
    y = lin(x)
    (y * 2).sum().backward()
    assert len(record["gi"]) == 1 and len(record["go"]) == 1
    np.testing.assert_allclose(record["go"][0]._data, np.full((4, 2), 2.0))
    np.testing.assert_allclose(record["gi"][0]._data, x.grad._data)
    np.testing.assert_allclose(x.grad._data, np.full((4, 2), 2.0) @ lin.weight._data, rtol=1e-6)


def test_backward_hook_replaces_grad_input_and_pre_hook_grad_output():
    lin = nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0,))
    x = torch.randn(4, 3, requires_grad=True)
    lin(x).sum().backward()
    assert float(x.grad.abs().sum()) == 0.0
    assert float(lin.weight.grad.abs().sum()) > 0  # parameters are not affected

    lin2 = nn.Linear(3, 2)
    lin2.register_full_backward_pre_hook(lambda m, go: (go[0] * 0,))
    x2 = torch.randn(4, 3, requires_grad=True)
    lin2(x2).sum().backward()
    assert float(x2.grad.abs().sum()) == 0.0


def test_backward_hook_when_input_needs_no_grad():
    lin = nn.Linear(3, 2)
    got = []
    lin.register_backward_hook(lambda m, gi, go: got.append((gi, go[0].shape)))
    lin(torch.randn(4, 3)).sum().backward()
    assert got == [((None,), torch.Size([4, 2]))]
    assert lin.weight.grad is not None


@requires_torch
def test_full_backward_hook_matches_torch():
    import torch as th

    def run(lib, mod):
        rec = []
        mod.register_full_backward_hook(
            lambda m, gi, go: rec.append([None if g is None else np.array(g.detach().numpy())
                                          for g in (*gi, *go)]))
        x = lib.tensor(np.linspace(-1, 1, 12).reshape(4, 3), requires_grad=True)
        mod(x).pow(2).sum().backward()
        return rec[0]

    cr = nn.Sequential(nn.Linear(3, 3), nn.Tanh()).double()
    tm = th.nn.Sequential(th.nn.Linear(3, 3), th.nn.Tanh()).double()
    tm.load_state_dict({k: th.tensor(v.numpy()) for k, v in cr.state_dict().items()})
    for a, b in zip(run(chainrule, cr), run(th, tm)):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_global_forward_hook():
    from chainrule.nn.modules.module import register_module_forward_hook

    names = []
    h = register_module_forward_hook(lambda m, a, o: names.append(type(m).__name__))
    try:
        nn.Sequential(nn.Linear(2, 2), nn.ReLU())(torch.ones(1, 2))
    finally:
        h.remove()
    assert names == ["Linear", "ReLU", "Sequential"]
    nn.ReLU()(torch.ones(1))
    assert len(names) == 3


# ---- repr ----------------------------------------------------------------------------------------
def test_nested_repr_identical_to_pytorch():
    assert repr(Net()) == NET_REPR
    seq = nn.Sequential(nn.Conv2d(1, 6, 5) if hasattr(nn, "Conv2d") else nn.Identity(),
                        nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.25)))
    assert repr(seq).endswith("""  (1): Sequential(
    (0): Linear(in_features=2, out_features=2, bias=True)
    (1): Dropout(p=0.25, inplace=False)
  )
)""")

    class Custom(nn.Module):
        def extra_repr(self):
            return "a=1\nb=2"

    c = Custom()
    c.inner = nn.ReLU()
    assert repr(c) == "Custom(\n  a=1\n  b=2\n  (inner): ReLU()\n)"
    assert repr(nn.Module()) == "Module()"


# ---- Parameter -----------------------------------------------------------------------------------
def test_parameter_basics():
    p = nn.Parameter(torch.tensor([1.0, 2.0]))
    assert isinstance(p, torch.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert not nn.Parameter(torch.ones(1), requires_grad=False).requires_grad
    y = p * 2
    assert type(y) is torch.Tensor and y.grad_fn is not None
    assert type(p.detach()) is torch.Tensor
    data = torch.zeros(3)
    shared = nn.Parameter(data)
    assert shared._data is data._data  # shares memory
    assert nn.Parameter().shape == torch.Size([0])
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(torch.tensor([1, 2]))


def test_parameter_copy_and_pickle():
    p = nn.Parameter(torch.ones(2))
    p.grad = torch.ones(2)
    q = copy.deepcopy(p)
    assert isinstance(q, nn.Parameter) and q.requires_grad and q._data is not p._data
    r = pickle.loads(pickle.dumps(p))
    assert isinstance(r, nn.Parameter) and r.tolist() == [1.0, 1.0] and r.requires_grad


def test_module_deepcopy_and_pickle():
    net = Net()
    clone = copy.deepcopy(net)
    assert clone.fc1.weight is not net.fc1.weight
    np.testing.assert_array_equal(clone.fc1.weight._data, net.fc1.weight._data)
    x = torch.randn(3, 4)
    np.testing.assert_allclose(clone(x)._data, net(x)._data)
    restored = pickle.loads(pickle.dumps(net))
    assert repr(restored) == NET_REPR
    np.testing.assert_allclose(restored(x)._data, net(x)._data)


# ---- containers ----------------------------------------------------------------------------------
def test_sequential_indexing_and_mutation():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c and list(seq) == [a, b, c]
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    assert list(sub._modules) == ["1", "2"]  # PyTorch keeps the original names
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]
    assert seq(torch.ones(4, 2)).shape == torch.Size([4, 1])
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and isinstance(seq[3], nn.Sigmoid)
    seq.insert(0, nn.Identity())
    assert isinstance(seq[0], nn.Identity) and list(seq._modules) == ["0", "1", "2", "3", "4"]
    seq.extend([nn.Tanh()])
    popped = seq.pop(0)
    assert isinstance(popped, nn.Identity) and seq[0] is a
    del seq[-1]
    assert len(seq) == 4
    seq[1] = nn.ELU()
    assert isinstance(seq[1], nn.ELU)
    both = nn.Sequential(a) + nn.Sequential(c)
    assert list(both) == [a, c]
    assert len(nn.Sequential(b) * 3) == 3
    named = nn.Sequential(OrderedDict([("fc", a), ("act", b)]))
    assert named.fc is a and [n for n, _ in named.named_children()] == ["fc", "act"]
    assert nn.Sequential()(torch.ones(1)).tolist() == [1.0]


def test_module_list():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    layers.insert(1, nn.Sigmoid())
    assert [type(m).__name__ for m in layers] == ["Linear", "Sigmoid", "Linear", "Linear", "ReLU",
                                                  "Tanh"]
    assert isinstance(layers[1:3], nn.ModuleList) and layers[-1] is layers[5]
    del layers[1]
    assert list(layers._modules) == ["0", "1", "2", "3", "4"]
    assert repr(layers) == """ModuleList(
  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)
  (3): ReLU()
  (4): Tanh()
)"""
    assert repr(nn.ModuleList()) == "ModuleList()"
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
        layers.extend(3)
    layers += [nn.ReLU()]
    assert len(layers) == 6


def test_module_dict():
    d = nn.ModuleDict({"relu": nn.ReLU(), "tanh": nn.Tanh()})
    d["sig"] = nn.Sigmoid()
    assert list(d.keys()) == ["relu", "tanh", "sig"] and "tanh" in d and len(d) == 3
    assert isinstance(d.pop("relu"), nn.ReLU) and list(d) == ["tanh", "sig"]
    d.update([("elu", nn.ELU())])
    assert [type(v).__name__ for v in d.values()] == ["Tanh", "Sigmoid", "ELU"]
    assert repr(nn.ModuleDict({"a": nn.ReLU()})) == "ModuleDict(\n  (a): ReLU()\n)"
    d.clear()
    assert len(d) == 0


def test_parameter_list_and_dict():
    pl = nn.ParameterList([nn.Parameter(torch.ones(2, 3)), torch.zeros(2)])
    assert isinstance(pl[1], nn.Parameter) and len(list(pl.parameters())) == 2
    assert repr(pl) == ("ParameterList(\n    (0): Parameter containing: [torch.float32 of size "
                        "2x3]\n    (1): Parameter containing: [torch.float32 of size 2]\n)")
    assert repr(nn.ParameterList([nn.Parameter(torch.ones(2))])) == (
        "ParameterList(  (0): Parameter containing: [torch.float32 of size 2])")
    pl.append(torch.ones(1))
    assert len(pl) == 3 and [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        pl(1)
    pd = nn.ParameterDict({"b": torch.ones(1), "a": nn.Parameter(torch.zeros(2))})
    assert list(pd.keys()) == ["a", "b"]  # plain dicts are sorted, as in PyTorch
    pd["c"] = torch.ones(3)
    assert isinstance(pd["c"], nn.Parameter) and "c" in pd and len(pd) == 3
    assert repr(nn.ParameterDict({"a": nn.Parameter(torch.ones(2))})) == (
        "ParameterDict(  (a): Parameter containing: [torch.FloatTensor of size 2])")
    assert sorted(n for n, _ in pd.named_parameters()) == ["a", "b", "c"]
    assert pd.get("zzz") is None and pd.pop("c").shape == torch.Size([3])
    with pytest.raises(TypeError, match="not a string"):
        pd[1] = torch.ones(1)


def test_call_fast_path_is_forward():
    class Echo(nn.Module):
        def forward(self, *args, **kwargs):
            return args, kwargs

    assert Echo()(1, 2, k=3) == ((1, 2), {"k": 3})


def test_data_parallel_is_a_transparent_wrapper():
    inner = nn.Linear(3, 2)
    model = nn.DataParallel(inner)
    x = torch.randn(4, 3)
    np.testing.assert_array_equal(model(x)._data, inner(x)._data)
    assert list(model.state_dict()) == ["module.weight", "module.bias"]
    assert repr(model) == ("DataParallel(\n  (module): Linear(in_features=3, out_features=2, "
                           "bias=True)\n)")
