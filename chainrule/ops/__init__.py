"""The op families. Importing this package binds every op to ``Tensor`` as a method."""

from . import arithmetic, comparison, conversion, elementwise  # noqa: F401
from .arithmetic import *  # noqa: F401,F403
from .comparison import *  # noqa: F401,F403
from .conversion import clone  # noqa: F401
from .elementwise import *  # noqa: F401,F403
