"""The models of the side-by-side benchmark, built identically in chainrule and in PyTorch.

Both frameworks get the same initial weights (drawn once with NumPy and copied into each model),
the same data and the same hyper-parameters, so a step does the same arithmetic in both:

* ``mlp``: the course's MLP, Linear 784-512, ReLU, Linear 512-10, cross-entropy, RMSprop;
* ``convnet``: the Keras MNIST convnet written channels-first: Conv 32 3x3 + ReLU, MaxPool 2,
  Conv 64 3x3 + ReLU, MaxPool 2, Flatten, Dropout 0.5, Linear 1600-10, cross-entropy, Adam.

``build(fw, kind, seed)`` returns ``(model, optimizer)`` for ``fw`` being the ``chainrule`` or
``torch`` module; ``train_step`` and ``infer`` are written once and run on either.
"""

from __future__ import annotations

import numpy as np

BATCH = 128
LR = 1e-3


def mlp_layers(nn) -> list:
    """The MLP's layers for framework ``fw.nn``."""
    return [nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10)]


def convnet_layers(nn) -> list:
    """The Keras MNIST convnet's layers (channels-first) for framework ``fw.nn``."""
    return [nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10)]


def initial_weights(shapes: list, seed: int = 0) -> list:
    """PyTorch's default initialisation (uniform in +-1/sqrt(fan_in)) drawn with NumPy."""
    rng = np.random.default_rng(seed)
    weights, fan_in = [], 1
    for shape in shapes:
        if len(shape) > 1:
            fan_in = int(np.prod(shape[1:]))
        bound = 1.0 / np.sqrt(fan_in)
        weights.append(rng.uniform(-bound, bound, shape).astype(np.float32))
    return weights


def build(fw, kind: str, seed: int = 0):
    """``(model, optimizer)`` of workload ``kind`` ('mlp' or 'convnet') in framework ``fw``."""
    layers = mlp_layers(fw.nn) if kind == "mlp" else convnet_layers(fw.nn)
    model = fw.nn.Sequential(*layers)
    params = list(model.parameters())
    weights = initial_weights([tuple(p.shape) for p in params], seed)
    with fw.no_grad():
        for p, w in zip(params, weights):
            p.copy_(fw.from_numpy(w.copy()))
    if kind == "mlp":
        opt = fw.optim.RMSprop(params, lr=LR)
    else:
        opt = fw.optim.Adam(params, lr=LR)
    return model, opt


def batch(kind: str, seed: int = 1, n: int = BATCH):
    """One batch of random inputs of MNIST's shape (flat for the MLP) and labels."""
    rng = np.random.default_rng(seed)
    shape = (n, 784) if kind == "mlp" else (n, 1, 28, 28)
    return rng.random(shape, dtype=np.float32), rng.integers(0, 10, n)


def train_step(fw, model, opt, x, y):
    """One training step: zero the grads, forward, cross-entropy, backward, update."""
    opt.zero_grad()
    loss = fw.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


def step_fn(fw, kind: str, seed: int = 0):
    """A no-argument function running one training step of ``kind`` on a fixed batch."""
    model, opt = build(fw, kind, seed)
    model.train()
    xs, ys = batch(kind)
    x, y = fw.from_numpy(xs), fw.from_numpy(ys)
    return lambda: train_step(fw, model, opt, x, y)


def infer_fn(fw, kind: str, n: int = 1000, seed: int = 0):
    """A no-argument function classifying ``n`` images under ``no_grad`` in eval mode."""
    model, _ = build(fw, kind, seed)
    model.eval()
    xs, _ = batch(kind, n=n)
    x = fw.from_numpy(xs)

    def run():
        with fw.no_grad():
            return model(x).argmax(1)

    return run
