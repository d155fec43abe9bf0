"""What a graph keeps after backward: nothing an operation saved or kept on its node stays alive
(unless retain_graph), and a training step leaves no reference cycles behind."""
import gc
import weakref

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.autograd import Function


def leaf(rng, *shape):
    return cr.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)


def test_arrays_kept_as_node_attributes_are_freed_by_backward(rng):
    x = leaf(rng, 4, 5)
    y = F.leaky_relu(x * 2, 0.1)          # keeps its mask as a ctx attribute
    mask = weakref.ref(y.grad_fn.mask)
    loss = y.sum()
    loss.backward()
    assert mask() is None                 # y and loss, hence the graph, are still alive


def test_saved_intermediate_inputs_are_freed_by_backward(rng):
    x, w = leaf(rng, 3, 4), leaf(rng, 2, 4)
    h = x * 3                             # an intermediate that only the graph holds
    out = F.linear(h, w)                  # saves h for the weight gradient
    data = weakref.ref(h._data)
    del h
    loss = out.sum()
    assert data() is not None
    loss.backward()
    assert data() is None


def test_retain_graph_keeps_everything_for_a_second_backward(rng):
    x = leaf(rng, 6)
    y = F.leaky_relu(x, 0.2)
    mask = weakref.ref(y.grad_fn.mask)
    loss = (y * y).sum()
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    assert mask() is not None
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-6)


def test_a_second_backward_through_a_freed_attribute_is_a_clear_error(rng):
    x = leaf(rng, 6)
    loss = F.leaky_relu(x, 0.2).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph=True"):
        loss.backward()


def test_nodes_that_kept_only_metadata_allow_a_second_backward(rng):
    x = leaf(rng, 2, 3)
    loss = x.reshape(6).double().sum()    # shapes and dtypes only: as in PyTorch, backward twice works
    loss.backward()
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2, np.float32))


class _Scale(Function):
    """A user's Function without __slots__, keeping an array as a plain ctx attribute."""

    @staticmethod
    def forward(ctx, x):
        ctx.factor = np.full_like(x, 3)
        ctx.label = "scale"
        return x * ctx.factor

    @staticmethod
    def backward(ctx, g):
        return g * ctx.factor


def test_attributes_of_a_users_function_without_slots_are_freed_too(rng):
    x = leaf(rng, 5)
    y = _Scale.apply(x)
    factor = weakref.ref(y.grad_fn.factor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(5, 3, np.float32))
    assert factor() is None
    assert y.grad_fn.label == "scale"     # plain metadata stays


def test_a_training_step_leaves_no_reference_cycles(rng):
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    opt = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, t = cr.tensor(rng.standard_normal((4, 8)).astype(np.float32)), cr.tensor([0, 2, 1, 0])
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(3):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), t)
            loss.backward()
            opt.step()
        del loss
        assert gc.collect() == 0          # everything was freed by reference counting alone
    finally:
        if was_enabled:
            gc.enable()
