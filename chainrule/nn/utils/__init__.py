"""Utilities for modules and parameters: gradient clipping, flattening parameters into a
vector, and the model summary table."""

import importlib as _importlib

from .clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .summary import summary

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
    "parameters_to_vector",
    "summary",
    "vector_to_parameters",
]

try:  # nn.utils.rnn (packed sequences) belongs to the RNN family, written separately
    rnn = _importlib.import_module(f"{__name__}.rnn")
    __all__.append("rnn")
except ModuleNotFoundError as _exc:
    if _exc.name != f"{__name__}.rnn":
        raise
