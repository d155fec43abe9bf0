"""Every optimizer against PyTorch: 20 steps from the same parameters and gradients, with several parameter
groups, and state dicts saved mid-way (ours and PyTorch's) loaded into fresh optimizers."""
import numpy as np
import pytest

from tests.conftest import requires_torch
from tests.optim.optim_harness import (CASES, assert_params_close, case_id, cr, cr_optim, gradient_stream,
                                       initial_arrays, optimizer, params, run, torch, torch_state_to_chainrule,
                                       values)

pytestmark = requires_torch
STEPS = 20


def setup(case, lib, optim_module, arrays):
    ps = params(lib, arrays)
    return ps, optimizer(optim_module, case, ps)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_twenty_steps_match_torch(case):
    arrays = initial_arrays(len(case[2]))
    stream = gradient_stream(len(arrays), STEPS)
    ps, opt = setup(case, cr, cr_optim, arrays)
    tps, topt = setup(case, torch, torch.optim, arrays)
    for half in (stream[:STEPS // 2], stream[STEPS // 2:]):
        run(cr, opt, ps, half)
        run(torch, topt, tps, half)
        assert_params_close(values(ps), values(tps), case[0])
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_state_dict_matches_torch_format(case):
    """Same parameter numbering, same buffers under the same names, same group options."""
    arrays = initial_arrays(len(case[2]))
    stream = gradient_stream(len(arrays), 5)
    ps, opt = setup(case, cr, cr_optim, arrays)
    tps, topt = setup(case, torch, torch.optim, arrays)
    run(cr, opt, ps, stream)
    run(torch, topt, tps, stream)
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert sorted(ours["state"]) == sorted(theirs["state"])
    for index, buffers in theirs["state"].items():
        assert sorted(ours["state"][index]) == sorted(buffers), f"state of parameter {index}"
        for name, value in buffers.items():
            mine = ours["state"][index][name]
            if name == "step":
                assert float(mine) == float(value)
                continue
            assert isinstance(mine, cr.Tensor) and mine.dtype == np.float32, f"{name}: {type(mine)}"
            np.testing.assert_allclose(mine.numpy(), value.numpy(), rtol=2e-5, atol=2e-6, err_msg=name)
    for group, tgroup in zip(ours["param_groups"], theirs["param_groups"]):
        for key, value in group.items():
            assert tgroup[key] == value, key


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_resume_from_state_dict(case):
    """Save after 10 steps, load into a fresh optimizer (ours, and PyTorch's state dict), continue: as uninterrupted."""
    arrays = initial_arrays(len(case[2]))
    stream = gradient_stream(len(arrays), STEPS)
    tps, topt = setup(case, torch, torch.optim, arrays)
    ps, opt = setup(case, cr, cr_optim, arrays)
    run(torch, topt, tps, stream[:10])
    run(cr, opt, ps, stream[:10])
    saved, saved_torch = opt.state_dict(), torch_state_to_chainrule(topt.state_dict())
    midway = values(ps)
    run(torch, topt, tps, stream[10:])
    run(cr, opt, ps, stream[10:])  # the saved dict is a snapshot: these steps must not reach it
    for state_dict in (saved, saved_torch):
        ps2, opt2 = setup(case, cr, cr_optim, midway)
        opt2.load_state_dict(state_dict)
        run(cr, opt2, ps2, stream[10:])
        assert_params_close(values(ps2), values(tps), f"{case[0]} resumed")
        assert_params_close(values(ps2), values(ps), f"{case[0]} resumed vs uninterrupted")


def test_training_loop_with_closure_matches_torch():
    """A small regression trained by autograd (backward, closure, zero_grad) in both libraries."""
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((8, 3)).astype(np.float32), rng.standard_normal((8, 1)).astype(np.float32)
    w0, b0 = rng.standard_normal((3, 1)).astype(np.float32), np.zeros(1, np.float32)
    results = []
    for lib, optim in ((cr, cr_optim), (torch, torch.optim)):
        w, b = lib.tensor(w0, requires_grad=True), lib.tensor(b0, requires_grad=True)
        opt = optim.SGD([w, b], lr=0.1, momentum=0.9, weight_decay=0.01)
        X, Y = lib.tensor(x), lib.tensor(y)

        def closure():
            opt.zero_grad()
            loss = ((X @ w + b - Y) ** 2).mean()
            loss.backward()
            return loss
        losses = [opt.step(closure).item() for _ in range(5)]
        results.append((losses, w.detach().numpy().copy(), b.detach().numpy().copy()))
    (losses, w, b), (tlosses, tw, tb) = results
    np.testing.assert_allclose(losses, tlosses, rtol=1e-5)
    np.testing.assert_allclose(w, tw, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b, tb, rtol=1e-5, atol=1e-6)


def test_module_training_with_clipping_and_schedule_matches_torch():
    """nn.Linear parameters (chainrule.nn.Parameter), AdamW, gradient clipping and OneCycleLR, in both libraries."""
    nn = pytest.importorskip("chainrule.nn")
    from chainrule.nn.utils import clip_grad_norm_
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((16, 4)).astype(np.float32), rng.standard_normal((16, 2)).astype(np.float32)
    tmodel = torch.nn.Linear(4, 2)
    model = nn.Linear(4, 2)
    with cr.no_grad():
        model.weight.copy_(cr.tensor(tmodel.weight.detach().numpy()))
        model.bias.copy_(cr.tensor(tmodel.bias.detach().numpy()))
    runs = []
    for lib, m, optim, clip in ((cr, model, cr_optim, clip_grad_norm_),
                                (torch, tmodel, torch.optim, torch.nn.utils.clip_grad_norm_)):
        opt = optim.AdamW(m.named_parameters(), lr=0.01, weight_decay=0.05)
        sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=8)
        X, Y = lib.tensor(x), lib.tensor(y)
        norms = []
        for _ in range(8):
            opt.zero_grad()
            ((m(X) - Y) ** 2).mean().backward()
            norms.append(clip(m.parameters(), 0.5).item())
            opt.step()
            sched.step()
        runs.append((norms, m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy()))
    for ours, theirs in zip(runs[0], runs[1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)
