"""A two-layer network written twice: by hand in NumPy, and in chainrule with autograd.

The course's hand-written network (CS231n style) classifies the three spiral arms with
``scores = relu(X W1 + b1) W2 + b2`` and a softmax cross-entropy loss plus L2 regularisation.
Its backward pass is derived and coded by hand. The same network in chainrule needs only the
forward pass: ``loss.backward()`` produces the gradients. Both run in float64 from the same
initial weights; the script prints the largest difference between the two sets of gradients
(round-off, ~1e-16) and then trains both side by side, showing the same loss at every step.

Run: ``python examples/numpy_vs_chainrule.py [--steps N] [--quick]``
"""

import argparse

import numpy as np

import chainrule as torch
from chainrule.datasets import make_spirals


def numpy_forward_backward(params, X, y, reg):
    """Loss and gradients of the two-layer network, with the backward pass written by hand."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    n = X.shape[0]
    # forward
    hidden_pre = X @ W1 + b1
    hidden = np.maximum(0, hidden_pre)  # ReLU
    scores = hidden @ W2 + b2
    shifted = scores - scores.max(axis=1, keepdims=True)  # for numerical stability
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    data_loss = -np.log(probs[np.arange(n), y]).mean()
    loss = data_loss + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    # backward: d loss / d scores = (probs - one_hot(y)) / n
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    dscores /= n
    grads = {"W2": hidden.T @ dscores + reg * W2, "b2": dscores.sum(axis=0)}
    dhidden = dscores @ W2.T
    dhidden[hidden_pre <= 0] = 0  # ReLU lets the gradient through only where it was active
    grads["W1"] = X.T @ dhidden + reg * W1
    grads["b1"] = dhidden.sum(axis=0)
    return loss, grads


def chainrule_forward_backward(params, X, y, reg):
    """The same network in chainrule: the forward pass only; autograd does the rest."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    for p in params.values():
        p.grad = None
    scores = torch.relu(X @ W1 + b1) @ W2 + b2
    loss = torch.nn.functional.cross_entropy(scores, y)
    loss = loss + 0.5 * reg * ((W1 * W1).sum() + (W2 * W2).sum())
    loss.backward()
    return loss.item(), {k: p.grad.numpy() for k, p in params.items()}


def init_params(n_in, n_hidden, n_out, seed=0):
    """Small random weights and zero biases, as NumPy float64 arrays."""
    rng = np.random.default_rng(seed)
    return {"W1": 0.01 * rng.standard_normal((n_in, n_hidden)), "b1": np.zeros(n_hidden),
            "W2": 0.01 * rng.standard_normal((n_hidden, n_out)), "b2": np.zeros(n_out)}


def main():
    """Compare the gradients once, then train both networks side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="gradient-descent steps")
    parser.add_argument("--quick", action="store_true", help="a few steps only (CI)")
    args = parser.parse_args()
    steps = 200 if args.quick else args.steps
    lr, reg = 0.5, 1e-3

    X_np, y_np = make_spirals(300, n_classes=3, random_state=0)
    X_np = X_np.astype(np.float64)
    np_params = init_params(2, 100, 3)
    cr_params = {k: torch.tensor(v, requires_grad=True) for k, v in np_params.items()}
    X, y = torch.from_numpy(X_np), torch.from_numpy(y_np)

    loss_np, grads_np = numpy_forward_backward(np_params, X_np, y_np, reg)
    loss_cr, grads_cr = chainrule_forward_backward(cr_params, X, y, reg)
    print(f"initial loss: NumPy {loss_np:.12f}  chainrule {loss_cr:.12f}")
    worst = 0.0
    for name in np_params:
        diff = float(np.abs(grads_np[name] - grads_cr[name]).max())
        scale = float(np.abs(grads_np[name]).max())
        worst = max(worst, diff)
        print(f"  d loss / d {name:<3} max |NumPy - chainrule| = {diff:.2e}  "
              f"(largest gradient {scale:.2e})")
    same = worst < 1e-12
    print(f"gradients identical (max difference {worst:.1e}): {same}")

    for step in range(steps):
        loss_np, grads_np = numpy_forward_backward(np_params, X_np, y_np, reg)
        loss_cr, _ = chainrule_forward_backward(cr_params, X, y, reg)
        for name, p in np_params.items():
            p -= lr * grads_np[name]
        with torch.no_grad():
            for p in cr_params.values():
                p -= lr * p.grad
        if step % max(steps // 5, 1) == 0 or step == steps - 1:
            print(f"step {step:5d}: loss NumPy {loss_np:.6f}  chainrule {loss_cr:.6f}")

    hidden = np.maximum(0, X_np @ np_params["W1"] + np_params["b1"])
    acc_np = float(((hidden @ np_params["W2"] + np_params["b2"]).argmax(1) == y_np).mean())
    with torch.no_grad():
        scores = torch.relu(X @ cr_params["W1"] + cr_params["b1"]) @ cr_params["W2"]
        acc_cr = float((scores + cr_params["b2"]).argmax(1).eq(y).float().mean().item())
    print(f"training accuracy: NumPy {acc_np:.3f}  chainrule {acc_cr:.3f}")
    if not same or abs(acc_np - acc_cr) > 1e-6:
        raise SystemExit("the two implementations disagree")


if __name__ == "__main__":
    main()
