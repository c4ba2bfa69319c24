"""Learning-rate schedulers with PyTorch's API and sequences (``chainrule.optim.lr_scheduler``).

Create a scheduler after its optimizer, call ``optimizer.step()`` then ``scheduler.step()`` once
per epoch (per batch for ``CyclicLR`` and ``OneCycleLR``), and read the current values with
``get_last_lr()``. ``ReduceLROnPlateau.step(metric)`` takes the monitored metric.

Example:
    >>> import chainrule
    >>> from chainrule import optim
    >>> opt = optim.SGD([chainrule.tensor([0.0], requires_grad=True)], lr=0.1)
    >>> sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    >>> opt.step(); sched.step()
    >>> opt.param_groups[0]["lr"]
    0.05
"""

from ._schedulers_base import (
                               ConstantLR,
                               ExponentialLR,
                               LambdaLR,
                               LinearLR,
                               LRScheduler,
                               MultiplicativeLR,
                               MultiStepLR,
                               PolynomialLR,
                               StepLR,
                               _LRScheduler,
)
from ._schedulers_composite import ChainedScheduler, ReduceLROnPlateau, SequentialLR
from ._schedulers_cyclic import CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR

__all__ = [
                               "ChainedScheduler",
                               "ConstantLR",
                               "CosineAnnealingLR",
                               "CosineAnnealingWarmRestarts",
                               "CyclicLR",
                               "ExponentialLR",
                               "LRScheduler",
                               "LambdaLR",
                               "LinearLR",
                               "MultiStepLR",
                               "MultiplicativeLR",
                               "OneCycleLR",
                               "PolynomialLR",
                               "ReduceLROnPlateau",
                               "SequentialLR",
                               "StepLR",
                               "_LRScheduler",
]
