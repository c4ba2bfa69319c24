"""chainrule.transforms: conversions, crops, flips, warps, colour, reprs, seeding."""

import colorsys

import numpy as np
import pytest

import chainrule
from chainrule import transforms as T
from chainrule.random import numpy_rng
from chainrule.transforms._geometry import _rgb_hue_shift

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - torch is optional
    torch = None


def img(h=5, w=7, c=None, dtype=np.uint8, seed=0):
    rng = np.random.default_rng(seed)
    shape = (h, w) if c is None else (h, w, c)
    return rng.integers(0, 256, shape).astype(dtype)


def tens(a):
    return chainrule.from_numpy(np.ascontiguousarray(a))


def test_to_tensor():
    a = img(28, 28)
    x = T.ToTensor()(a)
    assert x.shape == (1, 28, 28) and x.dtype == chainrule.float32
    np.testing.assert_array_equal(x._data[0], a.astype(np.float32) / np.float32(255))
    rgb = img(4, 6, 3)
    y = T.ToTensor()(rgb)
    assert y.shape == (3, 4, 6) and y._data.flags.c_contiguous
    np.testing.assert_allclose(y._data[2], rgb[:, :, 2] / 255, rtol=1e-6)
    f = T.ToTensor()(np.full((2, 2), 3.0))
    assert f.dtype == chainrule.float64 and float(f._data.max()) == 3.0  # no scaling for floats
    with pytest.raises(TypeError, match="pic should be"):
        T.ToTensor()(tens(a))
    with pytest.raises(ValueError, match="2/3 dimensional"):
        T.ToTensor()(np.zeros(3, np.uint8))
    chainrule.set_default_dtype(chainrule.float64)
    try:
        assert T.ToTensor()(a).dtype == chainrule.float64
    finally:
        chainrule.set_default_dtype(chainrule.float32)


@pytest.mark.skipif(torch is None, reason="torch not installed")
def test_to_tensor_normalize_match_torch_arithmetic():
    a = img(28, 28, 3, seed=3)
    ours = T.Compose([T.ToTensor(), T.Normalize((0.1, 0.2, 0.3), (0.5, 0.25, 0.2))])(a)
    ref = torch.from_numpy(a.transpose(2, 0, 1).copy()).to(torch.float32).div(255)
    ref = (ref - torch.tensor([0.1, 0.2, 0.3])[:, None, None]) / torch.tensor(
        [0.5, 0.25, 0.2])[:, None, None]
    np.testing.assert_allclose(ours._data, ref.numpy(), rtol=1e-6, atol=1e-6)


def test_normalize():
    x = tens(np.ones((2, 2, 2), np.float32))
    out = T.Normalize((0.5, 0.0), (0.5, 2.0))(x)
    assert out._data[0].tolist() == [[1.0, 1.0]] * 2 and out._data[1].tolist() == [[0.5, 0.5]] * 2
    assert x._data.max() == 1.0  # not in place
    same = T.Normalize((1.0,), (1.0,), inplace=True)(x)
    assert same is x and float(x._data.max()) == 0.0
    batch = tens(np.ones((4, 3, 2, 2), np.float32))
    assert T.Normalize((0.0, 1.0, 0.0), (1.0, 1.0, 1.0))(batch)._data[:, 1].max() == 0.0
    hwc = T.Normalize((0.0, 1.0), (1.0, 2.0))(np.ones((2, 2, 2)))
    assert hwc[..., 1].max() == 0.0 and hwc[..., 0].max() == 1.0
    with pytest.raises(TypeError, match="should be a float tensor"):
        T.Normalize((0.0,), (1.0,))(tens(np.ones((1, 2, 2), np.uint8)))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize((0.0,), (0.0,))(x)
    with pytest.raises(ValueError, match="tensor image of size"):
        T.Normalize((0.0,), (1.0,))(tens(np.ones((2, 2), np.float32)))


def test_reprs_match_torchvision():
    assert repr(T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])) == (
        "Compose(\n    ToTensor()\n    Normalize(mean=(0.1307,), std=(0.3081,))\n)")
    assert repr(T.RandomCrop(32, padding=4)) == "RandomCrop(size=(32, 32), padding=4)"
    assert repr(T.RandomHorizontalFlip()) == "RandomHorizontalFlip(p=0.5)"
    assert repr(T.RandomVerticalFlip(0.3)) == "RandomVerticalFlip(p=0.3)"
    assert repr(T.RandomRotation(10)) == ("RandomRotation(degrees=[-10.0, 10.0], "
                                          "interpolation=nearest, expand=False, fill=0)")
    assert repr(T.RandomAffine(0, translate=(0.1, 0.1))) == (
        "RandomAffine(degrees=[0.0, 0.0], translate=(0.1, 0.1))")
    assert repr(T.RandomAffine(5, interpolation="bilinear", fill=1)) == (
        "RandomAffine(degrees=[-5.0, 5.0], interpolation=bilinear, fill=1)")
    assert repr(T.ColorJitter(brightness=0.5, contrast=(0.2, 0.8))) == (
        "ColorJitter(brightness=(0.5, 1.5), contrast=(0.2, 0.8), saturation=None, hue=None)")
    assert repr(T.CenterCrop(24)) == "CenterCrop(size=(24, 24))"
    assert repr(T.Resize(32)) == ("Resize(size=32, interpolation=bilinear, max_size=None, "
                                  "antialias=True)")
    assert repr(T.Lambda(abs)) == "Lambda()"
    assert repr(T.GaussianNoise()) == "GaussianNoise(mean=0.0, sigma=0.1, clip=True)"


def test_lambda_and_random_apply():
    assert T.Lambda(lambda v: v * 2)(3) == 6
    with pytest.raises(TypeError, match="should be callable"):
        T.Lambda(3)
    assert T.RandomApply([T.Lambda(lambda v: v + 1)], p=1.0)(1) == 2
    assert T.RandomApply([T.Lambda(lambda v: v + 1)], p=0.0)(1) == 1


def test_random_crop_and_padding():
    a = img(6, 8)
    chainrule.manual_seed(0)
    out = T.RandomCrop((4, 5))(a)
    assert out.shape == (4, 5)
    assert any(np.array_equal(a[i:i + 4, j:j + 5], out) for i in range(3) for j in range(4))
    chainrule.manual_seed(0)
    np.testing.assert_array_equal(T.RandomCrop((4, 5))(a), out)  # reproducible
    padded = T.RandomCrop(6, padding=2)(np.ones((6, 6), np.uint8))
    assert padded.shape == (6, 6) and padded.min() in (0, 1)
    np.testing.assert_array_equal(T.Pad((1, 2))(a)[2:-2, 1:-1], a)
    assert T.Pad(1, fill=7)(a)[0, 0] == 7
    rgb_fill = T.Pad(1, fill=(1, 2, 3))(img(2, 2, 3))
    assert rgb_fill[0, 0].tolist() == [1, 2, 3]
    assert T.Pad(2, padding_mode="reflect")(a)[0, 2] == a[2, 0]
    assert T.RandomCrop(10, pad_if_needed=True)(a).shape == (10, 10)
    with pytest.raises(ValueError, match="Required crop size"):
        T.RandomCrop(10)(a)
    batch = tens(np.zeros((2, 3, 8, 8), np.float32))
    assert T.RandomCrop(5, padding=1)(batch).shape == (2, 3, 5, 5)
    hwc = T.RandomCrop(3)(img(5, 5, 3))
    assert hwc.shape == (3, 3, 3)


def test_center_crop_and_resize():
    a = np.arange(25).reshape(5, 5)
    assert T.CenterCrop(3)(a).tolist() == a[1:4, 1:4].tolist()
    assert T.CenterCrop((2, 4))(a).tolist() == a[2:4, 0:4].tolist()  # round((5-2)/2) = 2
    big = T.CenterCrop(7)(a)
    assert big.shape == (7, 7) and big[0].sum() == 0 and big[1:6, 1:6].tolist() == a.tolist()
    assert T.Resize(14)(img(28, 56)).shape == (14, 28)
    assert T.Resize((10, 12))(tens(np.ones((3, 5, 5), np.float32))).shape == (3, 10, 12)
    const = T.Resize(9)(np.full((4, 4), 77, np.uint8))
    assert const.dtype == np.uint8 and (const == 77).all()
    assert T.Resize(3, interpolation="nearest")(a).tolist() == [[0, 1, 3], [5, 6, 8],
                                                                 [15, 16, 18]]


@pytest.mark.skipif(torch is None, reason="torch not installed")
@pytest.mark.parametrize("size", [(9, 13), (3, 4), (5, 5)])
def test_resize_matches_torch_interpolate(size):
    a = np.random.default_rng(1).random((2, 6, 7)).astype(np.float32)
    ours = T.Resize(size)(tens(a))._data
    ref = F.interpolate(torch.from_numpy(a)[None], size=size, mode="bilinear",
                        align_corners=False, antialias=False)[0].numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)
    ours_n = T.Resize(size, interpolation=T.InterpolationMode.NEAREST)(tens(a))._data
    ref_n = F.interpolate(torch.from_numpy(a)[None], size=size, mode="nearest")[0].numpy()
    np.testing.assert_array_equal(ours_n, ref_n)


def test_flips():
    a = img(3, 4)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(a), a[:, ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(1.0)(a), a[::-1])
    assert T.RandomHorizontalFlip(0.0)(a) is a
    t = tens(img(3, 4, 2).transpose(2, 0, 1))
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(t)._data, t._data[..., ::-1])
    chainrule.manual_seed(5)
    flips = [T.RandomHorizontalFlip()(a)[0, 0] == a[0, -1] for _ in range(200)]
    assert 60 < sum(flips) < 140


def test_rotation_exact_angles():
    a = img(5, 5)
    np.testing.assert_array_equal(T.RandomRotation((90, 90))(a), np.rot90(a))  # counter-clockwise
    np.testing.assert_array_equal(T.RandomRotation((180, 180))(a), a[::-1, ::-1])
    np.testing.assert_array_equal(T.RandomRotation((-90, -90))(tens(a))._data, np.rot90(a, -1))
    rotated = T.RandomRotation((45, 45), fill=9)(np.zeros((9, 9), np.uint8))
    assert rotated[0, 0] == 9 and rotated[4, 4] == 0
    smooth = T.RandomRotation((30, 30), interpolation="bilinear")(np.full((9, 9), 0.5))
    assert smooth[4, 4] == pytest.approx(0.5) and smooth.dtype == np.float64
    assert T.RandomRotation((90, 90), expand=True)(img(4, 6)).shape == (6, 4)
    chainrule.manual_seed(2)
    r1 = T.RandomRotation(30)(a)
    chainrule.manual_seed(2)
    np.testing.assert_array_equal(T.RandomRotation(30)(a), r1)
    with pytest.raises(ValueError, match="must be positive"):
        T.RandomRotation(-3)
    with pytest.raises(ValueError, match="interpolation must be"):
        T.RandomRotation(3, interpolation="cubic")


def test_affine_translation_and_scale():
    a = img(10, 12, seed=4)
    tf = T.RandomAffine(0, translate=(0.3, 0.3))
    for seed in range(5):
        chainrule.manual_seed(seed)
        out = tf(a)
        chainrule.manual_seed(seed)
        rng = numpy_rng()
        rng.uniform(0, 0)  # the angle
        tx = round(rng.uniform(-0.3 * 12, 0.3 * 12))
        ty = round(rng.uniform(-0.3 * 10, 0.3 * 10))
        expected = np.zeros_like(a)
        ys, xs = np.mgrid[0:10, 0:12]
        src_y, src_x = ys - ty, xs - tx  # content moves right by tx and down by ty
        ok = (src_y >= 0) & (src_y < 10) & (src_x >= 0) & (src_x < 12)
        expected[ok] = a[src_y[ok], src_x[ok]]
        np.testing.assert_array_equal(out, expected)
    zoom = T.RandomAffine(0, scale=(2.0, 2.0))(np.arange(16, dtype=np.float32).reshape(4, 4))
    assert zoom.shape == (4, 4) and zoom[0, 0] == 5.0  # the centre, magnified
    sheared = T.RandomAffine(0, shear=(10, 10, 5, 5))(img(8, 8))
    assert sheared.shape == (8, 8)
    with pytest.raises(ValueError, match="translation values should be between 0 and 1"):
        T.RandomAffine(0, translate=(2, 0))
    with pytest.raises(ValueError, match="scale values should be positive"):
        T.RandomAffine(0, scale=(0, 1))


def test_gaussian_noise():
    x = tens(np.full((1, 50, 50), 0.5, np.float32))
    chainrule.manual_seed(0)
    y = T.GaussianNoise(sigma=0.1)(x)
    assert y.dtype == chainrule.float32 and 0.08 < float(y._data.std()) < 0.12
    clipped = T.GaussianNoise(sigma=2.0)(x)._data
    assert clipped.min() >= 0 and clipped.max() <= 1
    u = T.GaussianNoise(sigma=0.05)(np.full((20, 20), 128, np.uint8))
    assert u.dtype == np.uint8 and u.std() > 0
    np.testing.assert_array_equal(T.GaussianNoise(sigma=0.0)(x)._data, x._data)
    with pytest.raises(ValueError, match="shouldn't be negative"):
        T.GaussianNoise(sigma=-1)


def test_color_jitter():
    x = tens(np.linspace(0, 0.5, 12, dtype=np.float32).reshape(1, 3, 4))
    bright = T.ColorJitter(brightness=(2.0, 2.0))(x)._data
    np.testing.assert_allclose(bright, np.clip(x._data * 2, 0, 1), rtol=1e-6)
    flat = T.ColorJitter(contrast=(0.0, 0.0))(x)._data
    np.testing.assert_allclose(flat, np.full_like(flat, x._data.mean()), rtol=1e-5)
    rgb = np.random.default_rng(0).random((3, 4, 4))
    gray = T.ColorJitter(saturation=(0.0, 0.0))(tens(rgb))._data
    np.testing.assert_allclose(gray[0], gray[1]) and np.testing.assert_allclose(gray[1], gray[2])
    u = T.ColorJitter(0.4, 0.4, 0.4, 0.1)(img(6, 6, 3))
    assert u.dtype == np.uint8 and u.shape == (6, 6, 3)
    with pytest.raises(ValueError, match="must be non negative"):
        T.ColorJitter(brightness=-1)
    with pytest.raises(ValueError, match="hue values should be between"):
        T.ColorJitter(hue=0.7)


def test_hue_shift_matches_colorsys():
    px = np.random.default_rng(1).random((3, 5, 5))
    out = _rgb_hue_shift(px, 0.2)
    for i in range(5):
        for j in range(5):
            h, s, v = colorsys.rgb_to_hsv(*px[:, i, j])
            np.testing.assert_allclose(out[:, i, j], colorsys.hsv_to_rgb((h + 0.2) % 1, s, v),
                                       atol=1e-9)


def test_batch_transform_equals_per_image():
    imgs = np.random.default_rng(0).integers(0, 256, (5, 28, 28)).astype(np.uint8)
    tf = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    batch = T.batch_transform(tf)(imgs)
    per = np.stack([tf(im)._data for im in imgs])
    assert batch.dtype == chainrule.float32
    np.testing.assert_array_equal(batch._data, per)
    rgb = np.random.default_rng(1).integers(0, 256, (2, 4, 4, 3)).astype(np.uint8)
    np.testing.assert_array_equal(T.batch_transform(T.ToTensor())(rgb)._data,
                                  np.stack([T.ToTensor()(im)._data for im in rgb]))
    assert T.batch_transform(T.Compose([T.ToTensor(), T.RandomHorizontalFlip()])) is None
    assert T.batch_transform(T.Lambda(abs)) is None


def test_bad_image_types():
    with pytest.raises(TypeError, match="img should be a NumPy array"):
        T.RandomHorizontalFlip(1.0)([[1, 2]])
    with pytest.raises(ValueError, match="Expected a NumPy image"):
        T.CenterCrop(1)(np.zeros((1, 1, 1, 1)))
