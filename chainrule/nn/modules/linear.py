"""``Identity``, ``Linear`` and ``Bilinear``."""

from __future__ import annotations

import math

import numpy as np

from ... import _dtypes
from ..._device import check_device
from ..._tensor import Tensor
from ...ops.linear import bilinear, linear
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Bilinear", "Identity", "LazyLinear", "Linear"]


def _check_features(value, name: str, layer: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{layer}: {name} must be an int, received {name}={value!r}")
    if value < 0:
        raise RuntimeError(f"{layer}: {name} must be non-negative, received {name}={value}")
    return int(value)


def _empty(shape, dtype) -> Parameter:
    npd = (_dtypes.to_dtype(dtype) if dtype is not None else _dtypes.get_default_dtype()).np
    return Parameter(Tensor._make(np.empty(shape, dtype=npd)))


class Identity(Module):
    """Returns its input unchanged (any constructor arguments are ignored).

    Shape:
        - Input: any. Output: the same.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> x = torch.ones(2)
        >>> nn.Identity(54, unused='x')(x) is x
        True
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input):
        """Return ``input``."""
        return input


class Linear(Module):
    """Fully connected layer: ``y = x @ weight.T + bias``.

    The weight is initialised with ``kaiming_uniform_(a=sqrt(5))`` (i.e. ``U(-k, k)`` with
    ``k = 1/sqrt(in_features)``) and the bias with ``U(-k, k)``, as in PyTorch.

    Args:
        in_features: size of each input sample (the last dimension).
        out_features: size of each output sample.
        bias: whether to learn an additive bias.
        device: only ``'cpu'`` (or None) is accepted.
        dtype: the parameters' dtype (default float32).

    Shape:
        - Input: ``(*, in_features)``.
        - Output: ``(*, out_features)``.

    Attributes:
        weight: ``(out_features, in_features)``.
        bias: ``(out_features)``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> fc = nn.Linear(784, 512)
        >>> fc
        Linear(in_features=784, out_features=512, bias=True)
        >>> fc(torch.zeros(64, 784)).shape
        torch.Size([64, 512])
        >>> fc(torch.zeros(64, 783))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x783 and 784x512); ...
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        check_device(device, "Linear")
        self.in_features = _check_features(in_features, "in_features", "Linear")
        self.out_features = _check_features(out_features, "out_features", "Linear")
        self.weight = _empty((self.out_features, self.in_features), dtype)
        if bias:
            self.bias = _empty((self.out_features,), dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw the weight and bias with PyTorch's default initialisation."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        """Apply the affine map to the last dimension of ``input``."""
        try:
            return linear(input, self.weight, self.bias)
        except RuntimeError as exc:  # name the layer and what it received
            raise RuntimeError(f"{exc}; {self._explain(input, str(exc))}") from None

    def _explain(self, input, message: str) -> str:
        if "dtype" in message:
            return (f"{self!r} has {self.weight.dtype} parameters, received input of dtype "
                    f"{input.dtype} (convert one of them, e.g. input.float() or model.double())")
        return (f"{self!r} expects input of shape (*, {self.weight.shape[1]}), received input of "
                f"shape {list(input.shape)}")

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class LazyLinear(Linear):
    """A ``Linear`` whose ``in_features`` is taken from the first input; it then becomes a
    ``Linear``. The parameter objects are created empty and filled in place, so an optimizer
    built before the first call keeps working.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> fc = nn.LazyLinear(4)
        >>> fc(torch.ones(2, 7)).shape, fc
        (torch.Size([2, 4]), Linear(in_features=7, out_features=4, bias=True))
    """

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        Module.__init__(self)
        check_device(device, "LazyLinear")
        self.in_features = 0
        self.out_features = _check_features(out_features, "out_features", "LazyLinear")
        self.weight = _empty((self.out_features, 0), dtype)
        if bias:
            self.bias = _empty((0,), dtype)
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """Initialise as ``Linear`` once the input size is known (nothing before)."""
        if self.in_features:
            super().reset_parameters()

    def has_uninitialized_params(self) -> bool:
        """Whether the first forward call has not happened yet."""
        return self.in_features == 0

    def forward(self, input: Tensor) -> Tensor:
        """Initialise from the input's last dimension on the first call; then ``Linear``."""
        if self.in_features == 0 and isinstance(input, Tensor) and input.ndim:
            npd = self.weight._data.dtype
            self.in_features = int(input.shape[-1])
            self.weight._data = np.empty((self.out_features, self.in_features), npd)
            if self.bias is not None:
                self.bias._data = np.empty((self.out_features,), npd)
            self.reset_parameters()
            self.__class__ = Linear
        return Linear.forward(self, input)


class Bilinear(Module):
    """Bilinear layer: ``y_k = x1^T W_k x2 + b_k``.

    Weight and bias are initialised from ``U(-k, k)`` with ``k = 1/sqrt(in1_features)``.

    Args:
        in1_features: size of each first input sample.
        in2_features: size of each second input sample.
        out_features: size of each output sample.
        bias: whether to learn an additive bias.

    Shape:
        - Input1: ``(*, in1_features)``; Input2: ``(*, in2_features)``, same leading dims.
        - Output: ``(*, out_features)``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> m = nn.Bilinear(20, 30, 40)
        >>> m(torch.randn(128, 20), torch.randn(128, 30)).shape
        torch.Size([128, 40])
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        check_device(device, "Bilinear")
        self.in1_features = _check_features(in1_features, "in1_features", "Bilinear")
        self.in2_features = _check_features(in2_features, "in2_features", "Bilinear")
        self.out_features = _check_features(out_features, "out_features", "Bilinear")
        self.weight = _empty((self.out_features, self.in1_features, self.in2_features), dtype)
        if bias:
            self.bias = _empty((self.out_features,), dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw the weight and bias from ``U(-1/sqrt(in1), 1/sqrt(in1))``."""
        bound = 1 / math.sqrt(self.weight.shape[1]) if self.weight.shape[1] else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        """Apply the bilinear map."""
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
