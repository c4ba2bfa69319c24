"""``chainrule train`` and ``chainrule evaluate``: the training loop, optimizers, schedules,
checkpoints."""

from __future__ import annotations

import math
import os
import sys
import time

import numpy as np

from . import report
from .data import Split, describe, load_split, split_validation
from .errors import CLIError
from .models import BUILTIN_MODELS, ModelInfo, build_model, prepare_inputs

__all__ = ["OPTIMIZERS", "SCHEDULES", "evaluate", "evaluate_checkpoint", "train"]

# name -> (class name in chainrule.optim, default lr, extra arguments). RMSprop uses Keras'
# rho=0.9 and epsilon=1e-7 (PyTorch's alpha=0.99 trains the course's MLP less well in 5 epochs).
OPTIMIZERS = {
    "sgd": ("SGD", 0.01, {}),
    "momentum": ("SGD", 0.01, {"momentum": 0.9}),
    "nesterov": ("SGD", 0.01, {"momentum": 0.9, "nesterov": True}),
    "adagrad": ("Adagrad", 0.01, {}),
    "rmsprop": ("RMSprop", 1e-3, {"alpha": 0.9, "eps": 1e-7}),
    "adam": ("Adam", 1e-3, {}),
    "adamw": ("AdamW", 1e-3, {}),
}
SCHEDULES = {
    "none": "constant learning rate",
    "step": "halve the learning rate every ceil(epochs / 3) epochs (StepLR)",
    "cosine": "cosine annealing to 0 over the run, per epoch (CosineAnnealingLR)",
    "plateau": "halve the learning rate when the validation loss (else the training loss) "
               "stops improving for 2 epochs (ReduceLROnPlateau)",
    "onecycle": "the 1cycle policy with peak --lr, stepped per batch (OneCycleLR)",
}
CHECKPOINT = "checkpoint.safetensors"
PLOT = "training_curves.png"


def _make_optimizer(name: str, params, lr: float):
    from .. import optim

    cls_name, _, extra = OPTIMIZERS[name]
    return getattr(optim, cls_name)(params, lr=lr, **extra)


def _make_schedule(name: str, optimizer, epochs: int, steps_per_epoch: int, lr: float,
                   opt_name: str):
    """The scheduler and whether it steps per ``'batch'`` or per ``'epoch'``."""
    from ..optim import lr_scheduler as ls

    if name == "none":
        return None, None
    if name == "step":
        return ls.StepLR(optimizer, step_size=math.ceil(epochs / 3), gamma=0.5), "epoch"
    if name == "cosine":
        return ls.CosineAnnealingLR(optimizer, T_max=epochs), "epoch"
    if name == "plateau":
        return ls.ReduceLROnPlateau(optimizer, factor=0.5, patience=1), "epoch"
    # Cycling the momentum only where the optimizer already uses one: on plain SGD, RMSprop
    # or Adagrad it would switch a momentum term on.
    cycle = opt_name in ("momentum", "nesterov", "adam", "adamw")
    return ls.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch,
                         cycle_momentum=cycle), "batch"


def _loss_and_correct(out, yb, info: ModelInfo, reduction: str = "mean"):
    from ..nn import functional as F

    if info.head == "binary":
        logits = out.reshape(-1)
        loss = F.binary_cross_entropy_with_logits(logits, yb.float(), reduction=reduction)
        pred = (logits.detach() > 0).long()
    else:
        loss = F.cross_entropy(out, yb, reduction=reduction)
        pred = out.detach().argmax(1)
    return loss, int((pred == yb).sum().item())


def evaluate(model, info: ModelInfo, data: Split, batch_size: int = 1000) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` on ``data``, in eval mode without gradients."""
    from .. import from_numpy, no_grad

    model.eval()
    total, correct = 0.0, 0
    with no_grad():
        for start in range(0, len(data), batch_size):
            xb = from_numpy(prepare_inputs(data.x[start:start + batch_size], info))
            yb = from_numpy(data.y[start:start + batch_size])
            loss, right = _loss_and_correct(model(xb), yb, info, reduction="sum")
            total += float(loss.item())
            correct += right
    n = max(len(data), 1)
    return total / n, correct / n


class _Monitor:
    """``--diagnostics``: drives a ``chainrule.viz.TrainingMonitor`` over the model.

    ``record(loss=...)`` is called after every optimizer step. At the end the monitor's
    ``summary()`` is printed and written to ``diagnostics.txt``, and
    ``viz.plot_gradient_flow`` draws ``gradient_flow.png`` (with matplotlib). Diagnostics never
    stop a run: a failure of the monitor is reported once and the monitor switched off.
    """

    def __init__(self, model, out_dir: str, enabled: bool) -> None:
        self.monitor, self.out_dir = None, out_dir
        if enabled:
            from ..viz import TrainingMonitor

            self._guard("start", lambda: setattr(self, "monitor", TrainingMonitor(model)))

    def _guard(self, what: str, fn) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - diagnostics must never stop a run
            print(f"diagnostics: TrainingMonitor failed to {what} ({type(exc).__name__}: "
                  f"{exc}); continuing without it")
            self.monitor = None

    def record(self, loss: float) -> None:
        """After an optimizer step: let the monitor read gradients, weights, activations."""
        if self.monitor is not None:
            self._guard("record", lambda: self.monitor.record(loss=loss))

    def finish(self) -> list[str]:
        """Detach the monitor, print its report and save it; returns the files written."""
        monitor, written = self.monitor, []
        if monitor is None:
            return written
        self._guard("detach", monitor.remove)

        def report_it():
            """Print and save the summary, then draw the gradient flow."""
            text = str(monitor.summary())
            print(text)
            with open(os.path.join(self.out_dir, "diagnostics.txt"), "w",
                      encoding="utf-8") as fh:
                fh.write(text + "\n")
            written.append("diagnostics.txt")
            try:
                from ..viz import plot_gradient_flow

                plot_gradient_flow(monitor, os.path.join(self.out_dir, "gradient_flow.png"))
                written.append("gradient_flow.png")
            except ImportError:  # matplotlib missing: the text report is enough
                pass

        self._guard("report", report_it)
        return written


def _fmt_lr(lr: float) -> str:
    return f"{lr:.3g}"


def _epoch_line(row: dict, epochs: int, seconds: float) -> str:
    parts = [f"Epoch {row['epoch']}/{epochs}", f"{seconds:.1f}s", f"loss: {row['loss']:.4f}",
             f"accuracy: {row['accuracy']:.4f}"]
    if row.get("val_loss") is not None:
        parts += [f"val_loss: {row['val_loss']:.4f}", f"val_accuracy: {row['val_accuracy']:.4f}"]
    parts.append(f"lr: {_fmt_lr(row['lr'])}")
    return " - ".join(parts)


def _run_epoch(model, info, optimizer, scheduler, per, loader, epoch, epochs, monitor):
    """One pass over ``loader``; returns (mean loss, accuracy, last lr used)."""
    bar = report.Progress(len(loader), f"Epoch {epoch}/{epochs}")
    model.train()
    total, correct, seen, lr = 0.0, 0, 0, optimizer.param_groups[0]["lr"]
    try:
        for step, (xb, yb) in enumerate(loader, 1):
            optimizer.zero_grad()
            loss, right = _loss_and_correct(model(xb), yb, info)
            value = float(loss.item())
            if not math.isfinite(value):
                raise CLIError(f"training diverged at epoch {epoch}, batch {step}: the loss is "
                               f"{value}; try a smaller --lr (it is {_fmt_lr(lr)})")
            loss.backward()
            lr = optimizer.param_groups[0]["lr"]
            optimizer.step()
            if per == "batch":
                scheduler.step()
            n = len(yb)
            total, correct, seen = total + value * n, correct + right, seen + n
            bar.update(loss=total / seen, accuracy=correct / seen)
            monitor.record(value)
    finally:
        bar.close()
    return total / seen, correct / seen, lr


def _limit_threads(n: int | None):
    """A context limiting the BLAS threads to ``n`` (None: no limit) via threadpoolctl."""
    import contextlib

    if n is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise CLIError("--threads needs threadpoolctl (pip install threadpoolctl); without it, "
                       f"set the environment variable OMP_NUM_THREADS={n} instead") from None
    return threadpool_limits(limits=n)


def train(args) -> dict:
    """Run ``chainrule train`` with parsed arguments ``args``; returns the metrics written."""
    with _limit_threads(getattr(args, "threads", None)):
        return _train(args)


def _train(args) -> dict:
    import chainrule

    from .. import from_numpy, manual_seed
    from ..utils.data import DataLoader, TensorDataset

    input_shape, num_classes = describe(args.dataset)
    if args.model == "cnn" and len(input_shape) != 3:
        build_model("cnn", input_shape, num_classes)  # fail before loading anything
    if args.lr is None:
        args.lr = OPTIMIZERS[args.optimizer][1]
    data = load_split(args.dataset, train=True, limit=args.limit)
    train_set, val_set = split_validation(data, args.validation_split)
    test_set = load_split(args.dataset, train=False, limit=args.test_limit)
    manual_seed(args.seed)
    model, info = build_model(args.model, input_shape, num_classes, args.hidden)
    out_dir = report.make_output_dir(args.output)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"Training {info.spec} "
          f"({n_params:,} parameters) on {args.dataset}: {len(train_set):,} training, "
          f"{len(val_set) if val_set else 0:,} validation, {len(test_set):,} test examples")
    print(f"optimizer {args.optimizer} (lr {_fmt_lr(args.lr)}), schedule {args.schedule}, "
          f"batch size {args.batch_size}, {args.epochs} epoch{'s' * (args.epochs != 1)}, "
          f"seed {args.seed}")
    loader = DataLoader(TensorDataset(from_numpy(prepare_inputs(train_set.x, info)),
                                      from_numpy(train_set.y)),
                        batch_size=args.batch_size, shuffle=True)
    optimizer = _make_optimizer(args.optimizer, model.parameters(), args.lr)
    scheduler, per = _make_schedule(args.schedule, optimizer, args.epochs, len(loader), args.lr,
                                    args.optimizer)
    monitor = _Monitor(model, out_dir, args.diagnostics)
    history: list[dict] = []
    started = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        loss, acc, lr = _run_epoch(model, info, optimizer, scheduler, per, loader, epoch,
                                   args.epochs, monitor)
        row = {"epoch": epoch, "loss": loss, "accuracy": acc, "val_loss": None,
               "val_accuracy": None, "lr": lr}
        if val_set is not None:
            row["val_loss"], row["val_accuracy"] = evaluate(model, info, val_set)
        if per == "epoch":
            if args.schedule == "plateau":
                scheduler.step(row["val_loss"] if val_set is not None else loss)
            else:
                scheduler.step()
        history.append(row)
        print(_epoch_line(row, args.epochs, time.perf_counter() - t0), flush=True)
    train_time = time.perf_counter() - started
    test_loss, test_acc = evaluate(model, info, test_set)
    print(f"Test loss: {test_loss:.4f} - test accuracy: {test_acc:.4f} "
          f"({len(test_set):,} examples; training took {train_time:.1f}s)")
    config = {"model": info.spec, "layout": info.layout, "head": info.head,
              "hidden": list(args.hidden), "dataset": args.dataset,
              "input_shape": list(input_shape), "num_classes": num_classes,
              "epochs": args.epochs, "batch_size": args.batch_size,
              "optimizer": args.optimizer, "lr": args.lr, "schedule": args.schedule,
              "seed": args.seed, "validation_split": args.validation_split,
              "limit": args.limit, "test_limit": args.test_limit}
    metrics = {"test_loss": test_loss, "test_accuracy": test_acc,
               "test_examples": len(test_set), "train_examples": len(train_set),
               "val_examples": len(val_set) if val_set else 0, "parameters": n_params,
               "epochs": args.epochs, "train_time_s": round(train_time, 3),
               "final": history[-1], "history": history, "config": config,
               "chainrule_version": chainrule.__version__, "numpy_version": np.__version__}
    extra = monitor.finish()
    _write_outputs(out_dir, model, optimizer, scheduler, history, metrics, config, args, extra)
    return metrics


def _write_outputs(out_dir, model, optimizer, scheduler, history, metrics, config, args,
                   extra=()):
    from ..serialization import save

    report.write_metrics(os.path.join(out_dir, "metrics.json"), metrics)
    report.write_history(os.path.join(out_dir, "history.csv"), history)
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                  "epoch": args.epochs, "config": config,
                  "metrics": {"test_loss": metrics["test_loss"],
                              "test_accuracy": metrics["test_accuracy"]}}
    if scheduler is not None:
        checkpoint["scheduler"] = scheduler.state_dict()
    save(checkpoint, os.path.join(out_dir, CHECKPOINT))
    written = ["metrics.json", "history.csv", CHECKPOINT]
    skipped = report.plot_history(os.path.join(out_dir, PLOT), history,
                                  f"{_model_name(config['model'])} on {config['dataset']}")
    if skipped is None:
        written.insert(2, PLOT)
    written += list(extra)
    print(f"Wrote {', '.join(written)} to {_shown(out_dir)}")
    if skipped:
        print(f"Plot skipped: {skipped}")


def _model_name(spec: str) -> str:
    """``mlp`` for a built-in model, the file's name for a model file."""
    return spec if spec in BUILTIN_MODELS else os.path.basename(spec)


def _shown(path: str) -> str:
    """``path`` relative to the working directory when it lies below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return path
    return rel if not rel.startswith("..") else path


def evaluate_checkpoint(args) -> tuple[float, float]:
    """Run ``chainrule evaluate``: rebuild the model from a checkpoint's config and test it."""
    from ..serialization import load

    path = args.checkpoint
    if os.path.isdir(path):
        path = os.path.join(path, CHECKPOINT)
    if not os.path.isfile(path):
        raise CLIError(f"no such checkpoint: {args.checkpoint!r}")
    try:
        ck = load(path)
    except (RuntimeError, ValueError, OSError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        why = why.removeprefix(f"{path}: ").removeprefix(f"{path} ")
        raise CLIError(f"cannot read the checkpoint {path}: {why}") from None
    config = ck.get("config") if isinstance(ck, dict) else None
    if not isinstance(config, dict) or "model" not in ck:
        raise CLIError(f"{path} is not a checkpoint written by `chainrule train` "
                       "(it has no model config)")
    input_shape, num_classes = tuple(config["input_shape"]), config["num_classes"]
    model, info = build_model(config["model"], input_shape, num_classes,
                              tuple(config.get("hidden", (512,))))
    info.layout, info.head = config.get("layout", info.layout), config.get("head", info.head)
    try:
        model.load_state_dict(ck["model"])
    except (RuntimeError, KeyError, ValueError) as exc:
        raise CLIError(f"the checkpoint's weights do not fit the model {config['model']}: "
                       f"{str(exc).splitlines()[0]}") from None
    limit = args.limit if args.limit is not None else config.get("test_limit")
    test_set = load_split(config["dataset"], train=False, limit=limit)
    loss, acc = evaluate(model, info, test_set, args.batch_size)
    print(f"Checkpoint {_shown(path)}: {_model_name(config['model'])} on {config['dataset']}, "
          f"{ck.get('epoch', '?')} epochs")
    print(f"Test loss: {loss:.4f} - test accuracy: {acc:.4f} ({len(test_set):,} examples)")
    recorded = ck.get("metrics", {}).get("test_accuracy")
    if recorded is not None and limit == config.get("test_limit") and abs(recorded - acc) > 1e-9:
        print(f"note: the accuracy recorded at training time was {recorded:.4f}",
              file=sys.stderr)
    return loss, acc
