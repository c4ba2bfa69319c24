"""Resampling (chainrule.ops.resample): pad, interpolate, pixel_shuffle, and the padding and
upsampling modules: values against NumPy references and PyTorch, derivatives, errors, reprs."""

import numpy as np
import pytest

import chainrule as torch
from chainrule import nn
from chainrule.ops import resample as R
from tests.helpers import check_grad, compare_with_torch, torch_available

RNG = np.random.default_rng(2)


def _t(a, grad=False):
    return torch.tensor(a, requires_grad=grad)


_NP_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
             "circular": "wrap"}


def pad_ref(x, pad, mode, value=0.0):
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode == "constant":
        return np.pad(x, widths, constant_values=value)
    return np.pad(x, widths, mode=_NP_MODES[mode])


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", [((2, 3, 5, 6), (1, 2, 3, 0)), ((3, 5), (4, 2)),
                                       ((1, 2, 3, 4, 5), (1, 2, 2, 0, 1, 1))])
def test_pad_modes(mode, shape, pad):
    x = RNG.standard_normal(shape)
    np.testing.assert_array_equal(R.pad(_t(x), pad, mode)._data, pad_ref(x, pad, mode))


def test_constant_pad_value_and_negative_crop():
    x = RNG.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(R.pad(_t(x), (1, 1), value=2.5)._data,
                                  pad_ref(x, (1, 1), "constant", 2.5))
    np.testing.assert_array_equal(R.pad(_t(x), (-1, 2, 0, -2))._data,
                                  np.pad(x[:, :1, 1:], [(0, 0), (0, 0), (0, 2)]))
    assert R.pad(_t(x), (1, 1, 1, 1, 1, 1)).shape == (4, 5, 6)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_grads(mode):
    check_grad(lambda x: R.pad(x, (2, 1, 1, 2), mode), RNG.standard_normal((1, 2, 3, 4)))


def test_pad_node_names():
    x = _t(RNG.standard_normal((1, 1, 3, 3)), True)
    assert R.pad(x, (1, 1)).grad_fn.name() == "ConstantPadNdBackward0"
    assert R.pad(x, (1, 1, 1, 1), "reflect").grad_fn.name() == "ReflectionPad2DBackward0"
    assert R.pad(x[0], (1, 1), "replicate").grad_fn.name() == "ReplicationPad1DBackward0"


@pytest.mark.parametrize("call,exc,msg", [
    (lambda: R.pad(torch.zeros(1, 1, 5, 5), (1,)), RuntimeError,
     "Padding length must be divisible by 2"),
    (lambda: R.pad(torch.zeros(5), (1, 1, 1, 1)), RuntimeError,
     ("Padding length should be less than or equal to two times the input dimension but got "
     "padding length 4 and input of dimension 1")),
    (lambda: R.pad(torch.zeros(1, 1, 3, 3), (3, 3, 0, 0), "reflect"), RuntimeError,
     "Padding size should be less than the corresponding input dimension"),
    (lambda: R.pad(torch.zeros(1, 1, 3, 3), (1, 1), "reflect"), NotImplementedError,
     "Padding size 2 is not supported for 4D input tensor."),
    (lambda: R.pad(torch.zeros(1, 1, 3, 3), (1, 1, 1, 1), "foo"), NotImplementedError,
     "Unrecognised padding mode foo"),
    (lambda: R.pad(torch.zeros(1, 1, 3, 3), (4, 4, 0, 0), "circular"), RuntimeError,
     "Padding value causes wrapping around more than once."),
    (lambda: R.pad(torch.zeros(1, 1, 3, 3), (1, 1, 0, 0), "reflect", 1.0), RuntimeError,
     "Padding mode \"reflect\" doesn't take in value argument"),
    (lambda: R.pad(torch.zeros(1, 1, 3, 3), (-4, 0)), RuntimeError,
     "resulted in a negative output size"),
])
def test_pad_errors(call, exc, msg):
    with pytest.raises(exc) as info:
        call()
    assert msg in str(info.value)


# ---- interpolate ---------------------------------------------------------------------------

def nearest_ref(x, out, exact=False):
    y = x
    for ax, o in zip(range(2, x.ndim), out):
        n = x.shape[ax]
        dst = np.arange(o) + (0.5 if exact else 0.0)
        idx = np.minimum(np.floor(dst * np.float32(n / o)).astype(int), n - 1)
        y = np.take(y, idx, axis=ax)
    return y


def linear_ref(x, out, align_corners):
    """Separable linear interpolation written out per axis."""
    y = x
    for ax, o in zip(range(2, x.ndim), out):
        n = y.shape[ax]
        dst = np.arange(o, dtype=np.float64)
        if align_corners:
            src = dst * ((n - 1) / (o - 1) if o > 1 else 0.0)
        else:
            src = np.maximum((dst + 0.5) * (n / o) - 0.5, 0)
        i0 = np.minimum(np.floor(src).astype(int), n - 1)
        i1 = np.minimum(i0 + 1, n - 1)
        lam = (src - i0).reshape((-1,) + (1,) * (y.ndim - ax - 1))
        y = np.take(y, i0, axis=ax) * (1 - lam) + np.take(y, i1, axis=ax) * lam
    return y


@pytest.mark.parametrize("shape,size", [((2, 3, 4, 5), (8, 10)), ((1, 2, 5, 6), (7, 4)),
                                        ((1, 1, 6), (9,))])
def test_interpolate_nearest(shape, size):
    x = RNG.standard_normal(shape)
    np.testing.assert_array_equal(R.interpolate(_t(x), size=size)._data, nearest_ref(x, size))
    np.testing.assert_array_equal(R.interpolate(_t(x), size=size, mode="nearest-exact")._data,
                                  nearest_ref(x, size, exact=True))


def test_interpolate_scale_factor_nearest_repeats():
    x = RNG.standard_normal((2, 3, 4, 5))
    y = R.interpolate(_t(x), scale_factor=2)
    np.testing.assert_array_equal(y._data, x.repeat(2, axis=2).repeat(2, axis=3))
    assert R.interpolate(_t(x), scale_factor=(1.5, 0.5)).shape == (2, 3, 6, 2)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("shape,size,mode", [((2, 3, 4, 5), (8, 3), "bilinear"),
                                             ((1, 2, 5), (9,), "linear"),
                                             ((1, 1, 3, 4, 2), (5, 2, 3), "trilinear")])
def test_interpolate_linear_modes(align_corners, shape, size, mode):
    x = RNG.standard_normal(shape)
    y = R.interpolate(_t(x), size=size, mode=mode, align_corners=align_corners)
    np.testing.assert_allclose(y._data, linear_ref(x, size, align_corners), atol=1e-12)


def test_interpolate_bicubic_reproduces_linear_functions_with_align_corners():
    # cubic convolution is exact for linear data away from the clamped borders
    x = np.add.outer(np.arange(6.0), 2 * np.arange(6.0))[None, None]
    y = R.interpolate(_t(x), size=(11, 11), mode="bicubic", align_corners=True)
    grid = np.arange(11) / 2
    np.testing.assert_allclose(y._data[0, 0, 2:-2, 2:-2],
                               np.add.outer(grid, 2 * grid)[2:-2, 2:-2], atol=1e-12)


def test_interpolate_area_is_adaptive_avg_pool():
    x = RNG.standard_normal((1, 2, 7, 5))
    from chainrule.ops.pooling import adaptive_avg_pool2d

    np.testing.assert_allclose(R.interpolate(_t(x), size=(3, 2), mode="area")._data,
                               adaptive_avg_pool2d(_t(x), (3, 2))._data)


@pytest.mark.parametrize("kw,shape", [
    ({"scale_factor": 2}, (1, 1, 2, 3)),
    ({"size": (3, 5)}, (1, 2, 4, 3)),
    ({"size": (5, 3), "mode": "bilinear"}, (1, 1, 3, 4)),
    ({"scale_factor": 1.5, "mode": "bilinear", "align_corners": True}, (1, 1, 3, 3)),
    ({"size": (4, 5), "mode": "bicubic"}, (1, 1, 3, 3)),
    ({"size": 5, "mode": "linear"}, (1, 2, 3)),
    ({"size": (2, 3), "mode": "area"}, (1, 1, 5, 4)),
])
def test_interpolate_grads(kw, shape):
    check_grad(lambda x: R.interpolate(x, **kw), RNG.standard_normal(shape))


def test_interpolate_node_names_and_dtype():
    x = _t(RNG.standard_normal((1, 1, 3, 3)).astype(np.float32), True)
    y = R.interpolate(x, scale_factor=2)
    assert y.grad_fn.name() == "UpsampleNearest2DBackward0" and y.dtype == torch.float32
    y = R.interpolate(x, scale_factor=2, mode="bilinear")
    assert y.grad_fn.name() == "UpsampleBilinear2DBackward0" and y.dtype == torch.float32
    y.sum().backward()
    assert x.grad.dtype == torch.float32
    np.testing.assert_allclose(x.grad._data, 4.0, rtol=1e-6)  # each pixel spreads weight 4


@pytest.mark.parametrize("call,exc,msg", [
    (lambda: R.interpolate(torch.zeros(1, 1, 3, 3), size=4, scale_factor=2), ValueError,
     "only one of size or scale_factor should be defined"),
    (lambda: R.interpolate(torch.zeros(1, 1, 3, 3)), ValueError,
     "either size or scale_factor should be defined"),
    (lambda: R.interpolate(torch.zeros(1, 1, 3, 3), size=4, mode="foo"), NotImplementedError,
     "(got foo)"),
    (lambda: R.interpolate(torch.zeros(1, 1, 3), size=4, mode="bilinear"),
     NotImplementedError, "Got 3D input, but bilinear mode needs 4D input"),
    (lambda: R.interpolate(torch.zeros(1, 1, 3, 3), size=4, align_corners=True), ValueError,
     "align_corners option can only be set with the interpolating modes"),
    (lambda: R.interpolate(torch.zeros(1, 1, 3, 3), size=(4, 4, 4)), ValueError,
     "Input and output must have the same number of spatial dimensions"),
    (lambda: R.interpolate(torch.zeros(1, 1, 5, 5), scale_factor=0.1), RuntimeError,
     "Input and output sizes should be greater than 0"),
])
def test_interpolate_errors(call, exc, msg):
    with pytest.raises(exc) as info:
        call()
    assert msg in str(info.value)


@pytest.mark.skipif(not torch_available, reason="PyTorch is not installed")
def test_resample_against_torch():
    import torch as th

    F = th.nn.functional
    x = RNG.standard_normal((2, 3, 5, 6)).astype(np.float32)
    cases = [({"scale_factor": 1.7}, None), ({"size": (7, 4), "mode": "nearest-exact"}, None),
             ({"scale_factor": 2, "mode": "bilinear"}, None),
             ({"size": (3, 9), "mode": "bilinear", "align_corners": True}, None),
             ({"size": (8, 7), "mode": "bicubic"}, None),
             ({"size": (8, 7), "mode": "bicubic", "align_corners": True}, None),
             ({"size": (3, 4), "mode": "area"}, None)]
    for kw, _ in cases:
        compare_with_torch(lambda v, kw=kw: R.interpolate(v, **kw),
                           lambda v, kw=kw: F.interpolate(v, **kw), x, rtol=1e-4, atol=1e-5)
    for mode in ("reflect", "replicate", "circular"):
        compare_with_torch(lambda v, m=mode: R.pad(v, (2, 1, 1, 3), m),
                           lambda v, m=mode: F.pad(v, (2, 1, 1, 3), m), x)
    compare_with_torch(lambda v: R.pixel_shuffle(v, 2), lambda v: F.pixel_shuffle(v, 2),
                       RNG.standard_normal((2, 8, 3, 4)))


# ---- pixel shuffle -------------------------------------------------------------------------

def test_pixel_shuffle_roundtrip_and_layout():
    x = RNG.standard_normal((2, 8, 3, 4))
    y = R.pixel_shuffle(_t(x), 2)
    assert y.shape == (2, 2, 6, 8)
    # output[n, c, h*r + i, w*r + j] = input[n, c*r*r + i*r + j, h, w]
    assert y._data[1, 1, 3, 5] == x[1, 1 * 4 + 1 * 2 + 1, 1, 2]
    np.testing.assert_array_equal(R.pixel_unshuffle(y, 2)._data, x)
    check_grad(lambda v: R.pixel_shuffle(v, 2), RNG.standard_normal((1, 4, 2, 3)))
    check_grad(lambda v: R.pixel_unshuffle(v, 2), RNG.standard_normal((1, 1, 4, 2)))
    with pytest.raises(RuntimeError, match="divisible by the square of upscale_factor"):
        R.pixel_shuffle(torch.zeros(1, 5, 2, 2), 2)
    with pytest.raises(RuntimeError, match="expects height to be divisible by downscale_factor"):
        R.pixel_unshuffle(torch.zeros(1, 5, 3, 2), 2)


# ---- modules -------------------------------------------------------------------------------

@pytest.mark.parametrize("module,expected", [
    (nn.ZeroPad1d(2), "ZeroPad1d((2, 2))"),
    (nn.ZeroPad2d(2), "ZeroPad2d((2, 2, 2, 2))"),
    (nn.ZeroPad2d((1, 2, 3, 4)), "ZeroPad2d((1, 2, 3, 4))"),
    (nn.ZeroPad3d(1), "ZeroPad3d((1, 1, 1, 1, 1, 1))"),
    (nn.ConstantPad1d(2, 3.5), "ConstantPad1d(padding=(2, 2), value=3.5)"),
    (nn.ConstantPad2d((1, 2, 3, 4), 0), "ConstantPad2d(padding=(1, 2, 3, 4), value=0)"),
    (nn.ReflectionPad2d(2), "ReflectionPad2d((2, 2, 2, 2))"),
    (nn.ReplicationPad2d((1, 2, 3, 4)), "ReplicationPad2d((1, 2, 3, 4))"),
    (nn.ReplicationPad3d(1), "ReplicationPad3d((1, 1, 1, 1, 1, 1))"),
    (nn.CircularPad1d(1), "CircularPad1d((1, 1))"),
    (nn.Upsample(scale_factor=2), "Upsample(scale_factor=2.0, mode='nearest')"),
    (nn.Upsample(size=(3, 4), mode="bilinear", align_corners=True),
     "Upsample(size=(3, 4), mode='bilinear')"),
    (nn.UpsamplingNearest2d(scale_factor=2), ("UpsamplingNearest2d(scale_factor=2.0, "
     "mode='nearest')")),
    (nn.UpsamplingBilinear2d(size=4), "UpsamplingBilinear2d(size=4, mode='bilinear')"),
    (nn.PixelShuffle(2), "PixelShuffle(upscale_factor=2)"),
    (nn.PixelUnshuffle(3), "PixelUnshuffle(downscale_factor=3)"),
])
def test_module_reprs(module, expected):
    assert repr(module) == expected


def test_padding_and_upsampling_modules_forward():
    x = RNG.standard_normal((1, 2, 3, 4))
    np.testing.assert_array_equal(nn.ReflectionPad2d((1, 2, 2, 0))(_t(x))._data,
                                  pad_ref(x, (1, 2, 2, 0), "reflect"))
    np.testing.assert_array_equal(nn.ReplicationPad1d(2)(_t(x[0]))._data,
                                  pad_ref(x[0], (2, 2), "replicate"))
    np.testing.assert_array_equal(nn.CircularPad2d(1)(_t(x))._data, pad_ref(x, (1,) * 4,
                                                                             "circular"))
    np.testing.assert_array_equal(nn.ConstantPad3d(1, 2.0)(_t(x))._data,
                                  pad_ref(x, (1,) * 6, "constant", 2.0))
    np.testing.assert_array_equal(nn.ZeroPad2d(1)(_t(x))._data, pad_ref(x, (1,) * 4,
                                                                        "constant"))
    assert nn.Upsample(scale_factor=2, mode="bilinear")(_t(x)).shape == (1, 2, 6, 8)
    np.testing.assert_allclose(nn.UpsamplingBilinear2d(size=(5, 7))(_t(x))._data,
                               linear_ref(x, (5, 7), True), atol=1e-12)
    assert nn.PixelShuffle(2)(_t(RNG.standard_normal((1, 4, 2, 2)))).shape == (1, 1, 4, 4)
    with pytest.raises(ValueError, match="padding must be an int or a tuple of 4 ints"):
        nn.ReflectionPad2d((1, 2))
