"""dtypes and PyTorch's type promotion."""

import numpy as np
import pytest

import chainrule as torch


def test_aliases_and_repr():
    assert torch.float is torch.float32 and torch.double is torch.float64
    assert torch.long is torch.int64 and torch.int is torch.int32 and torch.half is torch.float16
    assert repr(torch.float32) == "torch.float32"
    assert torch.float32.is_floating_point and not torch.int64.is_floating_point


@pytest.mark.parametrize("a,b,expected", [
    (torch.tensor([1, 2]), 2.5, torch.float32),             # int tensor * Python float
    (torch.tensor([1, 2]), 2, torch.int64),
    (torch.tensor([1, 2], dtype=torch.int32), 2, torch.int32),
    (torch.tensor([True]), 2, torch.int64),
    (torch.tensor([1.0], dtype=torch.float16), 2.5, torch.float16),
    (torch.tensor([1.0]), torch.tensor(2.0, dtype=torch.float64), torch.float32),  # 0-d loses
    (torch.tensor([1]), torch.tensor(2.0, dtype=torch.float64), torch.float64),    # category wins
    (torch.tensor([1.0]), torch.tensor([2.0], dtype=torch.float64), torch.float64),
    (torch.tensor([1], dtype=torch.uint8), torch.tensor([1], dtype=torch.int8), torch.int16),
])
def test_result_type(a, b, expected):
    assert torch.result_type(a, b) is expected
    assert (a * b).dtype is expected


def test_int_division_gives_default_float():
    q = torch.tensor([3, 4]) / torch.tensor([2, 2])
    assert q.dtype == torch.float32
    np.testing.assert_array_equal(q.numpy(), [1.5, 2.0])
    assert (torch.tensor([7]) // 2).dtype == torch.int64


def test_comparisons_give_bool():
    assert (torch.tensor([1.0, 2.0]) > 1).dtype == torch.bool


def test_set_default_dtype_changes_float_creation_and_promotion():
    try:
        torch.set_default_dtype(torch.float64)
        assert torch.tensor([1.0]).dtype == torch.float64
        assert (torch.tensor([1]) * 0.5).dtype == torch.float64
    finally:
        torch.set_default_dtype(torch.float32)
    with pytest.raises(TypeError, match="only floating-point types"):
        torch.set_default_dtype(torch.int64)


def test_promote_types():
    assert torch.promote_types(torch.int32, torch.float32) is torch.float32
    assert torch.promote_types(torch.bool, torch.uint8) is torch.uint8


def test_inplace_cannot_downcast_category():
    t = torch.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output "
                                           "type Long"):
        t.add_(1.5)
    with pytest.raises(RuntimeError, match="can't be cast"):
        t.div_(2)
