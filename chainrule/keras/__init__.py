"""``chainrule.keras``: a Keras 3-style front end on chainrule (``from chainrule import keras``).

Layers are ``nn.Module``s holding ``nn.Parameter`` weights in Keras's layouts; ``fit`` is a
loop of ``train_step`` (forward, loss, ``backward``, optimizer step through chainrule's
autograd and ``optim``) driven by callbacks. Keras 3 teaching code runs unchanged::

    from chainrule import keras
    from chainrule.keras import layers

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    model = keras.Sequential([keras.Input((784,)),
                              layers.Dense(512, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train.reshape(-1, 784) / 255, y_train, epochs=5, batch_size=128)

Example:
    >>> from chainrule import keras
    >>> keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]).count_params()
    10
"""

from . import (
               activations,
               backend,
               callbacks,
               constraints,
               datasets,
               initializers,
               layers,
               losses,
               metrics,
               models,
               optimizers,
               regularizers,
               utils,
)
from .layers import Input, InputSpec, KerasTensor, Layer
from .models import Model, Sequential, load_model

__all__ = ["Input", "InputSpec", "KerasTensor", "Layer", "Model", "Sequential", "activations",
           "backend", "callbacks", "constraints", "datasets", "initializers", "layers",
           "load_model", "losses", "metrics", "models", "optimizers", "regularizers", "utils"]

__version__ = "3.0.0-chainrule"
