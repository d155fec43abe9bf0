"""`gradcheck` / `gradgradcheck` themselves: they pass on correct operations and fail, naming the
worst element, on a deliberately wrong one."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import Function, gradcheck, gradgradcheck
from chainrule.autograd.gradcheck import GradcheckError


class WrongSin(Function):
    """sin with a backward off by a factor of 2 at one element."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        scale = np.ones(x.shape)
        scale.reshape(-1)[-1] = 2.0
        return g * np.cos(x) * scale


class WrongSecondDerivative(Function):
    """x² whose backward is right at first order but is written with a constant where x belongs."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * 2 * (x.detach() if isinstance(x, cr.Tensor) else x)


def double(*shape):
    return cr.tensor(np.random.default_rng(0).standard_normal(shape), dtype=cr.float64, requires_grad=True)


def test_gradcheck_passes_on_correct_operations():
    assert gradcheck(lambda a, b: (a @ b).tanh().sum(dim=0), [double(3, 4), double(4, 2)])
    assert gradcheck(lambda a: a.softmax(-1) * a, [double(2, 5)], eps=1e-6, atol=1e-6)


def test_gradcheck_names_the_worst_element_of_a_wrong_backward():
    x = double(2, 3)
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongSin.apply, [x])
    message = str(info.value)
    assert "output 0 with respect to input 0" in message
    assert "input element (1, 2)" in message  # the element whose derivative was doubled
    want = np.cos(x.detach().numpy()[1, 2])
    assert f"analytic {2 * want:.8g} vs numerical" in message


def test_gradcheck_can_return_false_instead_of_raising():
    assert gradcheck(WrongSin.apply, [double(3)], raise_exception=False) is False


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    x = double(3)
    assert gradcheck(WrongSecondDerivative.apply, [x])
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradgradcheck(WrongSecondDerivative.apply, [x])


def test_gradcheck_requires_float64_inputs_that_require_grad():
    with pytest.raises(ValueError, match="float64.*float32"):
        gradcheck(lambda a: a * 2, [cr.ones(3, requires_grad=True)])
    with pytest.raises(ValueError, match="requires_grad=True"):
        gradcheck(lambda a: a * 2, [cr.ones(3, dtype=cr.float64)])


def test_gradcheck_handles_views_of_the_input_and_non_contiguous_inputs():
    base = cr.tensor(np.random.default_rng(1).standard_normal((4, 3)), dtype=cr.float64)
    x = cr.from_numpy(base.numpy().T).requires_grad_()  # a leaf whose memory is not C-contiguous
    assert gradcheck(lambda a: a[1:].T * 2, [x])
