"""``chainrule bench``: the side-by-side benchmark of the source checkout's ``bench/`` folder.

The benchmarks are not part of the installed package (they need the checkout's ``bench/``
and, for the comparison, PyTorch); this finds them next to the ``chainrule`` package of an
editable install, or in the current folder, and runs ``python -m bench`` with the same
arguments.
"""

from __future__ import annotations

import importlib
import os
import sys

from .errors import CLIError


def _checkout_root() -> str:
    """The folder holding ``bench/__main__.py``: the package's parent, else the current one."""
    import chainrule

    candidates = (os.path.dirname(os.path.dirname(os.path.abspath(chainrule.__file__))),
                  os.getcwd())
    for root in candidates:
        if os.path.isfile(os.path.join(root, "bench", "__main__.py")):
            return root
    raise CLIError("the benchmarks live in the source checkout's bench/ folder, which was not "
                   f"found next to the installed package or in {os.getcwd()}: run "
                   "'chainrule bench' from a checkout (pip install -e .)")


def run_bench(argv: list[str]) -> int:
    """Run ``bench``'s ``main`` with ``argv`` (e.g. ``['--compare-torch', '--only', 'ad']``)."""
    root = _checkout_root()
    if root not in sys.path:
        sys.path.insert(0, root)
    return importlib.import_module("bench.__main__").main(argv)
