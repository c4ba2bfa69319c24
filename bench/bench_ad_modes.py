"""Forward vs reverse mode (issue 7): the cost crossover of computing a Jacobian.

For ``f: R^n -> R^m`` the full Jacobian takes ``n`` Jacobian-vector products in forward mode
(one forward pass each, on dual tensors) and ``m`` vector-Jacobian products in reverse mode
(one forward pass, then one backward pass per output element). So forward mode wins when the
function has few inputs and many outputs, reverse mode when it has many inputs and few outputs
(a loss: ``m = 1``, which is why training uses backpropagation).

``f`` is a small MLP, ``y = W2 tanh(W1 x + b1)``, with the input and output sizes varied.
Both modes' Jacobians are checked to agree before timing.

Run: ``python -m bench.bench_ad_modes [--quick]``
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule
from bench.timing import format_table, median_time
from chainrule.autograd.functional import jacobian

HIDDEN = 64


def make_function(n: int, m: int, seed: int = 0):
    """The MLP ``R^n -> R^m`` and an input point."""
    rng = np.random.default_rng(seed)
    w1 = chainrule.tensor(rng.normal(size=(HIDDEN, n)) / np.sqrt(n))
    b1 = chainrule.tensor(rng.normal(size=HIDDEN))
    w2 = chainrule.tensor(rng.normal(size=(m, HIDDEN)) / np.sqrt(HIDDEN))
    x = chainrule.tensor(rng.normal(size=n))

    def f(v):
        return chainrule.nn.functional.linear((w1 @ v + b1).tanh(), w2)

    return f, x


def measure(n: int, m: int, repeat: int) -> dict:
    """Time both strategies on ``f: R^n -> R^m``; returns a table row."""
    f, x = make_function(n, m)
    fwd = jacobian(f, x, strategy="forward-mode")
    rev = jacobian(f, x, strategy="reverse-mode")
    err = float(np.abs(fwd.numpy() - rev.numpy()).max())
    assert err < 1e-10, f"the two modes disagree by {err}"
    t_fwd = median_time(lambda: jacobian(f, x, strategy="forward-mode"), warmup=1,
                        repeat=repeat)
    t_rev = median_time(lambda: jacobian(f, x, strategy="reverse-mode"), warmup=1,
                        repeat=repeat)
    winner = "forward" if t_fwd < t_rev else "reverse"
    return {"n (inputs)": n, "m (outputs)": m,
            "forward: n JVPs": f"{n} JVP{'s' * (n > 1)}, {t_fwd * 1e3:.1f} ms",
            "reverse: m VJPs": f"{m} VJP{'s' * (m > 1)}, {t_rev * 1e3:.1f} ms",
            "winner": winner, "speed-up": f"{max(t_fwd, t_rev) / min(t_fwd, t_rev):.1f}x",
            "max abs(J_fwd - J_rev)": f"{err:.1e}"}


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    args = parser.parse_args(argv)
    big = 128 if args.quick else 512
    repeat = 3 if args.quick else 7
    shapes = [(4, big), (16, 16), (big, 1)]  # few in/many out, square, many in/one out
    rows = [measure(n, m, repeat) for n, m in shapes]
    columns = ["n (inputs)", "m (outputs)", "forward: n JVPs", "reverse: m VJPs", "winner",
               "speed-up", "max abs(J_fwd - J_rev)"]
    table = format_table(rows, columns)
    print("Jacobian of f: R^n -> R^m (MLP, hidden 64, float64): forward vs reverse mode\n")
    print(table)
    snippet = ("## Forward vs reverse mode (bench/bench_ad_modes.py)\n\n"
               f"Full Jacobian of an MLP `R^n -> R^m` (hidden {HIDDEN}, float64) with "
               "`autograd.functional.jacobian`, median of "
               f"{repeat} runs. Forward mode costs one pass per input, reverse mode one "
               "backward pass per output: forward wins for few inputs and many outputs, "
               "reverse for many inputs and one output.\n\n" + table + "\n")
    print("\nMarkdown for bench/RESULTS.md:\n")
    print(snippet)
    return snippet


if __name__ == "__main__":
    main()
