"""Tangent rules for the structural ops: views and reshapes, joining and splitting, indexing,
gather/scatter, conversions, meshgrid, and the in-place-on-view bookkeeping nodes.

All of them are linear in their floating-point tensor arguments, so the tangent is the same op
applied to the tangents (zeros standing in for an argument without one).
"""

from __future__ import annotations

from importlib import import_module

import numpy as np

from .. import ops
from .._tensor import Tensor
from ._jvp_rules import const, linear, linear_in_first, register, tangent_or_zero

# the op modules (imported by path: some names are rebound to functions in chainrule.ops)
IP = import_module("chainrule.ops._inplace")
CV = import_module("chainrule.ops.conversion")
CR = import_module("chainrule.ops.creation")
IX = import_module("chainrule.ops.indexing")
J = import_module("chainrule.ops.joining")
SC = import_module("chainrule.ops.scatter")
SH = import_module("chainrule.ops.shape")

# ---- views (subclasses such as UnsafeView, Squeeze, Unsqueeze inherit View's rule) -----------
for _name in ("View", "Transpose", "T", "Permute", "Expand", "Narrow", "NarrowScatter",
              "Diagonal", "DiagonalScatter"):  # DiagEmbed inherits DiagonalScatter's
    register(SH, _name, linear_in_first(getattr(SH, _name)))

# ---- joining and splitting ---------------------------------------------------------------------
register(J, "Cat", linear(J.Cat, 2))  # (dim, dtype, *tensors)
register(J, "Stack", linear(J.Stack, 2))
for _name in ("Repeat", "Flip", "Roll", "Tril", "Triu", "DiagonalCopy", "Split", "Unbind"):
    register(J, _name, linear_in_first(getattr(J, _name)))  # SplitWithSizes inherits Split's

# ---- indexing ----------------------------------------------------------------------------------
register(IX, "Index", linear_in_first(IX.Index))
register(IX, "IndexPutZeros", linear_in_first(IX.IndexPutZeros))
register(IX, "IndexPut", linear(IX.IndexPut, (0, 1)))  # (x, value, key, accumulate)
register(IX, "IndexAdd", linear(IX.IndexAdd, (0, 1)))  # (x, source, dim, index, alpha)

# ---- gather / scatter / where ------------------------------------------------------------------
register(SC, "Gather", linear_in_first(SC.Gather))
register(SC, "ScatterAddZeros", linear_in_first(SC.ScatterAddZeros))
register(SC, "Scatter", linear(SC.Scatter, (0, 1)))  # (x, src, dim, index)
register(SC, "ScatterAdd", linear(SC.ScatterAdd, (0, 1)))
register(SC, "Where", linear(SC.Where, (1, 2)))  # (cond, x, y, dtype); MaskedFill inherits
register(SC, "MaskedSelect", linear_in_first(SC.MaskedSelect))

# ---- conversions -------------------------------------------------------------------------------
register(CV, "ToCopy", linear_in_first(CV.ToCopy))
register(CV, "Clone", linear_in_first(CV.Clone))


def _copy_from(ctx, args, ts, outs):
    """``old.copy_(src)``: the old values are overwritten, so only ``src``'s tangent counts."""
    if ts[1] is None:
        return None
    return CV.CopyFrom.apply(args[0].detach(), ts[1])


register(CV, "CopyFrom", _copy_from)

# ---- meshgrid ----------------------------------------------------------------------------------
register(CR, "_GridExpand", linear_in_first(CR._GridExpand))
register(CR, "_GridSum", linear_in_first(CR._GridSum))


# ---- in-place changes through views (CopySlices and the re-expressed view) -------------------
def _write_into_base(ctx, args, ts, outs):
    base, positions = args[0], args[2]
    tb = tangent_or_zero(args, ts, 0)
    tv = tangent_or_zero(args, ts, 1)
    if not isinstance(tv, Tensor):
        tv = tb.new_full(positions.shape, float(tv))
    flat = ops.index_put(tb.reshape(-1), (const(positions.reshape(-1)),), tv.reshape(-1))
    return flat.reshape(base.shape)


def _select_from_base(ctx, args, ts, outs):
    return ops.take(ts[0], const(np.asarray(args[2])))


register(IP, "_WriteIntoBase", _write_into_base)
register(IP, "_SelectFromBase", _select_from_base)
