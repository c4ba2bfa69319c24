"""Keras' "Simple MNIST convnet" (keras.io/examples/vision/mnist_convnet) on chainrule.keras.

Two ``Conv2D`` / ``MaxPooling2D`` blocks (32 and 64 filters), ``Flatten``, ``Dropout(0.5)`` and
``Dense(10, softmax)``, trained with Adam on categorical cross-entropy for 15 epochs with
batches of 128 and 10% of the training data held out for validation. The course reports
99.2% test accuracy. The code is Keras 3's public API on ``chainrule.keras``; the images come
from ``chainrule.datasets.load_mnist`` (via ``CHAINRULE_DATA_MIRROR`` or downloaded).

Run: ``python examples/keras_mnist_convnet.py [--epochs 15] [--quick | --limit N]``
"""

import argparse

import numpy as np

from chainrule import keras
from chainrule.datasets import load_mnist
from chainrule.keras import layers

num_classes = 10
input_shape = (28, 28, 1)


def load_data(limit=None, test_limit=None):
    """MNIST scaled to [0, 1] with a channel axis (channels last) and one-hot labels."""
    x_train, y_train = load_mnist(split="train")
    x_test, y_test = load_mnist(split="test")
    x_train, y_train = x_train[:limit], y_train[:limit]
    x_test, y_test = x_test[:test_limit], y_test[:test_limit]
    x_train = np.expand_dims(x_train.astype("float32") / 255, -1)
    x_test = np.expand_dims(x_test.astype("float32") / 255, -1)
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)
    return (x_train, y_train), (x_test, y_test)


def build_model():
    """The convnet of the Keras example."""
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ])


def main():
    """Train with a validation split, evaluate and print the test accuracy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--limit", type=int, default=None,
                        help="train on the first N images only")
    parser.add_argument("--quick", action="store_true",
                        help="CI: 1 epoch on 2,000 training and 1,000 test images")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    test_limit = None
    if args.quick:
        args.epochs, args.limit, test_limit = 1, args.limit or 2000, 1000

    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_data(args.limit, test_limit)
    print("x_train shape:", x_train.shape)
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")

    model = build_model()
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
              validation_split=0.1)

    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])


if __name__ == "__main__":
    main()
