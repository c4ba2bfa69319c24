"""``default_collate`` and ``default_convert``: PyTorch's rules for turning samples into batches.

Collation works on the NumPy arrays behind the tensors (``np.stack`` of ``._data``), which is
both independent of the op modules and faster than stacking through the autograd layer.
"""

from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ... import _dtypes
from ..._tensor import Tensor, _grad_recorded, tensor_from_array

__all__ = [
    "collate",
    "collate_float_fn",
    "collate_int_fn",
    "collate_numpy_array_fn",
    "collate_numpy_scalar_fn",
    "collate_str_fn",
    "collate_tensor_fn",
    "default_collate",
    "default_collate_fn_map",
    "default_convert",
]

# dtype strings of NumPy arrays holding strings, bytes, unicode or objects
_NP_STR_OBJ = re.compile(r"[SaUO]")

_ERR_FORMAT = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
               "lists; found {}")


def _stack_arrays(arrays: list, what: str = "stack") -> np.ndarray:
    """``np.stack`` with PyTorch's error message for unequal shapes."""
    shape0 = arrays[0].shape
    for i, a in enumerate(arrays):
        if a.shape != shape0:
            raise RuntimeError(f"{what} expects each tensor to be equal size, but got "
                               f"{list(shape0)} at entry 0 and {list(a.shape)} at entry {i}")
    return np.stack(arrays)


def collate_tensor_fn(batch, *, collate_fn_map=None) -> Tensor:
    """Stack a list of tensors along a new first dimension (``torch.stack(batch, 0)``)."""
    if any(t._requires_grad for t in batch) and _grad_recorded(*batch):
        from ... import ops

        return ops.stack(list(batch), 0)  # keep the graph, as torch.stack would
    return Tensor._make(_stack_arrays([t._data for t in batch]))


def collate_numpy_array_fn(batch, *, collate_fn_map=None) -> Tensor:
    """Stack NumPy arrays into one tensor (string and object arrays are rejected)."""
    elem = batch[0]
    if _NP_STR_OBJ.search(elem.dtype.str) is not None:
        raise TypeError(_ERR_FORMAT.format(elem.dtype))
    return tensor_from_array(_stack_arrays([np.asarray(b) for b in batch]))


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None) -> Tensor:
    """Turn NumPy scalars into a 1-D tensor that keeps their dtype."""
    return tensor_from_array(np.array(batch))


def collate_float_fn(batch, *, collate_fn_map=None) -> Tensor:
    """Python floats become a float64 tensor (as in PyTorch)."""
    return Tensor._make(np.array(batch, dtype=np.float64))


def collate_int_fn(batch, *, collate_fn_map=None) -> Tensor:
    """Python ints become int64, bools become bool (mixed with floats: the default float)."""
    arr = np.array(batch)
    if arr.dtype.kind in "iu":
        arr = arr.astype(np.int64, copy=False)
    elif arr.dtype.kind == "f":
        arr = arr.astype(_dtypes.get_default_dtype().np, copy=False)
    elif arr.dtype.kind != "b":
        raise TypeError(_ERR_FORMAT.format(type(batch[0])))
    return Tensor._make(arr)


def collate_str_fn(batch, *, collate_fn_map=None):
    """Strings and bytes are left as they are (the batch stays a list)."""
    return batch


default_collate_fn_map: dict[type | tuple, Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def _rebuild_mapping(like, values: dict):
    """A mapping of ``like``'s type holding ``values`` (``values`` itself when the type cannot be
    rebuilt from a dict)."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)
            clone.update(values)
            return clone
        return type(like)(values)
    except TypeError:
        return values


def _rebuild_sequence(like, values: list):
    """A sequence of ``like``'s type holding ``values`` (``values`` itself when the type cannot
    be rebuilt from a list)."""
    try:
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, value in enumerate(values):
                clone[i] = value
            return clone
        return type(like)(values)
    except TypeError:
        return values


def collate(batch, *, collate_fn_map: dict | None = None):
    """Collate a list of samples with per-type functions, recursing into containers.

    ``collate_fn_map`` maps element types (or tuples of types) to functions
    ``fn(batch, *, collate_fn_map)``; exact type matches win over ``isinstance`` matches.
    Mappings are collated key by key, named tuples keep their type, other tuples become lists
    and lists keep their type.

    Args:
        batch: a non-empty sequence of samples of the same structure.
        collate_fn_map: the per-type functions (``default_collate_fn_map`` extends it).

    Returns:
        The batch with the same nesting as one sample.

    Example:
        >>> collate([{"x": 1.5}, {"x": 2.5}], collate_fn_map=default_collate_fn_map)["x"].tolist()
        [1.5, 2.5]
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        values = {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                  for key in elem}
        return _rebuild_mapping(elem, values)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # named tuple
        return elem_type(*(collate(s, collate_fn_map=collate_fn_map)
                           for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = [collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return transposed  # PyTorch returns a list for tuples (backward compatibility)
        return _rebuild_sequence(elem, transposed)
    raise TypeError(_ERR_FORMAT.format(elem_type))


def default_collate(batch):
    """Merge a list of samples into a batch, exactly as ``torch.utils.data.default_collate``.

    Tensors are stacked along a new first dimension; NumPy arrays become stacked tensors; Python
    floats a float64 tensor, ints int64, bools bool; NumPy scalars keep their dtype; strings and
    bytes stay lists; mappings are collated per key (keeping the mapping type); named tuples keep
    their type; tuples and lists are transposed (tuples come back as lists).

    Args:
        batch: a non-empty list of samples.

    Returns:
        The collated batch.

    Raises:
        RuntimeError: sequences or tensors of different sizes within the batch.
        TypeError: elements of a type that cannot be collated.

    Example:
        >>> import chainrule
        >>> samples = [(chainrule.tensor([1., 2.]), 0), (chainrule.tensor([3., 4.]), 1)]
        >>> x, y = default_collate(samples)
        >>> x.shape, y.tolist()
        (torch.Size([2, 2]), [0, 1])
        >>> default_collate([{"a": 1.0, "b": "u"}, {"a": 2.0, "b": "v"}])["b"]
        ['u', 'v']
    """
    if len(batch) == 0:
        raise ValueError("default_collate: received an empty batch; there is nothing to collate")
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data: Any):
    """Convert NumPy arrays inside ``data`` to tensors without batching them.

    The collate function the ``DataLoader`` uses when automatic batching is off
    (``batch_size=None``). Tensors are returned as they are, NumPy arrays and scalars become
    tensors (string/object arrays are left alone), containers are converted element-wise (tuples
    become lists, as in PyTorch) and anything else is returned unchanged.

    Args:
        data: one sample (or a batch the dataset already formed).

    Returns:
        ``data`` with arrays converted.

    Example:
        >>> import numpy as np
        >>> out = default_convert((np.array([1, 2]), 3))
        >>> type(out).__name__, out[0].tolist(), out[1]
        ('list', [1, 2], 3)
    """
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)) and not isinstance(data, (np.str_, np.bytes_)):
        if isinstance(data, np.ndarray) and _NP_STR_OBJ.search(data.dtype.str) is not None:
            return data
        return tensor_from_array(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        values = {key: default_convert(data[key]) for key in data}
        return _rebuild_mapping(data, values)
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data
