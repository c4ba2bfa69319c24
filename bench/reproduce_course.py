"""Reproduce the course's MNIST numbers with ``chainrule.keras`` (not run in CI: minutes).

* the MLP: ``Dense(512, relu)``, ``Dense(10, softmax)``, RMSprop, 5 epochs, batch 128;
  course 97.85% test accuracy, target >= 97.8%;
* the convnet: Conv2D 32 / MaxPooling / Conv2D 64 / MaxPooling / Flatten / Dropout 0.5 /
  Dense 10 softmax, Adam, 15 epochs, batch 128, ``validation_split=0.1``; course 99.22%,
  target >= 99.2%.

Prints each model's test accuracy and wall time, then a Markdown snippet for
``bench/RESULTS.md``. The data comes from ``chainrule.datasets.load_mnist`` (set
``CHAINRULE_DATA_MIRROR`` to work offline). The course's figures are single runs, so a target
counts as reproduced when a run reaches it; the snippet gives the mean and range over the seeds
as well, and how many runs reached the target. Exit status 1 if no run reached a target.

``--framework keras`` runs the identical recipe through Keras 3 itself (installed separately,
any backend), on the same data, as a reference for what the recipe gives on this machine.

Run: ``python bench/reproduce_course.py [--model mlp|convnet|both] [--seeds 0,1,2]
[--framework chainrule|keras]``
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

COURSE = {
    "mlp": {"title": "Keras MLP (Dense 512 relu, Dense 10 softmax)", "optimizer": "rmsprop",
            "epochs": 5, "batch": 128, "val": 0.0, "course": 0.9785, "target": 0.978},
    "convnet": {"title": "Keras convnet (Conv 32/64, MaxPool, Dropout 0.5, Dense 10)",
                "optimizer": "adam", "epochs": 15, "batch": 128, "val": 0.1,
                "course": 0.9922, "target": 0.992},
}


def _data(kind: str):
    from chainrule.datasets import load_mnist

    x_train, y_train = load_mnist(split="train")
    x_test, y_test = load_mnist(split="test")
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255
    if kind == "mlp":
        return (x_train.reshape(-1, 784), y_train), (x_test.reshape(-1, 784), y_test)
    return (x_train[..., None], y_train), (x_test[..., None], y_test)


def _keras(framework: str):
    """The Keras module the recipe runs through: ``chainrule.keras`` or Keras 3 itself."""
    if framework == "keras":
        import keras
    else:
        from chainrule import keras
    return keras


def _model(kind: str, keras):
    layers = keras.layers

    if kind == "mlp":
        model = keras.Sequential([keras.Input(shape=(784,)),
                                  layers.Dense(512, activation="relu"),
                                  layers.Dense(10, activation="softmax")])
        model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def run(kind: str, seed: int, epochs: int | None = None, framework: str = "chainrule") -> dict:
    """Train and test one of the course's models; returns accuracy and timings."""
    keras = _keras(framework)
    spec = COURSE[kind]
    epochs = epochs or spec["epochs"]
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = _data(kind)
    model = _model(kind, keras)
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=epochs, batch_size=spec["batch"],
              validation_split=spec["val"], verbose=2)
    train_s = time.perf_counter() - start
    t0 = time.perf_counter()
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    eval_s = time.perf_counter() - t0
    print(f"{kind} ({framework}, seed {seed}): test loss {loss:.4f}, test accuracy {acc:.4f} "
          f"(course {spec['course']:.4f}, target >= {spec['target']:.3f}); training "
          f"{train_s:.1f}s, test {eval_s:.1f}s", flush=True)
    return {"kind": kind, "framework": framework, "seed": seed, "epochs": epochs,
            "loss": float(loss), "acc": float(acc), "train_s": train_s, "eval_s": eval_s}


def _machine(framework: str) -> str:
    if framework == "keras":
        keras = _keras(framework)
        version = f"Keras {keras.__version__} ({keras.backend.backend()} backend)"
    else:
        import chainrule

        version = f"chainrule {chainrule.__version__}"
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{cfg.get('name')} {cfg.get('version', '')}".strip()
    except (TypeError, KeyError, AttributeError, ValueError):
        blas = "unknown BLAS"
    threads = os.environ.get("OMP_NUM_THREADS") or os.environ.get("OPENBLAS_NUM_THREADS")
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
            f"{f' (BLAS threads {threads})' if threads else ''}; Python "
            f"{platform.python_version()}, NumPy {np.__version__} ({blas}), {version}")


def _reached(results: list[dict], kind: str) -> int:
    """How many runs of ``kind`` reached the course's target."""
    return sum(r["acc"] >= COURSE[kind]["target"] for r in results if r["kind"] == kind)


def markdown(results: list[dict]) -> str:
    """The results as a Markdown section for ``bench/RESULTS.md`` (one row per model; the
    accuracy is the mean over seeds, with the range when there are several, and the count of
    runs that reached the target)."""
    lines = ["### Reproducing the course's MNIST results (`bench/reproduce_course.py`)", "",
             ("| model | optimizer | epochs | batch | seeds | test accuracy | course | target | "
              "training time | test time |"),
             "|---|---|---|---|---|---|---|---|---|---|"]
    kinds = list(dict.fromkeys(r["kind"] for r in results))
    for kind in kinds:
        rs = [r for r in results if r["kind"] == kind]
        s = COURSE[kind]
        accs = np.array([r["acc"] for r in rs])
        mean = float(accs.mean())
        spread = (f" ({100 * accs.min():.2f}-{100 * accs.max():.2f})" if len(rs) > 1 else "")
        reached = f"reached by {_reached(results, kind)} of {len(rs)} runs"
        lines.append(f"| {s['title']} | {s['optimizer']} | {rs[0]['epochs']} | {s['batch']} | "
                     f"{', '.join(str(r['seed']) for r in rs)} | {100 * mean:.2f}%{spread} | "
                     f"{100 * s['course']:.2f}% | >= {100 * s['target']:.1f}% ({reached}) | "
                     f"{np.mean([r['train_s'] for r in rs]):.0f} s | "
                     f"{np.mean([r['eval_s'] for r in rs]):.1f} s |")
    lines += ["", f"Times are per run (mean). Machine: {_machine(results[0]['framework'])}."]
    return "\n".join(lines)


def main(argv=None) -> int:
    """Run the chosen reproductions and print the Markdown snippet."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["mlp", "convnet", "both"], default="both")
    parser.add_argument("--seeds", default="0",
                        help="comma-separated seeds, one run each (default: 0)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="override the course's epochs (the target then is indicative)")
    parser.add_argument("--framework", choices=["chainrule", "keras"], default="chainrule",
                        help="run the recipe through chainrule.keras (default) or Keras 3 "
                        "itself, for reference")
    args = parser.parse_args(argv)
    seeds = [int(t) for t in args.seeds.split(",") if t.strip()]
    kinds = ["mlp", "convnet"] if args.model == "both" else [args.model]
    results = [run(k, seed, args.epochs, args.framework) for k in kinds for seed in seeds]
    print()
    print(markdown(results))
    return 0 if all(_reached(results, k) for k in kinds) else 1


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
