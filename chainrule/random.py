"""Random number generation: the global generator, ``manual_seed`` and ``Generator``."""

from __future__ import annotations

import numpy as np

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "default_generator"]

_DEFAULT_SEED = 67280421310721


class Generator:
    """A pseudo-random generator (PCG64), as ``torch.Generator``.

    Example:
        >>> g = Generator().manual_seed(0)
        >>> g.initial_seed()
        0
    """

    def __init__(self, device="cpu") -> None:
        self._seed = _DEFAULT_SEED
        self.np = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> "Generator":
        """Reset the generator to a state fully determined by ``seed``; returns itself."""
        seed = int(seed)
        if seed < 0:
            seed &= (1 << 64) - 1
        self._seed = seed
        self.np = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self) -> int:
        """Seed from OS entropy and return the seed used."""
        s = int(np.random.SeedSequence().entropy % (1 << 63))
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed last given to ``manual_seed`` (or chosen by ``seed``)."""
        return self._seed

    def get_state(self):
        """The generator state as a chainrule uint8 tensor (opaque; pass to ``set_state``)."""
        from ._tensor import tensor_from_array
        import json

        raw = json.dumps(self.np.bit_generator.state).encode()
        return tensor_from_array(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, state) -> "Generator":
        """Restore a state returned by ``get_state``."""
        import json

        arr = state.numpy() if hasattr(state, "numpy") else np.asarray(state)
        self.np.bit_generator.state = json.loads(arr.astype(np.uint8).tobytes().decode())
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the global generator, making later random ops reproducible; returns it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the global generator from OS entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The initial seed of the global generator."""
    return default_generator.initial_seed()


def get_rng_state():
    """The global generator's state (see ``Generator.get_state``)."""
    return default_generator.get_state()


def set_rng_state(state) -> None:
    """Restore the global generator's state."""
    default_generator.set_state(state)


def numpy_rng(generator: Generator | None = None) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (the global one when None)."""
    return (generator or default_generator).np
