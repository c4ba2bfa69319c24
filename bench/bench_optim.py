"""Optimizer benchmark: one ``step()`` of SGD (plain and with momentum), Adam and AdamW on 100
parameter tensors totalling 10 M float32 weights, against the same update written by hand in
NumPy (the floor for a NumPy design) and, if installed, PyTorch's ``step()`` in the same run.

Run: ``python -m bench.bench_optim [--repeat N] [--threads T]``
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule
from bench.timing import format_table, median_time, torch_or_none
from chainrule import optim

N_TENSORS, SHAPE = 100, (200, 500)  # 100 x 100,000 = 10 M float32 weights (40 MB)

CONFIGS = [
    ("SGD", {"lr": 0.01}),
    ("SGD", {"lr": 0.01, "momentum": 0.9}),
    ("Adam", {"lr": 1e-3}),
    ("AdamW", {"lr": 1e-3, "weight_decay": 1e-2}),
]


def _arrays(seed: int = 0):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(SHAPE, dtype=np.float32) for _ in range(N_TENSORS)]
    grads = [rng.standard_normal(SHAPE, dtype=np.float32) for _ in range(N_TENSORS)]
    return params, grads


def _chainrule_step(name, kwargs, params, grads):
    ps = [chainrule.tensor(p, requires_grad=True) for p in params]
    for p, g in zip(ps, grads):
        p.grad = chainrule.tensor(g)
    opt = getattr(optim, name)(ps, **kwargs)
    opt.step()  # create the state outside the timing
    return opt.step


def _torch_step(torch, name, kwargs, params, grads, foreach):
    ps = [torch.tensor(p, requires_grad=True) for p in params]
    for p, g in zip(ps, grads):
        p.grad = torch.tensor(g)
    opt = getattr(torch.optim, name)(ps, foreach=foreach, **kwargs)
    opt.step()
    return opt.step


def _numpy_step(name, kwargs, params, grads):
    """The same update by hand: in-place ufuncs, two preallocated scratch arrays."""
    params = [p.copy() for p in params]
    lr = kwargs["lr"]
    tmp, tmp2 = np.empty(SHAPE, np.float32), np.empty(SHAPE, np.float32)
    if name == "SGD" and not kwargs.get("momentum"):
        def step():
            for p, g in zip(params, grads):
                np.multiply(g, lr, out=tmp)
                p -= tmp
        return step
    if name == "SGD":
        bufs = [g.copy() for g in grads]

        def step():
            for p, g, b in zip(params, grads, bufs):
                b *= 0.9
                b += g
                np.multiply(b, lr, out=tmp)
                p -= tmp
        return step
    ms = [np.zeros(SHAPE, np.float32) for _ in params]
    vs = [np.zeros(SHAPE, np.float32) for _ in params]
    wd = kwargs.get("weight_decay", 0.0)
    t = [0]

    def adam_step():
        t[0] += 1
        step_size = lr / (1 - 0.9 ** t[0])
        bc2 = (1 - 0.999 ** t[0]) ** 0.5
        for p, g, m, v in zip(params, grads, ms, vs):
            if wd:
                p *= 1 - lr * wd
            np.subtract(g, m, out=tmp)
            np.multiply(tmp, 0.1, out=tmp)
            m += tmp
            v *= 0.999
            np.multiply(g, 0.001, out=tmp)
            np.multiply(tmp, g, out=tmp)
            v += tmp
            np.sqrt(v, out=tmp)
            np.divide(tmp, bc2, out=tmp)
            np.add(tmp, 1e-8, out=tmp)
            np.multiply(m, -step_size, out=tmp2)
            np.divide(tmp2, tmp, out=tmp2)
            p += tmp2
    return adam_step


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--threads", type=int, default=None,
                        help="PyTorch intra-op threads (default: PyTorch's own choice)")
    args = parser.parse_args(argv)
    torch = torch_or_none(args.threads)
    params, grads = _arrays()
    rows = []
    for name, kwargs in CONFIGS:
        label = name + ("(momentum=0.9)" if kwargs.get("momentum") else "")
        ours = median_time(_chainrule_step(name, kwargs, params, grads), warmup=2,
                           repeat=args.repeat)
        floor = median_time(_numpy_step(name, kwargs, params, grads), warmup=2,
                            repeat=args.repeat)
        row = {"optimizer": label, "chainrule ms": f"{ours * 1e3:.1f}",
               "hand NumPy ms": f"{floor * 1e3:.1f}", "vs NumPy": f"{ours / floor:.2f}x"}
        if torch is not None:
            for foreach, key in ((False, "torch ms"), (True, "torch foreach ms")):
                t = median_time(_torch_step(torch, name, kwargs, params, grads, foreach),
                                warmup=2, repeat=args.repeat)
                row[key] = f"{t * 1e3:.1f}"
                if not foreach:
                    row["chainrule / torch"] = f"{ours / t:.2f}x"
        rows.append(row)
    columns = ["optimizer", "chainrule ms", "hand NumPy ms", "vs NumPy", "torch ms",
               "torch foreach ms", "chainrule / torch"]
    threads = f", torch threads={torch.get_num_threads()}" if torch is not None else ""
    print(f"optimizer step on {N_TENSORS} tensors x {SHAPE} float32 = 10 M weights, median of "
          f"{args.repeat}{threads}")
    print(format_table(rows, [c for c in columns if torch is not None or "torch" not in c]))
    return rows


if __name__ == "__main__":
    main()
