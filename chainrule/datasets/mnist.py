"""MNIST and Fashion-MNIST: IDX loading with checksums, download from mirrors, ``Dataset``s."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from .._tensor import Tensor
from ..utils.data.dataset import Dataset
from . import _download
from ._idx import (
    IMAGES_MAGIC,
    LABELS_MAGIC,
    CorruptedFileError,
    decompress,
    md5_hex,
    parse_idx,
    read_idx_bytes,
)

__all__ = ["MNIST", "FashionMNIST", "load_mnist"]


class _Spec:
    """Everything that tells one MNIST-format dataset from another."""

    def __init__(self, name: str, folder: str, mirrors: list[str], files: dict,
                 classes: list[str]) -> None:
        self.name, self.folder, self.mirrors = name, folder, mirrors
        # file name -> (MD5 of the raw data or None, MD5 of the official .gz); the latter is
        # checked only where the former is unknown, as mirrors may recompress the archives
        self.files = files
        self.classes = classes


_MNIST = _Spec(
    "MNIST", "MNIST",
    ["https://ossci-datasets.s3.amazonaws.com/mnist/",
     "https://storage.googleapis.com/cvdf-datasets/mnist/",
     "http://yann.lecun.com/exdb/mnist/"],
    {"train-images-idx3-ubyte": ("6bbc9ace898e44ae57da46a324031adb",
                                 "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
     "train-labels-idx1-ubyte": ("a25bea736e30d166cdddb491f175f624",
                                 "d53e105ee54ea40749a09fcbcd1e9432"),
     "t10k-images-idx3-ubyte": ("2646ac647ad5339dbf082846283269ea",
                                "9fb629c4189551a2d022fa330f9573f3"),
     "t10k-labels-idx1-ubyte": ("27ae3e4e09519cfbb04c329615203637",
                                "ec29112dd5afa0611ce80d1b7f02629c")},
    ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
     "7 - seven", "8 - eight", "9 - nine"])

# Only the official archives' MD5s are published for Fashion-MNIST, so a downloaded .gz is
# checked against them and an uncompressed file by its structure (magic, shape, labels).
_FASHION = _Spec(
    "FashionMNIST", "FashionMNIST",
    ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
     "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"],
    {"train-images-idx3-ubyte": (None, "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
     "train-labels-idx1-ubyte": (None, "25c81989df183df01b3e8a0aad5dffbe"),
     "t10k-images-idx3-ubyte": (None, "bef4ecab320f06d8554ea6380940ec79"),
     "t10k-labels-idx1-ubyte": (None, "bb300cfdad3c16e7a12a480ee83cd310")},
    ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
     "Ankle boot"])

_KINDS = {"mnist": _MNIST, "fashion-mnist": _FASHION, "fashion_mnist": _FASHION,
          "fashionmnist": _FASHION}
_SPLITS = {"train": ("train", 60000), "test": ("t10k", 10000)}


def _check(spec: _Spec, name: str, data, source: str, gz_data: bytes | None = None) -> np.ndarray:
    """Parse and verify one file's decompressed bytes; raise ``CorruptedFileError`` if bad."""
    raw_md5, gz_md5 = spec.files[name]
    is_images = "images" in name
    arr = parse_idx(data, source, IMAGES_MAGIC if is_images else LABELS_MAGIC)
    n = _SPLITS["train" if name.startswith("train") else "test"][1]
    if is_images and arr.shape != (n, 28, 28) or not is_images and arr.shape != (n,):
        raise CorruptedFileError(f"{source}: shape {arr.shape}, expected "
                                 f"{(n, 28, 28) if is_images else (n,)} for {spec.name} {name}")
    if raw_md5 is not None:
        digest = md5_hex(data)
        if digest != raw_md5:
            raise CorruptedFileError(f"{source}: MD5 of the data is {digest}, expected {raw_md5}; "
                                     "the file is corrupted or not the official one")
    elif gz_data is not None and md5_hex(gz_data) != gz_md5:
        raise CorruptedFileError(f"{source}: MD5 of the archive is {md5_hex(gz_data)}, expected "
                                 f"{gz_md5}; the file is corrupted or not the official one")
    if not is_images and arr.size and arr.max() >= len(spec.classes):
        raise CorruptedFileError(f"{source}: label {int(arr.max())} is out of range 0-"
                                 f"{len(spec.classes) - 1}; the file is corrupted")
    return arr


def _raw_folder(spec: _Spec, root: str) -> str:
    return os.path.join(root, spec.folder, "raw")


def _hint(spec: _Spec, root: str) -> str:
    names = ", ".join(f"{n}.gz" for n in spec.files)
    return (f"To use {spec.name} without internet access, either set the environment variable "
            f"{_download.MIRROR_ENV} to a folder or URL holding the files ({names}; raw or "
            f"gzipped), or copy those files into {_raw_folder(spec, root)}.")


def _download_file(spec: _Spec, root: str, name: str, progress: bool) -> np.ndarray:
    """Fetch ``name`` from the mirrors, verify it and store it uncompressed, atomically."""
    dest = os.path.join(_raw_folder(spec, root), name)

    def validate(fname: str, payload: bytes) -> np.ndarray:
        gz = fname.endswith(".gz")
        data = decompress(payload, fname) if gz else bytearray(payload)
        arr = _check(spec, name, data, fname, payload if gz else None)
        _download.atomic_write(dest, data)
        return arr

    return _download.fetch([name + ".gz", name], _download.mirrors_with_env(spec.mirrors),
                           validate, subdirs=(spec.folder, os.path.join(spec.folder, "raw")),
                           progress=progress, what=f"the {spec.name} file {name}",
                           hint=_hint(spec, root))


def _load_file(spec: _Spec, root: str, name: str, download: bool,
               progress: bool = True) -> np.ndarray:
    """The verified array of one file, from ``root`` (downloading it if asked and absent)."""
    for folder in (_raw_folder(spec, root), root):
        for candidate in (name, name + ".gz"):
            path = os.path.join(folder, candidate)
            if os.path.isfile(path):
                data = read_idx_bytes(path)
                gz = None
                if candidate.endswith(".gz") and spec.files[name][0] is None:
                    with open(path, "rb") as fh:
                        gz = fh.read()
                return _check(spec, name, data, path, gz)
    if download:
        return _download_file(spec, root, name, progress)
    raise RuntimeError(f"Dataset not found: {spec.name} file {name} is not in "
                       f"{_raw_folder(spec, root)}. You can use download=True to download it. "
                       + _hint(spec, root))


def _load_split(spec: _Spec, root: str | None, train: bool, download: bool):
    root = os.path.expanduser(os.fspath(root)) if root is not None else _download.default_root()
    prefix = _SPLITS["train" if train else "test"][0]
    images = _load_file(spec, root, f"{prefix}-images-idx3-ubyte", download)
    labels = _load_file(spec, root, f"{prefix}-labels-idx1-ubyte", download)
    return root, images, labels.astype(np.int64)


def load_mnist(root: str | None = None, kind: str = "mnist", split: str = "train",
               download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST or Fashion-MNIST as NumPy arrays (downloading them if needed).

    Files are looked up in ``root/MNIST/raw`` (``root/FashionMNIST/raw``), then in ``root``;
    missing ones are fetched from ``$CHAINRULE_DATA_MIRROR`` and the public mirrors, verified
    and stored uncompressed in the ``raw`` folder.

    Args:
        root: the datasets folder (default ``$CHAINRULE_DATA_DIR`` or ``~/.chainrule/datasets``).
        kind: ``'mnist'`` or ``'fashion-mnist'``.
        split: ``'train'`` (60,000 images) or ``'test'`` (10,000).
        download: fetch missing files.

    Returns:
        ``(images, labels)``: uint8 array of shape (N, 28, 28) and int64 array of shape (N,).

    Raises:
        RuntimeError: files missing (with ``download=False``) or no mirror reachable; the
            message says how to provide the files.
        CorruptedFileError: a file is truncated or fails its checksum.

    Example:
        >>> images, labels = load_mnist(split="test")  # doctest: +SKIP
        >>> images.shape, labels[:5]  # doctest: +SKIP
        ((10000, 28, 28), array([7, 2, 1, 0, 4]))
    """
    spec = _KINDS.get(kind.lower())
    if spec is None:
        raise ValueError(f"load_mnist: kind must be 'mnist' or 'fashion-mnist', received "
                         f"{kind!r}")
    if split not in _SPLITS:
        raise ValueError(f"load_mnist: split must be 'train' or 'test', received {split!r}")
    _, images, labels = _load_split(spec, root, split == "train", download)
    return images, labels


class MNIST(Dataset):
    """The MNIST handwritten digits (60,000 training and 10,000 test images), as torchvision's.

    Sample ``i`` is ``(image, label)``: the image a uint8 NumPy array of shape (28, 28) (no
    PIL), passed through ``transform`` (``transforms.ToTensor()`` gives a float tensor of shape
    (1, 28, 28) in [0, 1]), the label an int. With ``transform`` None, ``ToTensor()`` or
    ``Compose([ToTensor(), Normalize(...)])`` and no ``target_transform``, a ``DataLoader``
    forms whole batches at once.

    Args:
        root: the datasets folder (files in ``root/MNIST/raw``; default
            ``$CHAINRULE_DATA_DIR`` or ``~/.chainrule/datasets``).
        train: the training split (else the test split).
        transform: applied to each image.
        target_transform: applied to each label.
        download: fetch missing files from ``$CHAINRULE_DATA_MIRROR`` or the public mirrors.

    Attributes:
        data: uint8 tensor (N, 28, 28). targets: int64 tensor (N,). classes: class names.

    Example:
        >>> ds = MNIST("data", train=False, download=True)  # doctest: +SKIP
        >>> len(ds), ds[0][0].shape, ds[0][1]  # doctest: +SKIP
        (10000, (28, 28), 7)
    """

    _spec = _MNIST

    def __init__(self, root: str | None = None, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        self.root, images, labels = _load_split(self._spec, root, train, download)
        self.data = Tensor._make(images)
        self.targets = Tensor._make(labels)

    @property
    def classes(self) -> list[str]:
        """The class names, indexed by label."""
        return list(self._spec.classes)

    @property
    def class_to_idx(self) -> dict[str, int]:
        """Class name → label."""
        return {c: i for i, c in enumerate(self._spec.classes)}

    @property
    def raw_folder(self) -> str:
        """Where the IDX files are stored."""
        return _raw_folder(self._spec, self.root)

    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, index: int):
        img = self.data._data[index].copy()
        target = int(self.targets._data[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def _get_batch(self, indices: np.ndarray):
        if self.target_transform is not None:
            return NotImplemented
        images = self.data._data[indices]
        if self.transform is not None:
            from ..transforms import batch_transform

            fn = batch_transform(self.transform)
            if fn is None:
                return NotImplemented
            images = fn(images)
        else:
            images = Tensor._make(images)
        return [images, Tensor._make(self.targets._data[indices])]

    def __repr__(self) -> str:
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Root location: {self.root}",
                 f"    Split: {'Train' if self.train else 'Test'}"]
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}".replace("\n", "\n    "))
        if self.target_transform is not None:
            lines.append(f"    Target transform: {self.target_transform!r}")
        return "\n".join(lines)


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando's clothing images): MNIST's format, sizes and API.

    Files live in ``root/FashionMNIST/raw``; the classes are ``'T-shirt/top'``, ``'Trouser'``,
    ``'Pullover'``, ``'Dress'``, ``'Coat'``, ``'Sandal'``, ``'Shirt'``, ``'Sneaker'``, ``'Bag'``,
    ``'Ankle boot'``. See ``MNIST`` for the arguments.

    Example:
        >>> ds = FashionMNIST("data", download=True)  # doctest: +SKIP
        >>> ds.classes[9]  # doctest: +SKIP
        'Ankle boot'
    """

    _spec = _FASHION
