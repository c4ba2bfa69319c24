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
from .loss_binary import *  # noqa: F401,F403
from .loss_distance import *  # noqa: F401,F403
from .loss_margin import *  # noqa: F401,F403
from .loss_regression import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .reduction import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .softmax import *  # noqa: F401,F403

__all__ = sorted({name for family in _PUBLIC_FAMILIES for name in family.__all__})
