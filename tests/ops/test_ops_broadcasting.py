"""Broadcasting, by property: for any pair of mutually broadcastable shapes, binary operations give
PyTorch's values and gradients, and each gradient has the shape of its operand."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import chainrule as cr
from tests.conftest import requires_torch
from tests.ops.op_harness import assert_same, torch, torch_lib

pytestmark = requires_torch

BINARY = {
    "add": lambda m, a, b: a + b,
    "sub": lambda m, a, b: a - b,
    "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / (b * b + 0.5),
    "pow": lambda m, a, b: (a * a + 0.5) ** b,
    "maximum": lambda m, a, b: m.maximum(a, b),
    "where": lambda m, a, b: m.where(a > b, a, b),
}
SHAPES = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=1, max_side=3)


def run(lib, fn, arrays, seed):
    xs = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(lib, *xs)
    grads = (cr.autograd if lib is cr else torch.autograd).grad(out, xs, lib.tensor(seed), allow_unused=True)
    return out, grads


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=20, deadline=None)
@given(shapes=SHAPES, seed=st.integers(0, 2 ** 16))
def test_binary_broadcasting_matches_torch(name, shapes, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes.input_shapes]
    upstream = rng.standard_normal(shapes.result_shape).astype(np.float32)
    out, grads = run(cr, BINARY[name], arrays, upstream)
    tout, tgrads = run(torch_lib(), BINARY[name], arrays, upstream)
    assert_same(out, tout, "output", 1e-5, 1e-4)
    for i, (g, tg) in enumerate(zip(grads, tgrads)):
        assert g.shape == shapes.input_shapes[i]
        assert_same(g, tg, f"gradient of operand {i}", 1e-5, 1e-4)


@settings(max_examples=20, deadline=None)
@given(batch=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       n=st.integers(1, 3), k=st.integers(1, 3), p=st.integers(1, 3), seed=st.integers(0, 2 ** 16))
def test_batched_matmul_broadcasting_matches_torch(batch, n, k, p, seed):
    rng = np.random.default_rng(seed)
    shape_a, shape_b = batch.input_shapes[0] + (n, k), batch.input_shapes[1] + (k, p)
    arrays = [rng.standard_normal(shape_a).astype(np.float32), rng.standard_normal(shape_b).astype(np.float32)]
    upstream = rng.standard_normal(batch.result_shape + (n, p)).astype(np.float32)
    out, grads = run(cr, lambda m, a, b: a @ b, arrays, upstream)
    tout, tgrads = run(torch_lib(), lambda m, a, b: a @ b, arrays, upstream)
    assert_same(out, tout, "output", 1e-5, 1e-4)
    for i, (g, tg) in enumerate(zip(grads, tgrads)):
        assert_same(g, tg, f"gradient of operand {i}", 1e-5, 1e-4)
