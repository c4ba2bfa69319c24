"""GradientMonitor: the TrainingMonitor driven through the Keras callback protocol."""

import importlib.util

import pytest

import chainrule as torch
from chainrule import nn
from chainrule.viz import GradientMonitor


def fake_fit(model, callback, batches=6):
    """What keras' fit does with a callback: set_model, train_begin, batch ends, train_end."""
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    callback.set_model(model)
    callback.set_params({"epochs": 1, "steps": batches, "verbose": 0})
    callback.on_train_begin()
    callback.on_epoch_begin(0)
    for i in range(batches):
        callback.on_train_batch_begin(i)
        opt.zero_grad()
        loss = model(torch.randn(8, 4)).pow(2).mean()
        loss.backward()
        opt.step()
        callback.on_train_batch_end(i, {"loss": loss.item()})
    callback.on_epoch_end(0, {"loss": loss.item()})
    callback.on_train_end()


def test_records_every_n_batches_and_reports(capsys, tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    plot = tmp_path / "flow.png" if importlib.util.find_spec("matplotlib") else None
    cb = GradientMonitor(every=2, plot_path=plot)
    assert cb.monitor is None and cb.history == {}
    fake_fit(model, cb)
    assert cb.history["step"] == [1, 2, 3] and len(cb.history["loss"]) == 3
    assert "TrainingMonitor: 3 steps recorded" in capsys.readouterr().out
    assert cb.monitor._handles == []  # hooks removed when training ends
    if plot is not None:
        assert plot.read_bytes()[:4] == b"\x89PNG"
    fake_fit(model, cb)  # a second fit re-attaches and continues the history
    assert cb.history["step"][-1] == 6
    with pytest.raises(ValueError, match="every"):
        GradientMonitor(every=0)


def test_subclasses_keras_callback_when_available():
    try:
        from chainrule.keras.callbacks import Callback
    except ImportError:
        pytest.skip("chainrule.keras.callbacks is not available")
    assert issubclass(GradientMonitor, Callback)
