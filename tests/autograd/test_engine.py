"""The backward engine: accumulation, explicit gradients, retain_graph, grad(), grad mode, hooks."""
import threading

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import grad


def leaf(values, dtype=cr.float32):
    return cr.tensor(values, dtype=dtype, requires_grad=True)


def test_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.array([1, 2, 3]) + 3)
    assert x.grad.dtype == cr.float32


def test_a_value_used_twice_gets_both_contributions():
    x = leaf([2.0])
    y = x * x + x  # d/dx = 2x + 1
    y.backward(cr.ones(1))
    assert x.grad.item() == 5.0


def test_accumulation_does_not_alias_between_leaves():
    """One incoming gradient array reaching two leaves must not be shared by their .grad."""
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    a.grad.add_(10.0)
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_the_callers_gradient_is_never_modified_by_accumulation():
    x = leaf([1.0, 2.0])
    v = cr.tensor([1.0, 1.0])
    (x + 0.0).backward(v)  # Add passes v itself down to x
    (x + 0.0).backward(v)
    np.testing.assert_array_equal(v.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_backward_with_explicit_gradient_for_non_scalar_output():
    x = leaf([1.0, 2.0, 3.0])
    y = x * x
    y.backward(cr.tensor([1.0, 0.5, -1.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, -6.0])


def test_backward_on_non_scalar_without_gradient_is_a_clear_error():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match=r"only for scalar outputs.*shape \(2,\).*gradient="):
        y.backward()


def test_gradient_of_the_wrong_shape_is_a_clear_error():
    y = leaf([1.0, 2.0, 3.0]) * 2
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of \(2,\).*\(3,\)"):
        y.backward(cr.ones(2))


def test_second_backward_through_a_freed_graph_is_a_clear_error():
    x = leaf([0.5, 1.5])
    y = x.exp().sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([0.5, 1.5])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-6)


def test_backward_of_an_integer_or_constant_tensor_is_refused():
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.tensor([1, 2, 3]).sum().backward()
    with pytest.raises(RuntimeError, match="floating point.*int64"):
        cr.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point.*int64"):
        cr.tensor([1, 2], requires_grad=True)


def test_integer_results_carry_no_gradient():
    x = leaf([1.5, -2.5])
    assert not (x > 0).requires_grad
    assert not x.argmax().requires_grad
    assert x.max(0).indices.grad_fn is None


def test_grad_mode_context_managers_and_decorators():
    x = leaf([1.0])
    with cr.no_grad():
        assert not cr.is_grad_enabled()
        assert (x * 2).grad_fn is None
        with cr.enable_grad():
            assert (x * 2).requires_grad
    assert cr.is_grad_enabled()

    @cr.no_grad()
    def frozen(t):
        return t * 2

    @cr.enable_grad()
    def tracked(t):
        return t * 2

    assert not frozen(x).requires_grad
    with cr.no_grad():
        assert tracked(x).requires_grad
    with cr.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert cr.is_grad_enabled()


def test_grad_mode_decorators_without_parentheses():
    x = leaf([1.0])

    @cr.no_grad
    def frozen(t):
        return t * 2

    @cr.inference_mode
    def inferred(t):
        return t * 2

    assert not frozen(x).requires_grad and not inferred(x).requires_grad
    with cr.inference_mode(False):
        assert (x * 2).requires_grad


def test_grad_mode_is_per_thread():
    x = leaf([1.0])
    seen = []
    with cr.no_grad():
        worker = threading.Thread(target=lambda: seen.append((x * 2).requires_grad))
        worker.start()
        worker.join()
        assert not (x * 2).requires_grad
    assert seen == [True]  # a new thread starts with recording on, whatever another thread does


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError):
        with cr.no_grad():
            raise ValueError("boom")
    assert cr.is_grad_enabled()


def test_detach_cuts_the_graph_and_shares_memory():
    x = leaf([1.0, 2.0])
    y = x * 3
    d = y.detach()
    assert d.grad_fn is None and not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.numpy(), y.detach().numpy())
    (y * d).sum().backward()  # d is a constant: d(y*d)/dx = 3 * d
    np.testing.assert_allclose(x.grad.numpy(), [9.0, 18.0])


def test_leaves_and_graph_attributes():
    x = leaf([1.0])
    y = x * 2
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf and y.grad_fn is not None and y.requires_grad
    assert y.grad_fn.next_functions[0][0].name() == "AccumulateGrad"
    assert cr.tensor([1.0]).is_leaf
    y.backward(cr.ones(1))
    assert y.grad is None  # non-leaf gradients are not kept unless asked
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_autograd_grad_returns_gradients_without_touching_dot_grad():
    x, w = leaf([1.0, 2.0]), leaf([3.0, -1.0])
    gx, gw = grad((x * w).sum(), [x, w])
    np.testing.assert_array_equal(gx.numpy(), [3.0, -1.0])
    np.testing.assert_array_equal(gw.numpy(), [1.0, 2.0])
    assert x.grad is None and w.grad is None
    assert gx.dtype == cr.float32


def test_autograd_grad_of_an_intermediate_tensor():
    x = leaf([1.0, 2.0])
    h = x * x
    y = (h * 3.0).sum()
    gh, = grad(y, h)
    np.testing.assert_array_equal(gh.numpy(), [3.0, 3.0])


def test_autograd_grad_of_an_intermediate_tensor_runs_nothing_below_it():
    """Only what leads to an asked-for input runs: h's own backward would be wasted work (as in PyTorch)."""
    calls = []

    class Square(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            x, = ctx.saved_tensors
            return 2 * x * g

    x = leaf([1.0, 2.0])
    h = Square.apply(x)
    h.register_hook(lambda g: g * 10)  # a hook on h still shapes what is captured
    y = (h * 3.0).sum()
    gh, = grad(y, h, retain_graph=True)
    np.testing.assert_array_equal(gh.numpy(), [30.0, 30.0])
    assert calls == []
    gh, gx = grad(y, [h, x])
    np.testing.assert_array_equal(gx.numpy(), [60.0, 120.0])
    assert calls == [1]


def test_autograd_grad_unused_input():
    x, unused = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match=r"input 1.*not have been used.*allow_unused=True"):
        grad((x * 2).sum(), [x, unused])
    gx, gu = grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gx.item() == 2.0 and gu is None


def test_autograd_grad_with_grad_outputs_and_several_outputs():
    x = leaf([1.0, 2.0])
    a, b = x * 2, x * x
    gx, = grad([a, b], [x], [cr.tensor([1.0, 1.0]), cr.tensor([0.5, 2.0])])
    np.testing.assert_allclose(gx.numpy(), [2 + 0.5 * 2, 2 + 2 * 4])


def test_autograd_grad_refuses_inputs_without_grad():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        grad((x * 2).sum(), [cr.tensor([1.0])])


def test_backward_inputs_restricts_accumulation():
    x, w = leaf([1.0]), leaf([2.0])
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None and w.grad.item() == 1.0


def test_hook_on_leaf_replaces_its_gradient_and_can_be_removed():
    x = leaf([1.0, 2.0])
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    (x * x).sum().backward()
    np.testing.assert_array_equal(seen[0], [2.0, 4.0])
    np.testing.assert_array_equal(x.grad.numpy(), [20.0, 40.0])
    handle.remove()
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_hook_on_intermediate_tensor_changes_what_flows_upstream():
    x = leaf([1.0, 2.0])
    h = x * 3
    h.register_hook(lambda g: g * 0.5)
    (h * h).sum().backward()  # dL/dh = 2h, halved, times dh/dx = 3
    np.testing.assert_allclose(x.grad.numpy(), 0.5 * 2 * np.array([3.0, 6.0]) * 3)


def test_hook_on_tensor_not_requiring_grad_is_refused():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        cr.tensor([1.0]).register_hook(lambda g: g)


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = leaf([1.0, 2.0])
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [6.0, 12.0])
    assert h.retains_grad


def test_post_accumulate_grad_hook_sees_the_updated_grad():
    x = leaf([1.0])
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.item()))
    (x * 4).sum().backward()
    assert seen == [4.0]


def test_post_accumulate_grad_hook_runs_under_create_graph_too():
    """As in PyTorch: the hook sees a .grad that carries its graph, which a second backward goes through."""
    x = leaf([1.0, 2.0])
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append((t.grad.detach().numpy().copy(),
                                                                 t.grad.grad_fn is not None)))
    (x ** 3).sum().backward(create_graph=True)
    assert len(seen) == 1 and seen[0][1]
    np.testing.assert_allclose(seen[0][0], [3.0, 12.0])
    g = x.grad
    x.grad = None
    g.sum().backward()  # d/dx Σ 3x² = 6x
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])


def test_node_hook_sees_input_and_output_gradients_and_may_replace_them():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 5.0])
    y = x * w
    seen = []

    def hook(grad_inputs, grad_outputs):
        seen.append((grad_inputs, grad_outputs))
        return grad_inputs[0] * 2, grad_inputs[1]

    handle = y.grad_fn.register_hook(hook)
    y.sum().backward(retain_graph=True)
    (grad_inputs, grad_outputs), = seen
    assert all(isinstance(g, cr.Tensor) for g in grad_inputs + grad_outputs)
    np.testing.assert_array_equal(grad_inputs[0].numpy(), [3.0, 5.0])
    np.testing.assert_array_equal(grad_outputs[0].numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 10.0])
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0])
    handle.remove()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [9.0, 15.0])


def test_gradients_stay_float32_through_mixed_python_and_numpy_scalars():
    x = leaf([1.0, 2.0])
    y = (x * np.float64(2.0) + 1.5) / np.float64(3.0) - x ** 2.0
    y.sum().backward()
    assert y.dtype == cr.float32 and x.grad.dtype == cr.float32


def test_float64_graph_stays_float64():
    x = leaf([1.0, 2.0], dtype=cr.float64)
    (x * 2.5).exp().sum().backward()
    assert x.grad.dtype == cr.float64
