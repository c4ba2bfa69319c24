"""All layer classes of ``chainrule.nn``; each family lives in its own module."""

import importlib as _importlib
import warnings as _warnings

from .activation import *
from .activation import __all__ as _activation_all
from .container import *
from .container import __all__ as _container_all
from .dropout import *
from .dropout import __all__ as _dropout_all
from .flatten import *
from .flatten import __all__ as _flatten_all
from .linear import *
from .linear import __all__ as _linear_all
from .module import Module
from .normalization import *
from .normalization import __all__ as _normalization_all
from .sparse import *
from .sparse import __all__ as _sparse_all

__all__ = ["Module", *_activation_all, *_container_all, *_dropout_all, *_flatten_all,
           *_linear_all, *_normalization_all, *_sparse_all]

# Families maintained separately; a missing file (work in progress) leaves them out without
# breaking ``import chainrule.nn``, and a broken one is reported as a warning.
_OPTIONAL = ("conv", "pooling", "rnn", "loss", "padding", "upsampling", "pixelshuffle",
             "distance", "fold", "channelshuffle", "transformer")

for _name in _OPTIONAL:
    _full = f"{__name__}.{_name}"
    try:
        _mod = _importlib.import_module(_full)
    except ModuleNotFoundError as _exc:
        if _exc.name != _full:
            _warnings.warn(f"chainrule.nn: could not import {_full}: {_exc!r}", stacklevel=2)
        continue
    except Exception as _exc:  # noqa: BLE001 - keep nn importable while a family is broken
        _warnings.warn(f"chainrule.nn: could not import {_full}: {_exc!r}", stacklevel=2)
        continue
    _missing = [a for a in getattr(_mod, "__all__", ()) if not hasattr(_mod, a)]
    if _missing:
        _warnings.warn(f"chainrule.nn: {_full} lists undefined names {_missing}", stacklevel=2)
    for _attr in getattr(_mod, "__all__", ()):
        if _attr not in _missing:
            globals()[_attr] = getattr(_mod, _attr)
            __all__.append(_attr)

del _name, _full
