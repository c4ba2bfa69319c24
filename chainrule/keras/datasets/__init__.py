"""Datasets with Keras's loaders (``keras.datasets.mnist.load_data()``), served by
``chainrule.datasets``; no network access is needed when ``CHAINRULE_DATA_MIRROR`` points at
a folder holding the files."""

from . import fashion_mnist, mnist

__all__ = ["fashion_mnist", "mnist"]
