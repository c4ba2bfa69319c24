"""Convolutions (chainrule.ops.conv, conv_fold) and the Conv/ConvTranspose/Fold/Unfold modules:
values against loop references and PyTorch, first and second derivatives, node names, errors,
initialisation, state_dict keys and reprs."""

import math

import numpy as np
import pytest

import chainrule as torch
from chainrule import nn
from chainrule.ops import conv as C
from chainrule.ops import conv_fold as CF
from tests.helpers import check_grad, compare_with_torch, torch_available

RNG = np.random.default_rng(0)


def _pair(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


def conv_ref(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Direct loops over every output element (any number of spatial dims)."""
    nd = w.ndim - 2
    s, p, d = _pair(stride, nd), _pair(padding, nd), _pair(dilation, nd)
    n = x.shape[0]
    o, cg = w.shape[:2]
    k = w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(q, q) for q in p])
    out_sp = [(xp.shape[2 + i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(nd)]
    y = np.zeros((n, o, *out_sp))
    og = o // groups
    for pos in np.ndindex(*out_sp):
        window = tuple(slice(q * si, q * si + di * (ki - 1) + 1, di)
                       for q, si, di, ki in zip(pos, s, d, k))
        patch = xp[(slice(None), slice(None)) + window]  # (n, c, *k)
        for oc in range(o):
            g = oc // og
            y[(slice(None), oc) + pos] = (patch[:, g * cg:(g + 1) * cg] * w[oc]).reshape(
                n, -1).sum(1)
    if b is not None:
        y += b.reshape((1, -1) + (1,) * nd)
    return y


def conv_transpose_ref(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                       dilation=1):
    """Scatter every input element times the kernel into the output."""
    nd = w.ndim - 2
    s, p, d = _pair(stride, nd), _pair(padding, nd), _pair(dilation, nd)
    op = _pair(output_padding, nd)
    n, cin = x.shape[:2]
    cog = w.shape[1]
    k = w.shape[2:]
    out_sp = [(x.shape[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1
              for i in range(nd)]
    full = [o + 2 * q for o, q in zip(out_sp, p)]
    y = np.zeros((n, cog * groups, *full))
    cig = cin // groups
    for pos in np.ndindex(*x.shape[2:]):
        for ci in range(cin):
            g = ci // cig
            for kpos in np.ndindex(*k):
                tgt = tuple(q * si + kk * di for q, si, kk, di in zip(pos, s, kpos, d))
                y[(slice(None), slice(g * cog, (g + 1) * cog)) + tgt] += (
                    x[(slice(None), ci) + pos][:, None] * w[(ci, slice(None)) + kpos])
    y = y[(slice(None), slice(None)) + tuple(slice(q, q + o) for q, o in zip(p, out_sp))]
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * nd)
    return y


def _t(a, grad=False):
    return torch.tensor(a, requires_grad=grad)


CONV2D_CASES = [
    ((2, 3, 7, 6), (4, 3, 3, 2), {}),
    ((2, 4, 7, 6), (6, 2, 3, 2),
     {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1), "groups": 2}),
    ((1, 2, 5, 5), (2, 1, 3, 3), {"stride": 2, "padding": 1, "groups": 2}),
    ((2, 1, 6, 5), (3, 1, 1, 1), {"stride": 3}),
]


@pytest.mark.parametrize("xs,ws,kw", CONV2D_CASES)
def test_conv2d_matches_loops(xs, ws, kw):
    x, w, b = RNG.standard_normal(xs), RNG.standard_normal(ws), RNG.standard_normal(ws[0])
    y = C.conv2d(_t(x), _t(w), _t(b), **kw)
    np.testing.assert_allclose(y._data, conv_ref(x, w, b, **kw), atol=1e-10)
    y32 = C.conv2d(_t(x.astype(np.float32)), _t(w.astype(np.float32)), None, **kw)
    assert y32.dtype == torch.float32
    np.testing.assert_allclose(y32._data, conv_ref(x, w, None, **kw), rtol=1e-4, atol=1e-4)


def test_conv1d_conv3d_match_loops():
    x, w = RNG.standard_normal((2, 3, 9)), RNG.standard_normal((4, 3, 3))
    kw = {"stride": 2, "padding": 1, "dilation": 2}
    np.testing.assert_allclose(C.conv1d(_t(x), _t(w), **kw)._data, conv_ref(x, w, **kw),
                               atol=1e-10)
    x, w = RNG.standard_normal((1, 2, 4, 5, 3)), RNG.standard_normal((2, 2, 2, 3, 2))
    np.testing.assert_allclose(C.conv3d(_t(x), _t(w), padding=1)._data,
                               conv_ref(x, w, padding=1), atol=1e-10)


def test_conv_unbatched_and_same_valid_padding():
    x, w = RNG.standard_normal((3, 6, 5)), RNG.standard_normal((2, 3, 3, 3))
    y = C.conv2d(_t(x), _t(w), padding=1)
    assert y.shape == (2, 6, 5)
    np.testing.assert_allclose(y._data, conv_ref(x[None], w, padding=1)[0], atol=1e-10)
    y = C.conv2d(_t(x), _t(w), padding="same")
    assert y.shape == (2, 6, 5)
    assert C.conv2d(_t(x), _t(w), padding="valid").shape == (2, 4, 3)
    w_even = RNG.standard_normal((1, 3, 2, 4))  # asymmetric: the extra zero goes on the right
    y = C.conv2d(_t(x[None]), _t(w_even), padding="same", dilation=(1, 2))
    xp = np.pad(x[None], [(0, 0), (0, 0), (0, 1), (3, 3)])
    np.testing.assert_allclose(y._data, conv_ref(xp, w_even, dilation=(1, 2)), atol=1e-10)


@pytest.mark.parametrize("kw", [{"stride": 2, "padding": 1, "output_padding": 1},
                                {"stride": (2, 3), "padding": (1, 0), "output_padding": (1, 2),
                                 "groups": 2, "dilation": (1, 2)},
                                {"output_padding": 1, "dilation": 2}])
def test_conv_transpose2d_matches_loops(kw):
    x, w, b = (RNG.standard_normal((2, 4, 3, 4)), RNG.standard_normal((4, 3, 3, 2)),
               RNG.standard_normal(3 * kw.get("groups", 1)))
    y = C.conv_transpose2d(_t(x), _t(w), _t(b), **kw)
    np.testing.assert_allclose(y._data, conv_transpose_ref(x, w, b, **kw), atol=1e-10)


def test_conv_transpose1d_3d_and_unbatched():
    x, w = RNG.standard_normal((2, 5)), RNG.standard_normal((2, 3, 3))
    y = C.conv_transpose1d(_t(x), _t(w), stride=2)
    np.testing.assert_allclose(y._data, conv_transpose_ref(x[None], w, stride=2)[0],
                               atol=1e-10)
    x, w = RNG.standard_normal((1, 2, 2, 3, 2)), RNG.standard_normal((2, 1, 2, 2, 2))
    y = C.conv_transpose3d(_t(x), _t(w), stride=2, padding=1)
    np.testing.assert_allclose(y._data, conv_transpose_ref(x, w, stride=2, padding=1),
                               atol=1e-10)


@pytest.mark.parametrize("xs,ws,kw", [
    ((2, 4, 5, 4), (4, 2, 3, 2), {"stride": (2, 1), "padding": 1, "dilation": (1, 2), "groups": 2}),
    ((1, 2, 4, 4), (3, 2, 2, 2), {"padding": "same"}),
    ((4, 3, 4), (2, 4, 3, 3), {"padding": 1}),
])
def test_conv2d_gradcheck_and_gradgradcheck(xs, ws, kw):
    check_grad(lambda x, w, b: C.conv2d(x, w, b, **kw), RNG.standard_normal(xs),
               RNG.standard_normal(ws), RNG.standard_normal(ws[0]))


def test_conv1d_conv3d_transpose_gradgradcheck():
    check_grad(lambda x, w: C.conv1d(x, w, stride=2, padding=1), RNG.standard_normal((1, 2, 6)),
               RNG.standard_normal((2, 2, 3)))
    check_grad(lambda x, w: C.conv3d(x, w, padding=(0, 1, 0)),
               RNG.standard_normal((1, 1, 3, 2, 3)), RNG.standard_normal((1, 1, 2, 2, 2)))
    check_grad(lambda x, w, b: C.conv_transpose2d(x, w, b, stride=2, padding=1, groups=2,
                                                  output_padding=1),
               RNG.standard_normal((1, 4, 2, 3)), RNG.standard_normal((4, 1, 3, 2)),
               RNG.standard_normal(2))


def test_conv_grads_without_create_graph_match_gradcheck_path():
    # without create_graph the backward runs unrecorded; with it the same primitives are
    # recorded: both give the same gradients
    x, w = _t(RNG.standard_normal((2, 3, 5, 5)), True), _t(RNG.standard_normal((4, 3, 3, 3)), True)
    y = C.conv2d(x, w, padding=1, stride=2)
    g = _t(RNG.standard_normal(tuple(y.shape)))
    fast = torch.autograd.grad(y, (x, w), g, retain_graph=True)
    slow = torch.autograd.grad(y, (x, w), g, create_graph=True)
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a._data, b._data, atol=1e-12)
    assert slow[0].grad_fn is not None and fast[0].grad_fn is None


def test_conv_node_names_and_dtype():
    x = _t(RNG.standard_normal((1, 1, 4, 4)).astype(np.float32), True)
    w = _t(RNG.standard_normal((2, 1, 3, 3)).astype(np.float32), True)
    y = C.conv2d(x, w)
    assert y.grad_fn.name() == "ConvolutionBackward0"
    assert C.conv_transpose2d(x, w.transpose(0, 1)).grad_fn.name() == "ConvolutionBackward0"
    y.sum().backward()
    assert x.grad.dtype == torch.float32 and w.grad.dtype == torch.float32


@pytest.mark.skipif(not torch_available, reason="PyTorch is not installed")
def test_conv_against_torch():
    import torch as th

    F = th.nn.functional
    compare_with_torch(lambda x, w, b: C.conv2d(x, w, b, stride=2, padding=1, groups=2),
                       lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2),
                       RNG.standard_normal((2, 4, 7, 6)).astype(np.float32),
                       RNG.standard_normal((6, 2, 3, 3)).astype(np.float32),
                       RNG.standard_normal(6).astype(np.float32))
    compare_with_torch(lambda x, w: C.conv_transpose2d(x, w, stride=2, output_padding=1),
                       lambda x, w: F.conv_transpose2d(x, w, stride=2, output_padding=1),
                       RNG.standard_normal((2, 3, 4, 5)), RNG.standard_normal((3, 2, 3, 3)))
    compare_with_torch(lambda x, w: C.conv1d(x, w, padding="same", dilation=2),
                       lambda x, w: F.conv1d(x, w, padding="same", dilation=2),
                       RNG.standard_normal((2, 3, 8)), RNG.standard_normal((4, 3, 4)))


CONV_ERRORS = [
    ((128, 3, 28, 28), (32, 1, 3, 3), {}, ("Given groups=1, weight of size [32, 1, 3, 3], "
     "expected input[128, 3, 28, 28] to have 1 channels, but got 3 channels instead")),
    ((2, 2, 1, 3, 3), (32, 1, 3, 3), {}, ("Expected 3D (unbatched) or 4D (batched) input to "
     "conv2d, but got input of size: [2, 2, 1, 3, 3]")),
    ((1, 1, 2, 2), (32, 1, 3, 3), {}, ("Calculated padded input size per channel: (2 x 2). "
     "Kernel size: (3 x 3). Kernel size can't be greater than actual input size")),
    ((1, 4, 5, 5), (3, 2, 3, 3), {"groups": 2}, ("Given groups=2, expected weight to be "
     "divisible by 2 at dimension 0, but got weight of size [[3, 2, 3, 3]] instead")),
    ((1, 1, 5, 5), (1, 1, 3, 3), {"stride": 0}, "non-positive stride is not supported"),
    ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": -1}, "negative padding is not supported"),
    ((1, 1, 5, 5), (1, 1, 3, 3), {"dilation": 0}, "dilation should be greater than zero"),
    ((1, 1, 5, 5), (1, 1, 3, 3), {"groups": 0}, "non-positive groups is not supported"),
    ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": "same", "stride": 2}, ("padding='same' is not "
     "supported for strided convolutions")),
    ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": "foo"}, "Invalid padding string: 'foo'"),
    ((1, 1, 5, 5), (1, 1, 3, 3), {"stride": (1, 1, 1)}, ("expected stride to be a single "
     "integer value or a list of 2 values to match the convolution dimensions, but got "
     "stride=[1, 1, 1]")),
    ((1, 1, 5, 5), (3, 3), {}, "weight should have at least three dimensions"),
]


@pytest.mark.parametrize("xs,ws,kw,msg", CONV_ERRORS)
def test_conv2d_errors(xs, ws, kw, msg):
    with pytest.raises(RuntimeError) as info:
        C.conv2d(torch.zeros(*xs), torch.zeros(*ws), **kw)
    assert msg in str(info.value)


def test_conv_dtype_bias_and_transpose_errors():
    x, w = torch.zeros(1, 1, 5, 5), torch.zeros(2, 1, 3, 3)
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        C.conv2d(x.double(), w)
    with pytest.raises(RuntimeError, match=r"Input type \(float\) and bias type \(double\)"):
        C.conv2d(x, w, torch.zeros(2).double())
    with pytest.raises(RuntimeError, match=r"expected bias to be 1-dimensional with 2 "
                                           r"elements, but got bias of size \[3\] instead"):
        C.conv2d(x, w, torch.zeros(3))
    with pytest.raises(RuntimeError, match="Given transposed=1, weight of size"):
        C.conv_transpose2d(torch.zeros(1, 2, 5, 5), torch.zeros(3, 1, 3, 3))
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride "
                                           "or dilation"):
        C.conv_transpose2d(torch.zeros(1, 3, 5, 5), torch.zeros(3, 1, 3, 3), output_padding=1)
    with pytest.raises(TypeError):
        C.conv2d(np.zeros((1, 1, 5, 5)), w)


# ---- unfold / fold -------------------------------------------------------------------------

def unfold_ref(x, k, d, p, s):
    n, c, h, w = x.shape
    xp = np.pad(x, [(0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])])
    oh = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    cols = np.zeros((n, c, k[0], k[1], oh, ow))
    for i in range(k[0]):
        for j in range(k[1]):
            for a in range(oh):
                for b in range(ow):
                    cols[:, :, i, j, a, b] = xp[:, :, a * s[0] + i * d[0], b * s[1] + j * d[1]]
    return cols.reshape(n, c * k[0] * k[1], oh * ow)


def test_unfold_fold_values_and_adjointness():
    x = RNG.standard_normal((2, 3, 5, 6))
    kw = {"kernel_size": (2, 3), "dilation": (1, 2), "padding": 1, "stride": (2, 1)}
    cols = CF.unfold(_t(x), **kw)
    assert cols.grad_fn is None and cols.shape == (2, 18, 12)
    np.testing.assert_allclose(cols._data, unfold_ref(x, (2, 3), (1, 2), (1, 1), (2, 1)))
    c = RNG.standard_normal(cols.shape)
    img = CF.fold(_t(c), (5, 6), **kw)
    # fold is unfold's adjoint: <unfold(x), c> == <x, fold(c)>
    assert np.isclose((cols._data * c).sum(), (x * img._data).sum())
    assert CF.unfold(_t(x[0]), 2).shape == (12, 20)
    assert CF.fold(_t(c[0]), (5, 6), **kw).shape == (3, 5, 6)


def test_unfold_fold_grads():
    kw = {"kernel_size": 2, "padding": 1, "stride": 2}
    check_grad(lambda x: CF.unfold(x, **kw), RNG.standard_normal((1, 2, 3, 4)))
    check_grad(lambda c: CF.fold(c, (3, 4), **kw), RNG.standard_normal((1, 8, 6)))
    y = CF.unfold(_t(RNG.standard_normal((1, 1, 3, 3)), True), 2)
    assert y.grad_fn.name() == "Im2ColBackward0"
    assert CF.fold(_t(RNG.standard_normal((1, 4, 4)), True), 3, 2).grad_fn.name() == \
        "Col2ImBackward0"


def test_fold_unfold_errors():
    with pytest.raises(RuntimeError, match="divisible by the product of kernel_size"):
        CF.fold(torch.zeros(1, 7, 4), (3, 3), 2)
    with pytest.raises(RuntimeError, match="calculated number of sliding blocks 2 \\* 2 = 4, "
                                           "but got input.size\\(2\\)=5"):
        CF.fold(torch.zeros(1, 8, 5), (3, 3), 2)
    with pytest.raises(RuntimeError, match="Only 3D or 4D input Tensors are supported"):
        CF.unfold(torch.zeros(3, 3), 2)
    with pytest.raises(RuntimeError, match="must be at least one"):
        CF.unfold(torch.zeros(1, 1, 2, 2), 3)


# ---- modules -------------------------------------------------------------------------------

@pytest.mark.parametrize("module,expected", [
    (lambda: nn.Conv1d(2, 4, 3), "Conv1d(2, 4, kernel_size=(3,), stride=(1,))"),
    (lambda: nn.Conv2d(1, 32, 3), "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))"),
    (lambda: nn.Conv2d(4, 8, (3, 2), stride=2, padding=1, dilation=2, groups=2, bias=False,
                       padding_mode="reflect"),
     ("Conv2d(4, 8, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), dilation=(2, 2), "
     "groups=2, bias=False, padding_mode=reflect)")),
    (lambda: nn.Conv2d(4, 8, 3, padding="same"),
     "Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding=same)"),
    (lambda: nn.Conv3d(2, 4, 3, padding="valid"),
     "Conv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=valid)"),
    (lambda: nn.ConvTranspose2d(4, 8, 3, stride=2, output_padding=1),
     "ConvTranspose2d(4, 8, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))"),
    (lambda: nn.ConvTranspose1d(4, 8, 3), "ConvTranspose1d(4, 8, kernel_size=(3,), stride=(1,))"),
    (lambda: nn.ConvTranspose3d(4, 8, 3, groups=2, dilation=2),
     ("ConvTranspose3d(4, 8, kernel_size=(3, 3, 3), stride=(1, 1, 1), dilation=(2, 2, 2), "
     "groups=2)")),
    (lambda: nn.Fold((4, 5), 2),
     "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)"),
    (lambda: nn.Unfold(2, padding=1), "Unfold(kernel_size=2, dilation=1, padding=1, stride=1)"),
])
def test_module_reprs(module, expected):
    assert repr(module()) == expected


def test_conv_module_parameters_and_init():
    torch.manual_seed(0)
    m = nn.Conv2d(3, 16, 5, groups=1)
    assert list(m.state_dict().keys()) == ["weight", "bias"]
    assert m.weight.shape == (16, 3, 5, 5) and m.weight.dtype == torch.float32
    fan_in = 3 * 25
    # kaiming_uniform_(a=sqrt(5)) gives the bound 1/sqrt(fan_in), as for the bias
    bound = 1 / math.sqrt(fan_in)
    assert np.abs(m.weight._data).max() <= bound and np.abs(m.weight._data).max() > 0.9 * bound
    assert np.abs(m.bias._data).max() <= bound and m.bias._data.std() > 0.3 * bound
    t = nn.ConvTranspose2d(4, 6, 3, groups=2, bias=False)
    assert t.weight.shape == (4, 3, 3, 3) and t.bias is None
    assert list(t.state_dict().keys()) == ["weight"]
    assert nn.Conv1d(2, 4, 3, dtype=torch.float64).weight.dtype == torch.float64


def test_conv_module_forward_and_padding_modes():
    m = nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular")
    x = RNG.standard_normal((1, 2, 4, 5)).astype(np.float32)
    xp = np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)], mode="wrap")
    ref = conv_ref(xp, m.weight._data, m.bias._data)
    np.testing.assert_allclose(m(_t(x))._data, ref, rtol=1e-5, atol=1e-5)
    m = nn.Conv2d(2, 3, (2, 3), padding="same", padding_mode="reflect")
    assert m(_t(x)).shape == (1, 3, 4, 5)
    up = nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1)
    assert up(_t(x), output_size=(8, 10)).shape == (1, 2, 8, 10)
    assert up(_t(x), output_size=[1, 2, 7, 9]).shape == (1, 2, 7, 9)
    with pytest.raises(ValueError, match="requested an output size of"):
        up(_t(x), output_size=(10, 10))


@pytest.mark.parametrize("make,exc,msg", [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "in_channels must be divisible by groups"),
    (lambda: nn.Conv2d(4, 3, 3, groups=2), ValueError,
     "out_channels must be divisible by groups"),
    (lambda: nn.Conv2d(4, 4, 3, groups=0), ValueError, "groups must be a positive integer"),
    (lambda: nn.Conv2d(4, 4, 3, padding_mode="foo"), ValueError,
     "padding_mode must be one of"),
    (lambda: nn.Conv2d(4, 4, 3, padding="same", stride=2), ValueError,
     "padding='same' is not supported for strided convolutions"),
    (lambda: nn.Conv2d(4, 4, 3, padding="foo"), ValueError, "Invalid padding string 'foo'"),
    (lambda: nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"), ValueError,
     'Only "zeros" padding mode is supported for ConvTranspose2d'),
    (lambda: nn.Conv2d(4.5, 4, 3), TypeError, "in_channels must be an int"),
])
def test_conv_module_errors(make, exc, msg):
    with pytest.raises(exc, match=msg):
        make()


def test_conv_module_wrong_input_names_channels():
    with pytest.raises(RuntimeError, match="expected input\\[128, 3, 28, 28\\] to have 1 "
                                           "channels, but got 3 channels instead"):
        nn.Conv2d(1, 32, 3)(torch.zeros(128, 3, 28, 28))


@pytest.mark.skipif(not torch_available, reason="PyTorch is not installed")
def test_conv_module_against_torch_with_copied_weights():
    import torch as th

    for ours, theirs, shape in [
            (nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2, padding_mode="replicate"),
             th.nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2, padding_mode="replicate"),
             (2, 4, 7, 6)),
            (nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1),
             th.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1),
             (2, 4, 3, 3))]:
        with th.no_grad():
            theirs.weight.copy_(th.from_numpy(ours.weight._data))
            theirs.bias.copy_(th.from_numpy(ours.bias._data))
        x = RNG.standard_normal(shape).astype(np.float32)
        np.testing.assert_allclose(ours(_t(x))._data, theirs(th.from_numpy(x)).detach().numpy(),
                                   rtol=1e-5, atol=1e-5)
