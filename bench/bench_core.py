"""Core benchmarks (issue 2): per-op overhead, and one MLP training step against the same step
written by hand in NumPy (the floor for a NumPy-based design) and, if installed, PyTorch.

Run: ``python -m bench.bench_core [--compare-torch]``
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule
from bench.timing import format_table, median_time, torch_or_none

BATCH, IN, HIDDEN, OUT, LR = 128, 784, 512, 10, 0.01


def _data(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, IN)).astype(np.float32)
    y = rng.integers(0, OUT, BATCH)
    bound1, bound2 = 1 / np.sqrt(IN), 1 / np.sqrt(HIDDEN)
    params = [rng.uniform(-bound1, bound1, (HIDDEN, IN)).astype(np.float32),
              rng.uniform(-bound1, bound1, HIDDEN).astype(np.float32),
              rng.uniform(-bound2, bound2, (OUT, HIDDEN)).astype(np.float32),
              rng.uniform(-bound2, bound2, OUT).astype(np.float32)]
    return x, y, params


def numpy_step(x, y, params):
    """Forward, cross-entropy, backward and SGD update of the MLP, by hand in NumPy."""
    w1, b1, w2, b2 = params
    pre = x @ w1.T + b1
    h = np.maximum(pre, 0)
    logits = h @ w2.T + b2
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    loss = -(shifted[rows, y] - np.log(s[:, 0])).mean()
    d = e / s
    d[rows, y] -= 1
    d /= len(y)
    dw2, db2 = d.T @ h, d.sum(axis=0)
    dh = d @ w2
    dh[pre <= 0] = 0
    dw1, db1 = dh.T @ x, dh.sum(axis=0)
    for p, g in zip(params, (dw1, db1, dw2, db2)):
        p -= LR * g
    return loss


def chainrule_mlp(params):
    """The same MLP as an ``nn.Sequential`` with its SGD optimizer."""
    nn, optim = chainrule.nn, chainrule.optim
    model = nn.Sequential(nn.Linear(IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, OUT))
    with chainrule.no_grad():
        for p, value in zip(model.parameters(), params):
            p.copy_(chainrule.from_numpy(value))
    return model, optim.SGD(model.parameters(), lr=LR)


def chainrule_step(model, optimizer, x, y):
    """One training step written as ordinary PyTorch code."""
    optimizer.zero_grad()
    loss = chainrule.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss


def run(compare_torch: bool = True) -> list[dict]:
    """Time every workload; returns rows for the results table."""
    rows = []
    torch = torch_or_none(threads=None) if compare_torch else None

    a, b = chainrule.ones(4, requires_grad=True), chainrule.ones(4, requires_grad=True)

    def cr_overhead():
        c = a + b
        c.sum().backward()

    t_cr = median_time(cr_overhead, warmup=100, repeat=15, min_time=0.02)
    row = {"workload": "c = a + b; c.sum().backward() (4 elements)", "chainrule": _us(t_cr)}
    if torch is not None:
        ta, tb = torch.ones(4, requires_grad=True), torch.ones(4, requires_grad=True)

        def torch_overhead():
            c = ta + tb
            c.sum().backward()

        t_th = median_time(torch_overhead, warmup=100, repeat=15, min_time=0.02)
        row.update(pytorch=_us(t_th), ratio=f"{t_cr / t_th:.2f}")
    rows.append(row)

    def cr_add():
        return a + b

    rows.append({"workload": "c = a + b, recorded (4 elements)",
                 "chainrule": _us(median_time(cr_add, warmup=100, repeat=15, min_time=0.02))})

    x, y, params = _data()
    np_params = [p.copy() for p in params]
    t_np = median_time(lambda: numpy_step(x, y, np_params), repeat=30)
    model, opt = chainrule_mlp(params)
    cx, cy = chainrule.from_numpy(x), chainrule.from_numpy(y)
    t_cr = median_time(lambda: chainrule_step(model, opt, cx, cy), repeat=30)
    row = {"workload": "MLP 784-512-10 step, batch 128, SGD", "chainrule": _ms(t_cr),
           "numpy by hand": _ms(t_np), "vs numpy": f"{t_cr / t_np:.2f}"}
    if torch is not None:
        tm = torch.nn.Sequential(torch.nn.Linear(IN, HIDDEN), torch.nn.ReLU(),
                                 torch.nn.Linear(HIDDEN, OUT))
        with torch.no_grad():
            for p, value in zip(tm.parameters(), params):
                p.copy_(torch.from_numpy(value))
        topt = torch.optim.SGD(tm.parameters(), lr=LR)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def torch_step():
            topt.zero_grad()
            loss = torch.nn.functional.cross_entropy(tm(tx), ty)
            loss.backward()
            topt.step()

        t_th = median_time(torch_step, repeat=30)
        row.update(pytorch=_ms(t_th), ratio=f"{t_cr / t_th:.2f}")
    rows.append(row)
    return rows


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms"


COLUMNS = ["workload", "chainrule", "numpy by hand", "vs numpy", "pytorch", "ratio"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare-torch", action="store_true")
    args = parser.parse_args()
    print(format_table(run(args.compare_torch), COLUMNS))


if __name__ == "__main__":
    main()
