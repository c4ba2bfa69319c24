"""Products (matmul & co., einsum, tensordot, trace, cross) and ``chainrule.linalg``: forward
against NumPy, gradients and second derivatives, grad_fn names, PyTorch's errors."""

import math

import numpy as np
import pytest

import chainrule as torch
import chainrule.linalg as linalg  # noqa: PLR0402 - chainrule.linalg must be imported
from tests.helpers import check_grad, check_op, compare_with_torch

MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3, 4)), ((2, 3), (3,)), ((3,), (3, 4)),
                 ((2, 2, 3), (3, 4)), ((3,), (2, 3, 4)), ((2, 2, 3), (3,)),
                 ((2, 1, 2, 3), (3, 3, 2)), ((1, 2, 3), (4, 3, 2)), ((0, 3), (3, 2)),
                 ((2, 0), (0, 3))]


def test_matmul_shapes_against_numpy():
    check_op(torch.matmul, np.matmul, MATMUL_SHAPES)
    check_op(lambda a, b: a @ b, np.matmul, [((2, 3), (3, 2))], gradgrad=False)


@pytest.mark.parametrize("shapes", MATMUL_SHAPES[:9])
def test_matmul_matches_torch(shapes):
    rng = np.random.default_rng(0)
    compare_with_torch(torch.matmul, lambda *t: __import__("torch").matmul(*t),
                       *[rng.standard_normal(s) for s in shapes])


def test_matmul_backward_fast_path_equals_graph_path():
    rng = np.random.default_rng(1)
    for sa, sb in MATMUL_SHAPES[:9]:
        a = torch.tensor(rng.standard_normal(sa), requires_grad=True)
        b = torch.tensor(rng.standard_normal(sb), requires_grad=True)
        out = a @ b
        g = torch.tensor(rng.standard_normal(out.shape))
        fast = torch.autograd.grad(out, (a, b), g, retain_graph=True)
        graph = torch.autograd.grad(out, (a, b), g, create_graph=True)
        for f, h in zip(fast, graph):
            np.testing.assert_allclose(f.numpy(), h.detach().numpy(), rtol=1e-12)
            assert f.shape == h.shape


def test_matmul_grad_fn_names_and_rmatmul():
    a = torch.zeros(2, 3, requires_grad=True)
    names = {"MmBackward0": a @ torch.zeros(3, 4), "MvBackward0": a @ torch.zeros(3),
             "SqueezeBackward4": torch.zeros(2) @ a, "DotBackward0": a[0] @ a[1],
             "UnsafeViewBackward0": a @ torch.zeros(2, 3, 4),
             "BmmBackward0": torch.bmm(a[None], torch.zeros(1, 3, 2))}
    for name, out in names.items():
        assert out.grad_fn.name() == name
    assert (np.ones((4, 2), np.float32) @ torch.ones(2, 3)).shape == (4, 3)
    i = torch.tensor([[1, 2]]) @ torch.tensor([[3], [4]])
    assert i.dtype == torch.int64 and i.item() == 11


@pytest.mark.parametrize("sa,sb,msg", [
    ((2, 3), (4, 5), r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    ((3,), (4, 5), r"mat1 and mat2 shapes cannot be multiplied \(1x3 and 4x5\)"),
    ((2, 3, 4), (5, 6), r"mat1 and mat2 shapes cannot be multiplied \(6x4 and 5x6\)"),
    ((2, 3), (4,), r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)"),
    ((2, 3, 4), (3,), r"size mismatch, got input \(6\), mat \(6x4\), vec \(3\)"),
    ((3,), (4,), (r"inconsistent tensor size, expected tensor \[3\] and src \[4\] to have the "
                 "same number of elements, but got 3 and 4 elements respectively")),
    ((2, 3, 4), (2, 5, 6), (r"Expected size for first two dimensions of batch2 tensor to be: "
                           r"\[2, 4\] but got: \[2, 5\].")),
    ((2, 3, 4), (3, 4, 5), (r"The size of tensor a \(2\) must match the size of tensor b \(3\) "
                           "at non-singleton dimension 0")),
    ((), (3,), "both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
])
def test_matmul_errors(sa, sb, msg):
    with pytest.raises(RuntimeError, match=msg):
        torch.zeros(*sa) @ torch.zeros(*sb)


def test_dtype_mismatch_errors():
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: "
                                           "float != double"):
        torch.zeros(2, 3) @ torch.zeros(3, 2, dtype=torch.float64)
    with pytest.raises(RuntimeError, match="float != long int"):
        torch.mm(torch.zeros(2, 3), torch.zeros(3, 2, dtype=torch.int64))
    with pytest.raises(RuntimeError, match="dot : expected both vectors to have same dtype, but "
                                           "found Float and Long"):
        torch.dot(torch.zeros(3), torch.zeros(3, dtype=torch.int64))


def test_mm_bmm_mv_dot_vdot_outer():
    check_op(torch.mm, np.matmul, [((2, 3), (3, 4))])
    check_op(torch.bmm, np.matmul, [((2, 2, 3), (2, 3, 4))])
    check_op(torch.mv, np.matmul, [((2, 3), (3,))])
    check_op(torch.dot, np.dot, [((3,), (3,))])
    check_op(torch.vdot, np.dot, [((3,), (3,))])
    check_op(torch.outer, np.outer, [((3,), (4,))])
    assert torch.ger(torch.ones(2), torch.ones(3)).shape == (2, 3)
    errors = [(lambda: torch.mm(torch.zeros(2, 3), torch.zeros(3)), "mat2 must be a matrix"),
              (lambda: torch.mm(torch.zeros(3), torch.zeros(3, 2)), "self must be a matrix"),
              (lambda: torch.bmm(torch.zeros(2, 3), torch.zeros(4, 5)),
               "batch1 must be a 3D tensor"),
              (lambda: torch.bmm(torch.zeros(2, 3, 4), torch.zeros(3, 4, 5)),
               (r"Expected size for first two dimensions of batch2 tensor to be: \[2, 4\] but "
               r"got: \[3, 4\].")),
              (lambda: torch.mv(torch.zeros(2, 3), torch.zeros(2, 3)),
               r"vector \+ matrix @ vector expected, got 1, 2, 2"),
              (lambda: torch.dot(torch.zeros(2, 3), torch.zeros(2, 3)),
               "1D tensors expected, but got 2D and 2D tensors")]
    for fn, msg in errors:
        with pytest.raises(RuntimeError, match=msg):
            fn()


def test_addmm_addmv_baddbmm():
    check_op(lambda i, a, b: torch.addmm(i, a, b, beta=0.5, alpha=2.0),
             lambda i, a, b: 0.5 * i + 2.0 * a @ b, [((2, 4), (2, 3), (3, 4)),
                                                     ((4,), (2, 3), (3, 4))])
    x = torch.zeros(4, requires_grad=True)
    assert torch.addmm(x, torch.zeros(2, 3), torch.zeros(3, 4)).grad_fn.name() == \
        "AddmmBackward0"
    nan = torch.full((2, 2), float("nan"))
    assert torch.addmm(nan, torch.eye(2), torch.eye(2), beta=0).tolist() == [[1, 0], [0, 1]]
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(4\) must match "
                                           r"the existing size \(3\) at non-singleton dimension "
                                           "1"):
        torch.addmm(torch.zeros(3), torch.zeros(2, 3), torch.zeros(3, 4))
    check_op(lambda i, a, v: torch.addmv(i, a, v, alpha=3), lambda i, a, v: i + 3 * a @ v,
             [((2,), (2, 3), (3,))])
    check_op(lambda i, a, b: torch.baddbmm(i, a, b, beta=2), lambda i, a, b: 2 * i + a @ b,
             [((2, 2, 4), (2, 2, 3), (2, 3, 4))])


EINSUM = [("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]),
          ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]),
          ("ij->", [(2, 3)]), ("ij->ji", [(2, 3)]), ("i,j->ij", [(2,), (3,)]),
          ("...j,jk->...k", [(2, 2, 3), (3, 4)]), ("i...,i...->...", [(3, 2), (3, 2)]),
          ("ij,ij,ij->i", [(2, 3), (2, 3), (2, 3)]), ("iij->j", [(2, 2, 3)]),
          ("ij,j->i", [(2, 3), (1,)]), ("ab,cd->abcd", [(2, 1), (1, 2)]),
          ("ij,kj", [(2, 3), (4, 3)]), ("i,i->", [(0,), (0,)])]


@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum(eq, shapes):
    check_op(lambda *t: torch.einsum(eq, *t), lambda *a: np.einsum(eq, *a), [tuple(shapes)],
             noncontiguous=False)
    rng = np.random.default_rng(0)
    compare_with_torch(lambda *t: torch.einsum(eq, *t),
                       lambda *t: __import__("torch").einsum(eq, *t),
                       *[rng.standard_normal(s) for s in shapes])


def test_einsum_list_and_sublist_forms_and_errors():
    a, b = torch.randn(2, 3), torch.randn(3, 4)
    np.testing.assert_allclose(torch.einsum("ij,jk", [a, b]).numpy(), (a @ b).numpy(),
                               rtol=1e-5)
    np.testing.assert_allclose(torch.einsum(a, [0, 1], b, [1, 2], [0, 2]).numpy(),
                               (a @ b).numpy(), rtol=1e-5)
    errors = [(("ij->ik", a), "output subscript k does not appear in the equation for any input"),
              (("ij,jk", a), "fewer operands were provided than specified in the equation"),
              (("ij", a, b), "more operands were provided than specified"),
              (("ijk", a), (r"the number of subscripts in the equation \(3\) does not match the "
                           r"number of dimensions \(2\) for operand 0 and no ellipsis was given")),
              (("ij,jk", a, torch.randn(4, 4)), ("subscript j has size 4 for operand 1 which does "
                                                "not broadcast with previously seen size 3")),
              (("ij,jk", a, b.double()), "expected scalar type Float but found Double")]
    for args, msg in errors:
        with pytest.raises(RuntimeError, match=msg):
            torch.einsum(*args)


def test_einsum_result_does_not_alias_its_input():
    a = torch.zeros(2, 3)
    t = torch.einsum("ij->ji", a)
    t += 1
    assert a.sum().item() == 0.0


def test_tensordot_inner_trace_cross():
    check_op(lambda a, b: torch.tensordot(a, b, 2), lambda a, b: np.tensordot(a, b, 2),
             [((2, 3, 4), (3, 4, 2))])
    check_op(lambda a, b: torch.tensordot(a, b, ([0], [1])),
             lambda a, b: np.tensordot(a, b, ([0], [1])), [((3, 2), (4, 3))])
    check_op(torch.inner, np.inner, [((2, 3), (4, 3)), ((3,), (3,)), ((), (2,))])
    check_op(torch.trace, np.trace, [(3, 3), (2, 4)])
    check_op(lambda a, b: torch.cross(a, b, dim=1), lambda a, b: np.cross(a, b, axis=1),
             [((2, 3), (2, 3)), ((1, 3), (4, 3))])
    assert torch.trace(torch.tensor([[1, 2], [3, 4]])).dtype == torch.int64
    assert torch.trace(torch.zeros(2, 2, requires_grad=True)).grad_fn.name() == "TraceBackward0"
    with pytest.raises(RuntimeError, match="trace: expected a matrix, but got tensor with dim 1"):
        torch.trace(torch.zeros(3))
    with pytest.raises(RuntimeError, match="must have length 3"):
        torch.cross(torch.zeros(2, 4), torch.zeros(2, 4), dim=1)


# ---- chainrule.linalg ------------------------------------------------------------------------
@pytest.mark.parametrize("ord", [2, 1, math.inf, -math.inf, 3, 0.5])
def test_vector_norm(ord):
    def ref(x, axis=None):
        return np.asarray(np.linalg.norm(x.reshape(-1) if axis is None else x, ord, axis))

    check_op(lambda x: linalg.vector_norm(x, ord), ref, [(3, 4), (5,)], gradgrad=ord != 0.5)
    check_op(lambda x: linalg.vector_norm(x, ord, dim=1, keepdim=True),
             lambda x: np.linalg.norm(x, ord, axis=1, keepdims=True), [(3, 4)],
             gradgrad=ord != 0.5)


def test_vector_norm_of_zero_has_zero_gradient():
    x = torch.zeros(3, requires_grad=True)
    linalg.vector_norm(x).backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. "
                                           "Got Long"):
        linalg.vector_norm(torch.tensor([1, 2]))


@pytest.mark.parametrize("ord", ["fro", 1, -1, math.inf, -math.inf, "nuc", 2, -2])
def test_matrix_norm(ord):
    check_op(lambda x: linalg.matrix_norm(x, ord), lambda x: np.linalg.norm(x, ord, (-2, -1)),
             [(3, 4), (2, 3, 3)], gradgrad=ord not in ("nuc", 2, -2))
    x = np.random.default_rng(5).standard_normal((2, 3, 4))
    compare_with_torch(lambda t: linalg.matrix_norm(t, ord, dim=(0, 2), keepdim=True),
                       lambda t: __import__("torch").linalg.matrix_norm(t, ord, dim=(0, 2),
                                                                        keepdim=True), x)


def test_norm_dispatch_and_errors():
    x = torch.tensor([[3.0, 0.0], [0.0, 4.0]])
    assert linalg.norm(x).item() == 5.0
    assert linalg.norm(x, 1).item() == 4.0  # the matrix 1-norm of a 2-D input
    assert linalg.norm(x, dim=1).tolist() == [3.0, 4.0]
    assert linalg.norm(x, "nuc", dim=(0, 1)).item() == pytest.approx(7.0)
    assert linalg.norm(torch.zeros(2, 2, 2), ord=None).item() == 0.0
    with pytest.raises(RuntimeError, match="If dim is not specified but ord is, the input must "
                                           "be 1D or 2D. Got 3D."):
        linalg.norm(torch.zeros(2, 2, 2), 2)
    with pytest.raises(RuntimeError, match="dim must be a 2-tuple"):
        linalg.matrix_norm(x, dim=(0,))


def _well_conditioned(*shape):
    rng = np.random.default_rng(7)
    return rng.standard_normal(shape) + 3 * np.eye(shape[-1])


def test_inv_det_slogdet_solve():
    a = _well_conditioned(2, 3, 3)
    check_grad(linalg.inv, a)
    check_grad(linalg.det, a)
    check_grad(lambda t: linalg.slogdet(t).logabsdet, a)
    b = np.random.default_rng(8).standard_normal((2, 3, 2))
    check_grad(linalg.solve, a, b)
    check_grad(linalg.solve, a[0], b[0, :, 0])
    check_grad(lambda x, y: linalg.solve(x, y, left=False), a, b.transpose(0, 2, 1))
    t = torch.tensor(a)
    np.testing.assert_allclose(linalg.inv(t).numpy(), np.linalg.inv(a))
    np.testing.assert_allclose(linalg.det(t).numpy(), np.linalg.det(a))
    sign, logabs = linalg.slogdet(t)
    np.testing.assert_allclose(sign.numpy() * np.exp(logabs.numpy()), np.linalg.det(a))
    compare_with_torch(linalg.solve, lambda *t: __import__("torch").linalg.solve(*t), a, b)
    compare_with_torch(linalg.inv, lambda t: __import__("torch").linalg.inv(t), a)


def test_linalg_errors():
    with pytest.raises(linalg.LinAlgError, match="singular"):
        linalg.inv(torch.zeros(2, 2))
    with pytest.raises(RuntimeError, match="A must be batches of square matrices, but they are 2 "
                                           "by 3 matrices"):
        linalg.det(torch.zeros(2, 3))
    with pytest.raises(RuntimeError, match="Incompatible shapes of A and B"):
        linalg.solve(torch.eye(3), torch.zeros(2, 1))


def test_products_in_linalg_namespace():
    a = _well_conditioned(3, 3)
    check_grad(lambda t: linalg.matrix_power(t, 3), a)
    check_grad(lambda t: linalg.matrix_power(t, -2), a)
    assert linalg.matrix_power(torch.tensor(a), 0).tolist() == np.eye(3).tolist()
    check_grad(lambda x, y, z: linalg.multi_dot([x, y, z]), a[0], a, a[:, 1])
    check_op(lambda x, y: linalg.vecdot(x, y), lambda x, y: (x * y).sum(-1),
             [((2, 3), (3,))])
    check_op(lambda x, y: linalg.cross(x, y), lambda x, y: np.cross(x, y), [((2, 3), (2, 3))])
    assert linalg.matmul is torch.matmul
