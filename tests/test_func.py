"""``chainrule.func``: grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian, vmap.

Closed forms and cross-checks between the modes run everywhere; the comparisons with
``torch.func`` run where PyTorch is installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import func as CF
from tests.helpers import requires_torch


def _t(*shape, seed=0):
    return cr.tensor(np.random.default_rng(seed).normal(size=shape))


def _close(a, b, rtol=1e-10, atol=1e-12):
    if isinstance(a, (tuple, list)):
        assert isinstance(b, (tuple, list)) and len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y, rtol, atol)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys()
        for k in a:
            _close(a[k], b[k], rtol, atol)
    else:
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(np.asarray(a.detach()), np.asarray(b.detach()), rtol=rtol,
                                   atol=atol)


def loss(w, x):
    return ((x @ w).tanh() ** 2).sum() + (w.exp() * w).sum()


# ---- closed forms and consistency ----------------------------------------------------------
def test_grad_closed_form_and_argnums():
    x, y = _t(3), _t(3, seed=1)
    g = CF.grad(lambda a, b: (a * a * b).sum())(x, y)
    _close(g, 2 * x * y)
    gx, gy = CF.grad(lambda a, b: (a * a * b).sum(), argnums=(0, 1))(x, y)
    _close(gx, 2 * x * y)
    _close(gy, x * x)
    assert not g.requires_grad
    _close(CF.grad(lambda a, b: (a * b).sum(), argnums=-1)(x, y), x)


def test_grad_pytrees_aux_and_value():
    params = {"w": _t(3, 2), "b": [_t(2, seed=1)]}
    x = _t(4, 3, seed=2)

    def model(p, inp):
        out = inp @ p["w"] + p["b"][0]
        return (out ** 2).mean(), out.detach()

    grads, aux = CF.grad(model, has_aux=True)(params, x)
    assert set(grads) == {"w", "b"} and isinstance(grads["b"], list)
    (gv, (value, aux2)) = CF.grad_and_value(model, has_aux=True)(params, x)
    _close(gv, grads)
    assert value.item() == pytest.approx(model(params, x)[0].item())
    _close(aux, aux2)


def test_grad_of_independent_output_is_zero():
    x = _t(3)
    _close(CF.grad(lambda a: cr.ones(3).sum() * 1.0)(x), cr.zeros(3, dtype=cr.float64))


def test_nested_second_derivatives_agree():
    w, x = _t(3, 2), _t(4, 3, seed=1)
    h_fr = CF.hessian(loss)(w, x)
    h_rr = CF.jacrev(CF.jacrev(loss))(w, x)
    h_ff = CF.jacfwd(CF.jacfwd(loss))(w, x)
    h_rf = CF.jacrev(CF.jacfwd(loss))(w, x)
    assert tuple(h_fr.shape) == (3, 2, 3, 2)
    for h in (h_rr, h_ff, h_rf):
        _close(h, h_fr, rtol=1e-9, atol=1e-10)
    assert CF.grad(CF.grad(lambda a: a ** 3))(cr.tensor(2.0)).item() == pytest.approx(12.0)


def test_closure_over_an_outer_input():
    # d/dx [ d/dy (x * y) at y = c ] = d/dx x = 1
    c = cr.tensor(3.0)
    outer = CF.grad(lambda x: CF.grad(lambda y: x * y)(c))(cr.tensor(2.0))
    assert outer.item() == pytest.approx(1.0)


def test_jacobians_modes_agree_with_structures():
    x, y = _t(2, 3), _t(3, seed=1)

    def fn(a, b):
        return {"prod": a @ b, "sum": (a.sin() * b).sum()}

    rev = CF.jacrev(fn, argnums=(0, 1))(x, y)
    fwd = CF.jacfwd(fn, argnums=(0, 1))(x, y)
    assert set(rev) == {"prod", "sum"} and len(rev["prod"]) == 2
    assert tuple(rev["prod"][0].shape) == (2, 2, 3) and tuple(rev["sum"][1].shape) == (3,)
    _close(rev, fwd)


def test_vjp_and_jvp_agree():
    x = _t(3, 2)
    out, vjp_fn = CF.vjp(lambda a: (a.exp() @ a.t(), a.sum()), x)
    v = (_t(3, 3, seed=1), cr.tensor(2.0, dtype=cr.float64))
    (g,) = vjp_fn(v)
    (g_again,) = vjp_fn(v)  # vjp_fn can be called again
    _close(g, g_again)
    t = _t(3, 2, seed=2)
    out2, jv = CF.jvp(lambda a: (a.exp() @ a.t(), a.sum()), (x,), (t,))
    _close(out, out2)
    lhs = float((v[0] * jv[0]).sum() + v[1] * jv[1])
    assert lhs == pytest.approx(float((g * t).sum()), rel=1e-10)


def test_jvp_has_aux_and_nested_in_forward_mode():
    x, t = _t(3), _t(3, seed=1)
    out, jv, aux = CF.jvp(lambda a: (a.sin(), "aux"), (x,), (t,), has_aux=True)
    _close(out, x.sin())
    assert aux == "aux"
    _close(jv, x.cos() * t)
    # jvp inside jacfwd: the double-backward path, differentiated forward
    jac = CF.jacfwd(lambda a: CF.jvp(lambda b: b.sin(), (a,), (t,))[1])(x)
    _close(jac, cr.diag(-x.sin() * t))


def test_vmap_in_out_dims_and_composition():
    xs, ys = _t(4, 3), _t(3, 4, seed=1)
    _close(CF.vmap(cr.dot, in_dims=(0, 1))(xs, ys), (xs * ys.t()).sum(1))
    w = _t(3)
    _close(CF.vmap(lambda a, b: a * b, in_dims=(0, None))(xs, w), xs * w)
    out = CF.vmap(lambda a: (a.sum(), a * 2), out_dims=(0, 1))(xs)
    assert tuple(out[0].shape) == (4,) and tuple(out[1].shape) == (3, 4)
    _close(CF.vmap(CF.vmap(lambda a: a * a))(xs), xs * xs)
    per_example = CF.vmap(CF.grad(lambda a: (a ** 3).sum()))(xs)
    _close(per_example, 3 * xs * xs)
    jac = CF.jacrev(CF.vmap(lambda a: a.sin()))(xs)
    assert tuple(jac.shape) == (4, 3, 4, 3)
    _close(CF.jacfwd(CF.vmap(lambda a: a.sin()))(xs), jac)
    d = {"a": xs, "b": w}
    _close(CF.vmap(lambda p: p["a"] + p["b"], in_dims=({"a": 0, "b": None},))(d), xs + w)


# ---- errors --------------------------------------------------------------------------------
def test_errors():
    x, y = _t(3), _t(3, seed=1)
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor, "
                                           "got tensor with 1 dims"):
        CF.grad(lambda a: a)(x)
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a Tensor, got"):
        CF.grad(lambda a: 1.0)(x)
    with pytest.raises(RuntimeError, match="Got argnum=2, but only 2 positional inputs"):
        CF.grad(lambda a, b: a.sum(), argnums=2)(x, y)
    with pytest.raises(RuntimeError, match="argnums elements must be unique"):
        CF.grad(lambda a, b: a.sum(), argnums=(0, 0))(x, y)
    with pytest.raises(RuntimeError, match="output of function f should be a tuple"):
        CF.grad(lambda a: a.sum(), has_aux=True)(x)
    with pytest.raises(ValueError, match="Thing passed to transform API must be Tensor"):
        CF.grad(lambda a: a)(3.0)
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype"):
        CF.grad(lambda a: a.sum())(cr.arange(3))
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        CF.jvp(lambda a: a, x, (x,))
    with pytest.raises(RuntimeError, match="same python structure"):
        CF.jvp(lambda a: a, (x,), (x, x))
    _, vjp_fn = CF.vjp(lambda a: (a, a), x)
    with pytest.raises(RuntimeError, match="Expected pytree structure of cotangents"):
        vjp_fn(x)
    with pytest.raises(ValueError, match="Expected all tensors to have the same size in the "
                                         "mapped dimension, got sizes \\[2, 3\\]"):
        CF.vmap(lambda a, b: a * b)(cr.ones(2, 3), cr.ones(3, 3))
    with pytest.raises(ValueError, match="Got in_dim=1 for some input, but that input is a "
                                         "Tensor of dimensionality 1"):
        CF.vmap(lambda a: a, in_dims=1)(cr.ones(2))
    with pytest.raises(ValueError, match="must only return Tensors"):
        CF.vmap(lambda a: 1.0)(cr.ones(2))
    with pytest.raises(ValueError, match="in_dims is not compatible with the structure"):
        CF.vmap(lambda a: a, in_dims=(0, 0))(cr.ones(2))


# ---- against torch.func --------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("transform", ["grad", "grad_argnums", "grad_and_value", "vjp", "jvp",
                                       "jacrev", "jacfwd", "hessian", "vmap", "vmap_grad",
                                       "jacfwd_jacfwd"])
def test_matches_torch_func(transform):
    import torch
    import torch.func as TF

    rng = np.random.default_rng(3)
    w_np, x_np, t_np = rng.normal(size=(3, 2)), rng.normal(size=(4, 3)), rng.normal(size=(3, 2))

    def run(lib, fn_mod):
        w, x, t = lib.tensor(w_np), lib.tensor(x_np), lib.tensor(t_np)
        if transform == "grad":
            return fn_mod.grad(loss)(w, x)
        if transform == "grad_argnums":
            return fn_mod.grad(loss, argnums=(0, 1))(w, x)
        if transform == "grad_and_value":
            return fn_mod.grad_and_value(loss)(w, x)
        if transform == "vjp":
            out, vjp_fn = fn_mod.vjp(lambda a: (x @ a).sin(), w)
            return out, vjp_fn(lib.ones(4, 2, dtype=lib.float64))
        if transform == "jvp":
            return fn_mod.jvp(lambda a: (x @ a).sin(), (w,), (t,))
        if transform == "jacrev":
            return fn_mod.jacrev(lambda a, b: (b @ a).tanh(), argnums=(0, 1))(w, x)
        if transform == "jacfwd":
            return fn_mod.jacfwd(lambda a: (x @ a).exp())(w)
        if transform == "hessian":
            return fn_mod.hessian(loss)(w, x)
        if transform == "vmap":
            return fn_mod.vmap(lambda r: (r @ w).softmax(0))(x)
        if transform == "vmap_grad":
            return fn_mod.vmap(fn_mod.grad(lambda r: (r @ w).exp().sum()))(x)
        return fn_mod.jacfwd(fn_mod.jacfwd(lambda a: (a @ a.t()).sin().sum()))(w)

    _close(run(cr, CF), run(torch, TF), rtol=1e-9, atol=1e-11)
