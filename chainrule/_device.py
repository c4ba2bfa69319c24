"""Devices. chainrule computes on the CPU; ``device`` objects exist so PyTorch code runs."""

from __future__ import annotations


class device:
    """A compute device, as ``torch.device``: ``device('cpu')``, ``device('cuda', 0)``."""

    __slots__ = ("type", "index")

    def __init__(self, type: "str | device", index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string or device, received {type!r}")
        name, _, idx = type.partition(":")
        if idx:
            if index is not None:
                raise RuntimeError(f"device: type (string) must not include an index because "
                                   f"index was passed explicitly: {type}")
            index = int(idx)
        if name not in ("cpu", "cuda", "mps", "meta"):
            raise RuntimeError(f"Expected one of cpu, cuda, mps, meta device type at start of "
                               f"device string: {type}")
        self.type, self.index = name, index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")


def check_device(dev, where: str) -> None:
    """Raise a clear error when ``dev`` names a device chainrule cannot compute on."""
    if dev is None:
        return
    d = dev if isinstance(dev, device) else device(dev)
    if d.type != "cpu":
        raise RuntimeError(f"{where}: chainrule computes on the CPU only; device '{d}' is not "
                           f"available (use device='cpu', or check torch.cuda.is_available())")


class _Cuda:
    """The ``chainrule.cuda`` namespace: reports that no CUDA device is available."""

    @staticmethod
    def is_available() -> bool:
        """Always False: chainrule runs on the CPU."""
        return False

    @staticmethod
    def device_count() -> int:
        """Always 0."""
        return 0

    @staticmethod
    def manual_seed(seed: int) -> None:
        """Accepted for compatibility; there is no CUDA generator to seed."""

    manual_seed_all = manual_seed


cuda = _Cuda()
