"""One neuron learns a linearly separable rule: the course's perceptron with a custom Dataset.

``SimpleDataset`` is a ``Dataset`` subclass whose items are dicts of tensors
(``{"x": features, "y": label}``); the ``DataLoader`` batches them into a dict of stacked
tensors. The model is one neuron, ``sigmoid(w . x + b)``, trained with binary cross-entropy
(``nn.BCELoss``) and SGD to tell whether a point lies above the line ``x1 + x2 = 1``.

Run: ``python examples/perceptron.py [--epochs N] [--quick]``
"""

import argparse

import chainrule as torch
from chainrule import nn
from chainrule.utils.data import DataLoader, Dataset


class SimpleDataset(Dataset):
    """Points in the unit square, labelled 1 above the line x1 + x2 = 1 and 0 below."""

    def __init__(self, n: int = 200):
        self.x = torch.rand(n, 2)
        self.y = (self.x.sum(dim=1, keepdim=True) > 1).float()

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        return {"x": self.x[idx], "y": self.y[idx]}


class Neuron(nn.Module):
    """A single sigmoid neuron: the output is the probability of class 1."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, x):
        """P(class 1) for each row of ``x``."""
        return torch.sigmoid(self.linear(x))


def main():
    """Train the neuron and report its accuracy and the line it learned."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="fewer epochs (CI)")
    args = parser.parse_args()
    epochs = 30 if args.quick else args.epochs

    torch.manual_seed(0)
    dataset = SimpleDataset(200)
    loader = DataLoader(dataset, batch_size=16, shuffle=True)
    batch = next(iter(loader))
    print(f"one batch: {{{', '.join(f'{k!r}: {tuple(v.shape)}' for k, v in batch.items())}}}")

    model = Neuron()
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    for epoch in range(epochs):
        total = 0.0
        for batch in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(batch["x"]), batch["y"])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch["y"])
        if epoch % max(epochs // 5, 1) == 0 or epoch == epochs - 1:
            print(f"epoch {epoch:3d}: loss {total / len(dataset):.4f}")

    with torch.no_grad():
        predictions = (model(dataset.x) > 0.5).float()
    accuracy = (predictions == dataset.y).float().mean().item()
    w = model.linear.weight.detach().numpy().ravel()
    b = model.linear.bias.item()
    print(f"learned boundary: {w[0]:.2f} x1 {w[1]:+.2f} x2 {b:+.2f} = 0 "
          f"(ideal: proportional to x1 + x2 - 1)")
    print(f"accuracy: {accuracy:.3f}")


if __name__ == "__main__":
    main()
