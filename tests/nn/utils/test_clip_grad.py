"""Gradient clipping against PyTorch: returned norms, clipped gradients, dtypes, errors."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.nn.utils import clip_grad_norm, clip_grad_norm_, clip_grad_value_, get_total_norm
from tests.conftest import requires_torch, torch

pytestmark = requires_torch
SHAPES = [(3, 4), (5,), (2, 2, 2)]


def grads(scale, seed=0):
    rng = np.random.default_rng(seed)
    return [(scale * rng.standard_normal(s)).astype(np.float32) for s in SHAPES]


def with_grads(lib, arrays, missing=()):
    """Parameters whose .grad are the arrays (None at the positions in `missing`)."""
    ps = []
    for i, g in enumerate(arrays):
        p = lib.zeros(g.shape, requires_grad=True)
        p.grad = None if i in missing else lib.tensor(g.copy())
        ps.append(p)
    return ps


def assert_grads_close(ps, tps):
    for p, tp in zip(ps, tps):
        if tp.grad is None:
            assert p.grad is None
            continue
        assert p.grad.dtype == np.float32
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf"), "inf", 3.5, 0, -float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e4])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    arrays = grads(2.0)
    ps, tps = with_grads(cr, arrays, missing=(1,)), with_grads(torch, arrays, missing=(1,))
    total = clip_grad_norm_(ps, max_norm, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(tps, max_norm, norm_type)
    assert isinstance(total, cr.Tensor) and total.shape == () and total.dtype == np.float32
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-5)
    assert_grads_close(ps, tps)


def test_clip_grad_norm_of_a_single_tensor_and_of_a_generator():
    arrays = grads(3.0)[:1]
    (p,), (tp,) = with_grads(cr, arrays), with_grads(torch, arrays)
    total = clip_grad_norm_(p, 1.0)
    np.testing.assert_allclose(total.item(), torch.nn.utils.clip_grad_norm_(tp, 1.0).item(), rtol=1e-5)
    assert_grads_close([p], [tp])
    np.testing.assert_allclose(np.linalg.norm(p.grad.numpy()), 1.0, rtol=1e-5)
    ps = with_grads(cr, grads(3.0))
    clip_grad_norm_((q for q in ps), 1.0)
    np.testing.assert_allclose(np.sqrt(sum((q.grad.numpy() ** 2).sum() for q in ps)), 1.0, rtol=1e-5)


def test_nothing_to_clip():
    total = clip_grad_norm_([cr.zeros(2, requires_grad=True)], 1.0)
    assert total.item() == torch.nn.utils.clip_grad_norm_([torch.zeros(2, requires_grad=True)], 1.0).item() == 0
    with pytest.warns(UserWarning, match="empty generator"):
        clip_grad_norm_((p for p in []), 1.0)


def test_non_finite_norm():
    arrays = grads(1.0)
    arrays[0][0, 0] = np.inf
    ps, tps = with_grads(cr, arrays), with_grads(torch, arrays)
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.utils.clip_grad_norm_(tps, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as ours:
        clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    assert str(ours.value) == str(theirs.value)
    assert np.isinf(clip_grad_norm_(ps, 1.0).item())
    torch.nn.utils.clip_grad_norm_(tps, 1.0)
    for p, tp in zip(ps, tps):
        np.testing.assert_array_equal(p.grad.numpy(), tp.grad.numpy())  # nan and zeros alike


def test_get_total_norm_and_deprecated_name():
    arrays = grads(1.0)
    theirs = torch.nn.utils.get_total_norm([torch.tensor(a) for a in arrays], 3.0)
    np.testing.assert_allclose(get_total_norm([cr.tensor(a) for a in arrays], 3.0).item(), theirs.item(), rtol=1e-5)
    ps = with_grads(cr, arrays)
    with pytest.warns(FutureWarning):
        clip_grad_norm(ps, 0.1)
    np.testing.assert_allclose(np.sqrt(sum((p.grad.numpy() ** 2).sum() for p in ps)), 0.1, rtol=1e-4)


def test_clipping_is_in_place_and_float64_stays_float64():
    arrays = [a.astype(np.float64) for a in grads(5.0)]
    ps = with_grads(cr, arrays)
    before = [p.grad._data for p in ps]
    total = clip_grad_norm_(ps, 1.0)
    assert total.dtype == np.float64
    assert all(p.grad._data is arr and p.grad.dtype == np.float64 for p, arr in zip(ps, before))


@pytest.mark.parametrize("clip_value", [0.5, 3])
def test_clip_grad_value_matches_torch(clip_value):
    arrays = grads(2.0)
    ps, tps = with_grads(cr, arrays, missing=(2,)), with_grads(torch, arrays, missing=(2,))
    before = ps[0].grad._data
    assert clip_grad_value_(ps, clip_value) is None
    torch.nn.utils.clip_grad_value_(tps, clip_value)
    assert ps[0].grad._data is before
    assert_grads_close(ps, tps)
