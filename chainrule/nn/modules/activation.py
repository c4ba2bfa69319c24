"""Activation modules: thin wrappers over ``chainrule.ops.activation`` (and ``relu``,
``sigmoid``, ``tanh``, ``softmax``), with PyTorch's constructor arguments and reprs.

``inplace=True`` is accepted everywhere and computes the result out of place (the value is the
same; only memory use differs).

Shape (every module here unless stated otherwise):
    - Input: ``(*)``, any shape. Output: the same shape.
"""

from __future__ import annotations

import warnings

import numpy as np

from ... import _dtypes
from ..._device import check_device
from ..._tensor import Tensor
from ...ops import activation as A
from ...ops.elementwise import relu, sigmoid, tanh
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = [
    "CELU",
    "ELU",
    "GELU",
    "GLU",
    "SELU",
    "Hardshrink",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "LeakyReLU",
    "LogSigmoid",
    "Mish",
    "PReLU",
    "RReLU",
    "ReLU",
    "ReLU6",
    "SiLU",
    "Sigmoid",
    "Softplus",
    "Softshrink",
    "Softsign",
    "Tanh",
    "Tanhshrink",
    "Threshold",
]


def _inplace_str(inplace: bool, lead: str = ", ") -> str:
    return f"{lead}inplace=True" if inplace else ""


class Threshold(Module):
    """``y = x if x > threshold else value``.

    Args:
        threshold: the value to threshold at.
        value: the value to replace with.
        inplace: accepted; computed out of place.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.Threshold(0.1, 20)(torch.tensor([0.0, 0.5]))
        tensor([20.0000,  0.5000])
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply the threshold."""
        return A.threshold(input, self.threshold, self.value)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}{_inplace_str(self.inplace)}"


class ReLU(Module):
    """``y = max(0, x)``.

    Args:
        inplace: accepted; computed out of place.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.ReLU()(torch.tensor([-1.0, 2.0]))
        tensor([0., 2.])
        >>> nn.ReLU(inplace=True)
        ReLU(inplace=True)
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply ReLU."""
        return relu(input)

    def extra_repr(self) -> str:
        return _inplace_str(self.inplace, "")


class RReLU(Module):
    """Randomised leaky ReLU: negative slopes drawn from ``U(lower, upper)`` in training, their
    mean in evaluation.

    Args:
        lower, upper: the slope distribution's bounds.
        inplace: accepted; computed out of place.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.RReLU(0.1, 0.3).eval()(torch.tensor([-1.0, 1.0]))
        tensor([-0.2000,  1.0000])
    """

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
                 inplace: bool = False) -> None:
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply RReLU (random slopes in training)."""
        return A.rrelu(input, self.lower, self.upper, self.training)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}{_inplace_str(self.inplace)}"


class Hardtanh(Module):
    """``y = clamp(x, min_val, max_val)``.

    Args:
        min_val, max_val: the linear region's bounds.
        inplace: accepted; computed out of place.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.Hardtanh(-2, 2)(torch.tensor([-3.0, 1.0, 3.0]))
        tensor([-2.,  1.,  2.])
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value=None, max_value=None) -> None:
        super().__init__()
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and rename to `min_val`",
                          FutureWarning, stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and rename to `max_val`",
                          FutureWarning, stacklevel=2)
            max_val = max_value
        if max_val <= min_val:
            raise AssertionError(f"Hardtanh: max_val must be greater than min_val, received "
                                 f"min_val={min_val}, max_val={max_val}")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input: Tensor) -> Tensor:
        """Clamp the input."""
        return A.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_str(self.inplace)}"


class ReLU6(Hardtanh):
    """``y = min(max(0, x), 6)``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.ReLU6()(torch.tensor([-1.0, 7.0]))
        tensor([0., 6.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_str(self.inplace, "")


class Sigmoid(Module):
    """``y = 1 / (1 + exp(-x))``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.Sigmoid()(torch.tensor([0.0]))
        tensor([0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:
        """Apply the logistic function."""
        return sigmoid(input)


class Hardsigmoid(Module):
    """``y = clamp(x / 6 + 1/2, 0, 1)``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.Hardsigmoid()(torch.tensor([0.0, 6.0]))
        tensor([0.5000, 1.0000])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply hardsigmoid."""
        return A.hardsigmoid(input)


class Tanh(Module):
    """``y = tanh(x)``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.Tanh()(torch.tensor([0.0]))
        tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:
        """Apply tanh."""
        return tanh(input)


class SiLU(Module):
    """``y = x * sigmoid(x)`` (swish).

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.SiLU()(torch.tensor([1.0]))
        tensor([0.7311])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply SiLU."""
        return A.silu(input)

    def extra_repr(self) -> str:
        return _inplace_str(self.inplace, "")


class Mish(Module):
    """``y = x * tanh(softplus(x))``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.Mish()(torch.tensor([1.0]))
        tensor([0.8651])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply Mish."""
        return A.mish(input)

    def extra_repr(self) -> str:
        return _inplace_str(self.inplace, "")


class Hardswish(Module):
    """``y = x * relu6(x + 3) / 6``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.Hardswish()(torch.tensor([3.0]))
        tensor([3.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply hardswish."""
        return A.hardswish(input)


class ELU(Module):
    """``y = x if x > 0 else alpha * (exp(x) - 1)``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.ELU()(torch.tensor([-1.0, 1.0]))
        tensor([-0.6321,  1.0000])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply ELU."""
        return A.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_str(self.inplace)}"


class CELU(Module):
    """``y = max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.CELU(2.0)(torch.tensor([-1.0]))
        tensor([-0.7869])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply CELU."""
        return A.celu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_str(self.inplace)}"


class SELU(Module):
    """Scaled ELU with the self-normalising constants.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.SELU()(torch.tensor([1.0]))
        tensor([1.0507])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply SELU."""
        return A.selu(input)

    def extra_repr(self) -> str:
        return _inplace_str(self.inplace, "")


class GLU(Module):
    """Gated linear unit: halves ``a, b`` of the input along ``dim``; ``a * sigmoid(b)``.

    Shape:
        - Input: ``(*, N, *)`` with ``N`` even at ``dim``. Output: ``(*, N / 2, *)``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.GLU()(torch.ones(4, 2)).shape
        torch.Size([4, 1])
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """Apply GLU."""
        return A.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class GELU(Module):
    """``y = x * Phi(x)``, exact (``approximate='none'``) or with the tanh approximation.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.GELU()(torch.tensor([1.0])), nn.GELU('tanh')(torch.tensor([1.0]))
        (tensor([0.8413]), tensor([0.8412]))
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', received "
                             f"approximate={approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        """Apply GELU."""
        return A.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Hardshrink(Module):
    """``y = x if |x| > lambd else 0``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.Hardshrink()(torch.tensor([0.2, 1.0]))
        tensor([0., 1.])
    """

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        """Apply hard shrinkage."""
        return A.hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class LeakyReLU(Module):
    """``y = x if x > 0 else negative_slope * x``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.LeakyReLU(0.2)(torch.tensor([-1.0, 1.0]))
        tensor([-0.2000,  1.0000])
        >>> nn.LeakyReLU()
        LeakyReLU(negative_slope=0.01)
    """

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply leaky ReLU."""
        return A.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}{_inplace_str(self.inplace)}"


class LogSigmoid(Module):
    """``y = log(sigmoid(x))``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.LogSigmoid()(torch.tensor([0.0]))
        tensor([-0.6931])
    """

    def forward(self, input: Tensor) -> Tensor:
        """Apply log-sigmoid."""
        return A.logsigmoid(input)


class Softplus(Module):
    """``y = log(1 + exp(beta * x)) / beta`` (linear above ``threshold``).

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.Softplus()(torch.tensor([0.0]))
        tensor([0.6931])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        """Apply softplus."""
        return A.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softshrink(Module):
    """``y = x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.Softshrink()(torch.tensor([1.0]))
        tensor([0.5000])
    """

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        """Apply soft shrinkage."""
        return A.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class PReLU(Module):
    """``y = x if x > 0 else a * x`` with a learnable slope ``a`` (one, or one per channel).

    Args:
        num_parameters: 1, or the number of input channels (dimension 1).
        init: the slopes' initial value.

    Shape:
        - Input: ``(N, C, *)`` when ``num_parameters = C``; any shape when 1.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> m = nn.PReLU()
        >>> m(torch.tensor([-2.0, 2.0]))
        tensor([-0.5000,  2.0000], grad_fn=<PreluKernelBackward0>)
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None,
                 dtype=None) -> None:
        super().__init__()
        check_device(device, "PReLU")
        if num_parameters < 1:
            raise RuntimeError(f"PReLU: num_parameters must be positive, received "
                               f"num_parameters={num_parameters}")
        self.num_parameters = num_parameters
        self.init = init
        npd = (_dtypes.to_dtype(dtype) if dtype is not None else _dtypes.get_default_dtype()).np
        self.weight = Parameter(Tensor._make(np.empty(num_parameters, dtype=npd)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Set every slope to ``init``."""
        init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        """Apply PReLU."""
        return A.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Softsign(Module):
    """``y = x / (1 + |x|)``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.Softsign()(torch.tensor([1.0]))
        tensor([0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:
        """Apply softsign."""
        return A.softsign(input)


class Tanhshrink(Module):
    """``y = x - tanh(x)``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> nn.Tanhshrink()(torch.tensor([0.0]))
        tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:
        """Apply tanhshrink."""
        return A.tanhshrink(input)


# the softmax family lives in its own file; importable from here as in PyTorch
from .softmax import LogSoftmax, Softmax, Softmax2d, Softmin  # noqa: E402

__all__ += ["LogSoftmax", "Softmax", "Softmax2d", "Softmin"]
