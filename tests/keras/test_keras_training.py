"""``compile``/``fit``/``evaluate``/``predict``: history, learning, data forms and the
Keras-style errors for bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import chainrule
from chainrule import keras
from chainrule.keras import layers
from chainrule.utils.data import DataLoader, TensorDataset


def blobs(n=240, seed=0):
    """Three separable Gaussian blobs in 2-D: a learnable 3-class toy task."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centers = np.array([[2.0, 0.0], [-2.0, 1.0], [0.0, -2.5]])
    x = (centers[y] + rng.normal(0, 0.6, (n, 2))).astype(np.float32)
    return x, y


def classifier(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=("accuracy",)):
    model = keras.Sequential([keras.Input((2,)), layers.Dense(16, activation="relu"),
                              layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model


def test_fit_history_keys_and_monotone_progress():
    x, y = blobs()
    model = classifier(keras.optimizers.Adam(0.01))
    history = model.fit(x, y, epochs=6, batch_size=16, validation_split=0.25, verbose=0)
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.epoch == list(range(6))
    assert history is model.history
    losses = history.history["loss"]
    assert all(b < a for a, b in itertools.pairwise(losses))
    assert history.history["accuracy"][-1] > 0.9
    assert history.history["val_accuracy"][-1] > 0.9
    assert all(isinstance(v, float) for v in losses)


def test_history_values_are_epoch_running_averages():
    x, y = blobs(64)
    model = classifier()
    seen = []
    cb = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(logs))
    history = model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0,
                        callbacks=[cb])
    assert len(seen) == 4
    assert history.history["loss"][0] == pytest.approx(seen[-1]["loss"])
    # the first batch's value is that batch's loss; later values average over the epoch
    assert seen[0]["loss"] != pytest.approx(seen[-1]["loss"])


def test_evaluate_predict_and_batch_methods():
    x, y = blobs(90)
    model = classifier()
    model.fit(x, y, epochs=2, verbose=0)
    loss, acc = model.evaluate(x, y, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs == {"accuracy": acc, "loss": loss}
    probs = model.predict(x, verbose=0, batch_size=7)
    assert isinstance(probs, np.ndarray) and probs.shape == (90, 3)
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-5)
    assert acc == pytest.approx(np.mean(probs.argmax(1) == y))
    only_loss = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    only_loss.compile("sgd", "mse")
    assert isinstance(only_loss.evaluate(x, y, verbose=0), float)
    before = model.get_weights()
    out = model.train_on_batch(x[:10], y[:10])
    assert len(out) == 2 and not np.array_equal(before[0], model.get_weights()[0])
    assert set(model.test_on_batch(x[:10], y[:10], return_dict=True)) == {"accuracy", "loss"}
    assert model.predict_on_batch(x[:4]).shape == (4, 3)


def test_inputs_as_tensors_lists_and_dataloaders():
    x, y = blobs(96)
    model = classifier()
    h1 = model.fit(chainrule.from_numpy(x), chainrule.tensor(y), epochs=1, verbose=0)
    assert h1.history["loss"][0] > 0
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    h2 = model.fit(loader, epochs=2, verbose=0, validation_data=(x, y))
    assert len(h2.history["val_loss"]) == 2
    assert model.evaluate(loader, verbose=0)[1] >= 0
    assert model.predict(DataLoader(TensorDataset(x), batch_size=40), verbose=0).shape == (96, 3)
    # float64 and integer inputs are cast like Keras (float32)
    assert model.predict(x.astype(np.float64), verbose=0).dtype == np.float32
    assert model.predict(np.ones((2, 2), dtype=np.int64), verbose=0).shape == (2, 3)


def test_model_call_outputs_support_numpy():
    model = classifier()
    out = model(np.zeros((1, 2), np.float32))
    assert out.numpy().shape == (1, 3)  # Keras code calls .numpy() on model outputs


def test_validation_split_takes_the_last_samples():
    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    y = np.arange(10, dtype=np.float32)
    model = keras.Sequential([keras.Input((1,)), layers.Dense(1, kernel_initializer="zeros")])
    model.compile(keras.optimizers.SGD(0.0), "mae")
    history = model.fit(x, y, validation_split=0.2, epochs=1, verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(8.5)  # mean(|8|, |9|)
    assert history.history["loss"][0] == pytest.approx(3.5)  # mean(0..7)


def test_sample_and_class_weights():
    x = np.zeros((4, 1), np.float32)
    y = np.array([0.0, 0.0, 1.0, 1.0], np.float32)
    model = keras.Sequential([keras.Input((1,)), layers.Dense(1, kernel_initializer="zeros")])
    model.compile(keras.optimizers.SGD(0.0), "mse")
    plain = model.evaluate(x, y, verbose=0)
    weighted = model.evaluate(x, y, sample_weight=np.array([1.0, 1.0, 3.0, 3.0]), verbose=0)
    assert plain == pytest.approx(0.5) and weighted == pytest.approx(1.5)
    history = model.fit(x, y, class_weight={0: 1.0, 1: 3.0}, epochs=1, verbose=0)
    assert history.history["loss"][0] == pytest.approx(1.5)


def test_string_and_object_losses_metrics_optimizers():
    x, y = blobs(60)
    onehot = keras.utils.to_categorical(y, 3)
    model = classifier(keras.optimizers.RMSprop(), keras.losses.CategoricalCrossentropy(),
                       metrics=["accuracy", keras.metrics.TopKCategoricalAccuracy(k=2), "mse"])
    history = model.fit(x, onehot, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "top_k_categorical_accuracy", "mse"}
    assert history.history["top_k_categorical_accuracy"][0] >= history.history["accuracy"][0]
    reg = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    for loss in ("mse", "mae", "hinge", "huber", "binary_crossentropy"):
        reg.compile("sgd", loss, metrics=["mae", "mse"])
        assert np.isfinite(reg.evaluate(x, (y > 0).astype(np.float32), verbose=0)[0])


def test_softmax_output_uses_logits_for_stable_cross_entropy():
    model = keras.Sequential([keras.Input((1,)), layers.Dense(2, activation="softmax",
                                                              kernel_initializer="ones")])
    model.layers[0].set_weights([np.array([[60.0, -60.0]]), np.zeros(2)])
    model.compile("sgd", "sparse_categorical_crossentropy")
    # softmax saturates to exactly (1, 0): Keras's clipped formula would give -log(1e-7)
    loss = model.evaluate(np.ones((1, 1)), np.array([1]), verbose=0)
    assert loss == pytest.approx(120.0, rel=1e-4)


def test_multi_input_functional_model():
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    out = layers.Dense(1)(layers.concatenate([a, b]))
    model = keras.Model([a, b], out)
    model.compile("adam", "mse")
    xa, xb = np.ones((8, 3), np.float32), np.ones((8, 2), np.float32)
    model.fit([xa, xb], np.ones((8, 1)), epochs=1, verbose=0)
    assert model.predict({"a": xa, "b": xb}, verbose=0).shape == (8, 1)


# ---- errors ------------------------------------------------------------------------------
def test_data_cardinality_error():
    x, y = blobs(100)
    model = classifier()
    with pytest.raises(ValueError) as err:
        model.fit(x, y[:99], verbose=0)
    assert str(err.value) == ("Data cardinality is ambiguous. Make sure all arrays contain the "
                              "same number of samples.\n'x' sizes: 100\n'y' sizes: 99")


def test_unknown_names_list_the_known_ones():
    model = classifier()
    with pytest.raises(ValueError, match=r"Could not interpret optimizer identifier: 'adamm'. "
                                         r"Known optimizers: 'sgd', 'rmsprop', 'adam'"):
        model.compile(optimizer="adamm", loss="mse")
    with pytest.raises(ValueError, match="Could not interpret loss identifier: 'cross_entropy'"
                                         ".*sparse_categorical_crossentropy"):
        model.compile(optimizer="adam", loss="cross_entropy")
    with pytest.raises(ValueError, match="Could not interpret metric identifier: 'acurracy'"
                                         ".*accuracy"):
        model.compile(optimizer="adam", loss="mse", metrics=["acurracy"])
    # a failed compile leaves the previous configuration in place
    assert model.loss == "sparse_categorical_crossentropy"
    with pytest.raises(ValueError, match="must call `compile"):
        keras.Sequential([keras.Input((2,)), layers.Dense(1)]).fit(np.ones((2, 2)),
                                                                  np.ones(2), verbose=0)


def test_label_format_mixups_are_explained():
    x, y = blobs(32)
    model = classifier(loss="categorical_crossentropy")
    with pytest.raises(ValueError) as err:
        model.fit(x, y, verbose=0)
    msg = str(err.value)
    assert "y_true.shape=(32,), y_pred.shape=(32, 3)" in msg
    assert "sparse_categorical_crossentropy" in msg and "to_categorical" in msg
    model = classifier(loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="one-hot encoded: use loss='categorical_crossentropy'"):
        model.fit(x, keras.utils.to_categorical(y, 3), verbose=0)
    with pytest.raises(ValueError, match=r"label value of 7 which is outside the valid range "
                                         r"of \[0, 3\)"):
        model.fit(x, np.full(32, 7), verbose=0)


def test_stop_training_flag_ends_fit():
    x, y = blobs(64)
    model = classifier()

    class StopAfterTwo(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    history = model.fit(x, y, epochs=10, verbose=0, callbacks=[StopAfterTwo()])
    assert history.epoch == [0, 1]


def test_initial_epoch_and_custom_train_step():
    x, y = blobs(48)

    class Custom(keras.Model):
        steps = 0

        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(3)

        def call(self, inputs):
            return self.dense(inputs)

        def train_step(self, data):
            Custom.steps += 1
            return super().train_step(data)

    model = Custom()
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, epochs=3, initial_epoch=1, batch_size=16, verbose=0)
    assert history.epoch == [1, 2] and Custom.steps == 6
