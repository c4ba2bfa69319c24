"""Saving: ``save_weights``/``load_weights`` round trips (safetensors-compatible files under
Keras's names), ``model.save``/``keras.models.load_model``, and mismatch errors."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import chainrule
from chainrule import keras
from chainrule.keras import layers


def cnn():
    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(4, 3, padding="same"),
                              layers.BatchNormalization(), layers.MaxPooling2D(2),
                              layers.Flatten(), layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data():
    rng = np.random.default_rng(0)
    return rng.random((16, 8, 8, 1)).astype(np.float32), rng.integers(0, 3, 16)


def test_save_load_weights_round_trip(tmp_path):
    x, y = data()
    a = cnn()
    a.fit(x, y, epochs=1, verbose=0)  # BatchNormalization's moving stats move too
    path = tmp_path / "model.weights.h5"
    a.save_weights(path)
    b = cnn()
    assert not np.allclose(a.predict(x, verbose=0), b.predict(x, verbose=0))
    b.load_weights(path)
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(x, verbose=0))
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    # the file is chainrule's checkpoint format, readable by chainrule.load
    payload = chainrule.load(path)
    assert payload["names"][:2] == ["conv2d/kernel", "conv2d/bias"]
    assert payload["names"][4:6] == ["batch_normalization/moving_mean",
                                     "batch_normalization/moving_variance"]


@pytest.mark.skipif(importlib.util.find_spec("safetensors") is None,
                    reason="safetensors is not installed")
def test_weights_file_is_safetensors(tmp_path):
    from safetensors.numpy import load_file

    model = cnn()
    model.save_weights(tmp_path / "w.weights.h5")
    arrays = load_file(str(tmp_path / "w.weights.h5"))
    assert sorted(a.shape for a in arrays.values()) == sorted(w.shape for w in
                                                              model.get_weights())


def test_load_weights_errors(tmp_path):
    model = cnn()
    model.save_weights(tmp_path / "cnn.weights.h5")
    other = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    with pytest.raises(ValueError, match="the model has 2 weights but the file contains 8"):
        other.load_weights(tmp_path / "cnn.weights.h5")
    unbuilt = keras.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="not built yet"):
        unbuilt.load_weights(tmp_path / "cnn.weights.h5")
    with pytest.raises(FileExistsError):
        model.save_weights(tmp_path / "cnn.weights.h5", overwrite=False)


def test_model_save_and_load_model(tmp_path):
    x, y = data()
    model = cnn()
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "cnn.keras")
    restored = keras.models.load_model(tmp_path / "cnn.keras")
    assert [lay.name for lay in restored.layers] == [lay.name for lay in model.layers]
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert restored.compiled and type(restored.optimizer).__name__ == "Adam"
    restored.fit(x, y, epochs=1, verbose=0)  # ready to train again


def test_functional_model_save_and_subclassed_refusal(tmp_path):
    inputs = keras.Input((4,))
    x = layers.Dense(5, activation="relu")(inputs)
    out = layers.concatenate([layers.Dense(2)(x), layers.Dense(1)(x)])
    model = keras.Model(inputs, out)
    model.save(tmp_path / "f.keras")
    restored = keras.models.load_model(tmp_path / "f.keras")
    probe = np.random.default_rng(0).random((3, 4)).astype(np.float32)
    np.testing.assert_allclose(restored.predict(probe, verbose=0),
                               model.predict(probe, verbose=0), rtol=1e-6)

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(1)

        def call(self, v):
            return self.d(v)

    net = Net()
    net(probe)
    with pytest.raises(ValueError, match="subclassed models have no config"):
        net.save(tmp_path / "net.keras")
    net.save_weights(tmp_path / "net.weights.h5")
    twin = Net()
    twin(probe)
    twin.load_weights(tmp_path / "net.weights.h5")
    np.testing.assert_array_equal(twin(probe).numpy(), net(probe).numpy())


def test_state_dict_is_torch_compatible():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2), layers.BatchNormalization()])
    assert list(model.state_dict()) == ["dense.kernel", "dense.bias",
                                        "batch_normalization.gamma",
                                        "batch_normalization.beta",
                                        "batch_normalization.moving_mean",
                                        "batch_normalization.moving_variance"]
