"""Recurrent layers: ``RNN`` (tanh/relu), ``LSTM``, ``GRU`` and their one-step cells.

Each layer-direction is one ``linear`` node for the input projection of all time steps and one
fused ``Recurrent`` node (``chainrule.ops.recurrent``) for the loop over time. Parameter names,
shapes, gate orders and initialisation are PyTorch's.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ... import _dtypes
from ..._device import check_device
from ..._tensor import Tensor
from ...ops.dropout import dropout as _dropout
from ...ops.joining import cat, stack
from ...ops.linear import linear
from ...ops.recurrent import GATES, Recurrent
from ...ops.recurrent import cell as _cell
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase"]


def _int_arg(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    return int(value)


def _zeros(shape, like: Tensor) -> Tensor:
    return Tensor._make(np.zeros(shape, dtype=like._data.dtype))


class RNNBase(Module):
    """Shared parameters, checks and multi-layer/bidirectional driver of ``RNN``, ``LSTM`` and
    ``GRU``. ``mode`` is ``'LSTM'``, ``'GRU'``, ``'RNN_TANH'`` or ``'RNN_RELU'``."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        check_device(device, type(self).__name__)
        if mode not in GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        hidden_size = _int_arg(hidden_size, "hidden_size")
        num_layers = _int_arg(num_layers, "num_layers")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        npd = (_dtypes.to_dtype(dtype) if dtype is not None else _dtypes.get_default_dtype()).np
        gate_size = GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        dirs = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(dirs):
                layer_input = input_size if layer == 0 else real_hidden * dirs
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for kind, shape in shapes:
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(Tensor._make(np.empty(shape, dtype=npd))))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every weight and bias from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        """The parameters grouped per layer and direction."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """No-op (kept for compatibility: the weights are never flattened here)."""

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout:g}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    def _check_input(self, input) -> bool:
        name = type(self).__name__
        if not isinstance(input, Tensor):
            if hasattr(input, "batch_sizes"):
                raise NotImplementedError(f"{name}: PackedSequence input is not supported; pad "
                                          "the sequences and pass a tensor")
            raise TypeError(f"{name}: input must be a Tensor, received "
                            f"{type(input).__name__}")
        if input.ndim not in (2, 3):
            extra = " tensor" if name == "RNN" else ""
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D{extra} "
                             "instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")
        if input.shape[1 if input.ndim == 3 and self.batch_first else 0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        w = self.weight_ih_l0
        if input.dtype != w.dtype:
            raise ValueError(f"{name} input dtype ({input.dtype}) does not match weight dtype "
                             f"({w.dtype}). Convert input: input.to({w.dtype}), or convert "
                             f"model: model.to({input.dtype})")
        return input.ndim == 3

    def _check_state(self, h, batch: int, size: int, what: str) -> Tensor:
        if h.dtype != self.weight_ih_l0.dtype:
            raise RuntimeError(f"Input and hidden tensors are not the same dtype, found input "
                               f"tensor with {self.weight_ih_l0.dtype} and hidden tensor with "
                               f"{h.dtype}")
        dirs = 2 if self.bidirectional else 1
        expected = (self.num_layers * dirs, batch, size)
        if tuple(h.shape) != expected:
            raise RuntimeError(f"Expected {what} size {expected}, got {list(h.shape)}")
        return h

    def _states(self, hx, batched: bool, batch: int):
        """Validate ``hx`` and return ``(h0, c0)`` stacks of shape (layers*dirs, N, *)."""
        lstm = self.mode == "LSTM"
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        if hx is None:
            return None, None
        if lstm:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise RuntimeError("LSTM expects hx to be a tuple (h_0, c_0)")
            h, c = hx
            want = 3 if batched else 2
            if h.ndim != want or c.ndim != want:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but "
                                   f"got ({h.ndim}-D, {c.ndim}-D) tensors")
            if not batched:
                h, c = h.unsqueeze(1), c.unsqueeze(1)
            self._check_state(h, batch, real_hidden, "hidden[0]")
            self._check_state(c, batch, self.hidden_size, "hidden[1]")
            return h, c
        h = hx
        want = 3 if batched else 2
        if h.ndim != want:
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got "
                               f"{h.ndim}-D tensor")
        if not batched:
            h = h.unsqueeze(1)
        return self._check_state(h, batch, self.hidden_size, "hidden"), None

    def forward(self, input: Tensor, hx=None):
        """Run the layers over the sequence; returns ``output`` and ``h_n`` (LSTM:
        ``(h_n, c_n)``)."""
        batched = self._check_input(input)
        x = input if not batched else (input.transpose(0, 1) if self.batch_first else input)
        if not batched:
            x = x.unsqueeze(1)
        h0s, c0s = self._states(hx, batched, x.shape[1])
        dirs = 2 if self.bidirectional else 1
        lstm = self.mode == "LSTM"
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                names = self._all_weights[k]
                p = {n.split("_l")[0]: getattr(self, n) for n in names}
                xw = linear(x, p["weight_ih"], p.get("bias_ih"))
                h0 = None if h0s is None else h0s[k]
                c0 = None if c0s is None else c0s[k]
                res = Recurrent.apply(xw, h0, c0, p["weight_hh"], p.get("bias_hh"),
                                      p.get("weight_hr"), self.mode, d == 1)
                outs.append(res[0])
                h_n.append(res[1])
                if lstm:
                    c_n.append(res[2])
            x = outs[0] if dirs == 1 else cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout, True)
        h_n = stack(h_n)
        c_n = stack(c_n) if lstm else None
        if not batched:
            x, h_n = x.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if lstm else None
        elif self.batch_first:
            x = x.transpose(0, 1).contiguous()
        return x, ((h_n, c_n) if lstm else h_n)


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or ReLU), stacked
    over ``num_layers`` and optionally run in both directions.

    Args:
        input_size: features of each input step.
        hidden_size: features of the hidden state.
        num_layers: stacked layers (each one's output feeds the next).
        nonlinearity: ``'tanh'`` or ``'relu'``.
        bias: learn ``b_ih`` and ``b_hh``.
        batch_first: input and output are ``(N, L, *)`` instead of ``(L, N, *)``.
        dropout: dropout probability on the outputs of all layers but the last.
        bidirectional: also run the sequence backwards and concatenate.

    Shape:
        - input ``(L, N, input_size)`` (or ``(N, L, ...)``, or unbatched ``(L, input_size)``);
          ``h_0`` ``(D * num_layers, N, hidden_size)``, zeros when omitted.
        - output ``(L, N, D * hidden_size)``; ``h_n`` ``(D * num_layers, N, hidden_size)``,
          where ``D = 2`` if bidirectional else 1.

    Attributes:
        weight_ih_l[k], weight_hh_l[k], bias_ih_l[k], bias_hh_l[k] (``_reverse`` for the
        backward direction), all from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``.

    Example:
        >>> import chainrule as torch
        >>> rnn = torch.nn.RNN(10, 20, 2)
        >>> output, hn = rnn(torch.randn(5, 3, 10), torch.randn(2, 3, 20))
        >>> output.shape, hn.shape
        (torch.Size([5, 3, 20]), torch.Size([2, 3, 20]))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        self.nonlinearity = nonlinearity
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)


class LSTM(RNNBase):
    """Long short-term memory, stacked over ``num_layers``, optionally bidirectional.

    Per step: ``i, f, g, o = split(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (sigmoid, sigmoid, tanh,
    sigmoid), ``c = f * c + i * g``, ``h = o * tanh(c)`` (then ``h W_hr^T`` with ``proj_size``).

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional: as in
            ``RNN``.
        proj_size: if positive, project ``h`` to this size.

    Shape:
        - input as in ``RNN``; ``(h_0, c_0)`` of shapes ``(D * num_layers, N, H_out)`` and
          ``(D * num_layers, N, hidden_size)``, zeros when omitted.
        - output ``(L, N, D * H_out)``, ``(h_n, c_n)`` shaped like ``(h_0, c_0)``
          (``H_out = proj_size or hidden_size``).

    Attributes:
        weight_ih_l[k] ``(4 * hidden_size, in)``, weight_hh_l[k], bias_ih_l[k], bias_hh_l[k]
        (gates in the order i, f, g, o), weight_hr_l[k] with projections; ``_reverse`` for the
        backward direction.

    Example:
        >>> import chainrule as torch
        >>> lstm = torch.nn.LSTM(10, 20, 2, batch_first=True)
        >>> out, (hn, cn) = lstm(torch.randn(3, 5, 10))
        >>> out.shape, hn.shape, cn.shape
        (torch.Size([3, 5, 20]), torch.Size([2, 3, 20]), torch.Size([2, 3, 20]))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit, stacked over ``num_layers``, optionally bidirectional.

    Per step: ``r = sigmoid(x W_ir + b_ir + h W_hr + b_hr)``, ``z`` likewise,
    ``n = tanh(x W_in + b_in + r * (h W_hn + b_hn))``, ``h = (1 - z) * n + z * h``.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional: as in
            ``RNN``.

    Shape:
        - as in ``RNN``.

    Attributes:
        weight_ih_l[k] ``(3 * hidden_size, in)``, weight_hh_l[k], bias_ih_l[k], bias_hh_l[k]
        (gates in the order r, z, n); ``_reverse`` for the backward direction.

    Example:
        >>> import chainrule as torch
        >>> gru = torch.nn.GRU(10, 20, bidirectional=True)
        >>> out, hn = gru(torch.randn(5, 3, 10))
        >>> out.shape, hn.shape
        (torch.Size([5, 3, 40]), torch.Size([2, 3, 20]))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)


class RNNCellBase(Module):
    """Parameters and checks shared by ``RNNCell``, ``LSTMCell`` and ``GRUCell``."""

    _mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        check_device(device, type(self).__name__)
        self.input_size = _int_arg(input_size, "input_size")
        self.hidden_size = _int_arg(hidden_size, "hidden_size")
        self.bias = bias
        npd = (_dtypes.to_dtype(dtype) if dtype is not None else _dtypes.get_default_dtype()).np
        g = num_chunks * self.hidden_size
        self.weight_ih = Parameter(Tensor._make(np.empty((g, self.input_size), npd)))
        self.weight_hh = Parameter(Tensor._make(np.empty((g, self.hidden_size), npd)))
        if bias:
            self.bias_ih = Parameter(Tensor._make(np.empty((g,), npd)))
            self.bias_hh = Parameter(Tensor._make(np.empty((g,), npd)))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every weight and bias from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input: Tensor, states: tuple):
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D "
                             "instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {self.input_size}")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        out = []
        for k, h in enumerate(states):
            if h is None:
                h = _zeros((x.shape[0], self.hidden_size), x)
            else:
                if h.ndim != input.ndim:
                    raise RuntimeError(f"{name}: Expected hidden state to be "
                                       f"{input.ndim}D like the input, got {h.ndim}D")
                h = h if batched else h.unsqueeze(0)
                if h.shape[0] != x.shape[0]:
                    raise RuntimeError(f"Input batch size {x.shape[0]} doesn't match "
                                       f"hidden{k} batch size {h.shape[0]}")
                if h.shape[1] != self.hidden_size:
                    raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got "
                                       f"{h.shape[1]}, expected {self.hidden_size}")
            out.append(h)
        return x, out, batched

    def _step(self, x: Tensor, h: Tensor, c=None):
        gx = linear(x, self.weight_ih, self.bias_ih)
        return _cell(self._mode, gx, h, c, self.weight_hh, self.bias_hh, None)


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``.

    Args:
        input_size: features of the input.
        hidden_size: features of the hidden state.
        bias: learn ``bias_ih`` and ``bias_hh``.
        nonlinearity: ``'tanh'`` or ``'relu'``.

    Shape:
        - input ``(N, input_size)`` or ``(input_size)``; hidden ``(N, hidden_size)`` (zeros
          when omitted); output like the hidden state.

    Example:
        >>> import chainrule as torch
        >>> cell = torch.nn.RNNCell(10, 20)
        >>> cell(torch.randn(3, 10)).shape
        torch.Size([3, 20])
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity
        self._mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input: Tensor, hx=None) -> Tensor:
        """Return the next hidden state."""
        x, (h,), batched = self._prepare(input, (hx,))
        h, _ = self._step(x, h)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns ``(h', c')``. Gates in PyTorch's order ``i, f, g, o``.

    Args:
        input_size: features of the input.
        hidden_size: features of the hidden and cell states.
        bias: learn ``bias_ih`` and ``bias_hh``.

    Shape:
        - input ``(N, input_size)`` or ``(input_size)``; ``hx = (h, c)``, each
          ``(N, hidden_size)`` (zeros when omitted); outputs shaped like the states.

    Example:
        >>> import chainrule as torch
        >>> cell = torch.nn.LSTMCell(10, 20)
        >>> h, c = cell(torch.randn(3, 10))
        >>> h.shape, c.shape
        (torch.Size([3, 20]), torch.Size([3, 20]))
    """

    _mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx=None):
        """Return the next ``(h, c)``."""
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise RuntimeError("lstm_cell expects two hidden states")
        x, (h, c), batched = self._prepare(input, (None, None) if hx is None else tuple(hx))
        h, c = self._step(x, h, c)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (gates in PyTorch's order ``r, z, n``).

    Args:
        input_size: features of the input.
        hidden_size: features of the hidden state.
        bias: learn ``bias_ih`` and ``bias_hh``.

    Shape:
        - input ``(N, input_size)`` or ``(input_size)``; hidden ``(N, hidden_size)`` (zeros
          when omitted); output like the hidden state.

    Example:
        >>> import chainrule as torch
        >>> cell = torch.nn.GRUCell(10, 20)
        >>> cell(torch.randn(3, 10), torch.zeros(3, 20)).shape
        torch.Size([3, 20])
    """

    _mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx=None) -> Tensor:
        """Return the next hidden state."""
        x, (h,), batched = self._prepare(input, (hx,))
        h, _ = self._step(x, h)
        return h if batched else h.squeeze(0)
