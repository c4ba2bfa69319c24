"""Training diagnostics: ``TrainingMonitor`` watches a model's gradients, weights and activations
while it trains, keeps a ``history`` for plots, and warns when gradients vanish or explode.

Use it from a PyTorch-style loop::

    monitor = TrainingMonitor(model)
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        monitor.record(loss=loss.item())
    print(monitor.summary())

or as a Keras callback (``chainrule.viz.keras_monitor.GradientMonitor``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._tensor import Tensor

__all__ = ["TrainingMonitor", "TrainingDiagnosticWarning"]

_NAN = float("nan")


class TrainingDiagnosticWarning(UserWarning):
    """Warned by ``TrainingMonitor`` about vanishing, exploding or non-finite gradients."""


def _norm(arr) -> float:
    """L2 norm in float64, so that tiny float32 gradients do not underflow to 0."""
    a = np.asarray(arr, dtype=np.float64).ravel()
    return float(math.sqrt(float(np.dot(a, a)))) if a.size else 0.0


def named_parameters(model) -> list:
    """``[(name, tensor)]`` of what a model trains: a module, a dict, pairs, or a Keras-style
    model with ``trainable_weights``."""
    if hasattr(model, "named_parameters"):
        pairs = list(model.named_parameters())
    elif isinstance(model, dict):
        pairs = list(model.items())
    elif hasattr(model, "trainable_weights"):
        pairs = []
        for i, w in enumerate(model.trainable_weights):
            name = getattr(w, "path", None) or getattr(w, "name", None) or f"weight{i}"
            pairs.append((str(name), getattr(w, "value", w)))
    else:
        pairs = list(model)
    out = []
    for name, p in pairs:
        p = getattr(p, "value", p) if not isinstance(p, Tensor) else p
        if isinstance(p, Tensor) and p.requires_grad:
            out.append((str(name), p))
    return out


def layer_of(param_name: str) -> str:
    """The layer a parameter belongs to: ``'fc1.weight'`` → ``'fc1'``."""
    return param_name.rsplit(".", 1)[0] if "." in param_name else param_name


class TrainingMonitor:
    """Per-layer training diagnostics with warnings for vanishing and exploding gradients.

    Each ``record()`` (alias ``step()``), called once per training step after
    ``optimizer.step()``, appends to ``history``, for every trainable parameter:
    ``grad_norm/<name>`` (L2 norm of its gradient), ``weight_norm/<name>`` and
    ``update_ratio/<name>`` (norm of the change since the previous record divided by the
    weights' norm; about 1e-3 is healthy); and for every leaf module that ran forward in training
    mode since the last record: ``act_mean/<module>``, ``act_std/<module>`` and
    ``act_zero_frac/<module>`` (the fraction of exact zeros: dead units after a ReLU). It also
    keeps ``step``, ``grad_norm_total`` and any ``loss``/metrics passed to ``record``.

    Gradients are captured by post-accumulate-grad hooks when ``backward()`` runs, so the
    record is right even when ``zero_grad()`` comes before ``record()``; without the hooks the
    current ``.grad`` is read.

    A ``TrainingDiagnosticWarning`` names the layers whose gradient norm stayed below
    ``vanish_threshold`` or above ``explode_threshold`` for ``patience`` consecutive records, or
    became NaN/inf (at once). Messages are also kept in ``alerts``.

    Args:
        model: an ``nn.Module`` (or a dict / pairs of named parameters, or a Keras-style model).
        vanish_threshold: a gradient norm below this counts as vanishing.
        explode_threshold: a gradient norm above this counts as exploding.
        patience: how many consecutive records before warning.
        activations: collect activation statistics with forward hooks on leaf modules.
        grad_hooks: capture gradient norms with post-accumulate-grad hooks.
        warn: issue warnings (``alerts`` is filled either way).
        auto_record: record without explicit calls: a step is recorded when the next
            backward pass starts accumulating gradients (and by ``flush()``/``summary()`` for
            the last one). Every backward counts as a step; losses are not known.

    Example:
        >>> import chainrule as torch
        >>> from chainrule import nn
        >>> from chainrule.viz import TrainingMonitor
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
        >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
        >>> monitor = TrainingMonitor(model)
        >>> for _ in range(3):
        ...     opt.zero_grad()
        ...     loss = model(torch.randn(16, 4)).pow(2).mean()
        ...     loss.backward()
        ...     opt.step()
        ...     _ = monitor.record(loss=loss.item())
        >>> len(monitor.history["grad_norm/0.weight"])
        3
        >>> print(monitor.summary().splitlines()[0])  # doctest: +ELLIPSIS
        TrainingMonitor: 3 steps recorded, loss ...
    """

    def __init__(self, model, vanish_threshold: float = 1e-7, explode_threshold: float = 1e3,
                 patience: int = 3, activations: bool = True, grad_hooks: bool = True,
                 warn: bool = True, auto_record: bool = False) -> None:
        if not vanish_threshold >= 0:
            raise ValueError(f"TrainingMonitor: vanish_threshold must be >= 0, received "
                             f"vanish_threshold={vanish_threshold}")
        if not explode_threshold > vanish_threshold:
            raise ValueError(f"TrainingMonitor: explode_threshold must exceed vanish_threshold, "
                             f"received explode_threshold={explode_threshold}")
        if int(patience) < 1:
            raise ValueError(f"TrainingMonitor: patience must be >= 1, received "
                             f"patience={patience}")
        self.model = model
        self.vanish_threshold = float(vanish_threshold)
        self.explode_threshold = float(explode_threshold)
        self.patience = int(patience)
        self.warn = bool(warn)
        self.params = named_parameters(model)
        if not self.params:
            raise ValueError("TrainingMonitor: the model has no parameters that require grad")
        self.history: dict = {"step": []}
        self.alerts: list = []
        self.steps = 0
        self._prev: dict = {}
        self._pending: dict = {}
        self._streak = {name: {"vanish": 0, "explode": 0} for name, _ in self.params}
        self._act: dict = {}
        self._act_kind: dict = {}
        self._nonfinite: set = set()
        self._handles: list = []
        self._use_grad_hooks = bool(grad_hooks)
        self.auto_record = bool(auto_record)
        if self.auto_record and not self._use_grad_hooks:
            raise ValueError("TrainingMonitor: auto_record=True needs grad_hooks=True")
        self._use_act_hooks = bool(activations)
        self.attach()

    # ---- hooks -----------------------------------------------------------------------------
    def attach(self) -> "TrainingMonitor":
        """Register the hooks (done by the constructor; call again after ``remove()``).

        Returns:
            The monitor.
        """
        if self._handles:
            return self
        if self._use_grad_hooks:
            for name, p in self.params:
                if p.grad_fn is None:
                    self._handles.append(p.register_post_accumulate_grad_hook(
                        self._grad_hook(name)))
        if self._use_act_hooks and hasattr(self.model, "named_modules"):
            self._hook_modules(self.model)
        return self

    def _grad_hook(self, name: str):
        pending = self._pending

        def hook(param):
            g = param._grad
            if g is not None:
                if self.auto_record and name in pending:  # a new backward pass has begun
                    self.record()
                pending[name] = _norm(g._data)

        return hook

    def _hook_modules(self, model) -> None:
        modules = list(model.named_modules())
        for name, module in modules:
            if any(True for _ in module.children()):
                continue
            label = name or type(module).__name__
            self._act_kind[label] = type(module).__name__
            self._act.setdefault(label, [0, 0.0, 0.0, 0.0])
            self._handles.append(module.register_forward_hook(self._act_hook(label)))

    def _act_hook(self, label: str):
        acc = self._act

        def hook(module, args, output):
            if not getattr(module, "training", True):
                return
            if isinstance(output, (tuple, list)):
                output = next((o for o in output if isinstance(o, Tensor)), None)
            if not isinstance(output, Tensor) or output._data.dtype.kind != "f" or \
                    output._data.size == 0:
                return
            a = output._data
            s = acc.setdefault(label, [0, 0.0, 0.0, 0.0])
            s[0] += 1
            s[1] += float(a.mean(dtype=np.float64))
            s[2] += float(a.std(dtype=np.float64))
            s[3] += float(np.count_nonzero(a == 0)) / a.size

        return hook

    def remove(self) -> None:
        """Remove all hooks from the model (the history is kept)."""
        for h in self._handles:
            h.remove()
        self._handles = []

    close = remove

    def __enter__(self) -> "TrainingMonitor":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    # ---- recording -------------------------------------------------------------------------
    def record(self, loss=None, **metrics) -> dict:
        """Measure the model now and append one entry to every ``history`` list.

        Call it once per step, after ``optimizer.step()``.

        Args:
            loss: the step's loss (a number or a one-element tensor), kept as ``history['loss']``.
            **metrics: other numbers to keep (``accuracy=0.9``).

        Returns:
            The entry recorded: ``{key: value}``.
        """
        self.steps += 1
        row: dict = {"step": self.steps}
        if loss is not None:
            row["loss"] = float(loss.item() if isinstance(loss, Tensor) else loss)
        for k, v in metrics.items():
            row[k] = float(v.item() if isinstance(v, Tensor) else v)
        total = 0.0
        any_grad = False
        nonfinite = set()
        for name, p in self.params:
            gn = self._pending.pop(name, None)
            if gn is None and p._grad is not None:
                gn = _norm(p._grad._data)
            if gn is None:
                gn = _NAN
            elif not math.isfinite(gn):
                nonfinite.add(name)
            if math.isfinite(gn):
                any_grad = True
                total += gn * gn
            w = p._data
            wn = _norm(w)
            prev = self._prev.get(name)
            ratio = _NAN
            if prev is not None and prev.shape == w.shape:
                ratio = _norm(w.astype(np.float64) - prev) / max(_norm(prev), 1e-12)
            self._prev[name] = np.array(w, dtype=np.float64, copy=True)
            row[f"grad_norm/{name}"] = gn
            row[f"weight_norm/{name}"] = wn
            row[f"update_ratio/{name}"] = ratio
        row["grad_norm_total"] = math.sqrt(total) if any_grad else _NAN
        for label, s in self._act.items():
            n = s[0]
            row[f"act_mean/{label}"] = s[1] / n if n else _NAN
            row[f"act_std/{label}"] = s[2] / n if n else _NAN
            row[f"act_zero_frac/{label}"] = s[3] / n if n else _NAN
            s[:] = [0, 0.0, 0.0, 0.0]
        self._nonfinite = nonfinite
        self._append(row)
        self._check(row, nonfinite)
        return row

    step = record

    def flush(self) -> None:
        """Record the gradients captured since the last record, if any (for ``auto_record``)."""
        if self._pending:
            self.record()

    def _append(self, row: dict) -> None:
        n = len(self.history["step"])
        for key, value in row.items():
            if key not in self.history:
                self.history[key] = [_NAN] * n
            self.history[key].append(value)
        for values in self.history.values():
            if len(values) < n + 1:
                values.append(_NAN)

    def _check(self, row: dict, nonfinite: set) -> None:
        flagged: dict = {"vanish": [], "explode": [], "nonfinite": []}
        for name, _ in self.params:
            gn = row[f"grad_norm/{name}"]
            streak = self._streak[name]
            if name in nonfinite:
                flagged["nonfinite"].append((name, gn))
                streak["vanish"] = streak["explode"] = 0
                continue
            if math.isnan(gn):
                continue
            streak["vanish"] = streak["vanish"] + 1 if gn < self.vanish_threshold else 0
            streak["explode"] = streak["explode"] + 1 if gn > self.explode_threshold else 0
            for kind in ("vanish", "explode"):
                if streak[kind] == self.patience:
                    flagged[kind].append((name, gn))
        for kind, items in flagged.items():
            if items:
                self._alert(kind, items)

    def _alert(self, kind: str, items: list) -> None:
        layers: dict = {}
        for name, gn in items:
            layers.setdefault(layer_of(name), []).append((name, gn))
        where = ", ".join(f"layer '{layer}' (" + ", ".join(f"{n}: {g:.2e}" for n, g in ps) + ")"
                          for layer, ps in layers.items())
        if kind == "vanish":
            msg = (f"TrainingMonitor: vanishing gradients in {where}: gradient norm below "
                   f"{self.vanish_threshold:g} for {self.patience} consecutive steps (step "
                   f"{self.steps}). These layers barely learn; try ReLU-family activations, "
                   "He/Xavier initialization (nn.init.kaiming_normal_), normalization layers "
                   "or residual connections.")
        elif kind == "explode":
            msg = (f"TrainingMonitor: exploding gradients in {where}: gradient norm above "
                   f"{self.explode_threshold:g} for {self.patience} consecutive steps (step "
                   f"{self.steps}). Try a lower learning rate, gradient clipping "
                   "(nn.utils.clip_grad_norm_) or normalization layers.")
        else:
            msg = (f"TrainingMonitor: non-finite (NaN/inf) gradients in {where} at step "
                   f"{self.steps}. Run the step inside torch.autograd.detect_anomaly() to find "
                   "the operation that produced them.")
        self.alerts.append({"step": self.steps, "kind": kind,
                            "layers": list(layers), "message": msg})
        if self.warn:
            warnings.warn(msg, TrainingDiagnosticWarning, stacklevel=4)

    # ---- reading ---------------------------------------------------------------------------
    @property
    def parameter_names(self) -> list:
        """Names of the monitored parameters, in model order."""
        return [name for name, _ in self.params]

    @property
    def activation_names(self) -> list:
        """Names of the modules whose activations are tracked."""
        return list(self._act_kind)

    def latest(self, prefix: str) -> dict:
        """``{name: last value}`` of the history entries ``'<prefix>/<name>'``.

        Args:
            prefix: ``'grad_norm'``, ``'weight_norm'``, ``'update_ratio'``, ``'act_mean'``,
                ``'act_std'`` or ``'act_zero_frac'``.

        Returns:
            The latest value of each entry (NaN where nothing was measured).
        """
        head = prefix + "/"
        return {k[len(head):]: (v[-1] if v else _NAN) for k, v in self.history.items()
                if k.startswith(head)}

    def _status(self, name: str, gn: float) -> str:
        if name in self._nonfinite:
            return "NON-FINITE"
        if math.isnan(gn):
            return "no grad"
        if math.isinf(gn):
            return "NON-FINITE"
        streak = self._streak[name]
        if gn < self.vanish_threshold:
            return "VANISHING" if streak["vanish"] >= self.patience else "tiny"
        if gn > self.explode_threshold:
            return "EXPLODING" if streak["explode"] >= self.patience else "large"
        return "ok"

    def summary(self) -> str:
        """A short text report: per-layer gradient/weight norms, update ratios and status,
        activation statistics, and the alerts raised so far.

        Returns:
            The report (multi-line string).
        """
        if self.auto_record:
            self.flush()
        if not self.steps:
            return "TrainingMonitor: nothing recorded yet (call record() after each step)."
        lines = [f"TrainingMonitor: {self.steps} steps recorded"]
        losses = [v for v in self.history.get("loss", []) if not math.isnan(v)]
        if losses:
            lines[0] += f", loss {losses[0]:.4g} → {losses[-1]:.4g}"
        grads, weights, ratios = (self.latest("grad_norm"), self.latest("weight_norm"),
                                  self.latest("update_ratio"))
        layers: dict = {}
        for name in self.parameter_names:
            layers.setdefault(layer_of(name), []).append(name)
        width = max(5, *(len(n) for n in layers))
        lines.append(f"{'layer':<{width}}  {'grad norm':>10}  {'weight norm':>11}  "
                     f"{'update/weight':>13}  status")
        rank = ["ok", "no grad", "tiny", "large", "VANISHING", "EXPLODING", "NON-FINITE"]
        for layer, names in layers.items():
            gs = [grads.get(n, _NAN) for n in names]
            known = [g for g in gs if not math.isnan(g)]
            gn = math.sqrt(sum(g * g for g in known)) if known else _NAN
            if any(n in self._nonfinite for n in names):
                gn = _NAN
            wn = math.sqrt(sum(weights.get(n, 0.0) ** 2 for n in names))
            ratio = ratios.get(names[0], _NAN)  # the weight's ratio; a bias's is noisy
            status = max((self._status(n, g) for n, g in zip(names, gs)), key=rank.index)
            lines.append(f"{layer:<{width}}  {gn:>10.3e}  {wn:>11.3e}  {ratio:>13.3e}  "
                         f"{status}")
        means = self.latest("act_mean")
        if any(not math.isnan(v) for v in means.values()):
            stds, zeros = self.latest("act_std"), self.latest("act_zero_frac")
            w2 = max(10, *(len(f"{n} ({self._act_kind.get(n, '')})") for n in means))
            lines.append(f"{'activation':<{w2}}  {'mean':>10}  {'std':>10}  {'zeros':>7}")
            for name, m in means.items():
                if math.isnan(m):
                    continue
                label = f"{name} ({self._act_kind.get(name, '')})"
                z = zeros.get(name, _NAN)
                note = ""
                if "ReLU" in self._act_kind.get(name, "") and z > 0.9:
                    note = "  mostly dead units"
                lines.append(f"{label:<{w2}}  {m:>10.3e}  {stds.get(name, _NAN):>10.3e}  "
                             f"{z:>7.1%}{note}")
        if self.alerts:
            lines.append(f"Alerts ({len(self.alerts)}):")
            lines.extend(f"  step {a['step']}: {a['kind']} in "
                         + ", ".join(a["layers"]) for a in self.alerts[-10:])
        else:
            lines.append("No vanishing, exploding or non-finite gradients detected.")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"TrainingMonitor({len(self.params)} parameters, {self.steps} steps, "
                f"{len(self.alerts)} alerts)")
