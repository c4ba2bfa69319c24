"""The fused recurrence behind ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU``.

``Recurrent`` runs one layer-direction over a whole (time-major) sequence: its forward and its
backward (back-propagation through time) loop over the steps on raw arrays, with one small GEMM
per step and the recurrent weight's gradient as one GEMM at the end. The input projection
``x @ W_ih^T + b_ih`` of all steps is computed before, as one ordinary ``linear`` node. Gate
orders are PyTorch's (LSTM ``i, f, g, o``; GRU ``r, z, n``).

Higher derivatives (``create_graph=True``) take a slower exact path: ``Recompute`` re-runs the
recurrence with ordinary tensor ops (``composite``) on detached copies of the inputs and
differentiates that graph, nesting itself for each further order. ``cell`` (one step with tensor
ops) also serves the ``RNNCell``/``LSTMCell``/``GRUCell`` modules.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.engine import grad as _grad
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_ENABLED, enable_grad
from .joining import stack

__all__: list = []  # internal: used by chainrule.nn.modules.rnn

GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _sigmoid_(a: np.ndarray) -> np.ndarray:
    """In-place logistic function via tanh (no overflow for large negative inputs)."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


# ---- the fused recurrence on arrays ----------------------------------------------------------

def _recur_forward(xw, h0, c0, w_hh, b_hh, w_hr, mode: str, reverse: bool):
    """Run one layer-direction over time. Returns the outputs and what backward needs."""
    steps, batch, gsize = xw.shape
    hid = gsize // GATES[mode]
    state = w_hh.shape[1]
    dt = xw.dtype
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    out = np.empty((steps, batch, state), dt)
    h = np.zeros((batch, state), dt) if h0 is None else h0
    c = None
    acts = np.empty((steps, batch, gsize), dt) if mode in ("LSTM", "GRU") else None
    cs = tcs = ms = ghn = None
    if mode == "LSTM":
        c = np.zeros((batch, hid), dt) if c0 is None else c0
        cs, tcs = np.empty((steps, batch, hid), dt), np.empty((steps, batch, hid), dt)
        ms = np.empty((steps, batch, hid), dt) if w_hr is not None else None
    elif mode == "GRU":
        ghn = np.empty((steps, batch, hid), dt)
    w_t = w_hh.T
    for t in order:
        gh = h @ w_t
        if b_hh is not None:
            gh += b_hh
        if mode == "LSTM":
            a = acts[t]
            np.add(xw[t], gh, out=a)
            _sigmoid_(a[:, :2 * hid])
            np.tanh(a[:, 2 * hid:3 * hid], out=a[:, 2 * hid:3 * hid])
            _sigmoid_(a[:, 3 * hid:])
            i, f, g, o = a[:, :hid], a[:, hid:2 * hid], a[:, 2 * hid:3 * hid], a[:, 3 * hid:]
            np.multiply(f, c, out=cs[t])
            cs[t] += i * g
            c = cs[t]
            np.tanh(c, out=tcs[t])
            if w_hr is None:
                np.multiply(o, tcs[t], out=out[t])
            else:
                np.multiply(o, tcs[t], out=ms[t])
                np.matmul(ms[t], w_hr.T, out=out[t])
        elif mode == "GRU":
            a = acts[t]
            np.add(xw[t, :, :2 * hid], gh[:, :2 * hid], out=a[:, :2 * hid])
            _sigmoid_(a[:, :2 * hid])
            r, z, n = a[:, :hid], a[:, hid:2 * hid], a[:, 2 * hid:]
            ghn[t] = gh[:, 2 * hid:]
            np.multiply(r, ghn[t], out=n)
            n += xw[t, :, 2 * hid:]
            np.tanh(n, out=n)
            np.subtract(h, n, out=out[t])
            out[t] *= z
            out[t] += n
        else:
            np.add(xw[t], gh, out=out[t])
            if mode == "RNN_TANH":
                np.tanh(out[t], out=out[t])
            else:
                np.maximum(out[t], 0, out=out[t])
        h = out[t]
    saved = (acts, cs, tcs, ms, ghn)
    return out, h.copy(), (None if c is None else c.copy()), saved


def _recur_backward(xw, h0, c0, w_hh, w_hr, mode, reverse, out, saved, g_out, g_h, g_c):
    """Back-propagation through time on arrays: gradients of all six inputs."""
    acts, cs, tcs, ms, ghn = saved
    steps, batch, gsize = xw.shape
    hid = gsize // GATES[mode]
    state = w_hh.shape[1]
    dt = xw.dtype
    h0 = np.zeros((batch, state), dt) if h0 is None else h0
    if reverse:
        order = range(steps)
        hprev = np.concatenate([out[1:], h0[None]]) if steps else out
    else:
        order = range(steps - 1, -1, -1)
        hprev = np.concatenate([h0[None], out[:-1]]) if steps else out
    dxw = np.empty_like(xw)
    dgh = np.empty_like(xw) if mode == "GRU" else dxw
    dhs = np.empty((steps, batch, state), dt) if w_hr is not None else None
    dh = np.zeros((batch, state), dt) if g_h is None else np.array(g_h, dtype=dt)
    dc = None
    if mode == "LSTM":
        dc = np.zeros((batch, hid), dt) if g_c is None else np.array(g_c, dtype=dt)
        c0 = np.zeros((batch, hid), dt) if c0 is None else c0
    for t in order:
        if g_out is not None:
            dh += g_out[t]
        d = dxw[t]
        if mode == "LSTM":
            a = acts[t]
            i, f, g, o = a[:, :hid], a[:, hid:2 * hid], a[:, 2 * hid:3 * hid], a[:, 3 * hid:]
            tc = tcs[t]
            if w_hr is not None:
                dhs[t] = dh
                dm = dh @ w_hr
            else:
                dm = dh
            c_prev = cs[t + 1 if reverse else t - 1] if (t != (steps - 1 if reverse else 0)) \
                else c0
            dc += dm * o * (1 - tc * tc)
            np.multiply(dm * tc, o * (1 - o), out=d[:, 3 * hid:])
            np.multiply(dc * g, i * (1 - i), out=d[:, :hid])
            np.multiply(dc * c_prev, f * (1 - f), out=d[:, hid:2 * hid])
            np.multiply(dc * i, 1 - g * g, out=d[:, 2 * hid:3 * hid])
            dc *= f
            dh = d @ w_hh
        elif mode == "GRU":
            a, e = acts[t], dgh[t]
            r, z, n = a[:, :hid], a[:, hid:2 * hid], a[:, 2 * hid:]
            dnp = dh * (1 - z) * (1 - n * n)
            d[:, 2 * hid:] = dnp
            np.multiply(dnp, r, out=e[:, 2 * hid:])
            np.multiply(dnp * ghn[t], r * (1 - r), out=d[:, :hid])
            np.multiply(dh * (hprev[t] - n), z * (1 - z), out=d[:, hid:2 * hid])
            e[:, :2 * hid] = d[:, :2 * hid]
            dh = dh * z + e @ w_hh
        else:
            h = out[t]
            if mode == "RNN_TANH":
                np.multiply(dh, 1 - h * h, out=d)
            else:
                np.multiply(dh, h > 0, out=d)
            dh = d @ w_hh
    flat = dgh.reshape(-1, gsize)
    dw_hh = flat.T @ hprev.reshape(-1, state)
    db_hh = flat.sum(axis=0)
    dw_hr = dhs.reshape(-1, state).T @ ms.reshape(-1, hid) if w_hr is not None else None
    return dxw, dh, dc, dw_hh, db_hh, dw_hr


class Recurrent(Function):
    """One layer-direction of an RNN/LSTM/GRU over a whole sequence (time-major)."""

    raw = True

    @staticmethod
    def forward(ctx, xw, h0, c0, w_hh, b_hh, w_hr, mode, reverse):
        out, h_n, c_n, saved = _recur_forward(xw, h0, c0, w_hh, b_hh, w_hr, mode, reverse)
        ctx.mode, ctx.reverse, ctx.extra = mode, reverse, saved
        ctx.save_for_backward(xw, h0, c0, w_hh, b_hh, w_hr, out)
        return (out, h_n, c_n) if mode == "LSTM" else (out, h_n)

    @staticmethod
    def backward(ctx, g_out, g_h, g_c=None):
        xw, h0, c0, w_hh, b_hh, w_hr, out = ctx.saved_tensors
        needs = ctx.needs_input_grad
        if GRAD_ENABLED[0]:  # create_graph: differentiate a tensor-op recomputation
            idx = [k for k in range(6) if needs[k]]
            gouts = (g_out, g_h) if g_c is None else (g_out, g_h, g_c)
            fn = _grad_fn(composite_fn(ctx.mode, ctx.reverse), idx, 6)
            res = Recompute.apply(fn, xw, h0, c0, w_hh, b_hh, w_hr, *gouts)
            res = (res,) if isinstance(res, Tensor) else res
            full = [None] * 8
            for k, r in zip(idx, res):
                full[k] = r
            return tuple(full)

        def arr(t):
            return None if t is None else t._data

        res = _recur_backward(arr(xw), arr(h0), arr(c0), arr(w_hh), arr(w_hr), ctx.mode,
                              ctx.reverse, out._data, ctx.extra, arr(g_out), arr(g_h),
                              arr(g_c))
        return tuple(Tensor._make(r) if r is not None and needs[k] else None
                     for k, r in enumerate(res)) + (None, None)


# ---- the same recurrence with tensor ops (cells, and higher derivatives) ---------------------

def cell(mode, gx, h, c, w_hh, b_hh, w_hr):
    """One time step with tensor ops; ``gx`` is the step's input projection."""
    gh = h @ w_hh.t()
    if b_hh is not None:
        gh = gh + b_hh
    if mode == "LSTM":
        i, f, g, o = (gx + gh).chunk(4, -1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        return (h if w_hr is None else h @ w_hr.t()), c
    if mode == "GRU":
        xr, xz, xn = gx.chunk(3, -1)
        hr, hz, hn = gh.chunk(3, -1)
        r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
        n = (xn + r * hn).tanh()
        return n + z * (h - n), None
    pre = gx + gh
    return (pre.tanh() if mode == "RNN_TANH" else pre.relu()), None


def composite(mode, reverse, xw, h0, c0, w_hh, b_hh, w_hr):
    """``Recurrent``'s outputs computed step by step with tensor ops (differentiable to any
    order; the reference its fused kernels are tested against)."""
    steps, batch = xw.shape[:2]
    h = h0 if h0 is not None else Tensor._make(np.zeros((batch, w_hh.shape[1]), xw._data.dtype))
    c = c0
    if mode == "LSTM" and c is None:
        c = Tensor._make(np.zeros((batch, w_hh.shape[0] // 4), xw._data.dtype))
    outs = [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        h, c = cell(mode, xw[t], h, c, w_hh, b_hh, w_hr)
        outs[t] = h
    res = (stack(outs), h)
    return res + (c,) if mode == "LSTM" else res


def composite_fn(mode, reverse):
    """``composite`` with the mode and direction bound (the function ``Recompute`` runs)."""

    def fn(xw, h0, c0, w_hh, b_hh, w_hr):
        return composite(mode, reverse, xw, h0, c0, w_hh, b_hh, w_hr)

    return fn


class Recompute(Function):
    """Run ``fn`` on detached copies of its inputs and keep that graph; the outputs' gradients
    come from differentiating it (recomputing inside a new ``Recompute`` under
    ``create_graph``, so every order of derivative stays connected to the real inputs)."""

    @staticmethod
    def forward(ctx, fn, *inputs):
        needs = getattr(ctx, "needs_input_grad", None)
        leaves = [t.detach().requires_grad_(bool(needs and needs[k + 1]))
                  if isinstance(t, Tensor) else t for k, t in enumerate(inputs)]
        with enable_grad():
            outs = fn(*leaves)
        outs = (outs,) if isinstance(outs, Tensor) else tuple(outs)
        ctx.fn, ctx.leaves, ctx.outs, ctx.n = fn, leaves, outs, len(inputs)
        ctx.save_for_backward(*inputs)
        return tuple(o.detach() for o in outs) if len(outs) > 1 else outs[0].detach()

    @staticmethod
    def backward(ctx, *gouts):
        inputs = ctx.saved_tensors
        idx = [k for k in range(ctx.n) if ctx.needs_input_grad[k + 1]]
        if GRAD_ENABLED[0]:
            res = Recompute.apply(_grad_fn(ctx.fn, idx, ctx.n), *inputs, *gouts)
            res = (res,) if isinstance(res, Tensor) else res
        else:
            pairs = [(o, g) for o, g in zip(ctx.outs, gouts) if o.requires_grad]
            res = _grad([o for o, _ in pairs], [ctx.leaves[k] for k in idx],
                        [g for _, g in pairs], retain_graph=True, allow_unused=True)
        full = [None] * (ctx.n + 1)
        for k, r in zip(idx, res):
            full[k + 1] = r
        return tuple(full)


def _grad_fn(fn, idx, n):
    """``(*inputs, *gouts) -> gradients of fn's outputs wrt inputs[idx]`` as tensor ops."""

    def grad_fn(*args):
        ins, gouts = args[:n], args[n:]
        outs = fn(*ins)
        outs = (outs,) if isinstance(outs, Tensor) else tuple(outs)
        pairs = [(o, g) for o, g in zip(outs, gouts) if o.requires_grad]
        res = _grad([o for o, _ in pairs], [ins[k] for k in idx], [g for _, g in pairs],
                    create_graph=True, allow_unused=True)
        return tuple(Tensor._make(np.zeros_like(ins[k]._data)) if r is None else r
                     for k, r in zip(idx, res))

    return grad_fn
