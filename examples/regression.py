"""Linear regression on many features: ``make_regression``, ``nn.Linear`` and the MSE loss.

``make_regression`` draws 1,000 points with 10 features of which 5 influence the target,
``y = X w + 3 + noise``. A linear model trained with mini-batch SGD on ``nn.MSELoss`` recovers
the true weights (zero for the uninformative features) and the intercept; the script prints
both side by side and the test mean squared error and R².

Run: ``python examples/regression.py [--epochs N] [--quick]``
"""

import argparse

import numpy as np

import chainrule as torch
from chainrule import nn
from chainrule.datasets import make_regression
from chainrule.utils.data import DataLoader, TensorDataset


def main():
    """Fit the linear model and compare it with the true coefficients."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="fewer epochs (CI)")
    args = parser.parse_args()
    epochs = 15 if args.quick else args.epochs

    torch.manual_seed(0)
    X, y, true_w = make_regression(1200, 10, n_informative=5, bias=3.0, noise=5.0, coef=True,
                                   random_state=0)
    X, y = torch.from_numpy(X), torch.from_numpy(y).unsqueeze(1)
    X_train, y_train, X_test, y_test = X[:1000], y[:1000], X[1000:], y[1000:]
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)

    model = nn.Linear(10, 1)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    for epoch in range(epochs):
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
        if epoch % max(epochs // 5, 1) == 0 or epoch == epochs - 1:
            print(f"epoch {epoch:3d}: training MSE {total / len(X_train):10.3f}")

    with torch.no_grad():
        mse = loss_fn(model(X_test), y_test).item()
    r2 = 1 - mse / float(y_test.var(unbiased=False).item())
    print("feature   true w   learned w")
    learned = model.weight.detach().numpy().ravel()
    for i, (t, w) in enumerate(zip(true_w, learned)):
        print(f"{i:7d} {t:8.2f} {w:11.2f}")
    print(f"intercept {3.0:7.2f} {model.bias.item():11.2f}")
    print(f"test MSE: {mse:.2f} (noise variance 25.00), R^2: {r2:.4f}")
    max_err = float(np.abs(learned - true_w).max())
    print(f"largest weight error: {max_err:.2f}")


if __name__ == "__main__":
    main()
