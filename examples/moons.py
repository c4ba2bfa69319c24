"""Binary classification of the two moons with a small network and one output logit.

The two interleaving half circles cannot be split by a line, so the model needs a hidden layer:
``Linear(2, 16) - ReLU - Linear(16, 16) - ReLU - Linear(16, 1)``, trained with
``nn.BCEWithLogitsLoss`` (sigmoid and binary cross-entropy fused, numerically safe) and Adam.
With matplotlib installed, the learned decision boundary is saved as a PNG.

Run: ``python examples/moons.py [--epochs N] [--quick] [--output DIR]``
"""

import argparse
import pathlib

import numpy as np

import chainrule as torch
from chainrule import nn
from chainrule.datasets import make_moons
from chainrule.utils.data import DataLoader, TensorDataset


def build_model():
    """Two hidden ReLU layers and one logit for P(class 1)."""
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                         nn.Linear(16, 1))


def accuracy(model, X, y):
    """The fraction of points whose predicted class (logit > 0) matches the label."""
    with torch.no_grad():
        predicted = (model(X).squeeze(1) > 0).long()
    return (predicted == y).float().mean().item()


def plot_boundary(model, X, y, path):
    """Save the decision regions and the points; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    xs, ys = np.meshgrid(np.linspace(-1.5, 2.5, 200), np.linspace(-1.0, 1.5, 200))
    grid = torch.from_numpy(np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float32))
    with torch.no_grad():
        prob = torch.sigmoid(model(grid)).numpy().reshape(xs.shape)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.contourf(xs, ys, prob, levels=20, cmap="RdBu", alpha=0.6)
    ax.scatter(X[:, 0].numpy(), X[:, 1].numpy(), c=y.numpy(), cmap="RdBu", s=8,
               edgecolors="k", linewidths=0.2)
    ax.set_title("two moons: decision boundary")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main():
    """Train on 1,000 noisy points, test on 1,000 fresh ones."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="fewer epochs (CI)")
    parser.add_argument("--output", type=pathlib.Path, default=None,
                        help="folder for moons.png (default: no plot)")
    args = parser.parse_args()
    epochs = 30 if args.quick else args.epochs

    torch.manual_seed(0)
    X, y = make_moons(1000, noise=0.2, random_state=0, return_tensors=True)
    X_test, y_test = make_moons(1000, noise=0.2, random_state=1, return_tensors=True)
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)

    model = build_model()
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb).squeeze(1), yb.float())
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
        if epoch % max(epochs // 5, 1) == 0 or epoch == epochs - 1:
            print(f"epoch {epoch:3d}: loss {total / len(X):.4f}  "
                  f"train accuracy {accuracy(model, X, y):.3f}")
    model.eval()
    print(f"test accuracy: {accuracy(model, X_test, y_test):.3f}")
    if args.output is not None:
        args.output.mkdir(parents=True, exist_ok=True)
        if plot_boundary(model, X_test, y_test, args.output / "moons.png"):
            print(f"decision boundary saved to {args.output / 'moons.png'}")
        else:
            print("plot skipped: matplotlib is not installed (pip install matplotlib)")


if __name__ == "__main__":
    main()
