"""plot_history / plot_gradient_flow / plot_weights write valid PNG files."""

import sys

import pytest

import chainrule as torch
from chainrule import nn
from chainrule.viz import TrainingMonitor, plot_gradient_flow, plot_history, plot_weights
from chainrule.viz.plots import history_to_dict

PNG = b"\x89PNG\r\n\x1a\n"


def is_png(path) -> bool:
    data = path.read_bytes()
    return data[:8] == PNG and len(data) > 1000


@pytest.fixture()
def trained():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    monitor = TrainingMonitor(model)
    for _ in range(4):
        opt.zero_grad()
        loss = model(torch.randn(16, 4)).pow(2).mean()
        loss.backward()
        opt.step()
        monitor.record(loss=loss)
    return model, monitor


def test_history_formats_are_normalised():
    class History:  # what keras' fit returns
        history = {"loss": [1.0, 0.5], "val_loss": [1.2, 0.8]}

    assert history_to_dict(History()) == History.history
    rows = [{"epoch": 1, "loss": 0.9, "accuracy": 0.5}, {"epoch": 2, "loss": 0.4}]
    assert history_to_dict(rows) == {"epoch": [1.0, 2.0], "loss": [0.9, 0.4],
                                     "accuracy": [0.5, pytest.approx(float("nan"),
                                                                     nan_ok=True)]}
    h = history_to_dict({"history": rows})
    assert h["loss"] == [0.9, 0.4] and h["epoch"] == [1.0, 2.0]
    with pytest.raises(TypeError, match="History"):
        history_to_dict(3.0)


def test_plot_history_png(tmp_path, trained):
    pytest.importorskip("matplotlib")
    fig = plot_history({"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7],
                        "accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.4, 0.6, 0.7]},
                       tmp_path / "h.png", title="run 1")
    assert is_png(tmp_path / "h.png")
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["loss", "accuracy"]
    assert len(fig.axes[0].get_lines()) == 2
    cli = [{"epoch": 1, "loss": 0.9, "val_loss": None, "lr": 0.1},
           {"epoch": 2, "loss": 0.4, "val_loss": None, "lr": 0.1}]  # the CLI's rows
    fig = plot_history(cli, tmp_path / "cli.png")
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["loss", "lr"]
    assert is_png(tmp_path / "cli.png")
    fig = plot_history(trained[1], tmp_path / "mon.png")
    assert is_png(tmp_path / "mon.png")
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["loss", "grad_norm_total"]
    with pytest.raises(KeyError, match="nope"):
        plot_history({"loss": [1.0]}, keys=["nope"])


def test_plot_gradient_flow_png(tmp_path, trained):
    pytest.importorskip("matplotlib")
    model, monitor = trained
    fig = plot_gradient_flow(monitor, tmp_path / "flow.png")
    assert is_png(tmp_path / "flow.png") and len(fig.axes) == 2
    fig = plot_gradient_flow(model.named_parameters(), tmp_path / "flow2.png")
    assert is_png(tmp_path / "flow2.png")
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(ValueError, match="backward"):
        plot_gradient_flow(nn.Linear(2, 2))


def test_plot_weights_png(tmp_path, trained):
    pytest.importorskip("matplotlib")
    model, _ = trained
    fig = plot_weights(model, tmp_path / "w.png", grads=True)
    assert is_png(tmp_path / "w.png")
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles[:2] == ["0.weight [8, 4]", "0.weight.grad"] and len(titles) == 8


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_history({"loss": [1.0, 0.5]})
