"""Recurrent layers with Keras's weight layouts: ``LSTM``, ``GRU``, ``SimpleRNN``.

Weights are Keras's: ``kernel`` ``(features, G * units)``, ``recurrent_kernel``
``(units, G * units)`` and ``bias`` (gate order LSTM ``i, f, c, o``; GRU ``z, r, h`` with a
``(2, 3 * units)`` bias as Keras 3's ``reset_after=True``). With the default activations the
loop over time runs in chainrule's fused recurrence (one node for the whole sequence, BPTT on
raw arrays): the input projection of all steps is one matmul, and the recurrence gets the
Keras weights through views (GRU gates are reordered to PyTorch's ``r, z, n``). Other
activations or ``recurrent_dropout`` use a step-by-step loop of tensor ops.
"""

from __future__ import annotations

import numpy as np

from ..._tensor import Tensor
from ...nn import functional as F
from ...ops.joining import cat, stack
from ...ops.recurrent import Recurrent
from .. import activations, initializers, regularizers
from .base import InputSpec, Layer
from .core import _as_float

__all__ = ["GRU", "LSTM", "SimpleRNN"]


class _RNN(Layer):
    gates = 1
    mode = "RNN_TANH"

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, unroll: bool = False, seed=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.units = int(units)
        if self.units <= 0:
            raise ValueError(f"Received an invalid value for argument `units`, expected a "
                             f"positive integer, got {units}.")
        if stateful:
            raise NotImplementedError(f"{type(self).__name__}: stateful=True is not supported")
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.recurrent_constraint = recurrent_constraint
        self.bias_constraint = bias_constraint
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.return_sequences, self.return_state = return_sequences, return_state
        self.go_backwards = go_backwards
        self.input_spec = InputSpec(ndim=3)

    def _bias_shape(self) -> tuple:
        return (self.gates * self.units,)

    def _bias_init(self, shape, dtype=None):
        return self.bias_initializer(shape, dtype=dtype)

    def build(self, input_shape) -> None:
        features = input_shape[-1]
        g = self.gates * self.units
        self.kernel = self.add_weight(shape=(features, g), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(shape=(self.units, g), name="recurrent_kernel",
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        if self.use_bias:
            self.bias = self.add_weight(shape=self._bias_shape(), name="bias",
                                        initializer=self._bias_init,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=3, axes={-1: features})
        self.built = True

    def _fused_ok(self) -> bool:
        return (self.activation is activations.tanh or
                (self.mode != "LSTM" and self.mode != "GRU" and self.activation is
                 activations.relu)) and \
            (self.gates == 1 or self.recurrent_activation is activations.sigmoid) and \
            not self.recurrent_dropout

    def call(self, inputs, initial_state=None, training=None, mask=None):
        x = _as_float(inputs)
        if training and self.dropout > 0:
            keep = F.dropout(Tensor._make(np.ones((x.shape[0], 1, x.shape[2]), np.float32)),
                             self.dropout, True)
            x = x * keep
        states = self._initial_states(x, initial_state)
        if self._fused_ok():
            seq, finals = self._run_fused(x, states)
        else:
            seq, finals = self._run_loop(x, states, training)
        if self.go_backwards:
            seq = seq.flip(1)
        out = seq if self.return_sequences else finals[0]
        if self.return_state:
            return [out, *finals]
        return out

    def _initial_states(self, x, initial_state):
        if initial_state is None:
            return None
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) \
            else [initial_state]
        return [_as_float(s if isinstance(s, Tensor) else Tensor._make(np.asarray(
            s, np.float32))) for s in states]

    def compute_output_shape(self, input_shape):
        n, t = input_shape[0], input_shape[1]
        out = (n, t, self.units) if self.return_sequences else (n, self.units)
        if self.return_state:
            return [out] + [(n, self.units)] * (2 if self.mode == "LSTM" else 1)
        return out

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "use_bias": self.use_bias, "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout,
                "return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards}

    # ---- the fused recurrence ------------------------------------------------------------
    def _projections(self, x):
        """Time-major input projections ``(T, N, G*units)`` and the recurrence's weights in
        PyTorch's layout (``w_hh`` ``(G*units, units)``, ``b_hh`` or None)."""
        xt = x.transpose(0, 1)
        xw = xt @ self.kernel
        if self.use_bias:
            xw = xw + self.bias
        return xw, self.recurrent_kernel.t(), None

    def _run_fused(self, x, states):
        xw, w_hh, b_hh = self._projections(x)
        h0 = states[0] if states else None
        c0 = states[1] if states and self.mode == "LSTM" else None
        res = Recurrent.apply(xw, h0, c0, w_hh, b_hh, None, self.mode, bool(self.go_backwards))
        seq = res[0].transpose(0, 1)
        return seq, list(res[1:])

    # ---- the step loop (custom activations, recurrent dropout) ------------------------
    def _run_loop(self, x, states, training):
        n, steps = x.shape[0], x.shape[1]
        zeros = Tensor._make(np.zeros((n, self.units), np.float32))
        h = states[0] if states else zeros
        c = (states[1] if states and len(states) > 1 else zeros) if self.mode == "LSTM" \
            else None
        rmask = None
        if training and self.recurrent_dropout > 0:
            rmask = F.dropout(Tensor._make(np.ones((n, self.units), np.float32)),
                              self.recurrent_dropout, True)
        xw = x @ self.kernel
        if self.use_bias and self.mode != "GRU":
            xw = xw + self.bias
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outs = []
        for t in order:
            hr = h * rmask if rmask is not None else h
            h, c = self._step(xw[:, t], hr, h, c)
            outs.append(h)
        seq = stack(outs, 1)
        if self.go_backwards:
            seq = seq.flip(1)
        finals = [h] if c is None else [h, c]
        return seq, finals

    def _step(self, gx, hr, h, c):
        z = self.activation(gx + hr @ self.recurrent_kernel)
        return z, None


class SimpleRNN(_RNN):
    """Fully-connected recurrence ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel
    + bias)``.

    Args:
        units: state size.
        activation: default ``'tanh'``.
        return_sequences: return the state at every step ``(N, T, units)``.
        return_state: also return the final state.
        go_backwards: process the sequence in reverse.
        dropout, recurrent_dropout: dropout on inputs / on the recurrent state.
        (initializers, regularizers, constraints as in ``Dense``; recurrent kernel defaults
        to ``'orthogonal'``.)

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> rnn = keras.layers.SimpleRNN(8)
        >>> rnn(np.zeros((2, 5, 3))).shape, rnn.count_params()
        (torch.Size([2, 8]), 96)
    """

    gates = 1

    @property
    def mode(self) -> str:
        """The fused recurrence's mode: ``'RNN_RELU'`` or ``'RNN_TANH'``."""
        return "RNN_RELU" if self.activation is activations.relu else "RNN_TANH"


class LSTM(_RNN):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997) with Keras's weights.

    Args:
        units: state size.
        activation: default ``'tanh'``; recurrent_activation: default ``'sigmoid'``.
        unit_forget_bias: initialise the forget gate's bias to 1 (default True).
        return_sequences, return_state, go_backwards, dropout, recurrent_dropout: as in
            ``SimpleRNN``.

    Shape:
        ``(N, T, features)`` → ``(N, units)`` (or ``(N, T, units)``); ``kernel``
        ``(features, 4 * units)``, ``recurrent_kernel`` ``(units, 4 * units)``, ``bias``
        ``(4 * units,)``.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> lstm = keras.layers.LSTM(16, return_sequences=True)
        >>> lstm(np.zeros((2, 7, 8))).shape, lstm.count_params()
        (torch.Size([2, 7, 16]), 1600)
    """

    gates = 4
    mode = "LSTM"

    def __init__(self, units: int, *args, unit_forget_bias: bool = True, **kwargs) -> None:
        super().__init__(units, *args, **kwargs)
        self.unit_forget_bias = unit_forget_bias

    def _bias_init(self, shape, dtype=None):
        b = np.asarray(self.bias_initializer(shape, dtype=dtype))
        if self.unit_forget_bias:
            b = b.copy()
            b[self.units:2 * self.units] = 1.0
        return b

    def _step(self, gx, hr, h, c):
        z = gx + hr @ self.recurrent_kernel
        u = self.units
        i = self.recurrent_activation(z[:, :u])
        f = self.recurrent_activation(z[:, u:2 * u])
        g = self.activation(z[:, 2 * u:3 * u])
        o = self.recurrent_activation(z[:, 3 * u:])
        c = f * c + i * g
        return o * self.activation(c), c


class GRU(_RNN):
    """Gated recurrent unit (Cho et al., 2014), Keras 3's ``reset_after=True`` variant.

    Args:
        units: state size.
        activation: default ``'tanh'``; recurrent_activation: default ``'sigmoid'``.
        reset_after: must be True (Keras 3's default; matches cuDNN and PyTorch).
        return_sequences, return_state, go_backwards, dropout, recurrent_dropout: as in
            ``SimpleRNN``.

    Shape:
        ``kernel`` ``(features, 3 * units)``, ``recurrent_kernel`` ``(units, 3 * units)``,
        ``bias`` ``(2, 3 * units)`` (input and recurrent biases).

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> gru = keras.layers.GRU(4)
        >>> gru(np.zeros((2, 5, 3))).shape, gru.count_params()
        (torch.Size([2, 4]), 108)
    """

    gates = 3
    mode = "GRU"

    def __init__(self, units: int, *args, reset_after: bool = True, **kwargs) -> None:
        super().__init__(units, *args, **kwargs)
        if not reset_after:
            raise NotImplementedError("GRU: only reset_after=True (Keras 3's default) is "
                                      "supported")
        self.reset_after = True

    def _bias_shape(self) -> tuple:
        return (2, 3 * self.units)

    def _projections(self, x):
        u = self.units

        def reorder(t):  # Keras z, r, h -> PyTorch r, z, n along the last axis
            return cat([t[..., u:2 * u], t[..., :u], t[..., 2 * u:]], -1)

        xw = x.transpose(0, 1) @ self.kernel
        b_hh = None
        if self.use_bias:
            xw = xw + self.bias[0]
            b_hh = reorder(self.bias[1])
        return reorder(xw), reorder(self.recurrent_kernel).t(), b_hh

    def _step(self, gx, hr, h, c):
        u = self.units
        gh = hr @ self.recurrent_kernel
        if self.use_bias:
            gx = gx + self.bias[0]
            gh = gh + self.bias[1]
        z = self.recurrent_activation(gx[:, :u] + gh[:, :u])
        r = self.recurrent_activation(gx[:, u:2 * u] + gh[:, u:2 * u])
        hh = self.activation(gx[:, 2 * u:] + r * gh[:, 2 * u:])
        return z * h + (1 - z) * hh, None
