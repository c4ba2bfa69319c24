"""Tensor construction from data, properties and conversions."""

import numpy as np
import pytest

import chainrule as torch


def test_tensor_infers_dtypes_like_pytorch():
    assert torch.tensor([1.0, 2.0]).dtype == torch.float32
    assert torch.tensor([1, 2]).dtype == torch.int64
    assert torch.tensor([True, False]).dtype == torch.bool
    assert torch.tensor([1, 2.5]).dtype == torch.float32
    assert torch.tensor(np.array([1.0, 2.0])).dtype == torch.float64
    assert torch.tensor(np.array([1, 2], dtype=np.int32)).dtype == torch.int32
    assert torch.tensor(3.0).shape == ()
    assert torch.tensor([[1, 2], [3, 4]], dtype=torch.float64).dtype == torch.float64


def test_tensor_copies_but_from_numpy_and_as_tensor_share():
    arr = np.zeros(3, dtype=np.float32)
    t, shared, maybe = torch.tensor(arr), torch.from_numpy(arr), torch.as_tensor(arr)
    arr[0] = 1
    assert t.numpy()[0] == 0 and shared.numpy()[0] == 1 and maybe.numpy()[0] == 1


def test_tensor_from_list_of_tensors():
    t = torch.tensor([torch.tensor(1.0), torch.tensor(2.0)])
    assert t.shape == (2,) and t.dtype == torch.float32


def test_bad_data_raises():
    with pytest.raises((TypeError, ValueError)):
        torch.tensor(["a", "b"])
    with pytest.raises(TypeError, match="expected np.ndarray"):
        torch.from_numpy([1, 2])


def test_legacy_constructor():
    assert torch.Tensor(2, 3).shape == (2, 3)
    t = torch.Tensor([1, 2])
    assert t.dtype == torch.float32 and t.tolist() == [1.0, 2.0]


def test_shape_properties():
    t = torch.tensor(np.zeros((2, 3, 4), dtype=np.float32))
    assert isinstance(t.shape, torch.Size) and t.shape == (2, 3, 4)
    assert repr(t.shape) == "torch.Size([2, 3, 4])"
    assert t.size() == t.shape and t.size(1) == 3 and t.size(-1) == 4
    assert t.ndim == t.dim() == 3 and t.numel() == 24 and len(t) == 2
    assert t.shape[1:] == torch.Size([3, 4]) and isinstance(t.shape[1:], torch.Size)
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.size(3)
    assert t.device == torch.device("cpu") and repr(t.device) == "device(type='cpu')"


def test_item_tolist_and_python_conversions():
    t = torch.tensor([[1.5]])
    assert t.item() == 1.5 and float(t) == 1.5 and int(t) == 1 and bool(t)
    assert torch.tensor([1, 2]).tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to "
                                           "Scalar"):
        torch.tensor([1.0, 2.0]).item()
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is "
                                           "ambiguous"):
        bool(torch.tensor([1.0, 2.0]))
    assert [1, 2, 3][torch.tensor(1)] == 2
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(torch.tensor(1.0))


def test_conversions_to_dtype():
    t = torch.tensor([1.7, -2.2])
    assert t.double().dtype == torch.float64 and t.long().tolist() == [1, -2]
    assert t.int().dtype == torch.int32 and t.bool().tolist() == [True, True]
    assert t.to(torch.float64).dtype == torch.float64 and t.to("cpu") is t
    assert t.type() == "torch.FloatTensor" and t.long().type() == "torch.LongTensor"
    assert t.type_as(torch.tensor([1])).dtype == torch.int64
    with pytest.raises(RuntimeError, match="CPU only"):
        t.to("cuda")


def test_cast_is_differentiable():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.double() * 3
    y.backward(torch.tensor([1.0, 1.0], dtype=torch.float64))
    assert x.grad.dtype == torch.float32 and x.grad.tolist() == [3.0, 3.0]


def test_clone_contiguous_copy_():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.grad_fn.name() == "CloneBackward0"
    t = torch.tensor([0.0, 0.0])
    t.copy_(torch.tensor([3, 4]))
    assert t.tolist() == [3.0, 4.0]
    y = torch.tensor([0.0, 0.0]) * 1
    y.copy_(x)
    y.backward(torch.tensor([1.0, 1.0]))
    assert x.grad.tolist() == [1.0, 1.0]


def test_numpy_interop():
    t = torch.tensor([1.0, 2.0])
    arr = np.ones(2, dtype=np.float32)
    r = arr * t
    assert isinstance(r, torch.Tensor) and r.tolist() == [1.0, 2.0]
    assert isinstance(arr + t, torch.Tensor)
    np.testing.assert_array_equal(np.asarray(t), [1.0, 2.0])
    assert t.numpy() is t.numpy()


def test_iteration_yields_rows():
    t = torch.tensor([[1, 2], [3, 4]])
    assert [r.tolist() for r in t] == [[1, 2], [3, 4]]


def test_hash_is_identity():
    a, b = torch.tensor(1.0), torch.tensor(1.0)
    assert len({a, b}) == 2
