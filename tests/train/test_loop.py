"""fit / evaluate: learning happens, history and checkpoints are written, and a run killed
with SIGKILL mid-epoch resumes to exactly the weights of an uninterrupted run."""
import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.train import Callback, evaluate, fit
from chainrule.train.metrics import accuracy
from chainrule.utils.data import DataLoader, TensorDataset

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _blobs(n=240, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centers = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    x = (centers[y] + 0.5 * rng.standard_normal((n, 2))).astype(np.float32)
    return cr.tensor(x), cr.tensor(y)


def _setup(seed=0):
    cr.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 3))
    x, y = _blobs()
    train = DataLoader(TensorDataset(x[:180], y[:180]), batch_size=20, shuffle=True)
    val = DataLoader(TensorDataset(x[180:], y[180:]), batch_size=30)
    return model, train, val


def test_fit_learns_and_reports_history(tmp_path):
    model, train, val = _setup()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    hist = fit(model, nn.CrossEntropyLoss(), opt, train, val, epochs=4, scheduler=sched,
               metrics={"accuracy": accuracy}, checkpoint_dir=str(tmp_path), progress=False)
    assert [row["epoch"] for row in hist] == [1, 2, 3, 4]
    assert hist[-1]["loss"] < hist[0]["loss"]
    assert hist[-1]["val_accuracy"] > 0.9
    assert hist.column("lr") == [0.1, 0.1, 0.05, 0.05]
    assert json.loads((tmp_path / "history.json").read_text())[-1]["epoch"] == 4
    assert (tmp_path / "history.csv").read_text().splitlines()[0].startswith("epoch,loss,val_loss")
    best = cr.load(tmp_path / "best.safetensors")
    assert set(best) == set(model.state_dict())
    again = evaluate(model, val, nn.CrossEntropyLoss(), {"accuracy": accuracy})
    assert again["accuracy"] == pytest.approx(hist[-1]["val_accuracy"])


def test_evaluate_records_no_graph_and_restores_mode():
    model, _, val = _setup()
    model.train()
    seen = []
    model.register_forward_hook(lambda m, i, out: seen.append((m.training, out.requires_grad)))
    evaluate(model, val)
    assert all(t is False and g is False for t, g in seen) and model.training


def test_early_stopping_and_callbacks():
    model, train, val = _setup()
    opt = optim.SGD(model.parameters(), lr=0.0)  # nothing improves after the first epoch

    class Count(Callback):
        batches = 0

        def on_batch_end(self, state):
            Count.batches += 1
    hist = fit(model, nn.CrossEntropyLoss(), opt, train, val, epochs=10, early_stopping=2,
               callbacks=[Count()], progress=False)
    assert len(hist) == 3 and Count.batches == 3 * len(train)


def test_same_seed_same_run():
    results = []
    for _ in range(2):
        model, train, val = _setup()
        fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01), train, epochs=2,
            seed=3, progress=False)
        results.append([p.detach().numpy().copy() for p in model.parameters()])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


SCRIPT = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {root!r})
    sys.path.insert(0, {tests!r})
    import chainrule as cr
    from chainrule import nn, optim
    from chainrule.train import Callback, fit
    from test_loop import _setup

    class KillMidEpoch(Callback):
        def on_batch_end(self, state):
            if os.environ.get("KILL_AT") == f"{{state['epoch']}}:{{state['step']}}":
                os.kill(os.getpid(), signal.SIGKILL)

    model, train, val = _setup()
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    fit(model, nn.CrossEntropyLoss(), opt, train, val, epochs=4, scheduler=sched, checkpoint_dir=sys.argv[1],
        resume=True, callbacks=[KillMidEpoch()], seed=7, progress=False)
    cr.save(model.state_dict(), sys.argv[2])
""")


def test_killed_run_resumes_to_identical_weights(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT.format(root=ROOT, tests=os.path.dirname(os.path.abspath(__file__))))
    run = lambda ckpt, out, env: subprocess.run([sys.executable, str(script), str(ckpt), str(out)],
                                                 env={**os.environ, **env}, capture_output=True, text=True)
    ref = run(tmp_path / "a", tmp_path / "a.safetensors", {})
    assert ref.returncode == 0, ref.stderr
    killed = run(tmp_path / "b", tmp_path / "b.safetensors", {"KILL_AT": "2:22"})  # 9 batches/epoch: mid epoch 3
    assert killed.returncode == -signal.SIGKILL
    assert cr.load(tmp_path / "b" / "last.safetensors")["epoch"] == 1  # last complete epoch (0-based)
    resumed = run(tmp_path / "b", tmp_path / "b.safetensors", {})
    assert resumed.returncode == 0, resumed.stderr
    a, b = cr.load(tmp_path / "a.safetensors"), cr.load(tmp_path / "b.safetensors")
    for k in a:
        np.testing.assert_array_equal(a[k].numpy(), b[k].numpy())
    hist = json.loads((tmp_path / "b" / "history.json").read_text())
    assert [row["epoch"] for row in hist] == [1, 2, 3, 4]


def test_bad_batches_and_modes_are_explained():
    model, train, val = _setup()
    with pytest.raises(ValueError, match="mode must be"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), train, mode="up")
    with pytest.raises(TypeError, match=r"a batch must be \(inputs, targets\)"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), [cr.zeros(2)], progress=False)
