"""Keras's update rules as ``chainrule.optim.Optimizer`` subclasses (used by
``keras.optimizers``). Each group carries ``lr``, Keras's decoupled ``weight_decay`` and the
rule's hyper-parameters under Keras's names; the state of each weight (its "slots") is kept
under Keras's variable names (``momentum``, ``velocity`` …) and updated in place over all
the weights at once, through the base class's ``_run_update`` (``optim._foreach``)."""

from __future__ import annotations

import math

import numpy as np

from .. import optim as _optim
from .._tensor import Tensor

__all__ = ["AdagradRule", "AdamRule", "AdamaxRule", "RMSpropRule", "Rule", "SGDRule"]


class Rule(_optim.Optimizer):
    """A chainrule optimizer applying one Keras update rule; the group carries ``lr``,
    ``weight_decay`` (decoupled) and the rule's hyper-parameters. Subclasses name their
    per-weight state (``_slot_names``) and update one block of it (``_apply``).

    Example:
        >>> import chainrule
        >>> w = chainrule.nn.Parameter(chainrule.tensor([1.0]))
        >>> opt = SGDRule([w], {"lr": 0.5, "momentum": 0.0, "nesterov": False})
        >>> w.grad = chainrule.tensor([1.0]); opt.step(); w.tolist()
        [0.5]
    """

    slots: tuple = ()

    def _state(self, p: Tensor) -> dict:
        state = self.state[p]
        if not state:
            state["step"] = self._scalar_tensor(0.0)
            for name in self._slot_names(self.param_groups[0]):
                init = self._slot_init(name)
                state[name] = Tensor._make(np.full_like(p._data, init, order="C"))
        return state

    def _slot_names(self, group) -> list:
        return list(self.slots)

    def _slot_init(self, name: str) -> float:
        return 0.0

    def _update_group(self, group, params) -> None:
        lr, wd = float(group["lr"]), group.get("weight_decay") or 0.0
        names = self._slot_names(group)
        items = []
        for p in params:
            state = self._state(p)
            state["step"]._data += 1
            items.append((float(state["step"]._data),
                          [p._data, p._grad._data, *(state[n]._data for n in names)]))

        def kernel(step, theta, g, *slots_and_tmp):
            *slots, tmp = slots_and_tmp
            if wd:
                theta -= theta * (lr * wd)
            self._apply(group, lr, step, theta, g, dict(zip(names, slots)), tmp)

        self._run_update(params, items, kernel, 1)


class SGDRule(Rule):
    """Keras SGD: ``v = momentum * v - lr * g; w += v`` (Nesterov:
    ``w += momentum * v - lr * g``).

    Example:
        >>> import chainrule
        >>> w = chainrule.nn.Parameter(chainrule.tensor([1.0]))
        >>> opt = SGDRule([w], {"lr": 0.1, "momentum": 0.9, "nesterov": False})
        >>> w.grad = chainrule.tensor([1.0]); opt.step(); w.item() < 1.0
        True
    """

    def _slot_names(self, group):
        return ["momentum"] if group["momentum"] else []

    def _apply(self, group, lr, step, theta, g, s, tmp):
        mu = group["momentum"]
        if not mu:
            np.multiply(g, lr, out=tmp)
            theta -= tmp
            return
        m = s["momentum"]
        m *= mu
        np.multiply(g, lr, out=tmp)
        m -= tmp
        if group["nesterov"]:
            np.multiply(m, mu, out=tmp)
            tmp -= g * lr
            theta += tmp
        else:
            theta += m


class RMSpropRule(Rule):
    """Keras RMSprop: ``ms = rho * ms + (1 - rho) * g**2; w -= lr * g / sqrt(ms + eps)``.

    Example:
        >>> import chainrule
        >>> w = chainrule.nn.Parameter(chainrule.tensor([1.0]))
        >>> opt = RMSpropRule([w], {"lr": 0.1, "rho": 0.9, "momentum": 0.0,
        ...                         "epsilon": 1e-7, "centered": False})
        >>> w.grad = chainrule.tensor([1.0]); opt.step(); w.item() < 1.0
        True
    """

    def _slot_names(self, group):
        names = ["velocity"]
        if group["momentum"]:
            names.append("momentum")
        if group["centered"]:
            names.append("average_gradient")
        return names

    def _apply(self, group, lr, step, theta, g, s, tmp):
        rho, eps = group["rho"], group["epsilon"]
        v = s["velocity"]
        v *= rho
        np.multiply(g, g, out=tmp)
        tmp *= 1 - rho
        v += tmp
        if group["centered"]:
            a = s["average_gradient"]
            a *= rho
            a += (1 - rho) * g
            np.multiply(a, a, out=tmp)
            np.subtract(v, tmp, out=tmp)
            tmp += eps
        else:
            np.add(v, eps, out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(g, tmp, out=tmp)
        tmp *= lr  # tmp: the increment
        if group["momentum"]:
            mom = s["momentum"]
            mom *= group["momentum"]
            mom += tmp
            theta -= mom
        else:
            theta -= tmp


class AdamRule(Rule):
    """Keras Adam: ``w -= lr * sqrt(1 - b2**t) / (1 - b1**t) * m / (sqrt(v) + eps)``.

    Example:
        >>> import chainrule
        >>> w = chainrule.nn.Parameter(chainrule.tensor([1.0]))
        >>> opt = AdamRule([w], {"lr": 0.1, "beta_1": 0.9, "beta_2": 0.999,
        ...                      "epsilon": 1e-7, "amsgrad": False})
        >>> w.grad = chainrule.tensor([1.0]); opt.step(); w.item() < 1.0
        True
    """

    def _slot_names(self, group):
        return ["momentum", "velocity"] + (["velocity_hat"] if group["amsgrad"] else [])

    def _apply(self, group, lr, step, theta, g, s, tmp):
        b1, b2, eps = group["beta_1"], group["beta_2"], group["epsilon"]
        alpha = lr * math.sqrt(1 - b2 ** step) / (1 - b1 ** step)
        m, v = s["momentum"], s["velocity"]
        np.subtract(g, m, out=tmp)
        tmp *= 1 - b1
        m += tmp
        np.multiply(g, g, out=tmp)
        tmp -= v
        tmp *= 1 - b2
        v += tmp
        if group["amsgrad"]:
            np.maximum(s["velocity_hat"], v, out=s["velocity_hat"])
            v = s["velocity_hat"]
        np.sqrt(v, out=tmp)
        tmp += eps
        np.divide(m, tmp, out=tmp)
        tmp *= alpha
        theta -= tmp


class AdagradRule(Rule):
    """Keras Adagrad: ``acc += g**2; w -= lr * g / sqrt(acc + eps)``.

    Example:
        >>> import chainrule
        >>> w = chainrule.nn.Parameter(chainrule.tensor([1.0]))
        >>> opt = AdagradRule([w], {"lr": 0.1, "epsilon": 1e-7,
        ...                         "initial_accumulator_value": 0.1})
        >>> w.grad = chainrule.tensor([1.0]); opt.step(); w.item() < 1.0
        True
    """

    slots = ("accumulator",)

    def _slot_init(self, name):
        return self.defaults["initial_accumulator_value"]

    def _apply(self, group, lr, step, theta, g, s, tmp):
        acc = s["accumulator"]
        np.multiply(g, g, out=tmp)
        acc += tmp
        np.add(acc, group["epsilon"], out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(g, tmp, out=tmp)
        tmp *= lr
        theta -= tmp


class AdamaxRule(Rule):
    """Keras Adamax: ``u = max(b2 * u, |g|); w -= lr / (1 - b1**t) * m / (u + eps)``.

    Example:
        >>> import chainrule
        >>> w = chainrule.nn.Parameter(chainrule.tensor([1.0]))
        >>> opt = AdamaxRule([w], {"lr": 0.1, "beta_1": 0.9, "beta_2": 0.999,
        ...                        "epsilon": 1e-7})
        >>> w.grad = chainrule.tensor([1.0]); opt.step(); w.item() < 1.0
        True
    """

    slots = ("m", "u")

    def _apply(self, group, lr, step, theta, g, s, tmp):
        b1, b2, eps = group["beta_1"], group["beta_2"], group["epsilon"]
        m, u = s["m"], s["u"]
        np.subtract(g, m, out=tmp)
        tmp *= 1 - b1
        m += tmp
        u *= b2
        np.maximum(u, np.abs(g), out=u)
        np.add(u, eps, out=tmp)
        np.divide(m, tmp, out=tmp)
        tmp *= lr / (1 - b1 ** step)
        theta -= tmp
