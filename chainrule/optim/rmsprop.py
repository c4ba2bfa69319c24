"""RMSprop: gradients divided by a running root-mean-square of recent gradients."""

from __future__ import annotations

import numpy as np

from . import _fused
from .optimizer import (
    Optimizer,
    _check,
    _check_eps,
    _check_flags,
    _check_lr,
    _check_weight_decay,
    _scalar,
)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, from Hinton's lecture 6e of "Neural Networks for Machine Learning" (Coursera,
    2012); the centered variant from Graves (2013), "Generating Sequences With Recurrent
    Neural Networks" (arXiv:1308.0850).

    For each parameter :math:`\theta` with gradient :math:`g` (negated if ``maximize``)::

        g <- g + weight_decay * theta                    (if weight_decay != 0)
        v <- alpha * v + (1 - alpha) * g * g
        a <- alpha * a + (1 - alpha) * g                 (centered)
        den <- sqrt(v - a * a) + eps  (centered)   or   sqrt(v) + eps
        b <- momentum * b + g / den;  theta <- theta - lr * b      (if momentum > 0)
        theta <- theta - lr * g / den                              (otherwise)

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant (default 0.99).
        eps: denominator term for numerical stability (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalise by an estimate of the gradient's variance.
        maximize: maximize the objective instead of minimizing it.
        capturable, foreach, differentiable: accepted for compatibility.

    State per parameter: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0) and
    ``grad_avg`` (centered).

    Example:
        >>> import chainrule
        >>> from chainrule import optim
        >>> w = chainrule.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.RMSprop([w], lr=0.01, alpha=0.75)
        >>> w.grad = chainrule.tensor([1.0, -1.0])
        >>> opt.step()  # first step: lr * g / sqrt(0.25 * g**2) = 2 * lr * sign(g)
        >>> [round(v, 4) for v in w.tolist()]
        [0.98, -1.98]
    """

    def __init__(self, params, lr=1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        _check_lr(lr)
        _check_eps(eps)
        _check(0.0 <= momentum, f"Invalid momentum value: {momentum}")
        _check_weight_decay(weight_decay)
        _check(0.0 <= alpha, f"Invalid alpha value: {alpha}")
        _check_flags(differentiable)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "capturable": capturable,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update_group(self, group, params) -> None:
        lr, alpha, eps = _scalar(group["lr"]), group["alpha"], group["eps"]
        weight_decay, momentum = group["weight_decay"], group["momentum"]
        centered, maximize = group["centered"], group.get("maximize", False)
        items = []
        for p in params:
            state = self.state[p]
            if len(state) == 0:
                state["step"] = self._scalar_tensor(0.0)
                state["square_avg"] = self._zeros_like(p)
                if momentum > 0:
                    state["momentum_buffer"] = self._zeros_like(p)
                if centered:
                    state["grad_avg"] = self._zeros_like(p)
            state["step"]._data += 1
            arrays = [p._data, p._grad._data, state["square_avg"]._data]
            if momentum > 0:
                arrays.append(state["momentum_buffer"]._data)
            if centered:
                arrays.append(state["grad_avg"]._data)
            items.append((None, arrays))
        effective_grad, lerp_ = self._effective_grad, self._lerp_

        def kernel(h, theta, g, square_avg, *rest):
            d, tmp = rest[-2:]
            g = effective_grad(theta, g, d, maximize, weight_decay)
            square_avg *= alpha
            np.multiply(g, 1 - alpha, out=tmp)
            tmp *= g
            square_avg += tmp
            if centered:
                grad_avg = rest[-3]
                lerp_(grad_avg, g, 1 - alpha, tmp)
                np.multiply(grad_avg, grad_avg, out=tmp)
                np.subtract(square_avg, tmp, out=tmp)
                np.sqrt(tmp, out=tmp)
            else:
                np.sqrt(square_avg, out=tmp)
            tmp += eps  # tmp: the denominator
            if momentum > 0:
                buf = rest[0]
                buf *= momentum
                np.divide(g, tmp, out=tmp)
                buf += tmp
                np.multiply(buf, lr, out=tmp)
                np.subtract(theta, tmp, out=theta)
            else:
                np.divide(g, tmp, out=tmp)
                tmp *= lr
                np.subtract(theta, tmp, out=theta)

        fused = None if momentum or centered else lambda h, arrays: _fused.rmsprop(
            arrays, alpha, lr, eps, weight_decay, maximize)
        self._run_update(params, items, kernel, 2, fused)
