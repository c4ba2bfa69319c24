"""Affine maps: ``linear`` (one fused primitive, ``x @ W.T + b``) and ``bilinear``."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_ENABLED
from ._util import check_tensor

__all__ = ["bilinear", "linear"]

# c10's scalar type names, used by PyTorch's dtype-mismatch messages
_C10 = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long",
        "int32": "int", "int16": "short", "int8": "signed char", "uint8": "unsigned char",
        "bool": "bool", "bfloat16": "c10::BFloat16"}


class _Linear(Function):
    """``y = x @ W.T (+ b)`` over the last dimension of ``x``, in one output buffer."""

    raw = True

    @staticmethod
    def forward(ctx, x, w, b=None):
        ctx.save_for_backward(x, w)
        if x.ndim == 2 or x.ndim == 1:
            out = np.matmul(x, w.T)
        else:  # one GEMM over all leading dimensions rather than a batched matmul
            out = np.matmul(x.reshape(-1, x.shape[-1]), w.T).reshape(*x.shape[:-1], w.shape[0])
        if b is not None:
            np.add(out, b, out=out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need_x, need_w = ctx.needs_input_grad[:2]
        n_args = len(ctx.needs_input_grad)
        need_b = n_args > 2 and ctx.needs_input_grad[2]
        n_out, n_in = w.shape
        if GRAD_ENABLED[0]:  # create_graph: differentiable ops, so higher derivatives work
            g2 = g.reshape(-1, n_out)
            gx = linear(g, w.t()) if need_x else None
            gw = linear(g2.t(), x.reshape(-1, n_in).t()) if need_w else None
            gb = g2.sum(0) if need_b else None
            return (gx, gw, gb)[:n_args]
        ga = g._data
        g2 = ga.reshape(-1, n_out)
        gx = gw = gb = None
        if need_x:
            gx = Tensor._make(np.matmul(g2, w._data).reshape(x._data.shape))
        if need_w:
            gw = Tensor._make(np.matmul(g2.T, x._data.reshape(-1, n_in)))
        if need_b:
            gb = Tensor._make(g2.sum(0))
        return (gx, gw, gb)[:n_args]


# PyTorch's node names for the shapes of its linear decompositions
class Addmm(_Linear):
    """``linear`` on 2-D input with bias (PyTorch's ``addmm``)."""

    node_name = "AddmmBackward0"


class Mm(_Linear):
    """``linear`` on 2-D input without bias (PyTorch's ``mm``)."""

    node_name = "MmBackward0"


class LinearView(_Linear):
    """``linear`` on N-D input with bias."""

    node_name = "ViewBackward0"


class LinearUnsafeView(_Linear):
    """``linear`` on N-D input without bias."""

    node_name = "UnsafeViewBackward0"


def _dtype_name(t: Tensor) -> str:
    return _C10.get(t.dtype.name, t.dtype.name)


def _check_linear(input: Tensor, weight: Tensor, bias) -> None:
    if input.ndim == 0 or weight.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                           f"{input.ndim}D and {weight.ndim}D")
    if weight.ndim != 2:
        raise RuntimeError(f"linear(): weight must be 2-D (out_features, in_features), received "
                           f"weight of shape {list(weight.shape)}")
    if input.shape[-1] != weight.shape[1]:
        rows = int(np.prod(input.shape[:-1], dtype=np.int64))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} "
                           f"and {weight.shape[1]}x{weight.shape[0]})")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_dtype_name(input)} != {_dtype_name(weight)}")
    if bias is not None:
        check_tensor(bias, "linear", "bias")
        if bias.shape not in ((weight.shape[0],), (), (1,)):
            raise RuntimeError(f"linear(): bias must have shape [{weight.shape[0]}] "
                               f"(out_features), received bias of shape {list(bias.shape)}")
        if bias._data.dtype != weight._data.dtype:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                               f"{_dtype_name(bias)} != {_dtype_name(weight)}")


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Apply the affine map ``input @ weight.T + bias`` over the last dimension.

    One fused primitive: the product and the bias are computed into one buffer, and backward
    computes the three gradients with matrix products.

    Args:
        input: ``(*, in_features)``.
        weight: ``(out_features, in_features)``.
        bias: ``(out_features)`` or None.

    Shape:
        - Output: ``(*, out_features)``.

    Example:
        >>> import chainrule as torch
        >>> x = torch.ones(2, 3)
        >>> w = torch.tensor([[1., 2., 3.]], requires_grad=True)
        >>> y = linear(x, w, torch.tensor([0.5]))
        >>> y
        tensor([[6.5000],
                [6.5000]], grad_fn=<AddmmBackward0>)
    """
    if not (isinstance(input, Tensor) and isinstance(weight, Tensor)):
        check_tensor(input, "linear")
        check_tensor(weight, "linear", "weight")
    xd, wd = input._data, weight._data
    # one cheap test for the common case; the detailed checks only run to explain a failure
    if xd.ndim == 0 or wd.ndim != 2 or xd.shape[-1] != wd.shape[1] or xd.dtype != wd.dtype or (
            bias is not None and (not isinstance(bias, Tensor) or bias._data.dtype != wd.dtype
                                  or bias._data.shape != wd.shape[:1])):
        _check_linear(input, weight, bias)
    if xd.ndim == 2:
        fn = Mm if bias is None else Addmm
    else:
        fn = LinearUnsafeView if bias is None else LinearView
    if bias is None:
        return fn.apply(input, weight)
    return fn.apply(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """Apply ``y_k = x1^T W_k x2 + b_k`` for every output feature ``k``.

    Args:
        input1: ``(*, in1_features)``.
        input2: ``(*, in2_features)`` with the same leading dimensions.
        weight: ``(out_features, in1_features, in2_features)``.
        bias: ``(out_features)`` or None.

    Shape:
        - Output: ``(*, out_features)``.

    Example:
        >>> import chainrule as torch
        >>> w = torch.ones(1, 2, 3)
        >>> bilinear(torch.ones(4, 2), torch.ones(4, 3), w).shape
        torch.Size([4, 1])
    """
    check_tensor(input1, "bilinear", "input1")
    check_tensor(input2, "bilinear", "input2")
    check_tensor(weight, "bilinear", "weight")
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D (out_features, in1_features, "
                           f"in2_features), received shape {list(weight.shape)}")
    n_out, n1, n2 = weight.shape
    if input1.ndim == 0 or input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input1 and input2 must have the same leading "
                           f"dimensions, received shapes {list(input1.shape)} and "
                           f"{list(input2.shape)}")
    if input1.shape[-1] != n1:
        raise RuntimeError(f"bilinear(): input1 must have {n1} (in1_features) features in its "
                           f"last dimension, received shape {list(input1.shape)}")
    if input2.shape[-1] != n2:
        raise RuntimeError(f"bilinear(): input2 must have {n2} (in2_features) features in its "
                           f"last dimension, received shape {list(input2.shape)}")
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, n1)
    x2 = input2.reshape(-1, n2)
    # t[n, k*n2 + j] = sum_i x1[n, i] W[k, i, j]; then contract j with x2
    t = linear(x1, weight.permute(0, 2, 1).reshape(n_out * n2, n1))
    y = (t.reshape(-1, n_out, n2) * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(*lead, n_out)
