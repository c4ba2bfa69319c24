"""``keras.datasets`` and ``keras.utils`` on MNIST, and the Keras MNIST MLP end to end (on a
2,000-image subset from the local mirror; skipped when it is absent)."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import keras
from chainrule.keras import layers


def test_to_categorical():
    assert keras.utils.to_categorical([2, 0], 3).tolist() == [[0, 0, 1], [1, 0, 0]]
    out = keras.utils.to_categorical(np.array([[1], [3]]))
    assert out.shape == (2, 4) and out.dtype == np.float32
    with pytest.raises(ValueError, match="out of range"):
        keras.utils.to_categorical([5], num_classes=3)
    with pytest.raises(ValueError, match="integer class labels"):
        keras.utils.to_categorical([0.5])


def test_mnist_load_data_like_keras(mnist_dir):
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == y_train.dtype == np.uint8
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9] and y_test[:5].tolist() == [7, 2, 1, 0, 4]
    assert x_train.max() == 255 and x_train.min() == 0


def test_fashion_mnist_load_data(mnist_dir):
    try:
        (x_train, y_train), _ = keras.datasets.fashion_mnist.load_data()
    except RuntimeError as e:  # the local mirror only holds the digits
        pytest.skip(f"Fashion-MNIST is not available offline: {str(e)[:80]}")
    assert x_train.shape == (60000, 28, 28) and y_train.dtype == np.uint8


def test_mnist_mlp_reaches_90_percent_on_2000_images(mnist_dir):
    """The classic Keras MLP (Dense 512 relu, Dense 10 softmax, RMSprop): two epochs on 2,000
    images fit them to over 90% accuracy and generalise to over 75% on unseen digits."""
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x = x_train[:2000].reshape(-1, 784).astype("float32") / 255
    y = y_train[:2000]
    model = keras.Sequential([keras.Input(shape=(784,)),
                              layers.Dense(512, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, verbose=0)
    assert history.history["accuracy"][1] > history.history["accuracy"][0]
    _, train_acc = model.evaluate(x, y, verbose=0)
    assert train_acc > 0.90
    x_val = x_test[:1000].reshape(-1, 784).astype("float32") / 255
    _, test_acc = model.evaluate(x_val, y_test[:1000], verbose=0)
    assert test_acc > 0.75
