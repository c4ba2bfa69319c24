"""Optional fused update kernels (Numba), used by SGD, Adam/AdamW and RMSprop when available.

The NumPy path (``_foreach``) makes a dozen passes over each block of the arrays, one ufunc per
arithmetic step, on one thread: NumPy releases the GIL inside a ufunc, but handing it between
threads for every pass costs more than it saves. A fused kernel reads each element of the
parameter, gradient and state once, does the whole update in registers and writes the results
once, on ``get_num_threads()`` threads. On 2 cores: Adam over 10 M weights 25-37 ms -> ~13 ms.

It is used only where it gives the same results (to float32 rounding) as the NumPy path:
Numba importable and not disabled (see ``chainrule._jit``); float32 or float64 C-contiguous
arrays; a group of at least ``MIN_ELEMENTS`` elements (the first call
compiles the kernel, about a second, cached on disk by Numba). Everything else takes the NumPy
path, which stays the reference and is tested against this one.
"""

from __future__ import annotations

import numpy as np

from .. import _jit
from .._parallel import get_num_threads, thread_pool

__all__ = ["available", "run", "rmsprop", "adam", "sgd"]

MIN_ELEMENTS = 256 * 1024
PAR_ELEMENTS = 1024 * 1024  # one array at least this large: its kernel runs on all threads


def available(arrays_per_item: list, min_elements: int = MIN_ELEMENTS) -> bool:
    """Whether the fused path applies to these items' arrays (see the module notes)."""
    if _jit.load() is None:
        return False
    total = 0
    dtype = None
    for arrays in arrays_per_item:
        for a in arrays:
            if not a.flags.c_contiguous or a.dtype.kind != "f" or a.dtype.itemsize < 4:
                return False
            if dtype is None:
                dtype = a.dtype
            elif a.dtype != dtype:
                return False
        total += arrays[0].size
    return total >= min_elements


def run(items: list, call) -> None:
    """Call ``call(h, arrays)`` for every item: a parameter of ``PAR_ELEMENTS`` or more runs
    its parallel kernel; the others are shared out between ``get_num_threads()`` threads, each
    running serial kernels (they release the GIL: one hand-over per parameter, not per pass).
    """
    threads = get_num_threads()
    small = []
    for h, arrays in items:
        if arrays[0].size >= PAR_ELEMENTS:
            call(h, arrays)
        else:
            small.append((h, arrays))
    total = sum(arrays[0].size for _, arrays in small)
    if threads <= 1 or total < PAR_ELEMENTS or len(small) < 2:
        for h, arrays in small:
            call(h, arrays)
        return
    call(*small[0])  # on this thread first: the kernel is compiled (or loaded) once
    shares: list = [[] for _ in range(threads)]
    loads = [0] * threads
    for item in sorted(small[1:], key=lambda it: -it[1][0].size):
        t = loads.index(min(loads))
        shares[t].append(item)
        loads[t] += item[1][0].size
    pool = thread_pool(threads - 1)
    futures = [pool.submit(_call_all, share, call) for share in shares[1:] if share]
    try:
        _call_all(shares[0], call)
    finally:
        for f in futures:
            f.result()


def _call_all(items: list, call) -> None:
    for h, arrays in items:
        call(h, arrays)


def _rmsprop(prange):
    def rmsprop_kernel(theta, g, sq, alpha, one_minus_alpha, lr, eps, wd, sign):
        for i in prange(theta.shape[0]):
            gi = g[i] * sign
            if wd != 0:
                gi = gi + theta[i] * wd
            s = sq[i] * alpha + gi * one_minus_alpha * gi
            sq[i] = s
            theta[i] = theta[i] - gi / (np.sqrt(s) + eps) * lr
    return rmsprop_kernel


def _adam(prange):
    def adam_kernel(theta, g, m, v, one_minus_b1, b2, one_minus_b2, inv_denom, eps_scaled,
                    wd, decay, sign):
        for i in prange(theta.shape[0]):
            t = theta[i]
            if decay != 1:
                t = t * decay
            gi = g[i] * sign
            if wd != 0:
                gi = gi + t * wd
            mi = m[i]
            mi = mi + (gi - mi) * one_minus_b1
            vi = v[i] * b2 + gi * one_minus_b2 * gi
            m[i] = mi
            v[i] = vi
            theta[i] = t - mi / (np.sqrt(vi) * inv_denom + eps_scaled)
    return adam_kernel


def _sgd(prange):
    def sgd_kernel(theta, g, buf, momentum, dampening, lr, wd, sign, first, nesterov, use_buf):
        for i in prange(theta.shape[0]):
            gi = g[i] * sign
            if wd != 0:
                gi = gi + theta[i] * wd
            if use_buf:
                if first:
                    b = gi
                else:
                    b = buf[i] * momentum + gi * dampening
                buf[i] = b
                gi = gi + b * momentum if nesterov else b
            theta[i] = theta[i] - gi * lr
    return sgd_kernel


def _compile(builder, size: int):
    """The kernel of ``builder``, parallel for arrays of ``PAR_ELEMENTS`` or more."""
    return _jit.kernel_for(builder.__name__, size, builder, PAR_ELEMENTS)


def rmsprop(arrays: list, alpha: float, lr: float, eps: float, weight_decay: float,
            maximize: bool) -> None:
    """Plain RMSprop (no momentum, not centered) on ``[theta, g, square_avg]`` in place."""
    kernel = _compile(_rmsprop, arrays[0].size)
    t = arrays[0].dtype.type
    theta, g, sq = (a.reshape(-1) for a in arrays)
    kernel(theta, g, sq, t(alpha), t(1 - alpha), t(lr), t(eps), t(weight_decay),
           t(-1 if maximize else 1))


def adam(arrays: list, beta1: float, beta2: float, step_size: float, bc2_sqrt: float,
         eps: float, weight_decay: float, decay: float, maximize: bool) -> None:
    """Adam (no AMSGrad) on ``[theta, g, exp_avg, exp_avg_sq]`` in place; ``decay`` is the
    decoupled (AdamW) factor ``1 - lr * weight_decay`` or 1, ``weight_decay`` the L2 one."""
    kernel = _compile(_adam, arrays[0].size)
    t = arrays[0].dtype.type
    theta, g, m, v = (a.reshape(-1) for a in arrays)
    if step_size == 0:  # lr 0: the moments move, the weights stay (m / inf = 0)
        inv_denom, eps_scaled = 0.0, np.inf
    else:
        inv_denom, eps_scaled = 1 / (bc2_sqrt * step_size), eps / step_size
    kernel(theta, g, m, v, t(1 - beta1), t(beta2), t(1 - beta2), t(inv_denom), t(eps_scaled),
           t(weight_decay), t(decay), t(-1 if maximize else 1))


def sgd(arrays: list, lr: float, momentum: float, dampening: float, weight_decay: float,
        nesterov: bool, maximize: bool, first: bool) -> None:
    """SGD (optionally with momentum / Nesterov) on ``[theta, g(, momentum_buffer)]``."""
    kernel = _compile(_sgd, arrays[0].size)
    t = arrays[0].dtype.type
    theta, g = arrays[0].reshape(-1), arrays[1].reshape(-1)
    use_buf = len(arrays) > 2
    buf = arrays[2].reshape(-1) if use_buf else theta
    kernel(theta, g, buf, t(momentum), t(1 - dampening), t(lr), t(weight_decay),
           t(-1 if maximize else 1), first, nesterov, use_buf)
