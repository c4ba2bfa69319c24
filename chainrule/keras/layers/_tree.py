"""Tiny helpers over nested lists/tuples/dicts of leaves (tensors, shapes, KerasTensors)."""

from __future__ import annotations

from collections.abc import Callable


def is_shape(x) -> bool:
    """A shape is a tuple of ints/None (a leaf), as opposed to a list of shapes.

    Example:
        >>> is_shape((None, 3)), is_shape([(None, 3)])
        (True, False)
    """
    return isinstance(x, tuple) and all(d is None or isinstance(d, int) for d in x)


def flatten(struct, is_leaf: Callable | None = None) -> list:
    """The leaves of ``struct`` in order (dicts by insertion order).

    Example:
        >>> flatten([1, (2, {"a": 3})])
        [1, 2, 3]
    """
    if is_leaf is not None and is_leaf(struct):
        return [struct]
    if isinstance(struct, dict):
        return [leaf for v in struct.values() for leaf in flatten(v, is_leaf)]
    if isinstance(struct, (list, tuple)):
        return [leaf for v in struct for leaf in flatten(v, is_leaf)]
    return [struct]


def map_structure(fn: Callable, struct, is_leaf: Callable | None = None):
    """Apply ``fn`` to every leaf, keeping the nesting.

    Example:
        >>> map_structure(lambda v: v * 2, [1, (2,)])
        [2, (4,)]
    """
    if is_leaf is not None and is_leaf(struct):
        return fn(struct)
    if isinstance(struct, dict):
        return {k: map_structure(fn, v, is_leaf) for k, v in struct.items()}
    if isinstance(struct, list):
        return [map_structure(fn, v, is_leaf) for v in struct]
    if isinstance(struct, tuple):
        return tuple(map_structure(fn, v, is_leaf) for v in struct)
    return fn(struct)


def map_shapes(fn: Callable, struct):
    """Apply ``fn`` to every shape (tuple of ints/None) in a structure of shapes.

    Example:
        >>> map_shapes(len, [(None, 3), (None, 4, 5)])
        [2, 3]
    """
    return map_structure(fn, struct, is_leaf=is_shape)


def flatten_shapes(struct) -> list:
    """The shapes in a structure of shapes.

    Example:
        >>> flatten_shapes([(1, 2), [(3,)]])
        [(1, 2), (3,)]
    """
    return flatten(struct, is_leaf=is_shape)
