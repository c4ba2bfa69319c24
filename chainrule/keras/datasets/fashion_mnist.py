"""``keras.datasets.fashion_mnist``: Zalando's Fashion-MNIST as Keras returns it."""

from __future__ import annotations

from .mnist import _load

__all__ = ["load_data"]


def load_data():
    """The Fashion-MNIST training and test sets as uint8 NumPy arrays.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: images ``(60000, 28, 28)`` and
        ``(10000, 28, 28)`` uint8; labels uint8 in ``[0, 9]`` (T-shirt/top … ankle boot).

    Example:
        >>> from chainrule import keras
        >>> (x_train, y_train), _ = keras.datasets.fashion_mnist.load_data()  # doctest: +SKIP
        >>> x_train.shape  # doctest: +SKIP
        (60000, 28, 28)
    """
    return _load("fashion-mnist")
