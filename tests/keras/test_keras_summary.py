"""``model.summary()`` prints Keras 3's table, character for character.

The expected strings are Keras 3's output for these models on an 80-column terminal (the
convnet's is the one in the Keras "Simple MNIST convnet" example)."""

from __future__ import annotations

import numpy as np

from chainrule import keras
from chainrule.keras import layers

CONVNET = '''\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ conv2d (Conv2D)                 │ (None, 26, 26, 32)     │           320 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d (MaxPooling2D)    │ (None, 13, 13, 32)     │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv2d_1 (Conv2D)               │ (None, 11, 11, 64)     │        18,496 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d_1 (MaxPooling2D)  │ (None, 5, 5, 64)       │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ flatten (Flatten)               │ (None, 1600)           │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dropout (Dropout)               │ (None, 1600)           │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense (Dense)                   │ (None, 10)             │        16,010 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 34,826 (136.04 KB)
 Trainable params: 34,826 (136.04 KB)
 Non-trainable params: 0 (0.00 B)
'''

MLP_AFTER_FIT = '''\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                   │ (None, 512)            │       401,920 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 10)             │         5,130 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 814,102 (3.11 MB)
 Trainable params: 407,050 (1.55 MB)
 Non-trainable params: 0 (0.00 B)
 Optimizer params: 407,052 (1.55 MB)
'''

FUNCTIONAL = '''\
Model: "two_heads"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ features            │ (None, 8)         │          0 │ -                 │
│ (InputLayer)        │                   │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ hidden (Dense)      │ (None, 4)         │         36 │ features[0][0]    │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ dense (Dense)       │ (None, 2)         │         10 │ hidden[0][0]      │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ dense_1 (Dense)     │ (None, 2)         │         10 │ hidden[0][0]      │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ concatenate         │ (None, 4)         │          0 │ dense[0][0],      │
│ (Concatenate)       │                   │            │ dense_1[0][0]     │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 56 (224.00 B)
 Trainable params: 56 (224.00 B)
 Non-trainable params: 0 (0.00 B)
'''


def test_convnet_summary_exact(capsys):
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.summary()
    assert capsys.readouterr().out == CONVNET


def test_mlp_summary_counts_optimizer_variables_after_training():
    model = keras.Sequential([keras.Input((784,)), layers.Dense(512, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    lines = []
    model.summary(print_fn=lines.append)
    assert " Total params: 407,050 (1.55 MB)" in lines[0]
    assert "Optimizer params" not in lines[0]
    model.compile("rmsprop", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(np.zeros((4, 784)), np.zeros(4), verbose=0)
    model.summary(print_fn=lines.append)
    assert lines[1] == MLP_AFTER_FIT


def test_functional_summary_has_connections(capsys):
    inputs = keras.Input((8,), name="features")
    hidden = layers.Dense(4, name="hidden")(inputs)
    merged = layers.concatenate([layers.Dense(2)(hidden), layers.Dense(2)(hidden)])
    keras.Model(inputs, merged, name="two_heads").summary()
    assert capsys.readouterr().out == FUNCTIONAL


def test_unbuilt_model_and_non_trainable_weights(capsys):
    keras.Sequential([layers.Dense(3)]).summary()
    out = capsys.readouterr().out
    assert "│ dense (Dense)                   │ ?                      │   0 (unbuilt) │" in out
    bn = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.BatchNormalization()])
    bn.summary()
    out = capsys.readouterr().out
    assert "│ batch_normalization             │ (None, 3)              │            12 │" in out
    assert "│ (BatchNormalization)            │                        │               │" in out
    assert out.endswith(" Total params: 27 (108.00 B)\n Trainable params: 21 (84.00 B)\n"
                        " Non-trainable params: 6 (24.00 B)\n")


def test_line_length_and_wide_terminals(capsys, monkeypatch):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    model.summary(line_length=60)
    assert capsys.readouterr().out.splitlines()[1] == "┏" + "━" * 26 + "┳" + "━" * 19 + "┳" + \
        "━" * 11 + "┓"
    monkeypatch.setenv("COLUMNS", "200")  # Keras caps the width at 88
    model.summary()
    assert len(capsys.readouterr().out.splitlines()[1]) == 88


def test_subclassed_model_summary_after_call(capsys):
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.d1 = layers.Dense(5)
            self.d2 = layers.Dense(1)

        def call(self, x):
            return self.d2(self.d1(x))

    net = Net()
    net(np.ones((2, 3)))
    net.summary()
    out = capsys.readouterr().out
    assert out.startswith('Model: "net"\n')
    assert "│ dense (Dense)                   │ (None, 5)              │            20 │" in out
