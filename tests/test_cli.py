"""The ``chainrule`` command: training end to end on an MNIST subset (files written, checkpoint
re-evaluated), every subcommand's help, one-line user errors, ``info`` and ``summary``.

MNIST comes from the shared mirror (``CHAINRULE_DATA_MIRROR``, else ``../shared/data/mnist``);
the tests that need it are skipped when it is absent. No test touches the network.
"""

import csv
import io
import itertools
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import chainrule
from chainrule.cli import build_parser, main
from chainrule.cli import train as cli_train
from chainrule.cli.data import load_split
from chainrule.cli.models import build_model
from chainrule.cli.report import HISTORY_FIELDS, Progress

REPO = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _find_mirror():
    env = os.environ.get("CHAINRULE_DATA_MIRROR", "")
    candidates = [Path(env).resolve(), (REPO / env).resolve()] if env else []
    candidates.append(REPO.parent / "shared" / "data" / "mnist")
    for c in candidates:
        if (c / "train-images-idx3-ubyte.gz").exists() or (c / "train-images-idx3-ubyte").exists():
            return c
    return None


MIRROR = _find_mirror()
needs_mnist = pytest.mark.skipif(MIRROR is None, reason="the shared MNIST mirror is absent")
TEST_ACC = re.compile(r"test accuracy: (\d\.\d+)")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A private datasets folder, so the tests never read or write ~/.chainrule."""
    return tmp_path_factory.mktemp("datasets")


@pytest.fixture
def cli_env(monkeypatch, data_dir):
    """In-process runs: the mirror and the private datasets folder."""
    if MIRROR is not None:
        monkeypatch.setenv("CHAINRULE_DATA_MIRROR", str(MIRROR))
    monkeypatch.setenv("CHAINRULE_DATA_DIR", str(data_dir))
    monkeypatch.delenv("CHAINRULE_DEBUG", raising=False)


def _subprocess_env(data_dir) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in [env.get("PYTHONPATH")] if p])
    env["CHAINRULE_DATA_DIR"] = str(data_dir)
    if MIRROR is not None:
        env["CHAINRULE_DATA_MIRROR"] = str(MIRROR)
    # two test workers share the CI machine's cores; more BLAS threads only contend
    env.setdefault("OMP_NUM_THREADS", "1")
    env.pop("CHAINRULE_DEBUG", None)
    return env


def run_cli(args, data_dir, cwd=None, timeout=120):
    """``python -m chainrule ARGS`` in a subprocess."""
    return subprocess.run([sys.executable, "-m", "chainrule", *args], capture_output=True,
                          check=False, text=True, env=_subprocess_env(data_dir), cwd=cwd or REPO,
                          timeout=timeout)


def _assert_one_line_error(rc, err, *fragments):
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("chainrule: error: ")
    assert "Traceback" not in err
    for f in fragments:
        assert f in lines[0], lines[0]


# ---------------------------------------------------------------- training end to end on MNIST

@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory, data_dir):
    """One real run: 2,500 MNIST images (20% held out), 2 epochs, as a user would type it."""
    if MIRROR is None:
        pytest.skip("the shared MNIST mirror is absent")
    out = tmp_path_factory.mktemp("run") / "out"
    start = time.perf_counter()
    proc = run_cli(["train", "--limit", "2500", "--validation-split", "0.2", "--epochs", "2",
                    "--output", str(out)], data_dir)
    return proc, out, time.perf_counter() - start


@needs_mnist
def test_train_subset_learns_within_a_minute(mnist_run):
    proc, _, seconds = mnist_run
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert seconds < 60
    accuracy = float(TEST_ACC.search(proc.stdout).group(1))
    assert accuracy > 0.8, proc.stdout
    assert "2,000 training, 500 validation, 10,000 test examples" in proc.stdout
    assert re.search(r"Epoch 2/2 .* val_loss: \d\.\d+ - val_accuracy", proc.stdout)
    assert "Test loss:" in proc.stdout


@needs_mnist
def test_untrained_model_fails_the_threshold(cli_env):
    chainrule.manual_seed(0)
    model, info = build_model("mlp", (1, 28, 28), 10)
    _, accuracy = cli_train.evaluate(model, info, load_split("mnist", train=False, limit=2000))
    assert accuracy < 0.3


@needs_mnist
def test_metrics_json(mnist_run):
    proc, out, _ = mnist_run
    metrics = json.loads((out / "metrics.json").read_text())
    printed = float(TEST_ACC.search(proc.stdout).group(1))
    assert metrics["test_accuracy"] == pytest.approx(printed, abs=5e-5)
    assert metrics["train_examples"] == 2000 and metrics["val_examples"] == 500
    assert metrics["parameters"] == 407_050
    assert len(metrics["history"]) == 2 and metrics["final"]["epoch"] == 2
    assert metrics["config"]["optimizer"] == "rmsprop" and metrics["config"]["lr"] == 1e-3


@needs_mnist
def test_history_csv(mnist_run):
    _, out, _ = mnist_run
    with open(out / "history.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == HISTORY_FIELDS == ("epoch", "loss", "accuracy", "val_loss",
                                                "val_accuracy", "lr")
    assert [r[0] for r in rows[1:]] == ["1", "2"]
    for r in rows[1:]:
        values = [float(v) for v in r]  # every column filled, since there is validation
        assert 0 <= values[2] <= 1 and 0 <= values[4] <= 1 and values[5] == 1e-3
    assert float(rows[2][1]) < float(rows[1][1])  # the loss falls


@needs_mnist
def test_plot_png(mnist_run):
    _, out, _ = mnist_run
    png = out / "training_curves.png"
    try:
        import matplotlib.image
    except ImportError:
        assert not png.exists()
        assert "Plot skipped" in mnist_run[0].stdout
        return
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    image = matplotlib.image.imread(str(png))
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100


@needs_mnist
def test_checkpoint_loads_and_evaluate_reproduces(mnist_run, cli_env, capsys):
    proc, out, _ = mnist_run
    ck = chainrule.load(out / "checkpoint.safetensors")
    assert set(ck) >= {"model", "optimizer", "epoch", "config"}
    assert ck["epoch"] == 2 and ck["config"]["model"] == "mlp"
    assert len(ck["optimizer"]["state"]) == 4  # RMSprop state for 2 weights and 2 biases
    model, _ = build_model("mlp", (1, 28, 28), 10)
    model.load_state_dict(ck["model"])
    metrics = json.loads((out / "metrics.json").read_text())
    assert main(["evaluate", str(out / "checkpoint.safetensors")]) == 0
    printed = capsys.readouterr().out
    assert float(TEST_ACC.search(printed).group(1)) == float(TEST_ACC.search(proc.stdout).group(1))
    loss, acc = cli_train.evaluate_checkpoint(build_parser().parse_args(["evaluate", str(out)]))
    assert acc == metrics["test_accuracy"]
    assert loss == pytest.approx(metrics["test_loss"], rel=1e-6)


def test_default_train_is_the_course_mlp():
    args = build_parser().parse_args(["train"])
    assert (args.model, args.dataset, args.optimizer, args.batch_size, args.epochs,
            args.hidden, args.schedule) == ("mlp", "mnist", "rmsprop", 128, 5, (512,), "none")
    assert args.lr is None and cli_train.OPTIMIZERS["rmsprop"][1] == 1e-3
    model, _ = build_model("mlp", (1, 28, 28), 10)
    assert sum(p.numel() for p in model.parameters()) == 407_050


# ----------------------------------------------------------- in-process runs on the toy data

def _train(tmp_path, *extra, capsys=None):
    rc = main(["train", "--dataset", "moons", "--output", str(tmp_path), *extra])
    assert rc == 0
    text = capsys.readouterr().out if capsys else ""
    return json.loads((tmp_path / "metrics.json").read_text()), text


@pytest.mark.parametrize("optimizer", list(cli_train.OPTIMIZERS))
def test_every_optimizer_trains(optimizer, tmp_path, cli_env, capsys):
    lr = {"sgd": "0.1", "momentum": "0.05", "nesterov": "0.05", "adagrad": "0.05"}.get(optimizer)
    metrics, _ = _train(tmp_path, "--epochs", "4", "--optimizer", optimizer,
                        *(["--lr", lr] if lr else []), capsys=capsys)
    losses = [h["loss"] for h in metrics["history"]]
    assert losses[-1] < losses[0]
    assert metrics["test_accuracy"] > 0.75


@pytest.mark.parametrize("schedule", list(cli_train.SCHEDULES))
def test_schedules_shape_the_lr(schedule, tmp_path, cli_env, capsys):
    metrics, _ = _train(tmp_path, "--epochs", "6", "--optimizer", "adam", "--lr", "0.01",
                        "--schedule", schedule, "--validation-split", "0.2", capsys=capsys)
    lrs = [h["lr"] for h in metrics["history"]]
    if schedule == "none":
        assert lrs == [0.01] * 6
    elif schedule == "step":  # halved every ceil(6 / 3) = 2 epochs
        assert lrs == pytest.approx([0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025])
    elif schedule == "cosine":
        assert lrs[0] == 0.01 and all(a > b for a, b in itertools.pairwise(lrs))
    elif schedule == "plateau":
        assert all(a >= b for a, b in itertools.pairwise(lrs))
        opt = chainrule.optim.SGD([chainrule.zeros(1, requires_grad=True)], lr=0.01)
        sched, per = cli_train._make_schedule("plateau", opt, 6, 10, 0.01, "sgd")
        seen = []
        for _ in range(4):  # a loss that never improves: halved after 2 epochs without progress
            sched.step(1.0)
            seen.append(opt.param_groups[0]["lr"])
        assert per == "epoch" and seen == pytest.approx([0.01, 0.01, 0.005, 0.005])
    else:  # one cycle: up, then down to far below the start
        peak = lrs.index(max(lrs))
        assert 0 < peak < 5 and lrs[-1] < lrs[0] / 100
    ck = chainrule.load(tmp_path / "checkpoint.safetensors")
    assert ("scheduler" in ck) == (schedule != "none")


def test_spirals_and_file_models(tmp_path, cli_env, capsys):
    metrics, _ = _train(tmp_path / "a", "--epochs", "15", "--optimizer", "adam", "--lr", "0.01",
                        capsys=capsys)
    assert metrics["test_accuracy"] > 0.85
    (tmp_path / "net.py").write_text(
        "from chainrule import nn\n"
        "import chainrule.nn.functional as F\n\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc1, self.fc2 = nn.Linear(2, 32), nn.Linear(32, 3)\n\n"
        "    def forward(self, x):\n"
        "        return F.log_softmax(self.fc2(F.relu(self.fc1(x))), dim=1)\n")
    assert main(["train", "-m", str(tmp_path / "net.py"), "-d", "spirals", "--epochs", "20",
                 "-o", "adam", "--lr", "0.02", "--output", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert float(TEST_ACC.search(out).group(1)) > 0.7
    assert main(["evaluate", str(tmp_path / "b")]) == 0
    assert TEST_ACC.search(capsys.readouterr().out).group(1) == TEST_ACC.search(out).group(1)


def test_model_file_forms(tmp_path, cli_env, capsys):
    (tmp_path / "builder.py").write_text(
        "from chainrule import nn\n"
        "def build_model(input_shape, num_classes):\n"
        "    return nn.Sequential(nn.Flatten(), nn.Linear(input_shape[0], num_classes))\n")
    (tmp_path / "binary.py").write_text(
        "from chainrule import nn\nmodel = nn.Sequential(nn.Linear(2, 8), nn.Tanh(),"
        " nn.Linear(8, 1))\n")
    (tmp_path / "flat.py").write_text(  # an MNIST model expecting (N, 784)
        "from chainrule import nn\nmodel = nn.Linear(784, 10)\n")
    _, info = build_model(str(tmp_path / "builder.py"), (2,), 2)
    assert (info.layout, info.head) == ("as-is", "multiclass")
    _, info = build_model(str(tmp_path / "binary.py"), (2,), 2)
    assert info.head == "binary"
    _, info = build_model(str(tmp_path / "flat.py"), (1, 28, 28), 10)
    assert info.layout == "flat"
    metrics, _ = _train(tmp_path / "run", "-m", str(tmp_path / "binary.py"), "--epochs", "5",
                        "-o", "adam", "--lr", "0.02", capsys=capsys)
    assert metrics["config"]["head"] == "binary" and metrics["test_accuracy"] > 0.8
    assert main(["summary", str(tmp_path / "flat.py")]) == 0
    assert "Total params: 7,850" in capsys.readouterr().out


def test_plot_skipped_without_matplotlib(tmp_path, cli_env, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    _, out = _train(tmp_path, "--epochs", "1", capsys=capsys)
    assert "Plot skipped: matplotlib is not installed (pip install matplotlib" in out
    assert not (tmp_path / "training_curves.png").exists()
    for name in ("metrics.json", "history.csv", "checkpoint.safetensors"):
        assert (tmp_path / name).is_file()


def test_default_output_folder(tmp_path, cli_env, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "-d", "moons", "--epochs", "1"]) == 0
    runs = [p for p in (tmp_path / "runs").iterdir() if p.name != "latest"]
    assert len(runs) == 1 and re.fullmatch(r"\d{8}-\d{6}", runs[0].name)
    assert (runs[0] / "metrics.json").is_file()
    if (tmp_path / "runs" / "latest").is_symlink():
        assert (tmp_path / "runs" / "latest" / "metrics.json").is_file()


def test_diagnostics_flag(tmp_path, cli_env, capsys):
    _, out = _train(tmp_path / "a", "--epochs", "1", "--diagnostics", capsys=capsys)
    assert "diagnostics.txt" in out and "failed" not in out
    assert "steps recorded" in (tmp_path / "a" / "diagnostics.txt").read_text()


def test_a_failing_monitor_does_not_stop_training(tmp_path, cli_env, capsys, monkeypatch):
    import chainrule.viz

    def broken(self, loss=None, **metrics):
        raise ValueError("broken on purpose")

    monkeypatch.setattr(chainrule.viz.TrainingMonitor, "record", broken)
    _, out = _train(tmp_path / "b", "--epochs", "1", "--diagnostics", capsys=capsys)
    assert "TrainingMonitor failed to record (ValueError: broken on purpose)" in out
    assert out.count("failed to record") == 1
    assert (tmp_path / "b" / "metrics.json").is_file()


def test_threads_option(tmp_path, cli_env, capsys):
    try:
        import threadpoolctl
    except ImportError:
        threadpoolctl = None
    rc = main(["train", "-d", "moons", "--epochs", "1", "--threads", "1", "--output",
               str(tmp_path)])
    if threadpoolctl is None:
        _assert_one_line_error(rc, capsys.readouterr().err, "threadpoolctl", "OMP_NUM_THREADS=1")
    else:
        assert rc == 0 and (tmp_path / "metrics.json").is_file()


def test_progress_bar_builtin_on_a_terminal(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setitem(sys.modules, "tqdm", None)
    stream = Terminal()
    bar = Progress(3, "Epoch 1/1", stream=stream)
    for _ in range(3):
        bar.update(loss=0.25)
    bar.close()
    assert "3/3" in stream.getvalue() and "loss: 0.2500" in stream.getvalue()
    quiet = io.StringIO()  # not a terminal: nothing (logs get one line per epoch)
    bar = Progress(3, "Epoch 1/1", stream=quiet)
    bar.update(loss=0.25)
    bar.close()
    assert quiet.getvalue() == ""


# ------------------------------------------------------------------ help, errors, info, summary

def test_help_texts(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for command in ("train", "evaluate", "summary", "info"):
        assert command in text
    assert main(["train", "--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--model", "--dataset", "--epochs", "--batch-size", "--optimizer", "--lr",
                   "--schedule", "--seed", "--validation-split", "--limit", "--output",
                   "--diagnostics", "onecycle", "adamw", "fashion-mnist", "spirals"):
        assert option in text
    for command, needle in (("evaluate", "CHECKPOINT"), ("summary", "MODEL"),
                            ("info", "BLAS")):
        assert main([command, "--help"]) == 0
        assert needle in capsys.readouterr().out


def test_help_and_version_in_a_subprocess(data_dir):
    proc = run_cli(["--help"], data_dir)
    assert proc.returncode == 0 and "usage: chainrule" in proc.stdout
    proc = run_cli(["--version"], data_dir)
    assert proc.returncode == 0 and proc.stdout.strip() == f"chainrule {chainrule.__version__}"


@pytest.mark.parametrize("argv, fragment", [
    (["train", "--model", "resnet"], "unknown model 'resnet'"),
    (["train", "--model", "missing/net.py"], "no such file"),
    (["train", "--dataset", "cifar10"], "invalid choice: 'cifar10'"),
    (["train", "--epochs", "0"], "--epochs"),
    (["train", "--epochs", "two"], "received 'two'"),
    (["train", "--batch-size", "-5"], "--batch-size"),
    (["train", "--lr", "-0.1"], "positive number"),
    (["train", "--lr", "inf"], "positive number"),
    (["train", "--validation-split", "1"], "[0, 1)"),
    (["train", "--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
    (["train", "--schedule", "warmup"], "invalid choice: 'warmup'"),
    (["train", "--model", "cnn", "--dataset", "moons"], "needs image data"),
    (["train", "--dataset", "moons", "--limit", "1", "--validation-split", "0.5"],
     "validation"),
    (["train", "--hidden", "512,x"], "--hidden"),
    (["evaluate", "no/such/checkpoint.safetensors"], "no such checkpoint"),
    (["summary", "transformer"], "unknown model"),
    (["fly"], "invalid choice: 'fly'"),
])
def test_user_errors_are_one_line(argv, fragment, capsys, cli_env):
    rc = main(argv)
    captured = capsys.readouterr()
    _assert_one_line_error(rc, captured.err, fragment)


def test_broken_model_file_and_bad_checkpoint(tmp_path, capsys, cli_env):
    (tmp_path / "bad.py").write_text("import chainrule\n\nx = undefined_name + 1\n")
    (tmp_path / "empty.py").write_text("x = 1\n")
    (tmp_path / "syntax.py").write_text("def f(:\n")
    for name, fragment in (("bad.py", "line 3: NameError"), ("empty.py", "defines no model"),
                           ("syntax.py", "SyntaxError")):
        rc = main(["train", "-d", "moons", "-m", str(tmp_path / name)])
        _assert_one_line_error(rc, capsys.readouterr().err, fragment)
    chainrule.save({"w": chainrule.ones(2)}, tmp_path / "plain.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"not a checkpoint at all")
    for name, fragment in (("plain.safetensors", "not a checkpoint written by"),
                           ("junk.safetensors", "cannot read the checkpoint")):
        rc = main(["evaluate", str(tmp_path / name)])
        _assert_one_line_error(rc, capsys.readouterr().err, fragment)


def test_errors_in_a_subprocess(tmp_path, data_dir):
    proc = run_cli(["train", "--model", "resnet"], data_dir)
    _assert_one_line_error(proc.returncode, proc.stderr, "unknown model")
    env_dir = tmp_path / "empty-data"  # no files anywhere and a mirror that lacks them
    proc = subprocess.run(
        [sys.executable, "-m", "chainrule", "train", "--limit", "100", "--epochs", "1",
         "--output", str(tmp_path / "out")], capture_output=True, text=True, timeout=120,
        check=False,
        env={**_subprocess_env(env_dir), "CHAINRULE_DATA_MIRROR": str(tmp_path)}, cwd=REPO)
    _assert_one_line_error(proc.returncode, proc.stderr, "cannot load the mnist train data",
                           "CHAINRULE_DATA_MIRROR")


def test_info_prints_versions(capsys):
    assert main(["info"]) == 0
    text = capsys.readouterr().out
    assert f"chainrule {chainrule.__version__}" in text
    assert f"numpy {np.__version__}" in text
    assert f"python {sys.version.split()[0]}" in text
    assert "BLAS" in text and "threads:" in text and "devices: cpu" in text
    assert "matplotlib" in text and "tqdm" in text


def test_summary_prints_parameter_counts(capsys):
    assert main(["summary", "mlp"]) == 0
    assert "Total params: 407,050" in capsys.readouterr().out
    assert main(["summary", "cnn"]) == 0
    assert "Total params: 34,826" in capsys.readouterr().out  # the Keras convnet's count
    assert main(["summary", "logreg", "--dataset", "spirals"]) == 0
    assert "Total params: 9" in capsys.readouterr().out


def test_console_script_entry_point():
    text = (REPO / "pyproject.toml").read_text()
    assert 'chainrule = "chainrule.cli:main"' in text
    assert callable(main)


# ---- chainrule bench -----------------------------------------------------------------------------
def test_bench_passes_its_arguments_to_the_benchmark(capsys):
    assert main(["bench", "--help"]) == 0  # bench's own --help, not the chainrule parser's
    assert "--compare-torch" in capsys.readouterr().out


def test_bench_runs_one_workload_without_writing(tmp_path, capsys):
    results = tmp_path / "RESULTS.md"
    assert main(["bench", "--only", "d", "--quick", "--no-write", "--output", str(results)]) == 0
    assert "per-op overhead" in capsys.readouterr().out
    assert not results.exists()


def test_bench_outside_a_checkout_is_one_line_error(monkeypatch, tmp_path, capsys):
    from chainrule.cli import bench as cli_bench

    monkeypatch.setattr(cli_bench.os.path, "isfile", lambda path: False)
    monkeypatch.chdir(tmp_path)
    assert main(["bench"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule: error: the benchmarks live in the source checkout")
    assert err.count("\n") == 1
