"""Adagrad: per-coordinate learning rates from the accumulated squared gradients."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .optimizer import (
    Optimizer,
    _check,
    _check_eps,
    _check_flags,
    _check_lr,
    _check_weight_decay,
    _scalar,
)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad, as in Duchi, Hazan & Singer (2011), "Adaptive Subgradient Methods for Online
    Learning and Stochastic Optimization" (JMLR 12).

    For each parameter :math:`\theta` with gradient :math:`g` (negated if ``maximize``), at
    step :math:`t`::

        g <- g + weight_decay * theta                  (if weight_decay != 0)
        lr_t <- lr / (1 + (t - 1) * lr_decay)
        s <- s + g * g                                 (s starts at initial_accumulator_value)
        theta <- theta - lr_t * g / (sqrt(s) + eps)

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay per step (default 0).
        weight_decay: L2 penalty (default 0).
        initial_accumulator_value: starting value of the sum of squares (default 0).
        eps: denominator term for numerical stability (default 1e-10).
        maximize: maximize the objective instead of minimizing it.
        foreach, fused, differentiable: accepted for compatibility.

    State per parameter (created in the constructor, as PyTorch does): ``step`` and ``sum``.

    Example:
        >>> import chainrule
        >>> from chainrule import optim
        >>> w = chainrule.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.Adagrad([w], lr=0.5)
        >>> w.grad = chainrule.tensor([2.0, -0.1])
        >>> opt.step()  # first step: lr * g / |g| = lr * sign(g)
        >>> [round(v, 4) for v in w.tolist()]
        [0.5, -1.5]
    """

    def __init__(self, params, lr=1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10,
                 foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        _check_lr(lr)
        _check(0.0 <= lr_decay, f"Invalid lr_decay value: {lr_decay}")
        _check_weight_decay(weight_decay)
        _check(0.0 <= initial_accumulator_value,
               f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        _check_eps(eps)
        _check_flags(differentiable)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, initial_accumulator_value)

    def _init_state(self, p: Tensor, initial_value: float) -> None:
        state = self.state[p]
        state["step"] = self._scalar_tensor(0.0)
        state["sum"] = Tensor._make(np.full_like(p._data, initial_value, order="C"))

    def _update_group(self, group, params) -> None:
        lr, lr_decay = _scalar(group["lr"]), group["lr_decay"]
        eps, weight_decay = group["eps"], group["weight_decay"]
        maximize = group.get("maximize", False)
        items = []
        for p in params:
            state = self.state[p]
            if len(state) == 0:  # a group added after construction, as PyTorch does
                self._init_state(p, self.defaults["initial_accumulator_value"])
            step_t = state["step"]._data
            step_t += 1
            clr = lr / (1 + (float(step_t) - 1) * lr_decay)
            items.append((clr, [p._data, p._grad._data, state["sum"]._data]))
        effective_grad = self._effective_grad

        def kernel(clr, theta, g, total, d, tmp):
            g = effective_grad(theta, g, d, maximize, weight_decay)
            np.multiply(g, g, out=tmp)
            total += tmp
            np.sqrt(total, out=tmp)
            tmp += eps
            np.multiply(g, -clr, out=d)
            d /= tmp
            theta += d

        self._run_update(params, items, kernel, 2)
