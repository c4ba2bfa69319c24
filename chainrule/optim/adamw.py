"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""AdamW, as in Loshchilov & Hutter (2019), "Decoupled Weight Decay Regularization" (ICLR).

    Adam whose weight decay shrinks the weights directly instead of entering the gradient (and
    so the moment estimates)::

        theta <- theta * (1 - lr * weight_decay)
        then the Adam update of ``Adam`` (with amsgrad/maximize as there)

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate (default 1e-3).
        betas: running-average coefficients (default ``(0.9, 0.999)``).
        eps: denominator term for numerical stability (default 1e-8).
        weight_decay: decoupled weight decay coefficient (default 1e-2).
        amsgrad: use the AMSGrad variant.
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable, fused, differentiable: accepted for compatibility.

    State per parameter: as ``Adam``.

    Example:
        >>> import chainrule
        >>> from chainrule import optim
        >>> w = chainrule.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> w.grad = chainrule.tensor([0.0, 0.0])
        >>> opt.step()  # a zero gradient: only the decay acts, w * (1 - 0.1 * 0.5)
        >>> [round(v, 4) for v in w.tolist()]
        [0.95, -1.9]
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True

