"""NAdam: Adam with Nesterov momentum."""

from __future__ import annotations

import numpy as np

from .optimizer import (
    Optimizer,
    _check,
    _check_betas,
    _check_eps,
    _check_flags,
    _check_lr,
    _check_weight_decay,
    _scalar,
)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam, as in Dozat (2016), "Incorporating Nesterov Momentum into Adam" (ICLR workshop),
    with the momentum schedule of that paper; decoupled weight decay as in Loshchilov & Hutter
    (2019), "Decoupled Weight Decay Regularization".

    For each parameter :math:`\theta` with gradient :math:`g` (negated if ``maximize``), at
    step :math:`t`, with ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))`` and
    ``P_t = mu_1 * ... * mu_t``::

        theta <- theta * (1 - lr * weight_decay)      (decoupled_weight_decay)
        g <- g + weight_decay * theta                  (otherwise, if weight_decay != 0)
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g * g
        den <- sqrt(v / (1 - beta2**t)) + eps
        theta <- theta - lr * (1 - mu_t) / (1 - P_t) * g / den
                       - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / den

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate (default 2e-3).
        betas: running-average coefficients (default ``(0.9, 0.999)``).
        eps: denominator term for numerical stability (default 1e-8).
        weight_decay: weight decay coefficient (default 0).
        momentum_decay: the momentum schedule's decay (default 4e-3).
        decoupled_weight_decay: decay the weights directly, as AdamW does (NAdamW).
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable, differentiable: accepted for compatibility.

    State per parameter: ``step``, ``mu_product`` (0-d float32), ``exp_avg`` and ``exp_avg_sq``.

    Example:
        >>> import chainrule
        >>> from chainrule import optim
        >>> w = chainrule.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.NAdam([w], lr=0.1)
        >>> w.grad = chainrule.tensor([1.0, -1.0])
        >>> opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.8944, -1.8944]
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        _check_eps(eps)
        betas = _check_betas(betas)
        _check_weight_decay(weight_decay)
        _check(0.0 <= momentum_decay, f"Invalid momentum_decay value: {momentum_decay}")
        _check_flags(differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update_group(self, group, params) -> None:
        lr = _scalar(group["lr"])
        beta1, beta2 = (_scalar(b) for b in group["betas"])
        eps, weight_decay = group["eps"], group["weight_decay"]
        maximize = group.get("maximize", False)
        momentum_decay = group["momentum_decay"]
        decoupled = group.get("decoupled_weight_decay", False)
        items = []
        for p in params:
            state = self.state[p]
            if len(state) == 0:
                state["step"] = self._scalar_tensor(0.0)
                state["mu_product"] = self._scalar_tensor(1.0)
                state["exp_avg"] = self._zeros_like(p)
                state["exp_avg_sq"] = self._zeros_like(p)
            step_t = state["step"]._data
            step_t += 1
            step = float(step_t)
            bias_correction2 = 1 - beta2 ** step
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
            mu_product_t = state["mu_product"]._data
            mu_product_t *= mu  # kept in float32 as PyTorch keeps it
            mu_product = float(mu_product_t)
            grad_coef = -lr * (1.0 - mu) / (1.0 - mu_product)
            avg_coef = (-lr * mu_next) / (1.0 - mu_product * mu_next)
            items.append(((bias_correction2, grad_coef, avg_coef),
                          [p._data, p._grad._data, state["exp_avg"]._data,
                           state["exp_avg_sq"]._data]))
        decay = weight_decay != 0 and decoupled
        moments = self._adam_moments
        factor, l2 = (1 - lr * weight_decay, 0) if decay else (1, weight_decay)

        def kernel(h, theta, g, exp_avg, exp_avg_sq, d, tmp):
            bias_correction2, grad_coef, avg_coef = h
            g = moments(theta, g, exp_avg, exp_avg_sq, d, tmp, (beta1, beta2), factor, l2,
                        maximize)
            np.divide(exp_avg_sq, bias_correction2, out=tmp)
            np.sqrt(tmp, out=tmp)
            tmp += eps  # tmp: the denominator
            np.multiply(g, grad_coef, out=d)
            d /= tmp
            theta += d
            np.multiply(exp_avg, avg_coef, out=d)
            d /= tmp
            theta += d

        self._run_update(params, items, kernel, 2)
