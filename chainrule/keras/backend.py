"""Session-wide state of the Keras front end: layer names, float type, epsilon and seeds.

Keras names layers after their class (``dense``, ``dense_1``, …) with counters that live for
the whole session; ``clear_session`` resets them, as ``keras.backend.clear_session`` does.

Example:
    >>> from chainrule import keras
    >>> keras.backend.clear_session()
    >>> keras.layers.Dense(3).name, keras.layers.Dense(3).name
    ('dense', 'dense_1')
"""

from __future__ import annotations

import random
import re

import numpy as np

__all__ = [
    "backend",
    "clear_session",
    "epsilon",
    "floatx",
    "get_uid",
    "image_data_format",
    "set_epsilon",
    "set_floatx",
    "set_random_seed",
    "snake_case",
    "unique_name",
]

_NAME_COUNTS: dict[str, int] = {}
_EPSILON = [1e-7]
_FLOATX = ["float32"]


def backend() -> str:
    """The name of the array backend: always ``'chainrule'`` (NumPy underneath).

    Example:
        >>> from chainrule import keras
        >>> keras.backend.backend()
        'chainrule'
    """
    return "chainrule"


def image_data_format() -> str:
    """The image layout Keras layers use: ``'channels_last'`` (``(N, H, W, C)``).

    Example:
        >>> from chainrule import keras
        >>> keras.backend.image_data_format()
        'channels_last'
    """
    return "channels_last"


def snake_case(name: str) -> str:
    """Turn a class name into Keras's default layer name (``MaxPooling2D`` → ``max_pooling2d``).

    Args:
        name: a CamelCase class name.

    Returns:
        The lower-case, underscore-separated name.

    Example:
        >>> snake_case("GlobalAveragePooling2D"), snake_case("LSTM")
        ('global_average_pooling2d', 'lstm')
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def get_uid(prefix: str = "") -> int:
    """Count how many times ``prefix`` was asked for in this session (1 the first time).

    Args:
        prefix: the name being counted.

    Returns:
        The 1-based count.

    Example:
        >>> clear_session()
        >>> get_uid("x"), get_uid("x")
        (1, 2)
    """
    _NAME_COUNTS[prefix] = _NAME_COUNTS.get(prefix, 0) + 1
    return _NAME_COUNTS[prefix]


def unique_name(base: str) -> str:
    """``base`` the first time, then ``base_1``, ``base_2`` … (Keras's automatic names).

    Args:
        base: the snake-case name.

    Returns:
        A name not handed out before in this session.

    Example:
        >>> clear_session()
        >>> unique_name("dense"), unique_name("dense")
        ('dense', 'dense_1')
    """
    n = get_uid(base)
    return base if n == 1 else f"{base}_{n - 1}"


def clear_session(free_memory: bool = True) -> None:
    """Reset the automatic layer names (the next ``Dense`` is called ``dense`` again).

    Args:
        free_memory: accepted for compatibility (there is no graph to free).

    Example:
        >>> clear_session()
        >>> unique_name("conv2d")
        'conv2d'
    """
    _NAME_COUNTS.clear()


def floatx() -> str:
    """The default float type of weights and inputs (``'float32'``).

    Example:
        >>> floatx()
        'float32'
    """
    return _FLOATX[0]


def set_floatx(value: str) -> None:
    """Set the default float type (only ``'float32'`` and ``'float64'`` are supported).

    Args:
        value: ``'float32'`` or ``'float64'``.

    Example:
        >>> set_floatx("float32")
    """
    if value not in ("float32", "float64"):
        raise ValueError(f"Unknown `floatx` value: {value!r}. Expected one of "
                         f"{{'float32', 'float64'}}")
    _FLOATX[0] = value


def epsilon() -> float:
    """The fuzz factor used in losses and optimizers (``1e-7``, as Keras).

    Example:
        >>> epsilon()
        1e-07
    """
    return _EPSILON[0]


def set_epsilon(value: float) -> None:
    """Set the fuzz factor returned by ``epsilon()``.

    Args:
        value: the new epsilon.

    Example:
        >>> set_epsilon(1e-7)
    """
    _EPSILON[0] = float(value)


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy and chainrule at once, as ``keras.utils.set_random_seed``.

    Args:
        seed: an integer seed.

    Example:
        >>> set_random_seed(0)
    """
    if not isinstance(seed, (int, np.integer)):
        msg = (f"Expected `seed` argument to be an integer. Received: seed={seed} "
               f"(of type {type(seed)})")
        raise ValueError(msg)  # noqa: TRY004
    from .. import random as _cr_random

    random.seed(int(seed))
    np.random.seed(int(seed))
    _cr_random.manual_seed(int(seed))


def np_dtype(dtype) -> np.dtype:
    """The NumPy dtype for a Keras dtype spec (a name, a NumPy dtype or None for floatx).

    Example:
        >>> np_dtype(None), np_dtype("int32")
        (dtype('float32'), dtype('int32'))
    """
    if dtype is None:
        return np.dtype(floatx())
    if hasattr(dtype, "np"):  # a chainrule dtype
        return np.dtype(dtype.np)
    return np.dtype(str(dtype)) if not isinstance(dtype, np.dtype) else dtype
