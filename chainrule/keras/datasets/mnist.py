"""``keras.datasets.mnist``: the MNIST digits as Keras returns them.

The files come from ``chainrule.datasets.load_mnist`` (local cache, ``CHAINRULE_DATA_MIRROR``,
then the public mirrors; checksums verified).
"""

from __future__ import annotations

import numpy as np

__all__ = ["load_data"]


def load_data(path: str = "mnist.npz"):
    """The MNIST training and test sets as uint8 NumPy arrays.

    Args:
        path: accepted for compatibility (files are cached under chainrule's data folder,
            ``$CHAINRULE_DATA_DIR``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: images ``(60000, 28, 28)`` and
        ``(10000, 28, 28)`` uint8 in ``[0, 255]``; labels uint8 in ``[0, 9]``.

    Example:
        >>> from chainrule import keras
        >>> (x_train, y_train), _ = keras.datasets.mnist.load_data()  # doctest: +SKIP
        >>> x_train.shape, y_train.dtype  # doctest: +SKIP
        ((60000, 28, 28), dtype('uint8'))
    """
    return _load("mnist")


def _load(kind: str):
    from ...datasets import load_mnist

    x_train, y_train = load_mnist(kind=kind, split="train")
    x_test, y_test = load_mnist(kind=kind, split="test")
    return ((np.asarray(x_train, dtype=np.uint8), np.asarray(y_train, dtype=np.uint8)),
            (np.asarray(x_test, dtype=np.uint8), np.asarray(y_test, dtype=np.uint8)))
