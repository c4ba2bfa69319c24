"""The convolution, pooling and ReLU fast paths give the results of the general ones.

* convolution: the channel-major layout (one large GEMM per chunk) against the sample-major
  one (a GEMM per sample), each with NumPy's col2im and the compiled one, and against a
  textbook float64 formula, over strides, padding, dilation, groups, 1-3 spatial dims, odd
  sizes, several chunks and non-contiguous inputs, first and second derivatives included;
* max pooling: the NumPy kernels (threaded or not, with the tiling scatter) and the compiled
  Numba ones (serial or parallel) against a textbook formula (the first maximum of each
  window in row-major order wins, as in PyTorch), ties, NaN and -inf included;
* ReLU: the threaded forward, and the threaded or compiled gradient, against ``np.maximum``
  and ``g * (y > 0)``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import chainrule as torch
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule import _jit, _parallel
from chainrule.ops import conv
from chainrule.ops import pooling as P
from chainrule.ops import pooling_fused

F = torch.nn.functional


@pytest.fixture
def threaded(monkeypatch):
    """Two threads, and every array large enough to be split between them."""
    monkeypatch.setattr(_parallel, "PAR_MIN", 1)
    old = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(old)


LAYOUTS = ["sample", "channel", "sample-compiled", "channel-compiled"]


def _layout(monkeypatch, layout: str) -> None:
    """Force the GEMM layout, NumPy's col2im or the compiled one (``-compiled``), and small
    chunks so that a batch takes several."""
    if layout.endswith("compiled"):
        monkeypatch.setattr(_jit, "_numba", None)  # loaded afresh after a NumPy layout
        if _jit.load() is None:
            pytest.skip("Numba is not installed: no compiled col2im")
    else:
        monkeypatch.setattr(_jit, "_numba", False)
    monkeypatch.setattr(conv, "_CHANNEL_MAJOR_DEPTH",
                        1 if layout.startswith("channel") else 10 ** 9)
    monkeypatch.setattr(conv, "_CHUNK_BYTES", 1000)
    monkeypatch.setattr(conv, "_CHANNEL_MAJOR_BYTES", 1000)


# ---- convolution ---------------------------------------------------------------------------

def _conv_reference(x, w, stride, padding, dilation, groups):
    """Cross-correlation by its definition, in float64."""
    x = np.pad(x.astype(np.float64), [(0, 0), (0, 0)] + [(p, p) for p in padding])
    w = w.astype(np.float64)
    n = x.shape[0]
    o, cg = w.shape[:2]
    og = o // groups
    out = tuple((s - d * (k - 1) - 1) // st + 1 for s, k, st, d in
                zip(x.shape[2:], w.shape[2:], stride, dilation))
    y = np.zeros((n, o) + out)
    for g in range(groups):
        for off in itertools.product(*[range(k) for k in w.shape[2:]]):
            sl = tuple(slice(i * d, i * d + st * (m - 1) + 1, st)
                       for i, d, st, m in zip(off, dilation, stride, out))
            patch = x[(slice(None), slice(g * cg, (g + 1) * cg)) + sl]
            wk = w[(slice(g * og, (g + 1) * og), slice(None)) + off]
            y[:, g * og:(g + 1) * og] += np.einsum("nc...,oc->no...", patch, wk)
    return y


CONV_CASES = [  # (nd, n, c, o, spatial, kernel, stride, padding, dilation, groups)
    (2, 5, 3, 4, (9, 8), (3, 3), (1, 1), (0, 0), (1, 1), 1),
    (2, 3, 4, 6, (11, 7), (3, 2), (2, 1), (1, 2), (1, 1), 2),
    (2, 4, 2, 3, (10, 9), (2, 3), (1, 2), (2, 1), (2, 3), 1),
    (2, 1, 6, 6, (5, 6), (3, 3), (1, 1), (1, 1), (1, 1), 6),
    (1, 3, 4, 5, (13,), (4,), (3,), (2,), (2,), 1),
    (3, 2, 2, 4, (5, 6, 4), (2, 3, 2), (1, 2, 1), (1, 0, 1), (2, 1, 1), 2),
]


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_conv_layouts_match_reference(monkeypatch, case, layout):
    nd, n, c, o, spatial, kernel, stride, padding, dilation, groups = case
    _layout(monkeypatch, layout)
    rng = np.random.default_rng(sum(spatial) + groups)
    xa = rng.standard_normal((n, c) + spatial).astype(np.float32)
    wa = rng.standard_normal((o, c // groups) + kernel).astype(np.float32)
    # a non-contiguous input: every other element of a wider array
    wide = np.zeros(xa.shape[:-1] + (2 * xa.shape[-1],), np.float32)
    wide[..., ::2] = xa
    x = torch.from_numpy(wide)[..., ::2].requires_grad_()
    w = torch.tensor(wa, requires_grad=True)
    ba = rng.standard_normal(o).astype(np.float32)
    fn = getattr(F, f"conv{nd}d")
    y = fn(x, w, torch.tensor(ba), stride=stride, padding=padding, dilation=dilation,
           groups=groups)
    ref = _conv_reference(xa, wa, stride, padding, dilation, groups)
    assert y.dtype == torch.float32
    np.testing.assert_allclose(y.detach().numpy(), ref + ba.reshape((-1,) + (1,) * nd),
                               rtol=1e-4, atol=1e-4)
    # the gradients are the adjoints: <conv(x, w), gy> = <x, gx> = <w, gw>
    gy = rng.standard_normal(ref.shape)
    y.backward(torch.tensor(gy.astype(np.float32)))
    total = float((ref * gy).sum())
    assert x.grad.dtype == w.grad.dtype == torch.float32
    np.testing.assert_allclose(float((xa * x.grad.numpy().astype(np.float64)).sum()), total,
                               rtol=1e-4)
    np.testing.assert_allclose(float((wa * w.grad.numpy().astype(np.float64)).sum()), total,
                               rtol=1e-4)


@pytest.mark.parametrize("case", [CONV_CASES[1], CONV_CASES[5]])
def test_conv_layouts_agree_on_gradients(monkeypatch, case):
    nd, n, c, o, spatial, kernel, stride, padding, dilation, groups = case
    rng = np.random.default_rng(3)
    xa = rng.standard_normal((n, c) + spatial).astype(np.float32)
    wa = rng.standard_normal((o, c // groups) + kernel).astype(np.float32)
    ba = rng.standard_normal(o).astype(np.float32)
    results = []
    layouts = LAYOUTS if _jit.load() is not None else LAYOUTS[:2]
    for layout in layouts:
        _layout(monkeypatch, layout)
        x, w, b = (torch.tensor(a, requires_grad=True) for a in (xa, wa, ba))
        y = getattr(F, f"conv{nd}d")(x, w, b, stride, padding, dilation, groups)
        (y * y).sum().backward()
        results.append([t.numpy() for t in (y.detach(), x.grad, w.grad, b.grad)])
    for other in results[1:]:
        for fast, slow in zip(other, results[0]):
            np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("transposed", [False, True])
def test_conv_layouts_gradcheck(monkeypatch, layout, transposed):
    _layout(monkeypatch, layout)
    rng = np.random.default_rng(4)
    x = torch.tensor(rng.standard_normal((2, 4, 5, 7)), requires_grad=True)
    w = torch.tensor(rng.standard_normal((4, 2, 2, 3)), requires_grad=True)
    b = torch.tensor(rng.standard_normal(4), requires_grad=True)
    if transposed:
        def fn(x, w, b):
            return F.conv_transpose2d(x, w, b, stride=(2, 1), padding=1, groups=2)
    else:
        def fn(x, w, b):
            return F.conv2d(x, w, b, stride=(1, 2), padding=(1, 0), dilation=(1, 2), groups=2)
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def test_conv_depth_picks_layout():
    """The MNIST convnet's second conv (depth 32*9) is channel-major, its first (9) is not."""
    assert conv._channel_major(32 * 9)
    assert not conv._channel_major(9)


# ---- max pooling ---------------------------------------------------------------------------

def _max_pool_reference(x, kernel, stride, padding, dilation):
    """Max pooling and PyTorch's flat indices by definition: each window's first maximum in
    row-major order (``np.argmax`` returns the first)."""
    nd = len(kernel)
    sp = x.shape[-nd:]
    xp = np.pad(x, [(0, 0)] * (x.ndim - nd) + [(p, p) for p in padding],
                constant_values=-np.inf)
    out = tuple((s + 2 * p - d * (k - 1) - 1) // st + 1 for s, p, d, k, st in
                zip(sp, padding, dilation, kernel, stride))
    offs = list(itertools.product(*[range(k) for k in kernel]))
    windows = np.stack([xp[(Ellipsis,) + tuple(
        slice(i * d, i * d + st * (m - 1) + 1, st) for i, d, st, m in
        zip(off, dilation, stride, out))] for off in offs], axis=-1)
    arg = windows.argmax(axis=-1)
    flat = np.zeros(arg.shape, np.int64)
    for j in range(nd):
        pos = np.array([off[j] for off in offs])[arg] * dilation[j]
        base = (np.arange(out[j]) * stride[j] - padding[j]).reshape((-1,) + (1,) * (nd - 1 - j))
        flat = flat * sp[j] + base + pos
    return windows.max(axis=-1), flat


POOL_CASES = [  # (shape, kernel, stride, padding, dilation)
    ((4, 3, 8, 10), (2, 2), (2, 2), (0, 0), (1, 1)),  # tiling
    ((3, 2, 11, 9), (2, 2), (2, 2), (0, 0), (1, 1)),  # tiling, odd sizes: a tail
    ((2, 3, 9, 12), (3, 2), (3, 2), (1, 1), (1, 1)),  # tiling the padded input
    ((2, 3, 9, 10), (3, 3), (2, 2), (1, 0), (1, 1)),  # overlapping windows
    ((2, 2, 10, 11), (2, 3), (3, 4), (0, 1), (2, 1)),  # dilated, gaps between windows
    ((3, 5, 14), (2,), (2,), (0,), (1,)),  # 1-D, unbatched
    ((2, 1, 5, 6, 7), (2, 2, 3), (2, 2, 3), (0, 1, 0), (1, 1, 1)),  # 3-D
]


@pytest.fixture(params=["numpy", "numpy-threaded", "compiled", "compiled-parallel"])
def kernel_path(request, monkeypatch):
    """Force one of the pooling and ReLU kernels' paths: NumPy or compiled, on one thread or
    two."""
    if request.param.startswith("compiled"):
        if _jit.load() is None:
            pytest.skip("Numba is not installed: no compiled kernels")
    else:
        monkeypatch.setattr(_jit, "_numba", False)
    if request.param.endswith(("threaded", "parallel")):
        request.getfixturevalue("threaded")
    return request.param


@pytest.mark.parametrize("case", POOL_CASES)
def test_max_pool_matches_reference_with_ties(kernel_path, case):
    shape, kernel, stride, padding, dilation = case
    rng = np.random.default_rng(len(shape) + sum(kernel))
    # few distinct values, half of them the ReLU's zeros: most windows hold ties
    xa = np.maximum(rng.integers(-3, 3, shape), 0).astype(np.float32)
    nd = len(kernel)
    wide = np.zeros(shape[:-1] + (2 * shape[-1],), np.float32)
    wide[..., 1::2] = xa
    x = torch.from_numpy(wide)[..., 1::2].requires_grad_()  # non-contiguous
    fn = getattr(F, f"max_pool{nd}d")
    y, idx = fn(x, kernel, stride, padding, dilation, return_indices=True)
    ref, ref_idx = _max_pool_reference(xa, kernel, stride, padding, dilation)
    np.testing.assert_array_equal(y.detach().numpy(), ref)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    g = rng.standard_normal(ref.shape).astype(np.float32)
    y.backward(torch.tensor(g))
    expected = np.zeros(xa.shape[:-nd] + (int(np.prod(xa.shape[-nd:])),), np.float32)
    lead = np.indices(ref_idx.shape)[:-nd]
    np.add.at(expected, tuple(lead) + (ref_idx,), g)
    np.testing.assert_allclose(x.grad.numpy(), expected.reshape(xa.shape), rtol=1e-6)


def test_max_pool_paths_keep_nan_rule(kernel_path):
    rng = np.random.default_rng(7)
    xa = rng.standard_normal((4, 2, 6, 6)).astype(np.float32)
    xa[0, 0, 1, 1] = xa[3, 1, 4, 5] = np.nan
    serial = P.max_pool_arrays(xa[:1], P.PoolGeometry((2, 2), (2, 2), (0, 0), (0, 0), (1, 1),
                                                      (3, 3)))
    whole = P.max_pool_arrays(xa, P.PoolGeometry((2, 2), (2, 2), (0, 0), (0, 0), (1, 1),
                                                 (3, 3)))
    np.testing.assert_array_equal(whole[0][:1], serial[0])
    np.testing.assert_array_equal(whole[1][:1], serial[1])
    assert whole[1][0, 0, 0, 0] == 3 and np.isnan(whole[0][3, 1, 2, 2])


@pytest.mark.parametrize("case", [POOL_CASES[1], POOL_CASES[3]])
def test_max_pool_gradgradcheck(kernel_path, case):
    shape, kernel, stride, padding, dilation = case
    x = torch.tensor(np.random.default_rng(5).permutation(int(np.prod(shape))).reshape(shape)
                     / 7.0, requires_grad=True)  # distinct values: differentiable

    def fn(x):
        return F.max_pool2d(x, kernel, stride, padding, dilation)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("kernel, stride, padding, dilation", [
    ((2, 2), (2, 2), (0, 0), (1, 1)), ((3, 3), (1, 1), (1, 1), (1, 1)),
    ((2, 3), (3, 2), (1, 1), (2, 1)), ((3, 2), (2, 3), (1, 0), (1, 2))])
def test_compiled_max_pool_equals_numpy_path(monkeypatch, kernel, stride, padding, dilation):
    """NaN (the last one wins), -inf next to -inf padding, and ties give the same maxima,
    offsets and gradient on both paths."""
    if _jit.load() is None:
        pytest.skip("Numba is not installed: no compiled pooling")
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 3, 9, 8))
    x[0, 0, 2, 2] = x[1, 1, 3, 3] = x[1, 1, 3, 4] = np.nan
    x[0, 1, :3, :3] = -np.inf
    x[1, 2, 4:7, 4:7] = 1.0
    out = tuple((s + 2 * p - d * (k - 1) - 1) // st + 1 for s, k, st, p, d in
                zip(x.shape[2:], kernel, stride, padding, dilation))
    geom = P.PoolGeometry(kernel, stride, padding, padding, dilation, out)
    best, arg = pooling_fused.max_pool2d(x, geom, np.uint8)
    g = rng.standard_normal(best.shape)
    gx = pooling_fused.scatter2d(g, arg, geom, x.shape[2:])
    monkeypatch.setattr(_jit, "_numba", False)
    ref_best, ref_arg = P.max_pool_arrays(x, geom)
    np.testing.assert_array_equal(best, ref_best)
    np.testing.assert_array_equal(arg, ref_arg)
    np.testing.assert_allclose(gx, P.scatter_arrays(g, ref_arg, geom, x.shape[2:]), rtol=1e-12)


# ---- ReLU ----------------------------------------------------------------------------------

@pytest.mark.parametrize("contiguous", [True, False])
def test_relu_paths_match_formula(kernel_path, contiguous):
    rng = np.random.default_rng(6)
    xa = rng.standard_normal((6, 5, 7)).astype(np.float32)
    xa[0, 0, :3] = 0.0
    x = torch.tensor(xa, requires_grad=True)
    src = x if contiguous else x.transpose(0, 2)
    y = F.relu(src)
    np.testing.assert_array_equal(y.detach().numpy(), np.maximum(src.detach().numpy(), 0))
    g = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(torch.tensor(g))
    expected = g * (np.maximum(src.detach().numpy(), 0) > 0)
    np.testing.assert_array_equal(x.grad.numpy(),
                                  expected if contiguous else expected.transpose(2, 1, 0))
    assert y.dtype == x.grad.dtype == torch.float32


def test_relu_gradgradcheck(kernel_path):
    x = torch.tensor(np.random.default_rng(8).standard_normal((4, 5)), requires_grad=True)
    assert gradcheck(F.relu, (x,))
    assert gradgradcheck(F.relu, (x,))
