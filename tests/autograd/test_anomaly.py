"""detect_anomaly / set_detect_anomaly: NaN gradients name the op and the user's line."""

import warnings

import numpy as np
import pytest

import chainrule as torch
from chainrule.autograd import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from chainrule.autograd import function as F
from chainrule.autograd.anomaly_mode import (check_anomaly, format_anomaly,
                                             is_anomaly_check_nan_enabled, user_frame)


@pytest.fixture(autouse=True)
def quiet():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Anomaly Detection has been enabled")
        warnings.filterwarnings("ignore", category=RuntimeWarning)  # NumPy's 0/0 notes
        yield
    assert F.ANOMALY[0] is False


def test_nan_gradient_names_the_op_and_the_users_line():
    x = torch.tensor(0.0, requires_grad=True)
    with detect_anomaly():
        y = x.sqrt() * 0  # the culprit line
        with pytest.raises(RuntimeError) as err:
            y.backward()
    msg = str(err.value)
    assert "Function 'SqrtBackward0' returned nan values in its 0th output." in msg
    assert "test_anomaly.py" in msg and "y = x.sqrt() * 0  # the culprit line" in msg


def test_without_anomaly_mode_the_nan_goes_through():
    x = torch.tensor(0.0, requires_grad=True)
    (x.sqrt() * 0).backward()
    assert np.isnan(x.grad.item())


def test_mul_backward_nan_from_zero_times_inf():
    x = torch.tensor(1.0, requires_grad=True)
    big = torch.tensor(float("inf"))
    with detect_anomaly():
        y = (x * big) * 0
        with pytest.raises(RuntimeError, match="MulBackward0") as err:
            y.backward()
    assert "y = (x * big) * 0" in str(err.value)


def test_mode_is_restored_after_errors_and_as_decorator():
    assert not is_anomaly_enabled()
    with pytest.raises(ValueError):
        with detect_anomaly():
            assert is_anomaly_enabled()
            raise ValueError("boom")
    assert not is_anomaly_enabled()

    @detect_anomaly()
    def step():
        return is_anomaly_enabled()

    assert step() is True and not is_anomaly_enabled()
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        with detect_anomaly():
            pass


def test_set_detect_anomaly_function_context_and_decorator():
    set_detect_anomaly(True)
    try:
        assert is_anomaly_enabled()
        with set_detect_anomaly(False):
            assert not is_anomaly_enabled()
        assert is_anomaly_enabled()
    finally:
        set_detect_anomaly(False)

    @set_detect_anomaly(True, check_nan=False)
    def inner():
        return is_anomaly_enabled(), is_anomaly_check_nan_enabled()

    assert not is_anomaly_enabled()
    assert inner() == (True, False) and is_anomaly_check_nan_enabled()
    with pytest.raises(TypeError, match="functions"):
        detect_anomaly()(int)


def test_nodes_keep_forward_stacks_and_helpers_format_them():
    x = torch.tensor(0.0, requires_grad=True)
    y = x.sqrt()
    assert "traceback_" not in y.grad_fn.metadata
    with detect_anomaly():
        y = x.sqrt()
        node = y.grad_fn
    stack = node.metadata["traceback_"]
    assert "y = x.sqrt()" in user_frame(stack)
    msg = format_anomaly(node, 0)
    assert msg.startswith("Function 'SqrtBackward0' returned nan values in its 0th output.")
    assert "leaf tensor" in msg and "created in the forward pass by your code" in msg
    nan = torch.tensor(float("nan"))
    with pytest.raises(RuntimeError, match="SqrtBackward0"):
        check_anomaly(node, (nan,))
    check_anomaly(node, (torch.tensor(1.0), None))
    with set_detect_anomaly(True, check_nan=False):
        check_anomaly(node, (nan,))  # check_nan=False: no error
    bare = (torch.tensor(1.0, requires_grad=True) * 2).grad_fn
    assert "No forward trace was recorded" in format_anomaly(bare, 0)
