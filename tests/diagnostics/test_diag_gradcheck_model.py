"""Whole-model gradient checks: right backward passes pass, a wrong one is caught and reported."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
import chainrule.nn.functional as F
from chainrule.autograd import Function
from chainrule.diagnostics import ModelGradcheckError, check_model_gradients


def test_a_model_with_batch_norm_and_dropout_passes_and_is_left_unchanged():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Dropout(0.3), nn.Linear(8, 3))
    x, y = cr.randn(6, 4), cr.randint(0, 3, (6,))
    weights = [p.detach().numpy().copy() for p in model.parameters()]
    state = cr.get_rng_state()
    report = check_model_gradients(model, x, target=y, loss_fn=F.cross_entropy)
    assert report.passed and bool(report)
    assert [len(p.elements) for p in report.parameters] == [3] * 6
    assert all(p.max_error < 1e-6 for p in report.parameters)
    assert "all parameter gradients match" in str(report)
    for p, w in zip(model.parameters(), weights):
        assert p.dtype == np.float32 and p.grad is None
        np.testing.assert_array_equal(p.detach().numpy(), w)
    np.testing.assert_array_equal(model[1].running_var.numpy(), np.ones(8, np.float32))
    assert cr.get_rng_state().equal(state)


class HalfSquare(Function):
    """x², with a backward that forgets the factor 2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 3)
        self.b = nn.Linear(3, 1)

    def forward(self, x):
        return self.b(HalfSquare.apply(self.a(x)))


def test_a_wrong_backward_is_caught_with_the_parameters_it_affects():
    cr.manual_seed(0)
    report = check_model_gradients(Broken(), cr.randn(4, 3))
    passed = {p.name: p.passed for p in report.parameters}
    assert passed == {"a.weight": False, "a.bias": False, "b.weight": True, "b.bias": True}
    assert not report.direction_passed
    for index, analytic, numeric in report.parameters[0].elements:
        assert numeric == pytest.approx(2 * analytic, rel=1e-6)  # the missing factor 2
    text = str(report)
    assert "MISMATCH" in text and "a.weight[" in text and "some parameter gradients are WRONG" in text
    with pytest.raises(ModelGradcheckError, match="a.bias"):
        check_model_gradients(Broken(), cr.randn(4, 3), raise_exception=True)


def test_needs_parameters_and_a_scalar_loss():
    with pytest.raises(ValueError, match="no parameter that requires grad"):
        check_model_gradients(nn.ReLU(), cr.randn(2))
    with pytest.raises(ValueError, match="scalar loss"):
        check_model_gradients(nn.Linear(2, 2), cr.randn(3, 2), loss_fn=lambda out: out)
