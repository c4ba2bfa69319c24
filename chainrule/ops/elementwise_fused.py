"""Compiled ReLU gradient (optional, through ``chainrule._jit``).

NumPy computes ``g * (y > 0)`` in two passes (the mask into the output, then the product);
this kernel reads ``y`` and ``g`` once and writes the product once, on all threads for large
arrays. On the MNIST convnet's 128x32x26x26 activations (2 cores): 1.7 -> 1.2 ms a call on one
thread. It multiplies by the mask as NumPy does, so a NaN or infinite gradient where ``y <= 0``
gives NaN on both paths.
"""

from __future__ import annotations

import numpy as np

from .. import _jit

__all__ = ["applies", "relu_grad"]


def applies(y: np.ndarray, g: np.ndarray) -> bool:
    """Whether the kernel can serve these arrays: the same float dtype and shape, both
    C-contiguous, Numba available."""
    return (y.dtype == g.dtype and y.dtype in (np.float32, np.float64) and y.shape == g.shape
            and y.flags.c_contiguous and g.flags.c_contiguous and _jit.load() is not None)


def _relu_grad_source(prange):
    def relu_grad_kernel(y, g, out):
        for i in prange(y.shape[0]):
            out[i] = g[i] * (y[i] > 0)
    return relu_grad_kernel


def relu_grad(y: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``g * (y > 0)`` for arrays that ``applies`` accepts."""
    out = np.empty_like(g)
    run = _jit.kernel_for("relu_grad", y.size, _relu_grad_source)
    run(y.reshape(-1), g.reshape(-1), out.reshape(-1))
    return out
