"""The progress bar: Keras's look, redrawn in place on a terminal, one line per epoch when
output is not a terminal, one summary line per epoch with ``verbose=2``."""

from __future__ import annotations

import contextlib
import io
import re

import numpy as np

from chainrule import keras
from chainrule.keras import layers

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def model_and_data(n=100):
    rng = np.random.default_rng(0)
    x = rng.random((n, 4)).astype(np.float32)
    y = rng.integers(0, 2, n)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, x, y


def capture(stream, fn):
    with contextlib.redirect_stdout(stream):
        result = fn()
    return stream.getvalue(), result


LINE = (r"{n}/{n} ━━━━━━━━━━━━━━━━━━━━ \d+s \d+(us|ms|s)/step - accuracy: \d\.\d{{4}} - "
        r"loss: \d\.\d{{4}}")


def test_not_a_terminal_one_line_per_epoch():
    model, x, y = model_and_data()
    out, history = capture(io.StringIO(), lambda: model.fit(
        x, y, epochs=3, batch_size=10, validation_split=0.2))
    lines = out.splitlines()
    assert lines[0::2] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    pattern = re.compile(LINE.format(n=8) + r" - val_accuracy: \d\.\d{4} - val_loss: \d\.\d{4}$")
    assert all(pattern.match(line) for line in lines[1::2]), lines
    assert "\r" not in out and "\x1b" not in out
    last = lines[-1]
    assert f"loss: {history.history['loss'][-1]:.4f}" in last
    assert f"val_accuracy: {history.history['val_accuracy'][-1]:.4f}" in last


def test_terminal_redraws_in_place_with_keras_styling():
    model, x, y = model_and_data(400)
    out, _ = capture(FakeTTY(), lambda: model.fit(x, y, epochs=1, batch_size=10))
    assert "Epoch 1/1" not in out  # Keras prints the header only for several epochs
    frames = out.split("\r")[1:]
    assert frames[-1].endswith("\n") and out.count("\n") == 1
    assert "\x1b[1m40/40\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m" in frames[-1]
    plain = [ANSI.sub("", f).rstrip() for f in frames]
    assert re.match(LINE.format(n=40) + "$", plain[-1])
    first = plain[0]
    assert re.match(r" 1/40 ━{20} \d+s \d+(us|ms|s)/step - accuracy: ", first)
    assert "\x1b[32m" not in frames[0]  # at 1/40 nothing is filled yet: all white
    assert "\x1b[37m━━━━━━━━━━━━━━━━━━━━\x1b[0m" in frames[0]
    for frame in frames[:-1]:  # the bar is padded so a shorter line wipes the previous one
        assert len(ANSI.sub("", frame)) >= len(plain[0]) - 2


def test_verbose_2_and_0():
    model, x, y = model_and_data()
    out, _ = capture(FakeTTY(), lambda: model.fit(x, y, epochs=2, batch_size=25, verbose=2))
    lines = out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert re.match(r"4/4 - \d+s - \d+(us|ms|s)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4}$",
                    lines[1])
    out, _ = capture(FakeTTY(), lambda: model.fit(x, y, epochs=2, verbose=0))
    assert out == ""


def test_evaluate_and_predict_bars():
    model, x, y = model_and_data(64)
    out, _ = capture(io.StringIO(), lambda: model.evaluate(x, y))
    assert re.match(LINE.format(n=2) + "\n$", out)
    out, probs = capture(io.StringIO(), lambda: model.predict(x, batch_size=16))
    assert re.match(r"4/4 ━{20} \d+s \d+(us|ms|s)/step\n$", out)
    assert probs.shape == (64, 2)


def test_progbar_standalone_and_number_format():
    out, _ = capture(io.StringIO(), lambda: [bar.update(i, [("loss", v)]) for bar in
                                             [keras.utils.Progbar(3)] for i, v in
                                             [(1, 1.0), (2, 2e-5), (3, 3e-4)]])
    assert out.endswith(" - loss: 3.0000e-04\n") and out.count("\n") == 1
