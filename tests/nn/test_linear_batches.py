"""F.linear computes few-row products another way (faster with OpenBLAS): same values, gradients,
dtype and C-contiguous layout as PyTorch on both sides of that switch."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from tests.conftest import requires_torch, torch


@requires_torch
@pytest.mark.parametrize("rows", [1, 16, 32, 33])
@pytest.mark.parametrize("out_features", [10, 128, 300])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch_around_the_few_rows_switch(rows, out_features, bias):
    rng = np.random.default_rng(rows + out_features)
    x = rng.standard_normal((rows, 40)).astype(np.float32)
    w = rng.standard_normal((out_features, 40)).astype(np.float32)
    b = rng.standard_normal(out_features).astype(np.float32)
    g = rng.standard_normal((rows, out_features)).astype(np.float32)
    ours = [cr.tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = F.linear(ours[0], ours[1], ours[2] if bias else None)
    ty = torch.nn.functional.linear(theirs[0], theirs[1], theirs[2] if bias else None)
    assert y.dtype == np.float32 and y.is_contiguous()
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    for t, tt in zip(ours if bias else ours[:2], theirs):
        assert t.grad.dtype == np.float32
        np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_few_rows_float64_stays_float64():
    x = cr.tensor(np.ones((2, 3)), requires_grad=True)
    w = cr.tensor(np.ones((200, 3)), requires_grad=True)
    y = F.linear(x, w, cr.zeros(200, dtype=cr.float64))
    assert y.dtype == np.float64 and y.is_contiguous()
    y.sum().backward()
    assert x.grad.dtype == np.float64 and w.grad.dtype == np.float64
