"""Keras layers: inferred shapes, Keras parameter counts and layouts, numerics against NumPy
references written from Keras's definitions, and Keras-style input errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as torch
from chainrule import keras
from chainrule.keras import layers


def convnet():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])


def test_convnet_shapes_and_param_count():
    model = convnet()
    shapes = [lay.output_shape for lay in model.layers]
    assert shapes == [(None, 26, 26, 32), (None, 13, 13, 32), (None, 11, 11, 64),
                      (None, 5, 5, 64), (None, 1600), (None, 1600), (None, 10)]
    assert [lay.count_params() for lay in model.layers] == [320, 0, 18496, 0, 0, 0, 16010]
    assert model.count_params() == 34826
    assert model.layers[0].kernel.shape == (3, 3, 1, 32)  # Keras layout (kh, kw, in, out)
    assert model.predict(np.zeros((2, 28, 28, 1)), verbose=0).shape == (2, 10)


def test_mlp_param_count_and_kernel_layout():
    model = keras.Sequential([layers.Dense(512, activation="relu", input_shape=(784,)),
                              layers.Dense(10, activation="softmax")])
    assert model.count_params() == 407050
    assert [w.shape for w in model.get_weights()] == [(784, 512), (512,), (512, 10), (10,)]
    assert isinstance(model.layers[0].kernel, torch.nn.Parameter)
    assert len(list(model.parameters())) == 4


def test_deferred_build_from_first_batch():
    model = keras.Sequential([layers.Dense(8, activation="relu"), layers.Dense(2)])
    assert not model.built
    out = model(np.ones((3, 5), dtype=np.float32))
    assert tuple(out.shape) == (3, 2)
    assert model.count_params() == 5 * 8 + 8 + 8 * 2 + 2
    assert model.layers[0].output_shape == (None, 8)


def test_dense_defaults_glorot_uniform_and_zero_bias():
    layer = layers.Dense(300)
    layer.build((None, 200))
    kernel, bias = layer.get_weights()
    limit = np.sqrt(6 / (200 + 300))
    assert np.all(np.abs(kernel) <= limit) and np.abs(kernel).max() > 0.9 * limit
    assert np.all(bias == 0)
    assert not layers.Dense(3, use_bias=False).use_bias


def test_dense_activation_by_name_or_callable():
    x = np.array([[-1.0, 2.0]], dtype=np.float32)
    a = layers.Dense(2, activation="relu", kernel_initializer="identity")
    b = layers.Dense(2, activation=lambda t: t * 3, kernel_initializer="identity")
    assert a(x).tolist() == [[0.0, 2.0]]
    assert b(x).tolist() == [[-3.0, 6.0]]
    with pytest.raises(ValueError, match="Could not interpret activation"):
        layers.Dense(2, activation="relux")


def _conv_reference(x, k, b, stride, pads):
    """Keras Conv2D on NHWC from the definition (explicit zero padding)."""
    (pt, pb), (pl, pr) = pads
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    kh, kw, _, cout = k.shape
    ho = (xp.shape[1] - kh) // stride + 1
    wo = (xp.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], ho, wo, cout))
    for a in range(kh):
        for c in range(kw):
            patch = xp[:, a:a + stride * ho:stride, c:c + stride * wo:stride, :]
            out += patch @ k[a, c]
    return out + b


@pytest.mark.parametrize("size,stride,padding,pads", [
    (7, 1, "valid", ((0, 0), (0, 0))),
    (7, 1, "same", ((1, 1), (1, 1))),
    (8, 2, "same", ((0, 1), (0, 1))),  # odd total padding: the extra row/column at the end
    (9, 2, "valid", ((0, 0), (0, 0))),
])
def test_conv2d_channels_last_matches_definition(size, stride, padding, pads):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, size, size, 3)).astype(np.float32)
    conv = layers.Conv2D(4, 3, strides=stride, padding=padding, bias_initializer="ones")
    y = conv(x).numpy()
    k, b = conv.get_weights()
    ref = _conv_reference(x, k, b, stride, pads)
    assert y.shape == ref.shape == (2,) + conv.compute_output_shape((None, size, size, 3))[1:]
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)


def test_conv2d_gradient_flows_to_keras_kernel():
    conv = layers.Conv2D(2, 3, padding="same")
    x = torch.tensor(np.random.default_rng(1).standard_normal((1, 5, 5, 2)).astype(np.float32))
    conv(x).sum().backward()
    assert conv.kernel.grad.shape == (3, 3, 2, 2)
    assert conv.bias.grad.tolist() == [25.0, 25.0]


def test_pooling_same_padding_like_keras():
    x = np.arange(25, dtype=np.float32).reshape(1, 5, 5, 1)
    mx = layers.MaxPooling2D(2, padding="same")(x).numpy()[0, :, :, 0]
    av = layers.AveragePooling2D(2, padding="same")(x).numpy()[0, :, :, 0]
    assert mx.tolist() == [[6, 8, 9], [16, 18, 19], [21, 23, 24]]
    # average pooling divides by the number of real values in each window
    np.testing.assert_allclose(av, [[3, 5, 6.5], [13, 15, 16.5], [20.5, 22.5, 24]])
    assert layers.MaxPooling2D(2)(x).shape == (1, 2, 2, 1)
    assert layers.MaxPooling2D(3, strides=1)(x).shape == (1, 3, 3, 1)


def test_global_average_pooling_and_reshape_flatten():
    x = np.random.default_rng(0).random((2, 4, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(layers.GlobalAveragePooling2D()(x).numpy(), x.mean(axis=(1, 2)),
                               rtol=1e-6)
    assert layers.Reshape((8, -1))(x).shape == (2, 8, 6)
    assert layers.Flatten()(x).numpy().tolist() == x.reshape(2, -1).tolist()  # Keras order
    with pytest.raises(ValueError, match="total size"):
        layers.Reshape((5, 5))(x)


def test_batch_normalization_keras_defaults_and_moving_stats():
    bn = layers.BatchNormalization()
    assert (bn.momentum, bn.epsilon) == (0.99, 1e-3)
    x = np.random.default_rng(0).normal(3.0, 2.0, (64, 4)).astype(np.float32)
    y = bn(x, training=True).numpy()
    ref = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3)
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)
    _, _, mean, var = bn.get_weights()
    np.testing.assert_allclose(mean, 0.01 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(var, 0.99 + 0.01 * x.var(0), rtol=1e-5)  # biased variance
    assert [w.shape for w in bn.non_trainable_weights] == [(4,), (4,)]
    y_inf = bn(x).numpy()  # inference: moving statistics
    np.testing.assert_allclose(y_inf, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)


def test_batch_normalization_channels_last_images():
    bn = layers.BatchNormalization()
    x = np.random.default_rng(0).random((4, 3, 3, 5)).astype(np.float32)
    y = bn(x, training=True).numpy()
    ref = (x - x.mean((0, 1, 2))) / np.sqrt(x.var((0, 1, 2)) + 1e-3)
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)
    assert bn.count_params() == 20


def test_dropout_only_in_training():
    x = np.ones((200, 50), dtype=np.float32)
    drop = layers.Dropout(0.5)
    assert np.array_equal(drop(x).numpy(), x)
    y = drop(x, training=True).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert 0.4 < (y == 0).mean() < 0.6


def test_embedding_lookup_and_errors():
    emb = layers.Embedding(10, 3)
    ids = np.array([[1, 2], [9, 0]])
    out = emb(ids).numpy()
    table = emb.get_weights()[0]
    assert out.shape == (2, 2, 3) and np.array_equal(out[1, 0], table[9])
    assert np.abs(table).max() <= 0.05  # Keras's 'uniform' initializer
    with pytest.raises(ValueError, match="index 10"):
        emb(np.array([[10]]))


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def test_lstm_matches_keras_equations():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    lstm = layers.LSTM(4, return_sequences=True, return_state=True)
    seq, h_last, c_last = lstm(x)
    k, rk, b = lstm.get_weights()
    assert k.shape == (3, 16) and rk.shape == (4, 16) and b.shape == (16,)
    assert np.array_equal(b[4:8], np.ones(4)) and np.all(b[:4] == 0)  # unit_forget_bias
    h = np.zeros((2, 4))
    c = np.zeros((2, 4))
    outs = []
    for t in range(5):
        z = x[:, t] @ k + h @ rk + b
        i, f, g, o = _sigmoid(z[:, :4]), _sigmoid(z[:, 4:8]), np.tanh(z[:, 8:12]), \
            _sigmoid(z[:, 12:])
        c = f * c + i * g
        h = o * np.tanh(c)
        outs.append(h)
    np.testing.assert_allclose(seq.numpy(), np.stack(outs, 1), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(h_last.numpy(), h, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(c_last.numpy(), c, rtol=1e-4, atol=1e-5)
    assert lstm.count_params() == 4 * (4 * (3 + 4) + 4)


def test_lstm_fused_and_loop_paths_agree():
    x = np.random.default_rng(2).standard_normal((3, 6, 2)).astype(np.float32)
    fused = layers.LSTM(5, go_backwards=True, return_sequences=True)
    loop = layers.LSTM(5, go_backwards=True, return_sequences=True,
                       activation=lambda t: t.tanh())  # a non-built-in callable -> step loop
    fused.build((None, 6, 2))
    loop.build((None, 6, 2))
    loop.set_weights(fused.get_weights())
    np.testing.assert_allclose(fused(x).numpy(), loop(x).numpy(), rtol=1e-5, atol=1e-6)


def test_gru_and_simple_rnn_match_keras_equations():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    gru = layers.GRU(2, bias_initializer="random_normal")
    out = gru(x).numpy()
    k, rk, b = gru.get_weights()
    assert b.shape == (2, 6)
    h = np.zeros((2, 2))
    for t in range(4):
        xz, xr, xh = np.split(x[:, t] @ k + b[0], 3, axis=-1)
        hz, hr, hh = np.split(h @ rk + b[1], 3, axis=-1)
        z, r = _sigmoid(xz + hz), _sigmoid(xr + hr)
        h = z * h + (1 - z) * np.tanh(xh + r * hh)
    np.testing.assert_allclose(out, h, rtol=1e-4, atol=1e-5)
    rnn = layers.SimpleRNN(3)
    out = rnn(x).numpy()
    k, rk, b = rnn.get_weights()
    h = np.zeros((2, 3))
    for t in range(4):
        h = np.tanh(x[:, t] @ k + h @ rk + b)
    np.testing.assert_allclose(out, h, rtol=1e-4, atol=1e-5)


def test_recurrent_layers_train():
    model = keras.Sequential([keras.Input((6,), dtype="int32"), layers.Embedding(20, 4),
                              layers.LSTM(8), layers.Dense(1, activation="sigmoid")])
    assert model.layers[1].output_shape == (None, 8)
    model.compile("adam", "binary_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 20, (64, 6))
    y = (x[:, 0] > 9).astype(np.float32)
    before = model.get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_input_shape_mismatch_error_is_keras_like():
    model = keras.Sequential([keras.Input((784,)), layers.Dense(10)])
    with pytest.raises(ValueError) as err:
        model.predict(np.zeros((32, 100)), verbose=0)
    assert str(err.value) == (
        'Input 0 of layer "dense" is incompatible with the layer: expected axis -1 of input '
        "shape to have value 784, but received input with shape (32, 100)")
    conv = convnet()
    with pytest.raises(ValueError, match=r'layer "conv2d" is incompatible with the layer: '
                                         r"expected min_ndim=4, found ndim=2"):
        conv.predict(np.zeros((2, 784)), verbose=0)
    flat = keras.Sequential([keras.Input((28, 28)), layers.Flatten(), layers.Dense(2)])
    with pytest.raises(ValueError, match=r'layer "sequential_2" is incompatible with the layer: '
                                         r"expected shape=\(None, 28, 28\), found "
                                         r"shape=\(2, 14, 56\)"):
        flat.predict(np.zeros((2, 14, 56)), verbose=0)
    # a missing channel axis of size 1 is added, as Keras 3 does
    assert conv.predict(np.zeros((2, 28, 28)), verbose=0).shape == (2, 10)


def test_get_set_weights_and_errors():
    a = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(2)])
    b = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(2)])
    b.set_weights(a.get_weights())
    x = np.random.default_rng(0).random((5, 3))
    np.testing.assert_allclose(a.predict(x, verbose=0), b.predict(x, verbose=0))
    weights = a.get_weights()
    weights[0] += 1  # copies: the model is unchanged
    assert not np.array_equal(weights[0], a.get_weights()[0])
    with pytest.raises(ValueError, match="weight list of length 1, but the layer was "
                                         "expecting 4 weights"):
        a.set_weights(weights[:1])
    with pytest.raises(ValueError, match="not compatible with provided weight shape"):
        a.set_weights([w.T for w in weights])


def test_freezing_a_layer():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(1)])
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    frozen = model.layers[0].get_weights()
    model.compile("sgd", "mse")
    model.fit(np.ones((8, 3)), np.ones((8, 1)), verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(frozen, model.layers[0].get_weights()))


def test_kernel_regularizer_adds_penalty_to_loss():
    model = keras.Sequential([keras.Input((3,)),
                              layers.Dense(2, kernel_regularizer=keras.regularizers.l2(0.1),
                                           bias_regularizer="l1")])
    model.compile("sgd", "mse")
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32)
    kernel, bias = model.get_weights()
    mse = np.mean((x @ kernel + bias - y) ** 2)
    penalty = 0.1 * np.sum(kernel ** 2) + 0.01 * np.sum(np.abs(bias))
    assert len(model.losses) == 2
    assert model.test_on_batch(x, y) == pytest.approx(mse + penalty, rel=1e-5)
    l1l2 = keras.regularizers.l1_l2(l1=0.5, l2=0.25)
    assert l1l2(torch.tensor([-2.0])).item() == pytest.approx(2.0)


def test_functional_api_and_layer_naming():
    inputs = keras.Input(shape=(4,))
    x = layers.Dense(8, activation="relu")(inputs)
    left, right = layers.Dense(3)(x), layers.Dense(3)(x)
    outputs = layers.Dense(1)(layers.add([left, right]))
    model = keras.Model(inputs=inputs, outputs=outputs)
    assert model.name == "functional"
    assert [lay.name for lay in model.layers] == ["input_layer", "dense", "dense_1", "dense_2",
                                                  "add", "dense_3"]
    assert model.output_shape == (None, 1)
    assert model.predict(np.ones((2, 4)), verbose=0).shape == (2, 1)
    features = keras.Model(model.inputs, model.layers[1].output)  # feature extraction
    assert features.predict(np.ones((2, 4)), verbose=0).shape == (2, 8)
    scaled = keras.Model(inputs, layers.Dense(2)(inputs / 255.0))  # arithmetic on KerasTensors
    assert scaled.predict(np.ones((1, 4)), verbose=0).shape == (1, 2)


def test_subclassed_model_with_call():
    class TwoLayer(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(16, activation="relu")
            self.drop = layers.Dropout(0.5)
            self.out = layers.Dense(3)

        def call(self, inputs, training=False):
            return self.out(self.drop(self.hidden(inputs), training=training))

    model = TwoLayer()
    assert model.name == "two_layer"
    x = np.ones((4, 5), np.float32)
    assert model(x).shape == (4, 3)
    assert [lay.name for lay in model.layers] == ["dense", "dropout", "dense_1"]
    assert model.count_params() == 5 * 16 + 16 + 16 * 3 + 3
    np.testing.assert_allclose(model(x).numpy(), model(x).numpy())  # inference: no dropout
