"""Normalisation layers' primitives: ``batch_norm``, ``layer_norm``, ``group_norm``,
``instance_norm`` (one fused primitive each, sharing the code below) and ``rms_norm``.

All four fused ones normalise ``x`` over some axes of a view of it (``stat_shape``), then apply a
per-channel (or per-feature) affine map. Backward has a NumPy fast path and, for
``create_graph=True``, a version written with tensor ops that recomputes the statistics from
the input, so second derivatives are exact.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_ENABLED
from ._util import check_tensor

__all__ = ["batch_norm", "group_norm", "instance_norm", "layer_norm", "local_response_norm",
           "rms_norm"]


class _Spec:
    """How to normalise: the statistics view, its reduced axes, the affine parameters'
    broadcast shape, and the axes of ``x`` summed for their gradients."""

    __slots__ = ("axes", "red_axes", "stat_shape", "wshape")

    def __init__(self, stat_shape, axes, wshape, red_axes) -> None:
        self.stat_shape, self.axes = tuple(stat_shape), tuple(axes)
        self.wshape, self.red_axes = tuple(wshape), tuple(red_axes)


class _Normalize(Function):
    """``(x - mean) * invstd * w + b``; statistics from the input, or fixed (``fixed``)."""

    raw = True

    @staticmethod
    def forward(ctx, x, w, b, spec, eps, running=None, fixed=None):
        xf = x.astype(np.float32) if x.dtype == np.float16 else x
        xs = xf.reshape(spec.stat_shape)
        if fixed is None:
            mean = xs.mean(axis=spec.axes, keepdims=True)
            xc = xs - mean
            var = np.mean(xc * xc, axis=spec.axes, keepdims=True)
            invstd = 1.0 / np.sqrt(var + eps)
            xhat = np.multiply(xc, invstd, out=xc).reshape(x.shape)
            if running is not None:
                _update_running(running, mean, var, xs.size // mean.size)
        else:
            mean, var = fixed
            invstd = (1.0 / np.sqrt(var + eps)).astype(xs.dtype, copy=False)
            xhat = ((xs - mean) * invstd).reshape(x.shape)
        ctx.spec, ctx.eps, ctx.fixed = spec, eps, fixed is not None
        ctx.fixed_mean = mean.copy() if fixed is not None else None
        ctx.save_for_backward(x, w, xhat, invstd)
        y = xhat * w.reshape(spec.wshape) if w is not None else xhat.copy()
        if b is not None:
            np.add(y, b.reshape(spec.wshape), out=y)
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        spec = ctx.spec
        x, w, xhat, invstd = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if GRAD_ENABLED[0]:
            gx, gw, gb = _backward_tensors(ctx, g, x, w, invstd, need_x, need_w, need_b)
            return (gx, gw, gb) + (None,) * 4
        ga, xh, inv = g._data, xhat._data, invstd._data
        gx = gw = gb = None
        if need_x:
            gxh = ga * w._data.reshape(spec.wshape) if w is not None else ga
            if ctx.fixed:
                dx = (gxh.reshape(spec.stat_shape) * inv).reshape(ga.shape)
            else:
                gs = gxh.reshape(spec.stat_shape)
                xs = xh.reshape(spec.stat_shape)
                m1 = gs.mean(axis=spec.axes, keepdims=True)
                m2 = (gs * xs).mean(axis=spec.axes, keepdims=True)
                dx = ((gs - m1 - xs * m2) * inv).reshape(ga.shape)
            gx = Tensor._make(dx.astype(x._data.dtype, copy=False))
        if need_w:
            gw = Tensor._make((ga * xh).sum(axis=spec.red_axes).reshape(w.shape)
                              .astype(w._data.dtype, copy=False))
        if need_b:
            bshape = w.shape if w is not None else spec.wshape
            gb = Tensor._make(ga.sum(axis=spec.red_axes).reshape(bshape))
        return (gx, gw, gb) + (None,) * 4


def _backward_tensors(ctx, g, x, w, invstd, need_x, need_w, need_b):
    """The same gradients with tensor ops, statistics recomputed from ``x`` (create_graph)."""
    spec = ctx.spec

    def red_sum(t):
        return t.sum(dim=spec.red_axes) if spec.red_axes else t

    xs = x.reshape(spec.stat_shape)
    if ctx.fixed:  # running statistics: constants
        inv = invstd.detach()
        xh = (xs - Tensor._make(np.asarray(ctx.fixed_mean, dtype=x._data.dtype))) * inv
    else:
        mean = xs.mean(dim=spec.axes, keepdim=True)
        xc = xs - mean
        inv = ((xc * xc).mean(dim=spec.axes, keepdim=True) + ctx.eps).rsqrt()
        xh = xc * inv
    gx = gw = gb = None
    if need_x:
        gxh = g * w.reshape(spec.wshape) if w is not None else g
        gs = gxh.reshape(spec.stat_shape)
        if ctx.fixed:
            gx = (gs * inv).reshape(x.shape)
        else:
            m1 = gs.mean(dim=spec.axes, keepdim=True)
            m2 = (gs * xh).mean(dim=spec.axes, keepdim=True)
            gx = ((gs - m1 - xh * m2) * inv).reshape(x.shape)
    if need_w:
        gw = red_sum(g * xh.reshape(x.shape)).reshape(w.shape)
    if need_b:
        gb = red_sum(g).reshape(w.shape if w is not None else spec.wshape)
    return gx, gw, gb


def _update_running(running, mean, var, n: int) -> None:
    """Blend the batch statistics into the running ones in place (unbiased variance)."""
    rm, rv, momentum = running
    channels = rm.size if rm is not None else rv.size
    if rm is not None:
        batch_mean = mean.reshape(-1, channels).mean(axis=0)
        rm *= 1 - momentum
        rm += momentum * batch_mean.astype(rm.dtype, copy=False)
    if rv is not None:
        unbiased = var.reshape(-1, channels).mean(axis=0) * (n / max(n - 1, 1))
        rv *= 1 - momentum
        rv += momentum * unbiased.astype(rv.dtype, copy=False)


class NativeBatchNorm(_Normalize):
    """Primitive of ``batch_norm`` and ``instance_norm``."""

    node_name = "NativeBatchNormBackward0"


class NativeLayerNorm(_Normalize):
    """Primitive of ``layer_norm``."""

    node_name = "NativeLayerNormBackward0"


class NativeGroupNorm(_Normalize):
    """Primitive of ``group_norm``."""

    node_name = "NativeGroupNormBackward0"


def _check_param(t, name: str, n: int, fn: str) -> None:
    if t is None:
        return
    check_tensor(t, fn, name)
    if t.numel() != n:
        raise RuntimeError(f"{name} should contain {n} elements not {t.numel()}")


def _batch_stats_norm(input: Tensor, weight, bias, spec: _Spec, eps: float, running_mean,
                      running_var, momentum) -> Tensor:
    """Normalise with the input's own statistics, blending them into the running statistics
    (those given) in place."""
    running = None
    if running_mean is not None or running_var is not None:
        running = (running_mean._data if running_mean is not None else None,
                   running_var._data if running_var is not None else None, momentum)
    out = NativeBatchNorm.apply(input, weight, bias, spec, eps, running, None)
    for t in (running_mean, running_var):
        if t is not None:
            t._version.value += 1
    return out


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dimension 1) over the batch and spatial dimensions.

    In training, batch statistics are used and blended into ``running_mean``/``running_var``
    (in place, unbiased variance): ``running = (1 - momentum) * running + momentum * batch``.
    Otherwise the running statistics are used.

    Args:
        input: ``(N, C)`` or ``(N, C, *)``.
        running_mean, running_var: ``(C)`` or None.
        weight, bias: ``(C)`` affine parameters or None.
        training: use batch statistics (and update the running ones).
        momentum: the running statistics' update factor.
        eps: added to the variance for stability.

    Example:
        >>> import chainrule as torch
        >>> x = torch.tensor([[1.0], [3.0]])
        >>> rm, rv = torch.zeros(1), torch.ones(1)
        >>> batch_norm(x, rm, rv, training=True, eps=0.0)
        tensor([[-1.],
                [ 1.]])
        >>> rm, rv
        (tensor([0.2000]), tensor([1.1000]))
    """
    check_tensor(input, "batch_norm")
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input with at least 2 dimensions (N, C, *), "
                         f"received input of shape {list(input.shape)}")
    c = input.shape[1]
    for t, name in ((running_mean, "running_mean"), (running_var, "running_var"),
                    (weight, "weight"), (bias, "bias")):
        _check_param(t, name, c, "batch_norm")
    nd = input.ndim
    spec = _Spec(input.shape, (0,) + tuple(range(2, nd)), (1, c) + (1,) * (nd - 2),
                 (0,) + tuple(range(2, nd)))
    if training:
        if input.numel() // max(c, 1) == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {input.shape}")
        return _batch_stats_norm(input, weight, bias, spec, eps, running_mean, running_var,
                                 momentum)
    if running_mean is None or running_var is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    fixed = (running_mean._data.reshape(spec.wshape), running_var._data.reshape(spec.wshape))
    return NativeBatchNorm.apply(input, weight, bias, spec, eps, None, fixed)


def _normalized_shape(input, normalized_shape, fn: str) -> tuple:
    """``normalized_shape`` as a tuple, checked to be the trailing shape of ``input``."""
    check_tensor(input, fn)
    if isinstance(normalized_shape, (int, np.integer)):
        ns = (int(normalized_shape),)
    else:
        ns = tuple(int(s) for s in normalized_shape)
    k = len(ns)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in ns)}], but got input of size"
                           f"{list(input.shape)}")
    return ns


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dimensions of each sample.

    Args:
        input: ``(*, *normalized_shape)``.
        normalized_shape: an int or a shape: the trailing dimensions to normalise over.
        weight, bias: of shape ``normalized_shape``, or None.
        eps: added to the variance for stability.

    Example:
        >>> import chainrule as torch
        >>> layer_norm(torch.tensor([[1.0, 3.0]]), (2,), eps=0.0)
        tensor([[-1.,  1.]])
    """
    ns = _normalized_shape(input, normalized_shape, "layer_norm")
    k = len(ns)
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and tuple(check_tensor(t, "layer_norm", name).shape) != ns:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t.shape)} and normalized_shape = "
                               f"{list(ns)}")
    lead = input.ndim - k
    spec = _Spec(input.shape, tuple(range(lead, input.ndim)), ns, tuple(range(lead)))
    return NativeLayerNorm.apply(input, weight, bias, spec, eps, None, None)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each sample over groups of channels (and the spatial dimensions).

    Args:
        input: ``(N, C, *)`` with ``C`` divisible by ``num_groups``.
        num_groups: how many groups the channels are split into.
        weight, bias: ``(C)`` per-channel affine parameters, or None.
        eps: added to the variance for stability.

    Example:
        >>> import chainrule as torch
        >>> group_norm(torch.tensor([[1.0, 3.0, 5.0, 7.0]]), 2, eps=0.0)
        tensor([[-1.,  1., -1.,  1.]])
    """
    check_tensor(input, "group_norm")
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.ndim}")
    n, c = input.shape[0], input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    _check_param(weight, "weight", c, "group_norm")
    _check_param(bias, "bias", c, "group_norm")
    nd = input.ndim
    spec = _Spec((n, num_groups, -1) if input.numel() else (n, num_groups, 0), (2,),
                 (1, c) + (1,) * (nd - 2), (0,) + tuple(range(2, nd)))
    return NativeGroupNorm.apply(input, weight, bias, spec, eps, None, None)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample over its spatial dimensions.

    Args:
        input: ``(N, C, *)``.
        running_mean, running_var: ``(C)`` running statistics (averaged over the batch) or None.
        weight, bias: ``(C)`` affine parameters or None.
        use_input_stats: use the input's statistics (else the running ones).
        momentum, eps: as in ``batch_norm``.

    Example:
        >>> import chainrule as torch
        >>> instance_norm(torch.tensor([[[1.0, 3.0]]]), eps=0.0)
        tensor([[[-1.,  1.]]])
    """
    check_tensor(input, "instance_norm")
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected input with at least 3 dimensions (N, C, *), "
                         f"received input of shape {list(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    for t, name in ((running_mean, "running_mean"), (running_var, "running_var"),
                    (weight, "weight"), (bias, "bias")):
        _check_param(t, name, c, "instance_norm")
    nd = input.ndim
    wshape = (1, c) + (1,) * (nd - 2)
    red = (0,) + tuple(range(2, nd))
    if use_input_stats:
        spatial = int(np.prod(input.shape[2:]))
        if spatial == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input "
                             f"size {input.shape}")
        spec = _Spec((n, c, spatial), (2,), wshape, red)
        return _batch_stats_norm(input, weight, bias, spec, eps, running_mean, running_var,
                                 momentum)
    if running_mean is None or running_var is None:
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    spec = _Spec(input.shape, red, wshape, red)
    fixed = (running_mean._data.reshape(wshape), running_var._data.reshape(wshape))
    return NativeBatchNorm.apply(input, weight, bias, spec, eps, None, fixed)


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """Root-mean-square normalisation over the trailing ``normalized_shape`` dimensions:
    ``x / sqrt(mean(x^2) + eps) * weight``.

    Args:
        input: ``(*, *normalized_shape)``.
        normalized_shape: the trailing dimensions to normalise over.
        weight: of shape ``normalized_shape``, or None.
        eps: added to the mean square; the dtype's machine epsilon when None.

    Example:
        >>> import chainrule as torch
        >>> rms_norm(torch.tensor([[3.0, 4.0]]), (2,), eps=0.0)
        tensor([[0.8485, 1.1314]])
    """
    ns = _normalized_shape(input, normalized_shape, "rms_norm")
    k = len(ns)
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.ndim - k, input.ndim))
    out = input * ((input * input).mean(dim=dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Normalise each channel by its neighbours: ``x / (k + alpha * mean(x^2 over size
    channels around it)) ** beta`` (zero-padded at the ends), as in AlexNet.

    Args:
        input: ``(N, C, *)``, at least 3-D.
        size: how many neighbouring channels are used.
        alpha, beta, k: the formula's constants.

    Example:
        >>> import chainrule as torch
        >>> local_response_norm(torch.ones(1, 3, 1), size=2, alpha=1.0, beta=1.0, k=0.0)
        tensor([[[2.],
                 [1.],
                 [1.]]])
    """
    check_tensor(input, "local_response_norm")
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} "
                         "dimensions)")
    if input.numel() == 0:
        return input
    from .joining import cat

    c = input.shape[1]
    sq = input * input
    zeros = tuple(input.shape[2:])
    parts = []
    lo, hi = size // 2, (size - 1) // 2
    if lo:
        parts.append(Tensor._make(np.zeros((input.shape[0], lo) + zeros, input._data.dtype)))
    parts.append(sq)
    if hi:
        parts.append(Tensor._make(np.zeros((input.shape[0], hi) + zeros, input._data.dtype)))
    padded = cat(parts, 1) if len(parts) > 1 else sq
    window = padded.narrow(1, 0, c)
    for i in range(1, size):
        window = window + padded.narrow(1, i, c)
    return input / (window * (alpha / size) + k) ** beta
