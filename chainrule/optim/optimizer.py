"""``Optimizer``: the base class of all optimizers, with PyTorch's API and state-dict format.

The base owns the parameter groups, per-parameter state, ``zero_grad``, ``step`` (closure, hooks,
skipping parameters without a gradient) and ``state_dict``/``load_state_dict``. A subclass
validates its hyper-parameters, calls ``super().__init__(params, defaults)`` and writes one
method, ``_update_group(group, params)``, which updates the raw parameter arrays in place.
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

import numpy as np

from .. import _dtypes
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad, no_grad
from . import _fused
from ._foreach import foreach

__all__ = [
    "Optimizer",
    "register_optimizer_step_post_hook",
    "register_optimizer_step_pre_hook",
    "required",
]


class _RequiredParameter:
    """Singleton marking a hyper-parameter that each parameter group must specify."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

_global_pre_hooks: OrderedDict = OrderedDict()
_global_post_hooks: OrderedDict = OrderedDict()


class _HookHandle:
    """Handle returned by the ``register_*_hook`` methods; ``remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: OrderedDict) -> None:
        self.hooks = hooks
        self.id = _HookHandle._next_id
        _HookHandle._next_id += 1

    def remove(self) -> None:
        """Unregister the hook (a no-op if it is already gone)."""
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _register(hooks: OrderedDict, hook: Callable, prepend: bool = False) -> _HookHandle:
    handle = _HookHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook: Callable) -> _HookHandle:
    """Register ``hook(optimizer, args, kwargs)`` to run before every optimizer's ``step``.

    Returns:
        A handle whose ``remove()`` unregisters the hook.

    Example:
        >>> import chainrule
        >>> from chainrule import optim
        >>> from chainrule.optim.optimizer import register_optimizer_step_pre_hook
        >>> seen = []
        >>> handle = register_optimizer_step_pre_hook(lambda opt, args, kw: seen.append(opt))
        >>> opt = optim.SGD([chainrule.tensor([1.0], requires_grad=True)], lr=0.1)
        >>> opt.step()
        >>> handle.remove()
        >>> seen == [opt]
        True
    """
    return _register(_global_pre_hooks, hook)


def register_optimizer_step_post_hook(hook: Callable) -> _HookHandle:
    """Register ``hook(optimizer, args, kwargs)`` to run after every optimizer's ``step``.

    Returns:
        A handle whose ``remove()`` unregisters the hook.

    Example:
        >>> import chainrule
        >>> from chainrule import optim
        >>> from chainrule.optim.optimizer import register_optimizer_step_post_hook
        >>> steps = []
        >>> handle = register_optimizer_step_post_hook(lambda opt, args, kw: steps.append(1))
        >>> opt = optim.SGD([chainrule.tensor([1.0], requires_grad=True)], lr=0.1)
        >>> opt.step(); opt.step()
        >>> handle.remove()
        >>> len(steps)
        2
    """
    return _register(_global_post_hooks, hook)


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", "") else f"{module}.{cls.__qualname__}"


def _hooked_step(step: Callable) -> Callable:
    """Wrap a ``step`` method so the step hooks run around it and schedulers see it was called."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if self.__dict__.get("_in_step"):  # super().step() from an overriding step
            return step(self, *args, **kwargs)
        self._in_step = True
        try:
            return _run_hooked(step, self, args, kwargs)
        finally:
            self._in_step = False

    wrapper._hooked = True
    return wrapper


def _run_hooked(step: Callable, self, args, kwargs):
    for hook in chain(_global_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
        result = hook(self, args, kwargs)
        if result is not None:
            if not (isinstance(result, tuple) and len(result) == 2):
                raise RuntimeError(f"{step} must return None or a tuple of (new_args, "
                                   f"new_kwargs), but got {result}.")
            args, kwargs = result
    out = step(self, *args, **kwargs)
    self._opt_called = True  # read by the LR schedulers' call-order warning
    for hook in chain(self._optimizer_step_post_hooks.values(), _global_post_hooks.values()):
        hook(self, args, kwargs)
    return out


def _scalar(x) -> float:
    """A hyper-parameter as a Python float (0-d or one-element tensors are accepted)."""
    return float(x._data) if isinstance(x, Tensor) else float(x)


class Optimizer:
    """Base class for all optimizers.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (parameter
            groups, each with a ``"params"`` entry and optional per-group hyper-parameters).
            Use an ordered collection (a list, a generator over a model's parameters), not a set.
        defaults: the hyper-parameters used where a group does not give its own.

    Attributes:
        param_groups: list of dicts, one per parameter group.
        state: dict mapping each parameter to a dict of its state (e.g. ``exp_avg``).
        defaults: the default hyper-parameters.

    A subclass writes only its update rule, ``_update_group(group, params)``: ``params`` are the
    group's parameters whose ``.grad`` is set, and it updates ``p._data`` in place.

    Example:
        >>> import numpy as np
        >>> import chainrule
        >>> from chainrule.optim import Optimizer
        >>> class SignSGD(Optimizer):
        ...     def __init__(self, params, lr=0.1):
        ...         super().__init__(params, dict(lr=lr))
        ...     def _update_group(self, group, params):
        ...         for p in params:
        ...             p._data -= group["lr"] * np.sign(p.grad._data)
        ...             p._version.value += 1
        >>> w = chainrule.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = SignSGD([w])
        >>> w.grad = chainrule.tensor([3.0, -0.5])
        >>> opt.step()
        >>> w.tolist()
        [0.8999999761581421, -0.8999999761581421]
    """

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_hooked", False):
            cls.step = _hooked_step(step)  # a subclass written PyTorch-style keeps the hooks

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {_typename(params)}")
        if isinstance(params, dict):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got a dict; pass [dict] for one group")
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ---- pickling / copying ------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            self.__dict__.setdefault(name, OrderedDict())

    def __repr__(self) -> str:
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # ---- parameter groups --------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a parameter group (a dict with ``"params"`` and optional hyper-parameters).

        Useful when fine-tuning: frozen layers can be made trainable and added as training
        progresses. Hyper-parameters the group does not give are taken from ``defaults``.

        Raises:
            TypeError: the group is not a dict, its params are a set or contain a non-tensor.
            ValueError: a parameter is a non-leaf tensor, or is already in another group.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        tensors, names = [], []
        for p in params:
            if isinstance(p, tuple) and len(p) == 2:
                names.append(p[0])
                p = p[1]
            tensors.append(p)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(p))
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---- gradients and steps -----------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors.

        Args:
            set_to_none: set ``.grad`` to None (default, cheaper) instead of filling it with
                zeros. Optimizers skip parameters whose grad is None but do step with a zero
                gradient (momentum and weight decay still act).
        """
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                    continue
                if g._grad_fn is not None:
                    g.detach_()
                else:
                    g._requires_grad = False
                if g._data.flags.writeable:
                    g._data.fill(0)
                    g._version.value += 1
                else:
                    p._grad = Tensor._make(np.zeros_like(g._data))

    @_hooked_step
    def step(self, closure: Callable[[], Any] | None = None):
        """Perform one optimization step on every parameter that has a gradient.

        Args:
            closure: optional function that re-evaluates the model (zero grads, forward,
                backward) and returns the loss; it runs with gradient recording enabled.

        Returns:
            The closure's loss, or None without a closure.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                params = [p for p in group["params"] if p._grad is not None]
                if params:
                    self._update_group(group, params)
        return loss

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        """Update ``params`` (those of ``group`` with a gradient) in place. Subclasses implement
        this; the base class has no update rule."""
        raise NotImplementedError(f"{type(self).__name__} does not implement an update rule")

    # ---- helpers for subclasses --------------------------------------------------------------
    @staticmethod
    def _run_update(params: list[Tensor], items: list, kernel, n_scratch: int,
                    fused=None) -> None:
        """Run an update over all of ``params`` at once, then count the in-place change.

        ``items`` and ``kernel`` are ``foreach``'s (``(h, [param, grad, *states])`` per
        parameter; ``kernel(h, theta, g, *states, *scratch)`` updates one stretch in place with
        ``n_scratch`` scratch arrays). ``fused(h, arrays)``, when given, is the equivalent
        Numba update (``_fused``), used instead where it is available for these arrays.
        """
        if fused is not None and _fused.available([arrays for _, arrays in items]):
            _fused.run(items, fused)
        else:
            foreach(items, kernel, n_scratch)
        for p in params:
            p._version.value += 1

    @staticmethod
    def _zeros_like(p: Tensor) -> Tensor:
        return Tensor._make(np.zeros_like(p._data, order="C"))

    @staticmethod
    def _scalar_tensor(value: float) -> Tensor:
        """A 0-d tensor for ``step``-like state: float32, or float64 if that is the default."""
        dt = np.float64 if _dtypes.get_default_dtype().np == np.float64 else np.float32
        return Tensor._make(np.array(value, dtype=dt))

    @staticmethod
    def _effective_grad(theta: np.ndarray, g: np.ndarray, buf: np.ndarray, maximize: bool,
                        weight_decay: float) -> np.ndarray:
        """The gradient after ``maximize`` and L2 weight decay: ``g`` itself when neither
        applies (read-only use), otherwise computed into ``buf``."""
        if weight_decay != 0:
            np.multiply(theta, weight_decay, out=buf)
            if maximize:
                np.subtract(buf, g, out=buf)
            else:
                np.add(g, buf, out=buf)
            return buf
        if maximize:
            np.negative(g, out=buf)
            return buf
        return g

    @staticmethod
    def _lerp_(start: np.ndarray, end: np.ndarray, weight: float, tmp: np.ndarray) -> None:
        """``start += weight * (end - start)`` in place, in PyTorch's ``lerp`` form."""
        np.subtract(end, start, out=tmp)
        if weight < 0.5:
            tmp *= weight
            start += tmp
        else:
            tmp *= 1.0 - weight
            np.subtract(end, tmp, out=start)

    @classmethod
    def _adam_moments(cls, theta: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray,
                      buf: np.ndarray, tmp: np.ndarray, betas: tuple, decay: float, l2: float,
                      maximize: bool) -> np.ndarray:
        """The steps Adam/AdamW and NAdam share, in place: the decoupled decay ``theta *=
        decay`` (skipped when 1), the effective gradient (``_effective_grad`` with the L2 term
        ``l2``, into ``buf`` when it differs from ``g``), then the moments ``m <- lerp(m, g,
        1 - beta1)`` and ``v <- beta2 * v + (1 - beta2) * g * g``. Returns the gradient."""
        if decay != 1:
            theta *= decay
        g = cls._effective_grad(theta, g, buf, maximize, l2)
        beta1, beta2 = betas
        cls._lerp_(m, g, 1 - beta1, tmp)
        v *= beta2
        np.multiply(g, 1 - beta2, out=tmp)
        tmp *= g
        v += tmp
        return g

    # ---- hooks -------------------------------------------------------------------------------
    def register_step_pre_hook(self, hook: Callable) -> _HookHandle:
        """Register ``hook(optimizer, args, kwargs)`` to run before ``step``; it may return
        ``(new_args, new_kwargs)``. Returns a handle with ``remove()``."""
        return _register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable) -> _HookHandle:
        """Register ``hook(optimizer, args, kwargs)`` to run after ``step``. Returns a handle
        with ``remove()``."""
        return _register(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> _HookHandle:
        """Register ``hook(optimizer)`` to run before ``state_dict``."""
        return _register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable,
                                      prepend: bool = False) -> _HookHandle:
        """Register ``hook(optimizer, state_dict)`` to run after ``state_dict``; it may return
        a replacement dict."""
        return _register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable,
                                          prepend: bool = False) -> _HookHandle:
        """Register ``hook(optimizer, state_dict)`` to run before ``load_state_dict``; it may
        return a replacement dict."""
        return _register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable,
                                           prepend: bool = False) -> _HookHandle:
        """Register ``hook(optimizer)`` to run after ``load_state_dict``."""
        return _register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ---- state dict --------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as ``{'state': {index: {...}}, 'param_groups': [...]}``.

        Parameters are replaced by their index in the order of the groups; each group keeps
        its hyper-parameters and ``'params': [indices]``. State tensors are the live ones (copy
        the dict, e.g. with ``copy.deepcopy``, to keep a snapshot).
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        mapping: dict[int, int] = {}
        start = 0

        def pack(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v
                 for k, v in self.state.items()}
        result = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            out = hook(self, result)
            if out is not None:
                result = out
        return result

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state produced by ``state_dict`` (of an optimizer over the same groups).

        State tensors are copied and cast to their parameter's dtype (``step`` keeps its own).

        Raises:
            ValueError: the number of groups or of parameters in a group differs.
        """
        state_dict = dict(state_dict)
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            out = hook(self, state_dict)
            if out is not None:
                state_dict = out
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param, value, key=None):
            if isinstance(value, Tensor):
                dtype = value._data.dtype
                if key != "step" and param._data.dtype.kind == "f":
                    dtype = param._data.dtype
                return Tensor._make(np.array(value._data, dtype=dtype, copy=True, order="C"))
            if isinstance(value, np.ndarray):
                return cast(param, Tensor._make(value), key)
            if key in ("step", "mu_product") and isinstance(value, (int, float)):
                return self._scalar_tensor(float(value))  # older checkpoints hold numbers
            if isinstance(value, dict):
                return {k: cast(param, v, k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v) for v in value)
            return value

        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v)
            else:
                state[k] = v
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            new_groups.append(saved)
        self.__setstate__({"state": state, "param_groups": new_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _check_lr(lr) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    _check(0.0 <= _scalar(lr), f"Invalid learning rate: {lr}")


def _check_eps(eps) -> None:
    _check(0.0 <= eps, f"Invalid epsilon value: {eps}")


def _check_weight_decay(weight_decay) -> None:
    _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")


def _check_betas(betas) -> tuple[float, float]:
    betas = tuple(_scalar(b) if isinstance(b, Tensor) else b for b in betas)
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), received {betas}")
    for i, b in enumerate(betas):
        _check(0.0 <= b < 1.0, f"Invalid beta parameter at index {i}: {b}")
    return betas


def _check_flags(differentiable: bool) -> None:
    if differentiable:
        raise NotImplementedError("chainrule optimizers do not support differentiable=True "
                                  "(the update runs on raw arrays outside the graph)")

