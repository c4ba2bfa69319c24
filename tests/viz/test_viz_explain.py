"""explain_backward / explain_forward: the course's worked tables, and the graph left intact."""

import io

import numpy as np
import pytest

import chainrule as torch
from chainrule import nn
from chainrule.viz import explain_backward, explain_forward


def leaf(v):
    return torch.tensor(v, requires_grad=True)


def test_J_example_table_and_graph_untouched(capsys):
    x, y = torch.tensor(2.0), torch.tensor(5.0)
    w, b = leaf(3.0), leaf(4.0)
    J = (y - (w * x + b)) ** 2
    steps = explain_backward(J)
    printed = capsys.readouterr().out
    assert printed == steps.text
    assert [s.node for s in steps] == ["PowBackward0", "SubBackward0", "AddBackward0",
                                       "MulBackward0"]
    assert [s.equation for s in steps] == ["J = t3 ** 2", "t3 = 5 - t2", "t2 = t1 + b",
                                           "t1 = w * x"]
    assert {k: float(v) for k, v in steps.grads.items()} == {"w": 20.0, "b": 10.0}
    # the chain of upstream gradients the course's table lists
    assert [float(s.upstream) for s in steps] == [1.0, -10.0, 10.0, 10.0]
    (to_w,) = steps[3].inputs
    assert (to_w.name, float(to_w.local), float(to_w.product)) == ("w", 2.0, 20.0)
    assert "upstream × local = 10 × 2 = 20" in printed
    assert "local gradient dJ/dt3 = -10" in printed
    assert printed.rstrip().endswith("Result: dJ/dw = 20, dJ/db = 10")
    # nothing of the user's state changed: no .grad, graph not freed
    assert w.grad is None and b.grad is None
    J.backward()
    assert (w.grad.item(), b.grad.item()) == (20.0, 10.0)


def test_e_example_accumulates_two_paths():
    a, b = leaf(3.0), leaf(2.0)
    e = (a + b) * (b + 1)
    out = io.StringIO()
    steps = explain_backward(e, {"a": a, "b": b, "e": e}, file=out)
    assert out.getvalue() == steps.text
    assert {k: float(v) for k, v in steps.grads.items()} == {"a": 3.0, "b": 8.0}
    assert "de/db = 3 + 5 = 8" in steps.text
    b_steps = [i for s in steps for i in s.inputs if i.name == "b"]
    assert [float(i.product) for i in b_steps] == [3.0, 5.0]
    assert [float(i.accumulated) for i in b_steps] == [3.0, 8.0]
    assert steps[-1].equation == "t2 = b + 1"


def test_f_example_with_named_intermediate(capsys):
    x, y, z = leaf(-2.0), leaf(5.0), leaf(-4.0)
    q = x + y
    f = q * z
    steps = explain_backward(f, file=False)
    assert capsys.readouterr().out == ""
    assert {k: float(v) for k, v in steps.grads.items()} == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert steps[0].equation == "f = q * z" and steps[1].equation == "q = x + y"
    assert "df/dq = -4" in steps.text


def test_matches_autograd_on_a_small_network():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    loss = nn.functional.cross_entropy(model(torch.randn(5, 3)), torch.tensor([0, 1, 1, 0, 1]))
    steps = explain_backward(loss, dict(model.named_parameters()), file=False)
    params = dict(model.named_parameters())
    expected = torch.autograd.grad(loss, list(params.values()))
    for (name, _), g in zip(params.items(), expected):
        np.testing.assert_allclose(steps.grads[name], g.numpy(), rtol=1e-5, atol=1e-7)


def test_non_scalar_output_needs_a_seed_and_freed_graph_is_reported():
    x = leaf([1.0, 2.0])
    y = x * x
    with pytest.raises(ValueError, match="scalar"):
        explain_backward(y, file=False)
    steps = explain_backward(y, {"x": x}, gradient=torch.tensor([1.0, 0.5]), file=False)
    np.testing.assert_allclose(steps.grads["x"], [2.0, 2.0])
    z = (x.exp() * x).sum()
    z.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        explain_backward(z, file=False)


def test_forward_mode_course_examples():
    def f(x, y, z):
        return (x + y) * z

    got = [float(explain_forward(f, (-2.0, 5.0, -4.0), wrt=v, file=False).derivative)
           for v in ("x", "y", "z")]
    assert got == [-4.0, -4.0, 3.0]
    steps = explain_forward(f, {"x": -2.0, "y": 5.0, "z": -4.0}, file=False)
    assert [s.node for s in steps] == ["AddBackward0", "MulBackward0"]
    assert steps[0].equation == "t1 = x + y" and steps[1].equation == "f = t1 * z"
    assert [float(i.product) for i in steps[1].inputs] == [-4.0, 0.0]
    assert "tangent df = -4 + 0 = -4" in steps.text and "Result: df/dx = -4" in steps.text

    def J(w, b):
        x, y = torch.tensor(2.0), torch.tensor(5.0)
        return (y - (w * x + b)) ** 2

    assert float(explain_forward(J, (3.0, 4.0), wrt="w", file=False).derivative) == 20.0
    assert float(explain_forward(J, (3.0, 4.0), wrt=1, file=False).derivative) == 10.0
    e = explain_forward(lambda a, b: (a + b) * (b + 1), (3.0, 2.0), wrt="b", file=False)
    assert float(e.derivative) == 8.0 and e.output_name == "out"


def test_forward_mode_vectors_directions_and_errors():
    w = torch.tensor([1.0, 2.0, 3.0])
    xs = torch.tensor([0.5, 0.1, 2.0])

    def g(w, x):
        return (w * x).sin().sum()

    steps = explain_forward(g, (w, xs), tangents={"x": [1.0, 0.0, 0.0]}, file=False)
    assert float(steps.derivative) == pytest.approx(float(np.cos(0.5) * 1.0), rel=1e-6)
    big = torch.randn(1500)
    r = explain_forward(lambda v: (v * v).sin().sum(), (big,), tangents={"v": np.ones(1500)},
                        file=False)
    v = big.numpy().astype(np.float64)
    assert float(r.derivative) == pytest.approx(float((2 * v * np.cos(v * v)).sum()), rel=1e-4)
    with pytest.raises(ValueError, match="wrt"):
        explain_forward(g, (w, xs), wrt="q", file=False)
    with pytest.raises(TypeError, match="Tensor"):
        explain_forward(lambda a: 3.0, (1.0,), file=False)
    assert w.grad is None and not w.requires_grad  # the inputs were copied


def test_forward_mode_agrees_with_forward_ad_and_leaves_its_level_working():
    try:
        import chainrule.autograd.forward_ad as fwAD
    except ImportError:
        pytest.skip("chainrule.autograd.forward_ad is not available")

    def f(x, y, z):
        return (x * y).exp() * z + y

    args = (0.5, -1.5, 2.0)
    with fwAD.dual_level():
        for i, name in enumerate("xyz"):
            duals = [fwAD.make_dual(torch.tensor(v), torch.tensor(float(i == j)))
                     if j == i else torch.tensor(v) for j, v in enumerate(args)]
            expected = fwAD.unpack_dual(f(*duals)).tangent.item()
            got = float(explain_forward(f, args, wrt=name, file=False).derivative)
            assert got == pytest.approx(expected, rel=1e-6)
        # the dual level still works after explain_forward swapped its hook in and out
        dual = fwAD.make_dual(torch.tensor(2.0), torch.tensor(1.0))
        assert fwAD.unpack_dual(dual * dual).tangent.item() == 4.0
