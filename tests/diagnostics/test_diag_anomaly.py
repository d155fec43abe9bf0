"""Anomaly detection: the first NaN/inf in backward names its operation and the user's forward line."""
import inspect
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.autograd import engine, function
from chainrule.diagnostics import detect_anomaly, find_nonfinite, is_anomaly_enabled, set_detect_anomaly
from tests.conftest import requires_torch

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore:Anomaly Detection has been enabled")


def line_of(text, fn):
    """Line number of `text` inside the source of fn."""
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def zero_over_zero(x):
    y = x * 3.0
    z = y.sqrt() * 0.0  # the culprit: sqrt's derivative at 0 times a zero gradient is 0/0
    return z.sum()


def test_backward_error_names_the_operation_the_line_and_the_shapes():
    x = cr.tensor([0.0, 1.0, 2.0], requires_grad=True)
    with detect_anomaly():
        loss = zero_over_zero(x)
        with pytest.raises(RuntimeError) as err:
            loss.backward()
    message = str(err.value)
    assert message.startswith("Function 'SqrtBackward0' returned nan values in its 0th output")
    assert f"{__file__}, line {line_of('z = y.sqrt()', zero_over_zero)}, in zero_over_zero" in message
    assert "z = y.sqrt() * 0.0  # the culprit" in message
    assert "Its inputs: (3,) float32; its output: (3,) float32." in message
    assert "The gradient it received was finite" in message


@requires_torch
def test_same_operation_as_pytorch_anomaly_mode():
    import torch
    tx = torch.tensor([0.0, 1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autograd.detect_anomaly(), pytest.raises(RuntimeError) as expected:
            zero_over_zero(tx).backward()
    x = cr.tensor([0.0, 1.0, 2.0], requires_grad=True)
    with cr.autograd.detect_anomaly(), pytest.raises(RuntimeError) as got:
        zero_over_zero(x).backward()
    assert str(got.value).splitlines()[0].startswith(str(expected.value).splitlines()[0].rstrip("."))


def test_infinity_is_caught_too_and_an_incoming_nonfinite_gradient_is_said_so():
    x = cr.tensor([0.0, 4.0], requires_grad=True)
    with detect_anomaly():
        y = cr.sqrt(x)
        with pytest.raises(RuntimeError, match="'SqrtBackward0' returned inf values"):
            y.sum().backward()
        z = x * 2
        with pytest.raises(RuntimeError, match="already non-finite"):
            z.backward(cr.tensor([float("nan"), 1.0]))


def test_without_the_mode_backward_goes_through_and_nothing_is_hooked():
    assert function.on_record is None and engine.on_backward is None
    x = cr.tensor([0.0, 1.0], requires_grad=True)
    zero_over_zero(x).backward()
    assert np.isnan(x.grad.numpy()[0])
    with detect_anomaly():
        assert is_anomaly_enabled() and function.on_record is not None
        with set_detect_anomaly(False):
            assert not is_anomaly_enabled() and function.on_record is None
        assert engine.on_backward is not None
    assert not is_anomaly_enabled() and function.on_record is None and engine.on_backward is None


def test_check_nan_false_and_decorator_use():
    x = cr.tensor([0.0], requires_grad=True)
    with detect_anomaly(check_nan=False):
        zero_over_zero(x).backward()

    @detect_anomaly()
    def run():
        zero_over_zero(cr.tensor([0.0], requires_grad=True)).backward()

    with pytest.raises(RuntimeError, match="SqrtBackward0"):
        run()


def test_forward_outside_the_mode_says_how_to_see_the_line():
    x = cr.tensor([0.0], requires_grad=True)
    loss = zero_over_zero(x)
    with detect_anomaly(), pytest.raises(RuntimeError, match="Run the forward pass inside detect_anomaly"):
        loss.backward()


def test_checked_under_create_graph_as_well():
    x = cr.tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(RuntimeError, match="SqrtBackward0"):
        cr.autograd.grad(zero_over_zero(x), x, create_graph=True)


def bad_model():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    with cr.no_grad():
        model[0].weight.zero_()
        model[0].bias.fill_(1.0)          # tanh(1) > 0 in every row, so the first output is inf - inf = nan
        model[2].weight[0, 0] = float("inf")
        model[2].bias[0] = -float("inf")
    return model


def test_forward_check_names_the_first_operation_and_its_module():
    report = find_nonfinite(bad_model(), cr.randn(5, 3))
    assert report.operation == "Linear" and report.module == "2" and report.kind == "nan"
    assert report.output_shapes == [((5, 2), "float32")]
    assert "Linear inside module '2' produced nan" in str(report)


def log_of_shifted(a):
    return cr.log(a - 1.0) * 2


def test_forward_check_of_a_function_gives_the_line():
    report = find_nonfinite(log_of_shifted, cr.tensor([1.0, 3.0]))
    assert (report.operation, report.kind) == ("Log", "inf")
    assert report.line[1] == line_of("return cr.log(a - 1.0)", log_of_shifted)
    assert find_nonfinite(log_of_shifted, cr.tensor([2.0, 3.0])) is None
    bad_input = find_nonfinite(log_of_shifted, cr.tensor([2.0, float("nan")]))
    assert bad_input.argument == 0 and "already contains nan" in str(bad_input)
    assert function.on_record is None
