"""Neural networks: ``Module`` and the layers, ``Parameter``, ``init``, ``functional``,
``utils``, as ``torch.nn``.

Example:
    >>> import chainrule as torch
    >>> from chainrule import nn
    >>> model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))
    >>> model(torch.zeros(1, 784)).shape
    torch.Size([1, 10])
"""

import importlib as _importlib

from . import init, modules, parameter, utils
from .modules import *
from .modules import __all__ as _modules_all
from .parameter import Buffer, Parameter

__all__ = ["Parameter", "Buffer", "init", "utils", "functional", "modules", "parameter",
           *_modules_all]

try:  # nn.functional is written by another owner; keep nn importable while it is missing
    functional = _importlib.import_module(f"{__name__}.functional")
except ModuleNotFoundError as _exc:
    if _exc.name != f"{__name__}.functional":
        raise
