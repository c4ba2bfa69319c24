"""Parameter initialisation: ``uniform_``, ``normal_``, ``xavier_*``, ``kaiming_*``,
``orthogonal_``, ``trunc_normal_`` …, as ``torch.nn.init``.

Every function writes in place into the tensor's memory without recording anything for
autograd, draws from the global generator (or ``generator``), bumps the tensor's version and
returns the tensor.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._tensor import Tensor
from ..random import numpy_rng

__all__ = [
    "calculate_gain",
    "constant_",
    "dirac_",
    "eye_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "sparse_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]


def _write(tensor: Tensor, values) -> Tensor:
    """Store ``values`` into ``tensor`` in place (outside autograd) and bump its version."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"expected a Tensor to initialise, received {type(tensor).__name__}")
    np.copyto(tensor._data, values, casting="unsafe")
    tensor._version.value += 1
    return tensor


def _gen_dtype(tensor: Tensor):
    d = tensor._data.dtype
    return d if d in (np.float32, np.float64) else np.float64


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for a nonlinearity (scales the init's standard deviation).

    ============ ==============================================
    linear/conv  1
    sigmoid      1
    tanh         5/3
    relu         sqrt(2)
    leaky_relu   sqrt(2 / (1 + negative_slope^2)) (slope ``param``, default 0.01)
    selu         3/4
    ============ ==============================================

    Example:
        >>> round(calculate_gain('relu'), 4), calculate_gain('tanh')
        (1.4142, 1.6666666666666667)
    """
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with values from ``U(a, b)``.

    Example:
        >>> import chainrule as torch
        >>> w = uniform_(torch.empty(3, 5), -0.1, 0.1)
        >>> bool((w.abs() <= 0.1).all())
        True
    """
    rng = numpy_rng(generator)
    return _write(tensor, rng.uniform(a, b, size=tensor.shape).astype(_gen_dtype(tensor),
                                                                         copy=False))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with values from ``N(mean, std^2)``.

    Example:
        >>> import chainrule as torch
        >>> normal_(torch.empty(2, 3)).shape
        torch.Size([2, 3])
    """
    rng = numpy_rng(generator)
    values = rng.standard_normal(size=tuple(tensor.shape), dtype=_gen_dtype(tensor))
    if std != 1.0:
        values *= std
    if mean != 0.0:
        values += mean
    return _write(tensor, values)


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None) -> Tensor:
    """Fill with values from ``N(mean, std^2)`` truncated to ``[a, b]`` (redrawing values
    outside it).

    Example:
        >>> import chainrule as torch
        >>> w = trunc_normal_(torch.empty(100), std=1.0, a=-0.5, b=0.5)
        >>> bool((w.abs() <= 0.5).all())
        True
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)
    rng = numpy_rng(generator)
    n = tensor.numel()
    lo, hi = (a - mean) / std, (b - mean) / std
    # inverse-CDF sampling: uniform between the bounds' CDF values, then the normal quantile
    cdf_lo, cdf_hi = _norm_cdf(lo), _norm_cdf(hi)
    u = rng.uniform(2 * cdf_lo - 1, 2 * cdf_hi - 1, size=n)
    values = _erfinv(u) * math.sqrt(2.0) * std + mean
    return _write(tensor, np.clip(values, a, b).reshape(tensor.shape))


def _norm_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def _erfinv(y: np.ndarray) -> np.ndarray:
    try:
        from scipy.special import erfinv

        return erfinv(y)
    except ImportError:  # pragma: no cover - SciPy is optional
        # Giles' approximation, refined by two Newton steps on erf
        w = -np.log((1.0 - y) * (1.0 + y))
        x = np.where(w < 5.0,
                     np.polyval([2.81022636e-08, 3.43273939e-07, -3.5233877e-06,
                                 -4.39150654e-06, 0.00021858087, -0.00125372503,
                                 -0.00417768164, 0.246640727, 1.50140941], w - 2.5),
                     np.polyval([-0.000200214257, 0.000100950558, 0.00134934322,
                                 -0.00367342844, 0.00573950773, -0.0076224613,
                                 0.00943887047, 1.00167406, 2.83297682], np.sqrt(w) - 3.0)) * y
        erf = np.vectorize(math.erf)
        for _ in range(2):
            x = x - (erf(x) - y) / (2.0 / math.sqrt(math.pi) * np.exp(-x * x))
        return x


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``.

    Example:
        >>> import chainrule as torch
        >>> constant_(torch.empty(2), 0.3)
        tensor([0.3000, 0.3000])
    """
    return _write(tensor, val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones.

    Example:
        >>> import chainrule as torch
        >>> ones_(torch.empty(2))
        tensor([1., 1.])
    """
    return _write(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros.

    Example:
        >>> import chainrule as torch
        >>> zeros_(torch.empty(2))
        tensor([0., 0.])
    """
    return _write(tensor, 0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix (ones on the diagonal).

    Example:
        >>> import chainrule as torch
        >>> eye_(torch.empty(2, 3))
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _write(tensor, np.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D convolution weight with the Dirac delta, so the convolution is the
    identity on the first input channels of each group.

    Example:
        >>> import chainrule as torch
        >>> w = dirac_(torch.empty(2, 2, 3))
        >>> w[0, 0].tolist(), w[0, 1].tolist()
        ([0.0, 1.0, 0.0], [0.0, 0.0, 0.0])
    """
    dims = tensor.ndim
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = sizes[0] // groups
    min_dim = min(out_per_group, sizes[1])
    values = np.zeros(sizes)
    centre = tuple(s // 2 for s in sizes[2:])
    for g in range(groups):
        for d in range(min_dim):
            values[(g * out_per_group + d, d) + centre] = 1
    return _write(tensor, values)


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple:
    """``(fan_in, fan_out)`` of a weight: ``(in, out)`` times the receptive field size."""
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot uniform: ``U(-a, a)`` with ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    Example:
        >>> import chainrule as torch
        >>> w = xavier_uniform_(torch.empty(3, 5))
        >>> bool((w.abs() <= (6 / 8) ** 0.5).all())
        True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot normal: ``N(0, std^2)`` with ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    Example:
        >>> import chainrule as torch
        >>> xavier_normal_(torch.empty(3, 5)).shape
        torch.Size([3, 5])
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He uniform: ``U(-bound, bound)`` with ``bound = gain * sqrt(3 / fan)``.

    Args:
        tensor: the weight, at least 2-D.
        a: the negative slope of the following leaky ReLU (for its gain).
        mode: ``'fan_in'`` (preserve the forward variance) or ``'fan_out'`` (backward).
        nonlinearity: ``'relu'`` or ``'leaky_relu'`` (see ``calculate_gain``).

    Example:
        >>> import chainrule as torch
        >>> w = kaiming_uniform_(torch.empty(4, 6), a=5 ** 0.5)
        >>> bool((w.abs() <= 1 / 6 ** 0.5).all())
        True
    """
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * gain / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He normal: ``N(0, std^2)`` with ``std = gain / sqrt(fan)``.

    Example:
        >>> import chainrule as torch
        >>> kaiming_normal_(torch.empty(4, 6), mode='fan_out', nonlinearity='relu').shape
        torch.Size([4, 6])
    """
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix from the QR decomposition of a Gaussian one
    (trailing dimensions flattened), times ``gain``.

    Example:
        >>> import chainrule as torch
        >>> w = orthogonal_(torch.empty(3, 3))
        >>> bool(((w @ w.T - torch.eye(3)).abs() < 1e-5).all())
        True
    """
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = numpy_rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))  # makes the decomposition unique (uniformly distributed q)
    if rows < cols:
        q = q.T
    return _write(tensor, (gain * q).reshape(tensor.shape))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """Fill a 2-D tensor with ``N(0, std^2)`` values, then zero a ``sparsity`` fraction of
    each column.

    Example:
        >>> import chainrule as torch
        >>> w = sparse_(torch.empty(10, 3), sparsity=0.3)
        >>> [int((w[:, j] == 0).sum()) for j in range(3)]
        [3, 3, 3]
    """
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    rng = numpy_rng(generator)
    values = rng.normal(0.0, std, size=(rows, cols))
    for col in range(cols):
        values[rng.permutation(rows)[:num_zeros], col] = 0
    return _write(tensor, values)


def _deprecated(new):
    """PyTorch's old names without the trailing underscore: warn, then call the new one."""
    old_name = new.__name__[:-1]

    def old(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of "
                      f"`nn.init.{new.__name__}`.", FutureWarning, stacklevel=2)
        return new(*args, **kwargs)

    old.__name__ = old.__qualname__ = old_name
    old.__doc__ = f"Deprecated name of ``{new.__name__}``."
    return old


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
