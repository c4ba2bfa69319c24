"""Training plots written as image files with matplotlib (an optional dependency).

``plot_history`` draws loss and metric curves, ``plot_gradient_flow`` the gradient norms of each
layer, ``plot_weights`` histograms of the parameters. Each returns the matplotlib ``Figure`` and
writes it to ``path`` when given (PNG unless the suffix says otherwise). They use
``matplotlib.figure.Figure`` directly, not ``pyplot``, so no window opens and no global state
changes.
"""

from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor

__all__ = ["plot_history", "plot_gradient_flow", "plot_weights", "history_to_dict"]

_INSTALL = ("chainrule.viz plotting needs matplotlib, which is not installed. Install it with "
            "`pip install matplotlib` (or `pip install chainrule[dev]`).")
_TINY = 1e-45  # stands for 0 on logarithmic axes


def _figure(nrows: int, ncols: int, width: float, height: float):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(_INSTALL) from None
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, [ax for row in axes for ax in row]


def _panels(n: int, max_cols: int, width: float, height: float):
    """A figure of ``n`` panels of ``width`` x ``height``, at most ``max_cols`` a row; the
    grid's spare axes are hidden."""
    ncols = min(max_cols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = _figure(nrows, ncols, width * ncols, height * nrows)
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes


def _finish(fig, path, title=None):
    """Give ``fig`` its ``title`` (if any), save it to ``path`` (if any) and return it."""
    if title:
        fig.suptitle(title)
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def history_to_dict(history) -> dict:
    """Turn any training history into ``{key: list of numbers}``.

    Args:
        history: a dict of lists, a Keras ``History`` (``.history``), a ``TrainingMonitor``, a
            list of per-epoch dicts (``[{'epoch': 1, 'loss': 0.5}, …]``), or a dict holding one
            of those under ``'history'``.

    Returns:
        A dict of equally long lists of floats (NaN where an entry was missing).

    Example:
        >>> from chainrule.viz.plots import history_to_dict
        >>> history_to_dict([{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.25}])
        {'epoch': [1.0, 2.0], 'loss': [0.5, 0.25]}
    """
    if hasattr(history, "history") and not isinstance(history, (dict, list)):
        history = history.history
    if isinstance(history, dict) and "history" in history and not isinstance(
            history["history"], (int, float)):
        history = history["history"]
    if isinstance(history, (list, tuple)):
        keys: dict = {}
        for row in history:
            for k in row:
                keys.setdefault(k, None)
        history = {k: [row.get(k, math.nan) for row in history] for k in keys}
    if not isinstance(history, dict):
        raise TypeError(f"plot_history: expected a dict of lists, a Keras History, a "
                        f"TrainingMonitor or a list of dicts, received {type(history).__name__}")
    out = {}
    for k, values in history.items():
        try:
            out[str(k)] = [math.nan if v is None else float(v.item() if isinstance(v, Tensor)
                                                             else v) for v in values]
        except (TypeError, ValueError):
            continue  # non-numeric entries (timestamps, names) are not plotted
    return out


def plot_history(history, path=None, keys=None, title: str | None = None):
    """Plot loss and metric curves, one panel per metric with training and ``val_`` curves
    together.

    Args:
        history: a Keras ``History``, a dict of lists, a ``TrainingMonitor``, or the CLI's
            history (a list of per-epoch dicts).
        path: the image file to write (``.png``); None writes nothing.
        keys: the metrics to plot (default: every key without ``'/'`` except the x axis).
        title: the figure's title.

    Returns:
        The matplotlib ``Figure``.

    Raises:
        ImportError: matplotlib is not installed (the message says how to install it).

    Example:
        >>> from chainrule.viz import plot_history
        >>> fig = plot_history({"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6]})
        >>> len(fig.axes)
        1
    """
    h = history_to_dict(history)
    try:
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        raise ImportError(_INSTALL) from None
    xkey = next((k for k in ("epoch", "step") if k in h), None)
    if keys is None:
        keys = [k for k in h if k != xkey and "/" not in k]
    missing = [k for k in keys if k not in h]
    if missing:
        raise KeyError(f"plot_history: keys {missing} are not in the history (keys: {list(h)})")
    groups: dict = {}
    for k in keys:
        base = k[4:] if k.startswith("val_") and k[4:] in h else k
        groups.setdefault(base, []).append(k)
    if not groups:
        raise ValueError(f"plot_history: nothing to plot in a history with keys {list(h)}")
    fig, axes = _panels(len(groups), 3, 4.2, 3.2)
    for ax, (base, ks) in zip(axes, groups.items()):
        for k in ks:
            y = np.asarray(h[k], dtype=np.float64)
            x = np.asarray(h[xkey], dtype=np.float64) if xkey else np.arange(1, len(y) + 1)
            ax.plot(x[:len(y)], y, marker="o" if len(y) <= 30 else None, markersize=3,
                    label="validation" if k.startswith("val_") else "training")
        ax.set_title(base)
        ax.set_xlabel(xkey or "epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        if len(ks) > 1:
            ax.legend()
    return _finish(fig, path, title)


def _abs_stats(pairs) -> tuple:
    names, means, maxes = [], [], []
    for name, p in pairs:
        if p._grad is None:
            continue
        g = np.abs(np.asarray(p._grad._data, dtype=np.float64))
        names.append(name)
        means.append(float(g.mean()) if g.size else 0.0)
        maxes.append(float(g.max()) if g.size else 0.0)
    return names, means, maxes


def plot_gradient_flow(source, path=None, title: str | None = None):
    """Plot how large the gradients are in each layer, to spot vanishing or exploding ones.

    From a ``TrainingMonitor``: the latest gradient norm per parameter (bars, log scale, with
    the monitor's thresholds) and, below, each parameter's gradient norm over the steps.
    From a model or ``named_parameters()``: the mean and maximum absolute gradient per
    parameter from the current ``.grad``.

    Args:
        source: a ``TrainingMonitor``, an ``nn.Module``, or ``(name, parameter)`` pairs.
        path: the image file to write (``.png``); None writes nothing.
        title: the figure's title.

    Returns:
        The matplotlib ``Figure``.

    Raises:
        ImportError: matplotlib is not installed.
        ValueError: there are no gradients to plot.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> from chainrule.viz import plot_gradient_flow
        >>> model = nn.Linear(3, 1)
        >>> model(torch.ones(2, 3)).sum().backward()
        >>> fig = plot_gradient_flow(model.named_parameters())
    """
    if hasattr(source, "history") and hasattr(source, "parameter_names"):
        return _flow_from_monitor(source, path, title)
    pairs = list(source.named_parameters()) if hasattr(source, "named_parameters") else \
        list(source)
    names, means, maxes = _abs_stats(pairs)
    if not names:
        raise ValueError("plot_gradient_flow: no parameter has a gradient; call backward() "
                         "first")
    fig, (ax,) = _figure(1, 1, min(16.0, max(6.0, 0.3 * len(names) + 3)), 4.2)
    x = np.arange(len(names))
    ax.bar(x, np.maximum(maxes, _TINY), alpha=0.35, color="tab:cyan", label="max |grad|")
    ax.bar(x, np.maximum(means, _TINY), alpha=0.9, color="tab:blue", label="mean |grad|")
    ax.set_yscale("log")
    ax.set_xticks(x, names, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("gradient magnitude")
    ax.set_title(title or "Gradient flow")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend()
    return _finish(fig, path)


def _flow_from_monitor(monitor, path, title):
    names = monitor.parameter_names
    latest = monitor.latest("grad_norm")
    values = [latest.get(n, math.nan) for n in names]
    if all(math.isnan(v) for v in values):
        raise ValueError("plot_gradient_flow: the monitor recorded no gradients yet")
    steps = monitor.history.get("step", [])
    two = len(steps) > 1
    width = min(16.0, max(7.0, 0.3 * len(names) + 3))
    fig, axes = _figure(2 if two else 1, 1, width, 8.4 if two else 4.4)
    ax = axes[0]
    x = np.arange(len(names))
    shown = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=_TINY)
    colors = ["tab:red" if v < monitor.vanish_threshold or v > monitor.explode_threshold
              else "tab:blue" for v in shown]
    ax.bar(x, np.maximum(shown, _TINY), color=colors)
    ax.axhline(monitor.vanish_threshold, color="tab:orange", ls="--", lw=1, label="vanishing")
    ax.axhline(monitor.explode_threshold, color="tab:red", ls="--", lw=1, label="exploding")
    ax.set_yscale("log")
    ax.set_xticks(x, names, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("gradient norm")
    ax.set_title(f"Gradient norm per parameter (step {steps[-1] if steps else 0})")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    if two:
        ax2 = axes[1]
        cmap = _colormap(len(names))
        for i, n in enumerate(names):
            y = np.asarray(monitor.history.get(f"grad_norm/{n}", []), dtype=np.float64)
            ax2.plot(steps[:len(y)], np.maximum(np.nan_to_num(y, nan=_TINY), _TINY),
                     color=cmap(i), lw=1, label=n if len(names) <= 12 else None)
        ax2.set_yscale("log")
        ax2.set_xlabel("step")
        ax2.set_ylabel("gradient norm")
        ax2.set_title("Gradient norms over training (dark = first layers)")
        ax2.grid(True, alpha=0.3)
        if len(names) <= 12:
            ax2.legend(fontsize=7)
    return _finish(fig, path, title)


def _colormap(n: int):
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return lambda i: cmap(i / max(1, n - 1))


def plot_weights(model, path=None, bins: int = 40, grads: bool = False, max_panels: int = 24,
                 title: str | None = None):
    """Histograms of a model's parameters (and optionally of their gradients), one panel each.

    Args:
        model: an ``nn.Module`` or ``(name, parameter)`` pairs.
        path: the image file to write (``.png``); None writes nothing.
        bins: histogram bins.
        grads: add a panel with the gradient histogram after each parameter that has one.
        max_panels: at most this many panels (the first parameters).
        title: the figure's title.

    Returns:
        The matplotlib ``Figure``.

    Raises:
        ImportError: matplotlib is not installed.

    Example:
        >>> from chainrule import nn
        >>> from chainrule.viz import plot_weights
        >>> fig = plot_weights(nn.Linear(8, 4))
        >>> [ax.get_title() for ax in fig.axes]
        ['weight [4, 8]', 'bias [4]']
    """
    pairs = list(model.named_parameters()) if hasattr(model, "named_parameters") else \
        list(model)
    panels = []
    for name, p in pairs:
        panels.append((f"{name} {list(p.shape)}", p._data, "tab:blue"))
        if grads and p._grad is not None:
            panels.append((f"{name}.grad", p._grad._data, "tab:orange"))
    panels = panels[:max_panels]
    if not panels:
        raise ValueError("plot_weights: the model has no parameters")
    fig, axes = _panels(len(panels), 4, 3.3, 2.6)
    for ax, (label, data, color) in zip(axes, panels):
        a = np.asarray(data, dtype=np.float64).ravel()
        a = a[np.isfinite(a)]
        ax.hist(a, bins=bins, color=color, alpha=0.85)
        ax.set_title(label, fontsize=9)
        if a.size:
            ax.text(0.98, 0.95, f"mean {a.mean():.2g}\nstd {a.std():.2g}", ha="right",
                    va="top", transform=ax.transAxes, fontsize=7)
    return _finish(fig, path, title)
