"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

import numpy as np

from .optimizer import (
    Optimizer,
    _check,
    _check_eps,
    _check_flags,
    _check_lr,
    _check_weight_decay,
    _scalar,
)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta, as in Zeiler (2012), "ADADELTA: An Adaptive Learning Rate Method"
    (arXiv:1212.5701).

    For each parameter :math:`\theta` with gradient :math:`g` (negated if ``maximize``)::

        g <- g + weight_decay * theta                     (if weight_decay != 0)
        v <- rho * v + (1 - rho) * g * g
        delta <- sqrt(u + eps) / sqrt(v + eps) * g
        u <- rho * u + (1 - rho) * delta * delta
        theta <- theta - lr * delta

    Args:
        params: parameters or parameter groups to optimize.
        lr: coefficient scaling delta before it is applied (default 1.0).
        rho: coefficient of the running averages (default 0.9).
        eps: term added inside the square roots (default 1e-6).
        weight_decay: L2 penalty (default 0).
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable, differentiable: accepted for compatibility.

    State per parameter: ``step``, ``square_avg`` and ``acc_delta``.

    Example:
        >>> import chainrule
        >>> from chainrule import optim
        >>> w = chainrule.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.Adadelta([w], rho=0.75, eps=1e-2)
        >>> w.grad = chainrule.tensor([3.0, 0.0])
        >>> opt.step()  # delta = sqrt(0.01) / sqrt(0.25 * 9 + 0.01) * 3
        >>> [round(v, 4) for v in w.tolist()]
        [0.8004, -2.0]
    """

    def __init__(self, params, lr=1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        _check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        _check_eps(eps)
        _check_weight_decay(weight_decay)
        _check_flags(differentiable)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update_group(self, group, params) -> None:
        lr, rho, eps = _scalar(group["lr"]), group["rho"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group.get("maximize", False)
        items = []
        for p in params:
            state = self.state[p]
            if len(state) == 0:
                state["step"] = self._scalar_tensor(0.0)
                state["square_avg"] = self._zeros_like(p)
                state["acc_delta"] = self._zeros_like(p)
            state["step"]._data += 1
            items.append((None, [p._data, p._grad._data, state["square_avg"]._data,
                                 state["acc_delta"]._data]))
        effective_grad = self._effective_grad

        def kernel(h, theta, g, square_avg, acc_delta, d, tmp, delta):
            g = effective_grad(theta, g, d, maximize, weight_decay)
            square_avg *= rho
            np.multiply(g, 1 - rho, out=tmp)
            tmp *= g
            square_avg += tmp
            np.add(square_avg, eps, out=tmp)
            np.sqrt(tmp, out=tmp)  # tmp: std
            np.add(acc_delta, eps, out=delta)
            np.sqrt(delta, out=delta)
            delta /= tmp
            delta *= g
            acc_delta *= rho
            np.multiply(delta, 1 - rho, out=tmp)
            tmp *= delta
            acc_delta += tmp
            np.multiply(delta, lr, out=delta)
            np.subtract(theta, delta, out=theta)

        self._run_update(params, items, kernel, 3)
