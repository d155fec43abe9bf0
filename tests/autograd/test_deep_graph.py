"""Deep graphs: the engine and the freeing of a graph never recurse, so depth is not limited by
Python's recursion limit."""
import sys

import numpy as np

import chainrule as cr

DEPTH = 100_000


def test_chain_of_100000_operations_backpropagates():
    x = cr.tensor([0.5, -0.25], requires_grad=True)
    y = x
    for _ in range(DEPTH // 2):
        y = y * 1.0
        y = y + 0.0
    assert sys.getrecursionlimit() < DEPTH
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_freeing_a_100000_deep_graph_does_not_crash():
    x = cr.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(DEPTH):
        y = y + 1.0
    del y  # drops the whole chain of nodes at once
    z = x * 2
    z.sum().backward()
    assert x.grad.item() == 2.0


def test_deep_create_graph_chain():
    """grad(create_graph=True) through a long chain: the recorded backward is itself deep."""
    x = cr.tensor([0.3], dtype=cr.float64, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0001
    g, = cr.autograd.grad(y.sum(), x, create_graph=True)
    (gg,) = cr.autograd.grad((g * x).sum(), x)  # d/dx (x · 1.0001^n) = 1.0001^n
    np.testing.assert_allclose(gg.numpy(), [1.0001 ** 3000])
