"""User-defined operations: a `Function` subclass used end to end, and its errors."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import Function, gradcheck, once_differentiable


class Cube(Function):
    """x³ with its derivative 3x², written as a user would."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * 3 * x * x


class ScaledAdd(Function):
    """a + alpha·b with a non-tensor argument (which gets None as its gradient)."""
    __slots__ = ("alpha",)

    @staticmethod
    def forward(ctx, a, b, alpha):
        ctx.alpha = alpha
        return a + alpha * b

    @staticmethod
    def backward(ctx, g):
        need_a, need_b, _ = ctx.needs_input_grad
        return (g if need_a else None), (g * ctx.alpha if need_b else None), None


def test_custom_function_forward_backward_and_graph_node():
    x = cr.tensor([1.0, -2.0, 0.5], requires_grad=True)
    y = Cube.apply(x)
    assert isinstance(y, cr.Tensor) and y.dtype == cr.float32
    assert y.grad_fn.name() == "CubeBackward0"
    np.testing.assert_allclose(y.detach().numpy(), [1.0, -8.0, 0.125])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0, 0.75])


def test_custom_function_passes_gradcheck_including_second_order():
    x = cr.tensor([0.3, -1.2, 2.0], dtype=cr.float64, requires_grad=True)
    assert gradcheck(Cube.apply, [x])
    assert cr.autograd.gradgradcheck(Cube.apply, [x])


def test_custom_function_with_non_tensor_argument_and_needs_input_grad():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = cr.tensor([3.0, 4.0])
    y = ScaledAdd.apply(a, b, 0.5)
    assert y.grad_fn.needs_input_grad == (True, False, False)
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 1.0])
    assert gradcheck(lambda p, q: ScaledAdd.apply(p, q, 2.5),
                     [cr.tensor([0.5, -1.0, 2.0], dtype=cr.float64, requires_grad=True),
                      cr.tensor([1.5, 0.25, -3.0], dtype=cr.float64, requires_grad=True)])


def test_custom_function_without_grad_records_nothing():
    y = Cube.apply(cr.tensor([2.0]))
    assert y.grad_fn is None and not y.requires_grad
    with cr.no_grad():
        assert Cube.apply(cr.tensor([2.0], requires_grad=True)).grad_fn is None


def test_wrong_number_of_gradients_is_a_clear_error():
    class TooMany(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, g

    with pytest.raises(RuntimeError, match=r"TooManyBackward0 returned an incorrect number of gradients "
                                           r"\(expected 1, got 2\)"):
        TooMany.apply(cr.tensor([1.0], requires_grad=True)).sum().backward()


def test_wrong_gradient_shape_is_a_clear_error_and_a_broadcast_one_is_summed():
    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, g):
            return np.ones(5, dtype=np.float32)

    class Broadcast(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return np.ones((4, 3), dtype=np.float32) * 2  # PyTorch's engine sums this to x's shape too

    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"WrongShapeBackward0 returned an invalid gradient at index 0 - "
                                           r"got shape \(5,\) but expected shape compatible with \(3,\)"):
        WrongShape.apply(x).backward()
    Broadcast.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [8.0, 8.0, 8.0])


def test_gradient_of_another_dtype_is_cast_to_the_input_dtype():
    class Promotes(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g.astype(np.float64) * 2

    x = cr.tensor([1.0], requires_grad=True)
    Promotes.apply(x).sum().backward()
    assert x.grad.dtype == cr.float32


def test_user_once_differentiable_backward():
    class Clip(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.clip(x, -1, 1)

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            x, = ctx.saved_tensors
            assert isinstance(x, np.ndarray) and isinstance(g, np.ndarray)  # NumPy only, even under create_graph
            return g * (np.abs(x) <= 1)

    x = cr.tensor([0.5, 2.0], requires_grad=True)
    g, = cr.autograd.grad(Clip.apply(x).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), [1.0, 0.0])
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


def test_forward_and_backward_must_be_defined():
    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x

    with pytest.raises(NotImplementedError, match="backward"):
        NoBackward.apply(cr.tensor([1.0], requires_grad=True)).sum().backward()
