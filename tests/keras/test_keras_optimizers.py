"""Keras optimizers: Keras's defaults, and each update rule against a NumPy transcription of
Keras's equations (epsilon placement and momentum form included)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule
from chainrule import keras

GRADS = [np.array([0.5, -1.0, 2.0]), np.array([-0.3, 0.2, 1.0]), np.array([0.1, 0.1, -4.0])]
W0 = np.array([1.0, -2.0, 0.5])


def run(opt):
    w = chainrule.nn.Parameter(chainrule.tensor(W0, dtype=chainrule.float64))
    for g in GRADS:
        opt.apply([g], [w])
    return w.detach().numpy()


def test_defaults_match_keras():
    o = keras.optimizers
    assert o.SGD().learning_rate == 0.01 and o.SGD().momentum == 0.0
    rms = o.RMSprop()
    assert (rms.learning_rate, rms.rho, rms.epsilon, rms.momentum, rms.centered) == \
        (0.001, 0.9, 1e-7, 0.0, False)
    adam = o.Adam()
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon, adam.amsgrad) == \
        (0.001, 0.9, 0.999, 1e-7, False)
    ada = o.Adagrad()
    assert (ada.learning_rate, ada.initial_accumulator_value, ada.epsilon) == (0.001, 0.1, 1e-7)
    assert o.AdamW().weight_decay == 0.004
    assert o.Adadelta().rho == 0.95 and o.Nadam().epsilon == 1e-7
    for name, cls in [("sgd", o.SGD), ("rmsprop", o.RMSprop), ("adam", o.Adam),
                      ("adagrad", o.Adagrad), ("Adam", o.Adam)]:
        assert type(o.get(name)) is cls


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_keras_form(nesterov):
    w, v = W0.copy(), np.zeros(3)
    lr, mu = 0.1, 0.9
    for g in GRADS:
        v = mu * v - lr * g
        w = w + (mu * v - lr * g if nesterov else v)
    np.testing.assert_allclose(run(keras.optimizers.SGD(lr, momentum=mu, nesterov=nesterov)), w)
    np.testing.assert_allclose(run(keras.optimizers.SGD(lr)), W0 - lr * sum(GRADS))


@pytest.mark.parametrize("momentum,centered", [(0.0, False), (0.5, False), (0.0, True)])
def test_rmsprop_epsilon_inside_the_root(momentum, centered):
    w, v, m, a = W0.copy(), np.zeros(3), np.zeros(3), np.zeros(3)
    lr, rho, eps = 0.01, 0.8, 0.1  # a large epsilon makes its placement visible
    for g in GRADS:
        v = rho * v + (1 - rho) * g * g
        if centered:
            a = rho * a + (1 - rho) * g
            inc = lr * g / np.sqrt(v - a * a + eps)
        else:
            inc = lr * g / np.sqrt(v + eps)
        if momentum:
            m = momentum * m + inc
            w = w - m
        else:
            w = w - inc
    opt = keras.optimizers.RMSprop(lr, rho=rho, momentum=momentum, epsilon=eps,
                                   centered=centered)
    np.testing.assert_allclose(run(opt), w)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_keras_form(amsgrad):
    w, m, v, vhat = W0.copy(), np.zeros(3), np.zeros(3), np.zeros(3)
    lr, b1, b2, eps = 0.1, 0.8, 0.9, 0.05
    for t, g in enumerate(GRADS, 1):
        alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        vhat = np.maximum(vhat, v)
        w = w - alpha * m / (np.sqrt(vhat if amsgrad else v) + eps)
    opt = keras.optimizers.Adam(lr, beta_1=b1, beta_2=b2, epsilon=eps, amsgrad=amsgrad)
    np.testing.assert_allclose(run(opt), w)


def test_adamw_decoupled_decay():
    w, m, v = W0.copy(), np.zeros(3), np.zeros(3)
    lr, wd = 0.1, 0.5
    for t, g in enumerate(GRADS, 1):
        w = w - w * lr * wd
        alpha = lr * math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        m = m + (g - m) * 0.1
        v = v + (g * g - v) * 0.001
        w = w - alpha * m / (np.sqrt(v) + 1e-7)
    np.testing.assert_allclose(run(keras.optimizers.AdamW(lr, weight_decay=wd)), w)


def test_adagrad_keras_form():
    w, acc = W0.copy(), np.full(3, 0.1)
    lr, eps = 0.5, 0.01
    for g in GRADS:
        acc = acc + g * g
        w = w - lr * g / np.sqrt(acc + eps)
    np.testing.assert_allclose(run(keras.optimizers.Adagrad(lr, epsilon=eps)), w)


def test_adamax_and_adadelta_keras_forms():
    w, m, u = W0.copy(), np.zeros(3), np.zeros(3)
    for t, g in enumerate(GRADS, 1):
        m = m + (g - m) * 0.1
        u = np.maximum(0.999 * u, np.abs(g))
        w = w - 0.1 / (1 - 0.9 ** t) * m / (u + 1e-7)
    np.testing.assert_allclose(run(keras.optimizers.Adamax(0.1)), w)
    w, eg, ed = W0.copy(), np.zeros(3), np.zeros(3)
    for g in GRADS:
        eg = 0.95 * eg + 0.05 * g * g
        delta = -np.sqrt(ed + 1e-7) / np.sqrt(eg + 1e-7) * g
        ed = 0.95 * ed + 0.05 * delta * delta
        w = w + 1.0 * delta
    np.testing.assert_allclose(run(keras.optimizers.Adadelta(1.0)), w, rtol=1e-6)


def test_learning_rate_is_assignable_and_schedules_step():
    opt = keras.optimizers.SGD(0.5)
    w = chainrule.nn.Parameter(chainrule.tensor([0.0]))
    opt.apply([np.array([1.0])], [w])
    opt.learning_rate = 0.25
    opt.apply([np.array([1.0])], [w])
    assert w.item() == pytest.approx(-0.75) and opt.iterations == 2
    sched = keras.optimizers.schedules.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5)
    opt = keras.optimizers.SGD(sched)
    w = chainrule.nn.Parameter(chainrule.tensor([0.0]))
    for _ in range(3):
        opt.apply([np.array([1.0])], [w])
    assert w.item() == pytest.approx(-(1 + 0.5 + 0.25))
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1


def test_gradient_clipping():
    w = chainrule.nn.Parameter(chainrule.tensor([0.0, 0.0]))
    keras.optimizers.SGD(1.0, clipnorm=1.0).apply([np.array([3.0, 4.0])], [w])
    np.testing.assert_allclose(w.detach().numpy(), [-0.6, -0.8], rtol=1e-6)
    w = chainrule.nn.Parameter(chainrule.tensor([0.0, 0.0]))
    keras.optimizers.SGD(1.0, clipvalue=0.5).apply([np.array([3.0, -0.2])], [w])
    np.testing.assert_allclose(w.detach().numpy(), [-0.5, 0.2], rtol=1e-6)


def test_fit_uses_keras_rmsprop_update():
    """One ``fit`` step with RMSprop equals the Keras update computed by hand."""
    model = keras.Sequential([keras.Input((2,)),
                              keras.layers.Dense(1, kernel_initializer="ones")])
    model.compile(keras.optimizers.RMSprop(0.1), "mse")
    x = np.array([[1.0, 2.0]], np.float32)
    y = np.array([[0.0]], np.float32)
    model.fit(x, y, epochs=1, verbose=0)
    grad_k = 2 * (3.0 - 0.0) * x[0]  # d/dk of (x @ k + b - y)^2
    grad_b = 2 * 3.0
    expect_k = 1.0 - 0.1 * grad_k / np.sqrt(0.1 * grad_k ** 2 + 1e-7)
    expect_b = 0.0 - 0.1 * grad_b / np.sqrt(0.1 * grad_b ** 2 + 1e-7)
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(kernel[:, 0], expect_k, rtol=1e-5)
    np.testing.assert_allclose(bias, [expect_b], rtol=1e-5)
