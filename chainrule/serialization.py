"""``save`` and ``load``: checkpoints in a pickle-free, safetensors-compatible file.

File layout (the safetensors format)::

    8 bytes   little-endian u64: N, the header's length
    N bytes   UTF-8 JSON header, padded with spaces to a multiple of 8:
              {"__metadata__": {...}, "<name>": {"dtype": "F32", "shape": [2, 3],
                                                  "data_offsets": [begin, end]}, ...}
    ...       the tensors' raw little-endian bytes, back to back, in ``data_offsets`` order

Everything that is not a tensor (the nesting of dicts, lists and tuples, numbers, strings,
None, bools; which entries are tensors) is a JSON document stored as a string in
``__metadata__["chainrule"]``, beside ``"format": "pt"`` and a CRC-32 of the tensor bytes. A
model's ``state_dict`` keeps its keys as tensor names, so ``safetensors.numpy.load_file`` and
``safetensors.torch.load_file`` read it directly, and ``load`` reads files written by
safetensors. Loading never runs code from the file.
"""

from __future__ import annotations

import base64
import collections
import io
import json
import math
import os
import struct
import uuid
import zlib
from typing import Any, BinaryIO

import numpy as np

from . import _dtypes
from ._device import check_device
from ._device import device as _device
from ._tensor import Size, Tensor

__all__ = ["load", "save"]

_FORMAT_VERSION = "1"
_MAX_HEADER = 100_000_000  # safetensors' own limit
_TO_ST = {np.dtype(np.float16): "F16", np.dtype(np.float32): "F32", np.dtype(np.float64): "F64",
          np.dtype(np.int8): "I8", np.dtype(np.int16): "I16", np.dtype(np.int32): "I32",
          np.dtype(np.int64): "I64", np.dtype(np.uint8): "U8", np.dtype(np.bool_): "BOOL",
          np.dtype(np.uint16): "U16", np.dtype(np.uint32): "U32", np.dtype(np.uint64): "U64"}
_FROM_ST = {v: k for k, v in _TO_ST.items()}
_ZIP_MAGIC = b"PK\x03\x04"


class _Encoder:
    """Turns an object tree into JSON-able nodes, collecting its arrays as named tensors."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.by_id: dict[int, str] = {}
        self.active: set[int] = set()

    def name_for(self, obj, path: list[str], array: np.ndarray) -> str:
        if id(obj) in self.by_id:  # the same tensor twice is stored once
            return self.by_id[id(obj)]
        base = ".".join(path) or "tensor"
        name, k = base, 1
        while name in self.arrays or name == "__metadata__":
            k += 1
            name = f"{base}#{k}"
        self.arrays[name] = array
        self.by_id[id(obj)] = name
        return name

    def encode(self, obj, path: list[str]):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            return float(obj) if math.isfinite(obj) else {"$": "float", "v": repr(float(obj))}
        if isinstance(obj, Tensor):
            node = {"$": "tensor", "key": self.name_for(obj, path, obj._data)}
            if obj._requires_grad:
                node["requires_grad"] = True
            if type(obj).__name__ == "Parameter":
                node["parameter"] = True
            return node
        if isinstance(obj, np.ndarray):
            return {"$": "ndarray", "key": self.name_for(obj, path, obj)}
        if isinstance(obj, np.generic):
            if isinstance(obj, (np.str_, np.bytes_)):
                return self.encode(obj.item(), path)
            return {"$": "npscalar", "key": self.name_for(obj, path, np.asarray(obj))}
        if isinstance(obj, _dtypes.dtype):
            return {"$": "dtype", "v": obj.name}
        if isinstance(obj, _device):
            return {"$": "device", "v": str(obj)}
        if isinstance(obj, complex):
            return {"$": "complex", "v": [repr(obj.real), repr(obj.imag)]}
        if isinstance(obj, (bytes, bytearray)):
            return {"$": "bytes", "v": base64.b64encode(bytes(obj)).decode("ascii")}
        if isinstance(obj, (dict, list, tuple, set, frozenset)):
            if id(obj) in self.active:
                raise ValueError(f"chainrule.save: the object contains itself (at "
                                 f"'{'.'.join(path)}'); reference cycles cannot be saved")
            self.active.add(id(obj))
            try:
                return self.encode_container(obj, path)
            finally:
                self.active.discard(id(obj))
        raise TypeError(
            f"chainrule.save: cannot save an object of type {type(obj).__module__}."
            f"{type(obj).__qualname__} (at '{'.'.join(path) or '<root>'}'). Checkpoints hold "
            "tensors, NumPy arrays, numbers, strings, bytes, None and (nested) dicts, lists, "
            "tuples and sets of them; code and arbitrary objects are never pickled. Save "
            "obj.state_dict() for modules, optimizers and schedulers.")

    def encode_container(self, obj, path: list[str]):
        if isinstance(obj, dict):
            items = [(k, self.encode(v, path + [str(k)])) for k, v in obj.items()]
            tag = "odict" if isinstance(obj, collections.OrderedDict) else "dict"
            if all(isinstance(k, str) for k in obj):
                return {"$": tag, "v": dict(items)}
            return {"$": tag, "items": [[self.encode(k, path + ["<key>"]), v] for k, v in items]}
        if isinstance(obj, (set, frozenset)):
            tag = "set" if isinstance(obj, set) else "frozenset"
            return {"$": tag, "v": [self.encode(v, path + [str(i)]) for i, v in enumerate(obj)]}
        values = [self.encode(v, path + [str(i)]) for i, v in enumerate(obj)]
        if isinstance(obj, Size):
            return {"$": "size", "v": values}
        return values if isinstance(obj, list) else {"$": "tuple", "v": values}


def _little_endian(a: np.ndarray) -> np.ndarray:
    if a.dtype.newbyteorder("=") not in _TO_ST:
        raise TypeError(f"chainrule.save: arrays of dtype {a.dtype} cannot be saved; supported: "
                        f"{', '.join(str(d) for d in _TO_ST)}")
    if a.dtype.byteorder == ">" or (a.dtype.byteorder == "=" and not _NATIVE_LITTLE):
        a = a.astype(a.dtype.newbyteorder("<"))
    return a if a.flags.c_contiguous else a.copy(order="C")  # (ascontiguousarray makes 0-d 1-d)


_NATIVE_LITTLE = np.little_endian


def _bytes_of(a: np.ndarray) -> memoryview:
    return memoryview(a.reshape(-1).view(np.uint8))


def _write_array(fh: BinaryIO, a: np.ndarray) -> None:
    fh.write(_bytes_of(a))


def _serialize(obj) -> tuple[bytes, list[np.ndarray]]:
    """The header bytes (length prefix included) and the arrays to write after it."""
    enc = _Encoder()
    tree = enc.encode(obj, [])
    names = list(enc.arrays)
    arrays = [_little_endian(enc.arrays[n]) for n in names]
    # Largest items first keeps every tensor aligned to its element size, like safetensors.
    order = sorted(range(len(names)), key=lambda i: -arrays[i].dtype.itemsize)
    header: dict[str, Any] = {}
    offset, crc, ordered = 0, 0, []
    for i in order:
        a = arrays[i]
        header[names[i]] = {"dtype": _TO_ST[a.dtype.newbyteorder("=")],
                            "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        crc = zlib.crc32(_bytes_of(a), crc)
        ordered.append(a)
    header["__metadata__"] = {"format": "pt", "chainrule_version": _FORMAT_VERSION,
                              "chainrule_crc32": str(crc),
                              "chainrule": json.dumps(tree, separators=(",", ":"))}
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-(8 + len(raw)) % 8)
    return struct.pack("<Q", len(raw)) + raw, ordered


def _write(fh: BinaryIO, head: bytes, arrays: list[np.ndarray]) -> None:
    fh.write(head)
    for a in arrays:
        _write_array(fh, a)


def save(obj, f, pickle_module=None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True) -> None:
    """Save tensors and plain Python data to a file, atomically and without pickle.

    ``obj`` may be a tensor, a ``state_dict`` (key order is kept; ``OrderedDict`` stays
    ``OrderedDict``), an optimizer's or scheduler's ``state_dict`` (int keys and tuples are
    kept) or any nesting of dicts, lists, tuples and sets of tensors, NumPy arrays, numbers,
    strings, bytes, bools and None. A tensor that appears twice is stored once and loads as one
    object. Writing to a path goes to a temporary file in the same directory, is flushed to
    disk (``fsync``) and then renamed over ``f``, so a crash or an error never leaves a
    half-written checkpoint: the old file stays as it was.

    Args:
        obj: what to save.
        f: a path (``str`` or ``os.PathLike``) or a binary file object opened for writing.
        pickle_module, pickle_protocol, _use_new_zipfile_serialization: accepted for
            compatibility with ``torch.save`` and ignored (nothing is pickled).

    Raises:
        TypeError: ``obj`` contains something other than the types above.

    Example:
        >>> import io, chainrule
        >>> buf = io.BytesIO()
        >>> chainrule.serialization.save({"w": chainrule.tensor([1.0, 2.0]), "epoch": 3}, buf)
        >>> _ = buf.seek(0)
        >>> ck = chainrule.serialization.load(buf)
        >>> ck["w"].tolist(), ck["epoch"]
        ([1.0, 2.0], 3)

    Resuming training (the usual checkpoint; ``model``, ``optimizer``, ``scheduler`` are any
    ``nn.Module``, ``optim.Optimizer`` and ``lr_scheduler`` objects)::

        torch.save({"epoch": epoch,
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "rng": torch.get_rng_state()}, "checkpoint.pt")
        # ... later, after building the same model, optimizer and scheduler:
        ck = torch.load("checkpoint.pt")
        model.load_state_dict(ck["model"])
        optimizer.load_state_dict(ck["optimizer"])
        scheduler.load_state_dict(ck["scheduler"])
        torch.set_rng_state(ck["rng"])
        start_epoch = ck["epoch"] + 1

    ``examples/resume_training.py`` runs this end to end.
    """
    head, arrays = _serialize(obj)
    if not isinstance(f, (str, bytes, os.PathLike)):
        if not hasattr(f, "write"):
            raise TypeError(f"chainrule.save: f must be a path or a binary file object, "
                            f"received {type(f).__name__}")
        _write(f, head, arrays)
        return
    path = os.fspath(f)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"chainrule.save: the directory {directory!r} does not exist")
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            _write(fh, head, arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)


def _fsync_dir(directory: str) -> None:
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


class _Corrupt(RuntimeError):
    pass


def _read_exact(fh: BinaryIO, n: int, what: str, name: str) -> bytes:
    data = fh.read(n)
    if len(data) != n:
        raise _Corrupt(f"{name}: the file ends after {len(data)} of the {n} bytes of {what}; "
                       "it is truncated (an interrupted copy or download?)")
    return data


def _read_header(fh: BinaryIO, name: str) -> dict:
    first = fh.read(8)
    if first[:4] == _ZIP_MAGIC:
        raise _Corrupt(f"{name} is a PyTorch pickle checkpoint (torch.save's zip format). "
                       "chainrule.load reads only safetensors-style files and never unpickles. "
                       "Convert it in PyTorch with: from safetensors.torch import save_file; "
                       "save_file(torch.load(path), 'model.safetensors')")
    if len(first) < 8:
        raise _Corrupt(f"{name}: the file has only {len(first)} bytes; a checkpoint starts with "
                       "an 8-byte header length. It is empty or truncated")
    (n,) = struct.unpack("<Q", first)
    if n > _MAX_HEADER:
        raise _Corrupt(f"{name}: the header length field reads {n} bytes, which is not "
                       "plausible; this is not a chainrule/safetensors file or it is corrupted")
    raw = _read_exact(fh, n, "the JSON header", name)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _Corrupt(f"{name}: the header is not valid JSON ({exc}); the file is corrupted or "
                       "not a chainrule/safetensors file") from None
    if not isinstance(header, dict):
        raise _Corrupt(f"{name}: the header is not a JSON object; the file is corrupted")
    return header


def _read_arrays(fh: BinaryIO, header: dict, name: str) -> tuple[dict, int]:
    entries = []
    for key, info in header.items():
        if key == "__metadata__":
            continue
        try:
            dtype = _FROM_ST[info["dtype"]] if info["dtype"] != "BF16" else np.dtype(np.uint16)
            shape = tuple(int(s) for s in info["shape"])
            begin, end = (int(x) for x in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise _Corrupt(f"{name}: the header entry for tensor {key!r} is malformed or has "
                           f"an unsupported dtype: {info!r}") from None
        nbytes = math.prod(shape) * dtype.itemsize
        if end - begin != nbytes or begin < 0:
            raise _Corrupt(f"{name}: tensor {key!r} of shape {list(shape)} and dtype {dtype} "
                           f"needs {nbytes} bytes but its offsets {[begin, end]} span "
                           f"{end - begin}; the file is corrupted")
        entries.append((begin, end, key, dtype, shape, info["dtype"] == "BF16"))
    entries.sort()
    out, pos, crc = {}, 0, 0
    for begin, end, key, dtype, shape, bf16 in entries:
        if begin != pos:
            raise _Corrupt(f"{name}: tensor {key!r} starts at byte {begin} of the data, expected "
                           f"{pos}; the offsets overlap or leave gaps (corrupted file)")
        arr = np.empty(shape, dtype=dtype.newbyteorder("<"))
        buf = _bytes_of(arr)
        got = fh.readinto(buf) if arr.nbytes else 0
        while got < arr.nbytes:  # readinto may return short counts on pipes and sockets
            more = fh.readinto(buf[got:])
            if not more:
                raise _Corrupt(f"{name}: the file ends inside tensor {key!r} ({got} of "
                               f"{arr.nbytes} bytes); it is truncated")
            got += more
        crc = zlib.crc32(buf, crc)
        arr = arr if _NATIVE_LITTLE else arr.astype(dtype)
        if bf16:  # NumPy has no bfloat16: widen to float32 (bfloat16 is its top 16 bits)
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        out[key] = arr
        pos = end
    if fh.read(1):
        raise _Corrupt(f"{name}: unexpected bytes after the last tensor; the file is corrupted")
    return out, crc


class _Decoder:
    def __init__(self, arrays: dict, map_location) -> None:
        self.arrays = arrays
        self.map_location = map_location
        self.tensors: dict[str, Any] = {}

    def tensor(self, key: str, node: dict):
        if key in self.tensors:
            return self.tensors[key]
        if key not in self.arrays:
            raise _Corrupt(f"the checkpoint's structure refers to tensor {key!r}, which is "
                           "missing from the file")
        arr = self.arrays[key]
        if arr.dtype not in _dtypes._FROM_NUMPY:  # e.g. U16/U32 from another writer
            arr = arr.astype(np.int64)
        if node.get("parameter"):
            try:
                from .nn.parameter import Parameter

                t = Parameter(Tensor._make(arr), requires_grad=bool(node.get("requires_grad")))
            except ImportError:
                t = Tensor._make(arr, requires_grad=bool(node.get("requires_grad")))
        else:
            t = Tensor._make(arr, requires_grad=bool(node.get("requires_grad")))
        if callable(self.map_location):
            mapped = self.map_location(t, "cpu")
            t = mapped if isinstance(mapped, Tensor) else t
        self.tensors[key] = t
        return t

    def decode(self, node):
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict):
            return node
        tag = node.get("$")
        if tag in ("dict", "odict"):
            cls = collections.OrderedDict if tag == "odict" else dict
            if "items" in node:
                return cls((self.decode_key(k), self.decode(v)) for k, v in node["items"])
            return cls((k, self.decode(v)) for k, v in node["v"].items())
        if tag == "tensor":
            return self.tensor(node["key"], node)
        if tag == "ndarray":
            return self.arrays[node["key"]]
        if tag == "npscalar":
            return self.arrays[node["key"]][()]
        if tag == "tuple":
            return tuple(self.decode(v) for v in node["v"])
        if tag == "size":
            return Size(self.decode(v) for v in node["v"])
        if tag in ("set", "frozenset"):
            return (set if tag == "set" else frozenset)(self.decode_key(v) for v in node["v"])
        if tag == "float":
            return float(node["v"])
        if tag == "complex":
            return complex(float(node["v"][0]), float(node["v"][1]))
        if tag == "bytes":
            return base64.b64decode(node["v"])
        if tag == "dtype":
            return _dtypes.to_dtype(node["v"])
        if tag == "device":
            return _device(node["v"])
        raise _Corrupt(f"unknown entry {tag!r} in the checkpoint's structure (written by a newer "
                       "chainrule?)")

    def decode_key(self, node):
        key = self.decode(node)
        return tuple(key) if isinstance(key, list) else key


def _check_map_location(map_location) -> None:
    if map_location is None or callable(map_location):
        return
    if isinstance(map_location, dict):
        for target in map_location.values():
            check_device(target, "chainrule.load(map_location)")
        return
    check_device(map_location, "chainrule.load(map_location)")


def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = True,
         mmap: bool | None = None, **pickle_load_args):
    """Load what ``save`` wrote (or any safetensors file); never executes code from the file.

    Args:
        f: a path or a binary file object opened for reading.
        map_location: where tensors go: None, ``'cpu'``, a ``device``, a dict of location
            remappings, or a function ``fn(tensor, 'cpu')`` returning the tensor to use.
            chainrule computes on the CPU, so other devices raise an error.
        pickle_module, mmap, **pickle_load_args: accepted for compatibility and ignored.
        weights_only: accepted for compatibility; loading is always weights-only safe, as no
            code can run from a checkpoint.

    Returns:
        The saved object. A plain safetensors file loads as a ``dict`` of tensors in file order.

    Raises:
        RuntimeError: the file is truncated, corrupted (CRC mismatch), or not a chainrule or
            safetensors file (e.g. a PyTorch pickle checkpoint).

    Example:
        >>> import io, chainrule
        >>> from collections import OrderedDict
        >>> buf = io.BytesIO()
        >>> sd = OrderedDict(b=chainrule.tensor([1]), a=chainrule.tensor([2.5]))
        >>> save({"state": {0: {"step": 3}}, "groups": [{"betas": (0.9, 0.99)}], "sd": sd}, buf)
        >>> _ = buf.seek(0)
        >>> ck = load(buf)
        >>> ck["state"][0]["step"], ck["groups"][0]["betas"], list(ck["sd"])
        (3, (0.9, 0.99), ['b', 'a'])
    """
    _check_map_location(map_location)
    if isinstance(f, (str, bytes, os.PathLike)):
        name = os.fsdecode(os.fspath(f))
        with open(name, "rb") as fh:
            return _load(fh, name, map_location)
    if isinstance(f, (bytes, bytearray, memoryview)):
        return _load(io.BytesIO(f), "<bytes>", map_location)
    if not hasattr(f, "read"):
        raise TypeError(f"chainrule.load: f must be a path or a binary file object, received "
                        f"{type(f).__name__}")
    return _load(f, getattr(f, "name", "<file object>"), map_location)


def _load(fh: BinaryIO, name: str, map_location):
    header = _read_header(fh, name)
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict):
        raise _Corrupt(f"{name}: __metadata__ is not a JSON object; the file is corrupted")
    arrays, crc = _read_arrays(fh, header, name)
    expected = meta.get("chainrule_crc32")
    if expected is not None and str(crc) != expected:
        raise _Corrupt(f"{name}: the tensor data does not match its checksum (CRC-32 {crc}, "
                       f"expected {expected}); the file is corrupted")
    decoder = _Decoder(arrays, map_location)
    tree = meta.get("chainrule")
    if tree is None:  # a plain safetensors file
        return {key: decoder.tensor(key, {}) for key in arrays}
    try:
        return decoder.decode(json.loads(tree))
    except _Corrupt as exc:
        raise _Corrupt(f"{name}: {exc}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _Corrupt(f"{name}: the checkpoint's structure is malformed ({exc!r}); the file "
                       "is corrupted") from None
