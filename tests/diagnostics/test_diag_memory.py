"""Memory: bytes saved for backward counted from first principles, per layer and in total; the step's peak."""
import numpy as np

import chainrule as cr
from chainrule import nn
from chainrule.diagnostics import memory_report, peak_memory, saved_bytes


def test_saved_bytes_of_known_graphs():
    cr.manual_seed(0)
    lin = nn.Linear(8, 8)
    x = cr.randn(4, 8)                       # data: kept by Linear to compute the weight's gradient
    loss = cr.relu(lin(x)).sum()             # ReLU keeps its 4×8 output; Sum keeps nothing
    assert saved_bytes(loss) == 2 * 4 * 8 * 4
    a = cr.randn(10, requires_grad=True)     # a leaf: referencing it costs nothing extra
    y = a.exp()                              # Exp keeps its output y ...
    z = (y * y).sum()                        # ... which Mul keeps twice: one buffer, counted once
    assert saved_bytes(z) == 10 * 4


def test_views_count_the_buffer_they_keep_alive_once():
    a = cr.randn(100, requires_grad=True)
    y = a.exp()                                  # keeps y: 400 bytes
    part = y[:10]                                # a view: the Mul below keeps y's whole buffer alive
    assert saved_bytes((part * part).sum()) == 100 * 4


def test_report_per_layer_total_and_peak():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 4))
    x = cr.randn(64, 16)
    before = model[1].running_mean.numpy().copy()
    report = memory_report(model, x)
    rows = {name: (kind, ops, b) for name, kind, ops, b in report.rows}
    assert rows["0"] == ("Linear", 1, 64 * 16 * 4)    # its input
    assert rows["2"] == ("ReLU", 1, 64 * 32 * 4)      # its output
    assert rows["3"] == ("Linear", 1, 0)              # its input is the ReLU's output, already counted
    assert rows["1"][0] == "BatchNorm1d" and rows["1"][2] >= 64 * 32 * 4
    assert report.saved_bytes == sum(r[3] for r in report.rows)
    assert report.parameter_bytes == sum(p.nbytes for p in model.parameters())
    assert report.peak_bytes >= report.saved_bytes
    text = str(report)
    assert "BatchNorm1d" in text and "total activations saved for backward" in text and "peak memory" in text
    # the model is left as it was
    assert all(p.grad is None for p in model.parameters())
    np.testing.assert_array_equal(model[1].running_mean.numpy(), before)
    assert memory_report(model, x, step=False).peak_bytes is None


def test_peak_memory_sees_numpy_allocations():
    def allocate():
        big = np.ones(1_000_000, np.float32)
        return float(big[0])

    value, peak = peak_memory(allocate)
    assert value == 1.0 and 4_000_000 <= peak < 4_500_000
