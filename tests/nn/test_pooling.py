"""Pooling (chainrule.ops.pooling, pooling_adaptive) and the pooling modules: values and indices
against loop references and PyTorch, first and second derivatives, ties and NaN, errors,
reprs."""

import itertools
import math

import numpy as np
import pytest

import chainrule as torch
from chainrule import nn
from chainrule.ops import pooling as P
from tests.helpers import check_grad, compare_with_torch, torch_available

RNG = np.random.default_rng(1)


def _tup(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


def _out_size(size, k, s, p, d, ceil):
    eff = d * (k - 1) + 1
    o = (size + 2 * p - eff + (s - 1 if ceil else 0)) // s + 1
    if ceil and (o - 1) * s >= size + p:
        o -= 1
    return o


def max_pool_ref(x, k, s=None, p=0, d=1, ceil=False):
    """Loops over windows; ties go to the first maximum. Returns values and flat indices."""
    nd = x.ndim - 2
    k = _tup(k, nd)
    s, p, d = _tup(s if s is not None else k, nd), _tup(p, nd), _tup(d, nd)
    sp = x.shape[2:]
    out = [_out_size(*a, ceil) for a in zip(sp, k, s, p, d)]
    vals = np.zeros(x.shape[:2] + tuple(out))
    idx = np.zeros(x.shape[:2] + tuple(out), dtype=np.int64)
    for n, c in np.ndindex(*x.shape[:2]):
        for o in np.ndindex(*out):
            best, arg = -np.inf, -1
            for kk in np.ndindex(*k):
                pos = [oi * si - pi + ki * di for oi, si, pi, ki, di in zip(o, s, p, kk, d)]
                if all(0 <= q < n_ for q, n_ in zip(pos, sp)):
                    v = x[(n, c) + tuple(pos)]
                    if v > best or arg < 0:
                        best, arg = v, int(np.ravel_multi_index(pos, sp))
            vals[(n, c) + o], idx[(n, c) + o] = best, arg
    return vals, idx


def avg_pool_ref(x, k, s=None, p=0, ceil=False, include_pad=True, divisor=None):
    nd = x.ndim - 2
    k = _tup(k, nd)
    s, p = _tup(s if s is not None else k, nd), _tup(p, nd)
    sp = x.shape[2:]
    out = [_out_size(a, kk, ss, pp, 1, ceil) for a, kk, ss, pp in zip(sp, k, s, p)]
    y = np.zeros(x.shape[:2] + tuple(out))
    for o in np.ndindex(*out):
        start = [oi * si - pi for oi, si, pi in zip(o, s, p)]
        end = [min(a + kk, n_ + pi) for a, kk, n_, pi in zip(start, k, sp, p)]
        pool = math.prod(e - a for a, e in zip(start, end))
        lo = [max(a, 0) for a in start]
        hi = [min(e, n_) for e, n_ in zip(end, sp)]
        window = x[(slice(None), slice(None)) + tuple(slice(a, b) for a, b in zip(lo, hi))]
        count = pool if include_pad else math.prod(b - a for a, b in zip(lo, hi))
        y[(slice(None), slice(None)) + o] = window.sum(tuple(range(2, 2 + nd))) / (
            divisor or count)
    return y


def _windows(size, out):
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def adaptive_ref(x, out, reduce):
    nd = x.ndim - 2
    wins = [_windows(s, o) for s, o in zip(x.shape[2:], out)]
    y = np.zeros(x.shape[:2] + tuple(out))
    for o in np.ndindex(*out):
        sl = tuple(slice(*wins[j][o[j]]) for j in range(nd))
        y[(slice(None), slice(None)) + o] = reduce(
            x[(slice(None), slice(None)) + sl], axis=tuple(range(2, 2 + nd)))
    return y


def _t(a, grad=False):
    return torch.tensor(a, requires_grad=grad)


MAX_CASES = [
    ((2, 3, 6, 6), {"kernel_size": 2}),
    ((2, 2, 7, 6), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ((1, 2, 7, 6), {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 1),
                    "dilation": (2, 1), "ceil_mode": True}),
    ((1, 1, 5, 7), {"kernel_size": 2, "ceil_mode": True}),
]


@pytest.mark.parametrize("shape,kw", MAX_CASES)
def test_max_pool2d_values_and_indices(shape, kw):
    x = RNG.standard_normal(shape)
    y, idx = P.max_pool2d(_t(x), return_indices=True, **kw)
    ref, ref_idx = max_pool_ref(x, kw["kernel_size"], kw.get("stride"), kw.get("padding", 0),
                                kw.get("dilation", 1), kw.get("ceil_mode", False))
    np.testing.assert_array_equal(y._data, ref)
    np.testing.assert_array_equal(idx._data, ref_idx)
    assert idx.dtype == torch.int64
    y32 = P.max_pool2d(_t(x.astype(np.float32)), **kw)
    assert y32.dtype == torch.float32


def test_max_pool1d_3d_and_unbatched():
    x = RNG.standard_normal((2, 3, 9))
    y, idx = P.max_pool1d(_t(x), 3, 2, 1, return_indices=True)
    ref, ref_idx = max_pool_ref(x, 3, 2, 1)
    np.testing.assert_array_equal(y._data, ref)
    np.testing.assert_array_equal(idx._data, ref_idx)
    x = RNG.standard_normal((1, 2, 4, 5, 4))
    y, idx = P.max_pool3d(_t(x), 2, padding=1, return_indices=True)
    ref, ref_idx = max_pool_ref(x, 2, 2, 1)
    np.testing.assert_array_equal(y._data, ref)
    np.testing.assert_array_equal(idx._data, ref_idx)
    x = RNG.standard_normal((3, 6, 6))
    np.testing.assert_array_equal(P.max_pool2d(_t(x), 2)._data, max_pool_ref(x[None], 2)[0][0])


def test_max_pool_ties_route_gradient_to_first_maximum():
    x = _t(np.zeros((1, 1, 4, 4)), True)  # e.g. after a ReLU: whole windows tie at 0
    P.max_pool2d(x, 2).sum().backward()
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 1
    np.testing.assert_array_equal(x.grad._data[0, 0], expected)
    x = _t(np.ones((1, 1, 3, 3)), True)  # overlapping windows, ties: first element of each
    P.max_pool2d(x, 2, stride=1).sum().backward()
    np.testing.assert_array_equal(x.grad._data[0, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_pooling_outputs_never_alias_the_input():
    # one row: the first window slice is contiguous, yet the running max must not write into x
    x = _t(np.array([[[1.0, 5.0, 2.0, 3.0]]]))
    y = P.max_pool1d(x, 2, 1)
    np.testing.assert_array_equal(x._data, [[[1.0, 5.0, 2.0, 3.0]]])
    np.testing.assert_array_equal(y._data, [[[5.0, 5.0, 3.0]]])
    for out in (P.max_pool2d(x[None], 1), P.avg_pool1d(x, 1), P.adaptive_avg_pool1d(x, 4)):
        assert not np.shares_memory(out._data, x._data)


def test_max_pool_propagates_nan():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = np.nan
    xt = _t(x, True)
    y = P.max_pool2d(xt, 2)
    assert np.isnan(y._data[0, 0, 0, 0]) and y._data[0, 0, 1, 1] == 15
    y.sum().backward()
    assert xt.grad._data[0, 0, 0, 1] == 1 and xt.grad._data[0, 0, 1, 1] == 0


@pytest.mark.parametrize("shape,kw", [
    ((2, 2, 7, 6), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ((1, 2, 7, 6), {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False,
                    "ceil_mode": True}),
    ((1, 2, 7, 6), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ((1, 1, 7, 6), {"kernel_size": 2, "divisor_override": 3}),
])
def test_avg_pool2d_values(shape, kw):
    x = RNG.standard_normal(shape)
    ref = avg_pool_ref(x, kw["kernel_size"], kw.get("stride"), kw.get("padding", 0),
                       kw.get("ceil_mode", False), kw.get("count_include_pad", True),
                       kw.get("divisor_override"))
    np.testing.assert_allclose(P.avg_pool2d(_t(x), **kw)._data, ref, atol=1e-12)


def test_avg_pool1d_3d_values():
    x = RNG.standard_normal((2, 3, 7))
    np.testing.assert_allclose(P.avg_pool1d(_t(x), 3, 2, 1, True, False)._data,
                               avg_pool_ref(x, 3, 2, 1, True, False), atol=1e-12)
    x = RNG.standard_normal((1, 2, 4, 5, 3))
    np.testing.assert_allclose(P.avg_pool3d(_t(x), 2, padding=1)._data,
                               avg_pool_ref(x, 2, 2, 1), atol=1e-12)


@pytest.mark.parametrize("shape,out", [((2, 2, 8, 6), (4, 3)), ((1, 2, 7, 6), (3, 4)),
                                       ((1, 2, 7, 6), (1, 1)), ((1, 1, 5, 3), (5, 7))])
def test_adaptive_pool2d_values(shape, out):
    x = RNG.standard_normal(shape)
    np.testing.assert_allclose(P.adaptive_avg_pool2d(_t(x), out)._data,
                               adaptive_ref(x, out, np.mean), atol=1e-12)
    y, idx = P.adaptive_max_pool2d(_t(x), out, return_indices=True)
    np.testing.assert_array_equal(y._data, adaptive_ref(x, out, np.max))
    flat = x.reshape(x.shape[:2] + (-1,))
    np.testing.assert_array_equal(np.take_along_axis(flat, idx._data.reshape(
        idx.shape[:2] + (-1,)), 2).reshape(y.shape), y._data)


def test_adaptive_pool_1d_3d_and_none():
    x = RNG.standard_normal((2, 3, 7))
    np.testing.assert_allclose(P.adaptive_avg_pool1d(_t(x), 3)._data,
                               adaptive_ref(x, (3,), np.mean), atol=1e-12)
    np.testing.assert_array_equal(P.adaptive_max_pool1d(_t(x), 3)._data,
                                  adaptive_ref(x, (3,), np.max))
    x = RNG.standard_normal((1, 1, 3, 4, 5))
    np.testing.assert_allclose(P.adaptive_avg_pool3d(_t(x), 2)._data,
                               adaptive_ref(x, (2, 2, 2), np.mean), atol=1e-12)
    x = RNG.standard_normal((1, 2, 5, 4))
    assert P.adaptive_avg_pool2d(_t(x), (None, 2)).shape == (1, 2, 5, 2)


GRAD_CASES = [
    (lambda x: P.max_pool2d(x, 2), (1, 2, 4, 5)),
    (lambda x: P.max_pool2d(x, 3, 2, 1, dilation=(1, 2), ceil_mode=True), (1, 1, 6, 7)),
    (lambda x: P.max_pool1d(x, 2, 1), (2, 1, 5)),
    (lambda x: P.max_pool3d(x, 2, 1), (1, 1, 3, 3, 3)),
    (lambda x: P.avg_pool2d(x, 3, 2, 1, count_include_pad=False, ceil_mode=True), (1, 2, 5, 6)),
    (lambda x: P.avg_pool1d(x, 2), (2, 1, 5)),
    (lambda x: P.adaptive_avg_pool2d(x, (2, 3)), (1, 2, 5, 4)),
    (lambda x: P.adaptive_avg_pool2d(x, 2), (1, 1, 4, 4)),
    (lambda x: P.adaptive_max_pool2d(x, (2, 3)), (1, 2, 5, 4)),
    (lambda x: P.adaptive_max_pool2d(x, 2), (1, 1, 4, 4)),
    (lambda x: P.lp_pool2d(x.abs() + 0.5, 2, 2), (1, 1, 4, 4)),
]


@pytest.mark.parametrize("fn,shape", GRAD_CASES)
def test_pooling_gradcheck_and_gradgradcheck(fn, shape):
    # distinct values: a max pool's gradient is not differentiable at ties
    x = RNG.permutation(np.prod(shape)).reshape(shape) / np.prod(shape) + 0.01
    check_grad(fn, x)


def test_pooling_node_names():
    x = _t(RNG.standard_normal((1, 1, 4, 4)), True)
    assert P.max_pool2d(x, 2).grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert P.avg_pool2d(x, 2).grad_fn.name() == "AvgPool2DBackward0"
    assert P.adaptive_avg_pool2d(x, 3).grad_fn.name() == "AdaptiveAvgPool2DBackward0"
    assert P.adaptive_max_pool2d(x, 3).grad_fn.name() == "AdaptiveMaxPool2DBackward0"
    x3 = _t(RNG.standard_normal((1, 1, 2, 2, 2)), True)
    assert P.max_pool3d(x3, 2).grad_fn.name() == "MaxPool3DWithIndicesBackward0"
    assert P.avg_pool3d(x3, 2).grad_fn.name() == "AvgPool3DBackward0"


def test_max_unpool_inverts_max_pool():
    x = RNG.standard_normal((2, 3, 4, 6))
    y, idx = P.max_pool2d(_t(x), 2, return_indices=True)
    up = P.max_unpool2d(y, idx, 2)
    mask = np.zeros(x.shape, bool)
    np.put_along_axis(mask.reshape(2, 3, -1), idx._data.reshape(2, 3, -1), True, axis=2)
    np.testing.assert_array_equal(up._data, np.where(mask, x, 0))
    assert P.max_unpool2d(y, idx, 2, output_size=(5, 7)).shape == (2, 3, 5, 7)
    check_grad(lambda v: P.max_unpool2d(v, idx, 2), RNG.standard_normal(tuple(y.shape)))
    y1, i1 = P.max_pool1d(_t(x[0]), 2, return_indices=True)
    assert P.max_unpool1d(y1, i1, 2).shape == (3, 4, 6)


@pytest.mark.skipif(not torch_available, reason="PyTorch is not installed")
def test_pooling_against_torch():
    import torch as th

    F = th.nn.functional
    x = RNG.standard_normal((2, 3, 9, 8)).astype(np.float32)
    for ours, theirs in [
            (lambda v: P.max_pool2d(v, 3, 2, 1, ceil_mode=True),
             lambda v: F.max_pool2d(v, 3, 2, 1, ceil_mode=True)),
            (lambda v: P.avg_pool2d(v, 3, 2, 1, count_include_pad=False),
             lambda v: F.avg_pool2d(v, 3, 2, 1, count_include_pad=False)),
            (lambda v: P.adaptive_avg_pool2d(v, (4, 3)),
             lambda v: F.adaptive_avg_pool2d(v, (4, 3))),
            (lambda v: P.adaptive_max_pool2d(v, (4, 3)),
             lambda v: F.adaptive_max_pool2d(v, (4, 3))),
            (lambda v: P.lp_pool2d(v.abs(), 3, 2), lambda v: F.lp_pool2d(v.abs(), 3, 2))]:
        compare_with_torch(ours, theirs, x, rtol=1e-4, atol=1e-5)
    y, i = P.max_pool2d(_t(x), 2, return_indices=True)
    ty, ti = F.max_pool2d(th.from_numpy(x), 2, return_indices=True)
    np.testing.assert_array_equal(i._data, ti.numpy())
    np.testing.assert_allclose(P.max_unpool2d(y, i, 2)._data,
                               F.max_unpool2d(ty, ti, 2).numpy())


POOL_ERRORS = [
    (lambda: P.max_pool2d(torch.zeros(1, 1, 2, 2), 3), ("Given input size: (1x2x2). Calculated "
     "output size: (1x0x0). Output size is too small")),
    (lambda: P.max_pool2d(torch.zeros(1, 1, 5, 5), 2, padding=2), ("pad should be at most half "
     "of effective kernel size, but got pad=2, kernel_size=2 and dilation=1")),
    (lambda: P.max_pool2d(torch.zeros(5, 5), 2), ("non-empty 3D or 4D (batch mode) tensor "
     "expected for input")),
    (lambda: P.max_pool2d(torch.zeros(1, 1, 5, 5), 2, stride=0), "stride should not be zero"),
    (lambda: P.max_pool2d(torch.zeros(1, 1, 5, 5), 2, dilation=0),
     "dilation should be greater than zero"),
    (lambda: P.avg_pool2d(torch.zeros(1, 1, 2, 2), 3), "Output size is too small"),
    (lambda: P.max_pool1d(torch.zeros(5), 2), ("max_pool1d: Expected 2D or 3D (batch mode) "
     "tensor with optional 0 dim batch size for input, but got:[5]")),
    (lambda: P.max_pool1d(torch.zeros(1, 1, 2), 3), ("max_pool1d() Invalid computed output "
     "size: 0")),
    (lambda: P.adaptive_avg_pool2d(torch.zeros(5), 2), ("adaptive_avg_pool2d(): Expected 3D or "
     "4D tensor, but got [5]")),
    (lambda: P.adaptive_avg_pool2d(torch.zeros(1, 1, 0, 4), 2), ("Expected input to have "
     "non-zero size for non-batch dimensions, but input has sizes [1, 1, 0, 4] with dimension "
     "2 being empty")),
    (lambda: P.avg_pool2d(torch.zeros(1, 1, 4, 4), 2, divisor_override=0),
     "divisor must be not zero"),
    (lambda: P.max_pool2d(torch.zeros(1, 1, 4, 4), (2, 2, 2)),
     "max_pool2d: kernel_size must either be a single int, or a tuple of two ints"),
    (lambda: P.avg_pool2d(torch.zeros(1, 1, 4, 4), 2, stride=(1, 1, 1)),
     "avg_pool2d: stride must either be omitted, a single int, or a tuple of two ints"),
]


@pytest.mark.parametrize("call,msg", POOL_ERRORS)
def test_pooling_errors(call, msg):
    with pytest.raises(RuntimeError) as info:
        call()
    assert msg in str(info.value)


@pytest.mark.parametrize("module,expected", [
    (nn.MaxPool1d(2), ("MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, "
     "ceil_mode=False)")),
    (nn.MaxPool2d(2), ("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, "
     "ceil_mode=False)")),
    (nn.MaxPool2d((3, 2), stride=1, padding=1, return_indices=True, ceil_mode=True),
     "MaxPool2d(kernel_size=(3, 2), stride=1, padding=1, dilation=1, ceil_mode=True)"),
    (nn.MaxPool3d(2), ("MaxPool3d(kernel_size=2, stride=2, padding=0, dilation=1, "
     "ceil_mode=False)")),
    (nn.AvgPool1d(2), "AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))"),
    (nn.AvgPool2d(2), "AvgPool2d(kernel_size=2, stride=2, padding=0)"),
    (nn.AvgPool2d(3, 1, 1, count_include_pad=False), ("AvgPool2d(kernel_size=3, stride=1, "
     "padding=1)")),
    (nn.AvgPool3d(2), "AvgPool3d(kernel_size=2, stride=2, padding=0)"),
    (nn.AdaptiveAvgPool1d(3), "AdaptiveAvgPool1d(output_size=3)"),
    (nn.AdaptiveAvgPool2d((None, 3)), "AdaptiveAvgPool2d(output_size=(None, 3))"),
    (nn.AdaptiveMaxPool2d(2, return_indices=True), "AdaptiveMaxPool2d(output_size=2)"),
    (nn.AdaptiveMaxPool3d(2), "AdaptiveMaxPool3d(output_size=2)"),
    (nn.MaxUnpool2d(2), "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"),
    (nn.MaxUnpool1d(2), "MaxUnpool1d(kernel_size=(2,), stride=(2,), padding=(0,))"),
    (nn.LPPool2d(2, 3, ceil_mode=True), ("LPPool2d(norm_type=2, kernel_size=3, stride=None, "
     "ceil_mode=True)")),
])
def test_pooling_module_reprs(module, expected):
    assert repr(module) == expected


def test_pooling_modules_forward():
    x = _t(RNG.standard_normal((2, 3, 8, 8)).astype(np.float32))
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 4, 4)
    out, idx = nn.MaxPool2d(2, return_indices=True)(x)
    assert nn.MaxUnpool2d(2)(out, idx).shape == (2, 3, 8, 8)
    assert nn.AvgPool2d(3, 2, 1)(x).shape == (2, 3, 4, 4)
    assert nn.AdaptiveAvgPool2d(1)(x).shape == (2, 3, 1, 1)
    out, idx = nn.AdaptiveMaxPool2d((3, 5), return_indices=True)(x)
    assert out.shape == idx.shape == (2, 3, 3, 5)
    assert nn.AvgPool1d(2)(x[0]).shape == (3, 8, 4)
    assert nn.LPPool1d(2, 2)(x[0]).shape == (3, 8, 4)
    assert list(nn.MaxPool2d(2).state_dict().keys()) == []


def test_pool_combinations_of_window_offsets():
    # every kernel/stride/padding combination on a small input agrees with the loops
    x = RNG.standard_normal((1, 1, 5, 6))
    for k, s, p in itertools.product((1, 2, 3), (1, 2, 3), (0, 1)):
        if p > k // 2:
            continue
        np.testing.assert_array_equal(P.max_pool2d(_t(x), k, s, p)._data,
                                      max_pool_ref(x, k, s, p)[0])
        np.testing.assert_allclose(P.avg_pool2d(_t(x), k, s, p)._data,
                                   avg_pool_ref(x, k, s, p), atol=1e-12)
