"""``python -m bench [--compare-torch]``: the side-by-side benchmark of issue 6.

Times each workload in one process (warm-up, then the median of repeated runs) and, with
``--compare-torch`` where PyTorch is installed, the identical workload in PyTorch in the same
run: same data, same initial weights, ``torch.set_num_threads`` equal to NumPy's BLAS threads.
The two are timed round-robin (see ``bench.timing.interleaved``), so each ratio compares
samples taken under the same load; the table gives the median of the per-round ratios and, in
brackets, their interquartile range.

Workloads: (a) MLP 784-512-10 training step, batch 128, RMSprop; (b) one shuffled MNIST epoch
of that MLP through ``DataLoader``; (c) the Keras MNIST convnet training step, Adam, batch 128;
(d) per-op overhead, ``c = a + b; c.sum().backward()`` on 4 elements; (e) one Adam step over
100 tensors totalling 10 M weights; (f) inference throughput of both models; (g) peak memory
(RSS) of (b), each framework in its own process.

The results go to ``bench/RESULTS.md`` between its ``bench:begin`` / ``bench:end`` markers;
the rest of that file (the optimisation log) is kept.

Run: ``python -m bench [--compare-torch] [--threads N] [--only a,c] [--quick] [--no-write]``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile
import time

import numpy as np

from bench import workloads as W
from bench import workloads_data as D
from bench import workloads_micro as M
from bench.timing import blas_info, interleaved, ratio_stats, set_blas_threads, torch_or_none

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

# id -> (description, target ratio chainrule / PyTorch)
TARGETS = {
    "a": ("MLP 784-512-10 training step, batch 128, RMSprop", 1.0),
    "b": ("MNIST epoch of the MLP (469 steps) through DataLoader", 1.0),
    "c": ("Keras convnet training step, batch 128, Adam", 1.3),
    "d": ("per-op overhead: c = a + b; c.sum().backward(), 4 elements", 0.6),
    "e": ("Adam step, 100 tensors, 10 M weights", 1.0),
    "f": ("inference (no_grad), 1000 images", 1.0),
    "g": ("peak RSS of (b), separate processes", 1.0),
}


def _fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def _report(row: dict) -> None:
    """Print one finished row as a progress line."""
    print(f"  {row['id']}: {row['workload']}: {row['chainrule']}"
          + (f" vs {row['PyTorch']}, ratio {row['ratio']}" if "PyTorch" in row else ""),
          flush=True)


class Runner:
    """Runs the selected workloads and collects the table's rows."""

    def __init__(self, torch, threads: int, quick: bool) -> None:
        import chainrule

        self.cr, self.torch, self.threads, self.quick = chainrule, torch, threads, quick
        self.rows: list[dict] = []
        self.notes: list[str] = []

    def settle(self, wanted: bool = True) -> float:
        """Seconds to pause before each sample: with several threads, long enough for the
        previous sample's BLAS / OpenMP threads to stop spinning (OpenBLAS spins ~0.1 s)."""
        return 0.15 if wanted and self.threads > 1 and self.torch is not None else 0.0

    def _rounds(self, n: int) -> int:
        return max(3, n // 3) if self.quick else n

    def timed(self, wid: str, label: str, make, *, repeat: int, warmup: int = 2,
              min_time: float = 0.0, budget: float | None = None, unit=None,
              target: bool = True, settle: bool = True) -> None:
        """Time ``make(fw)()`` for both frameworks round-robin and add a row."""
        fns = {"chainrule": make(self.cr)}
        if self.torch is not None:
            fns["torch"] = make(self.torch)
        samples = interleaved(fns, warmup=warmup, repeat=self._rounds(repeat),
                              min_time=min_time, budget=budget, settle=self.settle(settle))
        self._row(wid, label, samples, unit, target)

    def _row(self, wid, label, samples, unit=None, target=True) -> None:
        fmt = unit or _fmt_time
        ours = samples["chainrule"]
        row = {"id": wid, "workload": label, "chainrule": fmt(statistics.median(ours)),
               "n": str(len(ours))}
        if "torch" in samples:
            ratio, lo, hi = ratio_stats(ours, samples["torch"])
            row["PyTorch"] = fmt(statistics.median(samples["torch"]))
            row["ratio"] = f"{ratio:.2f} [{lo:.2f}–{hi:.2f}]"
            if target:
                goal = TARGETS[wid[0]][1]
                row["target"] = f"<= {goal}"
                row["met"] = "yes" if ratio <= goal else "no"
        self.rows.append(row)
        _report(row)

    # ---- the workloads ------------------------------------------------------------------------
    def mlp_step(self) -> None:
        self.timed("a", TARGETS["a"][0], lambda fw: W.step_fn(fw, "mlp"), repeat=40,
                   warmup=5, min_time=0.05, budget=60)

    def epoch(self) -> None:
        images, labels, source = self._mnist()
        label = TARGETS["b"][0] + f" ({source})"
        self.timed("b", label, lambda fw: D.epoch_fn(fw, images, labels), repeat=4,
                   warmup=1, budget=120)
        fns = {"chainrule": D.mnist_epoch_fn(images, labels)}
        if self.torch is not None:
            fns["torch"] = D.epoch_fn(self.torch, images, labels)
        self._row("b2", "(b) with chainrule's datasets.MNIST + ToTensor + Normalize",
                  interleaved(fns, warmup=1, repeat=self._rounds(3), budget=90,
                              settle=self.settle()), target=False)

    def convnet_step(self) -> None:
        # samples of several back-to-back steps, as in training: a lone step after the
        # settling pause also times the cores' wake-up (measured: 44 -> 57 ms for chainrule)
        self.timed("c", TARGETS["c"][0], lambda fw: W.step_fn(fw, "convnet"), repeat=15,
                   warmup=2, min_time=0.25, budget=120)

    def overhead(self) -> None:
        self.timed("d", TARGETS["d"][0], M.overhead_fn, repeat=30, warmup=200,
                   min_time=0.02, budget=60, settle=False)

    def adam(self) -> None:
        arrays = M.adam_arrays()
        self.timed("e", TARGETS["e"][0], lambda fw: M.adam_fn(fw, arrays), repeat=10,
                   warmup=1, budget=90)

    def inference(self) -> None:
        def rate(s: float) -> str:
            return f"{1000 / s:,.0f} img/s"

        self.timed("f1", "inference (no_grad), MLP, 1000 images", lambda fw: W.infer_fn(
            fw, "mlp"), repeat=30, warmup=3, min_time=0.02, budget=45, unit=rate)
        self.timed("f2", "inference (no_grad), convnet, 1000 images", lambda fw: W.infer_fn(
            fw, "convnet"), repeat=10, warmup=1, budget=60, unit=rate)

    def memory(self) -> None:
        images, labels, source = self._mnist()
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "mnist.npz")
            np.savez(path, images=images, labels=labels)
            peaks = {"chainrule": D.peak_memory("chainrule", path, self.threads)}
            if self.torch is not None:
                peaks["torch"] = D.peak_memory("torch", path, self.threads)
        row = {"id": "g", "workload": TARGETS["g"][0] + f" ({source})", "n": "1",
               "chainrule": self._mib(peaks["chainrule"])}
        if "torch" in peaks:
            ratio = peaks["chainrule"]["peak_mib"] / peaks["torch"]["peak_mib"]
            grow = [p["peak_mib"] - p["before_mib"] for p in (peaks["chainrule"], peaks["torch"])]
            row.update({"PyTorch": self._mib(peaks["torch"]), "ratio": f"{ratio:.2f}",
                        "target": "<= 1.0", "met": "yes" if ratio <= 1.0 else "no"})
            self.notes.append(f"(g) growth during the epoch (peak minus RSS after imports and "
                              f"data): chainrule {grow[0]:.0f} MiB, PyTorch {grow[1]:.0f} MiB "
                              f"(ratio {grow[0] / max(grow[1], 1e-9):.2f}).")
        self.rows.append(row)
        _report(row)

    @staticmethod
    def _mib(p: dict) -> str:
        return f"{p['peak_mib']:.0f} MiB"

    _data = None

    def _mnist(self):
        if Runner._data is None:
            Runner._data = D.mnist_arrays()
        return Runner._data


STEPS = {"a": "mlp_step", "b": "epoch", "c": "convnet_step", "d": "overhead", "e": "adam",
         "f": "inference", "g": "memory"}
COLUMNS = ["id", "workload", "chainrule", "PyTorch", "ratio", "target", "met", "n"]


def environment(torch, threads: int) -> list[str]:
    """Lines describing the machine, the versions, the BLAS and the threads."""
    import chainrule

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    blas = blas_info()
    lines = [f"- machine: {cpu}, {os.cpu_count()} logical cores, {platform.system()} "
             f"{platform.release()}",
             f"- Python {platform.python_version()}, NumPy {np.__version__}, chainrule "
             f"{getattr(chainrule, '__version__', '?')}"
             + (f", PyTorch {torch.__version__}" if torch is not None else ", PyTorch absent"),
             f"- NumPy BLAS: {blas['name']} ({blas['config']}); threads: {threads}"
             + (f"; torch.get_num_threads() = {torch.get_num_threads()}" if torch else "")]
    if torch is not None:
        blas_t = "MKL" if torch.backends.mkl.is_available() else "its own BLAS"
        lines.append(f"- PyTorch: eager mode, CPU, {blas_t}, oneDNN "
                     f"{'on' if torch.backends.mkldnn.is_available() else 'off'}")
    return lines


def render(rows, notes, env, started: str, loads) -> str:
    """The Markdown block written between the markers of RESULTS.md."""
    from bench.timing import format_table

    text = [BEGIN, f"## Latest run ({started})", "", *env,
            f"- load average (1 min) before / after: {loads[0]:.2f} / {loads[1]:.2f}", "",
            "Times are medians; ratio = chainrule / PyTorch time: the median of the per-round "
            "ratios, their interquartile range in brackets; n = rounds.", "",
            format_table(rows, [c for c in COLUMNS if any(c in r for r in rows)]), ""]
    text += [f"- {n}" for n in notes]
    text += ["", END]
    return "\n".join(text)


def write_results(block: str, path: str = RESULTS) -> None:
    """Replace the marked block of ``path`` (creating the file if needed)."""
    old = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            old = f.read()
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + block + rest.split(END, 1)[1]
    else:
        new = ("# Benchmark results\n\nWritten by `python -m bench --compare-torch`; the block "
               "between the markers is replaced by each run.\n\n" + block + "\n" + old)
    with open(path, "w", encoding="utf-8") as f:
        f.write(new)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (the ``chainrule bench`` command calls this). Returns an exit code."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--compare-torch", action="store_true",
                        help="also run each workload in PyTorch, if installed")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS / PyTorch threads (default: NumPy's BLAS default)")
    parser.add_argument("--only", default="abcdefg", help="workload ids to run, e.g. 'ad'")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a rough figure)")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--output", default=RESULTS, help="the results file to update")
    args = parser.parse_args(argv)

    if args.threads:
        set_blas_threads(args.threads)
    threads = blas_info()["threads"]
    import chainrule

    if hasattr(chainrule, "set_num_threads"):  # older versions (a 'before' figure) have none
        chainrule.set_num_threads(threads)  # chainrule's own parallel loops: as many as BLAS
    torch = torch_or_none(threads) if args.compare_torch else None
    if args.compare_torch and torch is None:
        print("PyTorch is not installed: timing chainrule only", file=sys.stderr)
    started = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    env = environment(torch, threads)
    print("\n".join(env), flush=True)
    load0 = os.getloadavg()[0]
    runner = Runner(torch, threads, args.quick)
    selected = [w for w in STEPS if w in args.only.replace(",", "")]
    for wid in selected:
        start = time.perf_counter()
        getattr(runner, STEPS[wid])()
        print(f"  ({wid} took {time.perf_counter() - start:.0f} s)", flush=True)
    block = render(runner.rows, runner.notes, env, started, (load0, os.getloadavg()[0]))
    print(block)
    if not args.no_write:
        write_results(block, args.output)
        print(f"updated {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
