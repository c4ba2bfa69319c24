"""Micro workloads of the side-by-side benchmark: per-op overhead and one optimizer step.

* ``overhead_fn``: ``c = a + b; c.sum().backward()`` on 4-element tensors: everything but the
  arithmetic, i.e. the cost of recording an op, building the graph and running the engine;
* ``adam_fn``: one ``Adam.step()`` over 100 parameter tensors of 200 x 500 (10 M weights), the
  optimizer state already created.
"""

from __future__ import annotations

import numpy as np

N_TENSORS, SHAPE = 100, (200, 500)  # 100 x 100,000 = 10 M float32 weights (40 MB)


def overhead_fn(fw):
    """A no-argument function running ``c = a + b; c.sum().backward()`` on 4 elements."""
    a = fw.ones(4, requires_grad=True)
    b = fw.ones(4, requires_grad=True)

    def run():
        c = a + b
        c.sum().backward()

    return run


def adam_arrays(seed: int = 0):
    """Parameters and gradients (float32 arrays) of the optimizer workload."""
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(SHAPE, dtype=np.float32) for _ in range(N_TENSORS)]
    grads = [rng.standard_normal(SHAPE, dtype=np.float32) for _ in range(N_TENSORS)]
    return params, grads


def adam_fn(fw, arrays=None):
    """A no-argument function running one Adam step on 10 M weights (state already made)."""
    params, grads = arrays if arrays is not None else adam_arrays()
    ps = [fw.tensor(p, requires_grad=True) for p in params]
    for p, g in zip(ps, grads):
        p.grad = fw.tensor(g)
    opt = fw.optim.Adam(ps, lr=1e-3)
    opt.step()  # create the state outside the timing
    return opt.step
