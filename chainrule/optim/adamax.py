"""Adamax: the infinity-norm variant of Adam."""

from __future__ import annotations

import numpy as np

from .optimizer import (
    Optimizer,
    _check_betas,
    _check_eps,
    _check_flags,
    _check_lr,
    _check_weight_decay,
    _scalar,
)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax, from section 7 of Kingma & Ba (2015), "Adam: A Method for Stochastic
    Optimization" (ICLR).

    For each parameter :math:`\theta` with gradient :math:`g` (negated if ``maximize``), at
    step :math:`t`::

        g <- g + weight_decay * theta                 (if weight_decay != 0)
        m <- beta1 * m + (1 - beta1) * g
        u <- max(beta2 * u, |g| + eps)
        theta <- theta - lr / (1 - beta1**t) * m / u

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate (default 2e-3).
        betas: coefficients of the running average and the infinity norm
            (default ``(0.9, 0.999)``).
        eps: term added to ``|g|`` for numerical stability (default 1e-8).
        weight_decay: L2 penalty (default 0).
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable, differentiable: accepted for compatibility.

    State per parameter: ``step``, ``exp_avg`` and ``exp_inf``.

    Example:
        >>> import chainrule
        >>> from chainrule import optim
        >>> w = chainrule.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.Adamax([w], lr=0.1)
        >>> w.grad = chainrule.tensor([4.0, -0.5])
        >>> opt.step()  # first step: lr * sign(g)
        >>> [round(v, 4) for v in w.tolist()]
        [0.9, -1.9]
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_lr(lr)
        _check_eps(eps)
        betas = _check_betas(betas)
        _check_weight_decay(weight_decay)
        _check_flags(differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def _update_group(self, group, params) -> None:
        lr = _scalar(group["lr"])
        beta1, beta2 = (_scalar(b) for b in group["betas"])
        eps, weight_decay = group["eps"], group["weight_decay"]
        maximize = group.get("maximize", False)
        items = []
        for p in params:
            state = self.state[p]
            if len(state) == 0:
                state["step"] = self._scalar_tensor(0.0)
                state["exp_avg"] = self._zeros_like(p)
                state["exp_inf"] = self._zeros_like(p)
            step_t = state["step"]._data
            step_t += 1
            clr = lr / (1 - beta1 ** float(step_t))
            items.append((clr, [p._data, p._grad._data, state["exp_avg"]._data,
                                state["exp_inf"]._data]))
        effective_grad, lerp_ = self._effective_grad, self._lerp_

        def kernel(clr, theta, g, exp_avg, exp_inf, d, tmp):
            g = effective_grad(theta, g, d, maximize, weight_decay)
            lerp_(exp_avg, g, 1 - beta1, tmp)
            exp_inf *= beta2
            np.abs(g, out=tmp)
            tmp += eps
            np.maximum(exp_inf, tmp, out=exp_inf)
            np.multiply(exp_avg, -clr, out=d)
            d /= exp_inf
            theta += d

        self._run_update(params, items, kernel, 2)
