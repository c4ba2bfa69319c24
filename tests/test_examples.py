"""Every script in ``examples/`` runs to completion in a subprocess with its quick option and
prints its key result. MNIST examples read the shared mirror and are skipped without it; the
Keras examples are skipped while ``chainrule.keras`` lacks ``Sequential``."""

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


def _find_mirror():
    env = os.environ.get("CHAINRULE_DATA_MIRROR", "")
    candidates = [Path(env).resolve(), (REPO / env).resolve()] if env else []
    candidates.append(REPO.parent / "shared" / "data" / "mnist")
    for c in candidates:
        if (c / "train-images-idx3-ubyte.gz").exists() or (c / "train-images-idx3-ubyte").exists():
            return c
    return None


def _has_keras() -> bool:
    try:
        keras = importlib.import_module("chainrule.keras")
    except ImportError:
        return False
    return hasattr(keras, "Sequential")


MIRROR = _find_mirror()


def _value(pattern):
    """A check that the output matches ``pattern`` and its number satisfies a predicate."""
    def check(predicate):
        def run(out):
            m = re.search(pattern, out)
            assert m, f"no line matching {pattern!r} in:\n{out[-2000:]}"
            assert predicate(float(m.group(1))), m.group(0)
        return run
    return check


def _contains(text):
    """A check that the output contains ``text``."""
    def run(out):
        assert text in out, out[-2000:]
    return run


# script -> (arguments, needs MNIST, needs keras, check of the output)
CASES = {
    "numpy_vs_chainrule.py": (["--quick"], False, False,
                              _value(r"gradients identical \(max difference ([\d.e+-]+)\): True")(
                                  lambda d: d < 1e-12)),
    "perceptron.py": (["--quick"], False, False,
                      _value(r"accuracy: (\d\.\d+)")(lambda a: a > 0.9)),
    "mnist_pytorch.py": (["--quick"], True, False,
                         _value(r"Test set: Average loss: [\d.]+, Accuracy: \d+/\d+ \((\d+)%\)")(
                             lambda a: a > 30)),
    "keras_mnist_mlp.py": (["--quick"], True, True,
                           _value(r"test_acc: (\d\.\d+)")(lambda a: a > 0.75)),
    "keras_mnist_convnet.py": (["--quick"], True, True,
                               _value(r"Test accuracy: (\d\.\d+)")(lambda a: a > 0.4)),
    "moons.py": (["--quick"], False, False,
                 _value(r"test accuracy: (\d\.\d+)")(lambda a: a > 0.9)),
    "regression.py": (["--quick"], False, False,
                      _value(r"R\^2: (-?\d\.\d+)")(lambda r2: r2 > 0.95)),
    # the lead's and the data engineer's examples: fast as they are
    "linear_regression.py": (["--epochs", "200", "--output", "out"], False, False,
                             _value(r"learned w = (-?[\d.]+)")(lambda w: abs(w - 2) < 0.2)),
    "resume_training.py": ([], False, False,
                           _contains("resumed run matches the uninterrupted one: True")),
}


def test_every_example_is_tested():
    scripts = {p.name for p in EXAMPLES.glob("*.py")}
    assert scripts == set(CASES), f"untested: {scripts - set(CASES)}; gone: {set(CASES) - scripts}"


@pytest.mark.parametrize("script", sorted(CASES))
def test_example_runs(script, tmp_path, tmp_path_factory):
    args, needs_mnist, needs_keras, check = CASES[script]
    if needs_mnist and MIRROR is None:
        pytest.skip("the shared MNIST mirror is absent")
    if needs_keras and not _has_keras():
        pytest.skip("chainrule.keras is not available yet")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in [env.get("PYTHONPATH")] if p])
    env["CHAINRULE_DATA_DIR"] = str(tmp_path_factory.getbasetemp() / "datasets")
    env["MPLBACKEND"] = "Agg"
    env.setdefault("OMP_NUM_THREADS", "1")  # two test workers share the CI machine's cores
    if MIRROR is not None:
        env["CHAINRULE_DATA_MIRROR"] = str(MIRROR)
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), *args], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    check(proc.stdout)
