"""Factories, ranges, random sampling and the in-place initialisers (creation.py, sampling.py)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import chainrule as cr

try:
    import torch
except ImportError:  # the PyTorch comparisons are skipped
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


@pytest.fixture(autouse=True)
def _seed():
    cr.manual_seed(0)  # the statistical checks below then always see the same draws


def arr(t) -> np.ndarray:
    return t.detach().numpy()


def raises(exc, message: str):
    return pytest.raises(exc, match=re.escape(message))


# ---- constant factories ----------------------------------------------------------------------
@pytest.mark.parametrize("fn,value", [(cr.zeros, 0), (cr.ones, 1), (cr.empty, None)])
@pytest.mark.parametrize("args,kwargs,shape", [
    ((2, 3), {}, (2, 3)), (((2, 3),), {}, (2, 3)), (([2, 3],), {}, (2, 3)),
    ((cr.Size([4]),), {}, (4,)), ((), {}, ()), (((),), {}, ()), ((), {"size": (2,)}, (2,)),
    ((0, 3), {}, (0, 3)), ((np.int64(2),), {}, (2,)),
])
def test_constant_factories_accept_pytorch_size_forms(fn, value, args, kwargs, shape):
    t = fn(*args, **kwargs)
    assert t.shape == shape and t.dtype is cr.float32 and not t.requires_grad
    if value is not None:
        np.testing.assert_array_equal(arr(t), np.full(shape, value, np.float32))


def test_constant_factories_dtype_grad_device_out():
    assert cr.ones(2, dtype=cr.int32).dtype is cr.int32
    assert cr.zeros(2, dtype=cr.bool).dtype is cr.bool
    t = cr.zeros(2, 2, requires_grad=True)
    assert t.requires_grad and t.is_leaf
    assert cr.ones(1, device="cpu").device == cr.device("cpu")
    out = cr.empty(3)
    assert cr.ones(3, out=out) is out
    np.testing.assert_array_equal(arr(out), [1, 1, 1])
    with pytest.raises(RuntimeError, match="CPU only"):
        cr.zeros(2, device="cuda")
    with raises(RuntimeError, "Only Tensors of floating point and complex dtype can require "
                              "gradients"):
        cr.zeros(2, dtype=cr.int64, requires_grad=True)


def test_default_dtype_is_followed_never_float64_silently():
    assert cr.rand(2).dtype is cr.float32 and cr.arange(0.5, 2).dtype is cr.float32
    cr.set_default_dtype(cr.float64)
    try:
        for t in (cr.zeros(2), cr.ones(2), cr.full((2,), 1.5), cr.rand(2), cr.randn(2),
                  cr.arange(0.0, 2), cr.linspace(0, 1, 3), cr.logspace(0, 1, 3), cr.eye(2),
                  cr.normal(0.0, 1.0, (2,))):
            assert t.dtype is cr.float64
        assert cr.arange(3).dtype is cr.int64 and cr.full((1,), 2).dtype is cr.int64
    finally:
        cr.set_default_dtype(cr.float32)


@pytest.mark.parametrize("call,message", [
    (lambda: cr.zeros(-1), "zeros: Dimension size must be non-negative."),
    (lambda: cr.ones(2, -3), "Trying to create tensor with negative dimension -3: [2, -3]"),
    (lambda: cr.empty(-1), "Trying to create tensor with negative dimension -1: [-1]"),
    (lambda: cr.rand(-1), "Trying to create tensor with negative dimension -1: [-1]"),
    (lambda: cr.full((-1,), 1.0), "Trying to create tensor with negative dimension -1: [-1]"),
])
def test_negative_sizes(call, message):
    with raises(RuntimeError, message):
        call()


@pytest.mark.parametrize("call,message", [
    (lambda: cr.ones(2.5), "ones(): argument 'size' (position 1) must be tuple of ints, not float"),
    (lambda: cr.ones(2, (3,)), "ones(): argument 'size' failed to unpack the object at pos 2 with "
                               "error \"type must be tuple of ints,but got tuple\""),
    (lambda: cr.zeros((2, 2.5)), "zeros(): argument 'size' failed to unpack the object at pos 2"),
    (lambda: cr.full(2, 1.5),
     "full(): argument 'size' (position 1) must be tuple of ints, not int"),
    (lambda: cr.ones(2).new_full(2, 1), "new_full(): argument 'size' (position 1) must be tuple"),
    (lambda: cr.eye(2.5), "eye(): argument 'n' (position 1) must be int, not float"),
])
def test_size_type_errors(call, message):
    with raises(TypeError, message):
        call()


@pytest.mark.parametrize("value,dtype", [(1, cr.int64), (True, cr.bool), (1.5, cr.float32),
                                         (np.int32(3), cr.int64)])
def test_full_infers_dtype_from_the_fill_value(value, dtype):
    t = cr.full((2, 2), value)
    assert t.dtype is dtype
    np.testing.assert_array_equal(arr(t), np.full((2, 2), value))


def test_full_variants():
    assert arr(cr.full((2,), 2.5, dtype=cr.int64)).tolist() == [2, 2]
    assert cr.full((), 1.0).shape == ()
    assert cr.full([2], cr.tensor(1)).dtype is cr.int64
    assert cr.scalar_tensor(3).dtype is cr.float32 and cr.scalar_tensor(3).item() == 3.0


def test_like_factories_follow_input():
    x = cr.ones(2, 3, dtype=cr.int32)
    for t in (cr.zeros_like(x), cr.ones_like(x), cr.empty_like(x), cr.full_like(x, 7)):
        assert t.shape == (2, 3) and t.dtype is cr.int32
    assert arr(cr.full_like(x, 7)).tolist() == [[7, 7, 7]] * 2
    assert cr.ones_like(x, dtype=cr.float64).dtype is cr.float64
    assert cr.zeros_like(cr.ones(2), requires_grad=True).requires_grad
    assert cr.randint_like(cr.ones(3), 5).dtype is cr.float32
    lo_hi = arr(cr.randint_like(cr.ones(500, dtype=cr.int32), 3, 5))
    assert lo_hi.dtype == np.int32 and set(lo_hi.tolist()) == {3, 4}
    assert cr.rand_like(cr.ones(2, dtype=cr.float64)).dtype is cr.float64
    with raises(NotImplementedError, "\"check_uniform_bounds\" not implemented for 'Int'"):
        cr.rand_like(cr.ones(2, dtype=cr.int32))
    with raises(NotImplementedError, "\"normal_kernel_cpu\" not implemented for 'Long'"):
        cr.randn_like(cr.ones(2, dtype=cr.int64))


def test_new_methods_default_to_own_dtype():
    x = cr.zeros(2, 3, dtype=cr.int32)
    assert x.new_zeros(2, 3).dtype is cr.int32 and x.new_zeros((4,)).shape == (4,)
    assert x.new_ones(2, dtype=cr.float64).dtype is cr.float64
    assert arr(x.new_full((2,), 2.5)).tolist() == [2, 2]
    assert x.new_empty((1, 2)).shape == (1, 2) and x.new_empty(size=(3,)).shape == (3,)
    assert arr(x.new_tensor([1.5])).tolist() == [1] and x.new_tensor([1.5]).dtype is cr.int32
    f = cr.ones(2)
    assert f.new_ones((2, 3), requires_grad=True).requires_grad
    src = cr.tensor([1, 2])
    with pytest.warns(UserWarning, match="sourceTensor.detach"):
        copy = f.new_tensor(src)
    assert copy.dtype is cr.float32 and arr(copy).tolist() == [1.0, 2.0]


# ---- ranges ----------------------------------------------------------------------------------
@pytest.mark.parametrize("args,kwargs,expected,dtype", [
    ((5,), {}, [0, 1, 2, 3, 4], cr.int64),
    ((1, 4), {}, [1, 2, 3], cr.int64),
    ((0, 10, 3), {}, [0, 3, 6, 9], cr.int64),
    ((-1, -10, -3), {}, [-1, -4, -7], cr.int64),
    ((0, 10, 3.0), {}, [0.0, 3.0, 6.0, 9.0], cr.float32),
    ((1, 2.5, 0.5), {}, [1.0, 1.5, 2.0], cr.float32),
    ((0.5, 3), {}, [0.5, 1.5, 2.5], cr.float32),
    ((0.0, 10, 2.5), {"dtype": cr.int64}, [0, 2, 4, 6, 8], cr.int64),
    ((0.0, 10, 2.5), {"dtype": cr.int32}, [0, 2, 4, 6], cr.int32),
    ((3, 3), {}, [], cr.int64),
    ((), {"end": 4}, [0, 1, 2, 3], cr.int64),
    ((), {"start": 1, "end": 3}, [1, 2], cr.int64),
])
def test_arange_values_dtype_and_length_rule(args, kwargs, expected, dtype):
    t = cr.arange(*args, **kwargs)
    assert t.dtype is dtype
    np.testing.assert_allclose(arr(t), expected)


def test_arange_accepts_tensors_and_long_float_ranges():
    assert arr(cr.arange(cr.tensor(3))).tolist() == [0, 1, 2]
    assert cr.arange(cr.tensor(2.5)).dtype is cr.float32
    t = cr.arange(0, 1, 0.1)
    assert t.shape == (10,)
    np.testing.assert_allclose(arr(t), np.arange(10) / 10, rtol=1e-6)
    assert cr.arange(-1, 1, 0.25, dtype=cr.float16).dtype is cr.float16


@pytest.mark.parametrize("args,exc,message", [
    ((0, 5, -1), RuntimeError, "upper bound and lower bound inconsistent with step sign"),
    ((5, 0), RuntimeError, "upper bound and lower bound inconsistent with step sign"),
    ((0, 5, 0), RuntimeError, "step must be nonzero"),
    ((0, float("inf")), RuntimeError, "unsupported range: 0 -> inf"),
])
def test_arange_errors(args, exc, message):
    with raises(exc, message):
        cr.arange(*args)


def test_arange_bool_not_implemented():
    with raises(NotImplementedError, "\"arange_cpu\" not implemented for 'Bool'"):
        cr.arange(3, dtype=cr.bool)


def test_linspace_and_logspace():
    assert arr(cr.linspace(0, 1, 5)).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert arr(cr.linspace(-1, 10, 7, dtype=cr.int64)).tolist() == [-1, 0, 2, 4, 6, 8, 10]
    assert arr(cr.linspace(3, -1, 5)).tolist() == [3.0, 2.0, 1.0, 0.0, -1.0]
    assert arr(cr.linspace(2, 5, 1)).tolist() == [2.0]
    assert cr.linspace(0, 1, 0).shape == (0,)
    assert cr.linspace(0.0, 1, 4, dtype=cr.float64).dtype is cr.float64
    t = cr.linspace(-2.5, 7.25, 37)
    assert t.dtype is cr.float32 and arr(t)[0] == -2.5 and arr(t)[-1] == 7.25
    np.testing.assert_allclose(arr(t), np.linspace(-2.5, 7.25, 37), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(arr(cr.logspace(0, 2, 3)), [1, 10, 100], rtol=1e-6)
    np.testing.assert_allclose(arr(cr.logspace(0, 3, 4, base=2)), [1, 2, 4, 8])
    assert arr(cr.logspace(0, 2, 3, dtype=cr.int64)).tolist() == [1, 10, 100]
    with raises(RuntimeError, "number of steps must be non-negative"):
        cr.linspace(0, 1, -1)
    with raises(TypeError, "linspace(): argument 'steps' (position 3) must be int, not float"):
        cr.linspace(0, 1, 3.0)


def test_eye_and_triangle_indices():
    np.testing.assert_array_equal(arr(cr.eye(3)), np.eye(3, dtype=np.float32))
    np.testing.assert_array_equal(arr(cr.eye(2, 3, dtype=cr.int32)), np.eye(2, 3, dtype=np.int32))
    assert cr.eye(3, dtype=cr.bool).dtype is cr.bool
    with raises(RuntimeError, "n must be greater or equal to 0, got -1"):
        cr.eye(-1)
    with raises(RuntimeError, "m must be greater or equal to 0, got -1"):
        cr.eye(2, -1)
    assert arr(cr.tril_indices(3, 3)).tolist() == [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]
    assert arr(cr.triu_indices(3, 4, 1)).tolist() == [[0, 0, 0, 1, 1, 2], [1, 2, 3, 2, 3, 3]]
    assert arr(cr.tril_indices(4, 3, -1)).tolist() == [[1, 2, 2, 3, 3, 3], [0, 0, 1, 0, 1, 2]]
    assert cr.tril_indices(0, 0).shape == (2, 0) and cr.tril_indices(3, 3).dtype is cr.int64
    with raises(RuntimeError, "row must be non-negative, got-1"):
        cr.tril_indices(-1, 3)
    with raises(RuntimeError, "col must be non-negative, got-2"):
        cr.triu_indices(3, -2)


# ---- meshgrid --------------------------------------------------------------------------------
def test_meshgrid_ij_and_xy():
    a, b = cr.tensor([1, 2]), cr.tensor([3, 4, 5])
    gi, gj = cr.meshgrid(a, b, indexing="ij")
    assert gi.shape == (2, 3) and arr(gi).tolist() == [[1, 1, 1], [2, 2, 2]]
    assert arr(gj).tolist() == [[3, 4, 5], [3, 4, 5]]
    gx, gy = cr.meshgrid([a, b], indexing="xy")
    assert gx.shape == (3, 2) and arr(gx).tolist() == [[1, 2]] * 3
    assert arr(gy).tolist() == [[3, 3], [4, 4], [5, 5]]
    shapes = [g.shape for g in cr.meshgrid(cr.zeros(3), cr.zeros(2), cr.zeros(4), indexing="xy")]
    assert shapes == [(2, 3, 4)] * 3
    assert cr.meshgrid(cr.tensor(2), cr.arange(3), indexing="ij")[0].shape == (1, 3)
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        assert cr.meshgrid(a, b)[0].shape == (2, 3)


@pytest.mark.parametrize("call,message", [
    (lambda: cr.meshgrid(cr.arange(2), indexing="foo"),
     'torch.meshgrid: indexing must be one of "xy" or "ij", but received: foo'),
    (lambda: cr.meshgrid(indexing="ij"), "meshgrid expects a non-empty TensorList"),
    (lambda: cr.meshgrid(cr.arange(2), cr.zeros(2), indexing="ij"),
     "meshgrid expects all tensors to have the same dtype"),
    (lambda: cr.meshgrid(cr.zeros(2), cr.zeros(2, 2), indexing="ij"),
     "torch.meshgrid: Expected 0D or 1D tensor in the tensor list"),
])
def test_meshgrid_errors(call, message):
    with raises(RuntimeError, message):
        call()


def test_meshgrid_gradients():
    from chainrule.autograd import gradcheck, gradgradcheck

    a = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    b = cr.tensor([3.0, 4.0, 5.0], dtype=cr.float64, requires_grad=True)

    def fn(a, b):
        x, y = cr.meshgrid(a, b, indexing="xy")
        return x * y * x

    assert gradcheck(fn, (a, b)) and gradgradcheck(fn, (a, b))
    gx, _ = cr.meshgrid(a, b, indexing="ij")
    assert gx.grad_fn.name() == "ExpandBackward0"
    gx.backward(cr.ones(2, 3, dtype=cr.float64))
    assert arr(a.grad).tolist() == [3.0, 3.0]


# ---- random factories ------------------------------------------------------------------------
def test_rand_randn_shapes_ranges_dtypes():
    u = arr(cr.rand(200, 50))
    assert u.dtype == np.float32 and u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.02
    z = arr(cr.randn(20000))
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05
    assert cr.rand(2, 3).shape == (2, 3) and cr.randn((4,)).shape == (4,)
    assert cr.rand(()).shape == () and cr.randn(size=(2,)).shape == (2,)
    assert cr.rand(3, dtype=cr.float64).dtype is cr.float64
    h = arr(cr.rand(5000, dtype=cr.float16))
    assert h.dtype == np.float16 and h.max() < 1
    assert cr.rand(2, requires_grad=True).requires_grad
    with raises(NotImplementedError, "\"check_uniform_bounds\" not implemented for 'Long'"):
        cr.rand(2, dtype=cr.int64)
    with raises(NotImplementedError, "\"normal_kernel_cpu\" not implemented for 'Int'"):
        cr.randn(2, dtype=cr.int32)


@pytest.mark.parametrize("factory", [
    lambda g: cr.rand(3, 4, generator=g), lambda g: cr.randn(5, generator=g),
    lambda g: cr.randint(0, 100, (6,), generator=g), lambda g: cr.randperm(10, generator=g),
    lambda g: cr.normal(0.0, 1.0, (3,), generator=g),
    lambda g: cr.normal(cr.zeros(3), cr.ones(3), generator=g),
    lambda g: cr.bernoulli(cr.full((8,), 0.5), generator=g),
    lambda g: cr.multinomial(cr.ones(10), 4, generator=g),
    lambda g: cr.poisson(cr.full((5,), 3.0), generator=g),
    lambda g: cr.empty(6).uniform_(generator=g), lambda g: cr.empty(6).normal_(generator=g),
    lambda g: cr.empty(6).random_(0, 50, generator=g),
])
def test_reproducible_with_manual_seed_and_generators(factory):
    g = None
    cr.manual_seed(123)
    first = arr(factory(g)).copy()
    cr.manual_seed(123)
    np.testing.assert_array_equal(arr(factory(g)), first)
    g1, g2 = cr.Generator().manual_seed(7), cr.Generator().manual_seed(7)
    np.testing.assert_array_equal(arr(factory(g1)), arr(factory(g2)))
    cr.manual_seed(123)
    state = cr.get_rng_state()
    a = arr(factory(None)).copy()
    cr.set_rng_state(state)
    np.testing.assert_array_equal(arr(factory(None)), a)


def test_explicit_generator_leaves_the_global_stream_alone():
    cr.manual_seed(5)
    expected = arr(cr.rand(4)).copy()
    cr.manual_seed(5)
    cr.rand(100, generator=cr.Generator().manual_seed(1))
    np.testing.assert_array_equal(arr(cr.rand(4)), expected)


def test_randint_forms_ranges_and_errors():
    t = cr.randint(3, 10, (50, 4))
    v = arr(t)
    assert t.dtype is cr.int64 and v.min() >= 3 and v.max() < 10 and len(set(v.ravel())) == 7
    assert arr(cr.randint(2, (100,))).max() <= 1
    assert cr.randint(low=0, high=3, size=(2,)).shape == (2,)
    assert cr.randint(high=3, size=[2, 2]).shape == (2, 2)
    assert cr.randint(3, size=(2,), dtype=cr.float32).dtype is cr.float32
    assert cr.randint(0, 2, (3,), dtype=cr.bool).dtype is cr.bool
    with raises(RuntimeError, "random_ expects 'from' to be less than 'to', but got from=5 >= "
                              "to=5"):
        cr.randint(5, 5, (2,))
    with raises(RuntimeError, "from is out of bounds for unsigned char"):
        cr.randint(-3, 0, (2,), dtype=cr.uint8)
    with raises(RuntimeError, "to - 1 is out of bounds for signed char"):
        cr.randint(0, 200, (2,), dtype=cr.int8)
    for bad in ((0, 10, 3), (10,), (0.0, 5.0, (2,))):
        with raises(TypeError, "randint() received an invalid combination of arguments"):
            cr.randint(*bad)
    with raises(RuntimeError, "Only Tensors of floating point and complex dtype"):
        cr.randint(0, 5, (2,), requires_grad=True)


def test_randperm():
    p = cr.randperm(50)
    assert p.dtype is cr.int64 and sorted(arr(p).tolist()) == list(range(50))
    assert cr.randperm(0).shape == (0,) and cr.randperm(4, dtype=cr.float32).dtype is cr.float32
    with raises(RuntimeError, "Trying to create tensor with negative dimension -1: [-1]"):
        cr.randperm(-1)


def test_normal_overloads():
    t = cr.normal(2.0, 3.0, size=(4000,))
    assert t.dtype is cr.float32 and abs(arr(t).mean() - 2) < 0.3 and abs(arr(t).std() - 3) < 0.3
    assert cr.normal(2.0, 3.0, (2,), dtype=cr.float64).dtype is cr.float64
    mean = cr.tensor([0.0, 100.0, -100.0])
    v = arr(cr.normal(mean, 0.01))
    np.testing.assert_allclose(v, [0, 100, -100], atol=0.1)
    np.testing.assert_allclose(arr(cr.normal(5.0, cr.zeros(3))), [5, 5, 5])
    assert cr.normal(cr.zeros(2, 2), cr.ones(2)).shape == (2, 2)
    assert cr.normal(cr.zeros(3)).shape == (3,)
    with raises(RuntimeError, "normal expects std >= 0.0, but found std -1"):
        cr.normal(0.0, -1.0, (2,))
    with raises(RuntimeError, "normal expects std >= 0.0, but found std -2"):
        cr.normal(cr.zeros(2), -2.0)
    with raises(RuntimeError, "normal expects all elements of std >= 0.0"):
        cr.normal(cr.zeros(2), cr.tensor([-1.0, 1.0]))
    with raises(RuntimeError, "The size of tensor a (2) must match the size of tensor b (4) at "
                              "non-singleton dimension 1"):
        cr.normal(cr.zeros(2, 2), cr.ones(4))
    with raises(TypeError, "normal() received an invalid combination of arguments - got (float, "
                           "float)"):
        cr.normal(0.0, 1.0)
    with raises(NotImplementedError, "\"normal_kernel_cpu\" not implemented for 'Long'"):
        cr.normal(cr.tensor([0, 1]), 1.0)


def test_sampling_from_tensors_records_zero_gradients():
    m = cr.tensor([0.0, 1.0], requires_grad=True)
    s = cr.tensor([1.0, 2.0], requires_grad=True)
    for out, name in [(cr.normal(m, s), "NormalBackward3"), (cr.normal(m, 1.0), "NormalBackward1"),
                      (cr.normal(0.0, s), "NormalBackward2"),
                      (cr.bernoulli(cr.tensor([0.5, 0.5], requires_grad=True)),
                       "BernoulliBackward0"),
                      (cr.poisson(cr.tensor([1.0], requires_grad=True)), "PoissonBackward0")]:
        assert out.requires_grad and out.grad_fn.name() == name
    cr.normal(m, s).backward(cr.ones(2))
    assert arr(m.grad).tolist() == [0.0, 0.0] and arr(s.grad).tolist() == [0.0, 0.0]
    with cr.no_grad():
        assert not cr.normal(m, s).requires_grad


def test_bernoulli():
    assert arr(cr.bernoulli(cr.tensor([0.0, 1.0, 1.0, 0.0]))).tolist() == [0, 1, 1, 0]
    draws = arr(cr.bernoulli(cr.full((10000,), 0.3)))
    assert set(np.unique(draws).tolist()) == {0.0, 1.0} and abs(draws.mean() - 0.3) < 0.03
    assert cr.bernoulli(cr.zeros(2, dtype=cr.float64)).dtype is cr.float64
    assert arr(cr.zeros(4).bernoulli()).tolist() == [0.0] * 4
    assert 0.4 < arr(cr.bernoulli(cr.zeros(2000), 0.5)).mean() < 0.6
    with raises(RuntimeError, "Expected p_in >= 0 && p_in <= 1 to be true, but got false."):
        cr.bernoulli(cr.tensor([1.5]))
    with raises(RuntimeError, "bernoulli_ expects p to be in [0, 1], but got p=2"):
        cr.bernoulli(cr.zeros(2), 2.0)
    with raises(NotImplementedError, "\"bernoulli_tensor_cpu_p_\" not implemented for 'Long'"):
        cr.bernoulli(cr.tensor([0, 1]))


def test_multinomial_with_and_without_replacement():
    w = cr.tensor([0.0, 1.0, 0.0, 3.0])
    s = arr(cr.multinomial(w, 4000, replacement=True))
    assert s.dtype == np.int64 and set(s.tolist()) == {1, 3}
    assert abs((s == 3).mean() - 0.75) < 0.03
    no_rep = arr(cr.multinomial(cr.ones(10), 10))
    assert sorted(no_rep.tolist()) == list(range(10))
    rows = arr(cr.multinomial(cr.tensor([[0.0, 1.0], [1.0, 0.0]]), 1))
    assert rows.tolist() == [[1], [0]]
    firsts = [arr(cr.multinomial(cr.tensor([1.0, 9.0]), 1)).item() for _ in range(300)]
    assert 0.8 < np.mean(firsts) < 0.97  # weighted, not uniform, without replacement
    assert cr.ones(3).multinomial(2).shape == (2,)


@pytest.mark.parametrize("weights,n,rep,message", [
    ([1.0, 1.0], 3, False, "cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement"),
    ([1.0, -1.0], 1, False, "probability tensor contains either `inf`, `nan` or element < 0"),
    ([float("nan"), 1.0], 1, True, "probability tensor contains either `inf`, `nan` or element"),
    ([0.0, 0.0], 1, False, "invalid multinomial distribution (sum of probabilities <= 0)"),
    ([[1.0, 1.0], [0.0, 0.0]], 1, True, "invalid multinomial distribution"),
    ([[[0.0, 1.0]]], 1, False, "prob_dist must be 1 or 2 dim"),
    ([1.0, 1.0], 0, True, "cannot sample n_sample <= 0 samples"),
])
def test_multinomial_errors(weights, n, rep, message):
    with raises(RuntimeError, message):
        cr.multinomial(cr.tensor(weights), n, rep)


def test_multinomial_needs_floats_and_poisson():
    with raises(RuntimeError, "multinomial only supports floating-point dtypes for input, got: "
                              "Long"):
        cr.multinomial(cr.tensor([1, 1]), 1)
    p = arr(cr.poisson(cr.full((5000,), 4.0)))
    assert p.dtype == np.float32 and abs(p.mean() - 4) < 0.2 and (p == np.round(p)).all()
    assert arr(cr.poisson(cr.zeros(3))).tolist() == [0.0] * 3
    with raises(RuntimeError, "invalid Poisson rate, expected rate to be non-negative"):
        cr.poisson(cr.tensor([-1.0]))


# ---- in-place initialisers -------------------------------------------------------------------
@pytest.mark.parametrize("method,args,check", [
    ("uniform_", (-2.0, 3.0), lambda v: v.min() >= -2 and v.max() < 3 and v.std() > 1),
    ("normal_", (5.0, 0.5), lambda v: abs(v.mean() - 5) < 0.1 and abs(v.std() - 0.5) < 0.1),
    ("bernoulli_", (0.25,), lambda v: set(np.unique(v)) <= {0, 1} and abs(v.mean() - .25) < .05),
    ("random_", (2, 6), lambda v: set(np.unique(v).tolist()) == {2, 3, 4, 5}),
    ("random_", (4,), lambda v: set(np.unique(v).tolist()) == {0, 1, 2, 3}),
    ("exponential_", (2.0,), lambda v: v.min() >= 0 and abs(v.mean() - 0.5) < 0.05),
    ("geometric_", (0.5,), lambda v: v.min() >= 1 and abs(v.mean() - 2) < 0.2),
    ("log_normal_", (0.0, 0.25), lambda v: v.min() > 0 and abs(np.log(v).mean()) < 0.05),
    ("cauchy_", (1.0, 0.1), lambda v: abs(np.median(v) - 1) < 0.05),
    ("fill_", (2.5,), lambda v: (v == 2.5).all()),
    ("zero_", (), lambda v: (v == 0).all()),
])
def test_inplace_initialisers_write_shared_memory(method, args, check):
    base = np.full((40, 50), 7.0, np.float32)
    t = cr.from_numpy(base)
    version = t._version.value
    assert getattr(t, method)(*args) is t
    assert t._version.value == version + 1
    assert check(base)  # written into the very same memory


def test_inplace_initialisers_respect_views_and_dtypes():
    base = np.zeros((4, 6), np.float32)
    view = cr.from_numpy(base[:, ::2])  # non-contiguous
    view.fill_(1.0)
    assert base[:, ::2].sum() == 12 and base[:, 1::2].sum() == 0
    ints = cr.zeros(500, dtype=cr.int32).random_(-5, 5)
    assert ints.dtype is cr.int32 and arr(ints).min() >= -5 and arr(ints).max() < 5
    floats = arr(cr.zeros(1000).random_())
    assert floats.min() >= 0 and floats.max() <= 2 ** 24 and (floats == np.round(floats)).all()
    assert set(arr(cr.zeros(100, dtype=cr.bool).random_()).tolist()) == {False, True}
    assert arr(cr.zeros(2, dtype=cr.int64).fill_(2.7)).tolist() == [2, 2]
    assert arr(cr.zeros(2, dtype=cr.bool).fill_(2)).tolist() == [True, True]
    assert arr(cr.zeros(2).fill_(cr.tensor(3.0))).tolist() == [3.0, 3.0]
    probs = cr.tensor([0.0, 1.0])
    assert arr(cr.zeros(2).bernoulli_(probs)).tolist() == [0.0, 1.0]
    assert cr.zeros(2).uniform_(**{"from": 3, "to": 4}).numpy().min() >= 3


@pytest.mark.parametrize("call,exc,message", [
    (lambda: cr.zeros(2, dtype=cr.int32).uniform_(), NotImplementedError,
     "\"check_uniform_bounds\" not implemented for 'Int'"),
    (lambda: cr.zeros(2).uniform_(2, 1), RuntimeError,
     "uniform_ expects to return a [from, to) range, but found from=2 > to=1"),
    (lambda: cr.zeros(2, dtype=cr.int32).normal_(), NotImplementedError,
     "\"normal_kernel_cpu\" not implemented for 'Int'"),
    (lambda: cr.zeros(2).normal_(0, -1), RuntimeError,
     "normal expects std >= 0.0, but found std -1"),
    (lambda: cr.zeros(2).random_(3, 3), RuntimeError,
     "random_ expects 'from' to be less than 'to', but got from=3 >= to=3"),
    (lambda: cr.zeros(2, dtype=cr.uint8).random_(-5, 5), RuntimeError,
     "from is out of bounds for unsigned char"),
    (lambda: cr.zeros(2).bernoulli_(2), RuntimeError,
     "bernoulli_ expects p to be in [0, 1], but got p=2"),
    (lambda: cr.zeros(2).exponential_(-1), RuntimeError,
     "exponential_ expects lambda > 0.0, but found lambda=-1"),
    (lambda: cr.zeros(2, dtype=cr.int64).exponential_(), RuntimeError,
     "dtype must be a floating point but you specified Long"),
    (lambda: cr.zeros(2).geometric_(0), RuntimeError,
     "geometric_ expects p to be in (0, 1), but got p=0"),
    (lambda: cr.zeros(2).log_normal_(std=-1), RuntimeError,
     "log_normal_ expects std > 0.0, but found std=-1"),
    (lambda: cr.zeros(2).cauchy_(sigma=-1), RuntimeError,
     "cauchy_ expects sigma > 0.0, but found sigma=-1"),
    (lambda: cr.zeros(2, dtype=cr.int64).cauchy_(), RuntimeError,
     "dtype must be a floating point but you specified long int"),
    (lambda: cr.zeros(()).fill_(cr.ones(2)), RuntimeError,
     "fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions."),
    (lambda: cr.zeros(2, dtype=cr.uint8).fill_(300), RuntimeError,
     "value cannot be converted to type uint8_t without overflow"),
])
def test_inplace_initialiser_errors(call, exc, message):
    with raises(exc, message):
        call()


@pytest.mark.parametrize("method,args", [("uniform_", ()), ("normal_", ()), ("fill_", (1.0,)),
                                         ("zero_", ()), ("bernoulli_", ()), ("random_", (4,)),
                                         ("exponential_", ())])
def test_inplace_on_leaf_that_requires_grad(method, args):
    w = cr.ones(3, requires_grad=True)
    with raises(RuntimeError, "a leaf Variable that requires grad is being used in an in-place "
                              "operation."):
        getattr(w, method)(*args)
    with cr.no_grad():  # how nn.init uses them
        getattr(w, method)(*args)
    assert w.requires_grad and w.is_leaf and w.grad_fn is None


@pytest.mark.parametrize("method,args,name", [
    ("uniform_", (), "UniformBackward0"), ("normal_", (), "NormalBackward0"),
    ("fill_", (1.0,), "FillBackward2"), ("zero_", (), "ZeroBackward0"),
    ("bernoulli_", (0.5,), "BernoulliBackward2"), ("random_", (0, 4), "RandomBackward0"),
    ("exponential_", (), "ExponentialBackward0"), ("geometric_", (0.5,), "GeometricBackward0"),
    ("log_normal_", (), "LogNormalBackward0"), ("cauchy_", (), "CauchyBackward0"),
])
def test_inplace_on_non_leaf_records_a_zero_gradient_node(method, args, name):
    x = cr.tensor([0.5, 0.2], requires_grad=True)
    y = x * 2
    assert getattr(y, method)(*args) is y
    assert y.grad_fn.name() == name
    (y * 3).backward(cr.ones(2))
    assert arr(x.grad).tolist() == [0.0, 0.0]


def test_fill_with_a_tensor_that_requires_grad_passes_gradient():
    v = cr.tensor(3.0, requires_grad=True)
    y = cr.tensor([1.0, 2.0], requires_grad=True) * 1
    y.fill_(v)
    assert arr(y).tolist() == [3.0, 3.0]
    y.backward(cr.ones(2))
    assert v.grad.item() == 2.0


def test_saved_tensor_overwritten_by_initialiser_is_detected():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y  # saves y
    with cr.no_grad():
        y.normal_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward(cr.ones(2))


# ---- comparisons with PyTorch ----------------------------------------------------------------
RANGES = [
    ("arange", (5,), {}), ("arange", (0, 1, 0.1), {}), ("arange", (1, 4, 0.3), {}),
    ("arange", (-3.7, 40.1, 0.37), {}), ("arange", (0, 100, 0.7), {}),
    ("arange", (0, 1, 0.07), {"dtype": "float64"}), ("arange", (2.5, -7.25, -0.125), {}),
    ("linspace", (0, 1, 5), {}), ("linspace", (-1, 1, 101), {}), ("linspace", (-3.3, 7.1, 77), {}),
    ("linspace", (-44.6, -11.66, 16), {"dtype": "int64"}), ("linspace", (0, 1, 13),
                                                             {"dtype": "float64"}),
    ("logspace", (0, 2, 3), {}), ("logspace", (-2, 2, 9), {}), ("logspace", (-1.3, 1.7, 25), {}),
    ("logspace", (-1.3, 1.7, 25), {"dtype": "float64"}), ("logspace", (0, 4, 5),
                                                          {"dtype": "int64", "base": 3}),
]


@requires_torch
@pytest.mark.parametrize("fn,args,kwargs", RANGES)
def test_ranges_match_pytorch_bit_for_bit(fn, args, kwargs):
    ours = getattr(cr, fn)(*args, **{k: getattr(cr, v) if k == "dtype" else v
                                      for k, v in kwargs.items()})
    theirs = getattr(torch, fn)(*args, **{k: getattr(torch, v) if k == "dtype" else v
                                          for k, v in kwargs.items()})
    np.testing.assert_array_equal(arr(ours), theirs.numpy())
    assert repr(ours) == repr(theirs)


ERROR_CASES = [
    lambda m: m.zeros(-1), lambda m: m.ones(2, (3,)), lambda m: m.arange(0, 5, -1),
    lambda m: m.arange(0, 5, 0), lambda m: m.randint(5, 5, (2,)),
    lambda m: m.rand(2, dtype=m.int64),
    lambda m: m.normal(0.0, -1.0, (2,)), lambda m: m.bernoulli(m.tensor([1.5])),
    lambda m: m.multinomial(m.tensor([1.0, 1.0]), 3), lambda m: m.linspace(0, 1, -1),
    lambda m: m.eye(-1), lambda m: m.meshgrid(m.arange(2), m.zeros(2), indexing="ij"),
    lambda m: m.zeros(2).uniform_(2, 1), lambda m: m.ones(2, requires_grad=True).normal_(),
    lambda m: m.zeros(2, dtype=m.int8).random_(200), lambda m: m.tril_indices(-1, 3),
    lambda m: m.zeros(2, dtype=m.int64).log_normal_(), lambda m: m.poisson(m.tensor([-1.0])),
]


@requires_torch
@pytest.mark.parametrize("call", ERROR_CASES)
def test_error_messages_match_pytorch(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)) as ours:
        call(cr)
    assert str(ours.value) == str(theirs.value).split("\n")[0]


@requires_torch
def test_factory_reprs_match_pytorch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for build in (lambda m: m.eye(2, 3), lambda m: m.full((2, 2), True),
                      lambda m: m.tril_indices(3, 3), lambda m: m.zeros(0, 3, dtype=m.int64),
                      lambda m: m.meshgrid(m.arange(2), m.arange(3)),
                      lambda m: m.ones(2, requires_grad=True) * 2):
            assert repr(build(cr)) == repr(build(torch))
