"""The op families. Importing this package binds every op to ``Tensor`` as a method.

Each family module lists its public functions in ``__all__``; they are re-exported here and from
``chainrule`` itself (``chainrule.exp``, ``chainrule.cat`` …), as in PyTorch.
"""

from . import (activation, arithmetic, comparison, conversion, conv, creation, dropout,  # noqa
               elementwise, embedding, indexing, linalg, linear, loss, normalization, pooling,
               reduction, resample, shape, softmax)

from . import loss_binary, loss_distance, loss_margin, loss_regression  # noqa: E402

# captured before the star imports below rebind names such as ``softmax`` to functions
_PUBLIC_FAMILIES = (activation, arithmetic, comparison, conversion, creation, elementwise,
                    indexing, linalg, reduction, shape, softmax, loss_binary, loss_distance,
                    loss_margin, loss_regression)
from .activation import *  # noqa: F401,F403
from .arithmetic import *  # noqa: F401,F403
from .comparison import *  # noqa: F401,F403
from .conversion import *  # noqa: F401,F403
from .creation import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
# the conv/pool names PyTorch also has at top level (not the whole families: F's signatures of
# some, e.g. adaptive_max_pool1d, differ from torch.*'s)
from .conv import (conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d,  # noqa: F401
                   conv_transpose3d)
from .pooling import avg_pool1d, max_pool1d, max_pool2d, max_pool3d  # noqa: F401
from .pooling_adaptive import adaptive_avg_pool1d  # noqa: F401
from .resample import pixel_shuffle, pixel_unshuffle  # noqa: F401
from .loss_binary import *  # noqa: F401,F403
from .loss_distance import *  # noqa: F401,F403
from .loss_margin import *  # noqa: F401,F403
from .loss_regression import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .reduction import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .softmax import *  # noqa: F401,F403

__all__ = sorted({name for family in _PUBLIC_FAMILIES for name in family.__all__} | {
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "avg_pool1d", "max_pool1d", "max_pool2d", "max_pool3d", "adaptive_avg_pool1d",
    "pixel_shuffle", "pixel_unshuffle"})
