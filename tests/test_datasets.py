"""chainrule.datasets: MNIST from the shared mirror, downloads over a local HTTP server, IDX
validation, and the synthetic generators. No test touches the network."""

import functools
import gzip
import http.server
import os
import shutil
import socket
import struct
import threading
from pathlib import Path

import numpy as np
import pytest

import chainrule
from chainrule import transforms
from chainrule.datasets import (
    MNIST,
    CorruptedFileError,
    DownloadError,
    FashionMNIST,
    _download,
    load_mnist,
    make_blobs,
    make_circles,
    make_moons,
    make_regression,
    make_spirals,
)
from chainrule.datasets import mnist as mnist_module
from chainrule.utils.data import DataLoader, Subset, default_collate

MIRROR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"
needs_mirror = pytest.mark.skipif(not (MIRROR / "t10k-labels-idx1-ubyte.gz").exists(),
                                  reason="shared MNIST copy not found")
FIRST_TRAIN = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
FIRST_TEST = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


@pytest.fixture(autouse=True)
def no_user_env(monkeypatch):
    monkeypatch.delenv("CHAINRULE_DATA_MIRROR", raising=False)
    monkeypatch.delenv("CHAINRULE_DATA_DIR", raising=False)


@pytest.fixture(scope="module")
def mnist_root(tmp_path_factory):
    """A datasets root holding MNIST, fetched once from the shared mirror."""
    if not (MIRROR / "train-images-idx3-ubyte.gz").exists():
        pytest.skip("shared MNIST copy not found")
    root = tmp_path_factory.mktemp("datasets")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHAINRULE_DATA_MIRROR", str(MIRROR))
        MNIST(root, train=True, download=True)
        MNIST(root, train=False, download=True)
    return root


@needs_mirror
def test_known_md5s_match_the_shared_copy():
    for line in (MIRROR / "MD5SUMS.raw.txt").read_text().splitlines():
        digest, name = line.split()
        assert mnist_module._MNIST.files[name][0] == digest


def test_mnist_train_and_test_splits(mnist_root):
    train = MNIST(mnist_root)
    assert train.data.shape == (60000, 28, 28) and train.data.dtype == chainrule.uint8
    assert train.targets.dtype == chainrule.int64 and train.targets.shape == (60000,)
    assert train.targets._data[:10].tolist() == FIRST_TRAIN
    assert sorted(np.unique(train.targets._data).tolist()) == list(range(10))
    test = MNIST(mnist_root, train=False)
    assert len(test) == 10000 and test.targets._data[:10].tolist() == FIRST_TEST
    assert train.classes[3] == "3 - three" and train.class_to_idx["9 - nine"] == 9
    assert sorted(os.listdir(train.raw_folder)) == sorted(mnist_module._MNIST.files)
    assert "Number of datapoints: 60000" in repr(train) and "Split: Train" in repr(train)


def test_mnist_items_and_transforms(mnist_root):
    ds = MNIST(mnist_root, train=False, target_transform=lambda y: y * 10)
    img, label = ds[0]
    assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.shape == (28, 28)
    assert label == 70
    ds = MNIST(mnist_root, train=False, transform=transforms.ToTensor())
    x, y = ds[0]
    assert x.shape == (1, 28, 28) and x.dtype == chainrule.float32 and y == 7
    assert 0.0 <= float(x._data.min()) and float(x._data.max()) == 1.0
    assert "ToTensor()" in repr(ds)


def test_mnist_loader_fast_path_matches_per_item(mnist_root):
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    ds = Subset(MNIST(mnist_root, train=False, transform=tf), list(range(0, 10000, 7)))
    kw = {"batch_size": 64, "shuffle": True}
    fast = DataLoader(ds, generator=chainrule.Generator().manual_seed(0), **kw)
    slow = DataLoader(ds, generator=chainrule.Generator().manual_seed(0),
                      collate_fn=lambda b: default_collate(b), **kw)
    for i, ((xf, yf), (xs, ys)) in enumerate(zip(fast, slow)):
        assert xf.shape == (64, 1, 28, 28) and xf.dtype == xs.dtype == chainrule.float32
        np.testing.assert_array_equal(xf._data, xs._data)
        np.testing.assert_array_equal(yf._data, ys._data)
        if i == 3:
            break
    raw = next(iter(DataLoader(MNIST(mnist_root, train=False), batch_size=5)))
    assert raw[0].dtype == chainrule.uint8 and raw[1].tolist() == FIRST_TEST[:5]


def test_load_mnist_numpy(mnist_root):
    images, labels = load_mnist(mnist_root, split="test", download=False)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.dtype == np.int64 and labels[:10].tolist() == FIRST_TEST
    with pytest.raises(ValueError, match="kind must be"):
        load_mnist(mnist_root, kind="cifar")
    with pytest.raises(ValueError, match="split must be"):
        load_mnist(mnist_root, split="val")


@needs_mirror
def test_env_mirror_relative_path_and_default_root(tmp_path, monkeypatch):
    monkeypatch.chdir(MIRROR.parent)
    monkeypatch.setenv("CHAINRULE_DATA_MIRROR", "mnist")  # relative to the working directory
    monkeypatch.setenv("CHAINRULE_DATA_DIR", str(tmp_path / "home"))
    _, labels = load_mnist(split="test")
    assert labels[:10].tolist() == FIRST_TEST
    assert (tmp_path / "home" / "MNIST" / "raw" / "t10k-images-idx3-ubyte").is_file()


@needs_mirror
def test_gz_files_placed_in_root(tmp_path):
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(MIRROR / name, tmp_path / name)
    ds = MNIST(tmp_path, train=False)
    assert ds.targets._data[:10].tolist() == FIRST_TEST


def test_missing_files_and_offline_errors(tmp_path, monkeypatch):
    with pytest.raises(RuntimeError, match="download=True") as info:
        MNIST(tmp_path, download=False)
    assert "CHAINRULE_DATA_MIRROR" in str(info.value)
    with socket.socket() as s:  # a port with nothing listening: "offline"
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(mnist_module._MNIST, "mirrors", [f"http://127.0.0.1:{port}/mnist/",
                                                         str(tmp_path / "nowhere")])
    with pytest.raises(DownloadError) as info:
        MNIST(tmp_path, train=False, download=True)
    msg = str(info.value)
    assert "CHAINRULE_DATA_MIRROR" in msg and str(tmp_path / "MNIST" / "raw") in msg
    assert f"127.0.0.1:{port}" in msg and "nowhere" in msg
    raw = tmp_path / "MNIST" / "raw"
    assert not raw.exists() or os.listdir(raw) == []  # no partial files


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.log.append(self.path)
        if self.path.startswith("/flaky/") and self.server.log.count(self.path) == 1:
            self.send_error(503, "try again")
            return
        super().do_GET()


@pytest.fixture
def http_mirror(tmp_path):
    """A local HTTP server: /bad/ has damaged test-split files, /good/ the real ones, /flaky/
    answers 503 to the first request of each file."""
    if not (MIRROR / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("shared MNIST copy not found")
    site = tmp_path / "site"
    for sub in ("good", "bad", "flaky"):
        (site / sub).mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(MIRROR / name, site / "good" / name)
        shutil.copy(MIRROR / name, site / "flaky" / name)
    labels = bytearray(gzip.decompress((MIRROR / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    labels[100] = (labels[100] + 1) % 10  # a valid file with one wrong label: only MD5 sees it
    (site / "bad" / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(labels)))
    images = (MIRROR / "t10k-images-idx3-ubyte.gz").read_bytes()
    (site / "bad" / "t10k-images-idx3-ubyte.gz").write_bytes(images[: len(images) // 2])
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(site)))
    server.log = []
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", server.log
    server.shutdown()
    server.server_close()


def test_download_rejects_corrupt_copy_and_uses_next_mirror(tmp_path, monkeypatch, http_mirror):
    url, log = http_mirror
    monkeypatch.setattr(mnist_module._MNIST, "mirrors", [f"{url}/bad/", f"{url}/good/"])
    ds = MNIST(tmp_path, train=False, download=True)
    assert ds.targets._data[:10].tolist() == FIRST_TEST
    true_labels = gzip.decompress((MIRROR / "t10k-labels-idx1-ubyte.gz").read_bytes())[8:]
    assert ds.targets._data.tolist() == list(true_labels)  # not the bad mirror's copy
    assert log == ["/bad/t10k-images-idx3-ubyte.gz", "/good/t10k-images-idx3-ubyte.gz",
                   "/bad/t10k-labels-idx1-ubyte.gz", "/good/t10k-labels-idx1-ubyte.gz"]
    raw = tmp_path / "MNIST" / "raw"
    assert sorted(os.listdir(raw)) == ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    assert _download.mirrors_with_env(["a"]) == ["a"]


def test_download_retries_transient_errors(tmp_path, monkeypatch, http_mirror, capsys):
    url, log = http_mirror
    monkeypatch.setattr(mnist_module._MNIST, "mirrors", [f"{url}/flaky/"])
    monkeypatch.setenv("CHAINRULE_DATA_MIRROR", f"{url}/bad/")  # tried first, rejected
    labels = mnist_module._load_file(mnist_module._MNIST, str(tmp_path),
                                     "t10k-labels-idx1-ubyte", download=True, progress=True)
    assert labels[:10].tolist() == FIRST_TEST
    assert log == ["/bad/t10k-labels-idx1-ubyte.gz"] + ["/flaky/t10k-labels-idx1-ubyte.gz"] * 2
    assert "t10k-labels-idx1-ubyte.gz" in capsys.readouterr().err  # the progress report


@needs_mirror
def test_corrupted_local_files_are_detected(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    labels = gzip.decompress((MIRROR / "t10k-labels-idx1-ubyte.gz").read_bytes())
    images = gzip.decompress((MIRROR / "t10k-images-idx3-ubyte.gz").read_bytes())
    (raw / "t10k-images-idx3-ubyte").write_bytes(images)
    cases = [(labels[:5000], "truncated"), (labels + b"\0", "trailing"),
             (images[:16], "magic number 2051"),
             (labels[:-1] + bytes([(labels[-1] + 1) % 10]), "MD5")]
    for data, msg in cases:
        (raw / "t10k-labels-idx1-ubyte").write_bytes(data)
        with pytest.raises(CorruptedFileError, match=msg):
            MNIST(tmp_path, train=False)
    (raw / "t10k-labels-idx1-ubyte").unlink()
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(
        (MIRROR / "t10k-labels-idx1-ubyte.gz").read_bytes()[:-20])
    with pytest.raises(CorruptedFileError, match="gzip data is damaged"):
        MNIST(tmp_path, train=False)


def _idx(magic_dims, data):
    magic, dims = magic_dims
    return struct.pack(f">i{len(dims)}I", magic, *dims) + data.tobytes()


def test_fashion_mnist_files_and_mirror_rejection(tmp_path, monkeypatch):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    (raw / "t10k-images-idx3-ubyte").write_bytes(
        _idx((2051, (10000, 28, 28)), rng.integers(0, 256, (10000, 28, 28), dtype=np.uint8)))
    labels = rng.integers(0, 10, 10000, dtype=np.uint8)
    (raw / "t10k-labels-idx1-ubyte").write_bytes(_idx((2049, (10000,)), labels))
    ds = FashionMNIST(tmp_path, train=False)
    assert ds.targets._data.tolist() == labels.tolist() and ds.classes[9] == "Ankle boot"
    assert "Dataset FashionMNIST" in repr(ds)
    if (MIRROR / "train-labels-idx1-ubyte.gz").exists():
        # MNIST's archives are not Fashion-MNIST's: their MD5 gives them away
        monkeypatch.setattr(mnist_module._FASHION, "mirrors", [str(MIRROR)])
        with pytest.raises(DownloadError, match="MD5 of the archive"):
            FashionMNIST(tmp_path / "other", train=False, download=True)


# ---- synthetic data ----------------------------------------------------------------------------

def test_synthetic_shapes_dtypes_and_seeding():
    X, y = make_moons(101, noise=0.1, random_state=0)
    assert X.shape == (101, 2) and X.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 51]
    X2, _ = make_moons(101, noise=0.1, random_state=0)
    np.testing.assert_array_equal(X, X2)
    chainrule.manual_seed(1)
    a = make_circles(50, noise=0.05)[0]
    chainrule.manual_seed(1)
    np.testing.assert_array_equal(a, make_circles(50, noise=0.05)[0])
    Xs, ys = make_spirals(301, n_classes=4, random_state=chainrule.Generator().manual_seed(2))
    assert Xs.shape == (301, 2) and np.bincount(ys).tolist() == [76, 75, 75, 75]
    assert float(np.abs(Xs).max()) <= 1.0 + 1e-6
    Xb, yb = make_blobs(60, 5, centers=4, random_state=np.random.default_rng(3))
    assert Xb.shape == (60, 5) and set(yb.tolist()) == {0, 1, 2, 3}
    Xr, yr, w = make_regression(40, 6, n_informative=2, coef=True, noise=0.0, random_state=4)
    assert Xr.shape == (40, 6) and yr.shape == (40,) and int((w != 0).sum()) == 2
    np.testing.assert_allclose(Xr @ w, yr, rtol=1e-4, atol=1e-3)
    Xt, yt = make_moons(10, return_tensors=True, random_state=0)
    assert isinstance(Xt, chainrule.Tensor) and Xt.dtype == chainrule.float32
    assert yt.dtype == chainrule.int64


def test_synthetic_errors():
    with pytest.raises(ValueError, match="n_samples must be an int"):
        make_moons(0)
    with pytest.raises(ValueError, match="factor has to be between 0 and 1"):
        make_circles(10, factor=1.5)
    with pytest.raises(ValueError, match="n_classes must be an int"):
        make_spirals(10, n_classes=0)
    with pytest.raises(ValueError, match="noise must be non-negative"):
        make_regression(10, noise=-1.0)
    with pytest.raises(TypeError, match="random_state must be"):
        make_moons(10, random_state="seed")
