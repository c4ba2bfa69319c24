"""The course's linear regression, written as ordinary PyTorch code.

Fits ``y = w x + b`` to noisy points from ``y = 2x + 1`` with ``nn.Linear``, ``MSELoss`` and SGD,
prints the loss as it falls and the learned parameters, and saves the fit as a PNG when
matplotlib is installed.

Run: ``python examples/linear_regression.py [--epochs N] [--output DIR]``
"""

import argparse
import pathlib

import chainrule as torch
from chainrule import nn, optim


def make_data(n: int = 100):
    """Points on the line y = 2x + 1 with Gaussian noise."""
    x = torch.linspace(-1, 1, n).unsqueeze(1)
    y = 2 * x + 1 + 0.1 * torch.randn(n, 1)
    return x, y


def train(epochs: int = 200, lr: float = 0.1):
    """Train the one-neuron model; returns the model, the data and the loss history."""
    torch.manual_seed(0)
    x, y = make_data()
    model = nn.Linear(1, 1)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=lr)
    history = []
    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        history.append(loss.item())
        if epoch % 50 == 0 or epoch == epochs - 1:
            print(f"epoch {epoch:4d}  loss {loss.item():.4f}")
    return model, (x, y), history


def plot(model, data, path: pathlib.Path) -> bool:
    """Save the points and the fitted line; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    x, y = data
    with torch.no_grad():
        fit = model(x)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.scatter(x.numpy(), y.numpy(), s=8, label="data")
    ax.plot(x.numpy(), fit.numpy(), color="C1", label="fit")
    ax.legend()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--output", type=pathlib.Path, default=pathlib.Path("runs/linreg"))
    args = parser.parse_args()
    model, data, _ = train(args.epochs)
    w, b = model.weight.item(), model.bias.item()
    print(f"learned w = {w:.3f}, b = {b:.3f} (true: 2, 1)")
    args.output.mkdir(parents=True, exist_ok=True)
    if plot(model, data, args.output / "fit.png"):
        print(f"plot written to {args.output / 'fit.png'}")


if __name__ == "__main__":
    main()
