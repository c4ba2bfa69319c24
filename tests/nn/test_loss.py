"""Losses: forward against NumPy formulas and PyTorch, gradcheck and gradgradcheck in float64
for every reduction and option, the fast and the double-backward paths, error messages, and the
loss modules (repr, buffers, legacy arguments)."""

import warnings

import numpy as np
import pytest

import chainrule as torch
import chainrule.nn.functional as F
from chainrule import nn
from tests.helpers import assert_close, check_grad, compare_with_torch

REDUCTIONS = ["none", "mean", "sum"]
RNG = np.random.default_rng(0)


def _reduce(loss, reduction):
    return {"none": loss, "mean": np.mean(loss), "sum": np.sum(loss)}[reduction]


def _t(a, grad=False):
    return torch.tensor(a, requires_grad=grad)


def _const(lib, v):
    return lib.tensor(v) if isinstance(v, np.ndarray) else v


def vs_torch(name, *arrays, consts=(), **kw):
    """Compare ``F.name(*arrays, *consts, **kw)`` with PyTorch's, outputs and gradients of the
    float arrays; arrays in ``consts`` and ``kw`` are passed as constant tensors."""
    th = pytest.importorskip("torch")

    def ours(*a):
        return getattr(F, name)(*a, *[_const(torch, c) for c in consts],
                                **{k: _const(torch, v) for k, v in kw.items()})

    def theirs(*a):
        return getattr(th.nn.functional, name)(*a, *[_const(th, c) for c in consts],
                                               **{k: _const(th, v) for k, v in kw.items()})

    compare_with_torch(ours, theirs, *arrays)


def grad_ok(name, *arrays, consts=(), **kw):
    """gradcheck and gradgradcheck ``F.name`` in the float arrays (the others are constants)."""
    fn = getattr(F, name)
    cs = [_const(torch, c) for c in consts]
    kws = {k: _const(torch, v) for k, v in kw.items()}
    check_grad(lambda *a: fn(*a, *cs, **kws), *arrays)


# ---- NumPy references -------------------------------------------------------------------------
def np_log_softmax(x, axis):
    z = x - x.max(axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis, keepdims=True))


def np_cross_entropy(x, t, w=None, ignore_index=-100, reduction="mean", ls=0.0, nll=False):
    cdim = 0 if x.ndim == 1 else 1
    n_classes = x.shape[cdim]
    lp = x if nll else np_log_softmax(x, cdim)
    lp2 = np.moveaxis(lp[None] if x.ndim == 1 else lp, 1, -1).reshape(-1, n_classes)
    tf = np.asarray(t).reshape(-1)
    w = np.ones(n_classes) if w is None else w
    valid = tf != ignore_index
    ts = np.where(valid, tf, 0)
    loss = -lp2[np.arange(tf.size), ts] * w[ts] * valid
    if ls:
        loss = (1 - ls) * loss - ls / n_classes * (lp2 * w).sum(1) * valid
    if reduction == "none":
        return loss.reshape(np.shape(t))
    return loss.sum() / ((w[ts] * valid).sum() if reduction == "mean" else 1.0)


def np_soft_cross_entropy(x, p, w=None, reduction="mean", ls=0.0):
    cdim = 0 if x.ndim == 1 else 1
    n_classes = x.shape[cdim]
    q = p * (1 - ls) + ls / n_classes
    if w is not None:
        q = q * w.reshape((-1,) + (1,) * (x.ndim - 1 - cdim))
    loss = -(np_log_softmax(x, cdim) * q).sum(cdim)
    if reduction == "mean":
        return loss.sum() / (x.size / n_classes)
    return _reduce(loss, reduction)


# ---- cross_entropy / nll_loss -----------------------------------------------------------------
CLASS_CASES = [((6, 4), (6,)), ((4,), ()), ((2, 3, 4), (2, 4)), ((2, 3, 2, 2), (2, 2, 2)),
               ((2, 3, 2, 1, 2), (2, 2, 1, 2))]


def _class_case(shape, tshape, ignore=True):
    x = RNG.standard_normal(shape)
    n_classes = shape[0] if len(shape) == 1 else shape[1]
    t = RNG.integers(0, n_classes, tshape)
    if ignore and t.size > 1:
        t.flat[1] = -100
    return x, t, RNG.uniform(0.5, 2.0, n_classes)


@pytest.mark.parametrize("shape,tshape", CLASS_CASES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_class_losses_forward(fn, shape, tshape, reduction):
    x, t, w = _class_case(shape, tshape)
    options = [(None, 0.0), (w, 0.0)] + ([(None, 0.25), (w, 0.1)] if fn == "cross_entropy" else [])
    for weight, ls in options:
        kw = {"label_smoothing": ls} if ls else {}
        expected = np_cross_entropy(x, t, weight, reduction=reduction, ls=ls,
                                    nll=fn == "nll_loss")
        for dt in (np.float32, np.float64):
            out = getattr(F, fn)(_t(x.astype(dt)), _t(t),
                                 None if weight is None else _t(weight.astype(dt)),
                                 reduction=reduction, **kw)
            assert out.dtype == torch.tensor(np.zeros(1, dt)).dtype
            tol = 1e-5 if dt == np.float32 else 1e-12
            assert_close(out, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("shape,tshape", CLASS_CASES[:4])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_gradcheck(shape, tshape, reduction):
    x, t, w = _class_case(shape, tshape)
    for weight, ls in [(None, 0.0), (w, 0.2)]:
        grad_ok("cross_entropy", x, consts=(t, weight), reduction=reduction, label_smoothing=ls)
        grad_ok("nll_loss", x, consts=(t, weight), reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 3), (3,), (2, 3, 2, 2)])
def test_cross_entropy_probability_targets(shape, reduction):
    x = RNG.standard_normal(shape)
    p = np_log_softmax(RNG.standard_normal(shape), 0 if len(shape) == 1 else 1)
    p = np.exp(p)
    n_classes = shape[0] if len(shape) == 1 else shape[1]
    w = RNG.uniform(0.5, 2.0, n_classes)
    for weight, ls in [(None, 0.0), (w, 0.3)]:
        out = F.cross_entropy(_t(x), _t(p), None if weight is None else _t(weight),
                              reduction=reduction, label_smoothing=ls)
        assert_close(out, np_soft_cross_entropy(x, p, weight, reduction, ls), 1e-10, 1e-12)
        grad_ok("cross_entropy", x, p, consts=(weight,), reduction=reduction, label_smoothing=ls)


def test_cross_entropy_fast_and_double_backward_paths_agree():
    x, t, w = _class_case((5, 4), (5,))
    for red in REDUCTIONS:
        for kw in ({}, {"weight": _t(w), "label_smoothing": 0.3}):
            grads = []
            for create in (False, True):
                a = _t(x, grad=True)
                out = F.cross_entropy(a, _t(t), reduction=red, **kw)
                (g,) = torch.autograd.grad(out, a, torch.ones_like(out), create_graph=create)
                assert g.requires_grad == create
                grads.append(g.detach().numpy())
            np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-14)


def test_log_softmax_then_nll_equals_fused_cross_entropy():
    x, t, w = _class_case((2, 4, 3), (2, 3))
    a, b = _t(x, grad=True), _t(x, grad=True)
    fused = F.cross_entropy(a, _t(t), _t(w))
    composed = F.nll_loss(F.log_softmax(b, 1), _t(t), _t(w))
    assert_close(fused, composed._data, 1e-12, 1e-12)
    fused.backward()
    composed.backward()
    assert_close(a.grad, b.grad._data, 1e-12, 1e-12)
    check_grad(lambda u: F.nll_loss(F.log_softmax(u, 1), _t(t), reduction="sum"), x)


def _logsig(v):
    return -np.logaddexp(0, -v)


def _np_multilabel_margin(x, t):
    out = np.zeros(len(x))
    for n, (row, tr) in enumerate(zip(x, t)):
        targets = list(tr[:list(tr).index(-1)] if -1 in tr else tr)
        others = [k for k in range(len(row)) if k not in targets]
        out[n] = sum(max(0, 1 - row[j] + row[k]) for j in targets for k in others) / len(row)
    return out


def _np_distance(u, v, p=2.0):
    return (np.abs(u - v + 1e-6) ** p).sum(-1) ** (1 / p)


def _np_cosine(u, v):
    return (u * v).sum(1) / np.sqrt(((u * u).sum(1) + 1e-12) * ((v * v).sum(1) + 1e-12))


FORMULAS = {  # name: (arrays -> args for F, arrays -> pointwise NumPy loss)
    "poisson_nll_loss": (lambda x, y, s, lab: (x, s * 3), lambda x, y, s, lab:
                         np.exp(x) - s * 3 * x),
    "gaussian_nll_loss": (lambda x, y, s, lab: (x, y, s), lambda x, y, s, lab:
                          0.5 * (np.log(s) + (x - y) ** 2 / s)),
    "soft_margin_loss": (lambda x, y, s, lab: (x, np.sign(y)), lambda x, y, s, lab:
                         np.log1p(np.exp(-np.sign(y) * x))),
    "multilabel_soft_margin_loss": (lambda x, y, s, lab: (x, lab), lambda x, y, s, lab:
                                    -(lab * _logsig(x) + (1 - lab) * _logsig(-x)).mean(1)),
    "hinge_embedding_loss": (lambda x, y, s, lab: (s, 2 * lab - 1), lambda x, y, s, lab:
                             np.where(lab > 0, s, np.maximum(0, 1 - s))),
    "margin_ranking_loss": (lambda x, y, s, lab: (x, y, 2 * lab - 1), lambda x, y, s, lab:
                            np.maximum(0, -(2 * lab - 1) * (x - y))),
    "cosine_embedding_loss": (lambda x, y, s, lab: (x, y, (2 * lab[:, 0] - 1)),
                              lambda x, y, s, lab: np.where(lab[:, 0] > 0, 1 - _np_cosine(x, y),
                                                            np.maximum(0, _np_cosine(x, y)))),
    "triplet_margin_loss": (lambda x, y, s, lab: (x, y, s), lambda x, y, s, lab:
                            np.maximum(0, 1 + _np_distance(x, y) - _np_distance(x, s))),
    "multilabel_margin_loss": (lambda x, y, s, lab: (x, np.array([[2, -1, 0, 1], [0, 1, -1, 3],
                                                                  [3, 2, 1, 0], [-1, 0, 0, 0]])),
                               lambda x, y, s, lab: _np_multilabel_margin(
                                   x, [[2], [0, 1], [3, 2, 1, 0], []])),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_losses_against_numpy_formulas(name, reduction):
    arrays = (RNG.standard_normal((4, 4)), RNG.standard_normal((4, 4)),
              RNG.uniform(0.2, 2.0, (4, 4)), (RNG.uniform(0, 1, (4, 4)) > 0.5) * 1.0)
    make_args, formula = FORMULAS[name]
    args = [_t(a) for a in make_args(*arrays)]
    if name == "multilabel_margin_loss":
        args[1] = _t(make_args(*arrays)[1].astype(np.int64))
    assert_close(getattr(F, name)(*args, reduction=reduction),
                 _reduce(formula(*arrays), reduction), 1e-10, 1e-12, msg=name)


def test_cross_entropy_is_stable_for_huge_logits():
    x = _t(np.array([[1e4, 0.0, -1e4], [-1e30, 1e30, 0.0]], np.float32), grad=True)
    loss = F.cross_entropy(x, _t(np.array([0, 0])), reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [0.0, 2e30], rtol=1e-6)
    loss.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0, 0], [-1, 1, 0]], atol=1e-6)


def test_cross_entropy_ignore_index_edge_cases():
    x = RNG.standard_normal((3, 5))
    out = F.cross_entropy(_t(x), _t(np.array([-100, -100, -100])))
    assert np.isnan(out.item())  # 0 / 0, as in PyTorch
    assert F.cross_entropy(_t(x), _t(np.array([-100] * 3)), reduction="sum").item() == 0.0
    t = np.array([7, 2, 1])  # an out-of-range ignore_index value is fine
    assert_close(F.cross_entropy(_t(x), _t(t), ignore_index=7),
                 np_cross_entropy(x, t, ignore_index=7), 1e-6, 1e-6)
    uint8 = F.cross_entropy(_t(x), _t(np.array([0, 1, 2], np.uint8)))
    assert_close(uint8, np_cross_entropy(x, np.array([0, 1, 2])), 1e-6, 1e-6)
    empty = F.cross_entropy(_t(np.zeros((0, 3))), _t(np.zeros(0, np.int64)))
    assert np.isnan(empty.item())


@pytest.mark.parametrize("case", ["2d", "4d", "ls_weight", "probs", "unbatched"])
def test_cross_entropy_matches_torch(case):
    th = pytest.importorskip("torch")
    x, t, w = _class_case((4, 3, 2, 2) if case == "4d" else (6, 5), (4, 2, 2) if case == "4d"
                          else (6,))
    if case == "probs":
        p = np.exp(np_log_softmax(RNG.standard_normal((6, 5)), 1))
        compare_with_torch(lambda a, b: F.cross_entropy(a, b, label_smoothing=0.1),
                           lambda a, b: th.nn.functional.cross_entropy(a, b, label_smoothing=0.1),
                           x, p)
        return
    if case == "unbatched":
        x, t = x[0], t[0]
    kw = {"weight": w, "label_smoothing": 0.2} if case == "ls_weight" else {}

    def ours(a):
        opts = dict(kw, weight=_t(w)) if kw else {}
        return F.cross_entropy(a, _t(t), **opts)

    def theirs(a):
        opts = dict(kw, weight=th.tensor(w)) if kw else {}
        return th.nn.functional.cross_entropy(a, th.tensor(t), **opts)

    compare_with_torch(ours, theirs, x)


def test_nll_loss_matches_torch_with_options():
    x, t, w = _class_case((4, 3, 5), (4, 5), ignore=False)
    for red in REDUCTIONS:
        vs_torch("nll_loss", x, consts=(t, w), ignore_index=2, reduction=red)


def test_class_loss_grad_fn_names():
    x = _t(RNG.standard_normal((3, 4)), grad=True)
    t = _t(np.array([0, 1, 2]))
    assert F.cross_entropy(x, t).grad_fn.name() == "NllLossBackward0"
    assert F.nll_loss(x, t).grad_fn.name() == "NllLossBackward0"
    x4 = _t(RNG.standard_normal((2, 3, 2, 2)), grad=True)
    t4 = _t(np.zeros((2, 2, 2), np.int64))
    assert F.cross_entropy(x4, t4).grad_fn.name() == "NllLoss2DBackward0"
    assert F.nll_loss(x4, t4).grad_fn.name() == "NllLoss2DBackward0"


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_class_loss_errors(fn):
    f = getattr(F, fn)
    x = _t(RNG.standard_normal((3, 5)))
    with pytest.raises(IndexError, match=r"^Target 7 is out of bounds\.$"):
        f(x, _t(np.array([0, 1, 7])))
    with pytest.raises(IndexError, match="Target -3 is out of bounds."):
        f(x, _t(np.array([0, 1, -3])))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target "
                                         r"batch_size \(2\)\."):
        f(x, _t(np.array([0, 1])))
    for bad in (np.array([0.0, 1.0, 2.0]), np.array([0, 1, 2], np.int32)):
        with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but "
                                               "got (Double|Int)"):
            f(x, _t(bad))
    with pytest.raises(RuntimeError, match=r"weight tensor should be defined either for all 5 "
                                           r"classes or no classes but got weight tensor of "
                                           r"shape: \[4\]"):
        f(x, _t(np.array([0, 1, 2])), weight=torch.ones(4))
    with pytest.raises(RuntimeError, match="multi-target not supported"):
        f(x, _t(np.zeros((3, 2), np.int64)))
    with pytest.raises(RuntimeError, match=r"Expected target size \[2, 4\], got \[2, 5\]"):
        f(_t(RNG.standard_normal((2, 3, 4))), _t(np.zeros((2, 5), np.int64)))
    match = "For 1D input, 1D target must have size 1" if fn == "nll_loss" else \
        "Expected floating point type for target with class probabilities, got Long"
    with pytest.raises((ValueError, RuntimeError), match=match):
        f(_t(RNG.standard_normal(3)), _t(np.zeros(3, np.int64)))
    with pytest.raises(NotImplementedError, match="floating point"):
        f(torch.ones(3, 5, dtype=torch.long), _t(np.array([0, 1, 2])))
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        f(x, _t(np.array([0, 1, 2])), reduction="avg")
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        f([1.0, 2.0], _t(np.array([0])))


def test_cross_entropy_specific_errors():
    x = _t(RNG.standard_normal((3, 5)))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: "
                                           "1.5"):
        F.cross_entropy(x, _t(np.array([0, 1, 2])), label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point"):
        F.cross_entropy(x, torch.rand(3, 5), ignore_index=1)
    with pytest.raises(RuntimeError, match="Expected floating point type for target with class "
                                           "probabilities, got Long"):
        F.cross_entropy(x, torch.ones(3, 5, dtype=torch.long))
    with pytest.raises(RuntimeError, match=r"cross_entropy: weight tensor should be defined"):
        F.cross_entropy(x, torch.rand(3, 5), weight=torch.ones(4))


def test_legacy_reduction_arguments_warn_and_map():
    x, t = _t(RNG.standard_normal((3, 4))), _t(np.array([0, 1, 2]))
    cases = [({"size_average": False}, "sum"), ({"reduce": False}, "none"),
             ({"size_average": True, "reduce": True}, "mean")]
    for kw, red in cases:
        with pytest.warns(UserWarning, match=f"please use reduction='{red}' instead"):
            out = F.cross_entropy(x, t, **kw)
        assert_close(out, F.cross_entropy(x, t, reduction=red)._data)
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            F.mse_loss(x, x, **kw)
    with pytest.warns(UserWarning, match="elementwise_mean"):
        F.mse_loss(x, x, reduction="elementwise_mean")


# ---- regression losses ------------------------------------------------------------------------
def _np_huber(d, delta):
    return np.where(np.abs(d) < delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))


PAIR_LOSSES = [
    ("mse_loss", {}, lambda d: d * d),
    ("l1_loss", {}, np.abs),
    ("huber_loss", {"delta": 0.7}, lambda d: _np_huber(d, 0.7)),
    ("smooth_l1_loss", {"beta": 0.5}, lambda d: _np_huber(d, 0.5) / 0.5),
    ("smooth_l1_loss", {"beta": 0.0}, np.abs),
]


@pytest.mark.parametrize("name,kw,ref", PAIR_LOSSES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pair_losses(name, kw, ref, reduction):
    x, y = RNG.standard_normal((4, 3)) * 2, RNG.standard_normal((4, 3))
    fn = getattr(F, name)
    for dt in (np.float32, np.float64):
        out = fn(_t(x.astype(dt)), _t(y.astype(dt)), reduction=reduction, **kw)
        assert out.numpy().dtype == dt
        assert_close(out, _reduce(ref(x - y), reduction), 1e-5, 1e-5)
    check_grad(lambda a, b: fn(a, b, reduction=reduction, **kw), x, y)


@pytest.mark.parametrize("name,kw,ref", PAIR_LOSSES[:4])
def test_pair_losses_match_torch_and_weights(name, kw, ref):
    x, y, w = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3)), RNG.uniform(0, 1, (4, 3))
    for red in REDUCTIONS:
        vs_torch(name, x, y, reduction=red, **kw)
        if name != "smooth_l1_loss":
            vs_torch(name, x, y, reduction=red, weight=w, **kw)


def test_pair_losses_broadcast_with_warning_and_errors():
    x, y = _t(RNG.standard_normal((3, 1)), grad=True), _t(RNG.standard_normal(3), grad=True)
    with pytest.warns(UserWarning, match=r"Using a target size \(torch.Size\(\[3\]\)\) that is "
                                         r"different to the input size \(torch.Size\(\[3, 1\]\)\)"):
        out = F.mse_loss(x, y)
    assert_close(out, np.mean((x.detach().numpy() - y.detach().numpy()) ** 2))
    out.backward()
    assert x.grad.shape == (3, 1) and y.grad.shape == (3,)
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of "
                                           r"tensor b \(4\) at non-singleton dimension 1"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        F.mse_loss(torch.zeros(3, 2), torch.zeros(4))
    with pytest.raises(NotImplementedError):
        F.mse_loss(torch.ones(3, dtype=torch.long), torch.ones(3, dtype=torch.long))
    assert F.mse_loss(torch.ones(3, dtype=torch.float64), torch.ones(3)).dtype == torch.float64
    with pytest.raises(RuntimeError, match="negative values for beta"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(RuntimeError, match="non-positive values for delta"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(ValueError, match="Weights and input must have the same size."):
        F.mse_loss(x, x, weight=torch.ones(2))
    names = {F.mse_loss(x, x).grad_fn.name(), F.huber_loss(x, x).grad_fn.name(),
             F.smooth_l1_loss(x, x).grad_fn.name(), F.mse_loss(x, x, reduction="none")
             .grad_fn.name()}
    assert names == {"MseLossBackward0", "HuberLossBackward0", "SmoothL1LossBackward0"}


@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("reduction", ["none", "sum", "batchmean", "mean"])
def test_kl_div(reduction, log_target):
    x = np_log_softmax(RNG.standard_normal((3, 4)), 1)
    p = np.exp(np_log_softmax(RNG.standard_normal((3, 4)), 1))
    p[0, 0] = 0.0  # 0 * log 0 counts as 0
    target = np.log(p + 1e-300) if log_target else p
    pointwise = np.where(p > 0, p * (np.log(np.where(p > 0, p, 1)) - x), 0)
    expected = pointwise.sum() / 3 if reduction == "batchmean" else _reduce(pointwise, reduction)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = F.kl_div(_t(x), _t(target), reduction=reduction, log_target=log_target)
    assert_close(out, expected, 1e-10, 1e-10)
    tt = _t(target)
    check_grad(lambda a: F.kl_div(a, tt, reduction="sum", log_target=log_target), x)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(_t(x), tt)


def test_poisson_and_gaussian_nll_match_torch():
    x, rate = RNG.standard_normal((3, 4)), RNG.uniform(0.5, 2, (3, 4))
    counts = RNG.integers(0, 5, (3, 4)).astype(np.float64)
    grad_ok("gaussian_nll_loss", x, consts=(counts, rate))
    grad_ok("poisson_nll_loss", x, consts=(counts,), full=True)
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(_t(x), _t(x), torch.ones(2, 2))
    with pytest.raises(ValueError, match="var has negative entry"):
        F.gaussian_nll_loss(_t(x), _t(x), -1.0)
    for full in (False, True):
        for red in REDUCTIONS:
            vs_torch("poisson_nll_loss", x, consts=(counts,), full=full, reduction=red)
            vs_torch("poisson_nll_loss", rate, consts=(counts,), log_input=False, full=full,
                     reduction=red)
            vs_torch("gaussian_nll_loss", x, rate, rate[:, :1], full=full, reduction=red)


# ---- binary losses ----------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction):
    x, t, w = RNG.uniform(0.05, 0.95, (4, 3)), RNG.uniform(0, 1, (4, 3)), RNG.uniform(0, 2, 3)
    ref = -(t * np.log(x) + (1 - t) * np.log(1 - x))
    assert_close(F.binary_cross_entropy(_t(x), _t(t), reduction=reduction),
                 _reduce(ref, reduction), 1e-10, 1e-12)
    assert_close(F.binary_cross_entropy(_t(x), _t(t), _t(w), reduction=reduction),
                 _reduce(ref * w, reduction), 1e-10, 1e-12)
    check_grad(lambda a, b: F.binary_cross_entropy(a, b, _t(w), reduction=reduction), x, t)


def test_binary_cross_entropy_clamps_logs_and_checks():
    x = _t(np.array([0.0, 1.0, 0.0, 1.0]), grad=True)
    out = F.binary_cross_entropy(x, _t(np.array([1.0, 0.0, 0.0, 1.0])), reduction="none")
    np.testing.assert_allclose(out.detach().numpy(), [100, 100, 0, 0])
    out.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    assert F.binary_cross_entropy(x, x.detach()).grad_fn.name() == "BinaryCrossEntropyBackward0"
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0]))
    with pytest.raises(ValueError, match=r"Using a target size .* is deprecated"):
        F.binary_cross_entropy(torch.rand(3, 1), torch.rand(3))
    with pytest.raises(RuntimeError, match="Found dtype Long but expected Float"):
        F.binary_cross_entropy(torch.rand(3), torch.tensor([0, 1, 1]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(reduction):
    x, t = RNG.standard_normal((4, 3)) * 3, RNG.uniform(0, 1, (4, 3))
    w, pw = RNG.uniform(0, 2, (4, 1)), RNG.uniform(0.5, 3, 3)
    sig = 1 / (1 + np.exp(-x))
    ref = -(pw * t * np.log(sig) + (1 - t) * np.log(1 - sig)) * w
    out = F.binary_cross_entropy_with_logits(_t(x), _t(t), _t(w), reduction=reduction,
                                             pos_weight=_t(pw))
    assert_close(out, _reduce(ref, reduction), 1e-10, 1e-12)
    check_grad(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction), x, t)
    check_grad(lambda a, b: F.binary_cross_entropy_with_logits(
        a, b, _t(w), reduction=reduction, pos_weight=_t(pw)), x, t)


def test_binary_cross_entropy_with_logits_stable_and_torch():
    x = _t(np.array([-1000.0, 1000.0, 50.0], np.float32), grad=True)
    out = F.binary_cross_entropy_with_logits(x, torch.tensor([1.0, 0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(out.detach().numpy(), [1000, 1000, 0], atol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-1, 1, 0], atol=1e-6)
    with pytest.raises(ValueError, match=r"Target size \(torch.Size\(\[3\]\)\) must be the "
                                         r"same as input size \(torch.Size\(\[3, 1\]\)\)"):
        F.binary_cross_entropy_with_logits(torch.rand(3, 1), torch.rand(3))
    th = pytest.importorskip("torch")
    a, b, pw = RNG.standard_normal((5, 3)), RNG.uniform(0, 1, (5, 3)), RNG.uniform(0.5, 2, 3)
    compare_with_torch(lambda u, v: F.binary_cross_entropy_with_logits(u, v, pos_weight=_t(pw)),
                       lambda u, v: th.nn.functional.binary_cross_entropy_with_logits(
                           u, v, pos_weight=th.tensor(pw)), a, b)
    compare_with_torch(F.binary_cross_entropy, th.nn.functional.binary_cross_entropy,
                       1 / (1 + np.exp(-a)), b)


def test_soft_margin_and_multilabel_soft_margin():
    x, y = RNG.standard_normal((4, 3)), np.sign(RNG.standard_normal((4, 3)))
    labels, w = (y > 0).astype(np.float64), RNG.uniform(0.5, 2, 3)
    grad_ok("soft_margin_loss", x, y)
    grad_ok("multilabel_soft_margin_loss", x, consts=(labels, w))
    big = F.soft_margin_loss(torch.tensor([-1000.0]), torch.tensor([1.0]))
    assert big.item() == pytest.approx(1000.0)
    for red in REDUCTIONS:
        vs_torch("soft_margin_loss", x, consts=(y,), reduction=red)
        vs_torch("multilabel_soft_margin_loss", x, consts=(labels, w), reduction=red)


# ---- margin losses ----------------------------------------------------------------------------
def np_multi_margin(x, t, p=1, margin=1.0, w=None):
    n, c = x.shape
    z = margin - x[np.arange(n), t][:, None] + x
    z[np.arange(n), t] = 0
    h = np.maximum(z, 0) ** p
    return h.sum(1) * (1 if w is None else w[t]) / c


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_loss(p, reduction):
    x, t, w = RNG.standard_normal((5, 4)), RNG.integers(0, 4, 5), RNG.uniform(0.5, 2, 4)
    for weight, margin in [(None, 1.0), (w, 0.5)]:
        out = F.multi_margin_loss(_t(x), _t(t), p=p, margin=margin,
                                  weight=None if weight is None else _t(weight),
                                  reduction=reduction)
        assert_close(out, _reduce(np_multi_margin(x, t, p, margin, weight), reduction), 1e-10,
                     1e-12)
        grad_ok("multi_margin_loss", x, consts=(t, p, margin, weight), reduction=reduction)
    one = F.multi_margin_loss(_t(x[0]), _t(t[0]), p=p, reduction=reduction)
    assert_close(one, _reduce(np_multi_margin(x[:1], t[:1], p), reduction).reshape(()), 1e-10)


def test_multi_margin_loss_torch_and_errors():
    x = _t(RNG.standard_normal((3, 5)))
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        F.multi_margin_loss(x, _t(np.array([0, 1, 2])), p=3)
    with pytest.raises(ValueError, match="weight must be one-dimensional"):
        F.multi_margin_loss(x, _t(np.array([0, 1, 2])), weight=torch.ones(1, 5))
    with pytest.raises(RuntimeError, match="target out of range"):
        F.multi_margin_loss(x, _t(np.array([0, 1, 9])))
    with pytest.raises(RuntimeError, match=r"Expected target size \[3\], but got \[2\]"):
        F.multi_margin_loss(x, _t(np.array([0, 1])))
    with pytest.raises(RuntimeError, match="inconsistent weight size, expected 5 but got"):
        F.multi_margin_loss(x, _t(np.array([0, 1, 2])), weight=torch.ones(3))
    assert F.multi_margin_loss(x.requires_grad_(), _t(np.array([0, 1, 2]))).grad_fn.name() == \
        "MultiMarginLossBackward0"
    a, t, w = RNG.standard_normal((6, 4)), RNG.integers(0, 4, 6), RNG.uniform(0.5, 2, 4)
    for p in (1, 2):
        vs_torch("multi_margin_loss", a, consts=(t, p, 0.7, w))


def test_multilabel_margin_loss():
    x = RNG.standard_normal((3, 4))
    t = np.array([[3, 0, -1, 1], [1, 1, 2, -1], [0, 1, 2, 3]])
    grad_ok("multilabel_margin_loss", x, consts=(t,))
    with pytest.raises(RuntimeError, match="inconsistent target size"):
        F.multilabel_margin_loss(_t(x), _t(t[:, :2]))
    for red in REDUCTIONS:
        vs_torch("multilabel_margin_loss", x, consts=(t,), reduction=red)
        vs_torch("multilabel_margin_loss", x[0], consts=(t[0],), reduction=red)


def test_embedding_and_ranking_losses_match_torch():
    a, b, c = (RNG.standard_normal((5, 3)) for _ in range(3))
    y = np.array([1, -1, 1, -1, 1])
    d, s1, s2 = RNG.uniform(0, 2, 5), RNG.standard_normal(5), RNG.standard_normal(5)
    grad_ok("cosine_embedding_loss", a, b, consts=(y,))
    grad_ok("triplet_margin_loss", a, b, c, swap=True)
    grad_ok("hinge_embedding_loss", d, consts=(y,))
    grad_ok("margin_ranking_loss", s1, s2, consts=(y * 1.0, 0.3))
    for red in REDUCTIONS:
        vs_torch("hinge_embedding_loss", d, consts=(y, 1.5), reduction=red)
        vs_torch("cosine_embedding_loss", a, b, consts=(y, 0.2), reduction=red)
        vs_torch("margin_ranking_loss", s1, s2, consts=(y * 1.0, 0.3), reduction=red)
        for p, swap in [(2, False), (1, True), (3, False)]:
            vs_torch("triplet_margin_loss", a, b, c, consts=(1.0, p), swap=swap, reduction=red)
    vs_torch("cosine_embedding_loss", a[0], b[0], consts=(np.array(1),))


def test_margin_loss_errors():
    with pytest.raises(RuntimeError, match=r"1D target tensor expects 2D input tensors, but found "
                                           r"inputs with sizes \[2, 3, 4\] and \[2, 3, 4\]\."):
        F.cosine_embedding_loss(torch.zeros(2, 3, 4), torch.zeros(2, 3, 4), torch.ones(2))
    with pytest.raises(ValueError, match="margin must be greater than 0, got 0"):
        F.triplet_margin_loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 3), margin=0)
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        F.triplet_margin_loss(torch.zeros(2, 3), torch.zeros(3), torch.zeros(2, 3))
    with pytest.raises(RuntimeError, match="All input tensors should have same dimension"):
        F.margin_ranking_loss(torch.zeros(2), torch.zeros(2), torch.zeros(2, 1))


# ---- loss modules -----------------------------------------------------------------------------
def test_every_loss_module_prints_like_pytorch():
    from chainrule.nn.modules import loss as loss_modules

    for name in loss_modules.__all__:
        if name in ("NLLLoss2d", "TripletMarginWithDistanceLoss"):
            continue  # deprecated (warns); PyTorch's default distance is a PairwiseDistance child
        assert repr(getattr(nn, name)()) == f"{name}()"
        assert getattr(nn, name)().reduction == "mean"


def test_loss_module_reprs_and_buffers():
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.HuberLoss(delta=2.0)) == "HuberLoss()"
    assert repr(nn.CrossEntropyLoss(weight=torch.ones(3), label_smoothing=0.1)) == \
        "CrossEntropyLoss()"
    ce = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 3.0]), ignore_index=1)
    assert [k for k, _ in ce.named_buffers()] == ["weight"]
    assert list(ce.state_dict()) == ["weight"]
    assert nn.CrossEntropyLoss().weight is None and list(nn.MSELoss().state_dict()) == []
    bce = nn.BCEWithLogitsLoss(pos_weight=torch.ones(2))
    assert list(bce.state_dict()) == ["pos_weight"]
    assert ce.double().weight.dtype == torch.float64
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="expected margin to be greater than 0"):
        nn.TripletMarginLoss(margin=0.0)
    with pytest.raises(TypeError, match="delta must be a float or int"):
        nn.HuberLoss(delta="1")
    with pytest.warns(FutureWarning, match="NLLLoss2d"):
        nn.NLLLoss2d()


def test_loss_modules_call_their_functional():
    x, t = _t(RNG.standard_normal((4, 3)), grad=True), _t(np.array([0, 2, 1, 2]))
    w = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)
    loss = nn.CrossEntropyLoss(weight=w, label_smoothing=0.1, reduction="sum")(x, t)
    assert_close(loss, F.cross_entropy(x, t, w, label_smoothing=0.1, reduction="sum")._data)
    loss.backward()
    assert x.grad.shape == (4, 3)
    y = _t(RNG.standard_normal((4, 3)))
    prob = x.detach().sigmoid()
    pairs = [(nn.MSELoss(), F.mse_loss, (x, y)), (nn.L1Loss(), F.l1_loss, (x, y)),
             (nn.SmoothL1Loss(beta=0.5), lambda a, b: F.smooth_l1_loss(a, b, beta=0.5), (x, y)),
             (nn.NLLLoss(weight=w), lambda a, b: F.nll_loss(a, b, w), (x, t)),
             (nn.BCELoss(), F.binary_cross_entropy, (prob, prob)),
             (nn.BCEWithLogitsLoss(), F.binary_cross_entropy_with_logits, (x, prob)),
             (nn.KLDivLoss(reduction="batchmean"),
              lambda a, b: F.kl_div(a, b, reduction="batchmean"), (x, prob)),
             (nn.MultiMarginLoss(p=2), lambda a, b: F.multi_margin_loss(a, b, p=2), (x, t)),
             (nn.SoftMarginLoss(), F.soft_margin_loss, (x, y.sign())),
             (nn.HingeEmbeddingLoss(), F.hinge_embedding_loss, (x, y.sign())),
             (nn.PoissonNLLLoss(), F.poisson_nll_loss, (x, prob)),
             (nn.MultiLabelSoftMarginLoss(), F.multilabel_soft_margin_loss, (x, prob.round()))]
    for module, fn, args in pairs:
        assert_close(module(*args), fn(*args)._data, msg=repr(module))
    assert_close(nn.GaussianNLLLoss()(x, y, prob), F.gaussian_nll_loss(x, y, prob)._data)
    trip = nn.TripletMarginWithDistanceLoss(margin=0.5)(x, y, prob)
    assert_close(trip, F.triplet_margin_loss(x, y, prob, margin=0.5)._data)


def test_float32_training_step_stays_float32():
    x = torch.randn(8, 10, requires_grad=True)
    t = torch.tensor(RNG.integers(0, 10, 8))
    for loss in (F.cross_entropy(x, t), F.nll_loss(x, t), F.mse_loss(x, x.detach() * 2),
                 F.binary_cross_entropy_with_logits(x, torch.rand(8, 10))):
        assert loss.dtype == torch.float32
        (g,) = torch.autograd.grad(loss, x)
        assert g.dtype == torch.float32
