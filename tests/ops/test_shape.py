"""Shape ops: forward against NumPy, gradients and second derivatives, view semantics (shared
memory and version counter), PyTorch's errors and grad_fn names, and agreement with PyTorch."""

import warnings

import numpy as np
import pytest

import chainrule as torch
from tests.helpers import check_grad, check_op, compare_with_torch

# (name, chainrule fn, NumPy reference, shapes)
VIEW_CASES = [
    ("reshape", lambda x: x.reshape(2, -1), lambda x: x.reshape(2, -1), [(3, 4), (2, 0)]),
    ("reshape_fn", lambda x: torch.reshape(x, (-1,)), lambda x: x.reshape(-1), [(3, 4), ()]),
    ("view", lambda x: x.view(4, 3), lambda x: x.reshape(4, 3), [(3, 4)]),
    ("view_0d", lambda x: x.view(1, 1), lambda x: x.reshape(1, 1), [()]),
    ("flatten", lambda x: x.flatten(), lambda x: x.reshape(-1), [(2, 3, 2), (), (0, 3)]),
    ("flatten_mid", lambda x: x.flatten(1, 2), lambda x: x.reshape(2, 6, 1), [(2, 3, 2, 1)]),
    ("unflatten", lambda x: x.unflatten(1, (2, -1)), lambda x: x.reshape(3, 2, 2), [(3, 4)]),
    ("squeeze", lambda x: x.squeeze(), np.squeeze, [(1, 3, 1, 2), (), (1, 0)]),
    ("squeeze_dim", lambda x: x.squeeze(-2), lambda x: x.reshape(1, 3, 2), [(1, 3, 1, 2)]),
    ("squeeze_dims", lambda x: x.squeeze((0, 1)), lambda x: x.reshape(3, 1, 2), [(1, 3, 1, 2)]),
    ("unsqueeze", lambda x: x.unsqueeze(1), lambda x: np.expand_dims(x, 1), [(3, 4), (0, 2)]),
    ("unsqueeze_neg", lambda x: x.unsqueeze(-1), lambda x: x[..., None], [(3, 4), ()]),
    ("transpose", lambda x: x.transpose(0, -1), lambda x: np.swapaxes(x, 0, -1), [(2, 3, 4)]),
    ("swapaxes", lambda x: torch.swapaxes(x, 1, 0), lambda x: x.T, [(3, 4)]),
    ("t", lambda x: x.t(), lambda x: x.T, [(3, 4), (3,), ()]),
    ("T", lambda x: x.T, lambda x: x.T, [(3, 4)]),
    ("mT", lambda x: x.mT, lambda x: np.swapaxes(x, -1, -2), [(2, 3, 4)]),
    ("permute", lambda x: x.permute(2, 0, 1), lambda x: x.transpose(2, 0, 1), [(2, 3, 4)]),
    ("permute_tuple", lambda x: torch.permute(x, (1, 0)), lambda x: x.T, [(3, 4), (0, 2)]),
    ("movedim", lambda x: x.movedim(0, -1), lambda x: np.moveaxis(x, 0, -1), [(2, 3, 4)]),
    ("moveaxis", lambda x: torch.moveaxis(x, (0, 1), (2, 0)),
     lambda x: np.moveaxis(x, (0, 1), (2, 0)), [(2, 3, 4)]),
    ("expand", lambda x: x.expand(2, -1, 4), lambda x: np.broadcast_to(x, (2, 3, 4)),
     [(3, 1), (3, 4)]),
    ("expand_0d", lambda x: x.expand(2, 3), lambda x: np.broadcast_to(x, (2, 3)), [()]),
    ("broadcast_to", lambda x: torch.broadcast_to(x, (2, 3)),
     lambda x: np.broadcast_to(x, (2, 3)), [(1, 3), (3,)]),
    ("narrow", lambda x: x.narrow(1, 1, 2), lambda x: x[:, 1:3], [(3, 4)]),
    ("narrow_neg", lambda x: torch.narrow(x, 0, -2, 2), lambda x: x[-2:], [(3, 4)]),
    ("diagonal", lambda x: x.diagonal(), np.diagonal, [(3, 4), (4, 3), (0, 2)]),
    ("diagonal_off", lambda x: x.diagonal(1, 0, 2), lambda x: np.diagonal(x, 1, 0, 2),
     [(3, 2, 4)]),
    ("diagonal_neg", lambda x: torch.diagonal(x, -1), lambda x: np.diagonal(x, -1), [(3, 4)]),
]


@pytest.mark.parametrize("fn,ref,shapes", [c[1:] for c in VIEW_CASES],
                         ids=[c[0] for c in VIEW_CASES])
def test_view_ops(fn, ref, shapes):
    check_op(fn, ref, shapes)


COPY_CASES = [
    ("repeat", lambda x: x.repeat(2, 1, 3), lambda x: np.tile(x, (2, 1, 3)), [(3, 2), (2, 0)]),
    ("repeat_0d", lambda x: x.repeat(2), lambda x: np.tile(x, 2), [()]),
    ("tile", lambda x: torch.tile(x, (2,)), lambda x: np.tile(x, 2), [(3, 2)]),
    ("flip", lambda x: x.flip(0, -1), lambda x: np.flip(x, (0, -1)), [(3, 4), (2, 0)]),
    ("flip_list", lambda x: torch.flip(x, [1]), lambda x: x[:, ::-1], [(3, 4, 2)]),
    ("fliplr", torch.fliplr, np.fliplr, [(3, 4)]),
    ("flipud", torch.flipud, np.flipud, [(3,)]),
    ("roll", lambda x: x.roll(2), lambda x: np.roll(x, 2), [(3, 4), ()]),
    ("roll_dims", lambda x: x.roll((1, -1), (0, 1)), lambda x: np.roll(x, (1, -1), (0, 1)),
     [(3, 4)]),
    ("tril", lambda x: x.tril(), np.tril, [(3, 4), (2, 3, 3)]),
    ("triu", lambda x: torch.triu(x, diagonal=1), lambda x: np.triu(x, 1), [(3, 4), (2, 3, 3)]),
    ("tril_neg", lambda x: x.tril(-1), lambda x: np.tril(x, -1), [(4, 3)]),
    ("diag_1d", lambda x: torch.diag(x, 1), lambda x: np.diag(x, 1), [(3,)]),
    ("diag_2d", lambda x: x.diag(-1), lambda x: np.diag(x, -1), [(3, 4)]),
]


@pytest.mark.parametrize("fn,ref,shapes", [c[1:] for c in COPY_CASES],
                         ids=[c[0] for c in COPY_CASES])
def test_copying_ops(fn, ref, shapes):
    check_op(fn, ref, shapes)


def test_cat_stack_and_variants():
    check_op(lambda a, b: torch.cat([a, b], 1), lambda a, b: np.concatenate([a, b], 1),
             [((3, 2), (3, 4)), ((2, 0), (2, 3))])
    check_op(lambda a, b: torch.cat((a, b)), lambda a, b: np.concatenate([a, b]),
             [((2, 3), (1, 3))])
    check_op(lambda a, b: torch.stack([a, b], -1), lambda a, b: np.stack([a, b], -1),
             [((3, 2), (3, 2)), ((), ()), ((0,), (0,))])
    check_op(lambda a, b: torch.hstack([a, b]), lambda a, b: np.hstack([a, b]),
             [((3,), (2,)), ((2, 3), (2, 1)), ((), ())])
    check_op(lambda a, b: torch.vstack([a, b]), lambda a, b: np.vstack([a, b]),
             [((3,), (3,)), ((2, 3), (1, 3))])
    check_op(lambda a, b: torch.dstack([a, b]), lambda a, b: np.dstack([a, b]),
             [((3,), (3,)), ((2, 3), (2, 3))])
    check_op(lambda a, b: torch.column_stack([a, b]), lambda a, b: np.column_stack([a, b]),
             [((3,), (3,)), ((3, 2), (3,))])
    assert torch.concat is torch.cat and torch.concatenate is torch.cat


def test_cat_promotes_and_skips_empty_1d_tensors():
    a = torch.ones(2, 2, requires_grad=True)
    e = torch.zeros(0, dtype=torch.float64, requires_grad=True)
    r = torch.cat([a, e, torch.zeros(1, 2, dtype=torch.int64)])
    assert r.dtype == torch.float64 and r.shape == (3, 2)
    r.sum().backward()
    assert a.grad.dtype == torch.float32 and a.grad.tolist() == [[1, 1], [1, 1]]
    assert e.grad.shape == (0,)
    assert torch.cat([torch.zeros(0), torch.zeros(0)]).shape == (0,)
    i32, b = torch.zeros(1, 2, dtype=torch.int32), torch.zeros(1, 2, dtype=torch.bool)
    assert torch.cat([i32, b]).dtype == torch.int32
    assert torch.stack([torch.ones(2), torch.ones(2, dtype=torch.float64)]).dtype == torch.float64


def test_split_chunk_unbind_tensor_split():
    x = np.arange(24.0).reshape(4, 6)
    check_op(lambda t: t.split(4, 1), lambda a: tuple(np.split(a, [4], 1)), [(4, 6)])
    check_op(lambda t: torch.split(t, [1, 3], 0), lambda a: tuple(np.split(a, [1], 0)), [(4, 6)])
    check_op(lambda t: t.chunk(4, 1), lambda a: tuple(np.split(a, [2, 4], 1)), [(4, 6)])
    check_op(lambda t: t.unbind(1), lambda a: tuple(np.moveaxis(a, 1, 0)), [(3, 2)])
    check_op(lambda t: torch.tensor_split(t, 4, 1), lambda a: tuple(np.array_split(a, 4, 1)),
             [(3, 6)])
    check_op(lambda t: t.tensor_split([1, 4], 1), lambda a: tuple(np.split(a, [1, 4], 1)),
             [(3, 6)])
    t = torch.tensor(x)
    assert [p.shape[1] for p in t.split(4, 1)] == [4, 2]
    assert [p.shape[0] for p in torch.zeros(5).chunk(3)] == [2, 2, 1]
    assert [p.shape[0] for p in torch.zeros(3).chunk(5)] == [1, 1, 1]
    assert [p.shape[0] for p in torch.zeros(6).chunk(4)] == [2, 2, 2]
    assert len(torch.zeros(0).chunk(2)) == 2 and len(torch.zeros(0).split(2)) == 1
    assert [p.shape[1] for p in t.tensor_split(4, 1)] == [2, 2, 1, 1]
    # only some pieces used: the others contribute zeros
    w = torch.tensor(x, requires_grad=True)
    w.split(2)[1].sum().backward()
    assert w.grad.sum().item() == 12 and w.grad[:2].abs().sum().item() == 0


def test_broadcast_tensors_and_shapes():
    a, b, c = torch.ones(3, 1), torch.ones(2, 1, 4), torch.ones(2, 3, 4)
    ra, rb, rc = torch.broadcast_tensors(a, b, c)
    assert ra.shape == rb.shape == (2, 3, 4) and rc is c
    assert torch.broadcast_shapes((2, 1), (3,), 1) == torch.Size([2, 3])
    check_grad(lambda p, q: torch.broadcast_tensors(p, q), np.ones((3, 1)), np.ones((1, 4)))
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(4\) must match the size of "
                                           r"tensor b \(5\) at non-singleton dimension 1"):
        torch.broadcast_tensors(torch.ones(3, 4), torch.ones(5))


def test_atleast_nd():
    assert torch.atleast_1d(torch.tensor(1.0)).shape == (1,)
    assert torch.atleast_2d(torch.ones(3)).shape == (1, 3)
    assert torch.atleast_3d(torch.ones(3)).shape == (1, 3, 1)
    assert torch.atleast_3d(torch.ones(2, 3)).shape == (2, 3, 1)
    a, b = torch.atleast_2d(torch.tensor(1.0), torch.ones(2, 2, 2))
    assert a.shape == (1, 1) and b.shape == (2, 2, 2)


# ---- view semantics ---------------------------------------------------------------------------
VIEWS = {
    "reshape": lambda x: x.reshape(4, 3), "view": lambda x: x.view(-1),
    "flatten": lambda x: x.flatten(), "unflatten": lambda x: x.unflatten(0, (1, 3)),
    "squeeze": lambda x: x.unsqueeze(0).squeeze(0), "unsqueeze": lambda x: x.unsqueeze(0),
    "transpose": lambda x: x.transpose(0, 1), "t": lambda x: x.t(), "T": lambda x: x.T,
    "mT": lambda x: x.mT, "permute": lambda x: x.permute(1, 0),
    "movedim": lambda x: x.movedim(1, 0),
    "expand": lambda x: x.expand(3, 4), "narrow": lambda x: x.narrow(1, 1, 2),
    "diagonal": lambda x: x.diagonal(), "split": lambda x: x.split(2, 1)[1],
    "chunk": lambda x: x.chunk(2)[0], "unbind": lambda x: x.unbind(1)[2],
    "tensor_split": lambda x: x.tensor_split(2, 1)[1], "view_as": lambda x: x.view_as(x),
}


@pytest.mark.parametrize("make", list(VIEWS.values()), ids=list(VIEWS))
def test_views_share_memory_and_version(make):
    x = torch.arange(12.0).reshape(3, 4)
    v = make(x)
    assert np.shares_memory(v.numpy(), x.numpy())
    assert v._version is x._version and v._base is x._base
    before = x._version.value
    x.add_(1)
    assert v._version.value == before + 1
    assert float(v.sum()) == pytest.approx(float(make(torch.arange(12.0).reshape(3, 4) + 1).sum()))


@pytest.mark.parametrize("make", [VIEWS[k] for k in ("view", "transpose", "narrow", "diagonal",
                                                      "unbind", "permute", "squeeze")])
def test_inplace_change_through_view_is_caught_by_saved_base(make):
    x = torch.ones(3, 4, requires_grad=True)
    base = x * 1
    z = (base * base).sum()  # mul saves base
    with torch.no_grad():
        make(base).mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_writes_through_views_reach_the_base():
    x = torch.zeros(3, 4)
    x.t().narrow(0, 0, 1).add_(1)
    assert x.numpy()[:, 0].tolist() == [1, 1, 1]
    x.diagonal().add_(5)
    x.unbind(1)[3].sub_(2)
    np.testing.assert_array_equal(x.numpy(), [[6, 0, 0, -2], [1, 5, 0, -2], [1, 0, 5, -2]])


def test_reshape_copies_when_not_viewable_and_view_refuses():
    x = torch.arange(12.0).reshape(3, 4).t()
    r = x.reshape(12)
    assert not np.shares_memory(r.numpy(), x.numpy()) and r._base is None
    with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's size "
                                           r"and stride \(at least one dimension spans across "
                                           r"two contiguous subspaces\)\. Use \.reshape\(\.\.\.\)"):
        x.view(12)
    check_grad(lambda t: t.t().reshape(-1) * 2, np.arange(6.0).reshape(2, 3))


def test_expand_is_read_only():
    x = torch.ones(3, 1)
    e = x.expand(3, 4)
    assert np.shares_memory(e.numpy(), x.numpy()) and e.stride() == (1, 0)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        e.add_(1)
    same = x.expand(3, 1)
    same.add_(1)
    assert x.tolist() == [[2.0], [2.0], [2.0]]


def test_keyword_dims():
    x = torch.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(torch.flip(x, dims=[0, 1]).numpy(), x.numpy()[::-1, ::-1])
    assert torch.permute(x, dims=(1, 0)).shape == (3, 2)
    assert x.roll(shifts=1, dims=1).tolist() == [[2, 0, 1], [5, 3, 4]]


def test_view_dtype_and_t_transposes():
    x = torch.ones(2, dtype=torch.float32)
    assert x.view(torch.int32).dtype == torch.int32
    assert torch.ones(3).t().shape == (3,)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert torch.ones(2, 3).T.shape == (3, 2)
    with pytest.warns(UserWarning, match="deprecated"):
        assert torch.ones(2, 3, 4).T.shape == (4, 3, 2)
    assert torch.ones(2, 3, 4).mH.shape == (2, 4, 3)
    assert torch.ones(2, 3).H.shape == (3, 2)


# ---- grad_fn names and errors ------------------------------------------------------------------
def test_grad_fn_names():
    x = torch.ones(3, 4, requires_grad=True)
    names = [
        ("ViewBackward0", x.reshape(12)), ("UnsafeViewBackward0", x.t().reshape(12)),
        ("ViewBackward0", x.view(2, 6)), ("ViewBackward0", x.flatten()),
        ("SqueezeBackward0", x.squeeze()), ("SqueezeBackward1", x.squeeze(0)),
        ("SqueezeBackward2", x.squeeze((0, 1))), ("UnsqueezeBackward0", x.unsqueeze(0)),
        ("TransposeBackward0", x.transpose(0, 1)), ("TBackward0", x.t()),
        ("PermuteBackward0", x.T), ("TransposeBackward0", x.mT),
        ("PermuteBackward0", x.permute(1, 0)), ("PermuteBackward0", x.movedim(0, 1)),
        ("ExpandBackward0", x.expand(2, 3, 4)), ("RepeatBackward0", x.repeat(2, 1)),
        ("RepeatBackward0", x.tile(2)), ("CatBackward0", torch.cat([x, x])),
        ("StackBackward0", torch.stack([x, x])), ("CatBackward0", torch.hstack([x, x])),
        ("SplitBackward0", x.split(2)[0]), ("SplitWithSizesBackward0", x.split([1, 2])[0]),
        ("SplitBackward0", x.chunk(2)[0]), ("UnbindBackward0", x.unbind()[0]),
        ("SliceBackward0", x.tensor_split(2)[0]), ("FlipBackward0", x.flip(0)),
        ("FlipBackward0", x.fliplr()), ("RollBackward0", x.roll(1)),
        ("TrilBackward0", x.tril()), ("TriuBackward0", x.triu()),
        ("SliceBackward0", x.narrow(0, 1, 2)), ("DiagonalBackward0", x.diagonal()),
        ("DiagEmbedBackward0", x.narrow(0, 0, 1).squeeze(0).diag()),
    ]
    for name, t in names:
        assert t.grad_fn.name() == name


def _raises(exc, match, fn):
    with pytest.raises(exc, match=match):
        fn()


def test_errors():
    x = torch.ones(3, 4)
    _raises(RuntimeError, r"shape '\[5, 2\]' is invalid for input of size 12",
            lambda: x.view(5, 2))
    _raises(RuntimeError, "only one dimension can be inferred", lambda: x.reshape(-1, -1))
    _raises(RuntimeError, r"invalid shape dimension -2 at index 0 of shape \[-2, 6\]",
            lambda: x.view(-2, 6))
    _raises(RuntimeError, "because the unspecified dimension size -1 can be any value and is "
            "ambiguous", lambda: torch.zeros(0, 3).view(-1, 0))
    _raises(TypeError, "must be tuple of ints, but found element of type float at pos 0",
            lambda: x.view(2.0, 6))
    _raises(RuntimeError, "start_dim cannot come after end_dim", lambda: x.flatten(1, 0))
    _raises(RuntimeError, r"unflatten: Provided sizes \[3, 2\] don't multiply up to the size of "
            r"dim 1 \(4\) in the input tensor", lambda: x.unflatten(1, (3, 2)))
    _raises(IndexError, r"Dimension out of range \(expected to be in range of \[-3, 2\], but got "
            "3", lambda: x.unsqueeze(3))
    _raises(IndexError, r"expected to be in range of \[-2, 1\], but got 2",
            lambda: x.transpose(0, 2))
    _raises(RuntimeError, "t\\(\\) expects a tensor with <= 2 dimensions, but self is 3D",
            lambda: torch.ones(2, 3, 4).t())
    _raises(RuntimeError, "tensor.mT is only supported on matrices or batches of matrices. Got "
            "1-D tensor.", lambda: torch.ones(2).mT)
    _raises(RuntimeError, r"input.dim\(\) = 2 is not equal to len\(dims\) = 1",
            lambda: x.permute(0))
    _raises(RuntimeError, "duplicate dims are not allowed", lambda: x.permute(0, 0))
    _raises(RuntimeError, r"movedim: repeated dim in `destination` \(\[0, 0\]\)",
            lambda: x.movedim((0, 1), (0, 0)))
    _raises(RuntimeError, r"The expanded size of the tensor \(5\) must match the existing size "
            r"\(4\) at non-singleton dimension 1.  Target sizes: \[3, 5\].  Tensor sizes: "
            r"\[3, 4\]", lambda: x.expand(3, 5))
    _raises(RuntimeError, r"expand\(torch.FloatTensor\{\[3, 4\]\}, size=\[4\]\): the number of "
            r"sizes provided \(1\) must be greater or equal to the number of dimensions in the "
            r"tensor \(2\)", lambda: x.expand(4))
    _raises(RuntimeError, r"isn't allowed in a leading, non-existing dimension 0",
            lambda: x.expand(-1, 3, 4))
    _raises(RuntimeError, "Number of dimensions of repeat dims can not be smaller",
            lambda: x.repeat(2))
    _raises(ValueError, "expected a non-empty list of Tensors", lambda: torch.cat([]))
    _raises(RuntimeError, r"zero-dimensional tensor \(at position 0\) cannot be concatenated",
            lambda: torch.cat([torch.tensor(1.0)]))
    _raises(RuntimeError, "Sizes of tensors must match except in dimension 0. Expected size 4 but "
            "got size 5 for tensor number 1 in the list.",
            lambda: torch.cat([x, torch.ones(3, 5)]))
    _raises(RuntimeError, "Tensors must have same number of dimensions: got 2 and 1",
            lambda: torch.cat([x, torch.ones(3)]))
    _raises(TypeError, r"cat\(\): argument 'tensors' \(position 1\) must be tuple of Tensors, "
            "not Tensor", lambda: torch.cat(x))
    _raises(TypeError, "expected Tensor as element 1 in argument 0, but got int",
            lambda: torch.cat([x, 1]))
    _raises(RuntimeError, r"stack expects each tensor to be equal size, but got \[3, 4\] at entry "
            r"0 and \[3, 5\] at entry 1", lambda: torch.stack([x, torch.ones(3, 5)]))
    _raises(RuntimeError, "stack expects a non-empty TensorList", lambda: torch.stack([]))
    _raises(RuntimeError, "split_size can only be 0 if dimension size is 0",
            lambda: x.split(0))
    _raises(RuntimeError, r"split_with_sizes expects split_sizes to sum exactly to 3 \(input "
            r"tensor's size at dimension 0\), but got split_sizes=\[1, 1\]",
            lambda: x.split([1, 1]))
    _raises(RuntimeError, "split expects split_size be non-negative", lambda: x.split(-1))
    _raises(RuntimeError, "chunk expects `chunks` to be greater than 0, got: 0",
            lambda: x.chunk(0))
    _raises(IndexError, "Dimension specified as 0 but tensor has no dimensions",
            lambda: torch.tensor(1.0).unbind())
    _raises(RuntimeError, "dim 0 appears multiple times in the list of dims",
            lambda: x.flip(0, 0))
    _raises(RuntimeError, "Input must be >= 2-d.", lambda: torch.ones(3).fliplr())
    _raises(RuntimeError, "Input must be >= 1-d.", lambda: torch.tensor(1.0).flipud())
    _raises(RuntimeError, "shifts and dimensions must align. shifts: 2, dims:1",
            lambda: x.roll((1, 2), (0,)))
    _raises(RuntimeError, "tril: input tensor must have at least 2 dimensions",
            lambda: torch.ones(3).tril())
    _raises(RuntimeError, r"start \(2\) \+ length \(2\) exceeds dimension size \(3\)\.",
            lambda: x.narrow(0, 2, 2))
    _raises(IndexError, r"start out of range \(expected to be in range of \[-3, 3\], but got 5\)",
            lambda: x.narrow(0, 5, 0))
    _raises(RuntimeError, "narrow\\(\\): length must be non-negative.",
            lambda: x.narrow(0, 0, -1))
    _raises(RuntimeError, "narrow\\(\\) cannot be applied to a 0-dim tensor.",
            lambda: torch.tensor(1.0).narrow(0, 0, 1))
    _raises(RuntimeError, r"diag\(\): Supports 1D or 2D tensors. Got 3D",
            lambda: torch.ones(2, 2, 2).diag())
    _raises(RuntimeError, "diagonal dimensions cannot be identical 1, 1",
            lambda: x.diagonal(0, 1, 1))


# ---- agreement with PyTorch ---------------------------------------------------------------------
TORCH_CASES = [  # (id, fn(module, tensor)) run with chainrule and with torch
    ("reshape_t", lambda m, t: t.transpose(0, 2).reshape(4, -1)),
    ("squeeze_unsqueeze", lambda m, t: t.unsqueeze(1).squeeze(1).permute(2, 0, 1)),
    ("expand", lambda m, t: t.narrow(1, 0, 1).expand(3, 5, 4)),
    ("repeat", lambda m, t: t.repeat(1, 2, 1, 2)),
    ("cat_stack", lambda m, t: m.stack([m.cat([t, t * 2], 1), t.flip(1).repeat(1, 2, 1)])),
    ("split_cat", lambda m, t: m.cat(t.split([2, 3], 1)[::-1], 1)),
    ("chunk_unbind", lambda m, t: m.stack(t.chunk(2, 2)[1].unbind(0), 2)),
    ("roll_tril", lambda m, t: t.roll((1, 2), (1, 2)).tril(1)),
    ("diag", lambda m, t: t.diagonal(1, 1, 2).narrow(0, 1, 1).squeeze(0).diag(-1)),
    ("movedim_flatten", lambda m, t: t.movedim(0, 2).flatten(0, 1)),
    ("tensor_split", lambda m, t: t.tensor_split([1, 4], 1)[1] * t.narrow(1, 1, 3)),
    ("hvstack", lambda m, t: m.vstack([m.hstack([t, t]).narrow(1, 2, 5),
                                       m.dstack([t, t]).narrow(2, 3, 4)])),
]


@pytest.mark.parametrize("fn", [c[1] for c in TORCH_CASES], ids=[c[0] for c in TORCH_CASES])
def test_matches_torch(fn):
    real = pytest.importorskip("torch")
    compare_with_torch(lambda t: fn(torch, t), lambda t: fn(real, t),
                       np.random.default_rng(7).standard_normal((3, 5, 4)))
