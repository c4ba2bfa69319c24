"""``Embedding``: integer ids → dense vectors, Keras's ``(input_dim, output_dim)`` table."""

from __future__ import annotations

import numpy as np

from ...nn import functional as F
from .. import initializers, regularizers
from .base import Layer

__all__ = ["Embedding"]


class Embedding(Layer):
    """Look up a learned vector for each integer id.

    Args:
        input_dim: vocabulary size (ids are in ``[0, input_dim)``).
        output_dim: vector size.
        embeddings_initializer: default ``'uniform'`` (``U(-0.05, 0.05)``).
        embeddings_regularizer: optional penalty.
        mask_zero: accepted; masks are not propagated (id 0 is embedded like any other).
        input_length: accepted for Keras 2 compatibility (ignored).

    Shape:
        ``(batch, ...)`` ids → ``(batch, ..., output_dim)``; weight ``embeddings``
        ``(input_dim, output_dim)``.

    Example:
        >>> import numpy as np
        >>> from chainrule import keras
        >>> emb = keras.layers.Embedding(1000, 64)
        >>> emb(np.array([[4, 20, 7]])).shape, emb.count_params()
        (torch.Size([1, 3, 64]), 64000)
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None,
                 mask_zero: bool = False, input_length=None, weights=None, lora_rank=None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        if self.input_dim <= 0 or self.output_dim <= 0:
            raise ValueError(f"Both `input_dim` and `output_dim` should be positive, Received "
                             f"input_dim = {input_dim} and output_dim = {output_dim}")
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = embeddings_constraint
        self.mask_zero = mask_zero
        self.__dict__["_initial_weights"] = weights
        self.build(None)

    def build(self, input_shape) -> None:
        if self.built:
            return
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          name="embeddings",
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)

    def call(self, inputs):
        ids = inputs if not inputs.is_floating_point() else inputs.long()
        if ids.numel():
            lo, hi = int(ids._data.min()), int(ids._data.max())
            if lo < 0 or hi >= self.input_dim:
                bad = hi if hi >= self.input_dim else lo
                raise ValueError(f"Embedding layer '{self.name}' received the index {bad}, "
                                 f"outside the valid range [0, {self.input_dim}); set "
                                 f"input_dim to at least {hi + 1} (the vocabulary size)")
        return F.embedding(ids.long(), self.embeddings)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def _output_dtype(self, inputs):
        return self._dtype

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "mask_zero": self.mask_zero}


_ = np
