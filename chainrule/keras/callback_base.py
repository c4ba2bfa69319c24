"""``Callback``, the base class of training callbacks (see ``keras.callbacks``)."""

from __future__ import annotations

import sys

__all__ = ["HOOKS", "Callback", "print_msg"]


def print_msg(msg: str) -> None:
    """Write a line to the current ``sys.stdout`` (so captured output sees it).

    Example:
        >>> print_msg("Epoch 1: early stopping")
        Epoch 1: early stopping
    """
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


class Callback:
    """Base class: override any ``on_{train,epoch,batch,test,predict}_{begin,end}`` hook.

    Attributes:
        model: the model being trained (set by ``set_model``).
        params: ``{'verbose', 'epochs', 'steps'}`` (set by ``set_params``).

    Example:
        >>> from chainrule import keras
        >>> cb = keras.callbacks.Callback()
        >>> cb.on_epoch_end(0, {"loss": 1.0}) is None
        True
    """

    def __init__(self) -> None:
        self.params: dict = {}
        self._model = None

    def set_params(self, params: dict) -> None:
        """Receive the loop's parameters (``verbose``, ``epochs``, ``steps``)."""
        self.params = params

    def set_model(self, model) -> None:
        """Receive the model."""
        self._model = model

    @property
    def model(self):
        """The model the callback is attached to."""
        return self._model

    def on_batch_begin(self, batch, logs=None):
        """Alias of ``on_train_batch_begin``."""

    def on_batch_end(self, batch, logs=None):
        """Alias of ``on_train_batch_end``."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of an epoch."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch with its logs (``val_*`` included)."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before a training batch."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after a training batch with the running metrics."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before an evaluation batch."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after an evaluation batch."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before a prediction batch."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after a prediction batch."""

    def on_train_begin(self, logs=None):
        """Called when ``fit`` starts."""

    def on_train_end(self, logs=None):
        """Called when ``fit`` ends."""

    def on_test_begin(self, logs=None):
        """Called when ``evaluate`` (or validation) starts."""

    def on_test_end(self, logs=None):
        """Called when ``evaluate`` (or validation) ends."""

    def on_predict_begin(self, logs=None):
        """Called when ``predict`` starts."""

    def on_predict_end(self, logs=None):
        """Called when ``predict`` ends."""


HOOKS = ["on_batch_begin", "on_batch_end", "on_epoch_begin", "on_epoch_end",
          "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
          "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end",
          "on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
          "on_predict_begin", "on_predict_end"]
