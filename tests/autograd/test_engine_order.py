"""The engine's visiting order on graphs that are not chains: random DAGs (values reused by later
operations, several losses of one graph) give PyTorch's gradients; a wrong gradient count is named."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import Function
from tests.conftest import requires_torch, torch

UNARY = ["tanh", "sigmoid", "sin", "exp"]


def random_dag(fw, x, rng_seed, length):
    """Each new value combines the latest one with a random earlier one (or transforms it)."""
    rng = np.random.default_rng(rng_seed)
    values = [x]
    for _ in range(length):
        a = values[-1]
        b = values[rng.integers(len(values))]
        kind = rng.integers(4)
        if kind == 0:
            values.append(a * b * 0.5)
        elif kind == 1:
            values.append(a + b)
        elif kind == 2:
            values.append(getattr(fw, UNARY[rng.integers(len(UNARY))])(a * 0.3))
        else:
            values.append(a - b * 0.25)
    picked = [values[i] for i in rng.choice(len(values), 3, replace=False)]
    return sum(v.sum() for v in picked)


@requires_torch
@pytest.mark.parametrize("seed", range(6))
def test_random_dags_give_torchs_gradients(seed):
    data = np.random.default_rng(100 + seed).uniform(-1, 1, (3, 4)).astype(np.float32)
    x, tx = cr.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    random_dag(cr, x, seed, 40).backward()
    random_dag(torch, tx, seed, 40).backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)


@requires_torch
def test_a_node_reached_by_a_long_and_a_short_path_waits_for_both():
    data = np.array([0.3, -0.7], np.float32)
    results = []
    for fw in (cr, torch):
        x = fw.tensor(data, requires_grad=True)
        a = x * 2.0
        long = a
        for _ in range(5):
            long = fw.tanh(long) * 1.5
        (long + a * a).sum().backward()
        results.append(x.grad.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5)


class _TooFew(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g


class _TooMany(_TooFew):
    @staticmethod
    def backward(ctx, g):
        return g, g, g


@pytest.mark.parametrize("cls, got", [(_TooFew, 1), (_TooMany, 3)])
def test_a_wrong_number_of_gradients_is_named(cls, got):
    a, b = cr.ones(2, requires_grad=True), cr.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=f"incorrect number of gradients \\(expected 2, got {got}\\)"):
        cls.apply(a, b).sum().backward()
