"""Numerical gradient checking: ``gradcheck`` and ``gradgradcheck``.

The analytical Jacobian (one backward pass per output element) is compared with central
differences ``(f(x + eps) - f(x - eps)) / (2 eps)`` computed in float64. On a mismatch the
report names the output and input, and the worst element with both values.
"""

from __future__ import annotations

import warnings

import numpy as np

from .engine import grad as _grad


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when analytical and numerical gradients disagree."""


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _differentiable_outputs(outputs) -> list:
    from .._tensor import Tensor

    return [o for o in _as_tuple(outputs) if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def _numerical_jacobians(func, inputs, targets, eps: float) -> list:
    """For each target input, an (input numel, output numel) matrix per output."""
    base = [o._data.copy() for o in _differentiable_outputs(func(*inputs))]
    jacobians = []
    for t in targets:
        data = t._data
        columns = [np.zeros((data.size, o.size)) for o in base]
        for k, idx in enumerate(np.ndindex(*data.shape)):
            orig = data[idx].copy()
            # evaluated with recording on: gradgradcheck's function differentiates inside
            data[idx] = orig + eps
            plus = [o._data.astype(np.float64) for o in _differentiable_outputs(func(*inputs))]
            data[idx] = orig - eps
            minus = [o._data.astype(np.float64) for o in _differentiable_outputs(func(*inputs))]
            data[idx] = orig
            for col, p, m in zip(columns, plus, minus):
                col[k] = ((p - m) / (2 * eps)).reshape(-1)
        jacobians.append(columns)
    return jacobians


def _analytical_jacobians(func, inputs, targets) -> list:
    from .._tensor import Tensor

    outputs = _differentiable_outputs(func(*inputs))
    jac = [[np.zeros((t._data.size, o._data.size)) for o in outputs] for t in targets]
    for j, out in enumerate(outputs):
        if not out._requires_grad:
            continue
        for k in range(out._data.size):
            seed = np.zeros(out._data.size, dtype=out._data.dtype)
            seed[k] = 1
            grads = _grad(out, targets, Tensor._make(seed.reshape(out._data.shape)),
                          retain_graph=True, allow_unused=True)
            for i, g in enumerate(grads):
                if g is not None:
                    if g._data.shape != targets[i]._data.shape:
                        raise GradcheckError(f"Gradient has wrong shape for input {i}: "
                                             f"{list(g.shape)} vs {list(targets[i].shape)}")
                    jac[i][j][:, k] = g._data.reshape(-1)
    return jac


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked=None) -> bool:
    """Check the gradients ``func`` computes against central finite differences.

    Args:
        func: function of tensors returning a tensor or a tuple of tensors.
        inputs: a tensor or tuple of arguments; float64 tensors with ``requires_grad=True``
            are checked, other arguments are passed through.
        eps: finite-difference step.
        atol, rtol: tolerances of ``|analytical - numerical| <= atol + rtol * |numerical|``.
        raise_exception: raise ``GradcheckError`` with a report on failure (else return False).

    Returns:
        True when every Jacobian matches.

    Example:
        >>> import chainrule as torch
        >>> x = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
        >>> torch.autograd.gradcheck(lambda t: (t * t).exp(), (x,))
        True
    """
    from .._tensor import Tensor

    inputs = _as_tuple(inputs)
    targets = [t for t in inputs if isinstance(t, Tensor) and t._requires_grad]
    if not targets:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of the them have requires_grad=True.")
    for t in targets:
        if t._data.dtype != np.float64:
            warnings.warn(f"Input #{inputs.index(t)} requires gradient and is not a double "
                          "precision floating point. This check will likely fail if all the "
                          "inputs are not of double precision floating point. ", UserWarning,
                          stacklevel=2)
    numerical = _numerical_jacobians(func, inputs, targets, eps)
    analytical = _analytical_jacobians(func, inputs, targets)
    for i, (num_row, ana_row) in enumerate(zip(numerical, analytical)):
        for j, (num, ana) in enumerate(zip(num_row, ana_row)):
            if num.shape != ana.shape:
                return _fail(raise_exception, f"Jacobian shape mismatch for output {j} with "
                                              f"respect to input {i}")
            err = np.abs(ana - num) - (atol + rtol * np.abs(num))
            if err.size and (not np.all(err <= 0) or not np.all(np.isfinite(ana) ==
                                                                 np.isfinite(num))):
                k = np.unravel_index(np.nanargmax(np.where(np.isnan(err), np.inf, err)),
                                     err.shape)
                in_idx = [int(v) for v in np.unravel_index(k[0], targets[i].shape)]
                out_shape = _differentiable_outputs(func(*inputs))[j].shape
                out_idx = [int(v) for v in np.unravel_index(k[1], out_shape)]
                msg = (f"Jacobian mismatch for output {j} with respect to input {i},\n"
                       f"worst element: d output{out_idx} / d input{in_idx}: "
                       f"analytical {ana[k]:.8g} vs numerical {num[k]:.8g} "
                       f"(difference {abs(ana[k] - num[k]):.3g}, atol={atol}, rtol={rtol})\n"
                       f"numerical:\n{num}\nanalytical:\n{ana}\n")
                return _fail(raise_exception, msg)
    return True


def _fail(raise_exception: bool, msg: str) -> bool:
    if raise_exception:
        raise GradcheckError(msg)
    return False


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False,
                  masked: bool = False) -> bool:
    """Check second derivatives: ``gradcheck`` of the map (inputs, v) -> v^T J(inputs).

    Args:
        func, inputs: as for ``gradcheck``.
        grad_outputs: the vectors ``v`` (random float64 tensors by default).

    Example:
        >>> import chainrule as torch
        >>> x = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
        >>> torch.autograd.gradgradcheck(lambda t: (t * t * t).sin(), (x,))
        True
    """
    from .._tensor import Tensor

    inputs = _as_tuple(inputs)
    targets = [t for t in inputs if isinstance(t, Tensor) and t._requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        outs = _differentiable_outputs(func(*inputs))
        grad_outputs = []
        for o in outs:
            arr = np.asarray(rng.standard_normal(o._data.shape))
            if gen_non_contig_grad_outputs and arr.ndim:
                arr = np.asfortranarray(arr)
            grad_outputs.append(Tensor._make(arr, True))
    grad_outputs = list(_as_tuple(grad_outputs))
    n_in = len(inputs)

    def first_derivative(*args):
        ins, vs = args[:n_in], args[n_in:]
        outs = _differentiable_outputs(func(*ins))
        pairs = [(o, v) for o, v in zip(outs, vs) if o._requires_grad]
        diff_targets = [t for t in ins if isinstance(t, Tensor) and t._requires_grad]
        grads = _grad([o for o, _ in pairs], diff_targets, [v for _, v in pairs],
                      create_graph=True, allow_unused=True, materialize_grads=True)
        return tuple(grads)

    del targets
    return gradcheck(first_derivative, (*inputs, *grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
