"""Optimizers: trajectories against plain NumPy references of the documented algorithms and
against PyTorch, state dicts, parameter groups, hyper-parameter errors and the base class API.

The objective is fixed: a (mild) Rosenbrock function of a 2-vector and a diagonal quadratic of
a 3x4 matrix, whose gradients are computed in NumPy from the current values, so no autograd op
is needed. A third parameter never receives a gradient and must stay untouched.
"""

from __future__ import annotations

import copy
import math
import re

import numpy as np
import pytest

import chainrule
from chainrule import optim
from chainrule.optim import Optimizer

STEPS = 20
_A = np.linspace(0.5, 3.0, 12).reshape(3, 4)
_B = np.linspace(-1.0, 1.0, 12).reshape(3, 4)


def _init():
    return [np.array([-0.5, 0.8]), np.linspace(-1.0, 1.5, 12).reshape(3, 4), np.ones(3)]


def _grads(x, w):
    """Gradients of (1 - x0)^2 + 5 (x1 - x0^2)^2 and of 0.5 sum(A w^2) + sum(B w)."""
    gx = np.array([-2 * (1 - x[0]) - 20 * x[0] * (x[1] - x[0] ** 2), 10 * (x[1] - x[0] ** 2)])
    return [gx, _A * w + _B]


def _groups(params, lrs):
    """One group for x and w, or a group each when two lrs are given (the frozen third
    parameter goes in the last group)."""
    if lrs is None:
        return params
    return [{"params": [params[0]], "lr": lrs[0]}, {"params": params[1:], "lr": lrs[1]}]


def run_chainrule(cls, kwargs, dtype=np.float64, steps=STEPS, lrs=None):
    params = [chainrule.tensor(a.astype(dtype), requires_grad=True) for a in _init()]
    opt = cls(_groups(params, lrs), **kwargs)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        for p, g in zip(params, _grads(params[0]._data, params[1]._data)):
            p.grad = chainrule.tensor(g.astype(dtype))
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history, params, opt


def run_torch(name, kwargs, dtype, steps=STEPS, lrs=None):
    torch = pytest.importorskip("torch")
    tdtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    params = [torch.tensor(a, dtype=tdtype, requires_grad=True) for a in _init()]
    opt = getattr(torch.optim, name)(_groups(params, lrs), **kwargs)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        arrays = [p.detach().numpy() for p in params]
        for p, g in zip(params, _grads(arrays[0], arrays[1])):
            p.grad = torch.tensor(g.astype(dtype))
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


# ---- plain NumPy references of the documented algorithms (float64, one step per call) -------
def ref_sgd(p, g, st, t, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
            maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    if momentum:
        st["b"] = g.copy() if t == 1 else momentum * st["b"] + (1 - dampening) * g
        g = g + momentum * st["b"] if nesterov else st["b"]
    return p - lr * g


def ref_adam(p, g, st, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
             maximize=False, decoupled_weight_decay=False):
    b1, b2 = betas
    g = -g if maximize else g
    if decoupled_weight_decay:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0) + (1 - b2) * g * g
    v = st["v"]
    if amsgrad:
        v = st["vmax"] = np.maximum(st.get("vmax", 0), v)
    m_hat = st["m"] / (1 - b1 ** t)
    return p - lr * m_hat / (np.sqrt(v) / math.sqrt(1 - b2 ** t) + eps)


def ref_adamw(p, g, st, t, lr, weight_decay=1e-2, **kw):
    return ref_adam(p, g, st, t, lr, weight_decay=weight_decay, decoupled_weight_decay=True,
                    **kw)


def ref_adagrad(p, g, st, t, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                eps=1e-10, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    st["s"] = st.get("s", initial_accumulator_value) + g * g
    return p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(st["s"]) + eps)


def ref_rmsprop(p, g, st, t, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                centered=False, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    st["v"] = alpha * st.get("v", 0) + (1 - alpha) * g * g
    if centered:
        st["a"] = alpha * st.get("a", 0) + (1 - alpha) * g
        den = np.sqrt(st["v"] - st["a"] ** 2) + eps
    else:
        den = np.sqrt(st["v"]) + eps
    if momentum > 0:
        st["b"] = momentum * st.get("b", 0) + g / den
        return p - lr * st["b"]
    return p - lr * g / den


def ref_adamax(p, g, st, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
               maximize=False):
    b1, b2 = betas
    g = -g if maximize else g
    g = g + weight_decay * p
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["u"] = np.maximum(b2 * st.get("u", 0), np.abs(g) + eps)
    return p - lr / (1 - b1 ** t) * st["m"] / st["u"]


def ref_nadam(p, g, st, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    g = -g if maximize else g
    if decoupled_weight_decay:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p

    def mu(k):
        return b1 * (1 - 0.5 * 0.96 ** (k * momentum_decay))

    st["prod"] = st.get("prod", 1.0) * mu(t)
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0) + (1 - b2) * g * g
    den = np.sqrt(st["v"] / (1 - b2 ** t)) + eps
    return (p - lr * (1 - mu(t)) / (1 - st["prod"]) * g / den
            - lr * mu(t + 1) / (1 - st["prod"] * mu(t + 1)) * st["m"] / den)


def ref_adadelta(p, g, st, t, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    st["v"] = rho * st.get("v", 0) + (1 - rho) * g * g
    delta = np.sqrt(st.get("u", 0) + eps) / np.sqrt(st["v"] + eps) * g
    st["u"] = rho * st.get("u", 0) + (1 - rho) * delta * delta
    return p - lr * delta


REFS = {"SGD": ref_sgd, "Adam": ref_adam, "AdamW": ref_adamw, "Adagrad": ref_adagrad,
        "RMSprop": ref_rmsprop, "Adamax": ref_adamax, "NAdam": ref_nadam,
        "Adadelta": ref_adadelta}


def run_reference(name, kwargs, steps=STEPS):
    kwargs = dict(kwargs)
    lr = kwargs.pop("lr")
    params = [a.copy() for a in _init()]
    states = [{}, {}]
    history = []
    for t in range(1, steps + 1):
        grads = _grads(params[0], params[1])
        for i in range(2):
            params[i] = REFS[name](params[i], grads[i], states[i], t, lr, **kwargs)
        history.append([a.copy() for a in params])
    return history


CASES = [
    ("SGD", {"lr": 0.01}),
    ("SGD", {"lr": 0.01, "momentum": 0.9}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.01, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.005, "momentum": 0.5, "maximize": True}),
    ("SGD", {"lr": 0.002, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1,
             "maximize": True}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "maximize": True}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-3, "amsgrad": True,
              "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("Adam", {"lr": 0.05, "betas": (0.3, 0.9)}),  # lerp's weight >= 0.5 branch
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.2, "amsgrad": True}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.2, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-3, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "maximize": True}),
    ("Adamax", {"lr": 0.05}),
    ("Adamax", {"lr": 0.05, "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {"lr": 0.05}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True,
               "momentum_decay": 1e-2}),
    ("NAdam", {"lr": 0.05, "maximize": True}),
    ("Adadelta", {"lr": 1.0}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1}),
    ("Adadelta", {"lr": 1.0, "maximize": True}),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, kw in CASES]


def _assert_history(got, expected, rtol, atol):
    for step, (g_step, e_step) in enumerate(zip(got, expected)):
        for g, e in zip(g_step, e_step):
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, err_msg=f"step {step + 1}")


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_trajectory_matches_documented_algorithm(name, kwargs):
    history, params, _ = run_chainrule(getattr(optim, name), kwargs)
    # NAdam keeps its momentum product in float32 (PyTorch's state), the reference in float64
    rtol, atol = (1e-6, 1e-8) if name == "NAdam" else (1e-9, 1e-12)
    _assert_history([h[:2] for h in history], run_reference(name, kwargs), rtol, atol)
    np.testing.assert_array_equal(params[2]._data, np.ones(3))  # never had a gradient


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_trajectory_matches_torch(name, kwargs, dtype):
    expected = run_torch(name, kwargs, dtype)
    history, params, opt = run_chainrule(getattr(optim, name), kwargs, dtype)
    rtol, atol = (1e-12, 1e-14) if dtype == np.float64 else (2e-5, 1e-6)
    _assert_history(history, expected, rtol, atol)
    assert all(p._data.dtype == dtype for p in params)
    for state in opt.state.values():
        for key, value in state.items():
            if key not in ("step", "mu_product"):
                assert value._data.dtype == dtype, key


@pytest.mark.parametrize("name,kwargs", [CASES[1], CASES[8], CASES[23], CASES[29]],
                         ids=[IDS[1], IDS[8], IDS[23], IDS[29]])
def test_param_groups_with_different_lrs_match_torch(name, kwargs):
    kwargs = {k: v for k, v in kwargs.items() if k != "lr"}
    lrs = (0.002, 0.03)
    expected = run_torch(name, kwargs, np.float64, lrs=lrs)
    history, _, opt = run_chainrule(getattr(optim, name), kwargs, lrs=lrs)
    _assert_history(history, expected, 1e-12, 1e-14)
    assert [g["lr"] for g in opt.param_groups] == list(lrs)


@pytest.mark.parametrize("name,kwargs", CASES[::3], ids=IDS[::3])
def test_state_dict_round_trip_continues_identically(name, kwargs):
    cls = getattr(optim, name)
    _, params, opt = run_chainrule(cls, kwargs, np.float32, steps=7)
    saved = copy.deepcopy(opt.state_dict())
    clones = [chainrule.tensor(p._data.copy(), requires_grad=True) for p in params]
    other = cls(clones, **{**kwargs, "lr": 123.0})  # the loaded groups restore the lr
    other.load_state_dict(saved)
    assert other.param_groups[0]["lr"] == kwargs["lr"]
    for _ in range(5):
        grads = _grads(params[0]._data, params[1]._data)
        for group in (params, clones):
            for p, g in zip(group, grads):
                p.grad = chainrule.tensor(g.astype(np.float32))
        opt.step()
        other.step()
    for p, q in zip(params, clones):
        np.testing.assert_array_equal(p._data, q._data)


def test_state_dict_structure():
    p, q = (chainrule.tensor(np.ones(2), requires_grad=True) for _ in range(2))
    opt = optim.Adam([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=0.1, amsgrad=True)
    p.grad = chainrule.tensor(np.ones(2))
    opt.step()
    sd = opt.state_dict()
    assert list(sd) == ["state", "param_groups"]
    assert list(sd["state"]) == [0]  # q had no gradient: no state
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert isinstance(sd["state"][0]["exp_avg"], chainrule.Tensor)
    assert float(sd["state"][0]["step"]) == 1.0
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert [g["lr"] for g in sd["param_groups"]] == [0.1, 0.5]
    assert sd["param_groups"][0]["betas"] == (0.9, 0.999)


@pytest.mark.parametrize("name,kwargs", [c for c in CASES if c[0] != "SGD" or
                                         c[1].get("momentum")][::2])
def test_state_dict_keys_match_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    ours = chainrule.tensor(np.ones(3, np.float32), requires_grad=True)
    theirs = torch.ones(3, requires_grad=True)
    o1, o2 = getattr(optim, name)([ours], **kwargs), getattr(torch.optim, name)([theirs],
                                                                                  **kwargs)
    ours.grad, theirs.grad = chainrule.tensor(np.ones(3, np.float32)), torch.ones(3)
    o1.step()
    o2.step()
    s1, s2 = o1.state_dict(), o2.state_dict()
    assert set(s1["state"][0]) == set(s2["state"][0])
    assert set(s1["param_groups"][0]) == set(s2["param_groups"][0])
    for key, value in s2["state"][0].items():
        np.testing.assert_allclose(s1["state"][0][key]._data, value.numpy(), rtol=1e-6)


def test_load_state_dict_errors_and_casting():
    p = chainrule.tensor(np.ones(2, np.float32), requires_grad=True)
    q = chainrule.tensor(np.ones(3, np.float32), requires_grad=True)
    opt = optim.SGD([p, q], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": [{"params": [0]}, {"params": [1]}]})
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict({"state": {}, "param_groups": [{"params": [0]}]})
    saved = {"state": {1: {"momentum_buffer": chainrule.tensor(np.full(3, 2.0))}},
             "param_groups": [dict(opt.state_dict()["param_groups"][0], lr=0.5)]}
    opt.load_state_dict(saved)
    buf = opt.state[q]["momentum_buffer"]
    assert buf._data.dtype == np.float32  # cast to the parameter's dtype
    assert buf._data is not saved["state"][1]["momentum_buffer"]._data
    assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[0]["params"][1] is q


# ---- hyper-parameter validation ------------------------------------------------------------
ERRORS = [
    ("SGD", {"lr": -0.1}, "Invalid learning rate: -0.1"),
    ("SGD", {"momentum": -0.5}, "Invalid momentum value: -0.5"),
    ("SGD", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("SGD", {"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
     "Nesterov momentum requires a momentum and zero dampening"),
    ("Adam", {"lr": -0.1}, "Invalid learning rate: -0.1"),
    ("Adam", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ("Adam", {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
    ("Adam", {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
    ("Adam", {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
    ("AdamW", {"betas": (0.9, 1.5)}, "Invalid beta parameter at index 1: 1.5"),
    ("Adagrad", {"lr_decay": -0.5}, "Invalid lr_decay value: -0.5"),
    ("Adagrad", {"initial_accumulator_value": -1.0},
     "Invalid initial_accumulator_value value: -1.0"),
    ("RMSprop", {"alpha": -0.5}, "Invalid alpha value: -0.5"),
    ("RMSprop", {"momentum": -0.5}, "Invalid momentum value: -0.5"),
    ("Adamax", {"betas": (-0.1, 0.9)}, "Invalid beta parameter at index 0: -0.1"),
    ("NAdam", {"momentum_decay": -0.1}, "Invalid momentum_decay value: -0.1"),
    ("Adadelta", {"rho": 1.5}, "Invalid rho value: 1.5"),
    ("Adadelta", {"eps": -1e-3}, "Invalid epsilon value: -0.001"),
]


@pytest.mark.parametrize("name,kwargs,message", ERRORS)
def test_hyper_parameter_errors(name, kwargs, message):
    p = chainrule.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        getattr(optim, name)([p], **kwargs)


@pytest.mark.parametrize("name,kwargs,message", ERRORS)
def test_hyper_parameter_errors_match_torch(name, kwargs, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as info:
        getattr(torch.optim, name)([torch.ones(1, requires_grad=True)], **kwargs)
    assert str(info.value) == message


def test_parameter_errors():
    p = chainrule.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got "
                                        "torch.FloatTensor"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {p}}], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors, but one of the params is "
                                        "int"):
        optim.SGD([p, 3], lr=0.1)
    nonleaf = chainrule.tensor([1.0], requires_grad=True) * 2.0
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([nonleaf], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter "
                                         "group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": p})
    with pytest.raises(NotImplementedError, match="differentiable"):
        optim.Adam([p], differentiable=True)
    from chainrule.optim.optimizer import required

    class NeedsLr(Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": required})

    with pytest.raises(ValueError, match="required optimization parameter lr"):
        NeedsLr([p])


def test_frozen_parameter_is_accepted_and_skipped():
    frozen = chainrule.tensor([1.0, 2.0])  # requires_grad=False, as PyTorch allows
    live = chainrule.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([frozen, live], lr=0.1)
    live.grad = chainrule.tensor([1.0, 1.0])
    opt.step()
    assert frozen.tolist() == [1.0, 2.0] and frozen not in opt.state
    assert live.tolist() != [1.0, 2.0]


# ---- base-class behaviour ------------------------------------------------------------------
def test_add_param_group_fills_defaults():
    p, q = (chainrule.tensor([1.0], requires_grad=True) for _ in range(2))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [q], "lr": 0.01})
    group = opt.param_groups[1]
    assert group["lr"] == 0.01 and group["momentum"] == 0.9 and group["params"] == [q]
    assert "Parameter Group 1" in repr(opt) and "momentum: 0.9" in repr(opt)


def test_named_parameters_are_accepted():
    p = chainrule.tensor([1.0], requires_grad=True)
    opt = optim.SGD([("weight", p)], lr=0.1)
    assert opt.param_groups[0]["params"] == [p]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight"]


def test_zero_grad():
    p = chainrule.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = chainrule.tensor([3.0, 4.0])
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_step_with_closure_runs_with_grad_enabled():
    p = chainrule.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.5)
    seen = []

    def closure():
        seen.append(chainrule.is_grad_enabled())
        opt.zero_grad()
        p.grad = chainrule.tensor([1.0, 1.0])
        return 42.0

    with chainrule.no_grad():
        assert opt.step(closure) == 42.0
    assert seen == [True] and p.tolist() == [0.5, 1.5]
    assert opt.step() is None


def test_in_place_update_bumps_version_and_keeps_identity():
    p = chainrule.tensor(np.ones(4, np.float32), requires_grad=True)
    data = p._data
    opt = optim.Adam([p], lr=0.1)
    version = p._version.value
    p.grad = chainrule.tensor(np.ones(4, np.float32))
    opt.step()
    assert p._data is data and p._data.dtype == np.float32
    assert p._version.value > version and not p.grad.requires_grad


def test_step_hooks():
    p = chainrule.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o is opt)))
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o is opt)))
    opt.step()
    pre.remove()
    opt.step()
    assert calls == [("pre", True), ("post", True), ("post", True)]


def test_pytorch_style_subclass_with_its_own_step():
    class PlainSGD(Optimizer):
        def __init__(self, params, lr):
            super().__init__(params, {"lr": lr})

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p._data -= group["lr"] * p.grad._data
                        self.state[p]["n"] = self.state[p].get("n", 0) + 1

    p = chainrule.tensor([1.0], requires_grad=True)
    opt = PlainSGD([p], lr=0.5)
    hits = []
    opt.register_step_post_hook(lambda *a: hits.append(1))
    p.grad = chainrule.tensor([1.0])
    opt.step()
    assert p.tolist() == [0.5] and hits == [1] and opt.state_dict()["state"] == {0: {"n": 1}}


def test_scheduler_can_drive_tensor_free_hyper_parameters():
    """Hyper-parameters are re-read at every step, so changing a group's values takes effect."""
    p = chainrule.tensor([0.0], requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    p.grad = chainrule.tensor([1.0])
    opt.step()
    opt.param_groups[0]["lr"] = 0.25
    opt.step()
    assert p.tolist() == [-1.25]


def test_adagrad_state_is_created_eagerly():
    p = chainrule.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adagrad([p], initial_accumulator_value=0.25)
    assert opt.state[p]["sum"].tolist() == [0.25, 0.25]
    assert float(opt.state[p]["step"]) == 0.0


def test_deepcopy_of_optimizer():
    p = chainrule.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = chainrule.tensor([1.0])
    opt.step()
    clone = copy.deepcopy(opt)
    assert clone.param_groups[0]["lr"] == 0.1 and len(clone.state) == 1
    clone.step()  # hooks dictionaries are restored


@pytest.mark.parametrize("name,kwargs", CASES[1::2], ids=IDS[1::2])
def test_large_and_non_contiguous_parameters(name, kwargs):
    """Large parameters are updated block by block and non-contiguous ones whole: both must
    follow the reference exactly like small ones."""
    rng = np.random.default_rng(0)
    shapes = [(3, 20001), (60, 40)]  # > 2 blocks with a ragged last one; non-contiguous
    scales = [rng.uniform(0.5, 2.0, s) for s in shapes]
    start = [rng.standard_normal(s) for s in shapes]
    params = [chainrule.tensor(start[0], requires_grad=True),
              chainrule.from_numpy(np.asfortranarray(start[1])).requires_grad_()]
    assert not params[1]._data.flags.c_contiguous
    opt = getattr(optim, name)(params, **kwargs)
    ref = [a.copy() for a in start]
    states = [{}, {}]
    ref_kwargs = {k: v for k, v in kwargs.items() if k != "lr"}
    for t in range(1, 6):
        for i, p in enumerate(params):
            p.grad = chainrule.tensor(scales[i] * p._data)
            ref[i] = REFS[name](ref[i], scales[i] * ref[i], states[i], t, kwargs["lr"],
                                **ref_kwargs)
        opt.step()
    rtol, atol = (1e-6, 1e-8) if name == "NAdam" else (1e-10, 1e-12)  # float32 mu_product
    for p, r in zip(params, ref):
        np.testing.assert_allclose(p._data, r, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name,kwargs", [("SGD", {"lr": 0.1, "momentum": 0.9}),
                                         ("Adam", {"lr": 0.01, "amsgrad": True})])
def test_training_an_nn_model_matches_torch(name, kwargs):
    """The ordinary loop (zero_grad, forward, backward, step, scheduler.step) on an nn model
    with nn.Parameter weights follows PyTorch's trajectory from the same weights and data."""
    torch = pytest.importorskip("torch")
    nn = pytest.importorskip("chainrule.nn")
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    with chainrule.no_grad():
        for p, q in zip(model.parameters(), ref.parameters()):
            p._data[...] = q.detach().numpy()
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 4), np.float32), rng.standard_normal((16, 2), np.float32)
    runs = []
    for lib, net in ((chainrule, model), (torch, ref)):
        opt = getattr(lib.optim, name)(net.parameters(), **kwargs)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        for _ in range(10):
            opt.zero_grad()
            loss = lib.nn.functional.mse_loss(net(lib.tensor(x)), lib.tensor(y))
            loss.backward()
            opt.step()
            sched.step()
        runs.append([p.detach().numpy().copy() for p in net.parameters()])
    for ours, theirs in zip(*runs):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_load_state_dict_accepts_numbers_for_step():
    p = chainrule.tensor(np.ones(2, np.float32), requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    p.grad = chainrule.tensor(np.ones(2, np.float32))
    opt.step()
    saved = copy.deepcopy(opt.state_dict())
    saved["state"][0]["step"] = 1  # as old PyTorch checkpoints store it
    other = optim.Adam([chainrule.tensor(np.ones(2, np.float32), requires_grad=True)], lr=0.1)
    other.load_state_dict(saved)
    assert isinstance(other.state_dict()["state"][0]["step"], chainrule.Tensor)
    other.param_groups[0]["params"][0].grad = chainrule.tensor(np.ones(2, np.float32))
    other.step()
    assert float(other.state_dict()["state"][0]["step"]) == 2.0
