"""The training engine of Keras models: ``compile``, ``fit``, ``evaluate``, ``predict`` and
the per-batch ``train_step``/``test_step``/``predict_step``.

``fit`` is a loop over ``train_step(data)`` driven by a ``CallbackList``: per batch, a forward
pass through chainrule autograd, the compiled loss (plus regularization and ``add_loss``
terms), ``backward``, and one optimizer step that updates the parameter arrays in place. Metrics
are accumulated in NumPy and reported as running averages over the epoch. ``evaluate`` and
``predict`` run under ``chainrule.no_grad()``.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from . import losses as losses_mod
from . import metrics as metrics_mod
from . import optimizers as optimizers_mod
from .callbacks import CallbackList
from .data import make_data, split_validation, unpack
from .layers._tree import flatten
from .layers.base import to_tensor

__all__ = ["Trainer"]


def _py(v) -> float:
    if isinstance(v, Tensor):
        return float(v.detach()._data)
    return float(v)


def _sorted_logs(logs: dict) -> dict:
    return {k: logs[k] for k in sorted(logs)}


class Trainer:
    """Mixin giving ``Model`` Keras's training API (see the module docstring).

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> m.compile("sgd", "mse")
        >>> sorted(m.fit(np.zeros((4, 2)), np.zeros(4), verbose=0).history)
        ['loss']
    """

    def _init_trainer(self) -> None:
        d = self.__dict__
        d.update(optimizer=None, loss=None, compiled=False, stop_training=False, history=None,
                 _loss_obj=None, _loss_weights=None, _metric_specs=[], _compiled_metrics=None,
                 _loss_tracker=metrics_mod.Mean(name="loss"))

    # ---- compile ---------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True) -> None:
        """Configure training: optimizer, loss and metrics (by name or object).

        Args:
            optimizer: ``'sgd'``, ``'rmsprop'`` (default), ``'adam'``, ``'adagrad'`` … or a
                ``keras.optimizers`` instance.
            loss: ``'mse'``, ``'categorical_crossentropy'`` … a ``keras.losses`` object or a
                function ``(y_true, y_pred)``; a list for multi-output models.
            loss_weights: weights of the losses of a multi-output model.
            metrics: list of ``'accuracy'``, ``'mae'``, ``'mse'`` … or metric objects.
            weighted_metrics: metrics that use the sample weights (merged with ``metrics``).
            run_eagerly, steps_per_execution, jit_compile, auto_scale_loss: accepted for
                compatibility (chainrule always runs eagerly).

        Raises:
            ValueError: unknown optimizer, loss or metric name (the known ones are listed).

        Example:
            >>> from chainrule import keras
            >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            >>> type(model.optimizer).__name__
            'Adam'
        """
        # Resolve everything before assigning, so a bad name leaves the model unchanged.
        opt = optimizers_mod.get(optimizer)
        if isinstance(loss, (list, tuple)):
            loss_obj = [losses_mod.get(v) for v in loss]
        elif isinstance(loss, dict):
            raise NotImplementedError("compile(loss=dict) is not supported; pass a list of "
                                      "losses in the order of the model's outputs")
        else:
            loss_obj = losses_mod.get(loss) if loss is not None else None
        specs = []
        for group in (metrics, weighted_metrics):
            if group is None:
                continue
            if isinstance(group, dict):
                raise NotImplementedError("compile(metrics=dict) is not supported")
            specs.extend(group if isinstance(group, (list, tuple)) else [group])
        for spec in specs:  # fail early on unknown names, as the error is clearer here
            if isinstance(spec, str) and spec not in ("accuracy", "acc"):
                metrics_mod.get(spec)
        self.optimizer, self.loss, self._loss_obj = opt, loss, loss_obj
        self._loss_weights = loss_weights
        self._metric_specs = specs
        self._compiled_metrics = None
        self._loss_tracker = metrics_mod.Mean(name="loss")
        self.compiled = True
        self.stop_training = False

    def _assert_compiled(self) -> None:
        if not self.compiled:
            raise ValueError("You must call `compile()` before using the model.")

    @property
    def metrics(self) -> list:
        """The loss tracker and the compiled metrics (built at the first batch)."""
        return [self._loss_tracker] + list(self._compiled_metrics or [])

    @property
    def metrics_names(self) -> list:
        """Names of the values ``evaluate`` returns: ``['loss', 'accuracy', ...]``."""
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        """Reset the loss tracker and all compiled metrics."""
        for m in self.metrics:
            m.reset_state()

    # ---- loss and metrics --------------------------------------------------------------
    def _output_logits(self):
        """``(activation, logits)`` of a final softmax/sigmoid in this forward, or None."""
        layer = self._output_layer()
        stash = layer.__dict__.get("_last_logits") if layer is not None else None
        return stash

    def _output_layer(self):
        return None

    def _clear_logits(self) -> None:
        layer = self._output_layer()
        if layer is not None:
            layer.__dict__["_last_logits"] = None

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training: bool = True) -> Tensor:
        """The total loss of a batch: the compiled loss (from logits when the model ends in a
        softmax/sigmoid and the loss is the matching cross-entropy) plus ``model.losses``.

        Args:
            x: the inputs (unused by the built-in losses).
            y: the targets.
            y_pred: the model's predictions.
            sample_weight: optional per-sample weights.
            training: accepted for compatibility.

        Returns:
            A scalar tensor connected to the autograd graph.
        """
        total = None
        if self._loss_obj is not None:
            if y is None:
                raise ValueError("The model was compiled with a loss but `fit`/`evaluate` "
                                 "received no targets: pass `y` (or batches of `(x, y)`).")
            if isinstance(self._loss_obj, list) or isinstance(y_pred, (list, tuple)):
                total = self._multi_output_loss(y, y_pred, sample_weight)
            else:
                total = self._single_loss(self._loss_obj, y, y_pred, sample_weight)
        for extra in self.losses:
            total = extra if total is None else total + extra
        if total is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        return total

    def _single_loss(self, loss_obj, y, y_pred, sample_weight):
        values = None
        stash = self._output_logits()
        if stash is not None and isinstance(y_pred, Tensor) and \
                tuple(stash[1].shape) == tuple(y_pred.shape):
            values = losses_mod.from_logits_value(loss_obj, y, stash[1], stash[0])
        if values is None:
            return loss_obj(y, y_pred, sample_weight)
        return losses_mod.reduce_values(values, sample_weight, loss_obj.reduction)

    def _multi_output_loss(self, y, y_pred, sample_weight):
        ys = y if isinstance(y, (list, tuple)) else [y]
        preds = y_pred if isinstance(y_pred, (list, tuple)) else [y_pred]
        # one loss for several outputs applies to each of them, as in Keras
        objs = self._loss_obj if isinstance(self._loss_obj, list) else \
            [self._loss_obj] * len(preds)
        if not len(ys) == len(preds) == len(objs):
            raise ValueError(f"The model has {len(preds)} outputs and {len(objs)} losses, but "
                             f"received {len(ys)} targets")
        weights = self._loss_weights or [1.0] * len(preds)
        total = None
        for loss_obj, yt, yp, w in zip(objs, ys, preds, weights):
            term = loss_obj(yt, yp, sample_weight) * w
            total = term if total is None else total + term
        return total

    def _build_metrics(self, y, y_pred) -> None:
        kind = losses_mod.kind_of(self._loss_obj) \
            if isinstance(self._loss_obj, losses_mod.Loss) else None
        if self._metric_specs and isinstance(y_pred, (list, tuple)):
            raise NotImplementedError("compile(metrics=...) is not supported for models with "
                                      "several outputs")
        self._compiled_metrics = [metrics_mod.get(s, y, y_pred, kind)
                                  for s in self._metric_specs]

    def compute_metrics(self, x, y, y_pred, sample_weight=None) -> dict:
        """Update the compiled metrics with a batch and return all running results.

        Returns:
            ``{'loss': ..., 'accuracy': ...}`` (keys sorted, as Keras's logs).
        """
        if self._compiled_metrics is None:
            self._build_metrics(y, y_pred)
        if self._compiled_metrics and y is not None:
            yt = y._data if isinstance(y, Tensor) else np.asarray(y)
            yp = y_pred.detach()._data if isinstance(y_pred, Tensor) else np.asarray(y_pred)
            sw = None if sample_weight is None else np.asarray(
                sample_weight._data if isinstance(sample_weight, Tensor) else sample_weight)
            for m in self._compiled_metrics:
                m.update_state(yt, yp, sw)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        """The running results of the loss tracker and metrics, keys sorted."""
        return _sorted_logs({m.name: float(m.result()) for m in self.metrics})

    # ---- steps -------------------------------------------------------------------------------
    def _trainable_params(self) -> list:
        return [p for p in self.parameters()]

    def _update_loss_tracker(self, loss, x) -> None:
        n = flatten(x)[0].shape[0] if flatten(x) and flatten(x)[0].ndim else 1
        self._loss_tracker.update_state(_py(loss), sample_weight=n)

    def train_step(self, data) -> dict:
        """One optimization step on a batch ``(x, y[, sample_weight])``.

        Returns:
            The running metric results (``{'accuracy': ..., 'loss': ...}``).
        """
        x, y, sample_weight = unpack(data)
        self._clear_logits()
        y_pred = self(x, training=True)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
        params = self._trainable_params()
        if not self.optimizer.built:
            self.optimizer.build(params)
        for p in params:
            p._grad = None
        if loss.requires_grad:  # False when every weight is frozen: nothing to update
            loss.backward()
        self.optimizer.step()
        self._apply_constraints()
        self._update_loss_tracker(loss, x)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data) -> dict:
        """Loss and metrics on a batch, without gradients."""
        x, y, sample_weight = unpack(data)
        self._clear_logits()
        y_pred = self(x, training=False)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                 training=False)
        self._update_loss_tracker(loss, x)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's output on a batch (inference mode)."""
        x, _, _ = unpack(data)
        return self(x, training=False)

    # ---- loops ---------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs: int = 1, verbose="auto",
            callbacks=None, validation_split: float = 0.0, validation_data=None,
            shuffle=True, class_weight=None, sample_weight=None, initial_epoch: int = 0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None,
            validation_freq: int = 1):
        """Train the model for ``epochs`` epochs.

        Args:
            x: inputs (array, tensor, list of arrays) or an iterable of batches
                (``DataLoader``, generator) yielding ``(x, y)``.
            y: targets (omit when ``x`` yields batches).
            batch_size: samples per step (default 32).
            epochs: index of the last epoch (training starts at ``initial_epoch``).
            verbose: ``'auto'``/1 progress bar, 2 one line per epoch, 0 silent.
            callbacks: list of ``keras.callbacks.Callback``.
            validation_split: fraction of the data (taken from the end, before shuffling)
                held out for validation.
            validation_data: ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight)``.
            shuffle: reshuffle the training data every epoch.
            class_weight: ``{class_index: weight}`` applied to the loss.
            sample_weight: per-sample loss weights.
            initial_epoch: epoch to start from (to resume).
            steps_per_epoch: batches per epoch (default: the whole data).
            validation_steps, validation_batch_size: validation batching.
            validation_freq: validate every this many epochs.

        Returns:
            A ``History`` whose ``history`` dict maps ``'loss'``, ``'accuracy'``,
            ``'val_loss'`` … to per-epoch values.

        Raises:
            ValueError: not compiled, mismatched ``x``/``y`` lengths ("Data cardinality is
                ambiguous"), incompatible shapes or label formats.
        """
        self._assert_compiled()
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = split_validation(
                x, y, sample_weight, validation_split)
        train = make_data(x, y, sample_weight, batch_size, shuffle, class_weight,
                          steps_per_epoch)
        val = None
        if validation_data is not None:
            vx, vy, vsw = unpack(validation_data) if isinstance(validation_data, (tuple, list)) \
                else (validation_data, None, None)
            val = make_data(vx, vy, vsw, validation_batch_size or batch_size, False, None,
                            validation_steps)
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=train.num_batches)
        self.stop_training = False
        cbs.on_train_begin({})
        epoch_logs: dict = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbs.on_epoch_begin(epoch, {})
            logs: dict = {}
            step = 0
            for step, batch in enumerate(train.batches()):
                cbs.on_train_batch_begin(step, {})
                logs = self.train_step(batch)
                cbs.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            if train.num_batches is None:
                train.num_batches = step + 1
            epoch_logs = dict(logs)
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_data(val, cbs)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            cbs.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        cbs.on_train_end(epoch_logs)
        return self.history

    def _evaluate_data(self, data, cbs) -> dict:
        self.reset_metrics()
        cbs.on_test_begin({})
        logs: dict = {}
        with no_grad():
            for step, batch in enumerate(data.batches()):
                cbs.on_test_batch_begin(step, {})
                logs = self.test_step(batch)
                cbs.on_test_batch_end(step, logs)
        logs = self.get_metrics_result() if not logs else logs
        cbs.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict: bool = False, **kwargs):
        """The loss and metrics on data, in inference mode and without gradients.

        Args:
            x, y, batch_size, sample_weight, steps: as in ``fit`` (default batch 32).
            verbose: ``'auto'``/1 progress bar, 0 silent.
            callbacks: callbacks receiving the ``on_test_*`` hooks.
            return_dict: return ``{'loss': ..., 'accuracy': ...}``.

        Returns:
            The scalar loss if there are no metrics, else ``[loss, metric, ...]`` (or the
            dict).
        """
        self._assert_compiled()
        data = make_data(x, y, sample_weight, batch_size, False, None, steps)
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
            steps=data.num_batches)
        logs = self._evaluate_data(data, cbs)
        if return_dict:
            return logs
        names = self.metrics_names
        values = [logs[n] for n in names if n in logs]
        values += [logs[k] for k in sorted(logs) if k not in names]
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs as NumPy arrays, batch by batch without gradients.

        Args:
            x: inputs (array, tensor, list of arrays) or an iterable of batches.
            batch_size: samples per batch (default 32).
            verbose: ``'auto'``/1 progress bar, 0 silent.
            steps, callbacks: as in ``evaluate``.

        Returns:
            An array (or a list of arrays for several outputs) with one row per sample.
        """
        data = make_data(x, None, None, batch_size, False, None, steps)
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
            steps=data.num_batches)
        outputs = []
        cbs.on_predict_begin({})
        with no_grad():
            for step, batch in enumerate(data.batches()):
                cbs.on_predict_batch_begin(step, {})
                out = self.predict_step(batch)
                outputs.append(out)
                cbs.on_predict_batch_end(step, {"outputs": out})
        cbs.on_predict_end({})
        if not outputs:
            raise ValueError("Unexpected result of `predict`: no batches were processed "
                             "(empty input?)")
        first = outputs[0]
        if isinstance(first, (list, tuple)):
            return [np.concatenate([o[i]._data for o in outputs]) for i in range(len(first))]
        return np.concatenate([o._data for o in outputs])

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict: bool = False):
        """One optimizer step on a single batch; returns the loss (and metrics) of it.

        Returns:
            The scalar loss, ``[loss, metric, ...]``, or a dict with ``return_dict``.
        """
        self._assert_compiled()
        data = make_data(x, y, sample_weight, None, False, class_weight)
        data.batch_size = max(data.n, 1)
        data.num_batches = 1
        self.reset_metrics()
        logs = self.train_step(next(iter(data.batches())))
        return self._format_logs(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict: bool = False):
        """Loss and metrics of a single batch (no update).

        Returns:
            The scalar loss, ``[loss, metric, ...]``, or a dict with ``return_dict``.
        """
        self._assert_compiled()
        data = make_data(x, y, sample_weight, None)
        data.batch_size = max(data.n, 1)
        data.num_batches = 1
        self.reset_metrics()
        with no_grad():
            logs = self.test_step(next(iter(data.batches())))
        return self._format_logs(logs, return_dict)

    def predict_on_batch(self, x):
        """The model's output for one batch, as NumPy.

        Returns:
            An array (or list of arrays).
        """
        with no_grad():
            out = self(_map_inputs(x), training=False)
        if isinstance(out, (list, tuple)):
            return [o._data for o in out]
        return out._data

    def _format_logs(self, logs: dict, return_dict: bool):
        if return_dict:
            return logs
        names = self.metrics_names
        values = [logs[n] for n in names if n in logs]
        return values[0] if len(values) == 1 else values


def _map_inputs(x):
    """Tensors from array-like inputs (lists of arrays stay lists)."""
    if isinstance(x, (list, tuple)) and x and all(isinstance(v, (np.ndarray, Tensor))
                                                   for v in x):
        return [to_tensor(v) for v in x]
    return to_tensor(x) if not isinstance(x, dict) else {k: to_tensor(v) for k, v in x.items()}
