"""``chainrule info`` (versions, BLAS, threads, devices, extras) and ``chainrule summary``."""

from __future__ import annotations

import contextlib
import io
import os
import platform
import sys

__all__ = ["EXTRAS", "blas_info", "info_text", "summary"]

# optional packages chainrule uses when present: distribution name -> what for
EXTRAS = {
    "tqdm": "progress bars",
    "matplotlib": "training plots",
    "safetensors": "reading checkpoints with the safetensors library",
    "threadpoolctl": "BLAS thread details",
    "scipy": "tests",
    "pytest": "tests",
    "torch": "comparison tests against PyTorch",
}


def _version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def blas_info() -> list[str]:
    """Lines describing NumPy's BLAS/LAPACK: from threadpoolctl at run time when installed
    (library, version, threads), else from ``numpy.show_config``'s build information."""
    import numpy as np

    lines = []
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        pass
    else:
        for pool in threadpool_info():
            lines.append(f"{pool.get('internal_api', '?')} {pool.get('version') or ''} "
                         f"({pool.get('user_api', '?')}, {pool.get('num_threads')} threads, "
                         f"{os.path.basename(pool.get('filepath', ''))})".replace("  ", " "))
    if lines:
        return lines
    try:
        config = np.show_config(mode="dicts")
        deps = config.get("Build Dependencies", {})
        for key in ("blas", "lapack"):
            d = deps.get(key, {})
            if d.get("found", True) and d.get("name"):
                extra = d.get("openblas configuration", "")
                lines.append(f"{key.upper()}: {d['name']} {d.get('version', '')}"
                             + (f" ({' '.join(extra.split())})" if extra else ""))
    except (TypeError, AttributeError, ValueError):  # NumPy < 1.26 prints only
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            np.show_config()
        lines = [ln.strip() for ln in buf.getvalue().splitlines()
                 if "libraries" in ln and ("blas" in ln or "lapack" in ln)][:2]
    return lines or ["unknown (numpy.show_config gave no BLAS details)"]


def _threads() -> str:
    cores = os.cpu_count() or 1
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = cores
    env = [f"{k}={os.environ[k]}" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                             "MKL_NUM_THREADS") if k in os.environ]
    return (f"{usable} usable of {cores} CPU cores"
            + (f"; {', '.join(env)}" if env else "; BLAS thread count not limited by the "
               "environment (set OMP_NUM_THREADS to limit it)"))


def info_text() -> str:
    """The text of ``chainrule info``."""
    import numpy as np

    import chainrule

    from ..datasets import default_root

    lines = [f"chainrule {chainrule.__version__} ({os.path.dirname(chainrule.__file__)})",
             (f"python {platform.python_version()} ({platform.python_implementation()}) on "
              f"{platform.platform()}"),
             f"numpy {np.__version__}"]
    blas = blas_info()
    lines += [b if b.startswith(("BLAS", "LAPACK")) else f"BLAS: {b}" for b in blas]
    lines.append(f"threads: {_threads()}")
    lines.append("devices: cpu (CPU only; no GPU backend in this version)")
    lines.append("optional extras:")
    for dist, use in EXTRAS.items():
        v = _version(dist)
        lines.append(f"  {dist:<14}{v if v else 'not installed':<16}{use}")
    mirror = os.environ.get("CHAINRULE_DATA_MIRROR")
    lines.append(f"data: folder {default_root()}; CHAINRULE_DATA_MIRROR="
                 f"{mirror if mirror else '(unset)'}")
    return "\n".join(lines)


def summary(spec: str, dataset: str, hidden=(512,)) -> str:
    """Print ``chainrule.summary`` of model ``spec`` for inputs of ``dataset``; return it."""
    from ..nn.utils.summary import summary as table
    from .data import describe
    from .models import build_model, prepare_inputs

    input_shape, num_classes = describe(dataset)
    model, info = build_model(spec, input_shape, num_classes, hidden)
    size = prepare_inputs(__import__("numpy").zeros((1, *input_shape)), info).shape[1:]
    name = spec if info.spec == spec else os.path.basename(info.spec)
    print(f"{name} for {dataset} (input {tuple(size)}, {num_classes} classes)")
    text = table(model, tuple(size))
    sys.stdout.flush()
    return text
