"""Activation functions beyond the basic unary ops: the ReLU family (leaky, ELU, SELU, CELU,
hardtanh/ReLU6, PReLU, RReLU), smooth ones (GELU, SiLU, Mish, softplus, log-sigmoid), the hard
approximations (hardsigmoid, hardswish), shrinkage, threshold and GLU.

Each primitive keeps PyTorch's node name (``EluBackward0`` …). Piecewise-linear functions save a
constant slope array, so their backward is one multiply; smooth ones write backward with tensor
ops (so gradients of gradients work) and keep a NumPy fast path when no graph is being built.
"""

from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_ENABLED
from ._util import bind, check_tensor, to_float_tensor
from .elementwise import erf, exp, sigmoid, tanh

# only the functions PyTorch also has in its top-level namespace (``torch.selu`` …); the rest
# are reached through ``chainrule.nn.functional``
__all__ = ["celu", "hardshrink", "prelu", "rrelu", "selu", "threshold"]

try:
    from scipy.special import erf as _erf_np
except ImportError:  # pragma: no cover - SciPy is optional
    _erf_np = np.vectorize(math.erf, otypes=[np.float64])

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_K = math.sqrt(2.0 / math.pi)


def _const(arr: np.ndarray, like: np.ndarray) -> Tensor:
    return Tensor._make(np.asarray(arr, dtype=like.dtype))


def _float_input(input, fn: str) -> Tensor:
    check_tensor(input, fn)
    return to_float_tensor(input)


def _check_num(value, name: str, fn: str) -> float:
    if isinstance(value, Tensor):
        value = value.item()
    if not isinstance(value, (int, float, np.number)) or isinstance(value, bool):
        raise TypeError(f"{fn}(): argument '{name}' must be a number, received "
                        f"{type(value).__name__}")
    return value


class _Slope(Function):
    """``y = x * slope(x)`` with a piecewise-constant slope; backward is ``g * slope``."""

    raw = True

    @staticmethod
    def backward(ctx, g):
        (slope,) = ctx.saved_tensors
        return (g * slope,) + (None,) * ctx.n_extra


class LeakyRelu(_Slope):
    """Primitive of ``leaky_relu``."""

    node_name = "LeakyReluBackward0"

    @staticmethod
    def forward(ctx, x, negative_slope):
        slope = np.where(x > 0, 1.0, negative_slope).astype(x.dtype)
        ctx.save_for_backward(slope)
        ctx.n_extra = 1
        return x * slope


class Hardtanh(_Slope):
    """Primitive of ``hardtanh`` and ``relu6``."""

    node_name = "HardtanhBackward0"

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(((x > lo) & (x < hi)).astype(x.dtype))
        ctx.n_extra = 2
        return np.clip(x, lo, hi).astype(x.dtype, copy=False)


class Hardsigmoid(_Slope):
    """Primitive of ``hardsigmoid``."""

    node_name = "HardsigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(((x > -3) & (x < 3)).astype(x.dtype) / 6)
        ctx.n_extra = 0
        return np.clip(x / 6 + 0.5, 0, 1).astype(x.dtype, copy=False)


class Threshold(_Slope):
    """Primitive of ``threshold``."""

    node_name = "ThresholdBackward0"

    @staticmethod
    def forward(ctx, x, threshold, value):
        keep = x > threshold
        ctx.save_for_backward(keep.astype(x.dtype))
        ctx.n_extra = 2
        return np.where(keep, x, np.asarray(value, dtype=x.dtype))


class Hardshrink(_Slope):
    """Primitive of ``hardshrink``."""

    node_name = "HardshrinkBackward0"

    @staticmethod
    def forward(ctx, x, lambd):
        keep = (x < -lambd) | (x > lambd)
        ctx.save_for_backward(keep.astype(x.dtype))
        ctx.n_extra = 1
        return np.where(keep, x, 0).astype(x.dtype, copy=False)


class Softshrink(_Slope):
    """Primitive of ``softshrink``."""

    node_name = "SoftshrinkBackward0"

    @staticmethod
    def forward(ctx, x, lambd):
        keep = (x < -lambd) | (x > lambd)
        ctx.save_for_backward(keep.astype(x.dtype))
        ctx.n_extra = 1
        return np.where(keep, x - np.sign(x) * lambd, 0).astype(x.dtype, copy=False)


class RreluWithNoise(_Slope):
    """Primitive of ``rrelu``: ``x * noise`` with a fixed slope array."""

    node_name = "RreluWithNoiseBackward0"

    @staticmethod
    def forward(ctx, x, noise):
        ctx.save_for_backward(noise)
        ctx.n_extra = 1
        return x * noise


class Elu(Function):
    """``scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1))``."""

    raw = True
    node_name = "EluBackward0"

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        pos = x > 0
        neg = np.expm1(np.minimum(x, 0) * input_scale) * (alpha * scale)
        y = np.where(pos, x * scale, neg).astype(x.dtype, copy=False)
        ctx.save_for_backward(pos, y)
        ctx.params = (alpha, scale, input_scale)
        return y

    @staticmethod
    def backward(ctx, g):
        alpha, scale, input_scale = ctx.params
        pos, y = ctx.saved_tensors
        p = pos._data
        if not GRAD_ENABLED[0]:
            slope = np.where(p, scale, input_scale * (y._data + alpha * scale))
            return g * _const(slope, g._data), None, None, None
        # the negative branch's slope is input_scale * (y + alpha*scale): through y, the
        # second derivative comes out right
        slope = _const(p * scale, g._data) + _const(~p * input_scale, g._data) * (
            y + alpha * scale)
        return g * slope, None, None, None


class Celu(Elu):
    """Primitive of ``celu`` (ELU with ``input_scale = 1 / alpha``)."""

    node_name = "CeluBackward0"


class Hardswish(Function):
    """Primitive of ``hardswish``."""

    raw = True
    node_name = "HardswishBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x * np.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        a = x._data
        mid = ((a >= -3) & (a <= 3))
        hi = a > 3
        if not GRAD_ENABLED[0]:
            return g * _const(np.where(mid, a / 3 + 0.5, hi), g._data)
        return g * (_const(mid, a) * (x / 3 + 0.5) + _const(hi, a))


class Gelu(Function):
    """Primitive of ``gelu`` (exact or tanh)."""

    raw = True
    node_name = "GeluBackward0"

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            y = 0.5 * x * (1 + np.tanh(_TANH_K * (x + 0.044715 * x ** 3)))
        else:
            y = 0.5 * x * (1 + _erf_np(x * _SQRT1_2))
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if not GRAD_ENABLED[0]:
            a = x._data
            if ctx.approximate == "tanh":
                t = np.tanh(_TANH_K * (a + 0.044715 * a ** 3))
                d = 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * _TANH_K * (1 + 0.134145 * a * a)
            else:
                d = 0.5 * (1 + _erf_np(a * _SQRT1_2)) + a * np.exp(-0.5 * a * a) * _INV_SQRT_2PI
            return g * _const(d, g._data), None
        if ctx.approximate == "tanh":
            t = tanh((x + x * x * x * 0.044715) * _TANH_K)
            d = (t + 1) * 0.5 + x * (1 - t * t) * (0.5 * _TANH_K) * (x * x * 0.134145 + 1)
        else:
            d = (erf(x * _SQRT1_2) + 1) * 0.5 + x * exp(x * x * -0.5) * _INV_SQRT_2PI
        return g * d, None


class Silu(Function):
    """Primitive of ``silu``."""

    raw = True
    node_name = "SiluBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * _sigmoid_np(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if not GRAD_ENABLED[0]:
            s = _sigmoid_np(x._data)
            return g * _const(s * (1 + x._data * (1 - s)), g._data)
        s = sigmoid(x)
        return g * (s * (x * (1 - s) + 1))


class Mish(Function):
    """Primitive of ``mish``."""

    raw = True
    node_name = "MishBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x * np.tanh(np.logaddexp(0, x))).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if not GRAD_ENABLED[0]:
            a = x._data
            t = np.tanh(np.logaddexp(0, a))
            return g * _const(t + a * _sigmoid_np(a) * (1 - t * t), g._data)
        t = tanh(softplus(x))
        return g * (t + x * sigmoid(x) * (1 - t * t))


class Softplus(Function):
    """Primitive of ``softplus``."""

    raw = True
    node_name = "SoftplusBackward0"

    @staticmethod
    def forward(ctx, x, beta, threshold):
        bx = x * beta
        linear_part = bx > threshold
        ctx.save_for_backward(x, linear_part)
        ctx.params = (beta, threshold)
        y = np.where(linear_part, x, np.logaddexp(0, bx) / beta)
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        beta, _ = ctx.params
        x, lin = ctx.saved_tensors
        lin_a = lin._data
        if not GRAD_ENABLED[0]:
            d = np.where(lin_a, 1.0, _sigmoid_np(x._data * beta))
            return g * _const(d, g._data), None, None
        d = _const(lin_a, g._data) + _const(~lin_a, g._data) * sigmoid(x * beta)
        return g * d, None, None


class LogSigmoid(Function):
    """Primitive of ``logsigmoid``."""

    raw = True
    node_name = "LogSigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if not GRAD_ENABLED[0]:
            return g * _const(_sigmoid_np(-x._data), g._data)
        return g * sigmoid(-x)


class PreluKernel(Function):
    """``x if x > 0 else w * x`` with ``w`` already shaped to broadcast against ``x``."""

    raw = True

    @staticmethod
    def forward(ctx, x, w):
        pos = x > 0
        ctx.save_for_backward(x, w, pos)
        return np.where(pos, x, w * x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, w, pos = ctx.saved_tensors
        p = pos._data
        posf, negf = _const(p, x._data), _const(~p, x._data)
        gx = g * (posf + negf * w) if ctx.needs_input_grad[0] else None
        gw = g * negf * x if ctx.needs_input_grad[1] else None
        return gx, gw


def _sigmoid_np(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


# ---- the functions -------------------------------------------------------------------------
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x if x > 0 else negative_slope * x``, elementwise.

    Args:
        input: any shape.
        negative_slope: the slope for negative inputs.
        inplace: accepted for PyTorch compatibility; the result is computed out of place.

    Example:
        >>> import chainrule as torch
        >>> leaky_relu(torch.tensor([-2.0, 3.0]), 0.1)
        tensor([-0.2000,  3.0000])
    """
    x = _float_input(input, "leaky_relu")
    return LeakyRelu.apply(x, _check_num(negative_slope, "negative_slope", "leaky_relu"))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """Clamp to ``[min_val, max_val]`` (the gradient is 1 strictly inside, else 0).

    Example:
        >>> import chainrule as torch
        >>> hardtanh(torch.tensor([-2.0, 0.5, 3.0]))
        tensor([-1.0000,  0.5000,  1.0000])
    """
    x = _float_input(input, "hardtanh")
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return Hardtanh.apply(x, min_val, max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``.

    Example:
        >>> import chainrule as torch
        >>> relu6(torch.tensor([-1.0, 3.0, 8.0]))
        tensor([0., 3., 6.])
    """
    return Hardtanh.apply(_float_input(input, "relu6"), 0.0, 6.0)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x if x > 0 else alpha * (exp(x) - 1)``.

    Example:
        >>> import chainrule as torch
        >>> elu(torch.tensor([-1.0, 2.0]))
        tensor([-0.6321,  2.0000])
    """
    x = _float_input(input, "elu")
    return Elu.apply(x, _check_num(alpha, "alpha", "elu"), 1.0, 1.0)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """Scaled ELU with the self-normalising constants (alpha ≈ 1.6733, scale ≈ 1.0507).

    Example:
        >>> import chainrule as torch
        >>> selu(torch.tensor([-1.0, 1.0]))
        tensor([-1.1113,  1.0507])
    """
    return Elu.apply(_float_input(input, "selu"), _SELU_ALPHA, _SELU_SCALE, 1.0)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Example:
        >>> import chainrule as torch
        >>> celu(torch.tensor([-1.0, 1.0]), alpha=2.0)
        tensor([-0.7869,  1.0000])
    """
    x = _float_input(input, "celu")
    alpha = _check_num(alpha, "alpha", "celu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return Celu.apply(x, alpha, 1.0, 1.0 / alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` with Phi the standard normal CDF; ``approximate='tanh'`` uses
    ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.

    Example:
        >>> import chainrule as torch
        >>> gelu(torch.tensor([-1.0, 0.0, 1.0]))
        tensor([-0.1587,  0.0000,  0.8413])
    """
    x = _float_input(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return Gelu.apply(x, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (also called swish).

    Example:
        >>> import chainrule as torch
        >>> silu(torch.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7311])
    """
    return Silu.apply(_float_input(input, "silu"))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``.

    Example:
        >>> import chainrule as torch
        >>> mish(torch.tensor([0.0, 1.0]))
        tensor([0.0000, 0.8651])
    """
    return Mish.apply(_float_input(input, "mish"))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``clamp(x / 6 + 1/2, 0, 1)``.

    Example:
        >>> import chainrule as torch
        >>> hardsigmoid(torch.tensor([-4.0, 0.0, 1.5]))
        tensor([0.0000, 0.5000, 0.7500])
    """
    return Hardsigmoid.apply(_float_input(input, "hardsigmoid"))


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``.

    Example:
        >>> import chainrule as torch
        >>> hardswish(torch.tensor([-4.0, 1.0, 4.0]))
        tensor([-0.0000, 0.6667, 4.0000])
    """
    return Hardswish.apply(_float_input(input, "hardswish"))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, and ``x`` where ``beta * x > threshold``.

    Example:
        >>> import chainrule as torch
        >>> softplus(torch.tensor([0.0, 30.0]))
        tensor([ 0.6931, 30.0000])
    """
    x = _float_input(input, "softplus")
    return Softplus.apply(x, _check_num(beta, "beta", "softplus"),
                          _check_num(threshold, "threshold", "softplus"))


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``.

    Example:
        >>> import chainrule as torch
        >>> softsign(torch.tensor([-1.0, 3.0]))
        tensor([-0.5000,  0.7500])
    """
    x = _float_input(input, "softsign")
    return x / (x.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``.

    Example:
        >>> import chainrule as torch
        >>> tanhshrink(torch.tensor([0.0, 1.0]))
        tensor([0.0000, 0.2384])
    """
    x = _float_input(input, "tanhshrink")
    return x - tanh(x)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))``, computed stably for large ``|x|``.

    Example:
        >>> import chainrule as torch
        >>> logsigmoid(torch.tensor([0.0, -100.0]))
        tensor([  -0.6931, -100.0000])
    """
    return LogSigmoid.apply(_float_input(input, "logsigmoid"))


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x if x > threshold else value`` (with ``value=0`` and ``threshold=0``: ReLU; with a
    step function on top: the perceptron's activation).

    Example:
        >>> import chainrule as torch
        >>> threshold(torch.tensor([0.5, 2.0]), 1.0, -1.0)
        tensor([-1.,  2.])
    """
    x = _float_input(input, "threshold")
    return Threshold.apply(x, _check_num(threshold, "threshold", "threshold"),
                           _check_num(value, "value", "threshold"))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x if |x| > lambd else 0``.

    Example:
        >>> import chainrule as torch
        >>> hardshrink(torch.tensor([0.3, -0.7]))
        tensor([ 0.0000, -0.7000])
    """
    return Hardshrink.apply(_float_input(input, "hardshrink"), lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0.

    Example:
        >>> import chainrule as torch
        >>> softshrink(torch.tensor([0.3, -0.7, 2.0]))
        tensor([ 0.0000, -0.2000,  1.5000])
    """
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return Softshrink.apply(_float_input(input, "softshrink"), lambd)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x if x > 0 else w * x`` with a learnable slope ``w``: one value, or one per channel
    (dimension 1 of the input).

    Args:
        input: ``(N, C, *)``, or any shape when ``weight`` has one element.
        weight: ``(1)`` or ``(C)``.

    Example:
        >>> import chainrule as torch
        >>> prelu(torch.tensor([[-1.0, 2.0]]), torch.tensor([0.25]))
        tensor([[-0.2500,  2.0000]])
    """
    x = _float_input(input, "prelu")
    check_tensor(weight, "prelu", "weight")
    n = weight.numel()
    if n != 1:
        channels = x.shape[1] if x.ndim >= 2 else 1
        if weight.ndim != 1 or n != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {n} and channel size = {channels}.")
        weight = weight.reshape((n,) + (1,) * (x.ndim - 2))
    return PreluKernel.apply(x, weight)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, inplace: bool = False) -> Tensor:
    """Randomised leaky ReLU: in training each negative element gets a slope drawn from
    ``U(lower, upper)``; in evaluation the slope is ``(lower + upper) / 2``.

    Example:
        >>> import chainrule as torch
        >>> rrelu(torch.tensor([-3.0, 1.0]), 0.1, 0.3)
        tensor([-0.6000,  1.0000])
    """
    x = _float_input(input, "rrelu")
    if not training:
        a = (lower + upper) / 2
    else:
        from ..random import numpy_rng

        a = numpy_rng().uniform(lower, upper, size=x.shape).astype(x._data.dtype)
    noise = np.where(x._data >= 0, 1, a).astype(x._data.dtype)
    return RreluWithNoise.apply(x, noise)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: split ``input`` in halves ``a, b`` along ``dim``; ``a * sigmoid(b)``.

    Example:
        >>> import chainrule as torch
        >>> glu(torch.tensor([[1.0, 2.0, 0.0, 0.0]]))
        tensor([[0.5000, 1.0000]])
    """
    x = _float_input(input, "glu")
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim % x.ndim if -x.ndim <= dim < x.ndim else dim
    if not 0 <= d < x.ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-x.ndim}, "
                         f"{x.ndim - 1}], but got {dim})")
    if x.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size "
                           f"{x.shape[d]}")
    a, b = x.chunk(2, d)
    return a * sigmoid(b)


bind(prelu=prelu, hardshrink=hardshrink)
