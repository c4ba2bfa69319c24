"""Adam: adaptive moment estimation (with optional AMSGrad and decoupled weight decay)."""

from __future__ import annotations

import numpy as np

from . import _fused
from .optimizer import (
    Optimizer,
    _check_betas,
    _check_eps,
    _check_flags,
    _check_lr,
    _check_weight_decay,
    _scalar,
)

__all__ = ["Adam"]


class Adam(Optimizer):
    r"""Adam, as in Kingma & Ba (2015), "Adam: A Method for Stochastic Optimization" (ICLR).

    For each parameter :math:`\theta` with gradient :math:`g` (negated if ``maximize``), at
    step :math:`t`::

        theta <- theta * (1 - lr * weight_decay)   (decoupled_weight_decay, as AdamW)
        g <- g + weight_decay * theta               (otherwise, if weight_decay != 0)
        m <- beta1 * m + (1 - beta1) * g            (computed as a lerp)
        v <- beta2 * v + (1 - beta2) * g * g
        v_max <- max(v_max, v)                      (amsgrad: use v_max below instead of v)
        theta <- theta - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    AMSGrad from Reddi et al. (2018), "On the Convergence of Adam and Beyond" (ICLR).

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate (default 1e-3).
        betas: coefficients of the running averages of the gradient and its square
            (default ``(0.9, 0.999)``).
        eps: term added to the denominator for numerical stability (default 1e-8).
        weight_decay: L2 penalty (default 0), or decoupled decay with
            ``decoupled_weight_decay=True``.
        amsgrad: use the AMSGrad variant.
        maximize: maximize the objective instead of minimizing it.
        decoupled_weight_decay: decay the weights directly, as AdamW does.
        foreach, capturable, fused, differentiable: accepted for compatibility
            (``differentiable=True`` is not supported).

    State per parameter: ``step`` (0-d float32 tensor), ``exp_avg``, ``exp_avg_sq`` and, with
    ``amsgrad``, ``max_exp_avg_sq``.

    Example:
        >>> import chainrule
        >>> from chainrule import optim
        >>> w = chainrule.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.Adam([w], lr=0.1)
        >>> w.grad = chainrule.tensor([0.5, -3.0])
        >>> opt.step()
        >>> [round(v, 4) for v in w.tolist()]  # the first Adam step moves each weight by ~lr
        [0.9, -1.9]
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        _check_lr(lr)
        _check_eps(eps)
        betas = _check_betas(betas)
        _check_weight_decay(weight_decay)
        _check_flags(differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _update_group(self, group, params) -> None:
        lr = _scalar(group["lr"])
        beta1, beta2 = (_scalar(b) for b in group["betas"])
        eps, weight_decay = group["eps"], group["weight_decay"]
        amsgrad, maximize = group.get("amsgrad", False), group.get("maximize", False)
        decoupled = group.get("decoupled_weight_decay", False)
        items = []
        for p in params:
            state = self.state[p]
            if len(state) == 0:
                state["step"] = self._scalar_tensor(0.0)
                state["exp_avg"] = self._zeros_like(p)
                state["exp_avg_sq"] = self._zeros_like(p)
                if amsgrad:
                    state["max_exp_avg_sq"] = self._zeros_like(p)
            step_t = state["step"]._data
            step_t += 1
            step = float(step_t)
            step_size = lr / (1 - beta1 ** step)
            bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
            arrays = [p._data, p._grad._data, state["exp_avg"]._data, state["exp_avg_sq"]._data]
            if amsgrad:
                arrays.append(state["max_exp_avg_sq"]._data)
            items.append(((step_size, bias_correction2_sqrt), arrays))
        decay = weight_decay != 0 and decoupled
        moments = self._adam_moments
        factor, l2 = (1 - lr * weight_decay, 0) if decay else (1, weight_decay)

        def kernel(h, theta, g, m, v, *rest):
            step_size, bias_correction2_sqrt = h
            d, tmp = rest[-2:]
            moments(theta, g, m, v, d, tmp, (beta1, beta2), factor, l2, maximize)
            if amsgrad:
                np.maximum(rest[0], v, out=rest[0])
                v = rest[0]
            if step_size == 0:  # lr 0 (e.g. a warm-up schedule): the moments still move
                return
            # theta -= step_size * m / (sqrt(v) / bc2 + eps), with the two scalars folded
            # into the denominator: one pass fewer
            np.sqrt(v, out=tmp)
            tmp *= 1 / (bias_correction2_sqrt * step_size)
            tmp += eps / step_size
            np.divide(m, tmp, out=d)  # g is no longer needed, d may be reused
            np.subtract(theta, d, out=theta)

        fused = None if amsgrad else lambda h, arrays: _fused.adam(
            arrays, beta1, beta2, h[0], h[1], eps, l2, factor, maximize)
        self._run_update(params, items, kernel, 2, fused)
