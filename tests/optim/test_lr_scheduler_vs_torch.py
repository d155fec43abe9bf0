"""Every scheduler against PyTorch: the learning rates (and OneCycleLR's momentum or beta1) over 30 steps,
and state dicts saved mid-way and loaded into a fresh scheduler."""
import warnings

import numpy as np
import pytest

from tests.conftest import requires_torch
from tests.optim.optim_harness import cr, cr_optim, torch

pytestmark = requires_torch
STEPS = 30


def decay(epoch):
    return 0.95 ** epoch


def warmup(epoch):
    return min(1.0, (epoch + 1) / 5)


# (scheduler, its options, optimizer, its options); the optimizer has two parameter groups
CASES = [
    ("StepLR", dict(step_size=4, gamma=0.5), "SGD", {}),
    ("MultiStepLR", dict(milestones=[3, 7, 7, 12], gamma=0.3), "SGD", {}),
    ("ExponentialLR", dict(gamma=0.9), "Adam", {}),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001), "SGD", {}),
    ("CosineAnnealingLR", dict(T_max=7), "Adam", {}),
    ("LambdaLR", dict(lr_lambda=decay), "SGD", {}),
    ("LambdaLR", dict(lr_lambda=[decay, warmup]), "RMSprop", {}),
    ("OneCycleLR", dict(max_lr=[0.1, 0.3], total_steps=STEPS), "SGD", dict(momentum=0.9)),
    ("OneCycleLR", dict(max_lr=0.1, epochs=3, steps_per_epoch=10, anneal_strategy="linear",
                        base_momentum=[0.8, 0.7], max_momentum=0.9, div_factor=10.0), "SGD", dict(momentum=0.9)),
    ("OneCycleLR", dict(max_lr=0.2, total_steps=STEPS, three_phase=True, pct_start=0.25), "Adam", {}),
    ("OneCycleLR", dict(max_lr=0.2, total_steps=STEPS, cycle_momentum=False, final_div_factor=100.0), "Adagrad", {}),
]


def case_id(case):
    return f"{case[0]}-{case[2]}-{sorted(case[1])}"


def build(lib, case):
    name, options, opt_name, opt_options = case
    groups = [{"params": [lib.zeros(2, requires_grad=True)]},
              {"params": [lib.zeros(3, requires_grad=True)], "lr": 0.05}]
    opt = getattr(lib.optim, opt_name)(groups, lr=0.01, **opt_options)
    return opt, getattr(lib.optim.lr_scheduler, name)(opt, **options)


def trace(opt, sched, steps):
    """Per step: the scheduler's last lrs, the groups' lrs and the momentum-like option of each group."""
    out = []
    for _ in range(steps):
        opt.step()
        sched.step()
        momenta = [g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups]
        out.append((list(sched.get_last_lr()), [g["lr"] for g in opt.param_groups], momenta))
    return out


def assert_traces_equal(ours, theirs):
    assert len(ours) == len(theirs)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for what, x, y in zip(("last lr", "group lr", "momentum"), a, b):
            np.testing.assert_allclose(np.array(x, float), np.array(y, float), rtol=1e-12, atol=0,
                                       err_msg=f"step {step + 1}: {what}")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_schedule_matches_torch(case):
    opt, sched = build(cr, case)
    topt, tsched = build(torch, case)
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12)
    assert_traces_equal(trace(opt, sched, STEPS), trace(topt, tsched, STEPS))


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_resume_from_state_dicts(case):
    """Optimizer and scheduler saved after 15 steps, loaded into fresh ones: the same rates as uninterrupted."""
    opt, sched = build(cr, case)
    first = trace(opt, sched, 15)
    opt_state, sched_state = opt.state_dict(), sched.state_dict()
    rest = trace(opt, sched, STEPS - 15)
    opt2, sched2 = build(cr, case)
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    assert_traces_equal(trace(opt2, sched2, STEPS - 15), rest)
    topt, tsched = build(torch, case)
    assert_traces_equal(first + rest, trace(topt, tsched, STEPS))


def test_one_cycle_refuses_steps_past_the_end():
    opt, sched = build(cr, CASES[7])
    trace(opt, sched, STEPS)
    with pytest.raises(ValueError, match=f"Tried to step {STEPS + 1} times.*total steps is {STEPS}"):
        sched.step()


@pytest.mark.parametrize("case", CASES[:5], ids=case_id)
def test_explicit_epoch_uses_the_closed_form_like_torch(case):
    rates = []
    for lib in (cr, torch):
        opt, sched = build(lib, case)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched.step(epoch=8)
        rates.append(sched.get_last_lr())
    assert rates[0] == pytest.approx(rates[1], rel=1e-12)


def test_warns_when_stepped_before_the_optimizer():
    opt, sched = build(cr, CASES[0])
    with pytest.warns(UserWarning, match=r"before `optimizer.step\(\)`"):
        sched.step()


def test_resuming_without_initial_lr_raises():
    opt = cr_optim.SGD([cr.zeros(2, requires_grad=True)], lr=0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        cr_optim.lr_scheduler.StepLR(opt, step_size=2, last_epoch=3)


PLATEAU_CASES = [
    dict(mode="min", factor=0.5, patience=2, threshold=0.1, cooldown=1, min_lr=[1e-3, 4e-3]),
    dict(mode="max", factor=0.3, patience=1, threshold=0.05, threshold_mode="abs", min_lr=1e-4),
    dict(),
    dict(patience=0, eps=0.004),
]


@pytest.mark.parametrize("options", PLATEAU_CASES, ids=lambda o: str(sorted(o.items())))
def test_reduce_lr_on_plateau_matches_torch(options):
    metrics = np.concatenate([np.linspace(1.0, 0.5, 8), 0.5 + 0.01 * np.sin(np.arange(22))])
    if options.get("mode") == "max":
        metrics = -metrics
    traces = []
    for lib in (cr, torch):
        opt = lib.optim.SGD([{"params": [lib.zeros(2, requires_grad=True)]},
                             {"params": [lib.zeros(2, requires_grad=True)], "lr": 0.02}], lr=0.1)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **options)
        rates = []
        for i, m in enumerate(metrics):
            opt.step()
            sched.step(lib.tensor(m) if i % 2 else float(m))
            rates.append(list(sched.get_last_lr()) + [sched.num_bad_epochs, sched.cooldown_counter, sched.best])
        traces.append(rates)
    np.testing.assert_allclose(np.array(traces[0], float), np.array(traces[1], float), rtol=1e-6)
    assert traces[0][-1][:2] != traces[0][0][:2] or not options, "the case should reduce the rate"


def test_reduce_lr_on_plateau_state_dict_round_trip():
    def make():
        opt = cr_optim.SGD([cr.zeros(2, requires_grad=True)], lr=0.1)
        return opt, cr_optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=1)
    opt, sched = make()
    for m in (1.0, 2.0, 2.0):
        sched.step(m)
    opt2, sched2 = make()
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(sched.state_dict())
    for s in (sched, sched2):
        s.step(2.0)
    assert sched2.get_last_lr() == sched.get_last_lr() == [pytest.approx(0.01)]


@pytest.mark.parametrize("make, message", [
    (lambda lib, opt: lib.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.5), "Factor should be < 1.0"),
    (lambda lib, opt: lib.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="avg"), "mode avg is unknown"),
    (lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1), "total_steps OR"),
    (lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=[0.1, 0.2], total_steps=5),
     "max_lr must have the same length"),
    (lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=5, anneal_strategy="exp"),
     "anneal_strategy must be one of"),
    (lambda lib, opt: lib.optim.lr_scheduler.LambdaLR(opt, [decay, decay]), "Expected 1 lr_lambdas, but got 2"),
])
def test_invalid_scheduler_options_raise_like_torch(make, message):
    for lib in (torch, cr):
        opt = lib.optim.SGD([lib.zeros(2, requires_grad=True)], lr=0.1)
        with pytest.raises(ValueError, match=message):
            make(lib, opt)
