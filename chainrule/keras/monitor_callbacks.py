"""Callbacks that watch a logged quantity: ``EarlyStopping``, ``ModelCheckpoint`` and
``ReduceLROnPlateau`` (re-exported by ``keras.callbacks``)."""

from __future__ import annotations

import math
import os
import warnings

from .callback_base import Callback
from .callback_base import print_msg as _print

__all__ = ["EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau"]


class _Monitor(Callback):
    """Shared logic of callbacks that watch a logged quantity for improvement."""

    def __init__(self, monitor: str, mode: str, min_delta: float = 0.0) -> None:
        super().__init__()
        self.monitor = monitor
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode {mode} is unknown, fallback to auto "
                          f"mode.", stacklevel=3)
            mode = "auto"
        self.mode = mode
        self.min_delta = abs(min_delta)
        self.better = None

    def _resolve_mode(self) -> None:
        from .metrics import direction

        mode = self.mode
        if mode == "auto":
            d = direction(self.monitor, self.model)
            if d is None:
                raise ValueError(f"{type(self).__name__} callback received monitor="
                                 f"{self.monitor} but Keras isn't able to automatically "
                                 f"determine whether that metric should be maximized or "
                                 f"minimized. Pass `mode='max'` in order to monitor based on "
                                 f"the highest metric value, or pass `mode='min'` in order to "
                                 f"use the lowest value.")
            mode = "max" if d == "up" else "min"
        self.better = mode

    def _improved(self, current: float, reference: float) -> bool:
        if self.better is None:
            self._resolve_mode()
        if self.better == "min":
            return current < reference - self.min_delta
        return current > reference + self.min_delta

    def _initial_best(self) -> float:
        if self.better is None:
            self._resolve_mode()
        return math.inf if self.better == "min" else -math.inf

    def _value(self, logs, what: str):
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"{what} conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs or {})}",
                          stacklevel=3)
        return value


class EarlyStopping(_Monitor):
    """Stop training when a monitored quantity stops improving.

    Args:
        monitor: logged quantity to watch (default ``'val_loss'``).
        min_delta: smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        verbose: print a message when stopping.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (from the metric).
        baseline: a value the quantity must beat to reset the patience.
        restore_best_weights: at the end, restore the weights of the best epoch.
        start_from_epoch: epochs to wait before watching.

    Example:
        >>> from chainrule import keras
        >>> es = keras.callbacks.EarlyStopping(monitor="loss", patience=2)
        >>> es.patience, es.monitor
        (2, 'loss')
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline=None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0) -> None:
        super().__init__(monitor, mode, min_delta)
        self.patience, self.verbose, self.baseline = patience, verbose, baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = self.stopped_epoch = self.best_epoch = 0
        self.best_weights = None
        self.best = None

    def on_train_begin(self, logs=None):
        self.wait = self.stopped_epoch = self.best_epoch = 0
        self.best_weights = None
        self.best = None

    def on_epoch_end(self, epoch, logs=None):
        current = self._value(logs, "Early stopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.best is None:
            self.best = self._initial_best()
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._improved(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._improved(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            _print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                _print(f"Restoring model weights from the end of the best epoch: "
                       f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(_Monitor):
    """Save the model (or its weights) after every epoch, or only when it improves.

    Args:
        filepath: where to save; may hold ``{epoch:02d}`` and any logged value
            (``{val_loss:.2f}``). ``.keras``/``.h5`` (full model) and ``.weights.h5``
            (weights) are accepted; files are written in chainrule's safetensors format.
        monitor: quantity for ``save_best_only`` (default ``'val_loss'``).
        verbose: print a line when saving.
        save_best_only: save only when ``monitor`` improves.
        save_weights_only: ``model.save_weights`` instead of ``model.save``.
        mode: ``'min'``, ``'max'`` or ``'auto'``.
        save_freq: ``'epoch'`` or a number of batches.
        initial_value_threshold: the best value to beat initially.

    Example:
        >>> from chainrule import keras
        >>> cb = keras.callbacks.ModelCheckpoint("best.weights.h5", save_best_only=True,
        ...                                      save_weights_only=True)
        >>> cb.monitor
        'val_loss'
    """

    def __init__(self, filepath, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", save_freq="epoch", initial_value_threshold=None) -> None:
        super().__init__(monitor, mode)
        self.filepath = os.fspath(filepath)
        self.verbose, self.save_best_only = verbose, save_best_only
        self.save_weights_only, self.save_freq = save_weights_only, save_freq
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are "
                             f"'epoch' or integer values")
        self.best = initial_value_threshold
        self._batches = 0
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq != "epoch":
            self._batches += 1
            if self._batches >= self.save_freq:
                self._batches = 0
                self._save(self._epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _path(self, epoch, batch, logs) -> str:
        try:
            extra = {} if batch is None else {"batch": batch + 1}
            return self.filepath.format(epoch=epoch + 1, **extra, **(logs or {}))
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: {e}") from None

    def _save(self, epoch, batch, logs) -> None:
        path = self._path(epoch, batch, logs)
        if self.save_best_only:
            current = (logs or {}).get(self.monitor)
            if current is None:
                warnings.warn(f"Can save best model only with {self.monitor} available.",
                              stacklevel=2)
            else:
                if self.best is None:
                    self.best = self._initial_best()
                best_str = f"{self.best:.5f}"
                if not self._improved(current, self.best):
                    if self.verbose > 0:
                        _print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from "
                               f"{best_str}")
                    return
                if self.verbose > 0:
                    _print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_str} "
                           f"to {current:.5f}, saving model to {path}")
                self.best = current
        elif self.verbose > 0:
            _print(f"\nEpoch {epoch + 1}: saving model to {path}")
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)


class ReduceLROnPlateau(_Monitor):
    """Multiply the learning rate by ``factor`` when a quantity has stopped improving for
    ``patience`` epochs.

    Args:
        monitor: quantity to watch (default ``'val_loss'``).
        factor: multiplier (default 0.1).
        patience: epochs without improvement before reducing (default 10).
        verbose: print a message on each reduction.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (max if the name contains ``'acc'``).
        min_delta: smallest change that counts as an improvement (default 1e-4).
        cooldown: epochs to wait after a reduction.
        min_lr: lower bound of the learning rate.

    Example:
        >>> from chainrule import keras
        >>> keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5).factor
        0.5
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0, **kwargs) -> None:
        super().__init__(monitor, mode, min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received "
                             f"factor={factor}")
        self.factor, self.patience, self.verbose = float(factor), patience, verbose
        self.cooldown, self.min_lr = cooldown, float(min_lr)
        self.wait = self.cooldown_counter = 0
        self.best = None

    def _resolve_mode(self) -> None:
        if self.mode == "auto":
            self.better = "max" if "acc" in self.monitor else "min"
        else:
            self.better = self.mode

    def on_train_begin(self, logs=None):
        self.wait = self.cooldown_counter = 0
        self.best = self._initial_best()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        lr = float(self.model.optimizer.learning_rate)
        logs["learning_rate"] = lr
        current = self._value(logs, "Learning rate reduction")
        if current is None:
            return
        if self.best is None:
            self.best = self._initial_best()
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(current, self.best):
            self.best, self.wait = current, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience and lr > self.min_lr:
                new_lr = max(lr * self.factor, self.min_lr)
                self.model.optimizer.learning_rate = new_lr
                if self.verbose > 0:
                    _print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                           f"to {new_lr}.")
                self.cooldown_counter, self.wait = self.cooldown, 0
