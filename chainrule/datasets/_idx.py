"""Reading IDX files (the MNIST format), raw or gzip-compressed, with thorough validation."""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import struct
import zlib

import numpy as np

__all__ = ["CorruptedFileError", "decompress", "md5_hex", "parse_idx", "read_idx_bytes"]

IMAGES_MAGIC = 2051  # unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # unsigned bytes, 1 dimension

_IDX_DTYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
               0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


class CorruptedFileError(RuntimeError):
    """A data file is truncated, corrupted, or not the file it should be."""


def md5_hex(data) -> str:
    """The MD5 hex digest of a bytes-like object."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def decompress(data: bytes, name: str) -> bytearray:
    """Gunzip ``data`` into a (writable) bytearray, with a clear error if it is damaged."""
    try:
        return bytearray(gzip.decompress(data))
    except (OSError, EOFError, zlib.error) as exc:
        raise CorruptedFileError(f"{name}: the gzip data is damaged or truncated ({exc}); "
                                 "delete the file and download it again") from None


def read_idx_bytes(path: str) -> bytearray:
    """The IDX bytes of a raw or ``.gz`` file (decompressed), in a writable buffer."""
    with open(path, "rb") as fh:
        if path.endswith(".gz"):
            return decompress(fh.read(), path)
        buf = bytearray(os.fstat(fh.fileno()).st_size)
        n = fh.readinto(buf)
    return buf if n == len(buf) else buf[:n]


def parse_idx(data, name: str = "<idx>", expected_magic: int | None = None) -> np.ndarray:
    """Parse IDX bytes into a NumPy array, validating magic number, dimensions and size.

    Args:
        data: the (decompressed) file contents; a writable buffer gives a writable array.
        name: the file name, for error messages.
        expected_magic: 2051 for image files, 2049 for label files (checked when given).

    Returns:
        The array, shaped by the dimensions in the header (native byte order).

    Raises:
        CorruptedFileError: wrong magic number, unknown type code, or a size that does not
            match the header (a truncated file).

    Example:
        >>> import struct
        >>> raw = struct.pack(">iI", 2049, 3) + bytes([7, 2, 1])
        >>> parse_idx(raw, expected_magic=2049).tolist()
        [7, 2, 1]
    """
    size = len(data)
    if size < 4:
        raise CorruptedFileError(f"{name}: only {size} bytes, too short for an IDX header "
                                 "(the file is empty or truncated)")
    magic = int.from_bytes(bytes(data[:4]), "big")
    if expected_magic is not None and magic != expected_magic:
        kind = {IMAGES_MAGIC: "an image file", LABELS_MAGIC: "a label file"}.get(
            expected_magic, "an IDX file")
        raise CorruptedFileError(f"{name}: magic number {magic} (0x{magic:08x}), expected "
                                 f"{expected_magic} for {kind}; this is not the right file or "
                                 "it is corrupted")
    code, ndim = data[2], data[3]
    if data[0] != 0 or data[1] != 0 or code not in _IDX_DTYPES or ndim == 0:
        raise CorruptedFileError(f"{name}: invalid IDX magic number 0x{magic:08x}; this is not "
                                 "an IDX file or it is corrupted")
    header = 4 + 4 * ndim
    if size < header:
        raise CorruptedFileError(f"{name}: the file ends inside its header ({size} of "
                                 f"{header} bytes); it is truncated")
    dims = struct.unpack(f">{ndim}I", bytes(data[4:header]))
    dtype = _IDX_DTYPES[code]
    expected = header + math.prod(dims) * dtype.itemsize
    if size != expected:
        problem = "it is truncated" if size < expected else "it has trailing bytes (corrupted)"
        raise CorruptedFileError(f"{name}: the header announces {'x'.join(map(str, dims))} "
                                 f"items ({expected} bytes) but the data has {size} bytes; "
                                 f"{problem}")
    arr = np.frombuffer(data, dtype=dtype, count=math.prod(dims), offset=header).reshape(dims)
    return arr if dtype.isnative or dtype.itemsize == 1 else arr.astype(dtype.newbyteorder("="))
