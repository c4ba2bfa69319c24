"""Data workloads of the side-by-side benchmark: a full MNIST epoch and its peak memory.

* ``epoch_fn``: one shuffled epoch of the MLP (batch 128, RMSprop) over the 60,000 training
  images through ``DataLoader(TensorDataset(images, labels), batch_size=128, shuffle=True)``,
  the same code in both frameworks; ``mnist_epoch_fn`` is chainrule's own ``datasets.MNIST``
  with ``ToTensor`` and ``Normalize`` (batched whole by the loader) for comparison;
* ``python -m bench.workloads_data --memory FRAMEWORK --data FILE``: the same epoch in a fresh
  process, printing its peak resident memory (``VmHWM``) as JSON. The parent runs it once
  per framework, so neither pays for the other's libraries.

The images come from ``chainrule.datasets`` (set ``CHAINRULE_DATA_MIRROR`` to work offline);
where they cannot be had, random data of MNIST's shape stands in (and the table says so).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys

import numpy as np

from bench.workloads import BATCH, build, train_step

MEAN, STD = 0.1307, 0.3081


def mnist_arrays() -> tuple:
    """``(uint8 images (60000, 28, 28), int64 labels, source)``; random if MNIST is absent."""
    try:
        from chainrule.datasets import load_mnist

        images, labels = load_mnist(split="train")
        return images, labels.astype(np.int64), "MNIST"
    except Exception:  # noqa: BLE001 - no data and no network: fall back to random data
        rng = np.random.default_rng(0)
        return (rng.integers(0, 256, (60000, 28, 28), dtype=np.uint8),
                rng.integers(0, 10, 60000), "random data of MNIST's shape")


def preprocess(images: np.ndarray) -> np.ndarray:
    """Flat float32 images, scaled to [0, 1] and normalised with MNIST's mean and std."""
    x = images.reshape(len(images), -1).astype(np.float32)
    x *= np.float32(1 / (255 * STD))
    x -= np.float32(MEAN / STD)
    return x


def epoch_fn(fw, images: np.ndarray, labels: np.ndarray, seed: int = 0):
    """A no-argument function training the MLP for one shuffled epoch (through DataLoader)."""
    from_numpy = fw.from_numpy
    dataset = fw.utils.data.TensorDataset(from_numpy(preprocess(images)), from_numpy(labels))
    loader = fw.utils.data.DataLoader(dataset, batch_size=BATCH, shuffle=True)
    model, opt = build(fw, "mlp", seed)

    def run():
        for xb, yb in loader:
            train_step(fw, model, opt, xb, yb)

    return run


def mnist_epoch_fn(images: np.ndarray, labels: np.ndarray, seed: int = 0):
    """The epoch over chainrule's ``datasets.MNIST`` with ``ToTensor`` and ``Normalize``."""
    import chainrule
    from chainrule import transforms
    from chainrule.datasets import MNIST

    dataset = MNIST.__new__(MNIST)  # the same arrays, without reading the files again
    dataset.train, dataset.target_transform, dataset.root = True, None, ""
    dataset.transform = transforms.Compose([transforms.ToTensor(),
                                            transforms.Normalize((MEAN,), (STD,))])
    dataset.data = chainrule.from_numpy(images)
    dataset.targets = chainrule.from_numpy(labels)
    loader = chainrule.utils.data.DataLoader(dataset, batch_size=BATCH, shuffle=True)
    model, opt = build(chainrule, "mlp", seed)

    def run():
        for xb, yb in loader:
            train_step(chainrule, model, opt, xb.reshape(len(xb), -1), yb)

    return run


def peak_memory(framework: str, data_file: str, threads: int) -> dict:
    """Run the epoch in a fresh process; its peak RSS and RSS before the epoch, in MiB."""
    cmd = [sys.executable, "-m", "bench.workloads_data", "--memory", framework, "--data",
           data_file, "--threads", str(threads)]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=root, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _status_mib(field: str) -> float | None:
    """A memory figure of this process from /proc (Linux), in MiB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _peak_mib() -> float:
    """Peak resident memory of this process. ``VmHWM`` where there is /proc: ``getrusage``'s
    ``ru_maxrss`` also counts the parent's memory at fork time (Linux keeps it across exec),
    so for a process started by the benchmark it would report the benchmark's own size."""
    hwm = _status_mib("VmHWM")
    if hwm is not None:
        return hwm
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _memory_main(framework: str, data_file: str, threads: int) -> None:
    from bench.timing import set_blas_threads

    set_blas_threads(threads)
    if framework == "torch":
        import torch as fw

        fw.set_num_threads(threads)
    else:
        import chainrule as fw
    with np.load(data_file) as data:
        images, labels = data["images"], data["labels"]
    before = _status_mib("VmRSS") or float("nan")
    epoch_fn(fw, images, labels)()
    peak = _peak_mib()
    print(json.dumps({"framework": framework, "peak_mib": peak, "before_mib": before}))


def main(argv=None) -> None:
    """Entry point of the memory subprocess."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory", choices=["chainrule", "torch"], required=True)
    parser.add_argument("--data", required=True, help=".npz with 'images' and 'labels'")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    _memory_main(args.memory, args.data, args.threads)


if __name__ == "__main__":
    main()
