"""Checkpoint and resume training: model + optimizer + scheduler + epoch + RNG state.

Trains a small classifier on the two-moons toy problem, saving a checkpoint after every epoch
with ``torch.save`` (chainrule's pickle-free, atomic format). The run is then "interrupted"
after epoch 2 and resumed from the checkpoint in a fresh model/optimizer/scheduler; the resumed
run ends with exactly the same weights as an uninterrupted one.

Run:  python examples/resume_training.py
"""

import os
import tempfile

import chainrule as torch
from chainrule import nn
from chainrule.datasets import make_moons
from chainrule.utils.data import DataLoader, TensorDataset

EPOCHS = 5


def build():
    """Model, optimizer and scheduler, built the same way for a fresh run and a resumed one."""
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    return model, optimizer, scheduler


def train(path, stop_after=None, resume=False):
    """Train to EPOCHS (or stop early), checkpointing to ``path`` after each epoch."""
    torch.manual_seed(0)
    X, y = make_moons(512, noise=0.15, random_state=0, return_tensors=True)
    loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True)
    model, optimizer, scheduler = build()
    loss_fn = nn.CrossEntropyLoss()
    start = 0
    if resume:
        ck = torch.load(path)
        model.load_state_dict(ck["model"])
        optimizer.load_state_dict(ck["optimizer"])
        scheduler.load_state_dict(ck["scheduler"])
        torch.set_rng_state(ck["rng_state"])  # the same shuffles as an uninterrupted run
        start = ck["epoch"] + 1
        print(f"resumed after epoch {ck['epoch']} (loss {ck['loss']:.4f})")
    for epoch in range(start, EPOCHS):
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
        scheduler.step()
        avg = total / len(X)
        print(f"epoch {epoch}: loss {avg:.4f}, lr {scheduler.get_last_lr()[0]:.4f}")
        torch.save({"epoch": epoch, "loss": avg, "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                    "rng_state": torch.get_rng_state()}, path)
        if stop_after is not None and epoch == stop_after:
            print("-- interrupted --")
            return None
    return model


def main():
    with tempfile.TemporaryDirectory() as tmp:
        straight = train(os.path.join(tmp, "a.pt"))
        path = os.path.join(tmp, "b.pt")
        train(path, stop_after=2)
        resumed = train(path, resume=True)
    same = all(torch.equal(a, b) for a, b in zip(straight.state_dict().values(),
                                                  resumed.state_dict().values()))
    print("resumed run matches the uninterrupted one:", same)
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
