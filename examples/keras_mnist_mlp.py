"""The course's first network: a Keras MLP on MNIST (Chollet, Deep Learning with Python, ch. 2).

``Dense(512, relu)`` then ``Dense(10, softmax)``, compiled with RMSprop and sparse categorical
cross-entropy, trained for 5 epochs with batches of 128. The course reports 97.8% test
accuracy. The code is Keras 3's public API on ``chainrule.keras``; the images come from
``chainrule.datasets.load_mnist`` (found through ``CHAINRULE_DATA_MIRROR`` or downloaded).

Run: ``python examples/keras_mnist_mlp.py [--epochs 5] [--quick | --limit N]``
"""

import argparse

from chainrule import keras
from chainrule.datasets import load_mnist
from chainrule.keras import layers


def load_data(limit=None):
    """MNIST as flat float32 vectors in [0, 1] and integer labels (first ``limit`` train)."""
    train_images, train_labels = load_mnist(split="train")
    test_images, test_labels = load_mnist(split="test")
    if limit:
        train_images, train_labels = train_images[:limit], train_labels[:limit]
    train_images = train_images.reshape((len(train_images), 28 * 28)).astype("float32") / 255
    test_images = test_images.reshape((len(test_images), 28 * 28)).astype("float32") / 255
    return (train_images, train_labels), (test_images, test_labels)


def build_model():
    """The course's two-layer MLP, compiled."""
    model = keras.Sequential([
        keras.Input(shape=(28 * 28,)),
        layers.Dense(512, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="rmsprop",
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def main():
    """Train, evaluate and print the test accuracy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--limit", type=int, default=None,
                        help="train on the first N images only")
    parser.add_argument("--quick", action="store_true",
                        help="CI: 1 epoch on 2,000 training images")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.limit = 1, args.limit or 2000

    keras.utils.set_random_seed(args.seed)
    (train_images, train_labels), (test_images, test_labels) = load_data(args.limit)
    model = build_model()
    model.summary()
    model.fit(train_images, train_labels, epochs=args.epochs, batch_size=args.batch_size)
    test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=0)
    print(f"test_loss: {test_loss:.4f}")
    print(f"test_acc: {test_acc:.4f}")


if __name__ == "__main__":
    main()
