"""``chainrule.autograd.functional``: jacobian (both modes), hessian, vjp, jvp, hvp, vhp.

Values are checked against closed forms and finite differences; structures and values against
``torch.autograd.functional`` where PyTorch is installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import functional as AF
from tests.helpers import requires_torch


def _t(*shape, seed=0):
    return cr.tensor(np.random.default_rng(seed).normal(size=shape))


def f_single(x):
    return (x.sin() * x.exp()).sum(0) + x.prod(0)


def f_pair(x, y):
    return (x @ y).tanh(), (x * x).sum() + y.sum()


def f_scalar(x, y):
    return (x.exp() * y.sin().sum()).sum() + (x * x * y.sum()).sum()


def _np(x):
    return x.detach().numpy() if isinstance(x, cr.Tensor) else x


def _assert_tree_close(a, b, rtol=1e-10, atol=1e-12):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            _assert_tree_close(x, y, rtol, atol)
        return
    assert not isinstance(b, tuple)
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(_np(a), b.detach().numpy() if hasattr(b, "detach") else b,
                               rtol=rtol, atol=atol)


def _fd_jacobian(fn, x, eps=1e-6):
    """Central-difference Jacobian of ``fn`` (tensor -> tensor) at ``x``."""
    base = x.numpy()
    cols = []
    for k in range(base.size):
        e = np.zeros(base.size)
        e[k] = eps
        up = fn(cr.tensor(base + e.reshape(base.shape))).numpy()
        down = fn(cr.tensor(base - e.reshape(base.shape))).numpy()
        cols.append(((up - down) / (2 * eps)).reshape(-1))
    out_shape = fn(x).shape
    return np.stack(cols, -1).reshape(tuple(out_shape) + tuple(x.shape))


# ---- jacobian ------------------------------------------------------------------------------
@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_jacobian_single_against_differences(strategy):
    x = _t(3, 2)
    jac = AF.jacobian(f_single, x, strategy=strategy)
    assert isinstance(jac, cr.Tensor) and tuple(jac.shape) == (2, 3, 2)
    np.testing.assert_allclose(jac.numpy(), _fd_jacobian(f_single, x), rtol=1e-6, atol=1e-8)


def test_jacobian_modes_agree_on_tuples():
    x, y = _t(2, 3), _t(3, 2, seed=1)
    rev = AF.jacobian(f_pair, (x, y))
    fwd = AF.jacobian(f_pair, (x, y), strategy="forward-mode", vectorize=True)
    assert len(rev) == 2 and all(len(r) == 2 for r in rev)
    assert tuple(rev[0][1].shape) == (2, 2, 3, 2) and tuple(rev[1][0].shape) == (2, 3)
    _assert_tree_close(rev, fwd)


def test_jacobian_independent_output_and_strict():
    x, y = _t(2), _t(2, seed=1)

    def fn(a, b):
        return a * 2

    for strategy in ("reverse-mode", "forward-mode"):
        jac = AF.jacobian(fn, (x, y), strategy=strategy)
        assert np.all(jac[1].numpy() == 0) and np.allclose(jac[0].numpy(), 2 * np.eye(2))
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is "
                                           "independent of input 1"):
        AF.jacobian(fn, (x, y), strict=True)
    with pytest.raises(RuntimeError, match="`strict=True` and `strategy=\"forward-mode\"`"):
        AF.jacobian(fn, (x, y), strict=True, strategy="forward-mode")
    with pytest.raises(RuntimeError, match="`strict=True` and `vectorized=True`"):
        AF.jacobian(fn, (x, y), strict=True, vectorize=True)
    with pytest.raises(AssertionError, match="Expected strategy to be either"):
        AF.jacobian(fn, (x, y), strategy="sideways")


def test_jacobian_create_graph_is_differentiable():
    x = _t(3).requires_grad_()
    for strategy in ("reverse-mode", "forward-mode"):
        jac = AF.jacobian(lambda a: a ** 3, x, create_graph=True, strategy=strategy)
        assert jac.requires_grad
        (g,) = cr.autograd.grad(jac.sum(), x)
        np.testing.assert_allclose(g.numpy(), 6 * x.detach().numpy())
    assert not AF.jacobian(lambda a: a ** 3, x).requires_grad


def test_input_type_errors():
    with pytest.raises(TypeError, match="The inputs given to jacobian must be either a Tensor "
                                        "or a tuple of Tensors but the value at index 1"):
        AF.jacobian(lambda a, b: a, (cr.ones(2), 3.0))
    with pytest.raises(TypeError, match="outputs of the user-provided function given to vjp"):
        AF.vjp(lambda a: 1.0, cr.ones(2))


# ---- hessian -------------------------------------------------------------------------------
@pytest.mark.parametrize("outer", ["reverse-mode", "forward-mode"])
def test_hessian_against_differences(outer):
    x = _t(4)

    def fn(a):
        return (a.exp() * a.roll(1)).sum() + cr.logsumexp(a * a, 0) + a.softmax(0)[0]

    h = AF.hessian(fn, x, outer_jacobian_strategy=outer)

    def grad_of(a):
        a = a.detach().requires_grad_()
        return cr.autograd.grad(fn(a), a)[0]

    np.testing.assert_allclose(h.numpy(), _fd_jacobian(grad_of, x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(h.numpy(), h.numpy().T, rtol=1e-10)


def test_hessian_tuple_inputs_both_strategies():
    x, y = _t(2), _t(3, seed=1)
    rev = AF.hessian(f_scalar, (x, y))
    fwd = AF.hessian(f_scalar, (x, y), outer_jacobian_strategy="forward-mode")
    assert tuple(rev[0][1].shape) == (2, 3) and tuple(rev[1][0].shape) == (3, 2)
    _assert_tree_close(rev, fwd)
    with pytest.raises(RuntimeError, match="should return a single Tensor"):
        AF.hessian(lambda a: (a, a), x)
    with pytest.raises(RuntimeError, match="should contain a single element"):
        AF.hessian(lambda a: a * 2, x)


def test_hessian_strict_linear_function():
    with pytest.raises(RuntimeError, match="jacobian of the user-provided function with respect "
                                           "to input 0 is independent of the input"):
        AF.hessian(lambda a: a.sum() * 2, _t(2), strict=True)


# ---- products ------------------------------------------------------------------------------
def test_vjp_jvp_products():
    x = _t(3, 2)
    v_out = _t(2, seed=1)
    v_in = _t(3, 2, seed=2)
    jac = AF.jacobian(f_single, x).numpy()
    out, vjp = AF.vjp(f_single, x, v_out)
    np.testing.assert_allclose(out.numpy(), f_single(x).numpy())
    np.testing.assert_allclose(vjp.numpy(), np.einsum("o,oij->ij", v_out.numpy(), jac))
    _, jvp = AF.jvp(f_single, x, v_in)
    expected = np.einsum("oij,ij->o", jac, v_in.numpy())
    np.testing.assert_allclose(jvp.numpy(), expected, rtol=1e-10)
    _, jvp_strict = AF.jvp(f_single, x, v_in, strict=True)  # the double-backward trick
    np.testing.assert_allclose(jvp_strict.numpy(), expected, rtol=1e-10)


def test_jvp_create_graph_and_defaults():
    x = _t(1).requires_grad_()
    _, jvp = AF.jvp(lambda a: a.exp(), x, create_graph=True)  # v omitted: one element
    assert jvp.requires_grad
    (g,) = cr.autograd.grad(jvp.sum(), x)
    np.testing.assert_allclose(g.numpy(), np.exp(x.detach().numpy()))
    with pytest.raises(RuntimeError, match="The vector v can only be None if the input to the "
                                           "user-provided function is a single Tensor with a "
                                           "single element."):
        AF.jvp(lambda a: a, cr.ones(2))
    with pytest.raises(RuntimeError, match="v has invalid size: should be"):
        AF.jvp(lambda a: a, cr.ones(2), cr.ones(3))
    with pytest.raises(RuntimeError, match="v is a tuple of invalid length"):
        AF.vjp(lambda a: (a, a), cr.ones(2), (cr.ones(2),))


def test_hvp_vhp():
    x, y = _t(2), _t(3, seed=1)
    v = (_t(2, seed=2), _t(3, seed=3))
    h = AF.hessian(f_scalar, (x, y))
    hm = np.block([[h[0][0].numpy(), h[0][1].numpy()], [h[1][0].numpy(), h[1][1].numpy()]])
    vv = np.concatenate([v[0].numpy(), v[1].numpy()])
    out, hv = AF.hvp(f_scalar, (x, y), v)
    _, vh = AF.vhp(f_scalar, (x, y), v)
    np.testing.assert_allclose(np.concatenate([hv[0].numpy(), hv[1].numpy()]), hm @ vv)
    np.testing.assert_allclose(np.concatenate([vh[0].numpy(), vh[1].numpy()]), vv @ hm)
    assert out.item() == pytest.approx(f_scalar(x, y).item())
    with pytest.raises(RuntimeError, match="The function given to hvp should return a single "
                                           "Tensor"):
        AF.hvp(lambda a: (a.sum(), a.sum()), x, v[0])


def test_strict_modes():
    x = _t(2)
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not "
                                           "require gradients"):
        AF.vjp(lambda a: cr.ones(2), x, cr.ones(2), strict=True)
    _, res = AF.vjp(lambda a, b: a * 2, (x, _t(2)), cr.ones(2))
    assert np.all(res[1].numpy() == 0)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        AF.vjp(lambda a, b: a * 2, (x, _t(2)), cr.ones(2), strict=True)


# ---- against PyTorch -----------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("api", ["jacobian", "jacobian_fwd", "hessian", "hessian_fwd", "vjp",
                                 "jvp", "hvp", "vhp"])
def test_matches_torch(api):
    import torch
    import torch.autograd.functional as TF

    rng = np.random.default_rng(11)
    x, y = rng.normal(size=(2, 3)), rng.normal(size=(3, 2))
    vx, vy, vo = rng.normal(size=(2, 3)), rng.normal(size=(3, 2)), rng.normal(size=(2, 2))

    def run(lib, mod):
        X, Y = lib.tensor(x), lib.tensor(y)

        def pair(a, b):
            return (a @ b).tanh(), (a * a).sum() + b.exp().sum()

        def scalar(a, b):
            return ((a @ b).sin() ** 2).sum() + (a.exp() * a).sum() * b.sum()

        if api.startswith("jacobian"):
            fwd = api.endswith("fwd")
            return mod.jacobian(pair, (X, Y), vectorize=fwd,
                                strategy="forward-mode" if fwd else "reverse-mode")
        if api.startswith("hessian"):
            fwd = api.endswith("fwd")
            return mod.hessian(scalar, (X, Y), vectorize=fwd,
                               outer_jacobian_strategy="forward-mode" if fwd else "reverse-mode")
        if api == "vjp":
            return mod.vjp(lambda a: (a @ Y).exp(), X, lib.tensor(vo))
        if api == "jvp":
            return mod.jvp(pair, (X, Y), (lib.tensor(vx), lib.tensor(vy)))
        fn = mod.hvp if api == "hvp" else mod.vhp
        return fn(scalar, (X, Y), (lib.tensor(vx), lib.tensor(vy)))

    def tuples(tree):  # PyTorch's forward-mode jacobian nests lists where it means tuples
        return tuple(tuples(t) for t in tree) if isinstance(tree, (list, tuple)) else tree

    _assert_tree_close(run(cr, AF), tuples(run(torch, TF)), rtol=1e-9, atol=1e-11)
