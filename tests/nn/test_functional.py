"""``chainrule.nn.functional``: the namespace (real re-exports, PyTorch's names and signatures)
and the functions it defines itself: one_hot, distances, normalize, gumbel_softmax, the
relu/sigmoid/tanh wrappers and the in-place activations."""

import ast
import importlib
import inspect
import re

import numpy as np
import pytest

import chainrule as torch
import chainrule.nn.functional as F
from tests.helpers import assert_close, check_grad, compare_with_torch

RNG = np.random.default_rng(1)

# The functional API the course and ordinary PyTorch code use, and where each op lives.
REEXPORTS = {
    "activation": ["relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish",
                   "hardtanh", "hardsigmoid", "hardswish", "softplus", "softsign", "threshold",
                   "prelu", "logsigmoid", "glu", "rrelu", "hardshrink", "softshrink",
                   "tanhshrink"],
    "softmax": ["softmax", "log_softmax"],
    "linear": ["linear", "bilinear"],
    "conv": ["conv1d", "conv2d", "conv_transpose2d"],
    "conv_fold": ["unfold", "fold"],
    "pooling": ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool2d",
                "adaptive_max_pool2d"],
    "dropout": ["dropout", "dropout2d"],
    "normalization": ["batch_norm", "layer_norm", "group_norm"],
    "embedding": ["embedding"],
    "resample": ["pad", "interpolate"],
    "loss": ["cross_entropy", "nll_loss"],
    "loss_regression": ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "kl_div",
                        "poisson_nll_loss", "gaussian_nll_loss"],
    "loss_binary": ["binary_cross_entropy", "binary_cross_entropy_with_logits",
                    "soft_margin_loss", "multilabel_soft_margin_loss"],
    "loss_margin": ["multi_margin_loss", "multilabel_margin_loss", "hinge_embedding_loss",
                    "cosine_embedding_loss", "margin_ranking_loss", "triplet_margin_loss",
                    "triplet_margin_with_distance_loss"],
    "loss_distance": ["cosine_similarity", "pairwise_distance", "pdist", "normalize"],
}
OWN = ["relu", "sigmoid", "tanh", "relu_", "elu_", "leaky_relu_", "hardtanh_", "threshold_",
       "celu_", "selu_", "rrelu_", "one_hot", "gumbel_softmax", "softmin"]
OWN_PLUS_LOSSES = OWN + [n for k, v in REEXPORTS.items() if k.startswith("loss") for n in v]


@pytest.mark.parametrize("family", sorted(REEXPORTS))
def test_reexports_are_the_ops_themselves(family):
    module = importlib.import_module(f"chainrule.ops.{family}")
    for name in REEXPORTS[family]:
        assert getattr(F, name) is getattr(module, name), name
        assert name in F.__all__


def test_all_names_exist_and_are_documented():
    for name in F.__all__:
        fn = getattr(F, name)
        assert callable(fn), name
        assert fn.__doc__ and fn.__doc__.strip(), f"{name} has no docstring"
    for name in OWN:
        assert name in F.__all__


def _torch_signature(fn, name):
    """PyTorch's signature, parsed from the first docstring line for C builtins."""
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        match = re.match(rf"{name}\((.*)\)", (fn.__doc__ or "").strip().splitlines()[0])
        args = re.sub(r"(\d)\.(?!\d)", r"\1.0", match.group(1)).replace("1.0/8", "0.125")
        args = args.replace("1.0/3", "0.3333333333333333")
        namespace = {}
        exec(compile(ast.parse(f"def f({args}): pass"), "<sig>", "exec"), namespace)  # noqa: S102
        return inspect.signature(namespace["f"])


def _params(sig):
    return [(p.name, p.kind == p.KEYWORD_ONLY,
             None if p.default is p.empty else p.default)
            for p in sig.parameters.values() if p.name != "_stacklevel"]


@pytest.mark.parametrize("name", OWN_PLUS_LOSSES)
def test_signatures_match_pytorch(name):
    th = pytest.importorskip("torch")
    ours = _params(inspect.signature(getattr(F, name)))
    theirs = _params(_torch_signature(getattr(th.nn.functional, name), name))
    assert [p[:2] for p in ours] == [p[:2] for p in theirs]
    for (pname, _, a), (_, _, b) in zip(ours, theirs):
        assert a == pytest.approx(b) if isinstance(b, float) else a == b, pname


# ---- one_hot ----------------------------------------------------------------------------------
def test_one_hot():
    out = F.one_hot(torch.tensor([[0, 2], [1, 0]]))
    assert out.dtype == torch.int64 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.numpy(), np.eye(3, dtype=np.int64)[[[0, 2], [1, 0]]])
    assert F.one_hot(torch.tensor(2), 4).tolist() == [0, 0, 1, 0]
    assert F.one_hot(torch.tensor([], dtype=torch.long), 3).shape == (0, 3)
    for args, msg in [((torch.tensor([1.0]),), "only applicable to index tensor of type Long"),
                      ((torch.tensor([-1, 2]),), "Class values must be non-negative."),
                      ((torch.tensor([1, 5]), 3), "Class values must be smaller than num_"),
                      ((torch.tensor([], dtype=torch.long),), "Can not infer total number")]:
        with pytest.raises(RuntimeError, match=msg):
            F.one_hot(*args)


# ---- distances and normalize ------------------------------------------------------------------
def test_distance_functions_match_torch():
    th = pytest.importorskip("torch")
    a, b = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    for p in (2.0, 1.0, 3.0, float("inf")):
        compare_with_torch(lambda u, v, p=p: F.pairwise_distance(u, v, p),
                           lambda u, v, p=p: th.nn.functional.pairwise_distance(u, v, p), a, b)
        compare_with_torch(lambda u, p=p: F.pdist(u, p), lambda u, p=p: th.pdist(u, p), a)
        compare_with_torch(lambda u, p=p: F.normalize(u, p, dim=0),
                           lambda u, p=p: th.nn.functional.normalize(u, p, dim=0), a)
    compare_with_torch(lambda u, v: F.pairwise_distance(u, v, keepdim=True),
                       lambda u, v: th.nn.functional.pairwise_distance(u, v, keepdim=True),
                       a, b[0])
    compare_with_torch(F.cosine_similarity, th.nn.functional.cosine_similarity, a, b)
    compare_with_torch(lambda u, v: F.cosine_similarity(u, v, dim=-1),
                       lambda u, v: th.nn.functional.cosine_similarity(u, v, dim=-1),
                       a[:, None, :], b[None, :, :])


def test_distance_gradients():
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    check_grad(F.pairwise_distance, a, b)
    check_grad(lambda u, v: F.cosine_similarity(u, v), a, b)
    check_grad(F.normalize, a)
    check_grad(F.pdist, a)


def test_zero_vectors_have_finite_gradients():
    z = torch.zeros(2, 3, requires_grad=True)
    F.normalize(z).sum().backward()
    assert np.isfinite(z.grad.numpy()).all()
    z.grad = None
    F.cosine_similarity(z, torch.ones(2, 3)).sum().backward()
    assert np.isfinite(z.grad.numpy()).all()
    assert_close(F.cosine_similarity(z.detach(), torch.ones(2, 3)), np.zeros(2))


def test_normalize_writes_out():
    out = torch.empty(1, 2)
    result = F.normalize(torch.tensor([[3.0, 4.0]]), out=out)
    assert result is out
    assert_close(out, [[0.6, 0.8]])


# ---- wrappers and in-place activations --------------------------------------------------------
def test_relu_sigmoid_tanh_wrappers():
    x = torch.tensor([-1.0, 0.5])
    assert_close(F.relu(x), [0.0, 0.5])
    assert_close(F.sigmoid(x), 1 / (1 + np.exp([1.0, -0.5])))
    assert_close(F.tanh(x), np.tanh([-1.0, 0.5]))
    y = torch.tensor([-1.0, 0.5])
    assert F.relu(y, inplace=True) is y
    assert y.tolist() == [0.0, 0.5]


INPLACE = [("relu_", "relu", ()), ("elu_", "elu", (0.5,)), ("leaky_relu_", "leaky_relu", (0.2,)),
           ("hardtanh_", "hardtanh", (-0.5, 0.5)), ("threshold_", "threshold", (0.1, -3.0)),
           ("celu_", "celu", (2.0,)), ("selu_", "selu", ()), ("rrelu_", "rrelu", ())]


@pytest.mark.parametrize("name,base,args", INPLACE)
def test_inplace_activations(name, base, args):
    data = RNG.standard_normal(6).astype(np.float32)
    x = torch.tensor(data)
    version = x._version.value
    out = getattr(F, name)(x, *args)
    assert out is x and x._version.value > version
    assert_close(x, getattr(F, base)(torch.tensor(data), *args)._data)
    # recorded on a non-leaf: the gradient is the out-of-place op's
    leaf = torch.tensor(data.astype(np.float64), requires_grad=True)
    y = leaf * 1.0
    getattr(F, name)(y, *args).sum().backward()
    ref = torch.tensor(data.astype(np.float64), requires_grad=True)
    getattr(F, base)(ref, *args).sum().backward()
    assert_close(leaf.grad, ref.grad._data)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(F, name)(torch.zeros(2, requires_grad=True), *args)


# ---- softmin and gumbel_softmax -----------------------------------------------------------------
def test_softmin():
    x = RNG.standard_normal((2, 3))
    e = np.exp(-x)
    assert_close(F.softmin(torch.tensor(x), dim=1), e / e.sum(1, keepdims=True), 1e-10, 1e-12)
    check_grad(lambda t: F.softmin(t, dim=0), x)


def test_gumbel_softmax():
    torch.manual_seed(0)
    logits = torch.tensor(RNG.standard_normal((4, 5)), requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    assert_close(soft.sum(-1), np.ones(4), 1e-10, 1e-12)
    torch.manual_seed(0)
    again = F.gumbel_softmax(logits, tau=0.5)
    assert_close(again, soft._data)
    torch.manual_seed(0)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    assert set(np.unique(hard.detach().numpy())) <= {0.0, 1.0}
    assert_close(hard.sum(-1), np.ones(4))
    np.testing.assert_array_equal(hard.detach().numpy().argmax(-1), soft._data.argmax(-1))
    # straight-through: the hard sample is differentiated as the soft one
    weights = torch.tensor(RNG.standard_normal((4, 5)))
    (g_hard,) = torch.autograd.grad((hard * weights).sum(), logits)
    (g_soft,) = torch.autograd.grad((soft * weights).sum(), logits)
    assert_close(g_hard, g_soft._data, 1e-10, 1e-12)
    dim0 = F.gumbel_softmax(logits, hard=True, dim=0)
    assert_close(dim0.sum(0), np.ones(5))
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(logits, eps=1e-5)
