"""``GradientMonitor``: ``TrainingMonitor`` as a Keras callback.

It subclasses ``chainrule.keras.callbacks.Callback`` when that module is available (and a
stand-in with the same methods otherwise), so ``model.fit(..., callbacks=[GradientMonitor()])``
records per-layer gradient statistics after every training batch and can write plots at the end.
"""

from __future__ import annotations

from .monitor import TrainingMonitor

__all__ = ["GradientMonitor"]

try:
    from ..keras.callbacks import Callback as _Base
except ImportError:  # chainrule.keras not there yet: same protocol, no dependency
    class _Base:  # type: ignore[no-redef]
        """The Keras 3 ``Callback`` protocol: ``set_model``, ``set_params`` and ``on_*`` hooks."""

        def __init__(self) -> None:
            self.params: dict = {}
            self._model = None

        def set_params(self, params) -> None:
            self.params = params

        def set_model(self, model) -> None:
            self._model = model

        @property
        def model(self):
            return self._model

        def __getattr__(self, name: str):
            if name.startswith("on_"):
                return lambda *args, **kwargs: None
            raise AttributeError(name)


def _module_of(model):
    """The object whose parameters a Keras-style model trains."""
    if hasattr(model, "named_parameters"):
        return model
    for attr in ("module", "network", "net", "_module"):
        inner = getattr(model, attr, None)
        if inner is not None and hasattr(inner, "named_parameters"):
            return inner
    return model


class GradientMonitor(_Base):
    """Keras callback that records gradient, weight and activation statistics every batch.

    It builds a ``TrainingMonitor`` on the model when training begins and calls its
    ``record(loss=...)`` at the end of each ``every``-th training batch, so the monitor warns
    about vanishing or exploding gradients while ``fit`` runs. At the end of training it can
    print the monitor's summary and write a gradient-flow plot.

    Args:
        vanish_threshold: see ``TrainingMonitor``.
        explode_threshold: see ``TrainingMonitor``.
        patience: see ``TrainingMonitor``.
        every: record every ``every`` batches.
        activations: collect activation statistics.
        verbose: print ``summary()`` when training ends.
        plot_path: when given, ``plot_gradient_flow`` writes this PNG when training ends.

    Attributes:
        monitor: the ``TrainingMonitor`` (None before training starts).
        history: the monitor's history (a dict of lists).

    Example:
        >>> from chainrule.viz.keras_monitor import GradientMonitor
        >>> cb = GradientMonitor(every=10, verbose=False)
        >>> cb.monitor is None
        True
    """

    def __init__(self, vanish_threshold: float = 1e-7, explode_threshold: float = 1e3,
                 patience: int = 3, every: int = 1, activations: bool = True,
                 verbose: bool = True, plot_path=None) -> None:
        super().__init__()
        if int(every) < 1:
            raise ValueError(f"GradientMonitor: every must be >= 1, received every={every}")
        self.kwargs = dict(vanish_threshold=vanish_threshold,
                           explode_threshold=explode_threshold, patience=patience,
                           activations=activations)
        self.every = int(every)
        self.verbose = bool(verbose)
        self.plot_path = plot_path
        self.monitor: TrainingMonitor | None = None
        self._batches = 0

    @property
    def history(self) -> dict:
        """The monitor's history (empty before training)."""
        return self.monitor.history if self.monitor is not None else {}

    def on_train_begin(self, logs=None) -> None:
        """Create the monitor on the model being trained."""
        if self.monitor is None:
            self.monitor = TrainingMonitor(_module_of(self.model), **self.kwargs)
        else:
            self.monitor.attach()
        self._batches = 0

    def on_train_batch_end(self, batch, logs=None) -> None:
        """Record the step (with the batch's loss when the logs have it)."""
        if self.monitor is None:
            self.on_train_begin()
        self._batches += 1
        if self._batches % self.every:
            return
        logs = logs or {}
        loss = logs.get("loss")
        try:
            loss = None if loss is None else float(loss)
        except (TypeError, ValueError):
            loss = None
        self.monitor.record(loss=loss)

    def on_train_end(self, logs=None) -> None:
        """Remove the hooks; print the summary and write the plot if asked."""
        if self.monitor is None:
            return
        self.monitor.remove()
        if self.verbose and self.monitor.steps:
            print(self.monitor.summary())
        if self.plot_path is not None and self.monitor.steps:
            from .plots import plot_gradient_flow

            plot_gradient_flow(self.monitor, self.plot_path)
