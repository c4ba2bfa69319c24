"""Reductions and scans: forward against NumPy, gradients and second derivatives, dtypes, ties,
errors, and agreement with PyTorch."""

import pickle
import warnings

import numpy as np
import pytest

import chainrule as torch
from tests.helpers import check_grad, check_op, compare_with_torch

SHAPES = [(3, 4), (), (2, 1, 3)]
WITH_EMPTY = SHAPES + [(0, 2)]


def _np_sum(x, axis=None, keepdims=False):
    return np.sum(x, axis=axis, keepdims=keepdims)


# ---- forward + gradcheck + gradgradcheck over shapes, dims and layouts --------------------------
@pytest.mark.parametrize("name,ref", [("sum", np.sum), ("mean", np.mean), ("prod", np.prod),
                                      ("nansum", np.nansum)])
def test_full_reductions(name, ref):
    shapes = WITH_EMPTY if name != "mean" else SHAPES
    check_op(getattr(torch, name), lambda x: np.asarray(ref(x)), shapes)


@pytest.mark.parametrize("dim,keepdim", [(0, False), (-1, True), ((0, 2), False), ((), False),
                                         ([1], True), (None, True)])
@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "logsumexp", "nansum"])
def test_dim_reductions(name, dim, keepdim):
    np_fn = {"sum": np.sum, "mean": np.mean, "amax": np.max, "amin": np.min, "nansum": np.nansum,
             "logsumexp": lambda x, axis, keepdims: np.log(np.sum(np.exp(x), axis=axis,
                                                                  keepdims=keepdims))}[name]
    if dim is None and name in ("logsumexp", "amax", "amin"):
        return  # dim is required (logsumexp) or () means all (amax)

    def ref(x):
        axis = None if dim in ((), None) else tuple(np.atleast_1d(dim))
        return np.asarray(np_fn(x, axis=axis, keepdims=keepdim))

    check_op(lambda x: getattr(torch, name)(x, dim, keepdim=keepdim), ref, [(2, 3, 4)])


def test_reductions_on_0d_accept_dim_0():
    for name in ("sum", "mean", "amax", "logsumexp", "prod", "cumsum", "cumprod"):
        fn = getattr(torch, name)
        for dim in (0, -1):
            check_op(lambda x, f=fn, d=dim: f(x, d), lambda x: x, [()])


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_prod_dim(dim, keepdim):
    check_op(lambda x: torch.prod(x, dim, keepdim), lambda x: np.prod(x, dim, keepdims=keepdim),
             [(3, 4), (2, 0), (4, 1)])


def test_prod_and_cumprod_are_exact_with_zeros():
    a = np.array([[0.0, 2.0, 3.0, 0.5], [1.0, 0.0, 0.0, 2.0], [1.5, 2.0, -1.0, 3.0]])
    check_grad(lambda x: x.prod(1), a)
    check_grad(lambda x: x.prod(0), a)
    check_grad(lambda x: x.prod(), a)
    check_grad(lambda x: x.prod(), np.array([2.0, 0.0, 3.0]))
    check_grad(lambda x: x.cumprod(1), a)
    check_grad(lambda x: x.cumprod(0), a)
    x = torch.tensor([2.0, 0.0, 3.0], requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 6.0, 0.0])


@pytest.mark.parametrize("name,ref", [("cumsum", np.cumsum), ("cumprod", np.cumprod)])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scans(name, ref, dim):
    fn = getattr(torch, name)
    check_op(lambda x: fn(x, dim), lambda x: ref(x, axis=dim), [(3, 4), (2, 1, 3), (0, 3)])


def test_scan_methods_and_inplace():
    x = torch.tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x.cumsum(dim=0).numpy(), [1, 3, 6])
    x.cumprod_(0)
    np.testing.assert_array_equal(x.numpy(), [1, 2, 6])


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_values_and_indices(name):
    np_val, np_idx = (np.max, np.argmax) if name == "max" else (np.min, np.argmin)
    check_op(getattr(torch, name), lambda x: np.asarray(np_val(x)), SHAPES)
    fn = getattr(torch, name)
    for dim in (0, -1):
        check_op(lambda x, d=dim: fn(x, d)[0], lambda x, d=dim: np_val(x, axis=d),
                 [(3, 4), (2, 1, 3), (2, 0, 3)])
        check_op(lambda x, d=dim: fn(x, d, keepdim=True).values,
                 lambda x, d=dim: np_val(x, axis=d, keepdims=True), [(3, 4)])
        x = np.random.default_rng(0).standard_normal((3, 4))
        r = getattr(torch, name)(torch.tensor(x), dim)
        np.testing.assert_array_equal(r.indices.numpy(), np_idx(x, axis=dim))
        assert r.indices.dtype == torch.int64 and not r.indices.requires_grad
    r = getattr(torch, name)(torch.tensor(2.5), 0)
    assert r.values.item() == 2.5 and r.indices.item() == 0


def test_max_min_binary_form_delegates_to_maximum():
    a, b = torch.tensor([1.0, 5.0]), torch.tensor([3.0, 2.0])
    np.testing.assert_array_equal(torch.max(a, b).numpy(), [3, 5])
    np.testing.assert_array_equal(a.min(b).numpy(), [1, 2])
    np.testing.assert_array_equal(torch.max(a, other=b).numpy(), [3, 5])


def test_return_type_fields_repr_and_pickle():
    r = torch.tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
    values, indices = r
    assert r[0] is values and r.indices is indices and len(r) == 2
    assert repr(r).startswith("torch.return_types.max(\nvalues=tensor([5., 7.]),\nindices=")
    r2 = pickle.loads(pickle.dumps(r))
    assert type(r2) is type(r) and r2.indices.tolist() == [1, 0]
    assert type(torch.median(torch.ones(2, 2), 0)).__name__ == "median"


def test_ties_split_the_gradient_evenly():
    def grad_of(fn, data):
        x = torch.tensor(data, requires_grad=True)
        fn(x).sum().backward()
        return x.grad.numpy()

    data = [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]
    np.testing.assert_allclose(grad_of(lambda x: x.amax(1), data),
                               [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(grad_of(lambda x: x.amin(0), data), [[1, 0, 0], [0, 1, 1]])
    np.testing.assert_allclose(grad_of(torch.max, [1.0, 3.0, 3.0]), [0, 0.5, 0.5])
    np.testing.assert_allclose(grad_of(torch.median, [1.0, 1.0, 3.0]), [0.5, 0.5, 0])
    # with dim the gradient goes only to the element the index points at (the first maximum)
    np.testing.assert_allclose(grad_of(lambda x: x.max(1)[0], data), [[0, 1, 0], [1, 0, 0]])


def test_argmax_argmin():
    x = np.random.default_rng(1).standard_normal((3, 4, 2))
    t = torch.tensor(x)
    assert torch.argmax(t).item() == np.argmax(x)
    np.testing.assert_array_equal(t.argmin(1).numpy(), np.argmin(x, 1))
    assert t.argmax(-1, keepdim=True).shape == (3, 4, 1)
    assert t.argmax(keepdim=True).shape == (1, 1, 1)
    assert torch.tensor(3.0).argmax(0).item() == 0
    assert torch.tensor([1.0, float("nan"), 2.0]).argmax().item() == 1
    assert t.argmax().dtype == torch.int64


@pytest.mark.parametrize("correction,dim", [(1, None), (0, 1), (2, (0, 2)), (1, -1)])
def test_var_std(correction, dim):
    axis = dim

    def np_var(x):
        return np.asarray(np.var(x, axis=axis, ddof=correction))

    shapes = [(3, 2, 4)] + ([()] if dim in (None, -1) and correction == 0 else [])
    check_op(lambda x: torch.var(x, dim, correction=correction), np_var, shapes)
    check_op(lambda x: torch.std(x, dim, correction=correction), lambda x: np.sqrt(np_var(x)),
             shapes)


def test_var_mean_std_mean():
    check_op(lambda x: torch.var_mean(x, 1, correction=0, keepdim=True),
             lambda x: (np.var(x, axis=1, keepdims=True), np.mean(x, axis=1, keepdims=True)),
             [(3, 4)])
    check_op(lambda x: torch.std_mean(x, (0, 2)),
             lambda x: (np.std(x, axis=(0, 2), ddof=1), np.mean(x, axis=(0, 2))), [(2, 3, 2)])
    check_op(lambda x: torch.std_mean(x)[0], lambda x: np.asarray(np.std(x, ddof=1)), [(3, 2)])


def test_var_unbiased_overloads_and_degenerate_cases():
    x = torch.tensor([1.0, 2.0, 4.0])
    assert np.isclose(x.var(False).item(), np.var([1, 2, 4]))
    assert np.isclose(x.var(0, False).item(), np.var([1, 2, 4]))
    assert np.isclose(x.std(unbiased=True).item(), np.std([1, 2, 4], ddof=1))
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        assert np.isnan(torch.tensor([3.0]).var().item())
    with pytest.raises(TypeError, match="either 'unbiased' or 'correction'"):
        x.var(unbiased=False, correction=0)
    with pytest.raises(RuntimeError, match="std and var only support floating point"):
        torch.tensor([1, 2]).std()


def test_safe_gradients_at_zero():
    for fn in (torch.std, torch.norm, lambda t: t.norm(3), lambda t: t.norm(0.5)):
        x = torch.zeros(3, requires_grad=True)
        fn(x).backward()
        np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3, np.float32))
    x = torch.tensor([[0.0, 2.0], [0.0, 0.0]], requires_grad=True)
    x.norm(3, dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 1], [0, 0]])


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, float("inf"), float("-inf"), "fro", 0])
def test_norm(p):
    def ref(x, dim=None, keepdim=False):
        a = np.abs(x)
        q = 2 if p == "fro" else p
        if q == 0:
            r = np.sum(a != 0, axis=dim, keepdims=keepdim).astype(x.dtype)
        elif np.isinf(q):
            r = (np.max if q > 0 else np.min)(a, axis=dim, keepdims=keepdim)
        else:
            r = np.sum(a ** q, axis=dim, keepdims=keepdim) ** (1 / q)
        return np.asarray(r)

    # values kept away from 0 so |x|^p is smooth where gradcheck probes
    opts = {"low": 0.3, "high": 2.0} if p in (0.5, 0) else {}
    check_op(lambda x: torch.norm(x, p), ref, SHAPES, **opts)
    check_op(lambda x: x.norm(p, dim=1, keepdim=True), lambda x: ref(x, 1, True), [(3, 4)],
             **opts)
    check_op(lambda x: torch.norm(x, p, dim=(0, 1)), lambda x: ref(x, (0, 1)), [(2, 3, 2)],
             **opts)


def test_norm_errors_and_dtype():
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as "
                                           "input. Got Long"):
        torch.tensor([1, 2]).norm()
    with pytest.raises(RuntimeError, match="Order abc not supported"):
        torch.ones(2).norm("abc")
    with pytest.raises(RuntimeError, match="inf norm on an empty tensor"):
        torch.zeros(0).norm(float("inf"))
    assert torch.ones(2).norm(dtype=torch.float64).dtype == torch.float64
    assert torch.ones(2, 3).norm(keepdim=True).shape == (1, 1)


def test_logsumexp_is_stable():
    x = torch.tensor([1000.0, 1000.0, -1000.0])
    assert np.isclose(x.logsumexp(0).item(), 1000 + np.log(2))
    assert torch.tensor([-np.inf, -np.inf]).logsumexp(0).item() == -np.inf
    assert torch.tensor([np.inf, 1.0]).logsumexp(0).item() == np.inf
    assert torch.tensor([1, 2]).logsumexp(0).dtype == torch.float32
    check_grad(lambda t: t.logsumexp(1), np.array([[500.0, 501.0], [-3.0, 2.0]]))


def test_median():
    rng = np.random.default_rng(3)
    check_op(torch.median, lambda x: np.asarray(np.sort(x.ravel())[(x.size - 1) // 2]),
             [(3, 4), (), (5,)])
    check_op(lambda x: torch.median(x, 1)[0],
             lambda x: np.sort(x, 1)[:, (x.shape[1] - 1) // 2], [(3, 4), (2, 5)])
    x = rng.standard_normal((4, 5))
    r = torch.tensor(x).median(0, keepdim=True)
    np.testing.assert_array_equal(np.take_along_axis(x, r.indices.numpy(), 0), r.values.numpy())
    assert np.isnan(torch.tensor([1.0, np.nan, 2.0]).median().item())
    assert np.isnan(torch.zeros(0).median().item())


def test_all_any_count_nonzero():
    x = np.array([[0, 1, 2], [3, 4, 5]])
    t = torch.tensor(x)
    assert t.all().item() is False and t.any().item() is True
    np.testing.assert_array_equal(t.all(1).numpy(), [False, True])
    np.testing.assert_array_equal(t.any((0, 1)).numpy(), True)
    assert t.all(1, keepdim=True).shape == (2, 1)
    assert t.all().dtype == torch.bool
    assert t.to(torch.uint8).all().dtype == torch.uint8
    assert torch.tensor(1.0).all(0).item()
    np.testing.assert_array_equal(torch.count_nonzero(t, 0).numpy(), [1, 2, 2])
    assert torch.count_nonzero(t).item() == 5 and t.count_nonzero((0, 1)).dtype == torch.int64


def test_result_dtypes():
    i = torch.tensor([[1, 2], [3, 4]])
    assert i.sum().dtype == torch.int64 and i.int().sum().dtype == torch.int64
    assert (i > 2).sum().item() == 2 and (i > 2).sum().dtype == torch.int64
    assert i.int().prod().dtype == torch.int64 and (i > 0).cumsum(0).dtype == torch.int64
    assert i.cumprod(1).tolist() == [[1, 2], [3, 12]]
    assert i.sum(dtype=torch.float32).dtype == torch.float32
    assert i.mean(dtype=torch.float64).item() == 2.5
    assert torch.ones(3).sum(dtype=torch.float64).dtype == torch.float64
    assert torch.ones(3).cumsum(0, dtype=torch.float64).dtype == torch.float64
    assert torch.ones(3, dtype=torch.float16).sum().dtype == torch.float16
    h = np.full(5000, 0.1, np.float16)
    assert torch.tensor(h).sum().item() == np.sum(h, dtype=np.float32).astype(np.float16)
    assert (i > 2).max().dtype == torch.bool
    x = torch.ones(3, requires_grad=True)
    y = x.sum(dtype=torch.float64)
    y.backward()
    assert x.grad.dtype == torch.float32


def test_sum_to_size():
    check_op(lambda x: x.sum_to_size(1, 4), lambda x: x.sum(0, keepdims=True), [(3, 4)])
    check_op(lambda x: torch.sum_to_size(x, (4, 1)),
             lambda x: x.sum((0, 2), keepdims=True)[0], [(2, 4, 3)])
    x = torch.ones(3, 4, requires_grad=True)
    assert x.sum_to_size(3, 4) is x
    assert x.sum_to_size(1, 4).grad_fn.name() == "SumBackward1"
    assert torch.ops.sum_to_size is torch.sum_to_size
    with pytest.raises(RuntimeError, match=r"size \{\[2, 4\]\} is not expandable to size "
                                           r"\{\[3, 4\]\}\."):
        x.sum_to_size(2, 4)


def test_double_backward_through_broadcasting_uses_sum_to_size():
    x = torch.tensor([[1.0], [2.0]], requires_grad=True)
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (g,) = torch.autograd.grad((x * x * w).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [[12.0], [24.0]])
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[12.0], [12.0]])
    np.testing.assert_allclose(w.grad.numpy(), [6.0, 6.0, 6.0])


def test_nanmean_and_nansum_ignore_nan():
    x = torch.tensor([1.0, np.nan, 3.0], requires_grad=True)
    assert x.nanmean().item() == 2.0
    x.nansum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 0, 1])


def test_grad_fn_names():
    x = torch.ones(3, 4, requires_grad=True)
    names = {
        "SumBackward0": x.sum(), "SumBackward1": x.sum(1), "MeanBackward0": x.mean(),
        "MeanBackward1": x.mean(1), "ProdBackward0": x.prod(), "ProdBackward1": x.prod(1),
        "MaxBackward1": x.max(), "MaxBackward0": x.max(1)[0], "MinBackward1": x.min(),
        "MinBackward0": x.min(0)[0], "AmaxBackward0": x.amax(1), "AminBackward0": x.amin(),
        "VarBackward0": x.var(), "StdBackward0": x.std(1), "VarMeanBackward0": torch.var_mean(x)[0],
        "StdMeanBackward0": torch.std_mean(x)[1], "LogsumexpBackward0": x.logsumexp(1),
        "LinalgVectorNormBackward0": x.norm(), "CumsumBackward0": x.cumsum(0),
        "CumprodBackward0": x.cumprod(1), "MedianBackward0": x.median(),
        "MedianBackward1": x.median(1)[0], "NansumBackward0": x.nansum(),
    }
    for name, t in names.items():
        assert t.grad_fn.name() == name


def test_errors():
    x = torch.ones(3, 4)
    with pytest.raises(RuntimeError, match=r"mean\(\): could not infer output dtype\. Input "
                                           r"dtype must be either a floating point or complex "
                                           r"dtype\. Got: Long"):
        torch.tensor([1, 2]).mean()
    with pytest.raises(RuntimeError, match="Got: Bool"):
        torch.tensor([True]).mean()
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-2, 1\], but got 2\)"):
        x.sum(2)
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        x.sum((0, -2))
    with pytest.raises(TypeError, match="argument 'dim' must be int or tuple of ints, not float"):
        x.sum(1.0)
    with pytest.raises(TypeError, match="argument 'dim' must be int, not tuple"):
        x.prod((0, 1))
    with pytest.raises(RuntimeError, match=r"max\(\): Expected reduction dim to be specified for "
                                           r"input\.numel\(\) == 0\. Specify the reduction dim"):
        torch.zeros(0).max()
    with pytest.raises(IndexError, match=r"max\(\): Expected reduction dim 0 to have non-zero"):
        torch.zeros(0, 3).max(0)
    assert torch.zeros(0, 3).max(1).values.shape == (0,)
    with pytest.raises(RuntimeError, match=r"amax\(\): Expected reduction dim to be specified"):
        torch.zeros(0).amax()
    with pytest.raises(IndexError, match=r"amin\(\): Expected reduction dim 0 to have non-zero"):
        torch.zeros(0, 3).amin(0)
    with pytest.raises(IndexError, match=r"argmax\(\): Expected reduction dim to be specified"):
        torch.zeros(0).argmax()
    with pytest.raises(IndexError, match=r"median\(\): Expected reduction dim 0"):
        torch.zeros(0, 3).median(0)
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        torch.sum([1, 2])
    with pytest.raises(TypeError):
        x.cumsum()


def test_modifying_a_saved_input_in_place_is_caught():
    x = torch.ones(3, requires_grad=True)
    y = x * 2
    z = y.prod()
    with torch.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_empty_reductions():
    assert torch.zeros(0).sum().item() == 0 and torch.zeros(0).prod().item() == 1
    assert np.isnan(torch.zeros(0).mean().item())
    assert torch.zeros(0, 3).sum(0).tolist() == [0, 0, 0]
    assert torch.zeros(0).logsumexp(0).item() == -np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(torch.zeros(0).var().item())


# ---- agreement with PyTorch ---------------------------------------------------------------------
TORCH_CASES = [
    ("sum dims", lambda t: t.sum((0, 2), keepdim=True)),
    ("mean", lambda t: t.mean(-1)),
    ("prod dim", lambda t: t.prod(1)),
    ("amax", lambda t: t.amax((1, 2))),
    ("max dim", lambda t: t.max(2)),
    ("min", lambda t: t.min()),
    ("var", lambda t: t.var(1, correction=0)),
    ("std keepdim", lambda t: t.std(2, keepdim=True)),
    ("logsumexp", lambda t: t.logsumexp((0, 1))),
    ("norm", lambda t: t.norm(3, dim=0)),
    ("norm inf", lambda t: t.norm(float("inf"), dim=(1, 2))),
    ("cumsum", lambda t: t.cumsum(1)),
    ("cumprod", lambda t: t.cumprod(2)),
    ("median dim", lambda t: t.median(1).values),
]


@pytest.mark.parametrize("fn", [c[1] for c in TORCH_CASES], ids=[c[0] for c in TORCH_CASES])
def test_matches_torch(fn):
    x = np.random.default_rng(5).standard_normal((3, 5, 4))
    compare_with_torch(fn, fn, x)


def test_matches_torch_on_ties_and_zeros():
    ties = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 0.0, 0.0]])
    for fn in (lambda t: t.amax(1), lambda t: t.max(), lambda t: t.amin(), lambda t: t.prod(1),
               lambda t: t.cumprod(1), lambda t: t.norm(float("inf")), lambda t: t.median()):
        compare_with_torch(fn, fn, ties)
