"""A minimal pytree: nested tuples, lists and dicts with arbitrary leaves (tensors, numbers).

``tree_flatten`` lists the leaves in a fixed order with a spec to rebuild the structure;
``tree_unflatten`` rebuilds it from new leaves. Namedtuples keep their type. ``None`` is a leaf.
"""

from __future__ import annotations

__all__ = ["LEAF", "tree_flatten", "tree_map", "tree_unflatten"]

LEAF = "*"  # the spec of a leaf


def _is_namedtuple(obj) -> bool:
    return isinstance(obj, tuple) and hasattr(type(obj), "_fields")


def tree_flatten(obj):
    """``(leaves, spec)`` for ``obj``.

    Example:
        >>> tree_flatten((1, [2, {"a": 3}]))
        ([1, 2, 3], ('tuple', ('*', ('list', ('*', ('dict', ('*',), ('a',)))))))
    """
    leaves: list = []
    spec = _flatten(obj, leaves)
    return leaves, spec


def _flatten(obj, leaves: list):
    if isinstance(obj, dict):
        keys = tuple(obj)
        return ("dict", tuple(_flatten(obj[k], leaves) for k in keys), keys)
    if _is_namedtuple(obj):
        return ("namedtuple", tuple(_flatten(v, leaves) for v in obj), type(obj))
    if isinstance(obj, (tuple, list)):
        return (type(obj).__name__, tuple(_flatten(v, leaves) for v in obj))
    leaves.append(obj)
    return LEAF


def tree_unflatten(leaves, spec):
    """Rebuild the structure ``spec`` describes with ``leaves`` in order.

    Example:
        >>> leaves, spec = tree_flatten({"w": 1, "b": (2, 3)})
        >>> tree_unflatten([10, 20, 30], spec)
        {'w': 10, 'b': (20, 30)}
    """
    it = iter(leaves)
    return _unflatten(it, spec)


def _unflatten(it, spec):
    if spec == LEAF:
        return next(it)
    kind = spec[0]
    children = [_unflatten(it, s) for s in spec[1]]
    if kind == "dict":
        return dict(zip(spec[2], children))
    if kind == "namedtuple":
        return spec[2](*children)
    return tuple(children) if kind == "tuple" else list(children)


def tree_map(fn, obj):
    """``obj`` with ``fn`` applied to every leaf.

    Example:
        >>> tree_map(lambda v: v * 2, [1, (2, 3)])
        [2, (4, 6)]
    """
    leaves, spec = tree_flatten(obj)
    return tree_unflatten([fn(v) for v in leaves], spec)


def spec_str(spec) -> str:
    """A short readable form of a spec, for error messages."""
    if spec == LEAF:
        return LEAF
    inner = ", ".join(spec_str(s) for s in spec[1])
    if spec[0] == "dict":
        inner = ", ".join(f"{k!r}: {spec_str(s)}" for k, s in zip(spec[2], spec[1]))
        return "{" + inner + "}"
    return f"[{inner}]" if spec[0] == "list" else f"({inner})"
