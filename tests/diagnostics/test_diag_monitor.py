"""Gradient-flow monitor: flags the deep sigmoid stack, not the ReLU + batch-norm one; numbers checked from scratch."""
import math
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
import chainrule.nn.functional as F
from chainrule.diagnostics import GradientMonitor
from chainrule.diagnostics.monitor import GradientFlowWarning


def deep_mlp(depth, width, act, batch_norm):
    layers, size = [], 4
    for _ in range(depth - 1):
        layers.append(nn.Linear(size, width))
        if batch_norm:
            layers.append(nn.BatchNorm1d(width))
        layers.append(act())
        size = width
    layers.append(nn.Linear(size, 3))
    return nn.Sequential(*layers)


def train(model, steps=3, lr=0.1, batch=32, momentum=0.0):
    opt = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        x = cr.tensor(rng.standard_normal((batch, 4)).astype(np.float32))
        y = cr.tensor(rng.integers(0, 3, batch))
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return opt


def test_flags_vanishing_gradients_in_a_deep_sigmoid_stack_once():
    cr.manual_seed(0)
    model = deep_mlp(20, 16, nn.Sigmoid, False)
    monitor = GradientMonitor(model)
    with pytest.warns(GradientFlowWarning) as caught:
        train(model)
        monitor.step()
    messages = [str(w.message) for w in caught if issubclass(w.category, GradientFlowWarning)]
    assert len(messages) == 1  # once, naming every layer concerned with its numbers
    assert messages[0].startswith("vanishing gradients at step 0 in ")
    assert "'0' (Linear) gradient norm " in messages[0] and "vanishing_ratio=0.001" in messages[0]
    flagged = monitor.flagged("vanishing")
    assert flagged[0] == "0" and "38" not in flagged and len(flagged) >= 10
    norms = [monitor.steps[0]["grad_norm"][name] for name in monitor.layers]
    assert norms[0] < 1e-6 * norms[-1]


def test_relu_with_batch_norm_is_healthy():
    cr.manual_seed(0)
    model = deep_mlp(20, 16, nn.ReLU, True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GradientFlowWarning)
        with GradientMonitor(model) as monitor:
            train(model)
    assert monitor.problems == [] and len(monitor.steps) == 3
    norms = [monitor.steps[-1]["grad_norm"][name] for name in monitor.layers]
    assert min(norms) > 1e-2 * max(norms)


def test_recorded_numbers_match_a_direct_computation():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), nn.Tanh())
    monitor = GradientMonitor(model, warn=False)
    x = cr.randn(10, 4)
    out = model(x)
    hidden = F.relu(F.linear(x, model[0].weight, model[0].bias)).detach().numpy()
    out.sum().backward()
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    with cr.no_grad():
        for p in model.parameters():
            p -= 0.05 * p.grad  # plain SGD: ‖ΔW‖ = lr·‖∂L/∂W‖
    monitor.step()
    record = monitor.steps[0]
    after = [p.detach().numpy() for p in model.parameters()]
    for layer, (gw, gb), (w, b) in (("0", grads[0:2], after[0:2]), ("2", grads[2:4], after[2:4])):
        gnorm = math.sqrt((gw ** 2).sum() + (gb ** 2).sum())
        assert record["grad_norm"][layer] == pytest.approx(gnorm, rel=1e-5)
        assert record["update_ratio"][layer] == pytest.approx(0.05 * gnorm / math.sqrt((w ** 2).sum() + (b ** 2).sum()),
                                                              rel=1e-3)
    assert record["dead"]["1"] == pytest.approx(1 - (hidden > 0).any(axis=0).mean())
    assert record["saturated"]["3"] == pytest.approx((np.abs(out.detach().numpy()) > 0.99).mean())


def test_tiny_gradients_are_measured_not_rounded_to_zero():
    cr.manual_seed(0)
    model = nn.Linear(4, 2)
    monitor = GradientMonitor(model, warn=False)
    (model(cr.randn(3, 4)).sum() * 1e-21).backward()  # gradients ~1e-21: their float32 squares underflow
    monitor.step()
    exact = math.sqrt(sum((p.grad.numpy().astype(np.float64) ** 2).sum() for p in model.parameters()))
    assert exact > 0 and monitor.steps[0]["grad_norm"][""] == pytest.approx(exact, rel=1e-5)


def test_dead_saturated_and_exploding_with_thresholds_the_user_sets():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 3))
    with cr.no_grad():
        model[0].bias[:6] = -100.0   # 6 of 8 ReLU units never fire
        model[2].bias[:] = 50.0      # every sigmoid output is 1
    monitor = GradientMonitor(model, exploding_norm=10.0, dead_fraction=0.7, warn=False)
    (model(cr.randn(16, 4)).sum() * 1e3).backward()  # the last layer's gradient: 1e3 · 16 per element
    monitor.step()
    assert monitor.steps[0]["dead"]["1"] == pytest.approx(0.75)
    assert monitor.steps[0]["saturated"]["3"] == 1.0
    assert monitor.flagged("dead") == ["1"] and monitor.flagged("saturated") == ["3"]
    assert monitor.flagged("exploding") == ["4"]
    quiet = GradientMonitor(model, vanishing_ratio=0.0, vanishing_norm=0.0, exploding_norm=1e12, dead_fraction=0.9,
                            saturated_fraction=1.0, warn=False)
    train(model, steps=1)
    quiet.step()
    assert quiet.flagged() == []


def test_steps_end_at_the_next_training_forward_and_evaluation_is_not_a_step():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 3))
    monitor = GradientMonitor(model, warn=False)
    train(model, steps=4)
    assert len(monitor.steps) == 3  # the 4th ends at the next forward pass
    model.eval()
    with cr.no_grad():
        model(cr.randn(3, 4))
        model(cr.randn(3, 4))
    assert len(monitor.steps) == 4 and "1" in monitor.steps[3]["dead"]
    monitor.remove()
    assert not model._forward_pre_hooks and not model[1]._forward_hooks
    assert all(not p._post_accumulate_hooks for p in model.parameters())
    model.train()
    train(model, steps=2)
    assert len(monitor.steps) == 4


def test_works_inside_fit():
    from chainrule.train import fit
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    batches = [(cr.randn(8, 4), cr.randint(0, 3, (8,))) for _ in range(5)]
    monitor = GradientMonitor(model, warn=False)
    fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), batches, epochs=2, progress=False)
    monitor.step()
    assert len(monitor.steps) == 10
    assert all(math.isfinite(v) for s in monitor.steps for v in s["update_ratio"].values())


def test_table_and_picture(tmp_path):
    cr.manual_seed(0)
    model = deep_mlp(4, 8, nn.Tanh, False)
    monitor = GradientMonitor(model, warn=False)
    assert "no training step" in monitor.table()
    train(model, steps=3)
    monitor.step()
    table = str(monitor)
    assert table.splitlines()[0] == "step 2"
    assert table.splitlines()[1].split() == ["layer", "type", "grad", "norm", "update/weight", "dead", "saturated",
                                             "problems"]
    assert len(table.splitlines()) == 2 + 7
    assert f"{monitor.steps[2]['grad_norm']['0']:.3e}" in table
    pytest.importorskip("matplotlib")
    path = tmp_path / "flow.png"
    monitor.plot(str(path), title="test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_picture_without_matplotlib_says_how_to_install(monkeypatch):
    import builtins
    real = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("no matplotlib")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    cr.manual_seed(0)
    model = deep_mlp(3, 4, nn.Tanh, False)
    monitor = GradientMonitor(model, warn=False)
    train(model, steps=2)
    monitor.step()
    with pytest.raises(ImportError, match="pip install matplotlib"):
        monitor.plot()
