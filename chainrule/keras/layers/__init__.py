"""Keras layers (``keras.layers``): configuration at construction, weights built from the first
input shape, computation on chainrule tensors through autograd.

Example:
    >>> from chainrule import keras
    >>> from chainrule.keras import layers
    >>> model = keras.Sequential([keras.Input((784,)), layers.Dense(10, activation="softmax")])
    >>> model.count_params()
    7850
"""

from .base import InputSpec, KerasTensor, Layer
from .conv import Conv1D, Conv2D
from .core import (
                   Activation,
                   Dense,
                   Dropout,
                   Flatten,
                   Identity,
                   Input,
                   InputLayer,
                   Lambda,
                   LeakyReLU,
                   Permute,
                   ReLU,
                   RepeatVector,
                   Rescaling,
                   Reshape,
                   Softmax,
)
from .embedding import Embedding
from .merging import (
                   Add,
                   Average,
                   Concatenate,
                   Maximum,
                   Minimum,
                   Multiply,
                   Subtract,
                   add,
                   average,
                   concatenate,
                   maximum,
                   minimum,
                   multiply,
                   subtract,
)
from .normalization import BatchNormalization, LayerNormalization
from .pooling import (
                   AveragePooling1D,
                   AveragePooling2D,
                   GlobalAveragePooling1D,
                   GlobalAveragePooling2D,
                   GlobalMaxPooling1D,
                   GlobalMaxPooling2D,
                   MaxPooling1D,
                   MaxPooling2D,
)
from .recurrent import GRU, LSTM, SimpleRNN

Convolution1D, Convolution2D = Conv1D, Conv2D
MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = MaxPooling1D, MaxPooling2D, AveragePooling1D, \
    AveragePooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D

__all__ = [
                   "GRU",
                   "LSTM",
                   "Activation",
                   "Add",
                   "Average",
                   "AveragePooling1D",
                   "AveragePooling2D",
                   "AvgPool1D",
                   "AvgPool2D",
                   "BatchNormalization",
                   "Concatenate",
                   "Conv1D",
                   "Conv2D",
                   "Convolution1D",
                   "Convolution2D",
                   "Dense",
                   "Dropout",
                   "Embedding",
                   "Flatten",
                   "GlobalAveragePooling1D",
                   "GlobalAveragePooling2D",
                   "GlobalAvgPool1D",
                   "GlobalAvgPool2D",
                   "GlobalMaxPool1D",
                   "GlobalMaxPool2D",
                   "GlobalMaxPooling1D",
                   "GlobalMaxPooling2D",
                   "Identity",
                   "Input",
                   "InputLayer",
                   "InputSpec",
                   "KerasTensor",
                   "Lambda",
                   "Layer",
                   "LayerNormalization",
                   "LeakyReLU",
                   "MaxPool1D",
                   "MaxPool2D",
                   "MaxPooling1D",
                   "MaxPooling2D",
                   "Maximum",
                   "Minimum",
                   "Multiply",
                   "Permute",
                   "ReLU",
                   "RepeatVector",
                   "Rescaling",
                   "Reshape",
                   "SimpleRNN",
                   "Softmax",
                   "Subtract",
                   "add",
                   "average",
                   "concatenate",
                   "maximum",
                   "minimum",
                   "multiply",
                   "subtract",
]
