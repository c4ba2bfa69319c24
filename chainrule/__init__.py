"""chainrule: a define-by-run deep-learning framework on NumPy with PyTorch's API.

``import chainrule as torch`` runs ordinary PyTorch teaching code on the CPU.
"""

from . import _dtypes
from ._device import cuda, device
from ._dtypes import (bfloat16, bool, double, dtype, finfo, float, float16, float32, float64,
                      get_default_dtype, half, iinfo, int, int8, int16, int32, int64, long,
                      promote_types, result_type, set_default_dtype, short, uint8, can_cast)
from ._tensor import Size, Tensor, as_tensor, from_numpy, is_tensor, tensor
from . import ops
from .ops import *  # noqa: F401,F403
from .ops.reduction import return_types
from . import autograd
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .random import Generator, default_generator, initial_seed, manual_seed, seed
from .random import get_rng_state, set_rng_state
from ._tensor_str import get_printoptions, set_printoptions
from ._parallel import get_num_threads, set_num_threads

__version__ = "0.1.0"


def is_floating_point(input: Tensor):
    """Whether ``input`` has a floating dtype."""
    return input.is_floating_point()


def numel(input: Tensor):
    """The number of elements of ``input``."""
    return input.numel()


_SUBMODULES = {"nn", "optim", "utils", "datasets", "transforms", "keras", "linalg", "viz", "func",
               "serialization"}
_LAZY = {"save": ("serialization", "save"), "load": ("serialization", "load"),
         "summary": ("nn.utils.summary", "summary")}


def __getattr__(name: str):
    """Import subpackages (``chainrule.nn``, ``chainrule.optim`` …) on first use."""
    import importlib

    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)
    raise AttributeError(f"module 'chainrule' has no attribute '{name}'")
