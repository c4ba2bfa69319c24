"""The optimised paths give the results of the unoptimised ones (to float32 rounding).

Each fast path added for speed (operator shortcuts, the engine's inline single-output case and
in-place accumulation, the full-sum method, small-gradient materialisation, the optimizers'
blocked / threaded / fused updates, the linear layer's GEMM layout) is run on random inputs
next to the general path it short-cuts, or next to a textbook NumPy formula.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as torch
from chainrule import _jit
from chainrule.optim import _foreach, _fused

RTOL, ATOL = 2e-6, 1e-6


def _rand(rng, *shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


# ---- operators and the engine ------------------------------------------------------------------
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
@pytest.mark.parametrize("other", ["tensor", "float", "int", "broadcast"])
def test_operator_fast_path_matches_function(op, other):
    rng = np.random.default_rng(0)
    a = torch.tensor(_rand(rng, 3, 4) + 3.0, requires_grad=True)
    if other == "tensor":
        b = torch.tensor(_rand(rng, 3, 4) + 3.0, requires_grad=True)
    elif other == "broadcast":
        b = torch.tensor(_rand(rng, 4) + 3.0, requires_grad=True)
    else:
        b = 2.5 if other == "float" else 3
    fast = {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
            "div": lambda: a / b}[op]()
    rev = {"add": lambda: b + a, "sub": lambda: b - a, "mul": lambda: b * a,
           "div": lambda: b / a}[op]()
    slow = getattr(torch, op)(a, b)
    slow_rev = getattr(torch, op)(b if isinstance(b, torch.Tensor) else torch.tensor(b), a)
    np.testing.assert_allclose(fast.detach().numpy(), slow.detach().numpy(), RTOL, ATOL)
    np.testing.assert_allclose(rev.detach().numpy(), slow_rev.detach().numpy(), RTOL, ATOL)
    assert fast.dtype == slow.dtype and fast.grad_fn is not None


def _mlp_graph(rng):
    x = torch.tensor(_rand(rng, 5, 6), requires_grad=True)
    w = torch.tensor(_rand(rng, 4, 6), requires_grad=True)
    b = torch.tensor(_rand(rng, 4), requires_grad=True)
    h = torch.nn.functional.linear(x, w, b).relu()
    loss = (h * h + h * 0.5 - x.sum() / 7).sum() + (h.exp() / (1 + h)).mean()
    return loss, (x, w, b)


def test_engine_fast_path_matches_general_path():
    """``backward()`` takes the inline paths; ``autograd.grad(inputs)`` the general one."""
    rng = np.random.default_rng(1)
    loss, leaves = _mlp_graph(rng)
    slow = torch.autograd.grad(loss, leaves, retain_graph=True)
    loss.backward()
    for leaf, g in zip(leaves, slow):
        np.testing.assert_allclose(leaf.grad.numpy(), g.numpy(), RTOL, ATOL)


def test_in_place_accumulation_matches_sum_of_gradients():
    rng = np.random.default_rng(2)
    loss, leaves = _mlp_graph(rng)
    once = [g.numpy().copy() for g in torch.autograd.grad(loss, leaves, retain_graph=True)]
    loss.backward(retain_graph=True)
    first = [leaf.grad for leaf in leaves]
    loss.backward()
    for leaf, g, buf in zip(leaves, once, first):
        assert leaf.grad is buf  # accumulated into the buffer it owns
        np.testing.assert_allclose(leaf.grad.numpy(), 2 * g, RTOL, ATOL)


def test_shared_gradient_array_is_not_adopted_twice():
    """``add`` sends one array to both inputs: each leaf must get its own buffer."""
    a = torch.ones(3, requires_grad=True)
    b = torch.ones(3, requires_grad=True)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    (a * 2).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), np.ones(3))
    np.testing.assert_allclose(a.grad.numpy(), np.full(3, 3.0))


def test_hooked_gradient_is_not_used_as_a_buffer():
    seen = []
    a = torch.ones(3, requires_grad=True)
    a.register_hook(lambda g: seen.append(g))
    (a * 2).sum().backward()
    (a * 2).sum().backward()
    np.testing.assert_allclose(seen[0].numpy(), np.full(3, 2.0))  # untouched by accumulation


def test_leaf_gradient_added_at_once_still_runs_hooks():
    """A leaf's only gradient goes straight into its ``.grad`` unless hooks need the general
    path; either way the sums are the same."""
    a = torch.ones(3, requires_grad=True)
    (a * 2).sum().backward()
    (a * 2).sum().backward()  # .grad exists: added in place as the gradient arrives
    np.testing.assert_allclose(a.grad.numpy(), np.full(3, 4.0))
    seen, after = [], []
    a.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    a.register_post_accumulate_grad_hook(lambda t: after.append(t.grad.numpy().copy()))
    (a * 2).sum().backward()
    np.testing.assert_allclose(seen[0], np.full(3, 2.0))
    np.testing.assert_allclose(after[0], np.full(3, 24.0))


def test_parameter_gradient_is_a_plain_tensor():
    """The adopted and the accumulated ``.grad`` of a Parameter are plain tensors, as in
    PyTorch."""
    p = torch.nn.Parameter(torch.ones(3))
    (p * 2).sum().backward()
    assert type(p.grad) is torch.Tensor
    (p * 2).sum().backward()
    assert type(p.grad) is torch.Tensor
    np.testing.assert_allclose(p.grad.numpy(), np.full(3, 4.0))


@pytest.mark.parametrize("classes", [10, 100])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_plain_path_matches_general_path(classes, reduction):
    """Plain class targets take ``_plain_forward``; unit class weights give the same loss
    through the general path. Double backward goes through both, too."""
    rng = np.random.default_rng(7)
    xs = _rand(rng, 16, classes) * 3
    y = torch.tensor(rng.integers(0, classes, 16))
    results = []
    for weight in (None, torch.ones(classes)):
        x = torch.tensor(xs, requires_grad=True)
        loss = torch.nn.functional.cross_entropy(x, y, weight=weight, reduction=reduction)
        (gx,) = torch.autograd.grad(loss, x, create_graph=True)
        (ggx,) = torch.autograd.grad((gx * gx).sum(), x)
        loss.backward()
        results.append((loss.item(), x.grad.numpy(), gx.detach().numpy(), ggx.numpy()))
    (plain, general) = results
    np.testing.assert_allclose(plain[0], general[0], RTOL, ATOL)
    for p, g in zip(plain[1:], general[1:]):
        np.testing.assert_allclose(p, g, RTOL, ATOL)


@pytest.mark.parametrize("shape", [(4,), (3, 5), (200, 300)])
def test_full_sum_method_matches_sum_function(shape):
    """``t.sum()`` skips the argument handling; small gradients are materialised, large
    ones broadcast views; both agree with ``torch.sum(t, dim)`` and double backward works."""
    rng = np.random.default_rng(3)
    x = torch.tensor(_rand(rng, *shape), requires_grad=True)
    fast = x.sum()
    slow = torch.sum(x, dim=tuple(range(len(shape))))
    np.testing.assert_allclose(fast.item(), slow.item(), rtol=1e-5)
    (gx,) = torch.autograd.grad(fast * fast, x, create_graph=True)
    np.testing.assert_allclose(gx.detach().numpy(), np.full(shape, 2 * fast.item()), rtol=1e-5)
    (ggx,) = torch.autograd.grad(gx.sum(), x)
    np.testing.assert_allclose(ggx.numpy(), np.full(shape, 2.0 * x.numel()), rtol=1e-5)
    fast.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.ones(shape))


# ---- linear ------------------------------------------------------------------------------------
@pytest.mark.parametrize("n, n_in, n_out", [(128, 784, 512), (3, 5, 2), (64, 16, 100)])
def test_linear_matches_matmul(n, n_in, n_out):
    rng = np.random.default_rng(4)
    x, w, b = _rand(rng, n, n_in), _rand(rng, n_out, n_in), _rand(rng, n_out)
    y = torch.nn.functional.linear(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b))
    assert y.is_contiguous()
    np.testing.assert_allclose(y.numpy(), x @ w.T + b, rtol=1e-4, atol=1e-4)


# ---- optimizers --------------------------------------------------------------------------------
def _reference(name, kw, theta, grads):
    """The textbook update in float64, step after step (PyTorch's formulas)."""
    theta = theta.astype(np.float64)
    lr, wd = kw.get("lr", 1e-3), kw.get("weight_decay", 0.0)
    state = {"m": np.zeros_like(theta), "v": np.zeros_like(theta), "b": None,
             "vmax": np.zeros_like(theta), "ga": np.zeros_like(theta)}
    for t, g in enumerate(grads, 1):
        g = g.astype(np.float64) * (-1 if kw.get("maximize") else 1)
        if name == "AdamW":
            theta = theta * (1 - lr * wd)
        elif wd:
            g = g + wd * theta
        if name == "SGD":
            mom = kw.get("momentum", 0.0)
            if mom:
                state["b"] = g.copy() if state["b"] is None else mom * state["b"] + g
                g = g + mom * state["b"] if kw.get("nesterov") else state["b"]
            theta = theta - lr * g
        elif name in ("Adam", "AdamW"):
            b1, b2 = 0.9, 0.999
            state["m"] = b1 * state["m"] + (1 - b1) * g
            state["v"] = b2 * state["v"] + (1 - b2) * g * g
            v = state["v"]
            if kw.get("amsgrad"):
                state["vmax"] = np.maximum(state["vmax"], v)
                v = state["vmax"]
            denom = np.sqrt(v) / np.sqrt(1 - b2 ** t) + 1e-8
            theta = theta - lr / (1 - b1 ** t) * state["m"] / denom
        else:  # RMSprop
            alpha = 0.99
            state["v"] = alpha * state["v"] + (1 - alpha) * g * g
            avg = state["v"]
            if kw.get("centered"):
                state["ga"] = alpha * state["ga"] + (1 - alpha) * g
                avg = avg - state["ga"] ** 2
            step = g / (np.sqrt(avg) + 1e-8)
            mom = kw.get("momentum", 0.0)
            if mom:
                state["b"] = step if state["b"] is None else mom * state["b"] + step
                step = state["b"]
            theta = theta - lr * step
    return theta


CONFIGS = [
    ("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "maximize": True}),
    ("Adam", {"lr": 1e-2}), ("Adam", {"lr": 1e-2, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 1e-2, "amsgrad": True}), ("AdamW", {"lr": 1e-2, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 1e-2}), ("RMSprop", {"lr": 1e-2, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 1e-2, "momentum": 0.9, "centered": True}),
]


@pytest.fixture(params=["numpy-1-thread", "numpy-2-threads", "fused-1-thread",
                        "fused-2-threads"])
def update_path(request, monkeypatch):
    """Force one of the optimizers' update paths."""
    if request.param.startswith("fused"):
        if _jit.load() is None:
            pytest.skip("Numba is not installed: no fused kernels")
        monkeypatch.setattr(_fused, "MIN_ELEMENTS", 0)
        monkeypatch.setattr(_fused.available, "__defaults__", (0,))
        # the (40, 60) parameter gets the parallel kernel, the two others share 2 threads
        monkeypatch.setattr(_fused, "PAR_ELEMENTS", 150)
    else:
        monkeypatch.setattr(_jit, "_numba", False)
        monkeypatch.setattr(_foreach, "_PAR_MIN", 1 if "2" in request.param else 1 << 60)
        monkeypatch.setattr(_foreach, "_PAR_BLOCK", 1000)
        monkeypatch.setattr(_foreach, "_BLOCK", 777)
    old = torch.get_num_threads()
    torch.set_num_threads(2 if "2" in request.param else 1)
    yield request.param
    torch.set_num_threads(old)


@pytest.mark.parametrize("name, kw", CONFIGS)
def test_optimizer_paths_match_reference(update_path, name, kw):
    rng = np.random.default_rng(5)
    shapes = [(40, 60), (60,), (7, 3, 5)]
    init = [_rand(rng, *s) for s in shapes]
    grads = [[_rand(rng, *s) for _ in range(4)] for s in shapes]
    params = [torch.tensor(p, requires_grad=True) for p in init]
    opt = getattr(torch.optim, name)(params, **kw)
    for step in range(4):
        for p, gs in zip(params, grads):
            p.grad = torch.tensor(gs[step])
        opt.step()
    for p, p0, gs in zip(params, init, grads):
        want = _reference(name, kw, p0, gs)
        np.testing.assert_allclose(p.detach().numpy(), want, rtol=1e-4, atol=1e-5)


def test_optimizer_non_contiguous_parameter_takes_the_whole_array_path():
    rng = np.random.default_rng(6)
    base = _rand(rng, 8, 6)
    p = torch.tensor(base, requires_grad=True)
    q = torch.tensor(base, requires_grad=True)
    p.data = torch.from_numpy(np.asfortranarray(base))  # same values, F-order layout
    for t in (p, q):
        t.grad = torch.ones(8, 6)
    torch.optim.Adam([p], lr=0.1).step()
    torch.optim.Adam([q], lr=0.1).step()
    np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), RTOL, ATOL)


# ---- DataLoader --------------------------------------------------------------------------------
def test_dataloader_batch_path_matches_per_sample_collate():
    from chainrule.utils.data import DataLoader, TensorDataset, default_collate

    rng = np.random.default_rng(7)
    ds = TensorDataset(torch.from_numpy(_rand(rng, 50, 3, 4)), torch.tensor(rng.integers(0, 9, 50)))
    gen_a, gen_b = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    fast = DataLoader(ds, batch_size=8, shuffle=True, generator=gen_a)
    slow = DataLoader(ds, batch_size=8, shuffle=True, generator=gen_b,
                      collate_fn=lambda batch: default_collate(batch))
    for (xa, ya), (xb, yb) in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(xa.numpy(), xb.numpy())
        np.testing.assert_array_equal(ya.numpy(), yb.numpy())


# ---- activations -------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(), (7,), (4, 3, 5)])
def test_relu_raw_backward_matches_differentiable_backward(shape):
    rng = np.random.default_rng(8)
    x = torch.tensor(_rand(rng, *shape), requires_grad=True)
    w = torch.tensor(_rand(rng, *shape))
    (slow,) = torch.autograd.grad((x.relu() * w).sum(), x, create_graph=True)
    (x.relu() * w).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), slow.detach().numpy())
