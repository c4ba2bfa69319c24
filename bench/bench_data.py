"""DataLoader throughput on MNIST (batch 128, shuffled): chainrule vs PyTorch, 0 and 2 workers.

Cases:
  * ``mnist fast``: ``MNIST(transform=Compose([ToTensor(), Normalize]))`` with the default
    collate, which chainrule batches by fancy-indexing whole batches.
  * ``mnist per-item``: the same dataset forced through per-sample loading and collation (a
    custom ``collate_fn``), i.e. what any Python-level dataset costs.
  * ``tensors``: a ``TensorDataset`` of the preprocessed float images.
  * ``torch …``: PyTorch's DataLoader on the equivalent datasets (a Python MNIST-like dataset
    doing the same per-item work with torch ops, and a TensorDataset), when torch is installed.

The data comes from ``$CHAINRULE_DATA_MIRROR`` or the shared copy beside the repository.

Run:  python bench/bench_data.py [--epochs 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import chainrule
from chainrule import transforms
from chainrule.datasets import MNIST
from chainrule.utils.data import DataLoader, TensorDataset, default_collate

BATCH = 128
MEAN, STD = 0.1307, 0.3081


def per_item_collate(batch):
    return default_collate(batch)


def timed_epochs(loader, epochs: int) -> float:
    """Best seconds per epoch (the first epoch also pays for starting workers)."""
    best = float("inf")
    for _ in range(epochs):
        start = time.perf_counter()
        n = 0
        for xb, _ in loader:
            n += len(xb)
        best = min(best, time.perf_counter() - start)
    assert n == 60000, n
    return best


def chainrule_cases(root: str, workers: int):
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))])
    ds = MNIST(root, transform=tf)
    x = chainrule.from_numpy(((ds.data._data.astype(np.float32) / 255 - MEAN) / STD)[:, None])
    tensors = TensorDataset(x, ds.targets)
    kw = {"batch_size": BATCH, "shuffle": True, "num_workers": workers,
          "persistent_workers": workers > 0}
    yield "chainrule mnist fast", DataLoader(ds, **kw)
    yield "chainrule mnist per-item", DataLoader(ds, collate_fn=per_item_collate, **kw)
    yield "chainrule tensors", DataLoader(tensors, **kw)


def torch_cases(root: str, workers: int):
    try:
        import torch
        from torch.utils.data import DataLoader as TorchLoader
        from torch.utils.data import Dataset
        from torch.utils.data import TensorDataset as TorchTensorDataset
    except ImportError:
        return
    ds = MNIST(root)
    images, labels = ds.data._data, ds.targets._data

    class TorchMNIST(Dataset):
        """MNIST as torchvision serves it, minus PIL: the same per-item work in torch ops."""

        def __len__(self):
            return len(labels)

        def __getitem__(self, i):
            img = torch.from_numpy(images[i]).unsqueeze(0).to(torch.float32).div(255)
            return (img - MEAN) / STD, int(labels[i])

    x = torch.from_numpy(((images.astype(np.float32) / 255 - MEAN) / STD)[:, None])
    kw = {"batch_size": BATCH, "shuffle": True, "num_workers": workers,
          "persistent_workers": workers > 0}
    yield "torch mnist per-item", TorchLoader(TorchMNIST(), **kw)
    yield "torch tensors", TorchLoader(TorchTensorDataset(x, torch.from_numpy(labels)), **kw)


def mnist_root() -> str:
    mirror = os.environ.get("CHAINRULE_DATA_MIRROR") or str(
        Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist")
    os.environ["CHAINRULE_DATA_MIRROR"] = mirror
    root = os.environ.get("CHAINRULE_DATA_DIR") or os.path.join(tempfile.gettempdir(),
                                                                 "chainrule_bench_data")
    MNIST(root, train=True, download=True)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2, help="epochs per case (best is kept)")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    args = parser.parse_args()
    root = mnist_root()
    print(f"MNIST train, batch {BATCH}, shuffle; best of {args.epochs} epoch(s); "
          f"{os.cpu_count()} CPUs\n")
    print(f"| {'case':<26} | workers | s/epoch | samples/s |")
    print(f"| {'-' * 26} | ------- | ------- | --------- |")
    for workers in args.workers:
        for cases in (chainrule_cases, torch_cases):
            for name, loader in cases(root, workers):
                sec = timed_epochs(loader, args.epochs)
                print(f"| {name:<26} | {workers:>7} | {sec:7.3f} | {60000 / sec:9,.0f} |",
                      flush=True)
                del loader


if __name__ == "__main__":
    main()
