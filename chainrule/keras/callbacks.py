"""Training callbacks (``keras.callbacks``): hooks that ``fit``/``evaluate``/``predict`` call
through a ``CallbackList`` at the start and end of training, epochs and batches.

``fit`` adds ``History`` (recording epoch logs) and, unless ``verbose=0``, ``ProgbarLogger``
after the user's callbacks, as Keras does; a callback stops training by setting
``self.model.stop_training = True``.

Example:
    >>> from chainrule import keras
    >>> class Count(keras.callbacks.Callback):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.epochs = 0
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         self.epochs += 1
    >>> Count().epochs
    0
"""

from __future__ import annotations

import csv
import math
import os
import warnings

import numpy as np

from .callback_base import HOOKS as _HOOKS
from .callback_base import Callback
from .callback_base import print_msg as _print
from .monitor_callbacks import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau
from .progbar import Progbar

__all__ = ["CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History",
           "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint", "ProgbarLogger",
           "ReduceLROnPlateau", "TensorBoard", "TerminateOnNaN"]


class CallbackList(Callback):
    """Calls every hook on a list of callbacks, adding ``History`` and ``ProgbarLogger``.

    Args:
        callbacks: the user's callbacks.
        add_history: append a ``History`` callback (and set ``model.history``).
        add_progbar: append a ``ProgbarLogger``.
        model: the model to attach.
        **params: ``verbose``, ``epochs``, ``steps`` passed to ``set_params``.

    Example:
        >>> from chainrule import keras
        >>> cbs = keras.callbacks.CallbackList([], add_history=True)
        >>> [type(c).__name__ for c in cbs.callbacks]
        ['History']
    """

    def __init__(self, callbacks=None, add_history: bool = False, add_progbar: bool = False,
                 model=None, **params) -> None:
        super().__init__()
        self.callbacks = list(callbacks or [])
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if progbar is None and add_progbar:
            self.callbacks.append(ProgbarLogger())
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def append(self, callback: Callback) -> None:
        """Add a callback at the end."""
        self.callbacks.append(callback)

    def set_model(self, model) -> None:
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for c in self.callbacks:
            c.set_model(model)

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        for c in self.callbacks:
            c.set_params(params)


def _dispatch(name):
    def hook(self, *args, **kwargs):
        for c in self.callbacks:
            getattr(c, name)(*args, **kwargs)

    hook.__name__ = name
    hook.__doc__ = f"Call ``{name}`` on every callback."
    return hook


for _name in _HOOKS:
    setattr(CallbackList, _name, _dispatch(_name))
# The train-batch hooks already forward to on_batch_*; dispatch them once, not twice.
CallbackList.on_batch_begin = lambda self, batch, logs=None: None
CallbackList.on_batch_end = lambda self, batch, logs=None: None


class History(Callback):
    """Records each epoch's logs: ``history.history['loss']`` … and ``history.epoch``.

    Example:
        >>> h = History(); h.on_train_begin(); h.on_epoch_end(0, {"loss": 0.5})
        >>> h.history, h.epoch
        ({'loss': [0.5]}, [0])
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict = {}
        self.epoch: list = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)


class ProgbarLogger(Callback):
    """Prints the progress bar of ``fit``/``evaluate``/``predict`` (``verbose`` 1 or 2) and
    the ``Epoch i/n`` headers.

    Example:
        >>> from chainrule import keras
        >>> keras.callbacks.ProgbarLogger().verbose
        1
    """

    def __init__(self) -> None:
        super().__init__()
        self.verbose, self.epochs, self.target = 1, 1, None
        self.progbar = None
        self.seen = 0
        self._in_fit = False

    def set_params(self, params):
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else int(verbose)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _reset(self):
        self.seen = 0
        self.progbar = Progbar(self.target, verbose=self.verbose, stateful_metrics=_ALL)

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._reset()
        if self.verbose and self.epochs > 1:
            _print(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._reset()

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._finalize(logs)

    def on_predict_begin(self, logs=None):
        self._reset()

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch, None)

    def on_predict_end(self, logs=None):
        self._finalize(None)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize(logs)

    def _update(self, batch, logs):
        if self.progbar is None:
            self._reset()
        self.seen = batch + 1
        if self.verbose == 1:
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finalize(self, logs):
        if self.progbar is None:
            self._reset()
        if self.target is None:
            self.target = self.progbar.target = self.seen
        self.progbar.update(self.target, list((logs or {}).items()), finalize=True)


class _AllNames:
    """A set containing every name (all logged values are already running averages)."""

    def __contains__(self, item) -> bool:
        return True

    def __iter__(self):
        return iter(())


_ALL = _AllNames()


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch start to ``schedule(epoch, lr)`` (or
    ``schedule(epoch)``).

    Example:
        >>> from chainrule import keras
        >>> cb = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
        >>> cb.schedule(0, 1.0)
        0.5
    """

    def __init__(self, schedule, verbose: int = 0) -> None:
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = float(self.model.optimizer.learning_rate)
        try:
            new = self.schedule(epoch, lr)
        except TypeError:  # a one-argument schedule
            new = self.schedule(epoch)
        if not isinstance(new, (float, int, np.floating, np.integer)):
            msg = (f'The output of the "schedule" function should be a float. Got: '
                   f"{new}")
            raise ValueError(msg)  # noqa: TRY004
        self.model.optimizer.learning_rate = float(new)
        if self.verbose > 0:
            _print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                   f"{float(new)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


class CSVLogger(Callback):
    """Write each epoch's logs as a CSV row (``epoch`` first, then the keys sorted).

    Args:
        filename: the CSV file.
        separator: the field separator (default ``','``).
        append: append to an existing file instead of overwriting it.

    Example:
        >>> import os, tempfile
        >>> from chainrule import keras
        >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
        >>> log = keras.callbacks.CSVLogger(path)
        >>> log.on_train_begin(); log.on_epoch_end(0, {"loss": 0.5}); log.on_train_end()
        >>> open(path).read().splitlines()
        ['epoch,loss', '0,0.5']
    """

    def __init__(self, filename, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename, self.sep, self.append = os.fspath(filename), separator, append
        self.keys = None
        self._file = None
        self._writer = None

    def on_train_begin(self, logs=None):
        exists = self.append and os.path.exists(self.filename) and \
            os.path.getsize(self.filename) > 0
        self._append_header = not exists
        # Kept open across epochs (closed in on_train_end), as Keras does.
        self._file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115
        self.keys = None
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        if self._writer is None:
            self._writer = csv.DictWriter(self._file, fieldnames=["epoch"] + self.keys,
                                          delimiter=self.sep, lineterminator="\n")
            if self._append_header:
                self._writer.writeheader()
        row = {"epoch": epoch}
        for k in self.keys:
            v = logs.get(k, "NA")
            row[k] = v
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
        self._writer = None


class TerminateOnNaN(Callback):
    """Stop training as soon as the loss becomes NaN or infinite.

    Example:
        >>> from chainrule import keras
        >>> isinstance(keras.callbacks.TerminateOnNaN(), keras.callbacks.Callback)
        True
    """

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            _print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from plain functions: ``on_epoch_end=lambda epoch, logs: ...`` and the
    other hooks (``on_batch_begin(batch, logs)``, ``on_train_begin(logs)`` …).

    Example:
        >>> from chainrule import keras
        >>> seen = []
        >>> cb = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(e))
        >>> cb.on_epoch_end(3, {}); seen
        [3]
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 on_batch_begin=None, on_batch_end=None, **kwargs) -> None:
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin or on_batch_begin,
                     on_train_batch_end=on_train_batch_end or on_batch_end, **kwargs)
        for name, fn in hooks.items():
            if name not in _HOOKS:
                raise TypeError(f"LambdaCallback: unknown hook {name!r}")
            if fn is not None:
                setattr(self, name, fn)


class TensorBoard(Callback):
    """Accepted so Keras code that passes ``TensorBoard(log_dir=...)`` runs; chainrule writes
    no TensorBoard event files, so it only warns once (use ``CSVLogger`` or ``History``).

    Example:
        >>> import warnings
        >>> from chainrule import keras
        >>> with warnings.catch_warnings(record=True):
        ...     cb = keras.callbacks.TensorBoard(log_dir="logs")
        >>> cb.log_dir
        'logs'
    """

    def __init__(self, log_dir: str = "logs", **kwargs) -> None:
        super().__init__()
        self.log_dir = log_dir
        warnings.warn("keras.callbacks.TensorBoard: chainrule does not write TensorBoard event "
                      "files; training proceeds without them (CSVLogger records the epoch "
                      "logs).", UserWarning, stacklevel=2)



def __getattr__(name: str):
    """``GradientMonitor`` lives with the other diagnostics in ``chainrule.viz``; it is loaded on
    first use so importing the callbacks does not import matplotlib-facing code."""
    if name == "GradientMonitor":
        from ..viz.keras_monitor import GradientMonitor

        return GradientMonitor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
