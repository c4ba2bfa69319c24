"""``summary``: a Keras-style table of a model's layers, their output shapes and parameter
counts, found by running one forward pass with hooks."""

from __future__ import annotations

import numpy as np

from ... import _dtypes
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad

__all__ = ["summary"]


class SummaryText(str):
    """The summary table as a string; its repr is one line, so that the table printed by
    ``summary`` is not echoed a second time in interactive sessions."""

    def __repr__(self) -> str:
        return f"<chainrule summary: {self.count(chr(10))} lines>"


def _is_container(module) -> bool:
    from ..modules.container import ModuleDict, ModuleList, Sequential

    return isinstance(module, (Sequential, ModuleList, ModuleDict))


def _shape_of(out, batch: int):
    if isinstance(out, Tensor):
        shape = list(out.shape)
        if shape:
            shape[0] = batch
        return shape
    if isinstance(out, (tuple, list)):
        shapes = [_shape_of(o, batch) for o in out]
        return [s for s in shapes if s is not None] or None
    if isinstance(out, dict):
        return _shape_of(list(out.values()), batch)
    return None


def _format_shape(shape) -> str:
    if shape is None:
        return "-"
    if shape and isinstance(shape[0], list):
        return ", ".join(_format_shape(s) for s in shape)
    return str(shape)


def _make_inputs(input_size, dtypes, rng) -> list:
    sizes = [input_size] if all(isinstance(s, (int, np.integer)) for s in input_size) \
        else list(input_size)
    if dtypes is None:
        dtypes = [None] * len(sizes)
    if len(dtypes) != len(sizes):
        raise ValueError(f"summary: got {len(dtypes)} dtypes for {len(sizes)} inputs")
    inputs = []
    for size, dt in zip(sizes, dtypes):
        d = _dtypes.to_dtype(dt) if dt is not None else _dtypes.get_default_dtype()
        shape = (2,) + tuple(int(s) for s in size)
        if d.is_floating_point:
            arr = rng.random(shape).astype(d.np)
        else:
            arr = np.zeros(shape, dtype=d.np)  # valid indices for embeddings
        inputs.append(Tensor._make(arr))
    return inputs


def summary(model, input_size=None, batch_size: int = -1, device=None, dtypes=None, *,
            input_data=None, print_fn=print) -> str:
    """Print (and return) a table of ``model``'s layers with output shapes and parameter
    counts, then the total, trainable and non-trainable parameter counts.

    One forward pass is run in eval mode without gradient recording on random inputs (a batch
    of 2; drawn from a private generator, so the global random state is untouched), with a
    forward hook on every module that is not a container. Modes are restored afterwards.

    Args:
        model: the ``Module``.
        input_size: one input's shape without the batch dimension, e.g. ``(1, 28, 28)``; or a
            list of such shapes for a model with several inputs.
        batch_size: the batch size shown in the table (default -1: any).
        device: only ``'cpu'`` (or None) is meaningful here.
        dtypes: one dtype per input (default float32; integer inputs are zeros).
        input_data: tensors to use instead of random inputs (``input_size`` is then ignored).
        print_fn: where the table goes (None: do not print).

    Returns:
        The table as a string.

    Example:
        >>> from chainrule import nn
        >>> import chainrule
        >>> model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))
        >>> text = summary(model, (784,))  # doctest: +NORMALIZE_WHITESPACE
        =============================================================
        Layer (type)                Output Shape              Param #
        =============================================================
        0 (Linear)                  [-1, 512]                 401,920
        1 (ReLU)                    [-1, 512]                 0
        2 (Linear)                  [-1, 10]                  5,130
        =============================================================
        Total params: 407,050
        Trainable params: 407,050
        Non-trainable params: 0
        -------------------------------------------------------------
    """
    from ..modules.module import Module

    if not isinstance(model, Module):
        raise TypeError(f"summary: expected an nn.Module, received {type(model).__name__}")
    if input_data is not None:
        inputs = list(input_data) if isinstance(input_data, (list, tuple)) else [input_data]
    else:
        if input_size is None:
            raise ValueError("summary: give input_size (one sample's shape) or input_data")
        inputs = _make_inputs(tuple(input_size) if not isinstance(input_size, list)
                              else input_size, dtypes, np.random.default_rng(0))
    rows: list = []
    names = {id(m): name for name, m in model.named_modules()}
    handles = []

    def hook(module, args, output):
        own = list(module.parameters(recurse=False))
        n = sum(p.numel() for p in own)
        name = names.get(id(module), "") or type(module).__name__
        rows.append((f"{name} ({type(module).__name__})",
                     _format_shape(_shape_of(output, batch_size)), n))

    for m in model.modules():
        has_children = any(True for _ in m.children())
        if _is_container(m) or (m is model and has_children):
            continue
        handles.append(m.register_forward_hook(hook))
    modes = [(m, m.training) for m in model.modules()]
    try:
        model.eval()
        with no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            m.training = mode

    params = list(model.parameters())
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    w0 = max([len("Layer (type)")] + [len(r[0]) for r in rows]) + 4
    w1 = max([len("Output Shape")] + [len(r[1]) for r in rows]) + 4
    w1 = max(w1, 26)
    w0 = max(w0, 28)
    w2 = max([len("Param #")] + [len(f"{r[2]:,}") for r in rows])
    width = w0 + w1 + w2
    lines = ["=" * width, f"{'Layer (type)':<{w0}}{'Output Shape':<{w1}}{'Param #'}", "=" * width]
    lines += [f"{a:<{w0}}{b:<{w1}}{c:,}" for a, b, c in rows]
    lines += ["=" * width, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}", "-" * width]
    text = SummaryText("\n".join(lines))
    if print_fn is not None:
        print_fn(text)
    return text
