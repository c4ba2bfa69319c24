"""Forward-mode automatic differentiation: dual tensors that carry a tangent through every op.

Inside a ``dual_level()``, ``make_dual(x, t)`` gives a view of ``x`` that carries the tangent
``t`` (a direction in input space). Every op then computes, next to its usual result, the
tangent of that result: the Jacobian-vector product ``J t``, from the op's tangent (JVP) rule.
``unpack_dual(y)`` reads the primal and the tangent back.

How it plugs in: entering a level installs ``_propagate`` into
``chainrule.autograd.function.FORWARD_AD[0]``, which ``Function.apply`` calls after every op. It
looks for tangents on the op's tensor arguments and, when there are some, calls the op's rule
from ``_jvp_rules.JVP_RULES`` (keyed by ``Function`` class). Rules are written with ordinary
tensor ops while propagation is switched off, so tangents never carry tangents of their own,
but they are recorded by reverse-mode autograd as usual: reverse-over-forward works. A tangent is
stored on its tensor as ``tensor.__dict__['_fw_grad'] = (level, tangent)``; leaving the level
makes every such pair stale at once (``level`` is an object that dies with it).

A user ``autograd.Function`` takes part by defining ``jvp(ctx, *tangents)`` (PyTorch's API):
``forward`` saves what ``jvp`` needs with ``ctx.save_for_forward(*tensors)`` and ``jvp`` reads
it back as ``ctx.saved_tensors``.

Example:
    >>> import chainrule as torch
    >>> import chainrule.autograd.forward_ad as fwAD
    >>> x = torch.tensor([1.0, 2.0])
    >>> with fwAD.dual_level():
    ...     y = fwAD.make_dual(x, torch.tensor([1.0, 0.0])) ** 2
    ...     fwAD.unpack_dual(y).tangent
    tensor([2., 0.])
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from .function import FORWARD_AD, BackwardNode

__all__ = ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level",
           "make_dual", "unpack_dual"]

_KEY = "_fw_grad"  # where a tensor keeps its (level, tangent) pair, in its __dict__
_Tensor = None


def _tensor_cls():
    global _Tensor
    if _Tensor is None:
        from .._tensor import Tensor

        _Tensor = Tensor
    return _Tensor


class _Level:
    """One entered dual level. Tangents refer to it; once it is exited they are ignored."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


_CURRENT: list = [None]  # the active _Level, or None


class UnpackedDualTensor(NamedTuple):
    """What ``unpack_dual`` returns: the ``primal`` and its ``tangent`` (None when absent)."""

    primal: object
    tangent: object


# ---- levels --------------------------------------------------------------------------------
def enter_dual_level() -> int:
    """Enter a new forward-AD level and return its index (0); levels cannot be nested.

    Prefer the ``dual_level()`` context manager, which exits the level even on errors.

    Returns:
        The new level's index, always 0 (chainrule supports one level at a time, as PyTorch).

    Example:
        >>> import chainrule.autograd.forward_ad as fwAD
        >>> level = fwAD.enter_dual_level()
        >>> fwAD.exit_dual_level(level=level)
        >>> level
        0
    """
    if _CURRENT[0] is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    from . import _jvp_rules

    _jvp_rules.load_rules()
    _CURRENT[0] = _Level(0)
    FORWARD_AD[0] = _propagate
    return 0


def exit_dual_level(*, level: int | None = None) -> None:
    """Exit the current forward-AD level; the tangents created inside it are dropped.

    Args:
        level: the index returned by ``enter_dual_level`` (default: the current level).

    Example:
        >>> import chainrule.autograd.forward_ad as fwAD
        >>> fwAD.exit_dual_level(level=fwAD.enter_dual_level())
    """
    current = _CURRENT[0]
    if level is None:
        level = -1 if current is None else current.index
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    if current is None or level != current.index:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that "
                           "was created. This is not supported.")
    FORWARD_AD[0] = None
    _CURRENT[0] = None


class dual_level:
    """Context manager (and decorator) for a forward-AD level: tangents live inside it.

    Entering returns the level's index; leaving invalidates every tangent made inside. Nesting
    raises ``RuntimeError``, as in PyTorch.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.autograd.forward_ad as fwAD
        >>> with fwAD.dual_level():
        ...     d = fwAD.make_dual(torch.tensor(3.0), torch.tensor(1.0))
        ...     fwAD.unpack_dual(d.exp()).tangent
        tensor(20.0855)
        >>> fwAD.unpack_dual(d).tangent is None
        True
    """

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc) -> None:
        exit_dual_level()

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with dual_level():
                return func(*args, **kwargs)

        return wrapper


def _active() -> bool:
    """Whether a dual level is active (used by the functional transforms)."""
    return _CURRENT[0] is not None


# ---- dual tensors --------------------------------------------------------------------------
def _dtype_name(t) -> str:
    return str(t.dtype)


def _check_level(level, what: str) -> _Level:
    current = _CURRENT[0]
    if current is None:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    if level is not None and level != current.index:
        raise RuntimeError(f"Invalid level given to {what}")
    return current


def _plain_view(tensor):
    """A view of ``tensor`` (same data, version counter and graph) with no tangent."""
    from ..ops.shape import View, as_view

    saved, FORWARD_AD[0] = FORWARD_AD[0], None
    try:
        return as_view(View.apply(tensor, tensor._data.shape), tensor)
    finally:
        FORWARD_AD[0] = saved


def make_dual(tensor, tangent, *, level: int | None = None):
    """A view of ``tensor`` that carries ``tangent`` through the ops applied to it.

    Args:
        tensor: the primal, a floating-point tensor (it is not modified).
        tangent: the direction, a floating-point tensor of the same shape (cast to the
            primal's dtype if it differs).
        level: the dual level (default: the current one).

    Returns:
        A new tensor sharing ``tensor``'s data (and graph history) with ``tangent`` attached.

    Example:
        >>> import chainrule as torch
        >>> import chainrule.autograd.forward_ad as fwAD
        >>> with fwAD.dual_level():
        ...     x = fwAD.make_dual(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 1.0]))
        ...     fwAD.unpack_dual(x.sin()).tangent
        tensor([1.0000, 0.5403])
    """
    Tensor = _tensor_cls()
    for arg, name in ((tensor, "tensor"), (tangent, "tangent")):
        if not isinstance(arg, Tensor):
            raise TypeError(f"make_dual(): argument '{name}' must be Tensor, not "
                            f"{type(arg).__name__}")
    if tensor._data.dtype.kind != "f":
        raise ValueError(f"Expected primal to be floating point or complex, but got: "
                         f"{_dtype_name(tensor)}")
    if tangent._data.dtype.kind != "f":
        raise ValueError(f"Expected tangent to be floating point or complex, but got: "
                         f"{_dtype_name(tangent)}")
    current = _check_level(level, "_make_dual")
    if tangent._data.shape != tensor._data.shape:
        raise RuntimeError("Trying to set a forward gradient that has a different size than that "
                           "of the original Tensor, this is not supported. Tensor is of size "
                           f"{list(tensor._data.shape)} while the given forward gradient is of "
                           f"size {list(tangent._data.shape)}.")
    if _tangent_of(tensor, current) is not None:
        raise RuntimeError("Making a dual Tensor based on a Tensor that already has a forward "
                           f"gradient at the same level {current.index} is not supported.")
    if tangent._data.dtype != tensor._data.dtype:
        saved, FORWARD_AD[0] = FORWARD_AD[0], None
        try:
            tangent = tangent.to(tensor.dtype)
        finally:
            FORWARD_AD[0] = saved
    dual = _plain_view(tensor)
    dual.__dict__[_KEY] = (current, tangent)
    return dual


def unpack_dual(tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """Split a dual tensor into its primal (a view without tangent) and its tangent.

    Args:
        tensor: any tensor.
        level: the dual level (default: the current one).

    Returns:
        ``UnpackedDualTensor(primal, tangent)``; ``tangent`` is None for a tensor without one
        at this level (and then ``primal`` is ``tensor`` itself), and while propagation is
        paused (inside the ``forward`` of a custom ``Function``, as in PyTorch).

    Example:
        >>> import chainrule as torch
        >>> import chainrule.autograd.forward_ad as fwAD
        >>> with fwAD.dual_level():
        ...     d = fwAD.make_dual(torch.tensor([2.0]), torch.tensor([3.0]))
        ...     primal, tangent = fwAD.unpack_dual(d * d)
        >>> primal, tangent
        (tensor([4.]), tensor([12.]))
    """
    Tensor = _tensor_cls()
    if not isinstance(tensor, Tensor):
        raise TypeError(f"_unpack_dual(): argument 'dual' (position 1) must be Tensor, not "
                        f"{type(tensor).__name__}")
    current = _CURRENT[0]
    if current is None or (level is not None and level != current.index) or \
            FORWARD_AD[0] is None:  # propagation paused: inside a custom Function's forward
        return UnpackedDualTensor(tensor, None)
    tangent = _tangent_of(tensor, current)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(_plain_view(tensor), tangent)


def _tangent_of(tensor, level=None):
    """The tangent ``tensor`` carries at ``level`` (default: the current one), or None."""
    entry = tensor.__dict__.get(_KEY)
    if entry is None:
        return None
    if entry[0] is (level or _CURRENT[0]) and entry[0] is not None:
        return entry[1]
    return None


def _set_tangent(tensor, tangent) -> None:
    """Attach ``tangent`` at the current level (internal: no checks)."""
    tensor.__dict__[_KEY] = (_CURRENT[0], tangent)


def _propagating(fn, *args):
    """Call ``fn(*args)`` with tangent propagation on (for rules that run a composite of ops
    whose own rules give the tangent)."""
    saved, FORWARD_AD[0] = FORWARD_AD[0], _propagate
    try:
        return fn(*args)
    finally:
        FORWARD_AD[0] = saved


# ---- propagation ---------------------------------------------------------------------------
def _rule_error(cls) -> Exception:
    if not cls.raw:
        return NotImplementedError("You must implement the jvp function for custom "
                                   "autograd.Function to use it with forward mode AD.")
    from ._jvp_rules import UNSUPPORTED

    node = cls._node_cls.__name__
    why = UNSUPPORTED.get(cls.__name__)
    return RuntimeError(f"Trying to use forward AD with {cls.__name__} ({node}) that does not "
                        "support it because it has not been implemented yet"
                        + (f" ({why})." if why else "."))


class _JvpContext:
    """What a user ``jvp`` receives as ``ctx``: the forward's ctx, with ``saved_tensors`` being
    the tensors given to ``save_for_forward``."""

    def __init__(self, ctx) -> None:
        object.__setattr__(self, "_ctx", ctx)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors passed to ``ctx.save_for_forward`` in ``forward``."""
        return tuple(self._ctx.__dict__.get("_fw_saved", ()))

    def __getattr__(self, name):
        return getattr(self._ctx, name)

    def __setattr__(self, name, value) -> None:
        setattr(self._ctx, name, value)


def _user_jvp_rule(cls):
    """The rule for a user ``Function`` with a ``jvp`` staticmethod, or None."""
    jvp = getattr(cls, "jvp", None)
    if cls.raw or jvp is None:
        return None

    def rule(ctx, args, tangents, outputs):
        Tensor = _tensor_cls()
        full = [(t if t is not None else Tensor._make(np.zeros_like(a._data)))
                if isinstance(a, Tensor) else None for a, t in zip(args, tangents)]
        return jvp(_JvpContext(ctx), *full)

    return rule


def _find_rule(cls):
    from ._jvp_rules import lookup

    rule = lookup(cls)
    if rule is None:
        rule = _user_jvp_rule(cls)
    if rule is None:
        raise _rule_error(cls)
    return rule


def _conform(t, out, cls):
    """Check a rule's tangent against its output; broadcast and cast it to match."""
    Tensor = _tensor_cls()
    if not isinstance(t, Tensor):
        raise TypeError(f"forward AD: the tangent rule of {cls.__name__} returned "
                        f"{type(t).__name__}; expected a Tensor or None")
    if t._data.shape != out._data.shape:
        try:
            t = t.expand(out._data.shape)
        except RuntimeError:
            raise RuntimeError(f"forward AD: the tangent rule of {cls.__name__} returned shape "
                               f"{list(t._data.shape)} for an output of shape "
                               f"{list(out._data.shape)}") from None
    if t._data.dtype != out._data.dtype:
        t = t.to(out.dtype)
    return t


def _propagate(cls, ctx, args, outputs) -> None:
    """The ``FORWARD_AD`` hook: give ``outputs`` the tangents that ``cls``'s rule computes."""
    level = _CURRENT[0]
    Tensor = _Tensor or _tensor_cls()
    tangents = None
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            entry = a.__dict__.get(_KEY)
            if entry is not None and entry[0] is level:
                if tangents is None:
                    tangents = [None] * len(args)
                tangents[i] = entry[1]
    if tangents is None:
        return
    rule = _find_rule(cls)
    non_diff = ctx._non_diff
    FORWARD_AD[0] = None  # the rule's own ops are not propagated
    try:
        result = rule(ctx, args, tangents, outputs)
        if not isinstance(result, (tuple, list)):
            result = (result,)
        done = False
        for i, out in enumerate(outputs):
            if not isinstance(out, Tensor):
                continue
            t = result[i] if i < len(result) else None
            if t is None or out._data.dtype.kind != "f" or (non_diff and any(
                    out is n or out._data is n for n in non_diff)):
                if not cls.raw:  # a user forward may have propagated through its own ops
                    out.__dict__.pop(_KEY, None)
                continue
            out.__dict__[_KEY] = (level, _conform(t, out, cls))
            done = True
    finally:
        FORWARD_AD[0] = _propagate
    if done:
        _keep_tangents_in_saved(ctx, outputs)


def _keep_tangents_in_saved(ctx, outputs) -> None:
    """Let saved outputs keep their tangents, so forward-over-reverse works.

    A node saves its own outputs as bare arrays (rebuilt on use, to avoid a reference cycle);
    rebuilt, they would lose their tangents and a backward pass run inside a dual level would
    miss part of its derivative. Entries for outputs that carry a tangent are turned into plain
    references to the output tensors (same version check); the cycle this makes is broken when
    the graph is freed.
    """
    saved = getattr(ctx, "_saved", None)
    if not saved:
        return
    fixed = None
    for j, entry in enumerate(saved):
        if entry is not None and entry[0] == 1:
            out = outputs[entry[4]]
            if _KEY in out.__dict__:
                if fixed is None:
                    fixed = list(saved)
                fixed[j] = (0, out, entry[2], entry[3])
    if fixed is not None:
        ctx._saved = tuple(fixed)


# ---- ctx.save_for_forward ------------------------------------------------------------------
def _save_for_forward(self, *tensors) -> None:
    """Keep tensors for ``jvp`` (forward-mode AD); ``jvp`` reads them as ``ctx.saved_tensors``."""
    self.__dict__["_fw_saved"] = tensors


if not hasattr(BackwardNode, "save_for_forward"):  # PyTorch's ctx API, needed by user jvp
    BackwardNode.save_for_forward = _save_for_forward
