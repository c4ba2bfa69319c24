"""Activation functions by Keras name (``keras.activations``), on chainrule tensors.

``get('relu')`` returns the function; layers accept a name, a callable or None (linear).

Example:
    >>> import chainrule as torch
    >>> from chainrule import keras
    >>> keras.activations.get("relu")(torch.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Callable

from .._tensor import Tensor
from ..nn import functional as F

__all__ = ["elu", "exponential", "gelu", "get", "hard_sigmoid", "hard_silu", "leaky_relu",
           "linear", "log_softmax", "mish", "relu", "relu6", "selu", "serialize", "sigmoid",
           "silu", "softmax", "softplus", "softsign", "swish", "tanh"]


def relu(x: Tensor, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> Tensor:
    """Rectified linear unit ``max(x, 0)``, with Keras's optional slope, cap and threshold.

    Args:
        x: input tensor.
        negative_slope: slope below the threshold.
        max_value: upper saturation value, or None.
        threshold: values below it are zeroed (or scaled by ``negative_slope``).

    Example:
        >>> import chainrule as torch
        >>> relu(torch.tensor([-2.0, 3.0]), max_value=2.0).tolist()
        [0.0, 2.0]
    """
    if negative_slope == 0.0 and threshold == 0.0:
        out = F.relu(x)
    elif threshold == 0.0:
        out = F.leaky_relu(x, negative_slope)
    else:
        below = x < threshold
        out = x.masked_fill(below, 0.0) if negative_slope == 0.0 else \
            x.where(~below, (x - threshold) * negative_slope)
    if max_value is not None:
        out = out.clamp(max=max_value)
    return out


def sigmoid(x: Tensor) -> Tensor:
    """Logistic function ``1 / (1 + exp(-x))``.

    Example:
        >>> import chainrule as torch
        >>> sigmoid(torch.tensor([0.0])).tolist()
        [0.5]
    """
    return x.sigmoid()


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """Softmax along ``axis`` (default the last): non-negative values summing to 1.

    Example:
        >>> import chainrule as torch
        >>> softmax(torch.tensor([[0.0, 0.0]])).tolist()
        [[0.5, 0.5]]
    """
    return F.softmax(x, dim=axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """Log of the softmax along ``axis``.

    Example:
        >>> import chainrule as torch
        >>> round(log_softmax(torch.tensor([0.0, 0.0])).tolist()[0], 4)
        -0.6931
    """
    return F.log_softmax(x, dim=axis)


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent.

    Example:
        >>> import chainrule as torch
        >>> tanh(torch.tensor([0.0])).tolist()
        [0.0]
    """
    return x.tanh()


def linear(x: Tensor) -> Tensor:
    """The identity (Keras's ``activation=None``).

    Example:
        >>> import chainrule as torch
        >>> linear(torch.tensor([-1.0])).tolist()
        [-1.0]
    """
    return x


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit: ``x`` if positive else ``alpha * (exp(x) - 1)``.

    Example:
        >>> import chainrule as torch
        >>> elu(torch.tensor([1.0])).tolist()
        [1.0]
    """
    return F.elu(x, alpha)


def selu(x: Tensor) -> Tensor:
    """Scaled exponential linear unit (Klambauer et al., 2017).

    Example:
        >>> import chainrule as torch
        >>> selu(torch.tensor([0.0])).tolist()
        [0.0]
    """
    return F.selu(x)


def softplus(x: Tensor) -> Tensor:
    """``log(exp(x) + 1)``.

    Example:
        >>> import chainrule as torch
        >>> round(softplus(torch.tensor([0.0])).item(), 4)
        0.6931
    """
    return F.softplus(x)


def softsign(x: Tensor) -> Tensor:
    """``x / (|x| + 1)``.

    Example:
        >>> import chainrule as torch
        >>> softsign(torch.tensor([1.0])).tolist()
        [0.5]
    """
    return F.softsign(x)


def silu(x: Tensor) -> Tensor:
    """Swish / SiLU: ``x * sigmoid(x)``.

    Example:
        >>> import chainrule as torch
        >>> silu(torch.tensor([0.0])).tolist()
        [0.0]
    """
    return F.silu(x)


swish = silu


def gelu(x: Tensor, approximate: bool = False) -> Tensor:
    """Gaussian error linear unit (exact, or the tanh approximation).

    Example:
        >>> import chainrule as torch
        >>> gelu(torch.tensor([0.0])).tolist()
        [0.0]
    """
    return F.gelu(x, approximate="tanh" if approximate else "none")


def exponential(x: Tensor) -> Tensor:
    """``exp(x)``.

    Example:
        >>> import chainrule as torch
        >>> exponential(torch.tensor([0.0])).tolist()
        [1.0]
    """
    return x.exp()


def leaky_relu(x: Tensor, negative_slope: float = 0.2) -> Tensor:
    """Leaky ReLU with Keras's default slope 0.2.

    Example:
        >>> import chainrule as torch
        >>> leaky_relu(torch.tensor([-1.0])).tolist()
        [-0.2...]
    """
    return F.leaky_relu(x, negative_slope)


def relu6(x: Tensor) -> Tensor:
    """``min(max(x, 0), 6)``.

    Example:
        >>> import chainrule as torch
        >>> relu6(torch.tensor([9.0])).tolist()
        [6.0]
    """
    return F.relu6(x)


def hard_sigmoid(x: Tensor) -> Tensor:
    """Piecewise-linear sigmoid ``relu6(x + 3) / 6`` (Keras 3's definition).

    Example:
        >>> import chainrule as torch
        >>> hard_sigmoid(torch.tensor([0.0])).tolist()
        [0.5]
    """
    return F.relu6(x + 3.0) / 6.0


def hard_silu(x: Tensor) -> Tensor:
    """``x * hard_sigmoid(x)`` (hard swish).

    Example:
        >>> import chainrule as torch
        >>> hard_silu(torch.tensor([0.0])).tolist()
        [0.0]
    """
    return x * hard_sigmoid(x)


def mish(x: Tensor) -> Tensor:
    """``x * tanh(softplus(x))``.

    Example:
        >>> import chainrule as torch
        >>> mish(torch.tensor([0.0])).tolist()
        [0.0]
    """
    return F.mish(x)


_ALL: dict[str, Callable] = {
    "relu": relu, "sigmoid": sigmoid, "softmax": softmax, "log_softmax": log_softmax,
    "tanh": tanh, "linear": linear, "elu": elu, "selu": selu, "softplus": softplus,
    "softsign": softsign, "silu": silu, "swish": silu, "gelu": gelu,
    "exponential": exponential, "leaky_relu": leaky_relu, "relu6": relu6,
    "hard_sigmoid": hard_sigmoid, "hard_silu": hard_silu, "hard_swish": hard_silu,
    "mish": mish,
}


def get(identifier) -> Callable:
    """Resolve an activation given by name, callable or None (the identity).

    Args:
        identifier: ``'relu'``, ``'softmax'`` …, a callable, or None.

    Returns:
        The activation function.

    Raises:
        ValueError: unknown name (the message lists the known ones).

    Example:
        >>> get(None) is linear, get("swish") is silu
        (True, True)
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _ALL.get(identifier.lower())
        if fn is None:
            raise ValueError(f"Could not interpret activation function identifier: "
                             f"{identifier!r}. Known activations: {', '.join(sorted(_ALL))}")
        return fn
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")


def serialize(fn) -> str | None:
    """The Keras name of an activation function (None for an unnamed callable).

    Example:
        >>> serialize(relu)
        'relu'
    """
    for name, f in _ALL.items():
        if f is fn:
            return name
    return getattr(fn, "__name__", None)
