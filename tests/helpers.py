"""Test helpers: one-line op checks against NumPy, gradcheck, and (optionally) PyTorch.

``check_op`` checks an op's forward against a NumPy reference for several dtypes, then its
gradient and second derivative with ``gradcheck``/``gradgradcheck`` in float64, on contiguous and
non-contiguous inputs. ``compare_with_torch`` is skipped when PyTorch is not installed.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import chainrule
from chainrule.autograd import gradcheck, gradgradcheck

torch_available = importlib.util.find_spec("torch") is not None
requires_torch = pytest.mark.skipif(not torch_available, reason="PyTorch is not installed")

_TOL = {np.float16: (1e-2, 1e-2), np.float32: (1e-4, 1e-5), np.float64: (1e-7, 1e-9)}


def _is_shape(entry) -> bool:
    return isinstance(entry, tuple) and all(isinstance(s, int) for s in entry)


def make_array(shape, rng, low=-2.0, high=2.0, positive=False) -> np.ndarray:
    """Random float64 data of ``shape``; ``positive`` draws from [0.5, high]."""
    lo = 0.5 if positive else low
    return np.asarray(rng.uniform(lo, high, size=shape))


def non_contiguous(arr: np.ndarray) -> np.ndarray:
    """The same values laid out with a stride gap in the last dimension (a non-contiguous view)."""
    if arr.ndim == 0 or arr.size == 0:
        return arr
    wide = np.zeros(arr.shape[:-1] + (arr.shape[-1] * 2,), dtype=arr.dtype)
    view = wide[..., ::2]
    view[...] = arr
    assert not view.flags.c_contiguous or arr.shape[-1] <= 1
    return view


def _tensors(arrays, dtype, requires_grad=False):
    return [chainrule.from_numpy(a.astype(dtype, copy=False)).requires_grad_(requires_grad)
            if isinstance(a, np.ndarray) else a for a in arrays]


def _outputs(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def assert_close(actual, expected, rtol=1e-5, atol=1e-6, msg="") -> None:
    """Assert a chainrule tensor (or number) equals a NumPy array within tolerances."""
    a = actual._data if isinstance(actual, chainrule.Tensor) else np.asarray(actual)
    e = np.asarray(expected)
    assert a.shape == e.shape, f"{msg} shape {a.shape} != expected {e.shape}"
    np.testing.assert_allclose(a.astype(np.float64) if a.dtype.kind != "b" else a, e,
                               rtol=rtol, atol=atol, err_msg=msg)


def check_op(fn, ref, shapes, *, dtypes=(np.float32, np.float64), grad=True, gradgrad=True,
             low=-2.0, high=2.0, positive=False, noncontiguous=True, kwargs=None, seed=0,
             rtol=None, atol=None, grad_atol=1e-5, grad_rtol=1e-3) -> None:
    """Check ``fn`` (chainrule tensors -> tensor(s)) against ``ref`` (arrays -> array(s)).

    Args:
        fn: the op under test, called as ``fn(*tensors, **kwargs)``.
        ref: NumPy reference, called as ``ref(*float64_arrays, **kwargs)``.
        shapes: a list of cases; a case is one shape (unary op) or a tuple of shapes, one per
            input, e.g. ``[(3, 4), ((2, 3), (3,)), ((), ())]``.
        dtypes: forward dtypes to check (the result must keep a float input's dtype).
        grad, gradgrad: run ``gradcheck`` / ``gradgradcheck`` in float64.
        positive: draw inputs from [0.5, high] (for log, sqrt…).
        noncontiguous: also check every case with non-contiguous inputs.
    """
    kwargs = kwargs or {}
    rng = np.random.default_rng(seed)
    for case in shapes:
        case = (case,) if _is_shape(case) else tuple(case)
        base = [make_array(s, rng, low, high, positive) for s in case]
        layouts = [base] + ([[non_contiguous(a) for a in base]] if noncontiguous else [])
        for arrays in layouts:
            expected = _outputs(ref(*[a.copy() for a in arrays], **kwargs))
            for dt in dtypes:
                r, a = _TOL[np.dtype(dt).type]
                r, a = rtol or r, atol or a
                outs = _outputs(fn(*_tensors(arrays, dt), **kwargs))
                assert len(outs) == len(expected), f"{len(outs)} outputs, expected {len(expected)}"
                for o, e in zip(outs, expected):
                    assert isinstance(o, chainrule.Tensor), f"output is {type(o).__name__}"
                    if o._data.dtype.kind == "f" and np.asarray(e).dtype.kind == "f":
                        assert o._data.dtype == np.dtype(dt), \
                            f"case {case}: output dtype {o.dtype} for {np.dtype(dt)} inputs"
                    assert_close(o, e, r, a, msg=f"case {case}, dtype {np.dtype(dt)}")
            if grad and any(a.size for a in arrays):
                ts = _tensors(arrays, np.float64, requires_grad=True)
                call = (lambda *t: fn(*t, **kwargs))
                assert gradcheck(call, tuple(ts), atol=grad_atol, rtol=grad_rtol)
                if gradgrad:
                    assert gradgradcheck(call, tuple(ts), atol=grad_atol, rtol=grad_rtol)


def check_grad(fn, *args, gradgrad=True, atol=1e-5, rtol=1e-3) -> None:
    """``gradcheck`` (and ``gradgradcheck``) ``fn`` at float64 copies of the array arguments.

    Non-array arguments (ints, index tensors…) are passed through unchanged.
    """
    ts = tuple(chainrule.tensor(a, dtype=chainrule.float64, requires_grad=True)
               if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in args)
    assert gradcheck(fn, ts, atol=atol, rtol=rtol)
    if gradgrad:
        assert gradgradcheck(fn, ts, atol=atol, rtol=rtol)


def compare_with_torch(fn_cr, fn_torch, *arrays, grad=True, atol=1e-5, rtol=1e-4,
                       seed=0) -> None:
    """Run the same computation in chainrule and PyTorch; compare outputs and input gradients.

    Float arrays become tensors that require grad; other arrays (indices) are passed as plain
    tensors. Skipped when PyTorch is not installed.
    """
    torch = pytest.importorskip("torch")
    cr_in = [chainrule.tensor(a, requires_grad=grad and a.dtype.kind == "f")
             if isinstance(a, np.ndarray) else a for a in arrays]
    th_in = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f")
             if isinstance(a, np.ndarray) else a for a in arrays]
    cr_out, th_out = _outputs(fn_cr(*cr_in)), _outputs(fn_torch(*th_in))
    assert len(cr_out) == len(th_out)
    for c, t in zip(cr_out, th_out):
        assert tuple(c.shape) == tuple(t.shape), f"shape {tuple(c.shape)} vs torch {tuple(t.shape)}"
        np.testing.assert_allclose(c._data, t.detach().numpy(), rtol=rtol, atol=atol)
    if not grad:
        return
    rng = np.random.default_rng(seed)
    pairs = [(c, t) for c, t in zip(cr_out, th_out) if t.requires_grad]
    if not pairs:
        return
    seeds = [rng.standard_normal(tuple(t.shape)).astype(t.detach().numpy().dtype)
             for _, t in pairs]
    chainrule.autograd.backward([c for c, _ in pairs], [chainrule.tensor(s) for s in seeds])
    torch.autograd.backward([t for _, t in pairs], [torch.tensor(s) for s in seeds])
    for c, t in zip(cr_in, th_in):
        if isinstance(c, chainrule.Tensor) and c.requires_grad:
            if t.grad is None:
                assert c.grad is None
                continue
            np.testing.assert_allclose(c.grad._data, t.grad.numpy(), rtol=rtol, atol=atol)
