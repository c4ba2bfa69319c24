"""Hook plumbing for ``Module``: removable handles, global module hooks, and the identity
functions that let full backward hooks see a module's input and output gradients."""

from __future__ import annotations

import itertools
from collections import OrderedDict

from ..._tensor import Tensor
from ...autograd.function import Function
from ...autograd.grad_mode import GRAD_ENABLED

_next_id = itertools.count()


class RemovableHandle:
    """Returned by hook registration; ``remove()`` unregisters the hook (also as a context
    manager)."""

    def __init__(self, hooks_dict, *, extra_dicts=(), on_remove=None) -> None:
        self.id = next(_next_id)
        self._dicts = (hooks_dict, *extra_dicts)
        self._on_remove = on_remove

    def remove(self) -> None:
        """Unregister the hook (a no-op when already removed)."""
        for d in self._dicts:
            d.pop(self.id, None)
        if self._on_remove is not None:
            self._on_remove()

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class _GlobalHooks:
    """Hooks registered for every module (``register_module_forward_hook`` …)."""

    def __init__(self) -> None:
        self.forward_pre: OrderedDict = OrderedDict()
        self.forward: OrderedDict = OrderedDict()
        self.backward: OrderedDict = OrderedDict()
        self.backward_pre: OrderedDict = OrderedDict()
        self.any = False  # a plain flag keeps Module.__call__'s fast path one lookup

    def _refresh(self) -> None:
        self.any = bool(self.forward_pre or self.forward or self.backward or self.backward_pre)

    def add(self, kind: str, hook) -> RemovableHandle:
        store = getattr(self, kind)
        handle = RemovableHandle(store, on_remove=self._refresh)
        store[handle.id] = hook
        self.any = True
        return handle


global_hooks = _GlobalHooks()


class BackwardHookFunction(Function):
    """Identity on its tensor arguments whose backward hands the gradients to a callback."""

    raw = True
    node_name = "BackwardHookFunctionBackward"

    @staticmethod
    def forward(ctx, callback, *arrays):
        ctx.callback = callback
        return tuple(arrays)

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.callback(grads))


class BackwardHook:
    """Wraps one module call so that full backward (pre-)hooks receive
    ``(module, grad_input, grad_output)``."""

    def __init__(self, module, hooks: list, pre_hooks: list) -> None:
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.n_inputs = 0
        self.input_pos = None
        self.grad_outputs = None

    def setup_input_hook(self, args: tuple) -> tuple:
        """Route the module's tensor inputs through an identity whose backward sees
        ``grad_input``."""
        tensor_idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_inputs = len(tensor_idx)
        req = [i for i in tensor_idx if args[i]._requires_grad]
        if not req or not GRAD_ENABLED[0]:
            return args
        self.input_pos = [tensor_idx.index(i) for i in req]
        wrapped = BackwardHookFunction.apply(self._input_grads, *[args[i] for i in req])
        args = list(args)
        for i, t in zip(req, wrapped):
            args[i] = t
        return tuple(args)

    def setup_output_hook(self, result):
        """Route the module's tensor outputs through an identity whose backward sees
        ``grad_output``."""
        if not GRAD_ENABLED[0]:
            return result
        single = isinstance(result, Tensor)
        items = (result,) if single else result
        if not isinstance(items, tuple):
            return result
        req = [i for i, t in enumerate(items) if isinstance(t, Tensor) and t._requires_grad]
        if not req:
            return result
        self.n_outputs = sum(isinstance(t, Tensor) for t in items)
        self.output_pos = req
        wrapped = BackwardHookFunction.apply(self._output_grads, *[items[i] for i in req])
        items = list(items)
        for i, t in zip(req, wrapped):
            items[i] = t
        return items[0] if single else tuple(items)

    def _output_grads(self, grads: tuple) -> tuple:
        grads = tuple(grads)
        for hook in self.pre_hooks:
            res = hook(self.module, grads)
            if res is not None:
                res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
                if len(res) != len(grads):
                    raise RuntimeError("Backward pre hook returned an invalid number of "
                                       f"grad_output, got {len(res)}, but expected {len(grads)}")
                grads = res
        self.grad_outputs = grads
        if self.input_pos is None and self.hooks:
            none_inputs = (None,) * self.n_inputs
            for hook in self.hooks:
                res = hook(self.module, none_inputs, grads)
                if res is not None and not all(r is None for r in res):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
        return grads

    def _input_grads(self, grads: tuple) -> tuple:
        grad_input = [None] * self.n_inputs
        for pos, g in zip(self.input_pos, grads):
            grad_input[pos] = g
        grad_input = tuple(grad_input)
        grad_output = self.grad_outputs if self.grad_outputs is not None else ()
        for hook in self.hooks:
            res = hook(self.module, grad_input, grad_output)
            if res is None:
                continue
            res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
            if len(res) != len(grad_input):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got "
                                   f"{len(res)}, but expected {len(grad_input)}")
            grad_input = res
        return tuple(grad_input[pos] for pos in self.input_pos)


class HookMixin:
    """Hook registration methods of ``Module``."""

    def _add_hook(self, store: OrderedDict, hook, prepend: bool = False, extra=()):
        handle = RemovableHandle(store, extra_dicts=extra)
        store[handle.id] = hook
        if prepend:
            store.move_to_end(handle.id, last=False)
        return handle

    def register_forward_pre_hook(self, hook, *, prepend: bool = False,
                                  with_kwargs: bool = False):
        """Call ``hook(module, args)`` before ``forward``; a returned value replaces the args
        (with ``with_kwargs``: ``hook(module, args, kwargs)`` returning ``(args, kwargs)``).

        Returns a handle whose ``remove()`` unregisters the hook.
        """
        handle = self._add_hook(self._forward_pre_hooks, hook, prepend,
                                (self._forward_pre_hooks_with_kwargs,))
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        return handle

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False):
        """Call ``hook(module, args, output)`` after ``forward``; a returned value replaces the
        output. Returns a removable handle.

        Example:
            >>> import chainrule as torch
            >>> from chainrule import nn
            >>> shapes = []
            >>> lin = nn.Linear(3, 2)
            >>> h = lin.register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape)))
            >>> _ = lin(torch.ones(4, 3)); h.remove(); _ = lin(torch.ones(1, 3))
            >>> shapes
            [(4, 2)]
        """
        handle = self._add_hook(self._forward_hooks, hook, prepend,
                                (self._forward_hooks_with_kwargs,
                                 self._forward_hooks_always_called))
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        return handle

    def register_full_backward_hook(self, hook, prepend: bool = False):
        """Call ``hook(module, grad_input, grad_output)`` when the gradients with respect to the
        module's inputs are computed; a returned tuple replaces ``grad_input``."""
        return self._add_hook(self._backward_hooks, hook, prepend)

    def register_backward_hook(self, hook):
        """Same as ``register_full_backward_hook`` (PyTorch's older name)."""
        return self.register_full_backward_hook(hook)

    def register_full_backward_pre_hook(self, hook, prepend: bool = False):
        """Call ``hook(module, grad_output)`` before the module's input gradients are computed;
        a returned tuple replaces ``grad_output``."""
        return self._add_hook(self._backward_pre_hooks, hook, prepend)

    def register_state_dict_pre_hook(self, hook):
        """Call ``hook(module, prefix, keep_vars)`` before ``state_dict`` collects entries."""
        return self._add_hook(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook):
        """Call ``hook(module, state_dict, prefix, local_metadata)`` after ``state_dict``."""
        return self._add_hook(self._state_dict_hooks, hook)

    _register_state_dict_hook = register_state_dict_post_hook

    def register_load_state_dict_pre_hook(self, hook):
        """Call ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` before this module loads its entries."""
        return self._add_hook(self._load_state_dict_pre_hooks,
                              lambda *args: hook(self, *args))

    def _register_load_state_dict_pre_hook(self, hook, with_module: bool = False):
        if with_module:
            return self.register_load_state_dict_pre_hook(hook)
        return self._add_hook(self._load_state_dict_pre_hooks, hook)

    def register_load_state_dict_post_hook(self, hook):
        """Call ``hook(module, incompatible_keys)`` after ``load_state_dict`` loads this
        module."""
        return self._add_hook(self._load_state_dict_post_hooks, hook)


def register_module_forward_pre_hook(hook):
    """Register ``hook(module, args)`` to run before every module's ``forward``."""
    return global_hooks.add("forward_pre", hook)


def register_module_forward_hook(hook, *, always_call: bool = False):
    """Register ``hook(module, args, output)`` to run after every module's ``forward``."""
    return global_hooks.add("forward", hook)


def register_module_full_backward_hook(hook):
    """Register ``hook(module, grad_input, grad_output)`` for every module."""
    return global_hooks.add("backward", hook)


def register_module_full_backward_pre_hook(hook):
    """Register ``hook(module, grad_output)`` for every module."""
    return global_hooks.add("backward_pre", hook)
