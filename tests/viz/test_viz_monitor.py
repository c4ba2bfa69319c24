"""TrainingMonitor: history, activation statistics, vanishing/exploding/NaN warnings, summary."""

import math
import warnings

import numpy as np
import pytest

import chainrule as torch
from chainrule import nn
from chainrule.viz import TrainingDiagnosticWarning, TrainingMonitor


def vanishing_net():
    layers = []
    for _ in range(20):
        lin = nn.Linear(16, 16)
        nn.init.normal_(lin.weight, std=0.01)
        nn.init.zeros_(lin.bias)
        layers += [lin, nn.Sigmoid()]
    return nn.Sequential(*layers, nn.Linear(16, 1))


def mlp():
    return nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                         nn.Linear(32, 1))


def train(model, monitor, steps=5, lr=0.05, zero_first=True):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        x, y = torch.randn(32, 16), torch.randn(32, 1)
        if zero_first:
            opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        if not zero_first:
            opt.zero_grad()
        monitor.record(loss=loss)


def test_detects_vanishing_gradients_in_deep_sigmoid_net():
    torch.manual_seed(0)
    model = vanishing_net()
    monitor = TrainingMonitor(model, patience=3)
    with pytest.warns(TrainingDiagnosticWarning, match="vanishing gradients in layer '0'") as rec:
        train(model, monitor, steps=4)
    assert len([w for w in rec if "vanishing" in str(w.message)]) == 1  # once per streak
    assert monitor.alerts[0]["kind"] == "vanish" and monitor.alerts[0]["step"] == 3
    assert "0" in monitor.alerts[0]["layers"] and "38" not in monitor.alerts[0]["layers"]
    summary = monitor.summary()
    assert "VANISHING" in summary and "Alerts (1)" in summary
    assert monitor.history["grad_norm/0.weight"][-1] < 1e-7
    assert monitor.history["grad_norm/40.weight"][-1] > 1e-3


def test_healthy_relu_mlp_raises_no_warning():
    torch.manual_seed(0)
    model = mlp()
    monitor = TrainingMonitor(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrainingDiagnosticWarning)
        train(model, monitor, steps=6)
    assert monitor.alerts == []
    h = monitor.history
    assert h["step"] == [1, 2, 3, 4, 5, 6] and len(h["loss"]) == 6
    assert all(len(v) == 6 for v in h.values())
    assert math.isnan(h["update_ratio/0.weight"][0])
    assert 1e-6 < h["update_ratio/0.weight"][-1] < 1
    assert 0.05 < h["act_zero_frac/1"][-1] < 0.95  # a ReLU's dead fraction
    assert h["act_zero_frac/0"][-1] == 0.0
    s = monitor.summary()
    assert "No vanishing, exploding or non-finite gradients detected." in s
    assert "1 (ReLU)" in s and "loss" in s


def test_norms_and_update_ratio_are_exact():
    lin = nn.Linear(2, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[3.0, 4.0]]))
        lin.bias.zero_()
    monitor = TrainingMonitor(lin, activations=False)
    lin(torch.tensor([[1.0, 1.0]])).sum().backward()
    row = monitor.record()
    assert row["weight_norm/weight"] == 5.0
    assert row["grad_norm/weight"] == pytest.approx(math.sqrt(2))
    assert row["grad_norm_total"] == pytest.approx(math.sqrt(3))
    with torch.no_grad():
        lin.weight -= torch.tensor([[0.3, 0.4]])
    assert monitor.step()["update_ratio/weight"] == pytest.approx(0.1)


def test_hooks_capture_gradients_even_after_zero_grad():
    torch.manual_seed(0)
    model = mlp()
    monitor = TrainingMonitor(model)
    train(model, monitor, steps=2, zero_first=False)  # .grad is None at record time
    assert not math.isnan(monitor.history["grad_norm/0.weight"][-1])
    plain = TrainingMonitor(model, grad_hooks=False, activations=False)
    train(model, plain, steps=1, zero_first=False)
    assert math.isnan(plain.history["grad_norm/0.weight"][-1])
    assert "no grad" in plain.summary()


def test_exploding_and_nonfinite_gradients_warn():
    lin = nn.Linear(4, 1)
    monitor = TrainingMonitor(lin, explode_threshold=10.0, patience=2)
    with pytest.warns(TrainingDiagnosticWarning, match="exploding gradients in layer 'weight'"):
        for _ in range(2):
            lin.zero_grad()
            (lin(torch.full((8, 4), 100.0)).sum()).backward()
            monitor.record()
    lin.zero_grad()
    (lin(torch.ones(1, 4)) * float("nan")).sum().backward()
    with pytest.warns(TrainingDiagnosticWarning, match="detect_anomaly"):
        monitor.record()
    assert monitor.alerts[-1]["kind"] == "nonfinite" and "NON-FINITE" in monitor.summary()


def test_eval_mode_forwards_and_removed_hooks_are_not_recorded():
    model = mlp()
    with TrainingMonitor(model) as monitor:
        model.eval()
        model(torch.randn(4, 16))
        row = monitor.record()
        assert math.isnan(row["act_mean/1"])
        model.train()
        model(torch.randn(4, 16))
        assert not math.isnan(monitor.record()["act_mean/1"])
    model(torch.randn(4, 16))
    assert math.isnan(monitor.record()["act_mean/1"])
    monitor.attach()
    model(torch.randn(4, 16))
    assert not math.isnan(monitor.record()["act_mean/1"])
    monitor.remove()


def test_accepts_named_parameter_pairs_and_validates():
    w = torch.tensor(np.ones(3, np.float32), requires_grad=True)
    monitor = TrainingMonitor({"w": w})
    (w * 2).sum().backward()
    assert monitor.record(accuracy=0.5)["grad_norm/w"] == pytest.approx(math.sqrt(12))
    assert monitor.history["accuracy"] == [0.5]
    assert TrainingMonitor([("w", w)]).parameter_names == ["w"]
    assert "nothing recorded" in TrainingMonitor({"w": w}).summary()
    with pytest.raises(ValueError, match="patience"):
        TrainingMonitor({"w": w}, patience=0)
    with pytest.raises(ValueError, match="explode_threshold"):
        TrainingMonitor({"w": w}, vanish_threshold=1.0, explode_threshold=0.5)
    with pytest.raises(ValueError, match="no parameters"):
        TrainingMonitor({})


def test_auto_record_needs_no_explicit_calls():
    torch.manual_seed(0)
    model = mlp()
    monitor = TrainingMonitor(model, auto_record=True)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(3):
        opt.zero_grad()
        ((model(torch.randn(8, 16)) - 1) ** 2).mean().backward()
        opt.step()
    assert monitor.steps == 2  # the third backward is still pending …
    assert "3 steps recorded" in monitor.summary()  # … until summary() flushes it
    assert not math.isnan(monitor.history["update_ratio/0.weight"][-1])
    with pytest.raises(ValueError, match="grad_hooks"):
        TrainingMonitor(model, auto_record=True, grad_hooks=False)
