"""Callbacks driven by ``fit``: hook order, EarlyStopping, ModelCheckpoint,
ReduceLROnPlateau, LearningRateScheduler, CSVLogger, TerminateOnNaN, LambdaCallback."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from chainrule import keras
from chainrule.keras import layers


def regression(lr=0.05):
    rng = np.random.default_rng(0)
    x = rng.random((64, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile(keras.optimizers.SGD(lr), "mse")
    return model, x, y


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_begin(self, logs=None):
        self.events.append(("train_begin", self.params["epochs"], self.params["steps"]))

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(("epoch_begin", epoch))

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(("batch_end", batch, sorted(logs)))

    def on_test_begin(self, logs=None):
        self.events.append(("test_begin",))

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(("epoch_end", epoch, sorted(logs)))

    def on_train_end(self, logs=None):
        self.events.append(("train_end",))


def test_hook_order_params_and_model():
    model, x, y = regression()
    rec = Recorder()
    model.fit(x, y, epochs=2, batch_size=32, validation_data=(x, y), callbacks=[rec], verbose=0)
    assert rec.model is model
    assert rec.events == [
        ("train_begin", 2, 2),
        ("epoch_begin", 0), ("batch_end", 0, ["loss"]), ("batch_end", 1, ["loss"]),
        ("test_begin",), ("epoch_end", 0, ["loss", "val_loss"]),
        ("epoch_begin", 1), ("batch_end", 0, ["loss"]), ("batch_end", 1, ["loss"]),
        ("test_begin",), ("epoch_end", 1, ["loss", "val_loss"]),
        ("train_end",),
    ]


def test_callback_list_adds_history_and_progbar_last():
    cbs = keras.callbacks.CallbackList([Recorder()], add_history=True, add_progbar=True)
    assert [type(c).__name__ for c in cbs.callbacks] == ["Recorder", "History",
                                                         "ProgbarLogger"]


def test_early_stopping_stops_and_restores_best_weights(capsys):
    model, x, y = regression(lr=5.0)  # diverges: the first epoch is the best one
    snapshots = []
    cb = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights()))
    es = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2,
                                       restore_best_weights=True, verbose=1)
    history = model.fit(x, y, epochs=20, validation_data=(x, y), callbacks=[cb, es], verbose=0)
    val = history.history["val_loss"]
    assert len(val) == 3 and es.stopped_epoch == 2 and es.best_epoch == 0
    assert val[0] < val[1] < val[2]
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), snapshots[0]))
    out = capsys.readouterr().out
    assert "Epoch 3: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 1." in out


def test_early_stopping_patience_min_delta_baseline_and_mode():
    model, x, y = regression(lr=0.05)
    es = keras.callbacks.EarlyStopping(monitor="loss", min_delta=100.0, patience=1)
    history = model.fit(x, y, epochs=10, callbacks=[es], verbose=0)
    assert len(history.epoch) == 2  # nothing improves by 100
    es = keras.callbacks.EarlyStopping(monitor="loss", min_delta=100.0, patience=1,
                                       start_from_epoch=3)
    history = model.fit(x, y, epochs=10, callbacks=[es], verbose=0)
    assert len(history.epoch) == 5  # watching starts at epoch 3
    lengths = []
    for baseline in (None, 1e-9):  # a baseline never beaten keeps the patience running
        model, x, y = regression(lr=5.0)
        es = keras.callbacks.EarlyStopping(monitor="loss", patience=2, baseline=baseline)
        lengths.append(len(model.fit(x, y, epochs=10, callbacks=[es], verbose=0).epoch))
    assert lengths == [3, 2]
    es = keras.callbacks.EarlyStopping(monitor="weird_metric")
    es.set_model(model)
    with pytest.raises(ValueError, match="isn't able to automatically determine"):
        es.on_epoch_end(0, {"weird_metric": 1.0})


def test_early_stopping_max_mode_for_accuracy():
    x = np.zeros((8, 1), np.float32)
    model = keras.Sequential([keras.Input((1,)), layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    es = keras.callbacks.EarlyStopping(monitor="accuracy", patience=1)
    es.set_model(model)
    es.on_train_begin()
    es.on_epoch_end(0, {"accuracy": 0.5})
    es.on_epoch_end(1, {"accuracy": 0.6})
    assert es.best == 0.6 and es.wait == 0
    es.on_epoch_end(2, {"accuracy": 0.55})
    assert model.stop_training
    assert x.shape == (8, 1)


def test_model_checkpoint_best_only(tmp_path):
    model, x, y = regression(lr=5.0)  # val_loss only gets worse after epoch 1
    path = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.weights.h5")
    ck = keras.callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True,
                                         save_weights_only=True)
    history = model.fit(x, y, epochs=3, validation_data=(x, y), callbacks=[ck], verbose=0)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [f"ckpt-01-{history.history['val_loss'][0]:.2f}.weights.h5"]
    fresh = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    fresh.load_weights(tmp_path / files[0])
    fresh.compile("sgd", "mse")
    assert fresh.evaluate(x, y, verbose=0) == pytest.approx(history.history["val_loss"][0],
                                                            rel=1e-5)


def test_model_checkpoint_every_epoch_full_model(tmp_path, capsys):
    model, x, y = regression()
    ck = keras.callbacks.ModelCheckpoint(str(tmp_path / "m-{epoch}.keras"), verbose=1)
    model.fit(x, y, epochs=2, callbacks=[ck], verbose=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m-1.keras", "m-2.keras"]
    assert f"Epoch 2: saving model to {tmp_path / 'm-2.keras'}" in capsys.readouterr().out
    restored = keras.models.load_model(tmp_path / "m-2.keras")
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_reduce_lr_on_plateau():
    model, x, y = regression(lr=0.1)
    rl = keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1,
                                           min_delta=1e3, cooldown=2, min_lr=0.02)
    history = model.fit(x, y, epochs=6, callbacks=[rl], verbose=0)
    # patience 1, cooldown 2 (counted down before the check, as in Keras): reductions after
    # epochs 1, 3 and 5, the last one clipped at min_lr
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025,
                                                              0.025])
    assert model.optimizer.learning_rate == pytest.approx(0.02)


def test_learning_rate_scheduler_and_csv_logger(tmp_path):
    model, x, y = regression(lr=0.1)
    path = tmp_path / "log.csv"
    sched = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    history = model.fit(x, y, epochs=3, validation_data=(x, y), verbose=0,
                        callbacks=[sched, keras.callbacks.CSVLogger(str(path))])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.1 / 3])
    rows = list(csv.reader(path.read_text().splitlines()))
    assert rows[0] == ["epoch", "learning_rate", "loss", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]
    for row, loss, val in zip(rows[1:], history.history["loss"], history.history["val_loss"]):
        assert float(row[2]) == pytest.approx(loss) and float(row[3]) == pytest.approx(val)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[keras.callbacks.CSVLogger(str(path),
                                                                              append=True)])
    assert len(list(csv.reader(path.read_text().splitlines()))) == 5  # one row appended, no header


def test_terminate_on_nan(capsys):
    model, x, y = regression(lr=1e30)
    with np.errstate(all="ignore"):
        history = model.fit(x * 1e10, y, epochs=5, batch_size=8, verbose=0,
                            callbacks=[keras.callbacks.TerminateOnNaN()])
    assert len(history.epoch) == 1
    assert not np.isfinite(history.history["loss"][0])
    assert "Invalid loss, terminating training" in capsys.readouterr().out


def test_lambda_callback_hooks():
    model, x, y = regression()
    seen = {"begin": 0, "batches": 0, "end": []}
    cb = keras.callbacks.LambdaCallback(
        on_train_begin=lambda logs: seen.__setitem__("begin", seen["begin"] + 1),
        on_batch_end=lambda batch, logs: seen.__setitem__("batches", seen["batches"] + 1),
        on_epoch_end=lambda epoch, logs: seen["end"].append(round(logs["loss"], 6)))
    history = model.fit(x, y, epochs=2, batch_size=16, callbacks=[cb], verbose=0)
    assert seen["begin"] == 1 and seen["batches"] == 8
    assert seen["end"] == [round(v, 6) for v in history.history["loss"]]
