"""Small synthetic datasets for teaching and tests: moons, circles, spirals, blobs, regression.

Every generator returns NumPy arrays: ``X`` float32 of shape (n_samples, n_features) and ``y``
int64 class labels (float32 targets for ``make_regression``), ready for
``TensorDataset(chainrule.from_numpy(X), chainrule.from_numpy(y))``. Pass
``return_tensors=True`` to get chainrule tensors instead.

``random_state`` may be None (draw from chainrule's global generator, so
``chainrule.manual_seed`` makes the data reproducible), an int seed, a chainrule ``Generator``
or a ``numpy.random.Generator``. The geometry follows scikit-learn's generators of the same
names (the random streams differ).
"""

from __future__ import annotations

import numbers

import numpy as np

from .._tensor import Tensor
from ..random import Generator, numpy_rng

__all__ = ["make_blobs", "make_circles", "make_moons", "make_regression", "make_spirals"]


def _rng(random_state) -> np.random.Generator:
    if random_state is None:
        return numpy_rng()
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, Generator):
        return random_state.np
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return np.random.default_rng(int(random_state))
    raise TypeError(f"random_state must be None, an int, a chainrule.Generator or a "
                    f"numpy.random.Generator, received {type(random_state).__name__}")


def _check_n(name: str, n, minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, received {name}={n!r}")
    return int(n)


def _finish(X, y, rng, shuffle: bool, noise: float | None, return_tensors: bool,
            y_dtype=np.int64):
    if noise:
        if noise < 0:
            raise ValueError(f"noise must be non-negative, received noise={noise}")
        X = X + rng.normal(scale=noise, size=X.shape)
    if shuffle:
        perm = rng.permutation(len(X))
        X, y = X[perm], y[perm]
    X, y = np.ascontiguousarray(X, np.float32), np.ascontiguousarray(y, y_dtype)
    if return_tensors:
        return Tensor._make(X), Tensor._make(y)
    return X, y


def _halves(n_samples) -> list[int]:
    """Outer/inner counts: a pair as given, or an int split as scikit-learn does (n // 2 outer)."""
    if isinstance(n_samples, (tuple, list)):
        return _split(n_samples, 2)
    n = _check_n("n_samples", n_samples)
    return [n // 2, n - n // 2]


def _split(n_samples, parts: int) -> list[int]:
    """``n_samples`` as a per-part tuple, or an int split evenly (remainder to the first)."""
    if isinstance(n_samples, (tuple, list)):
        if len(n_samples) != parts:
            raise ValueError(f"n_samples as a sequence needs {parts} entries, received "
                             f"{len(n_samples)}")
        return [_check_n("n_samples", k, 0) for k in n_samples]
    n = _check_n("n_samples", n_samples)
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


def make_moons(n_samples=100, *, shuffle: bool = True, noise: float | None = None,
               random_state=None, return_tensors: bool = False):
    """Two interleaving half circles (binary classification).

    Args:
        n_samples: total points (split between the moons), or a pair ``(outer, inner)``.
        shuffle: shuffle the points (else class 0 comes first).
        noise: standard deviation of Gaussian noise added to the coordinates.
        random_state: None, int, chainrule ``Generator`` or NumPy ``Generator``.
        return_tensors: return chainrule tensors instead of NumPy arrays.

    Returns:
        ``(X, y)``: float32 (n, 2) and int64 (n,) labels in {0, 1}.

    Example:
        >>> X, y = make_moons(100, noise=0.1, random_state=0)
        >>> X.shape, X.dtype, sorted(set(y.tolist()))
        ((100, 2), dtype('float32'), [0, 1])
    """
    n_out, n_in = _halves(n_samples)
    rng = _rng(random_state)
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], 1)])
    y = np.repeat([0, 1], [n_out, n_in])
    return _finish(X, y, rng, shuffle, noise, return_tensors)


def make_circles(n_samples=100, *, shuffle: bool = True, noise: float | None = None,
                 random_state=None, factor: float = 0.8, return_tensors: bool = False):
    """A large circle (class 0) around a smaller one (class 1).

    Args:
        n_samples: total points, or a pair ``(outer, inner)``.
        shuffle: shuffle the points.
        noise: standard deviation of Gaussian noise.
        random_state: None, int, chainrule ``Generator`` or NumPy ``Generator``.
        factor: inner radius / outer radius, in [0, 1).
        return_tensors: return chainrule tensors instead of NumPy arrays.

    Returns:
        ``(X, y)``: float32 (n, 2) and int64 (n,) labels in {0, 1}.

    Example:
        >>> X, y = make_circles(10, random_state=0, shuffle=False)
        >>> bool(abs((X[:5] ** 2).sum(1) - 1).max() < 1e-6), y.tolist()
        (True, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    """
    if not 0 <= factor < 1:
        raise ValueError(f"factor has to be between 0 and 1, received factor={factor}")
    n_out, n_in = _halves(n_samples)
    rng = _rng(random_state)
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        factor * np.stack([np.cos(t_in), np.sin(t_in)], 1)])
    y = np.repeat([0, 1], [n_out, n_in])
    return _finish(X, y, rng, shuffle, noise, return_tensors)


def make_spirals(n_samples=300, n_classes: int = 3, *, noise: float = 0.2, turns: float = 0.64,
                 shuffle: bool = True, random_state=None, return_tensors: bool = False):
    """Interleaved spiral arms, one per class (the classic CS231n toy problem).

    Point ``k`` of class ``j`` has radius ``r = k / (m - 1)`` and angle
    ``2π·turns·(j + r) + noise·N(0, 1)`` (noise in radians, applied to the angle).

    Args:
        n_samples: total points (split evenly between classes), or one count per class.
        n_classes: number of arms / classes (>= 1).
        noise: standard deviation of the angular noise.
        turns: how far each arm winds, in turns (0.64 ≈ the CS231n setting of 4 radians).
        shuffle: shuffle the points.
        random_state: None, int, chainrule ``Generator`` or NumPy ``Generator``.
        return_tensors: return chainrule tensors instead of NumPy arrays.

    Returns:
        ``(X, y)``: float32 (n, 2) within the unit disc and int64 (n,) labels.

    Example:
        >>> X, y = make_spirals(300, n_classes=3, random_state=0)
        >>> X.shape, [int((y == c).sum()) for c in range(3)]
        ((300, 2), [100, 100, 100])
    """
    n_classes = _check_n("n_classes", n_classes)
    counts = _split(n_samples, n_classes)
    rng = _rng(random_state)
    if noise < 0:
        raise ValueError(f"noise must be non-negative, received noise={noise}")
    parts, labels = [], []
    for j, m in enumerate(counts):
        r = np.linspace(0.0, 1.0, m) if m > 1 else np.zeros(m)
        t = 2 * np.pi * turns * (j + r) + noise * rng.standard_normal(m)
        parts.append(np.stack([r * np.sin(t), r * np.cos(t)], 1))
        labels.append(np.full(m, j))
    X, y = np.concatenate(parts), np.concatenate(labels)
    return _finish(X, y, rng, shuffle, None, return_tensors)


def make_blobs(n_samples=100, n_features: int = 2, *, centers=3, cluster_std: float = 1.0,
               center_box=(-10.0, 10.0), shuffle: bool = True, random_state=None,
               return_tensors: bool = False):
    """Isotropic Gaussian blobs, one per class.

    Args:
        n_samples: total points (split evenly), or one count per center.
        n_features: dimensions of each point.
        centers: number of centers (drawn uniformly in ``center_box``) or an array of them.
        cluster_std: standard deviation of each blob.
        center_box: bounds for random centers.
        shuffle: shuffle the points.
        random_state: None, int, chainrule ``Generator`` or NumPy ``Generator``.
        return_tensors: return chainrule tensors instead of NumPy arrays.

    Returns:
        ``(X, y)``: float32 (n, n_features) and int64 (n,) labels.

    Example:
        >>> X, y = make_blobs(9, centers=3, random_state=0)
        >>> X.shape, sorted(set(y.tolist()))
        ((9, 2), [0, 1, 2])
    """
    rng = _rng(random_state)
    if isinstance(centers, numbers.Integral):
        k = _check_n("centers", centers)
        n_features = _check_n("n_features", n_features)
        c = rng.uniform(center_box[0], center_box[1], size=(k, n_features))
    else:
        c = np.asarray(centers, dtype=np.float64)
        if c.ndim != 2:
            raise ValueError(f"centers must be an int or a 2-D array, received shape {c.shape}")
        k, n_features = c.shape
    counts = _split(n_samples, k)
    X = np.concatenate([c[j] + cluster_std * rng.standard_normal((m, n_features))
                        for j, m in enumerate(counts)])
    y = np.repeat(np.arange(k), counts)
    return _finish(X, y, rng, shuffle, None, return_tensors)


def make_regression(n_samples: int = 100, n_features: int = 1, *, n_informative: int = 10,
                    bias: float = 0.0, noise: float = 0.0, coef: bool = False,
                    shuffle: bool = True, random_state=None, return_tensors: bool = False):
    """A random linear regression problem: ``y = X @ w + bias + noise``.

    ``X`` is standard normal; the first ``n_informative`` features get weights drawn from
    ``100 * U(0, 1)``, the others weight 0 (scikit-learn's recipe).

    Args:
        n_samples: number of points.
        n_features: number of features.
        n_informative: how many features influence ``y`` (capped at ``n_features``).
        bias: the intercept.
        noise: standard deviation of Gaussian noise added to ``y``.
        coef: also return the true weights.
        shuffle: shuffle the samples (and the features' roles, as scikit-learn does).
        random_state: None, int, chainrule ``Generator`` or NumPy ``Generator``.
        return_tensors: return chainrule tensors instead of NumPy arrays.

    Returns:
        ``(X, y)`` or ``(X, y, w)``: float32 (n, n_features), float32 (n,) and float32
        (n_features,).

    Example:
        >>> X, y, w = make_regression(50, 3, coef=True, random_state=0)
        >>> bool(abs(X @ w - y).max() < 1e-3)
        True
    """
    n = _check_n("n_samples", n_samples)
    d = _check_n("n_features", n_features)
    if noise < 0:
        raise ValueError(f"noise must be non-negative, received noise={noise}")
    rng = _rng(random_state)
    k = min(max(int(n_informative), 0), d)
    X = rng.standard_normal((n, d))
    w = np.zeros(d)
    w[:k] = 100 * rng.uniform(size=k)
    y = X @ w + bias
    if noise:
        y = y + rng.normal(scale=noise, size=n)
    if shuffle:
        rows, cols = rng.permutation(n), rng.permutation(d)
        X, y, w = X[rows][:, cols], y[rows], w[cols]
    X, y, w = (np.ascontiguousarray(a, np.float32) for a in (X, y, w))
    if return_tensors:
        X, y, w = Tensor._make(X), Tensor._make(y), Tensor._make(w)
    return (X, y, w) if coef else (X, y)
