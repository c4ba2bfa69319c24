"""The registry of tangent (JVP) rules for forward-mode AD, and the helpers rules are built from.

A rule is ``rule(ctx, args, tangents, outputs)``: ``args`` are the op's arguments as given to
``Function.apply`` (tensors and plain values), ``tangents`` holds one entry per argument (the
argument's tangent, or None), ``ctx`` is the op's node holding what ``forward`` stored on it, and
``outputs`` are the op's output tensors. It returns the output's tangent, or one per output
(None for "no tangent", which means zero). Rules are written with chainrule tensor ops, so the
tangents they compute are differentiable by reverse mode.

The rules themselves live in family modules (``_jvp_rules_math``, ``_jvp_rules_shape``,
``_jvp_rules_nn``), loaded on first use because they import the op modules.

A subclass of a registered ``Function`` inherits its rule unless it overrides ``forward`` (then
it needs its own); ``lookup`` applies that.
"""

from __future__ import annotations

import numpy as np

from .grad_mode import GRAD_ENABLED

__all__ = ["JVP_RULES", "NON_DIFFERENTIABLE", "UNSUPPORTED", "load_rules", "lookup", "register"]

# Function class -> rule
JVP_RULES: dict = {}

# Raw Functions that have no rule on purpose because they are not differentiable (integer or
# boolean outputs only), by class name, each with the reason; a tangent reaching one raises the
# usual "not supported" error. Empty today: chainrule's non-differentiable ops (comparisons,
# argmax, floor_divide, ...) compute on arrays without a Function, and ops with an integer
# output beside a float one (max(dim), sort, max_pool with indices) have rules for the float
# output. tests/autograd/test_forward_ad.py requires every raw Function to have a rule or an
# entry here or in UNSUPPORTED.
NON_DIFFERENTIABLE: dict = {}

# Differentiable in principle but unsupported in both modes (reverse mode raises too).
UNSUPPORTED: dict = {
    "ScatterMultiply": "scatter(reduce='multiply') has no derivative in PyTorch either",
}

_LOADED = [False]
_Tensor = None


def _tensor_cls():
    global _Tensor
    if _Tensor is None:
        from .._tensor import Tensor

        _Tensor = Tensor
    return _Tensor


def load_rules() -> None:
    """Import the family modules, which register their rules (once)."""
    if _LOADED[0]:
        return
    _LOADED[0] = True
    from . import _jvp_rules_math, _jvp_rules_nn, _jvp_rules_shape  # noqa: F401


def register(module, names, rule) -> None:
    """Register ``rule`` for the ``Function`` classes ``names`` (a name or a list) of
    ``module``; a name the module no longer has is skipped (a test lists such stale names)."""
    if isinstance(names, str):
        names = [names]
    for name in names:
        cls = getattr(module, name, None)
        if cls is None:
            _STALE.append(f"{module.__name__}.{name}")
        else:
            JVP_RULES[cls] = rule


_STALE: list = []


# Rules for Function classes that a module creates on the fly (so they cannot be registered
# ahead), by the module that creates them.
MODULE_RULES: dict = {
    # random sampling links its inputs with a node that passes zero gradient: zero tangent
    "chainrule.ops.sampling": lambda ctx, args, tangents, outputs: None,
}


def lookup(cls):
    """The rule for ``cls``: its own, or a base class's when ``cls`` keeps that ``forward``, or
    the rule for classes made on the fly by its module."""
    rule = JVP_RULES.get(cls)
    if rule is not None:
        return rule
    for k in cls.__mro__:
        rule = JVP_RULES.get(k)
        if rule is not None:
            return rule
        if "forward" in k.__dict__:
            break
    return MODULE_RULES.get(cls.__module__) if cls.raw else None


# ---- helpers for rules ---------------------------------------------------------------------
def const(arr, dtype=None):
    """A constant tensor (no graph, no tangent) from an array."""
    arr = np.asarray(arr) if dtype is None else np.asarray(arr, dtype=dtype)
    return _tensor_cls()._make(arr)


def zeros_for(a):
    """Zeros shaped and typed like the tensor ``a`` (the tangent of an argument without one)."""
    return _tensor_cls()._make(np.zeros(a._data.shape, a._data.dtype))


def tangent_or_zero(args, tangents, i):
    """Argument ``i``'s tangent: its own, zeros for a tensor without one, 0 for a number."""
    t = tangents[i]
    if t is not None:
        return t
    a = args[i]
    if isinstance(a, _tensor_cls()):
        return zeros_for(a)
    return 0.0 if isinstance(a, float) else 0


def _positions(spec, n: int):
    return range(spec, n) if isinstance(spec, int) else spec


def linear(cls, positions):
    """Rule for an op that is linear in the arguments at ``positions`` jointly (an int ``k``
    means "arguments k and after"): the tangent is the op applied to their tangents."""

    def rule(ctx, args, tangents, outputs):
        new = list(args)
        for i in _positions(positions, len(args)):
            new[i] = tangent_or_zero(args, tangents, i)
        return cls.apply(*new)

    return rule


def linear_in_first(cls):
    """Rule for an op linear in its first argument (the others are structure)."""

    def rule(ctx, args, tangents, outputs):
        if tangents[0] is None:
            return None
        return cls.apply(tangents[0], *args[1:])

    return rule


def multilinear(cls, positions):
    """Rule for an op linear in each argument at ``positions`` separately (a product): the sum
    over arguments with a tangent of the op with that argument replaced by its tangent."""

    def rule(ctx, args, tangents, outputs):
        total = None
        for i in _positions(positions, len(args)):
            if tangents[i] is None:
                continue
            new = list(args)
            new[i] = tangents[i]
            term = cls.apply(*new)
            total = term if total is None else _add_terms(total, term)
        return total

    return rule


def _add_terms(a, b):
    if isinstance(a, tuple):
        return tuple(x + y for x, y in zip(a, b))
    return a + b


def add(*terms):
    """Sum of the terms that are not None (None when all are)."""
    total = None
    for t in terms:
        if t is not None:
            total = t if total is None else total + t
    return total


def saved(ctx, args, outputs) -> tuple:
    """What ``forward`` passed to ``save_for_backward``, as tensors, whether or not the op was
    recorded: the arguments and outputs themselves where it saved those (so derivatives built
    on them stay connected), constants for other arrays."""
    Tensor = _tensor_cls()
    items = ctx._to_save
    if items is None:
        try:
            return ctx.saved_tensors if ctx._saved is not None else ()
        except AttributeError:  # not recorded and nothing saved
            return ()
    result = []
    for item in items:
        if item is None or isinstance(item, Tensor):
            result.append(item)
            continue
        for t in list(outputs) + list(args):
            if isinstance(t, Tensor) and t._data is item:
                result.append(t)
                break
        else:
            result.append(Tensor._make(np.asarray(item)))
    return tuple(result)


class _BackwardContext:
    """A stand-in ctx for calling an op's ``backward`` from a rule (the op may not have been
    recorded, and a recorded node must not be changed)."""

    def __init__(self, ctx, saved_tensors, needs) -> None:
        self.__dict__.update(ctx.__dict__)
        self.saved_tensors = saved_tensors
        self.needs_input_grad = needs
        self.materialize_grads = True


def gradients(cls, ctx, args, tangents, outputs):
    """The op's input gradients for output gradients of ones (its backward, run under the
    current grad mode so the result is differentiable when recording)."""
    Tensor = _tensor_cls()
    needs = tuple(t is not None for t in tangents)
    shim = _BackwardContext(ctx, saved(ctx, args, outputs), needs)
    ones = [Tensor._make(np.ones(o._data.shape, o._data.dtype)) if isinstance(o, Tensor)
            else None for o in outputs]
    grads = cls.backward(shim, *ones)
    return grads if isinstance(grads, tuple) else (grads,)


def gradient_dot_tangent(reduce_dims):
    """Rule for a single-output op in which every input element reaches at most one output
    element (reductions, losses): ``t_out = sum(grad * t)`` over the input elements feeding
    each output element, with ``grad`` the op's gradient for output gradients of ones.

    ``reduce_dims(ctx, args, outputs, x_ndim)`` gives the dims to sum (None: all) so that the
    result has the output's shape (before squeezing them away).
    """

    def rule(ctx, args, tangents, outputs):
        cls = type(ctx)._function
        grads = gradients(cls, ctx, args, tangents, outputs)
        out = outputs[0]
        total = None
        for i, t in enumerate(tangents):
            if t is None or i >= len(grads) or grads[i] is None:
                continue
            prod = grads[i] * t
            dims = reduce_dims(ctx, args, outputs, prod.ndim)
            if dims is None:
                term = prod.sum()
            elif dims:
                term = prod.sum(dim=dims)
            else:
                term = prod
            if term.shape != out.shape:
                term = term.reshape(out.shape) if term.numel() == out.numel() else term
            total = term if total is None else total + term
        return total

    return rule


def recording() -> bool:
    """Whether the tangent computations are being recorded (grad mode on)."""
    return GRAD_ENABLED[0]
