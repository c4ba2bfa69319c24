"""Datasets for the ``chainrule`` command: MNIST-family images and the 2-D toy problems.

Every dataset is turned into float32 NumPy arrays: images as ``(N, 1, 28, 28)`` in [0, 1]
(the course's ``/ 255`` scaling), toy points as ``(N, 2)``; labels as int64 ``(N,)``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .errors import CLIError

__all__ = ["DATASETS", "Split", "describe", "load_split", "split_validation"]

DATASETS = ("mnist", "fashion-mnist", "moons", "spirals")

# The toy problems are fixed (seeded) so that every run, and ``evaluate``, sees the same points;
# ``--seed`` controls the initialisation and the shuffling only.
_TOY = {"moons": {"train": (2000, 0), "test": (1000, 1), "classes": 2},
        "spirals": {"train": (1500, 0), "test": (1500, 1), "classes": 3}}


@dataclass
class Split:
    """One split of a dataset: inputs ``x`` (float32), labels ``y`` (int64), its metadata."""

    x: np.ndarray
    y: np.ndarray
    num_classes: int
    name: str

    def __len__(self) -> int:
        return len(self.y)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """One example's shape, e.g. ``(1, 28, 28)`` or ``(2,)``."""
        return tuple(int(s) for s in self.x.shape[1:])

    def head(self, n: int | None) -> Split:
        """The first ``n`` examples (all of them when ``n`` is None or too large)."""
        if n is None or n >= len(self):
            return self
        return Split(self.x[:n], self.y[:n], self.num_classes, self.name)


def describe(name: str) -> tuple[tuple[int, ...], int]:
    """The input shape of one example and the number of classes of a dataset, without loading.

    Example:
        >>> describe("mnist")
        ((1, 28, 28), 10)
    """
    if name in ("mnist", "fashion-mnist"):
        return (1, 28, 28), 10
    if name in _TOY:
        return (2,), _TOY[name]["classes"]
    raise CLIError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")


def _load_images(name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    from ..datasets import CorruptedFileError, load_mnist

    try:
        images, labels = load_mnist(kind=name, split=split, download=True)
    except CorruptedFileError as exc:
        raise CLIError(f"the {name} data is damaged: {_first_line(exc)}") from None
    except (RuntimeError, OSError) as exc:
        mirror = os.environ.get("CHAINRULE_DATA_MIRROR", "")
        where = (f"CHAINRULE_DATA_MIRROR={mirror!r} does not hold them" if mirror else
                 "set CHAINRULE_DATA_MIRROR to a folder holding the four IDX files "
                 "(e.g. train-images-idx3-ubyte.gz) to work offline")
        why = _first_line(exc).split(" Attempts")[0].rstrip(" .")
        raise CLIError(f"cannot load the {name} {split} data: {why}; {where}") from None
    x = images.reshape(len(images), 1, 28, 28).astype(np.float32)
    x *= np.float32(1 / 255)
    return x, labels.astype(np.int64)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0].rstrip(" .:") if text else type(exc).__name__


def load_split(name: str, train: bool, limit: int | None = None) -> Split:
    """Load the training or test split of dataset ``name``, keeping the first ``limit`` examples.

    Raises:
        CLIError: unknown dataset, or the MNIST files cannot be found / downloaded.
    """
    _, classes = describe(name)
    if name in _TOY:
        from ..datasets import make_moons, make_spirals

        n, state = _TOY[name]["train" if train else "test"]
        if name == "moons":
            x, y = make_moons(n, noise=0.2, random_state=state)
        else:
            x, y = make_spirals(n, n_classes=classes, noise=0.2, random_state=state)
        data = Split(x.astype(np.float32), y.astype(np.int64), classes, name)
    else:
        x, y = _load_images(name, "train" if train else "test")
        data = Split(x, y, classes, name)
    return data.head(limit)


def split_validation(data: Split, fraction: float) -> tuple[Split, Split | None]:
    """Hold out the last ``fraction`` of ``data`` for validation, as Keras' ``validation_split``.

    Raises:
        CLIError: the fraction leaves no training or no validation examples.

    Example:
        >>> d = Split(np.zeros((10, 2), np.float32), np.zeros(10, np.int64), 2, "toy")
        >>> [len(s) for s in split_validation(d, 0.2)]
        [8, 2]
    """
    if fraction <= 0:
        return data, None
    n_val = int(len(data) * fraction)
    if n_val < 1 or n_val >= len(data):
        raise CLIError(f"--validation-split {fraction} leaves {n_val} validation and "
                       f"{len(data) - n_val} training examples out of {len(data)}; both need "
                       "at least one")
    cut = len(data) - n_val
    return (Split(data.x[:cut], data.y[:cut], data.num_classes, data.name),
            Split(data.x[cut:], data.y[cut:], data.num_classes, data.name))
