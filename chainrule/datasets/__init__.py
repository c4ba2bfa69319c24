"""Datasets: MNIST-family loaders (download, checksums, IDX parsing) and synthetic generators.

``MNIST`` and ``FashionMNIST`` mirror torchvision's classes without PIL: images are uint8
NumPy arrays. Files are fetched from ``$CHAINRULE_DATA_MIRROR`` (a folder or URL) first, then
the public mirrors; the default root is ``$CHAINRULE_DATA_DIR`` or ``~/.chainrule/datasets``.
"""

from ._download import DownloadError, default_root
from ._idx import CorruptedFileError, parse_idx
from .mnist import MNIST, FashionMNIST, load_mnist
from .synthetic import make_blobs, make_circles, make_moons, make_regression, make_spirals

__all__ = [
           "MNIST",
           "CorruptedFileError",
           "DownloadError",
           "FashionMNIST",
           "default_root",
           "load_mnist",
           "make_blobs",
           "make_circles",
           "make_moons",
           "make_regression",
           "make_spirals",
           "parse_idx",
]
