"""Keras optimizers (``keras.optimizers``) with Keras's defaults and update rules.

A Keras optimizer is created without parameters (``Adam(learning_rate=1e-3)``) and bound to
a model's weights when training starts (``build``). The update itself is a
``chainrule.optim.Optimizer``: the chainrule class, configured, where its maths equals Keras's
(``Adadelta``, ``Nadam``), otherwise a small subclass with Keras's rule, because Keras differs
from PyTorch in where epsilon goes and how momentum is kept:

- SGD: ``v = momentum * v - lr * g; w += v`` (the velocity includes the learning rate);
- RMSprop: ``w -= lr * g / sqrt(ms + epsilon)`` (epsilon inside the root), ``rho=0.9``;
- Adam: ``w -= lr_t * m / (sqrt(v) + epsilon)`` with ``lr_t = lr * sqrt(1 - b2^t) /
  (1 - b1^t)`` (epsilon added to the uncorrected root), ``epsilon=1e-7``;
- Adagrad: accumulator starts at 0.1, ``w -= lr * g / sqrt(acc + epsilon)``;
- Adamax: ``u = max(b2 * u, |g|)``, ``w -= lr / (1 - b1^t) * m / (u + epsilon)``.

``weight_decay`` is Keras's decoupled decay (``w -= lr * weight_decay * w`` before the update);
``clipnorm``, ``clipvalue`` and ``global_clipnorm`` clip the gradients first.

Example:
    >>> from chainrule import keras
    >>> opt = keras.optimizers.RMSprop()
    >>> opt.learning_rate, opt.rho, opt.epsilon
    (0.001, 0.9, 1e-07)
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import optim as _optim
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from . import optimizer_rules as rules
from . import schedules
from .schedules import LearningRateSchedule

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Nadam", "Optimizer",
           "RMSprop", "get", "schedules"]


# ---- the Keras-facing optimizer ------------------------------------------------------------
class Optimizer:
    """Base class of Keras optimizers: configuration now, weights bound by ``build``.

    Args:
        learning_rate: a float or a ``schedules.LearningRateSchedule``.
        weight_decay: decoupled weight decay factor, or None.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients together to this global norm.
        name: the optimizer's name.
        use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
        gradient_accumulation_steps: accepted for compatibility (not supported when set).

    Example:
        >>> import chainrule as torch
        >>> from chainrule import keras
        >>> w = torch.nn.Parameter(torch.tensor([1.0]))
        >>> opt = keras.optimizers.SGD(learning_rate=0.5)
        >>> opt.apply([torch.tensor([2.0])], [w])
        >>> w.tolist(), opt.iterations
        ([0.0], 1)
    """

    _rule = rules.Rule
    _hyper: tuple = ()

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs) -> None:
        if "lr" in kwargs:
            warnings.warn("The `lr` argument is deprecated, use `learning_rate` instead.",
                          UserWarning, stacklevel=3)
            learning_rate = kwargs.pop("lr")
        for legacy in ("decay",):
            if kwargs.pop(legacy, None):
                raise ValueError(f"Argument `{legacy}` is no longer supported; use a "
                                 f"keras.optimizers.schedules.LearningRateSchedule.")
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if use_ema or gradient_accumulation_steps:
            raise NotImplementedError("use_ema and gradient_accumulation_steps are not "
                                      "supported")
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                             "set.")
        if not isinstance(learning_rate, LearningRateSchedule) and not callable(learning_rate):
            learning_rate = float(learning_rate)
            if learning_rate < 0:
                raise ValueError(f"Invalid learning_rate: {learning_rate}")
        self._learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, \
            global_clipnorm
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self.built = False
        self._opt: _optim.Optimizer | None = None
        self._variables: list = []

    # ---- learning rate ------------------------------------------------------------------
    def _current_lr(self) -> float:
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            return float(lr(self.iterations))
        if callable(lr):
            return float(lr())
        return lr

    @property
    def learning_rate(self) -> float:
        """The current learning rate (a schedule is evaluated at ``iterations``); assignable,
        e.g. by ``ReduceLROnPlateau``."""
        return self._current_lr()

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        """Set a new (constant) learning rate."""
        if isinstance(self._learning_rate, LearningRateSchedule):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as "
                            "its `learning_rate` constructor argument, hence its learning rate "
                            "is not settable.")
        self._learning_rate = value if isinstance(value, LearningRateSchedule) else \
            float(np.asarray(value._data if isinstance(value, Tensor) else value))
        self._sync_lr()

    lr = learning_rate

    def _sync_lr(self) -> None:
        if self._opt is not None:
            lr = self._current_lr()
            for group in self._opt.param_groups:
                group["lr"] = lr

    # ---- binding and stepping -----------------------------------------------------------
    def _group_options(self) -> dict:
        return {k: getattr(self, k) for k in self._hyper}

    def _make(self, params: list) -> _optim.Optimizer:
        defaults = {"lr": self._current_lr(), "weight_decay": self.weight_decay or 0.0,
                    **self._group_options()}
        return self._rule(params, defaults)

    def build(self, variables) -> None:
        """Bind the optimizer to ``variables`` (the model's weights) and create its state.

        Example:
            >>> import chainrule as torch
            >>> from chainrule import keras
            >>> opt = keras.optimizers.Adam()
            >>> opt.build([torch.nn.Parameter(torch.zeros(3))])
            >>> opt.built
            True
        """
        variables = [v for v in variables if isinstance(v, Tensor)]
        self._variables = variables
        self._opt = self._make(variables) if variables else None
        self.built = True

    def _clip(self, params: list) -> None:
        grads = [p._grad._data for p in params if p._grad is not None]
        if self.clipvalue is not None:
            for g in grads:
                np.clip(g, -self.clipvalue, self.clipvalue, out=g)
        elif self.clipnorm is not None:
            for g in grads:
                n = float(np.sqrt(np.sum(np.square(g, dtype=np.float64))))
                if n > self.clipnorm:
                    g *= self.clipnorm / n
        elif self.global_clipnorm is not None:
            total = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64)))
                                  for g in grads))
            if total > self.global_clipnorm:
                for g in grads:
                    g *= self.global_clipnorm / total

    def step(self) -> None:
        """Apply one update from the gradients stored in the weights' ``.grad``."""
        if self._opt is None:
            self.iterations += 1
            return
        self._sync_lr()
        if self.clipvalue is not None or self.clipnorm is not None or \
                self.global_clipnorm is not None:
            self._clip(self._variables)
        self._opt.step()
        self.iterations += 1

    def zero_grad(self) -> None:
        """Clear the gradients of the bound weights."""
        for v in self._variables:
            v._grad = None

    def apply(self, grads, trainable_variables=None) -> None:
        """Update ``trainable_variables`` with ``grads`` (arrays or tensors, same order).

        Args:
            grads: one gradient per variable (None skips a variable).
            trainable_variables: the weights; required on the first call.
        """
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When calling `apply` the first time, `trainable_variables` "
                                 "must be provided.")
            trainable_variables = self._variables
        trainable_variables = list(trainable_variables)
        grads = list(grads)
        if len(grads) != len(trainable_variables):
            raise ValueError(f"Got {len(grads)} gradients for {len(trainable_variables)} "
                             f"variables")
        if not self.built:
            self.build(trainable_variables)
        with no_grad():
            for v, g in zip(trainable_variables, grads):
                if g is None:
                    v._grad = None
                    continue
                arr = g._data if isinstance(g, Tensor) else np.asarray(g, dtype=v._data.dtype)
                v._grad = Tensor._make(np.array(arr, dtype=v._data.dtype, copy=True))
            self.step()

    def apply_gradients(self, grads_and_vars) -> None:
        """Update from ``(gradient, variable)`` pairs, as ``zip(grads, model.weights)``.

        Example:
            >>> import chainrule as torch
            >>> from chainrule import keras
            >>> w = torch.nn.Parameter(torch.tensor([1.0]))
            >>> keras.optimizers.SGD(0.1).apply_gradients([(torch.tensor([1.0]), w)])
            >>> round(w.item(), 4)
            0.9
        """
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])

    # ---- introspection ------------------------------------------------------------------
    def _slot_count(self) -> int:
        """Number of state arrays per weight (Keras's optimizer variables)."""
        if self._opt is None:
            return 0
        return len(self._opt._slot_names(self._opt.param_groups[0])) \
            if isinstance(self._opt, rules.Rule) else self._torch_slots

    _torch_slots = 0

    def variables_size(self) -> tuple[int, int]:
        """``(count, bytes)`` of the optimizer's variables as Keras counts them: the step
        counter, the learning rate (unless a schedule) and the per-weight state."""
        if not self.built:
            return 0, 0
        per = self._slot_count() * sum(int(v.numel()) for v in self._variables)
        fixed = 1 if isinstance(self._learning_rate, LearningRateSchedule) else 2
        nbytes = 8 + (0 if fixed == 1 else 4) + 4 * per
        return per + fixed, nbytes

    @property
    def variables(self) -> list:
        """The optimizer's state arrays (slots of every weight)."""
        if self._opt is None:
            return []
        out = []
        for p in self._variables:
            out.extend(v for k, v in self._opt.state.get(p, {}).items() if k != "step")
        return out

    def get_config(self) -> dict:
        """The constructor arguments (Keras names)."""
        lr = self._learning_rate
        config = {"name": self.name,
                  "learning_rate": lr if not isinstance(lr, LearningRateSchedule) else
                  {"class_name": type(lr).__name__, "config": lr.get_config()},
                  "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                  "clipvalue": self.clipvalue, "global_clipnorm": self.global_clipnorm}
        config.update(self._group_options())
        return config

    @classmethod
    def from_config(cls, config: dict):
        """Create an optimizer from ``get_config()``."""
        config = dict(config)
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            config["learning_rate"] = getattr(schedules, lr["class_name"])(**lr["config"])
        return cls(**config)

    def state_dict(self) -> dict:
        """The update state (for checkpoints), as a chainrule optimizer state dict."""
        return {"iterations": self.iterations,
                "state": self._opt.state_dict() if self._opt is not None else None}

    def load_state_dict(self, state: dict) -> None:
        """Restore ``state_dict()`` (the optimizer must be built on the same weights)."""
        self.iterations = int(state["iterations"])
        if state.get("state") is not None and self._opt is not None:
            self._opt.load_state_dict(state["state"])

    def __repr__(self) -> str:
        return f"<keras.optimizers.{type(self).__name__} name={self.name}>"


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, Keras's form.

    Args:
        learning_rate: default 0.01.
        momentum: in ``[0, 1]`` (default 0).
        nesterov: use Nesterov momentum.
        **kwargs: see ``Optimizer``.

    Example:
        >>> from chainrule import keras
        >>> keras.optimizers.SGD().learning_rate
        0.01
    """

    _rule = rules.SGDRule
    _hyper = ("momentum", "nesterov")

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False,
                 **kwargs) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012), Keras's form: ``w -= lr * g / sqrt(ms + epsilon)``.

    Args:
        learning_rate: default 0.001.
        rho: decay of the mean square (default 0.9).
        momentum: default 0.
        epsilon: default 1e-7 (inside the square root).
        centered: normalize by the gradient's estimated variance.

    Example:
        >>> from chainrule import keras
        >>> o = keras.optimizers.RMSprop()
        >>> o.learning_rate, o.rho, o.momentum, o.epsilon, o.centered
        (0.001, 0.9, 0.0, 1e-07, False)
    """

    _rule = rules.RMSpropRule
    _hyper = ("rho", "momentum", "epsilon", "centered")

    def __init__(self, learning_rate=0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, name="rmsprop",
                 **kwargs) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.momentum = float(rho), float(momentum)
        self.epsilon, self.centered = float(epsilon), bool(centered)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), Keras's form (epsilon added to the uncorrected root).

    Args:
        learning_rate: default 0.001.
        beta_1, beta_2: moment decays (0.9, 0.999).
        epsilon: default 1e-7.
        amsgrad: use the AMSGrad variant.

    Example:
        >>> from chainrule import keras
        >>> o = keras.optimizers.Adam()
        >>> o.learning_rate, o.beta_1, o.beta_2, o.epsilon
        (0.001, 0.9, 0.999, 1e-07)
    """

    _rule = rules.AdamRule
    _hyper = ("beta_1", "beta_2", "epsilon", "amsgrad")

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, name="adam", **kwargs) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon, self.amsgrad = float(epsilon), bool(amsgrad)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019); default decay 0.004.

    Example:
        >>> from chainrule import keras
        >>> keras.optimizers.AdamW().weight_decay
        0.004
    """

    def __init__(self, learning_rate=0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False,
                 name="adamw", **kwargs) -> None:
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, name=name,
                         weight_decay=weight_decay, **kwargs)


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), Keras's form: accumulator starts at 0.1,
    ``w -= lr * g / sqrt(acc + epsilon)``.

    Args:
        learning_rate: default 0.001.
        initial_accumulator_value: default 0.1.
        epsilon: default 1e-7.

    Example:
        >>> from chainrule import keras
        >>> o = keras.optimizers.Adagrad()
        >>> o.learning_rate, o.initial_accumulator_value, o.epsilon
        (0.001, 0.1, 1e-07)
    """

    _rule = rules.AdagradRule
    _hyper = ("initial_accumulator_value", "epsilon")

    def __init__(self, learning_rate=0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, name="adagrad", **kwargs) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value, self.epsilon = float(initial_accumulator_value), \
            float(epsilon)


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, 2015, section 7), Keras's form.

    Example:
        >>> from chainrule import keras
        >>> keras.optimizers.Adamax().epsilon
        1e-07
    """

    _rule = rules.AdamaxRule
    _hyper = ("beta_1", "beta_2", "epsilon")

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, name="adamax", **kwargs) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012): Keras's and PyTorch's rules coincide, so this configures
    ``chainrule.optim.Adadelta`` (defaults lr 0.001, rho 0.95, epsilon 1e-7).

    Example:
        >>> from chainrule import keras
        >>> keras.optimizers.Adadelta().rho
        0.95
    """

    _hyper = ("rho", "epsilon")
    _torch_slots = 2

    def __init__(self, learning_rate=0.001, rho: float = 0.95, epsilon: float = 1e-7,
                 name="adadelta", **kwargs) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.epsilon = float(rho), float(epsilon)

    def _make(self, params):
        return _optim.Adadelta(params, lr=self._current_lr(), rho=self.rho, eps=self.epsilon,
                               weight_decay=0)

    def step(self) -> None:
        """Apply Keras's decoupled weight decay, then chainrule's Adadelta update."""
        if self._opt is not None and self.weight_decay:
            with no_grad():
                for p in self._variables:
                    p._data -= p._data * (self._current_lr() * self.weight_decay)
        super().step()


class Nadam(Optimizer):
    """Nadam (Dozat, 2016): Keras's rule equals PyTorch's ``NAdam`` (momentum decay 0.004),
    so this configures ``chainrule.optim.NAdam`` (defaults lr 0.001, epsilon 1e-7).

    Example:
        >>> from chainrule import keras
        >>> keras.optimizers.Nadam().beta_1
        0.9
    """

    _hyper = ("beta_1", "beta_2", "epsilon")
    _torch_slots = 2

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, name="nadam", **kwargs) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _make(self, params):
        return _optim.NAdam(params, lr=self._current_lr(), betas=(self.beta_1, self.beta_2),
                            eps=self.epsilon, weight_decay=self.weight_decay or 0.0,
                            decoupled_weight_decay=bool(self.weight_decay))


_NAMES = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW, "adagrad": Adagrad,
          "adamax": Adamax, "adadelta": Adadelta, "nadam": Nadam}


def get(identifier) -> Optimizer:
    """Resolve an optimizer given by name (``'sgd'``, ``'rmsprop'``, ``'adam'`` … any case),
    class, config dict or instance.

    Raises:
        ValueError: unknown name (the message lists the known ones).

    Example:
        >>> type(get("Adam")).__name__
        'Adam'
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, dict):
        cls = _NAMES.get(str(identifier.get("class_name", "")).lower())
        if cls is None:
            raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        cls = _NAMES.get(identifier.lower())
        if cls is None:
            raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}. Known "
                             f"optimizers: {', '.join(repr(k) for k in _NAMES)}")
        return cls()
    if isinstance(identifier, _optim.Optimizer):
        raise TypeError("compile() expects a Keras optimizer (keras.optimizers.Adam() …) or "
                        "its name, received a chainrule.optim optimizer; use "
                        "keras.optimizers instead")
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")
