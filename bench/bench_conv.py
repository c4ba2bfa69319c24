"""Benchmark conv2d and max_pool2d (forward and forward+backward) against PyTorch.

Run ``python bench/bench_conv.py [--repeat N]``. Sizes: MNIST-like (128, 1, 28, 28) -> 32 3x3
filters, CIFAR-like (128, 3, 32, 32) -> 64, and the second conv of a small convnet
(128, 32, 26, 26) -> 64; max pooling 2x2 on the conv outputs. Each figure is the median of
``--repeat`` runs after a warm-up. PyTorch (when installed) runs in the same process with as many
threads as NumPy's BLAS uses, each case right after ours, and the table shows chainrule / PyTorch
ratios ("fwd+bwd" computes the weight and bias gradients, "+dx" the input's too). The load
average is printed: on a shared machine other processes distort both columns (then
``OPENBLAS_NUM_THREADS=1`` gives steadier, single-threaded figures for both libraries).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import chainrule
from chainrule.ops.conv import conv2d
from chainrule.ops.pooling import max_pool2d

try:
    import torch
except ImportError:  # pragma: no cover - optional
    torch = None


def blas_threads() -> int:
    """The number of threads NumPy's BLAS uses (all cores when unknown)."""
    try:
        from threadpoolctl import threadpool_info

        counts = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
        if counts:
            return max(counts)
    except ImportError:
        pass
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return os.cpu_count() or 1


def median_ms(fn, repeat: int) -> float:
    """Median wall time of ``fn()`` in milliseconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)) * 1e3


def conv_cases(lib, F, make, x_np, w_np, b_np):
    """(name, callable) pairs for one conv size in library ``lib``."""
    x = make(x_np, False)
    xg = make(x_np, True)
    w, b = make(w_np, True), make(b_np, True)
    y = F(x, w, b)
    g = make(np.ones(tuple(y.shape), np.float32), False)

    def fwd():
        with lib.no_grad():
            F(x, w, b)

    def fwd_bwd():
        w.grad = b.grad = None
        F(x, w, b).backward(g)

    def fwd_bwd_input():
        w.grad = b.grad = xg.grad = None
        F(xg, w, b).backward(g)

    return [("fwd", fwd), ("fwd+bwd", fwd_bwd), ("fwd+bwd+dx", fwd_bwd_input)]


def pool_cases(lib, P, make, x_np):
    """(name, callable) pairs for max pooling 2x2 in library ``lib``."""
    x = make(x_np, True)
    y = P(x, 2)
    g = make(np.ones(tuple(y.shape), np.float32), False)

    def fwd():
        with lib.no_grad():
            P(x, 2)

    def fwd_bwd():
        x.grad = None
        P(x, 2).backward(g)

    return [("fwd", fwd), ("fwd+bwd", fwd_bwd)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    threads = blas_threads()
    if torch is not None:
        torch.set_num_threads(threads)
    rng = np.random.default_rng(0)

    def cr_make(a, rg):
        return chainrule.tensor(a, requires_grad=rg)

    def th_make(a, rg):
        return torch.tensor(a, requires_grad=rg)

    convs = [("conv MNIST 128x1x28x28->32", (128, 1, 28, 28), 32),
             ("conv CIFAR 128x3x32x32->64", (128, 3, 32, 32), 64),
             ("conv 128x32x26x26->64", (128, 32, 26, 26), 64)]
    pools = [("maxpool2 128x32x26x26", (128, 32, 26, 26)),
             ("maxpool2 128x64x30x30", (128, 64, 30, 30))]
    data = []
    for label, shape, out in convs:
        x = rng.standard_normal(shape, dtype=np.float32)
        w = rng.standard_normal((out, shape[1], 3, 3), dtype=np.float32) * 0.1
        b = rng.standard_normal(out, dtype=np.float32)
        data.append((label, "conv", (x, w, b)))
    for label, shape in pools:
        data.append((label, "pool", (rng.standard_normal(shape, dtype=np.float32),)))

    def cases(lib, conv, pool, make, kind, arrays):
        return (conv_cases(lib, conv, make, *arrays) if kind == "conv"
                else pool_cases(lib, pool, make, *arrays))

    rows = []
    for label, kind, arrays in data:
        ours = cases(chainrule, conv2d, max_pool2d, cr_make, kind, arrays)
        theirs = (cases(torch, torch.nn.functional.conv2d, torch.nn.functional.max_pool2d,
                        th_make, kind, arrays) if torch is not None else None)
        for k, (name, fn) in enumerate(ours):
            ours_ms = median_ms(fn, args.repeat)
            th_ms = None
            if theirs is not None:
                # a pause between libraries lets the other one's spinning worker threads
                # (OpenMP, OpenBLAS) go to sleep, so they do not steal cores from the next run
                time.sleep(0.2)
                th_ms = median_ms(theirs[k][1], args.repeat)
                time.sleep(0.2)
            rows.append((f"{label} {name}", ours_ms, th_ms))

    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"threads: {threads}; median of {args.repeat} runs; float32; load average {load}")
    print(f"{'case':<44} {'chainrule ms':>13} {'torch ms':>9} {'ratio':>6}")
    for name, ours_ms, th_ms in rows:
        th = f"{th_ms:9.2f}" if th_ms is not None else f"{'-':>9}"
        ratio = f"{ours_ms / th_ms:6.2f}" if th_ms else f"{'-':>6}"
        print(f"{name:<44} {ours_ms:13.2f} {th} {ratio}")


if __name__ == "__main__":
    main()
