"""Optimizers and learning-rate schedulers with PyTorch's API (``chainrule.optim``).

Every optimizer updates the parameter arrays in place, outside the autograd graph, and keeps
its state (momentum buffers, moment estimates) as tensors in ``optimizer.state[param]``.
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .nadam import NAdam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
           "SGD",
           "Adadelta",
           "Adagrad",
           "Adam",
           "AdamW",
           "Adamax",
           "NAdam",
           "Optimizer",
           "RMSprop",
           "lr_scheduler",
]
