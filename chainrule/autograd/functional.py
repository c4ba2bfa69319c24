"""Higher-level autograd on functions: jacobian, hessian, vjp, jvp, hvp and vhp.

``func`` takes tensors and returns a tensor or a tuple of tensors; ``inputs`` is a tensor or a
tuple of tensors. Results follow PyTorch's structure: a single tensor where the inputs (and
outputs) were a single tensor, tuples otherwise.

Differences from PyTorch, all extensions: ``vectorize=True`` is accepted and computes the same
result with a loop (chainrule has no batching of backward passes); ``strategy="forward-mode"``
also works with ``vectorize=False`` and with ``create_graph=True``. ``jvp`` uses forward-mode AD
(one pass) unless ``strict=True`` or a dual level is already active, where it uses the
double-backward trick as PyTorch does.
"""

from __future__ import annotations

import numpy as np

from . import forward_ad as fwAD
from .engine import grad as _engine_grad
from .grad_mode import GRAD_ENABLED, enable_grad, set_grad_enabled

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _tensor_cls():
    from .._tensor import Tensor

    return Tensor


# ---- argument handling (PyTorch's rules and messages) ----------------------------------------
def _as_tuple(inp, arg_name: str, fn_name: str):
    """``(was_tuple, tuple_of_tensors)``; raises PyTorch's TypeError for non-tensors."""
    Tensor = _tensor_cls()
    is_tuple = isinstance(inp, tuple)
    items = inp if is_tuple else (inp,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = (f"the value at index {i} has type {type(el)}" if is_tuple
                     else f"the given {arg_name} has type {type(el)}")
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                            f"tuple of Tensors but {where}.")
    return is_tuple, items


def _tuple_postprocess(res, to_unpack):
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _grad_preprocess(inputs, create_graph: bool, need_graph: bool) -> tuple:
    """Fresh tensors to differentiate with respect to: connected views of inputs that require
    grad when a graph is to be created, detached leaves otherwise."""
    res = []
    for inp in inputs:
        if create_graph and inp.requires_grad:
            res.append(inp.view_as(inp))
        else:
            res.append(inp.detach().requires_grad_(need_graph))
    return tuple(res)


def _grad_postprocess(inputs, create_graph: bool):
    Tensor = _tensor_cls()
    if isinstance(inputs[0], Tensor):
        return inputs if create_graph else tuple(inp.detach() for inp in inputs)
    return tuple(_grad_postprocess(inp, create_graph) for inp in inputs)


def _validate_v(v, other, is_other_tuple: bool) -> None:
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got "
                               f"{len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v.size() != el_other.size():
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(f"{prepend}v has invalid size: should be {el_other.size()} but "
                               f"got {el_v.size()}.")


def _check_requires_grad(inputs, input_type: str, strict: bool) -> None:
    if not strict:
        return
    for i, inp in enumerate(inputs):
        if inp is None:
            raise RuntimeError(f"The output of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode.")
        if inp.requires_grad:
            continue
        if input_type == "hessian":
            raise RuntimeError(f"The hessian of the user-provided function with respect to input "
                               f"{i} is independent of the input. This is not allowed in strict "
                               "mode. You should ensure that your function is thrice "
                               "differentiable and that the hessian depends on the inputs.")
        if input_type == "jacobian":
            raise RuntimeError("While computing the hessian, found that the jacobian of the "
                               f"user-provided function with respect to input {i} is independent "
                               "of the input. This is not allowed in strict mode. You should "
                               "ensure that your function is twice differentiable and that the "
                               "jacobian depends on the inputs (this would be violated by a "
                               "linear function for example).")
        if input_type == "grad_inputs":
            raise RuntimeError(f"The gradient with respect to input {i} is independent of the "
                               "inputs of the user-provided function. This is not allowed in "
                               "strict mode.")
        raise RuntimeError(f"Output {i} of the user-provided function does not require "
                           "gradients. The outputs must be computed in a differentiable manner "
                           "from the input when running in strict mode.")


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """``autograd.grad`` over the outputs that require grad; all None when none does."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return _engine_grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                        retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)


_ZERO_MSG = {
    "back": "The output of the user-provided function is independent of input {i}. This is "
            "not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
                         "{i} in the grad_jacobian. This is not allowed in strict mode as it "
                         "prevents from using the double backward trick to replace forward "
                         "mode AD.",
}


def _zeros_like(t):
    return _tensor_cls()._make(np.zeros(t._data.shape, t._data.dtype))


def _fill_in_zeros(grads, refs, strict: bool, create_graph: bool, stage: str) -> tuple:
    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_ZERO_MSG[stage].format(i=i))
            g = _zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode when "
                               "create_graph=True.")
        res.append(g)
    return tuple(res)


def _prepare_v(v, refs, is_refs_tuple: bool, create_graph: bool, fn: str, none_msg: str):
    if v is not None:
        _, v = _as_tuple(v, "v", fn)
        v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
        _validate_v(v, refs, is_refs_tuple)
        return v
    if len(refs) != 1 or refs[0].numel() != 1:
        raise RuntimeError(none_msg)
    return None


_V_INPUT_MSG = ("The vector v can only be None if the input to the user-provided function is a "
                "single Tensor with a single element.")


# ---- vjp / jvp -----------------------------------------------------------------------------
def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """The vector-Jacobian product ``v^T J`` of ``func`` at ``inputs`` (one backward pass).

    Args:
        func: a function of tensors returning a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors.
        v: the vector(s), shaped like the output(s); may be omitted for a one-element output.
        create_graph: make the results differentiable (keep their graph).
        strict: raise when an input does not influence the outputs, instead of returning zeros.

    Returns:
        ``(func_output, vjp)``; ``vjp`` is shaped like ``inputs`` (a tensor or a tuple).

    Example:
        >>> import chainrule as torch
        >>> from chainrule.autograd.functional import vjp
        >>> vjp(lambda x: x ** 2, torch.tensor([1.0, 2.0]), torch.tensor([1.0, 1.0]))
        (tensor([1., 4.]), tensor([2., 4.]))
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                              "vjp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        v = _prepare_v(v, outputs, is_outputs_tuple, create_graph, "vjp",
                       "The vector v can only be None if the user-provided function returns a "
                       "single Tensor with a single element.")
    with set_grad_enabled(True if create_graph else GRAD_ENABLED[0]):
        grad_res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "back")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return (_tuple_postprocess(outputs, is_outputs_tuple),
            _tuple_postprocess(result, is_inputs_tuple))


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """The Jacobian-vector product ``J v`` of ``func`` at ``inputs``.

    Computed in one forward-mode pass; with ``strict=True`` (or inside an active dual level)
    with the double-backward trick instead, as PyTorch always does.

    Args:
        func: a function of tensors returning a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors.
        v: the direction(s), shaped like ``inputs``; may be omitted for a one-element input.
        create_graph: make the results differentiable (keep their graph).
        strict: raise when an output does not depend on the inputs.

    Returns:
        ``(func_output, jvp)``; ``jvp`` is shaped like the output (a tensor or a tuple).

    Example:
        >>> import chainrule as torch
        >>> from chainrule.autograd.functional import jvp
        >>> jvp(lambda x: x ** 2, torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.0]))
        (tensor([1., 4.]), tensor([2., 0.]))
    """
    if strict or fwAD._active():
        return _jvp_double_backward(func, inputs, v, create_graph, strict)
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        v = _prepare_v(v, inputs, is_inputs_tuple, create_graph, "jvp", _V_INPUT_MSG)
        if v is None:
            v = (_tensor_cls()._make(np.ones(inputs[0]._data.shape, inputs[0]._data.dtype)),)
        with fwAD.dual_level():
            duals = tuple(fwAD.make_dual(inp, t) for inp, t in zip(inputs, v))
            outputs = func(*duals)
            is_outputs_tuple, outputs = _as_tuple(outputs,
                                                  "outputs of the user-provided function", "jvp")
            unpacked = [fwAD.unpack_dual(o) for o in outputs]
        primals = tuple(u.primal for u in unpacked)
        result = tuple(u.tangent if u.tangent is not None else _zeros_like(u.primal)
                       for u in unpacked)
    primals = _grad_postprocess(primals, create_graph)
    result = _grad_postprocess(result, create_graph)
    return (_tuple_postprocess(primals, is_outputs_tuple),
            _tuple_postprocess(result, is_outputs_tuple))


def _jvp_double_backward(func, inputs, v, create_graph: bool, strict: bool):
    """``J v`` as the gradient, with respect to ``u``, of ``(J^T u) . v`` (two backward passes)."""
    Tensor = _tensor_cls()
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        v = _prepare_v(v, inputs, is_inputs_tuple, create_graph, "jvp", _V_INPUT_MSG)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                              "jvp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        grad_outputs = tuple(Tensor._make(np.zeros(o._data.shape, o._data.dtype))
                             .requires_grad_(True) for o in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, grad_outputs, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict=strict)
    with set_grad_enabled(True if create_graph else GRAD_ENABLED[0]):
        grad_res = _autograd_grad(grad_inputs, grad_outputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, outputs, strict, create_graph, "back_trick")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return (_tuple_postprocess(outputs, is_outputs_tuple),
            _tuple_postprocess(result, is_outputs_tuple))


# ---- jacobian --------------------------------------------------------------------------------
def _one_hot(t, k: int):
    arr = np.zeros(t._data.size, t._data.dtype)
    arr[k] = 1
    return _tensor_cls()._make(arr.reshape(t._data.shape))


def _stack_columns(columns, out, inp):
    """Stack ``d out / d inp[k]`` (each shaped like ``out``) into ``out.shape + inp.shape``."""
    from ..ops.joining import stack

    if not columns:
        return _tensor_cls()._make(np.zeros(tuple(out.shape) + tuple(inp.shape),
                                            out._data.dtype))
    return stack(columns, -1).reshape(tuple(out.shape) + tuple(inp.shape))


def _stack_rows(rows, out, inp):
    """Stack ``d out[k] / d inp`` (each shaped like ``inp``) into ``out.shape + inp.shape``."""
    from ..ops.joining import stack

    if not rows:
        return _tensor_cls()._make(np.zeros(tuple(out.shape) + tuple(inp.shape),
                                            inp._data.dtype))
    return stack(rows, 0).reshape(tuple(out.shape) + tuple(inp.shape))


def _jacobian_reverse(func, inputs, create_graph: bool, strict: bool, vectorize: bool):
    """One backward pass per output element (``m`` VJPs)."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                              "jacobian")
        _check_requires_grad(outputs, "outputs", strict=strict)
        if vectorize and strict:
            raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and "
                               "`vectorized=True` are not supported together. Please either "
                               "set `strict=False` or `vectorize=False`.")
        jacobian = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]
            for k in range(out.numel()):
                vj = _autograd_grad((out,), inputs, (_one_hot(out, k),), retain_graph=True,
                                    create_graph=create_graph)
                for j, (g, inp) in enumerate(zip(vj, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(f"Output {i} of the user-provided function is "
                                               f"independent of input {j}. This is not allowed "
                                               "in strict mode.")
                        g = _zeros_like(inp)
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError("The jacobian of the user-provided function is "
                                           f"independent of input {i}. This is not allowed in "
                                           "strict mode when create_graph=True.")
                    rows[j].append(g)
            jacobian.append(tuple(_stack_rows(r, out, inp) for r, inp in zip(rows, inputs)))
        jacobian = _grad_postprocess(tuple(jacobian), create_graph)
        return _tuple_postprocess(jacobian, (is_outputs_tuple, is_inputs_tuple))


def _jacobian_forward(func, inputs, create_graph: bool, strict: bool):
    """One forward-mode pass per input element (``n`` JVPs)."""
    if strict:
        raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and "
                           '`strategy="forward-mode"` are not supported together (yet). Please '
                           'either set `strict=False` or `strategy="reverse-mode"`.')
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    with set_grad_enabled(True if create_graph else GRAD_ENABLED[0]):
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=create_graph)
        columns = None  # columns[i][j]: list of d out_i / d inputs[j][k]
        primals = None
        is_outputs_tuple = False
        for j, inp in enumerate(inputs):
            for k in range(inp.numel()):
                with fwAD.dual_level():
                    args = list(inputs)
                    args[j] = fwAD.make_dual(inp, _one_hot(inp, k))
                    is_outputs_tuple, outs = _as_tuple(
                        func(*args), "outputs of the user-provided function", "jacobian")
                    unpacked = [fwAD.unpack_dual(o) for o in outs]
                if columns is None:
                    columns = [[[] for _ in inputs] for _ in outs]
                    primals = [u.primal for u in unpacked]
                for i, u in enumerate(unpacked):
                    columns[i][j].append(u.tangent if u.tangent is not None
                                         else _zeros_like(u.primal))
        if columns is None:  # no input elements at all: only the output shapes are needed
            is_outputs_tuple, primals = _as_tuple(
                func(*inputs), "outputs of the user-provided function", "jacobian")
            columns = [[[] for _ in inputs] for _ in primals]
        jacobian = tuple(tuple(_stack_columns(columns[i][j], out, inp)
                               for j, inp in enumerate(inputs))
                         for i, out in enumerate(primals))
    jacobian = _grad_postprocess(jacobian, create_graph)
    return _tuple_postprocess(jacobian, (is_outputs_tuple, is_inputs_tuple))


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``, by reverse or forward mode.

    Reverse mode runs one backward pass per output element (``m`` VJPs for ``f: R^n -> R^m``);
    forward mode one forward pass per input element (``n`` JVPs): prefer forward mode when the
    function has many more outputs than inputs.

    Args:
        func: a function of tensors returning a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors.
        create_graph: make the Jacobian differentiable.
        strict: raise when an output does not depend on an input (reverse mode only).
        vectorize: accepted for compatibility; the result is the same (computed by a loop).
        strategy: ``"reverse-mode"`` or ``"forward-mode"``.

    Returns:
        ``J[i][j]`` of shape ``output_i.shape + input_j.shape``: a tensor for a single input and
        output, else (nested) tuples indexed by output then input.

    Example:
        >>> import chainrule as torch
        >>> from chainrule.autograd.functional import jacobian
        >>> jacobian(lambda x: x ** 2, torch.tensor([1.0, 2.0]))
        tensor([[2., 0.],
                [0., 4.]])
        >>> jacobian(lambda x: x ** 2, torch.tensor([1.0, 2.0]), strategy="forward-mode")
        tensor([[2., 0.],
                [0., 4.]])
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". '
                             "Hint: If your function has more outputs than inputs, "
                             '"forward-mode" tends to be more performant. Otherwise, prefer to '
                             'use "reverse-mode".')
    if strategy == "forward-mode":
        return _jacobian_forward(func, inputs, create_graph, strict)
    return _jacobian_reverse(func, inputs, create_graph, strict, vectorize)


# ---- second order ----------------------------------------------------------------------------
def hessian(func, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of the scalar function ``func`` at ``inputs``.

    The Jacobian of the gradient: reverse over reverse by default, forward over reverse with
    ``outer_jacobian_strategy="forward-mode"``.

    Args:
        func: a function of tensors returning a tensor with a single element.
        inputs: a tensor or a tuple of tensors.
        create_graph: make the Hessian differentiable.
        strict: raise when the Hessian is independent of an input.
        vectorize: accepted for compatibility (computed by a loop).
        outer_jacobian_strategy: ``"reverse-mode"`` or ``"forward-mode"``.

    Returns:
        ``H[i][j]`` of shape ``input_i.shape + input_j.shape``: a tensor for a single input,
        else a tuple of tuples.

    Example:
        >>> import chainrule as torch
        >>> from chainrule.autograd.functional import hessian
        >>> hessian(lambda x: (x ** 3).sum(), torch.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    Tensor = _tensor_cls()

    def single_output(*inp):
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict=strict)
        if is_out_tuple or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return out.squeeze()

    def jac_func(*inp):
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(single_output, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


def _scalar_function_checks(outputs, is_outputs_tuple: bool, fn: str) -> None:
    Tensor = _tensor_cls()
    if is_outputs_tuple or not isinstance(outputs[0], Tensor):
        raise RuntimeError(f"The function given to {fn} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn} should contain a "
                           "single element")


def _first_derivative(func, inputs, v, create_graph: bool, strict: bool, fn: str):
    """The common start of ``vhp`` and ``hvp`` (under ``enable_grad``): checked inputs and
    ``v``, the scalar output of ``func`` and its gradient built with a graph.

    Returns ``(inputs, v, outputs, jac, is_inputs_tuple, is_outputs_tuple)``.
    """
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn)
    inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
    v = _prepare_v(v, inputs, is_inputs_tuple, create_graph, fn, _V_INPUT_MSG)
    outputs = func(*inputs)
    is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", fn)
    _check_requires_grad(outputs, "outputs", strict=strict)
    _scalar_function_checks(outputs, is_outputs_tuple, fn)
    jac = _autograd_grad(outputs, inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict=strict)
    return inputs, v, outputs, jac, is_inputs_tuple, is_outputs_tuple


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """The vector-Hessian product ``v^T H`` of the scalar function ``func`` at ``inputs``.

    Args:
        func: a function of tensors returning a tensor with a single element.
        inputs: a tensor or a tuple of tensors.
        v: the vector(s), shaped like ``inputs``; may be omitted for a one-element input.
        create_graph: make the results differentiable.
        strict: raise when the result is independent of an input.

    Returns:
        ``(func_output, vhp)``; ``vhp`` is shaped like ``inputs``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule.autograd.functional import vhp
        >>> vhp(lambda x: (x ** 3).sum(), torch.tensor([1.0, 2.0]), torch.tensor([1.0, 1.0]))
        (tensor(9.), tensor([ 6., 12.]))
    """
    with enable_grad():
        inputs, v, outputs, jac, is_inputs_tuple, is_outputs_tuple = _first_derivative(
            func, inputs, v, create_graph, strict, "vhp")
    with set_grad_enabled(True if create_graph else GRAD_ENABLED[0]):
        grad_res = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return (_tuple_postprocess(outputs, is_outputs_tuple),
            _tuple_postprocess(result, is_inputs_tuple))


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """The Hessian-vector product ``H v`` of the scalar function ``func`` at ``inputs``.

    Computed with the double-backward trick (three backward passes), as in PyTorch; for a
    symmetric Hessian it equals ``vhp``.

    Args:
        func: a function of tensors returning a tensor with a single element.
        inputs: a tensor or a tuple of tensors.
        v: the vector(s), shaped like ``inputs``; may be omitted for a one-element input.
        create_graph: make the results differentiable.
        strict: raise when the result is independent of an input.

    Returns:
        ``(func_output, hvp)``; ``hvp`` is shaped like ``inputs``.

    Example:
        >>> import chainrule as torch
        >>> from chainrule.autograd.functional import hvp
        >>> hvp(lambda x: (x ** 3).sum(), torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.0]))
        (tensor(9.), tensor([6., 0.]))
    """
    Tensor = _tensor_cls()
    with enable_grad():
        inputs, v, outputs, jac, is_inputs_tuple, is_outputs_tuple = _first_derivative(
            func, inputs, v, create_graph, strict, "hvp")
        grad_jac = tuple(Tensor._make(np.zeros(i._data.shape, i._data.dtype))
                         .requires_grad_(True) for i in inputs)
        double_back = _autograd_grad(jac, inputs, grad_jac, create_graph=True)
        _check_requires_grad(jac, "hessian", strict=strict)
    with set_grad_enabled(True if create_graph else GRAD_ENABLED[0]):
        grad_res = _autograd_grad(double_back, grad_jac, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back_trick")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return (_tuple_postprocess(outputs, is_outputs_tuple),
            _tuple_postprocess(result, is_inputs_tuple))
