"""Fixtures for the Keras front-end tests: a fresh naming session, a fixed seed, an
80-column terminal (Keras's summary width depends on it) and the local MNIST mirror."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chainrule import keras


@pytest.fixture(autouse=True)
def keras_session(monkeypatch):
    """Layer names restart at ``dense``; random draws are reproducible; 80 columns."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(1234)
    monkeypatch.setenv("COLUMNS", "80")
    yield
    keras.backend.clear_session()


def mnist_mirror() -> Path | None:
    """The local MNIST files: ``$CHAINRULE_DATA_MIRROR`` or ``<workspace>/shared/data/mnist``."""
    env = os.environ.get("CHAINRULE_DATA_MIRROR")
    candidates = [Path(env)] if env and "://" not in env else []
    candidates.append(Path(__file__).resolve().parents[2].parent / "shared/data/mnist")
    for c in candidates:
        if (c / "train-images-idx3-ubyte.gz").exists() or (c / "train-images-idx3-ubyte").exists():
            return c
    return None


@pytest.fixture
def mnist_dir(monkeypatch, tmp_path):
    """Point chainrule's loaders at the local mirror (a fresh cache dir); skip if absent."""
    mirror = mnist_mirror()
    if mirror is None:
        pytest.skip("the local MNIST mirror is not available")
    monkeypatch.setenv("CHAINRULE_DATA_MIRROR", str(mirror))
    monkeypatch.setenv("CHAINRULE_DATA_DIR", str(tmp_path))
    return mirror
