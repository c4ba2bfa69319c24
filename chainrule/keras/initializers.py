"""Weight initializers with Keras's names, formulas and defaults (``keras.initializers``).

An initializer is called with a shape and returns a NumPy array; layers wrap it in an
``nn.Parameter``. Random draws come from chainrule's global generator (``chainrule.manual_seed``
or ``keras.utils.set_random_seed`` make them reproducible) unless a ``seed`` is given.
Fans follow Keras: a kernel ``(..., in, out)`` has ``fan_in = in * receptive_field`` and
``fan_out = out * receptive_field``.

Example:
    >>> from chainrule import keras
    >>> w = keras.initializers.get("glorot_uniform")((784, 512))
    >>> w.shape, w.dtype, bool(abs(w).max() <= (6 / (784 + 512)) ** 0.5)
    ((784, 512), dtype('float32'), True)
"""

from __future__ import annotations

import math

import numpy as np

from ..random import numpy_rng
from .backend import np_dtype, snake_case

__all__ = ["Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity",
           "Initializer", "LecunNormal", "LecunUniform", "Ones", "Orthogonal", "RandomNormal",
           "RandomUniform", "TruncatedNormal", "VarianceScaling", "Zeros", "get", "serialize"]


def compute_fans(shape) -> tuple[float, float]:
    """``(fan_in, fan_out)`` of a weight shape, Keras's way (last two axes are in/out).

    Example:
        >>> compute_fans((3, 3, 16, 32))
        (144.0, 288.0)
    """
    shape = tuple(shape)
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = math.prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


class Initializer:
    """Base class: ``init(shape, dtype=None)`` returns a NumPy array of that shape.

    Example:
        >>> class Halves(Initializer):
        ...     def __call__(self, shape, dtype=None):
        ...         return np.full(shape, 0.5, dtype=np_dtype(dtype))
        >>> Halves()((2,)).tolist()
        [0.5, 0.5]
    """

    def __call__(self, shape, dtype=None) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__")

    def get_config(self) -> dict:
        """The constructor arguments (JSON-able)."""
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Initializer:
        """Rebuild an initializer from ``get_config()``."""
        return cls(**config)

    def _rng(self) -> np.random.Generator:
        seed = getattr(self, "seed", None)
        if seed is None:
            return numpy_rng()
        # A seeded initializer draws the same values every call, as Keras's do.
        return np.random.default_rng(seed)


class Zeros(Initializer):
    """All zeros (Keras's default bias initializer).

    Example:
        >>> Zeros()((2,)).tolist()
        [0.0, 0.0]
    """

    def __call__(self, shape, dtype=None):
        return np.zeros(shape, dtype=np_dtype(dtype))


class Ones(Initializer):
    """All ones (BatchNormalization's gamma).

    Example:
        >>> Ones()((2,)).tolist()
        [1.0, 1.0]
    """

    def __call__(self, shape, dtype=None):
        return np.ones(shape, dtype=np_dtype(dtype))


class Constant(Initializer):
    """Every value equal to ``value``.

    Args:
        value: the constant.

    Example:
        >>> Constant(3.0)((1,)).tolist()
        [3.0]
    """

    def __init__(self, value: float = 0.0) -> None:
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=np_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class RandomNormal(Initializer):
    """Normal draws with ``mean`` and ``stddev`` (default 0 and 0.05).

    Args:
        mean, stddev: the distribution's parameters.
        seed: optional integer seed (then every call gives the same values).

    Example:
        >>> RandomNormal(seed=1)((3,)).shape
        (3,)
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed=None) -> None:
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None):
        return self._rng().normal(self.mean, self.stddev, size=shape).astype(np_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer):
    """Uniform draws in ``[minval, maxval)`` (default ``[-0.05, 0.05)``).

    Args:
        minval, maxval: the interval.
        seed: optional integer seed.

    Example:
        >>> bool(abs(RandomUniform()((100,))).max() <= 0.05)
        True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed=None) -> None:
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=None):
        out = self._rng().uniform(self.minval, self.maxval, size=shape)
        return out.astype(np_dtype(dtype))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def _truncated_normal(rng: np.random.Generator, shape, mean: float, std: float) -> np.ndarray:
    """Normal draws re-drawn until within two standard deviations of the mean."""
    out = rng.normal(0.0, 1.0, size=shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.normal(0.0, 1.0, size=int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out * std + mean


class TruncatedNormal(Initializer):
    """Normal draws cut at two standard deviations (re-drawn), default stddev 0.05.

    Args:
        mean, stddev: the untruncated distribution's parameters.
        seed: optional integer seed.

    Example:
        >>> bool(abs(TruncatedNormal()((1000,))).max() <= 0.1)
        True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed=None) -> None:
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None):
        return _truncated_normal(self._rng(), shape, self.mean, self.stddev
                                 ).astype(np_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(Initializer):
    """Draws scaled to the weight's fans: variance ``scale / n`` with ``n`` from ``mode``.

    Args:
        scale: the variance factor.
        mode: ``'fan_in'``, ``'fan_out'`` or ``'fan_avg'``.
        distribution: ``'truncated_normal'``, ``'untruncated_normal'`` or ``'uniform'``.
        seed: optional integer seed.

    Example:
        >>> VarianceScaling(2.0, "fan_in", "uniform")((4, 3)).shape
        (4, 3)
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed=None) -> None:
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid `mode` argument: expected one of {{'fan_in', 'fan_out', "
                             f"'fan_avg'}}. Received: mode={mode!r}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(f"Invalid `distribution` argument: expected one of {{'uniform', "
                             f"'truncated_normal', 'untruncated_normal'}}. Received: "
                             f"distribution={distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        scale = self.scale / max(1.0, n[self.mode])
        rng = self._rng()
        if self.distribution == "truncated_normal":
            # 0.8796...: the stddev of a unit normal truncated at +-2, so the result has
            # exactly the requested variance.
            std = math.sqrt(scale) / 0.87962566103423978
            out = _truncated_normal(rng, shape, 0.0, std)
        elif self.distribution == "untruncated_normal":
            out = rng.normal(0.0, math.sqrt(scale), size=shape)
        else:
            limit = math.sqrt(3.0 * scale)
            out = rng.uniform(-limit, limit, size=shape)
        return np.asarray(out).astype(np_dtype(dtype))

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


class GlorotUniform(VarianceScaling):
    """Glorot/Xavier uniform: ``U(-l, l)`` with ``l = sqrt(6 / (fan_in + fan_out))``.

    Keras's default kernel initializer.

    Example:
        >>> GlorotUniform(seed=0)((3, 3)).shape
        (3, 3)
    """

    def __init__(self, seed=None) -> None:
        super().__init__(1.0, "fan_avg", "uniform", seed)

    def get_config(self):
        return {"seed": self.seed}


class GlorotNormal(VarianceScaling):
    """Glorot/Xavier truncated normal with stddev ``sqrt(2 / (fan_in + fan_out))``.

    Example:
        >>> GlorotNormal(seed=0)((3, 3)).shape
        (3, 3)
    """

    def __init__(self, seed=None) -> None:
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)

    def get_config(self):
        return {"seed": self.seed}


class HeNormal(VarianceScaling):
    """He truncated normal with stddev ``sqrt(2 / fan_in)`` (for ReLU layers).

    Example:
        >>> HeNormal(seed=0)((3, 3)).shape
        (3, 3)
    """

    def __init__(self, seed=None) -> None:
        super().__init__(2.0, "fan_in", "truncated_normal", seed)

    def get_config(self):
        return {"seed": self.seed}


class HeUniform(VarianceScaling):
    """He uniform: ``U(-l, l)`` with ``l = sqrt(6 / fan_in)``.

    Example:
        >>> HeUniform(seed=0)((3, 3)).shape
        (3, 3)
    """

    def __init__(self, seed=None) -> None:
        super().__init__(2.0, "fan_in", "uniform", seed)

    def get_config(self):
        return {"seed": self.seed}


class LecunNormal(VarianceScaling):
    """LeCun truncated normal with stddev ``sqrt(1 / fan_in)`` (for SELU).

    Example:
        >>> LecunNormal(seed=0)((3, 3)).shape
        (3, 3)
    """

    def __init__(self, seed=None) -> None:
        super().__init__(1.0, "fan_in", "truncated_normal", seed)

    def get_config(self):
        return {"seed": self.seed}


class LecunUniform(VarianceScaling):
    """LeCun uniform: ``U(-l, l)`` with ``l = sqrt(3 / fan_in)``.

    Example:
        >>> LecunUniform(seed=0)((3, 3)).shape
        (3, 3)
    """

    def __init__(self, seed=None) -> None:
        super().__init__(1.0, "fan_in", "uniform", seed)

    def get_config(self):
        return {"seed": self.seed}


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``gain`` (LSTM's recurrent kernel default).

    Args:
        gain: multiplicative factor.
        seed: optional integer seed.

    Example:
        >>> q = Orthogonal(seed=0)((4, 4))
        >>> bool(np.allclose(q @ q.T, np.eye(4), atol=1e-5))
        True
    """

    def __init__(self, gain: float = 1.0, seed=None) -> None:
        self.gain, self.seed = gain, seed

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"The tensor to initialize must be at least two-dimensional. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().normal(0.0, 1.0, size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q[:rows, :cols]).reshape(shape).astype(np_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only).

    Example:
        >>> Identity()((2, 2)).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity matrix initializer can only be used for 2D matrices. "
                             f"Received: shape={tuple(shape)} of rank {len(shape)}.")
        return (self.gain * np.eye(*shape)).astype(np_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


_CLASSES = [Constant, GlorotNormal, GlorotUniform, HeNormal, HeUniform, Identity, LecunNormal,
            LecunUniform, Ones, Orthogonal, RandomNormal, RandomUniform, TruncatedNormal,
            VarianceScaling, Zeros]
_ALIASES = {snake_case(c.__name__): c for c in _CLASSES}
_ALIASES.update({c.__name__: c for c in _CLASSES})
_ALIASES.update({"uniform": RandomUniform, "normal": RandomNormal, "zero": Zeros, "one": Ones,
                 "xavier_uniform": GlorotUniform, "xavier_normal": GlorotNormal})


def get(identifier) -> Initializer:
    """Resolve an initializer given by name (``'glorot_uniform'``, ``'he_normal'`` …), by
    config dict, or as an ``Initializer``/callable.

    Args:
        identifier: the initializer spec.

    Returns:
        A callable ``(shape, dtype=None) -> np.ndarray``.

    Raises:
        ValueError: unknown name (the message lists the known ones).

    Example:
        >>> type(get("he_normal")).__name__
        'HeNormal'
    """
    if identifier is None:
        return Zeros()
    if isinstance(identifier, Initializer) or callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        cls = _ALIASES.get(identifier.get("class_name", ""))
        if cls is None:
            raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        cls = _ALIASES.get(identifier) or _ALIASES.get(identifier.lower())
        if cls is None:
            known = ", ".join(sorted(k for k in _ALIASES if k.islower()))
            raise ValueError(f"Could not interpret initializer identifier: {identifier!r}. "
                             f"Known initializers: {known}")
        return cls()
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")


def serialize(init) -> dict | None:
    """A JSON-able description of an initializer (``{'class_name', 'config'}``).

    Example:
        >>> serialize(Constant(2.0))
        {'class_name': 'Constant', 'config': {'value': 2.0}}
    """
    if init is None:
        return None
    if isinstance(init, Initializer):
        return {"class_name": type(init).__name__, "config": init.get_config()}
    raise ValueError(f"Cannot serialize the initializer {init!r}: only "
                     f"keras.initializers.Initializer objects can be saved")
