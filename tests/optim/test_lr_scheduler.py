"""Learning-rate schedulers: sequences against their formulas and against PyTorch, momentum
cycling, composition, state dicts, ReduceLROnPlateau's behaviour, and warnings."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest

import chainrule
from chainrule import optim
from chainrule.optim import lr_scheduler as sch

EPOCHS = 40


def _params(lib):
    if lib is chainrule:
        return [chainrule.tensor([1.0], requires_grad=True)]
    return [lib.ones(1, requires_grad=True)]


def _optimizer(lib, name="SGD", groups=1, **kwargs):
    params = [_params(lib) for _ in range(groups)]
    kwargs.setdefault("lr", 0.1)
    group_list = [{"params": p, "lr": kwargs["lr"] * (i + 1)} for i, p in enumerate(params)]
    return getattr(lib.optim, name)(group_list, **kwargs)


def _build(lib, spec, opt):
    """Build a scheduler from a spec ``(class name, kwargs)``, recursing into composites."""
    name, kwargs = spec
    mod = lib.optim.lr_scheduler
    kwargs = dict(kwargs)
    if name == "SequentialLR":
        kwargs["schedulers"] = [_build(lib, s, opt) for s in kwargs["schedulers"]]
        return mod.SequentialLR(opt, **kwargs)
    if name == "ChainedScheduler":
        return mod.ChainedScheduler([_build(lib, s, opt) for s in kwargs["schedulers"]])
    return getattr(mod, name)(opt, **kwargs)


def sequence(lib, spec, epochs=EPOCHS, opt_name="SGD", groups=2, opt_kwargs=None,
             momentum_key=None):
    """lrs (and optionally momenta) of every group over ``epochs`` steps."""
    opt = _optimizer(lib, opt_name, groups, **(opt_kwargs or {}))
    sched = _build(lib, spec, opt)
    out = []
    for _ in range(epochs):
        row = list(sched.get_last_lr()) + [g["lr"] for g in opt.param_groups]
        if momentum_key == "momentum":
            row += [g["momentum"] for g in opt.param_groups]
        elif momentum_key == "betas":
            row += [g["betas"][0] for g in opt.param_groups]
        out.append(row)
        opt.step()
        sched.step()
    return out


def _lambda_half(epoch):
    return 0.5 ** epoch


def _lambda_mult(epoch):
    return 0.9 if epoch % 3 else 1.05


SPECS = [
    ("LambdaLR", {"lr_lambda": _lambda_half}),
    ("MultiplicativeLR", {"lr_lambda": _lambda_mult}),
    ("StepLR", {"step_size": 7, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [3, 10, 10, 25], "gamma": 0.3}),
    ("ConstantLR", {"factor": 0.25, "total_iters": 6}),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 0.9, "total_iters": 12}),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 30}),
    ("ExponentialLR", {"gamma": 0.93}),
    ("PolynomialLR", {"total_iters": 25, "power": 2.0}),
    ("CosineAnnealingLR", {"T_max": 10}),
    ("CosineAnnealingLR", {"T_max": 13, "eta_min": 0.01}),
    ("CosineAnnealingWarmRestarts", {"T_0": 5}),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 0.001}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "cycle_momentum": False}),
    ("CyclicLR", {"base_lr": [0.01, 0.02], "max_lr": 0.1, "step_size_up": 3, "step_size_down": 5,
                  "mode": "triangular2", "cycle_momentum": False}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "mode": "exp_range",
                  "gamma": 0.95, "cycle_momentum": False}),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": EPOCHS, "cycle_momentum": False}),
    ("OneCycleLR", {"max_lr": [1.0, 0.5], "epochs": 4, "steps_per_epoch": 10,
                    "anneal_strategy": "linear", "pct_start": 0.25, "cycle_momentum": False}),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": EPOCHS, "three_phase": True,
                    "cycle_momentum": False}),
    ("SequentialLR", {"schedulers": [("LinearLR", {"start_factor": 0.2, "total_iters": 5}),
                                      ("CosineAnnealingLR", {"T_max": 20})],
                      "milestones": [5]}),
    ("SequentialLR", {"schedulers": [("ConstantLR", {"factor": 0.5, "total_iters": 3}),
                                      ("ExponentialLR", {"gamma": 0.9}),
                                      ("StepLR", {"step_size": 4, "gamma": 0.5})],
                      "milestones": [6, 15]}),
    ("ChainedScheduler", {"schedulers": [("ConstantLR", {"factor": 0.5, "total_iters": 4}),
                                          ("ExponentialLR", {"gamma": 0.9}),
                                          ("MultiStepLR", {"milestones": [10, 20]})]}),
]
SPEC_IDS = [f"{name}{i}" for i, (name, _) in enumerate(SPECS)]


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_sequence_matches_torch(spec):
    torch = pytest.importorskip("torch")
    ours = sequence(chainrule, spec)
    theirs = sequence(torch, spec)
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("spec,opt_name,key,opt_kwargs", [
    (("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4}), "SGD", "momentum",
     {"momentum": 0.9}),
    (("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5, "mode": "triangular2"}),
     "Adam", "betas", {}),
    (("OneCycleLR", {"max_lr": 1.0, "total_steps": EPOCHS}), "SGD", "momentum",
     {"momentum": 0.9}),
    (("OneCycleLR", {"max_lr": 0.01, "total_steps": EPOCHS, "three_phase": True,
                     "base_momentum": 0.8, "max_momentum": 0.9}), "AdamW", "betas", {}),
])
def test_momentum_cycling_matches_torch(spec, opt_name, key, opt_kwargs):
    torch = pytest.importorskip("torch")
    ours = sequence(chainrule, spec, opt_name=opt_name, opt_kwargs=opt_kwargs, momentum_key=key)
    theirs = sequence(torch, spec, opt_name=opt_name, opt_kwargs=opt_kwargs, momentum_key=key)
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-15)


# ---- formulas (no PyTorch needed) ------------------------------------------------------------
def _lrs(spec, epochs=EPOCHS, **kw):
    return [row[0] for row in sequence(chainrule, spec, epochs=epochs, groups=1, **kw)]


def test_closed_forms():
    base = 0.1
    assert _lrs(("StepLR", {"step_size": 7, "gamma": 0.5})) == pytest.approx(
        [base * 0.5 ** (e // 7) for e in range(EPOCHS)], rel=1e-12)
    assert _lrs(("MultiStepLR", {"milestones": [3, 10, 10], "gamma": 0.3})) == pytest.approx(
        [base * 0.3 ** sum(e >= m for m in (3, 10, 10)) for e in range(EPOCHS)], rel=1e-12)
    assert _lrs(("ExponentialLR", {"gamma": 0.93})) == pytest.approx(
        [base * 0.93 ** e for e in range(EPOCHS)], rel=1e-12)
    assert _lrs(("ConstantLR", {"factor": 0.25, "total_iters": 6})) == pytest.approx(
        [base * (0.25 if e < 6 else 1.0) for e in range(EPOCHS)], rel=1e-12)
    assert _lrs(("LinearLR", {"start_factor": 0.1, "end_factor": 0.9, "total_iters": 12})) == \
        pytest.approx([base * (0.1 + 0.8 * min(e, 12) / 12) for e in range(EPOCHS)], rel=1e-12)
    assert _lrs(("PolynomialLR", {"total_iters": 25, "power": 2.0})) == pytest.approx(
        [base * (1 - min(e, 25) / 25) ** 2 for e in range(EPOCHS)], rel=1e-9, abs=1e-15)
    assert _lrs(("LambdaLR", {"lr_lambda": _lambda_half})) == pytest.approx(
        [base * 0.5 ** e for e in range(EPOCHS)], rel=1e-12)


def test_cosine_annealing_follows_the_cosine_beyond_t_max():
    t_max, eta = 10, 0.01
    got = _lrs(("CosineAnnealingLR", {"T_max": t_max, "eta_min": eta}))
    want = [eta + (0.1 - eta) * (1 + math.cos(math.pi * e / t_max)) / 2 for e in range(EPOCHS)]
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_warm_restarts_formula_and_fractional_epochs():
    got = _lrs(("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2}), epochs=21)
    periods = [(0, 3), (3, 6), (9, 12)]
    want = []
    for e in range(21):
        start, length = next(p for p in periods if p[0] <= e < p[0] + p[1])
        want.append(0.1 * (1 + math.cos(math.pi * (e - start) / length)) / 2)
    assert got == pytest.approx(want, rel=1e-12, abs=1e-15)
    opt = _optimizer(chainrule, "SGD", lr=1.0)
    sched = sch.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=2)
    sched.step(5.0)  # the second period (length 8) has started at epoch 4
    assert sched.get_last_lr()[0] == pytest.approx((1 + math.cos(math.pi / 8)) / 2)
    with pytest.raises(ValueError, match="Expected positive integer T_0"):
        sch.CosineAnnealingWarmRestarts(opt, T_0=0)


def test_cyclic_triangular_values():
    got = _lrs(("CyclicLR", {"base_lr": 0.0, "max_lr": 1.0, "step_size_up": 2,
                             "cycle_momentum": False}), epochs=9)
    assert got == pytest.approx([0, 0.5, 1, 0.5, 0, 0.5, 1, 0.5, 0])
    got = _lrs(("CyclicLR", {"base_lr": 0.0, "max_lr": 1.0, "step_size_up": 2,
                             "mode": "triangular2", "cycle_momentum": False}), epochs=9)
    assert got == pytest.approx([0, 0.5, 1, 0.5, 0, 0.25, 0.5, 0.25, 0])


def test_one_cycle_end_points_and_limits():
    opt = _optimizer(chainrule, "SGD", lr=0.5, momentum=0.9)
    sched = sch.OneCycleLR(opt, max_lr=1.0, total_steps=10, div_factor=10.0,
                           final_div_factor=100.0)
    lrs, moms = [], []
    for _ in range(10):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        sched.step()
    assert lrs[0] == pytest.approx(0.1) and max(lrs) == pytest.approx(1.0)
    assert lrs[-1] == pytest.approx(0.1 / 100.0)
    assert moms[0] == pytest.approx(0.95) and min(moms) == pytest.approx(0.85)
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        sched.step()
    with pytest.raises(ValueError, match="You must define either total_steps"):
        sch.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="cycle_momentum"):
        sch.OneCycleLR(optim.Adagrad(_params(chainrule)), max_lr=1.0, total_steps=3)


def test_constructor_errors():
    opt = _optimizer(chainrule)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        sch.StepLR([], step_size=1)
    with pytest.raises(ValueError, match="Constant multiplicative factor"):
        sch.ConstantLR(opt, factor=2.0)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        sch.LinearLR(opt, start_factor=0.0)
    with pytest.raises(ValueError, match="Expected 1 lr_lambdas, but got 2"):
        sch.LambdaLR(opt, [_lambda_half, _lambda_half])
    with pytest.raises(KeyError, match="initial_lr"):
        sch.StepLR(_optimizer(chainrule), step_size=1, last_epoch=3)
    with pytest.raises(ValueError, match="number of milestones"):
        sch.SequentialLR(opt, [sch.StepLR(opt, 1), sch.StepLR(opt, 2)], milestones=[])
    with pytest.raises(ValueError, match="mode is invalid"):
        sch.CyclicLR(opt, 0.1, 1.0, mode="sawtooth")


# ---- ReduceLROnPlateau -----------------------------------------------------------------------
def plateau(lib, metrics, **kwargs):
    opt = _optimizer(lib, "SGD", groups=2, lr=1.0)
    sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    out = []
    for m in metrics:
        opt.step()
        sched.step(m)
        out.append([g["lr"] for g in opt.param_groups] + list(sched.get_last_lr()))
    return out


PLATEAU_METRICS = [1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85] + [0.2] * 14
PLATEAU_CASES = [
    {},
    {"patience": 2},
    {"patience": 1, "factor": 0.5, "cooldown": 2},
    {"patience": 0, "factor": 0.5, "min_lr": 0.2},
    {"patience": 0, "factor": 0.5, "min_lr": [0.3, 0.1]},
    {"patience": 1, "threshold": 0.2, "threshold_mode": "abs"},
    {"patience": 1, "threshold": 0.05},
    {"mode": "max", "patience": 1},
    {"mode": "max", "patience": 0, "threshold_mode": "abs", "threshold": 0.0, "factor": 0.9},
    {"patience": 0, "factor": 0.999999, "eps": 0.1},  # reductions below eps are skipped
]


@pytest.mark.parametrize("kwargs", PLATEAU_CASES)
def test_plateau_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(plateau(chainrule, PLATEAU_METRICS, **kwargs),
                               plateau(torch, PLATEAU_METRICS, **kwargs), rtol=1e-14)


def test_plateau_behaviour():
    lrs = [row[0] for row in plateau(chainrule, [5, 4, 4, 4, 4, 3, 3, 3], patience=2,
                                     factor=0.5)]
    # 4 is not better than 4 three times -> the third bad epoch exceeds patience=2
    assert lrs == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5]
    lrs = [row[0] for row in plateau(chainrule, [5, 6, 6, 6, 6, 6], patience=0, factor=0.5,
                                     cooldown=2)]
    assert lrs == [1, 0.5, 0.5, 0.5, 0.25, 0.25]  # cooldown: 2 epochs without counting
    lrs = [row[0] for row in plateau(chainrule, [1, 2, 3, 3], mode="max", patience=0)]
    assert lrs == pytest.approx([1, 1, 1, 0.1])
    lrs = [row[0] for row in plateau(chainrule, [1, 1, 1, 1], patience=0, min_lr=0.05)]
    assert lrs == pytest.approx([1, 0.1, 0.05, 0.05])
    opt = _optimizer(chainrule)
    sched = sch.ReduceLROnPlateau(opt)
    sched.step(chainrule.tensor(0.5))  # a one-element tensor is accepted
    assert sched.best == 0.5
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        sch.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown!"):
        sch.ReduceLROnPlateau(opt, mode="avg")
    with pytest.raises(ValueError, match="threshold mode x is unknown!"):
        sch.ReduceLROnPlateau(opt, threshold_mode="x")
    with pytest.raises(ValueError, match="expected 1 min_lrs, got 2"):
        sch.ReduceLROnPlateau(opt, min_lr=[0.1, 0.2])


# ---- state dicts, warnings, integration ------------------------------------------------------
@pytest.mark.parametrize("spec", SPECS[::2] + [SPECS[3], SPECS[21]],
                         ids=SPEC_IDS[::2] + [SPEC_IDS[3], SPEC_IDS[21]])
def test_state_dict_round_trip(spec):
    opt = _optimizer(chainrule, groups=2)
    sched = _build(chainrule, spec, opt)
    for _ in range(7):
        opt.step()
        sched.step()
    saved = copy.deepcopy(sched.state_dict())
    saved_groups = copy.deepcopy(opt.state_dict())
    assert "optimizer" not in saved
    expected = []
    for _ in range(10):
        opt.step()
        sched.step()
        expected.append(sched.get_last_lr())
    opt2 = _optimizer(chainrule, groups=2)
    sched2 = _build(chainrule, spec, opt2)
    sched2.load_state_dict(saved)
    opt2.load_state_dict(saved_groups)
    got = []
    for _ in range(10):
        opt2.step()
        sched2.step()
        got.append(sched2.get_last_lr())
    assert got == expected


def test_plateau_state_dict_round_trip():
    opt = _optimizer(chainrule)
    sched = sch.ReduceLROnPlateau(opt, patience=1, mode="max")
    for m in [1, 1, 1]:
        sched.step(m)
    state = copy.deepcopy(sched.state_dict())
    other = sch.ReduceLROnPlateau(_optimizer(chainrule))
    other.load_state_dict(state)
    assert other.mode == "max" and other.best == 1 and other.num_bad_epochs == 0
    assert other._is_better(2, 1)


def test_multistep_state_dict_holds_plain_types():
    sched = sch.MultiStepLR(_optimizer(chainrule), milestones=[2, 2, 5])
    state = sched.state_dict()
    assert type(state["milestones"]) is dict and state["milestones"] == {2: 2, 5: 1}
    sched.load_state_dict(state)
    assert sched.milestones[2] == 2 and sched.milestones[7] == 0


def test_warnings():
    opt = _optimizer(chainrule)
    sched = sch.StepLR(opt, step_size=1)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    with pytest.warns(UserWarning, match="use `get_last_lr\\(\\)`"):
        sched.get_lr()
    with pytest.warns(UserWarning, match="verbose parameter is deprecated"):
        sch.StepLR(opt, step_size=1, verbose=True)
    opt = _optimizer(chainrule)
    sched = sch.StepLR(opt, step_size=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()


def test_scheduled_lr_drives_the_optimizer():
    p = chainrule.tensor([0.0], requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    sched = sch.MultiStepLR(opt, milestones=[1], gamma=0.5)
    for _ in range(3):
        p.grad = chainrule.tensor([1.0])
        opt.step()
        sched.step()
    assert p.tolist() == [-2.0]  # 1 + 0.5 + 0.5
    assert opt.param_groups[0]["initial_lr"] == 1.0 and sched.base_lrs == [1.0]
