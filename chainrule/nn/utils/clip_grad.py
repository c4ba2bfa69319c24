"""Gradient clipping: ``clip_grad_norm_``, ``clip_grad_value_``, ``get_total_norm``,
``clip_grads_with_norm_``. They act on the gradients' arrays in place, outside autograd."""

from __future__ import annotations

import warnings

import numpy as np

from ..._tensor import Tensor

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
]


def _as_list(tensors) -> list:
    if isinstance(tensors, Tensor):
        return [tensors]
    return list(tensors)


def _grads(parameters) -> list:
    return [p._grad for p in _as_list(parameters) if p._grad is not None]


def _norm(a: np.ndarray, p: float) -> float:
    flat = a.reshape(-1)
    if p == 2.0:
        return float(np.linalg.norm(flat.astype(np.float64, copy=False)))
    if p == float("inf"):
        return float(np.abs(flat).max()) if flat.size else 0.0
    if p == float("-inf"):
        return float(np.abs(flat).min()) if flat.size else float("inf")
    if p == 0:
        return float(np.count_nonzero(flat))
    return float((np.abs(flat.astype(np.float64)) ** p).sum() ** (1.0 / p))


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    """The ``norm_type``-norm of all the tensors together (as if concatenated).

    Example:
        >>> import chainrule as torch
        >>> get_total_norm([torch.tensor([3.0]), torch.tensor([4.0])])
        tensor(5.)
    """
    tensors = [t for t in _as_list(tensors) if t is not None]
    p = float(norm_type)
    if not tensors:
        return Tensor._make(np.array(0.0, dtype=np.float32))
    norms = np.array([_norm(t._data, p) for t in tensors])
    total = _norm(norms, p)  # the norm of the per-tensor norms, as PyTorch computes it
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {p} for gradients from `parameters` is "
                           "non-finite, so it cannot be clipped. To disable this error and scale "
                           "the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    return Tensor._make(np.array(total, dtype=tensors[0]._data.dtype))


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    """Scale the gradients by ``max_norm / (total_norm + 1e-6)`` when that is below 1."""
    total = float(total_norm)
    coef = min(float(max_norm) / (total + 1e-6), 1.0)
    for g in _grads(parameters):
        np.multiply(g._data, g._data.dtype.type(coef), out=g._data)
        g._version.value += 1


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Rescale the gradients of ``parameters`` in place so that their total norm is at most
    ``max_norm``.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped.
        max_norm: the largest allowed total norm.
        norm_type: the p of the p-norm (``float('inf')`` for the max-norm).
        error_if_nonfinite: raise if the total norm is NaN or infinite.

    Returns:
        The total norm of the gradients before clipping (a 0-d tensor).

    Example:
        >>> import chainrule as torch
        >>> p = torch.nn.Parameter(torch.zeros(2))
        >>> p.grad = torch.tensor([3.0, 4.0])
        >>> clip_grad_norm_([p], max_norm=1.0)
        tensor(5.)
        >>> p.grad
        tensor([0.6000, 0.8000])
    """
    parameters = _as_list(parameters)
    grads = _grads(parameters)
    if not grads:
        return Tensor._make(np.array(0.0, dtype=np.float32))
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Deprecated name of ``clip_grad_norm_``."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element of ``parameters`` to ``[-clip_value, clip_value]`` in
    place.

    Example:
        >>> import chainrule as torch
        >>> p = torch.nn.Parameter(torch.zeros(3))
        >>> p.grad = torch.tensor([-5.0, 0.5, 5.0])
        >>> clip_grad_value_(p, 1.0); p.grad
        tensor([-1.0000,  0.5000,  1.0000])
    """
    v = float(clip_value)
    for g in _grads(parameters):
        np.clip(g._data, -v, v, out=g._data)
        g._version.value += 1
