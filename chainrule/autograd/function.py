"""``Function`` (PyTorch's extension API), the graph nodes it records, and saved tensors.

A ``Function`` subclass gives ``forward(ctx, *args)`` and ``backward(ctx, *grads)``. Calling
``MyFn.apply(*args)`` runs ``forward`` and, when an input requires grad and recording is on,
links the outputs to a new graph node (the ``ctx``), an instance of a class named after the
function (``MulBackward0`` for chainrule's own ``mul``, ``MyFnBackward`` for a user's ``MyFn``).

chainrule's own primitives set ``raw = True``: their ``forward`` receives NumPy arrays in place
of tensors and returns arrays, which keeps the common path cheap. User functions receive and
return tensors, as in PyTorch. Either way ``backward`` works on tensors with differentiable
ops, so gradients of gradients work.
"""

from __future__ import annotations

import weakref

import numpy as np

from .grad_mode import GRAD_ENABLED

_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)

_Tensor = None  # chainrule.Tensor, bound on first use to avoid an import cycle
_wrap = None  # chainrule.Tensor._make, likewise
_new = object.__new__
_ndarray = np.ndarray

# Hooks that optional features install while active, so the common path pays one list read:
# FORWARD_AD[0] is called as ``fn(function_cls, ctx, args, outputs)`` after every op inside a
# ``forward_ad.dual_level()``; ANOMALY[0] is True inside ``detect_anomaly()``, which makes
# every recorded node keep the stack of the code that created it.
FORWARD_AD = [None]
ANOMALY = [False]


def _tensor_cls():
    global _Tensor, _wrap
    if _Tensor is None:
        from .._tensor import Tensor

        _Tensor, _wrap = Tensor, Tensor._make
    return _Tensor


class Node:
    """A node of the backward graph: ``next_functions``, ``name()``, hooks, ``metadata``."""

    __slots__ = ("_next", "_input_meta", "_pre_hooks", "_post_hooks", "__weakref__", "__dict__")

    def name(self) -> str:
        """The node's class name, e.g. ``'MulBackward0'``."""
        return type(self).__name__

    @property
    def next_functions(self) -> tuple:
        """``(node, output_nr)`` for each tensor input; ``(None, 0)`` for one that needs no grad."""
        return tuple(n if n is not None else (None, 0) for n in self._next if n is not False)

    @property
    def metadata(self) -> dict:
        """A free dict for user annotations, as PyTorch's ``Node.metadata``."""
        return self.__dict__.setdefault("_metadata", {})

    def register_hook(self, hook):
        """Call ``hook(grad_inputs, grad_outputs)`` after this node's backward; it may return
        replacement ``grad_inputs``."""
        if self._post_hooks is None:
            self._post_hooks = []
        self._post_hooks.append(hook)
        return _RemovableHandle(self._post_hooks, hook)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"


class _RemovableHandle:
    """Handle returned by hook registration; ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list, hook) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        """Unregister the hook (a no-op if already removed)."""
        try:
            self._hooks.remove(self._hook)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class AccumulateGrad(Node):
    """The node that adds an incoming gradient into a leaf tensor's ``.grad``.

    The leaf keeps its node (one per leaf, made once) and the node refers to the leaf weakly,
    so neither keeps the other alive in a cycle; ``variable`` is None once the leaf is gone.
    """

    __slots__ = ("_variable",)

    def __init__(self, variable) -> None:
        self._variable = weakref.ref(variable)
        self._next = ()
        self._input_meta = ()
        self._pre_hooks = None
        self._post_hooks = None

    @property
    def variable(self):
        """The leaf tensor whose ``.grad`` this node accumulates into."""
        return self._variable()


class BackwardNode(Node):
    """The ``ctx`` of a ``Function`` call, which is also its node in the backward graph."""

    __slots__ = ("_saved", "_to_save", "_non_diff", "_dirty", "needs_input_grad",
                 "materialize_grads", "_outputs_meta", "_inputs", "_out_arrays")
    _function: type  # the Function subclass, set on each generated node class

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors (or, in raw primitives, arrays) for ``backward``; read them back through
        ``saved_tensors``. In-place changes made to them afterwards are detected."""
        self._to_save = tensors

    def mark_non_differentiable(self, *outputs) -> None:
        """Declare outputs (e.g. integer indices) that never require grad."""
        self._non_diff = outputs

    def mark_dirty(self, *tensors) -> None:
        """Declare inputs modified in place by ``forward`` (their version is bumped)."""
        self._dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """Whether ``None`` output gradients reach ``backward`` as zeros (default) or as None."""
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to ``save_for_backward``, checked against in-place modification."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(_FREED_MSG)
        return tuple(_unpack(self, s) for s in saved)

    saved_variables = saved_tensors

    def _release(self) -> None:
        if self._saved:
            self._saved = None

    def _pack(self, args, outputs) -> None:
        """Turn what forward asked to save into version-checked entries that hold no cycle."""
        items = self._to_save
        self._to_save = None
        if not items:
            self._saved = ()
            self._out_arrays = None
            return
        Tensor = _tensor_cls()
        packed = []
        for item in items:
            if item is None:
                packed.append(None)
                continue
            entry = None
            raw = self._out_arrays
            for i, out in enumerate(outputs):
                if isinstance(out, Tensor) and (item is out or item is out._data or (
                        i < len(raw) and item is raw[i])):
                    if out._grad_fn is self:
                        entry = (1, out._data, out._version, out._version.value, i)
                    else:
                        entry = (0, out, out._version, out._version.value)
                    break
            if entry is None:
                for a in args:
                    if isinstance(a, Tensor) and (item is a or item is a._data):
                        entry = (0, a, a._version, a._version.value)
                        break
            if entry is None:
                if isinstance(item, Tensor):
                    entry = (0, item, item._version, item._version.value)
                else:
                    entry = (2, np.asarray(item))
            packed.append(entry)
        self._saved = tuple(packed)
        self._out_arrays = None


def _unpack(node: BackwardNode, entry):
    """Rebuild a saved tensor, raising PyTorch's error if it was modified in place since."""
    if entry is None:
        return None
    kind = entry[0]
    Tensor = _tensor_cls()
    if kind == 2:
        return Tensor._make(entry[1])
    version_counter, version = entry[2], entry[3]
    if version_counter.value != version:
        if kind == 1:
            t = Tensor._make(entry[1])
            where = f"output {entry[4]} of {node.name()}"
        else:
            t = entry[1]
            where = (f"output {t._output_nr} of {t._grad_fn.name()}" if t._grad_fn is not None
                     else "a leaf Variable")
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{t.type()} {list(t.shape)}], which is {where}, is at version "
            f"{version_counter.value}; expected version {version} instead. Hint: the backtrace "
            "further above can point to the operation that failed to compute its gradient. The "
            "variable in question was changed in there or anywhere later. Good luck!")
    if kind == 0:
        return entry[1]
    out = Tensor._make(entry[1], True, node, entry[4])
    out._version = version_counter
    return out


class _FunctionMeta(type):
    """Gives every ``Function`` subclass its own node class, named as PyTorch names it."""

    def __init__(cls, name, bases, namespace) -> None:
        super().__init__(name, bases, namespace)
        node_name = namespace.get("node_name") or (
            f"{name}Backward0" if getattr(cls, "raw", False) else f"{name}Backward")
        cls._node_cls = type(node_name, (BackwardNode,), {"_function": cls, "__slots__": ()})


class Function(metaclass=_FunctionMeta):
    """Base class for differentiable operations with a custom ``forward`` and ``backward``.

    Example:
        >>> import chainrule as torch
        >>> class Square(torch.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         (x,) = ctx.saved_tensors
        ...         return 2 * x * grad
        >>> x = torch.tensor([3.0], requires_grad=True)
        >>> Square.apply(x).backward(torch.ones(1)); x.grad
        tensor([6.])
    """

    raw = False
    node_name: str | None = None

    @staticmethod
    def forward(ctx, *args, **kwargs):
        """Compute the outputs from the inputs."""
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        """Return one gradient per ``forward`` input (None where there is none)."""
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` and record the call in the graph when any input requires grad."""
        Tensor = _Tensor or _tensor_cls()
        node_cls = cls._node_cls
        ctx = _new(node_cls)
        ctx._to_save = None
        ctx._non_diff = None
        ctx._dirty = None
        if cls.raw:
            # the primitives' path, kept lean: the graph edges are gathered in the same pass
            # over the arguments as the arrays, and a single output is linked inline
            if GRAD_ENABLED[0]:
                arrays = []
                needs = []
                nxt = []
                meta = []
                record = False
                for a in args:
                    if isinstance(a, Tensor):
                        d = a._data
                        arrays.append(d)
                        meta.append((d.shape, d.dtype))
                        if a._requires_grad:
                            record = True
                            needs.append(True)
                            fn = a._grad_fn
                            if fn is not None:
                                nxt.append((fn, a._output_nr))
                            else:
                                fn = a._acc
                                nxt.append((fn if fn is not None else a._accumulator(), 0))
                        else:
                            needs.append(False)
                            nxt.append(None)
                    else:
                        arrays.append(a)
                        needs.append(False)
                        nxt.append(False)
                        meta.append(None)
                if record:
                    ctx.needs_input_grad = tuple(needs)
            else:
                record = False
                arrays = [a._data if isinstance(a, Tensor) else a for a in args]
            result = cls.forward(ctx, *arrays, **kwargs)
            if type(result) is not tuple:
                raw = result  # what forward saved may be this very object (a NumPy scalar)
                if type(result) is not _ndarray:
                    result = np.asarray(result)  # 0-d results may arrive as NumPy scalars
                if ctx._dirty:
                    for t in ctx._dirty:
                        t._version.value += 1
                if record and result.dtype.kind == "f" and not ctx._non_diff:
                    out = _wrap(result, True, ctx)
                    ctx._next = nxt
                    ctx._input_meta = meta
                    ctx._pre_hooks = None
                    ctx._post_hooks = None
                    ctx.materialize_grads = True
                    ctx._outputs_meta = [(result.shape, result.dtype)]
                    if ctx._to_save:
                        ctx._out_arrays = (raw,)
                        ctx._pack(args, (out,))
                    else:  # what ``_pack`` does for nothing saved, without the call
                        ctx._to_save = None
                        ctx._saved = ()
                        ctx._out_arrays = None
                    if ANOMALY[0]:
                        _keep_stack(ctx)
                else:
                    out = _wrap(result)
                    if record:
                        ctx._out_arrays = (raw,)
                        _link(ctx, args, (out,), Tensor)
                        if ANOMALY[0]:
                            _keep_stack(ctx)
                if FORWARD_AD[0] is not None:
                    FORWARD_AD[0](cls, ctx, args, [out])
                return out
            single = False
            outputs = [_wrap(r if type(r) is _ndarray else np.asarray(r)) for r in result]
            if record:
                ctx._out_arrays = result
        else:
            prev = GRAD_ENABLED[0]
            record = False
            if prev:
                for a in args:
                    if isinstance(a, Tensor) and a._requires_grad:
                        record = True
                        break
            if record:
                ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad
                                             for a in args)
            GRAD_ENABLED[0] = False
            forward_ad, FORWARD_AD[0] = FORWARD_AD[0], None  # a user forward is one op to AD
            try:
                result = cls.forward(ctx, *args, **kwargs)
            finally:
                GRAD_ENABLED[0] = prev
                FORWARD_AD[0] = forward_ad
            single = not isinstance(result, tuple)
            outputs = list((result,) if single else result)
            ctx._out_arrays = ()
            for i, out in enumerate(outputs):
                if isinstance(out, Tensor) and (out._grad_fn is not None or any(
                        out is a for a in args)):
                    outputs[i] = out._alias()
        if ctx._dirty:
            for t in ctx._dirty:
                t._version.value += 1
        if record:
            _link(ctx, args, outputs, Tensor)
            if ANOMALY[0]:
                _keep_stack(ctx)
        if FORWARD_AD[0] is not None:
            FORWARD_AD[0](cls, ctx, args, outputs)
        return outputs[0] if single else tuple(outputs)


def _keep_stack(ctx) -> None:
    """In anomaly mode: remember where the node was created, for error messages."""
    import traceback

    ctx.metadata["traceback_"] = traceback.format_stack()[:-2]


def _link(ctx: BackwardNode, args, outputs, Tensor) -> None:
    """Attach ``ctx`` as ``grad_fn`` of the differentiable outputs and remember the inputs."""
    nxt = []
    meta = []
    for a in args:
        if isinstance(a, Tensor):
            d = a._data
            if a._requires_grad:
                fn = a._grad_fn
                nxt.append((fn, a._output_nr) if fn is not None else (a._accumulator(), 0))
            else:
                nxt.append(None)
            meta.append((d.shape, d.dtype))
        else:
            nxt.append(False)
            meta.append(None)
    ctx._next = nxt
    ctx._input_meta = meta
    ctx._pre_hooks = None
    ctx._post_hooks = None
    ctx.materialize_grads = True
    non_diff = ctx._non_diff
    out_meta = []
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            out_meta.append(None)
            continue
        d = out._data
        out_meta.append((d.shape, d.dtype))
        if d.dtype.kind == "f" and not (non_diff and any(out is n or d is n
                                                         for n in non_diff)):
            out._requires_grad = True
            out._grad_fn = ctx
            out._output_nr = i
    ctx._outputs_meta = out_meta
    ctx._pack(args, outputs)


class FunctionCtx:
    """Type of ``ctx`` objects, exposed for annotations (``ctx: FunctionCtx``)."""


def once_differentiable(fn):
    """Accepted for compatibility: chainrule backward functions need no such marking."""
    return fn
