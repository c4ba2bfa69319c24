"""Array backends. Ops ask ``array_module(x)`` for the module that computes on ``x``."""

from __future__ import annotations

import numpy as np


def array_module(*arrays):
    """Return the array module (NumPy) for the given arrays, so a CuPy backend can plug in."""
    return np
