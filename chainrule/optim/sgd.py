"""Stochastic gradient descent, optionally with (Nesterov) momentum."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from . import _fused
from .optimizer import Optimizer, _check, _check_flags, _check_lr, _scalar, required

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum (PyTorch's formulation).

    For each parameter :math:`\theta` with gradient :math:`g` (negated if ``maximize``)::

        g <- g + weight_decay * theta                       (if weight_decay != 0)
        b <- g (first step),  else  b <- momentum * b + (1 - dampening) * g
        g <- g + momentum * b  (nesterov)   or   g <- b      (if momentum != 0)
        theta <- theta - lr * g

    Momentum as in Polyak (1964), "Some methods of speeding up the convergence of iteration
    methods"; Nesterov momentum in the form of Sutskever et al. (2013), "On the importance of
    initialization and momentum in deep learning" (ICML). Note the velocity is applied as
    ``lr * b``, not accumulated as ``lr * g``, unlike some frameworks.

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate (default 1e-3).
        momentum: momentum factor (default 0).
        dampening: dampening of the momentum (default 0).
        weight_decay: L2 penalty added to the gradient (default 0).
        nesterov: use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
        maximize: maximize the objective instead of minimizing it.
        foreach, fused, differentiable: accepted for compatibility; the update is always one
            in-place pass per parameter (``differentiable=True`` is not supported).

    State per parameter: ``momentum_buffer`` (only when ``momentum != 0``).

    Example:
        >>> import chainrule
        >>> from chainrule import optim
        >>> w = chainrule.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     w.grad = chainrule.tensor([0.5, 0.5])
        ...     opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.855, -2.145]
    """

    def __init__(self, params, lr=1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        if lr is not required:
            _check_lr(lr)
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check_flags(differentiable)
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _update_group(self, group, params) -> None:
        lr = _scalar(group["lr"])
        momentum, dampening = group["momentum"], group["dampening"]
        weight_decay, nesterov = group["weight_decay"], group.get("nesterov", False)
        maximize = group.get("maximize", False)
        items = []
        for p in params:
            arrays, first = [p._data, p._grad._data], False
            if momentum != 0:
                state = self.state[p]
                if state.get("momentum_buffer") is None:
                    state["momentum_buffer"] = Tensor._make(np.empty_like(p._data, order="C"))
                    first = True
                arrays.append(state["momentum_buffer"]._data)
            items.append((first, arrays))
        effective_grad = self._effective_grad

        def kernel(first, theta, g, *rest):
            d, tmp = rest[-2:]
            g = effective_grad(theta, g, d, maximize, weight_decay)
            if momentum != 0:
                b = rest[0]
                if first:
                    np.copyto(b, g)
                else:
                    b *= momentum
                    if dampening == 0:
                        b += g
                    else:
                        np.multiply(g, 1 - dampening, out=tmp)
                        b += tmp
                if nesterov:
                    np.multiply(b, momentum, out=tmp)
                    np.add(g, tmp, out=tmp)
                    g = tmp
                else:
                    g = b
            np.multiply(g, lr, out=tmp)
            np.subtract(theta, tmp, out=theta)

        self._run_update(params, items, kernel, 2, lambda first, arrays: _fused.sgd(
            arrays, lr, momentum, dampening, weight_decay, nesterov, maximize, first))
