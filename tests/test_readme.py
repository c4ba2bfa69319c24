"""The README's quick-start snippets run and print what the README says they print."""

import contextlib
import io
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_autograd_quick_start_prints_what_the_readme_says():
    block = _python_blocks()[0]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README quick start", "exec"), {})
    printed = out.getvalue().splitlines()
    claimed = [line.split("# ", 1)[1].strip() for line in block.splitlines() if "print(" in line]
    assert printed == claimed


def test_training_loop_snippet_runs():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(_python_blocks()[1], "README training loop", "exec"), {})
    assert float(out.getvalue()) < 0.5  # an untrained model scores about ln(3) = 1.1
