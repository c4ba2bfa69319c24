"""The ``chainrule`` command (console script and ``python -m chainrule``).

Subcommands: ``train`` (train a model on a dataset; write metrics, history, plot, checkpoint),
``evaluate`` (test a checkpoint), ``summary`` (a model's layers and parameter counts) and
``info`` (versions, BLAS, threads, devices, optional extras) and ``bench`` (the side-by-side
benchmark against PyTorch, from a source checkout). Run ``chainrule COMMAND --help``.

User errors (an unknown model, missing data, a bad number) are reported on one line,
``chainrule: error: ...``, with exit status 2 and no traceback; set ``CHAINRULE_DEBUG=1`` to see
the traceback instead.

Example:
    >>> from chainrule.cli import main
    >>> main(["summary", "logreg"])  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    logreg for mnist (input (1, 28, 28), 10 classes)
    ...
    Total params: 7,850
    ...
    0
"""

from __future__ import annotations

import argparse
import math
import os
import sys

from .errors import CLIError

__all__ = ["CLIError", "build_parser", "main"]

_DESCRIPTION = "chainrule: a deep-learning framework on NumPy with PyTorch's API."
_TRAIN_EPILOG = """\
models:   mlp (784-512-10 ReLU for MNIST), cnn (the course convnet), logreg, or FILE.py
          defining build_model(), a module-level `model`, or one nn.Module subclass
datasets: mnist, fashion-mnist (found via CHAINRULE_DATA_MIRROR or downloaded),
          moons, spirals (generated)
schedules:
  none      constant learning rate
  step      halve the learning rate every ceil(epochs / 3) epochs
  cosine    cosine annealing to 0 over the run
  plateau   halve the learning rate when the validation (else training) loss stalls
  onecycle  the 1cycle policy, peaking at --lr, stepped per batch
optimizers: momentum and nesterov are SGD with momentum 0.9; rmsprop uses Keras' rho 0.9.
default learning rates: 0.01 for sgd, momentum, nesterov, adagrad; 0.001 for rmsprop, adam,
adamw. With no options, trains the course's MNIST MLP: RMSprop lr 1e-3, batch 128, 5 epochs.

examples:
  chainrule train
  chainrule train --model cnn --optimizer adam --epochs 15 --validation-split 0.1
  chainrule train --dataset moons --epochs 20 --lr 0.01 --optimizer adam
  chainrule train --limit 2000 --epochs 2 --output runs/quick
  chainrule train --model my_net.py --schedule onecycle --lr 0.01"""


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors become one ``CLIError`` line instead of usage text."""

    def error(self, message: str):  # type: ignore[override]
        """Raise ``CLIError`` naming the command's ``--help``."""
        raise CLIError(f"{message} (see '{self.prog} --help')")


def _int(minimum: int, what: str):
    def parse(text: str) -> int:
        """``text`` as an int >= ``minimum``, else an argparse error."""
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, received {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, received {text!r}")
        return value

    parse.__name__ = what
    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, received {text!r}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1), received {text!r}")
    return value


def _widths(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        values = ()
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive widths such as "
                                         f"512 or 256,128, received {text!r}")
    return values


def _add_train(sub) -> None:
    from .data import DATASETS
    from .train import OPTIMIZERS, SCHEDULES

    p = sub.add_parser("train", help="train a model on a dataset",
                       description="Train a model on a dataset and print the test loss and "
                       "accuracy.\nWrites metrics.json, history.csv, training_curves.png and "
                       "checkpoint.safetensors\nto the output folder.",
                       epilog=_TRAIN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", "-m", default="mlp", metavar="MODEL",
                   help="mlp, cnn, logreg, or the path of a Python file (default: mlp)")
    p.add_argument("--dataset", "-d", default="mnist", choices=DATASETS, metavar="NAME",
                   help=f"{', '.join(DATASETS)} (default: mnist)")
    p.add_argument("--epochs", "-e", type=_int(1, "a positive integer"), default=5,
                   help="passes over the training data (default: 5)")
    p.add_argument("--batch-size", "-b", type=_int(1, "a positive integer"), default=128,
                   help="examples per step (default: 128)")
    p.add_argument("--optimizer", "-o", default="rmsprop", choices=list(OPTIMIZERS),
                   metavar="NAME", help=f"{', '.join(OPTIMIZERS)} (default: rmsprop)")
    p.add_argument("--lr", type=_positive_float, default=None,
                   help="learning rate (default: the optimizer's, see below)")
    p.add_argument("--schedule", default="none", choices=list(SCHEDULES), metavar="NAME",
                   help=f"learning-rate schedule: {', '.join(SCHEDULES)} (default: none)")
    p.add_argument("--seed", type=_int(0, "a non-negative integer"), default=0,
                   help="seed for initialisation, shuffling and dropout (default: 0)")
    p.add_argument("--validation-split", type=_fraction, default=0.0, metavar="FRACTION",
                   help="hold out this last fraction of the training data for validation, "
                   "as Keras does (default: 0)")
    p.add_argument("--limit", type=_int(1, "a positive integer"), default=None, metavar="N",
                   help="use only the first N training examples (quick runs, CI)")
    p.add_argument("--test-limit", type=_int(1, "a positive integer"), default=None,
                   metavar="N", help="test on only the first N test examples")
    p.add_argument("--hidden", type=_widths, default=(512,), metavar="WIDTHS",
                   help="hidden layer widths of mlp, comma-separated (default: 512)")
    p.add_argument("--output", default=None, metavar="DIR",
                   help="output folder (default: runs/<timestamp>, linked as runs/latest)")
    p.add_argument("--threads", type=_int(1, "a positive integer"), default=None, metavar="N",
                   help="limit the BLAS threads to N (needs threadpoolctl; or set "
                   "OMP_NUM_THREADS=N before starting). On small or busy machines 1 is "
                   "often fastest")
    p.add_argument("--diagnostics", action="store_true",
                   help="record per-layer weight/gradient norms and activation statistics "
                   "with chainrule.viz.TrainingMonitor; writes diagnostics.txt and "
                   "gradient_flow.png")
    p.set_defaults(func=_cmd_train)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``chainrule`` command, with its five subcommands."""
    import chainrule

    parser = _Parser(prog="chainrule", description=_DESCRIPTION,
                     epilog="Run 'chainrule COMMAND --help' for a command's options.")
    parser.add_argument("--version", action="version",
                        version=f"chainrule {chainrule.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_train(sub)
    p = sub.add_parser("evaluate", help="test a checkpoint written by 'chainrule train'",
                       description="Rebuild the model from a checkpoint's saved config, load "
                       "its weights and report the test loss and accuracy.")
    p.add_argument("checkpoint", metavar="CHECKPOINT",
                   help="a checkpoint.safetensors file, or the run folder holding one")
    p.add_argument("--batch-size", "-b", type=_int(1, "a positive integer"), default=1000,
                   help="examples per forward pass (default: 1000)")
    p.add_argument("--limit", type=_int(1, "a positive integer"), default=None, metavar="N",
                   help="test on the first N test examples (default: as in training)")
    p.set_defaults(func=_cmd_evaluate)
    p = sub.add_parser("summary", help="print a model's layers and parameter counts",
                       description="Print chainrule.summary of a built-in model or of a model "
                       "file, for the inputs of a dataset.")
    p.add_argument("model", metavar="MODEL", help="mlp, cnn, logreg, or a Python file")
    from .data import DATASETS

    p.add_argument("--dataset", "-d", default="mnist", choices=DATASETS,
                   help="the inputs' shape and classes come from it (default: mnist)")
    p.add_argument("--hidden", type=_widths, default=(512,), metavar="WIDTHS",
                   help="hidden layer widths of mlp (default: 512)")
    p.set_defaults(func=_cmd_summary)
    p = sub.add_parser("info", help="versions, BLAS, threads, devices, optional extras",
                       description="Print chainrule's, NumPy's and Python's versions, the BLAS "
                       "library, threads, devices and which optional extras are installed.")
    p.set_defaults(func=_cmd_info)
    p = sub.add_parser("bench", help="time chainrule against PyTorch (python -m bench)",
                       description="Run the checkout's benchmark (bench/): each workload "
                       "timed in one process, with --compare-torch side by side with PyTorch; "
                       "writes bench/RESULTS.md. Options are bench's: see 'chainrule bench "
                       "--help'.", add_help=False)
    p.add_argument("bench_args", nargs=argparse.REMAINDER, metavar="ARGS",
                   help="passed to python -m bench")
    return parser


def _cmd_train(args) -> int:
    from .train import train

    train(args)
    return 0


def _cmd_evaluate(args) -> int:
    from .train import evaluate_checkpoint

    evaluate_checkpoint(args)
    return 0


def _cmd_summary(args) -> int:
    from .info import summary

    summary(args.model, args.dataset, args.hidden)
    return 0


def _cmd_info(args) -> int:
    from .info import info_text

    print(info_text())
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the ``chainrule`` command with ``argv`` (default ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success, 2 for a user error (reported on one line on stderr),
        130 when interrupted.
    """
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv[:1] == ["bench"]:  # every other argument is bench's own, --help included
            from .bench import run_bench

            return run_bench(argv[1:])
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        return args.func(args)
    except CLIError as exc:
        if os.environ.get("CHAINRULE_DEBUG"):
            raise
        message = " ".join(str(exc).split())
        print(f"chainrule: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("chainrule: interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # --help and --version end through argparse's exit
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BrokenPipeError:  # e.g. `chainrule info | head -1`
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the exit-time flush
        except OSError:
            pass
        return 0
