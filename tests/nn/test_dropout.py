"""Dropout layers: statistics and scaling of the mask, eval identity, gradient = mask · 1/(1-p), channels.

Masks come from chainrule's own generator, so values cannot be compared
with PyTorch's one for one; the tests check the distribution and the
exact relation between output, input and gradient instead.
"""
import math
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck
from tests.conftest import requires_torch
from tests.nn.layer_parity import float64_input, torch


def dropped_fraction_is(fraction: float, p: float, n: int) -> bool:
    """Within 5 standard deviations of a Binomial(n, p) proportion."""
    return abs(fraction - p) <= 5 * math.sqrt(p * (1 - p) / n) + 1e-12


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_drops_p_and_scales_the_rest(rng, p, dtype):
    a = rng.uniform(0.5, 1.5, (200, 100)).astype(dtype)
    x = cr.tensor(a, requires_grad=True)
    out = nn.Dropout(p)(x)
    assert out.dtype == dtype
    kept = out.numpy(force=True) != 0
    assert dropped_fraction_is(1 - kept.mean(), p, a.size)
    np.testing.assert_allclose(out.numpy(force=True)[kept], a[kept] / (1 - p), rtol=1e-6)
    out.sum().backward()
    assert x.grad.dtype == dtype
    np.testing.assert_allclose(x.grad.numpy(), kept / (1 - p), rtol=1e-6)


def test_expected_value_is_kept(rng):
    a = np.ones((400, 250), np.float32)
    assert abs(F.dropout(cr.tensor(a), 0.3).numpy().mean() - 1.0) < 0.02


def test_eval_mode_and_p_zero_are_the_identity():
    layer = nn.Dropout(0.5).eval()
    x = cr.randn(4, 5, requires_grad=True)
    assert layer(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert nn.Dropout2d().eval()(cr.randn(2, 3, 4, 4)).shape == (2, 3, 4, 4)


def test_p_one_zeroes_everything_and_its_gradient():
    x = cr.randn(3, 4, requires_grad=True)
    out = F.dropout(x, 1.0)
    np.testing.assert_array_equal(out.numpy(force=True), 0)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0)


@requires_torch
@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_probability_is_validated_as_in_torch(p):
    with pytest.raises(ValueError) as theirs:
        torch.nn.Dropout(p)
    for make in (lambda: nn.Dropout(p), lambda: nn.Dropout2d(p), lambda: F.dropout(cr.randn(2), p),
                 lambda: F.dropout2d(cr.randn(2, 2, 2, 2), p)):
        with pytest.raises(ValueError) as ours:
            make()
        assert str(ours.value) == str(theirs.value)


def test_same_seed_same_mask():
    x = cr.ones(50, 20)
    cr.manual_seed(7)
    first = F.dropout(x, 0.5).numpy()
    cr.manual_seed(7)
    np.testing.assert_array_equal(F.dropout(x, 0.5).numpy(), first)
    assert not np.array_equal(F.dropout(x, 0.5).numpy(), first)


def test_gradcheck_with_a_fixed_mask():
    def fn(x):
        cr.manual_seed(3)
        return F.dropout(x * x, 0.4)
    assert gradcheck(fn, [float64_input((4, 5))])


@pytest.mark.parametrize("layer, shape", [(nn.Dropout2d, (40, 30, 3, 4)), (nn.Dropout1d, (40, 30, 5)),
                                          (nn.Dropout1d, (300, 4))])
def test_channel_dropout_drops_whole_channels(layer, shape):
    p = 0.4
    x = cr.ones(*shape, requires_grad=True)
    out = layer(p)(x)
    values = out.numpy(force=True)
    channels = values.reshape(shape[:-1] + (-1,)) if len(shape) == 2 else values.reshape(shape[:2] + (-1,))
    per_channel = channels[..., 0]
    assert np.all(channels == per_channel[..., None]), "a channel is either dropped or kept whole"
    assert set(np.unique(per_channel)) <= {0.0, np.float32(1 / (1 - p))}
    assert dropped_fraction_is((per_channel == 0).mean(), p, per_channel.size)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)


@requires_torch
def test_dropout2d_on_3d_input_warns_and_drops_channels_as_torch():
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        torch.nn.functional.dropout2d(torch.ones(2, 3, 4))
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d") as ours:
        out = F.dropout2d(cr.ones(20, 30, 4))
    assert len(ours) == len(theirs) == 1
    values = out.numpy()
    assert np.all(values == values[..., :1]), "3-D input is read as (N, C, L): whole (n, c) rows drop"


def test_channel_dropout_rank_errors():
    with pytest.raises(RuntimeError, match=r"dropout1d: Expected 2D or 3D input.*4D.*\(2, 3, 4, 5\)"):
        nn.Dropout1d()(cr.ones(2, 3, 4, 5))
    with pytest.raises(RuntimeError, match=r"at least 2 dimensions.*\(5,\)"), pytest.warns(UserWarning):
        F.dropout2d(cr.ones(5))


def test_inplace_writes_into_the_input():
    x = cr.ones(30, 40)
    out = nn.Dropout(0.5, inplace=True)(x)
    assert out is x
    assert set(np.unique(x.numpy())) == {0.0, 2.0}
    leaf = cr.ones(30, 40, requires_grad=True)
    h = leaf * 1.0
    out = F.dropout(h, 0.5, inplace=True)
    assert out is h
    out.sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), h.detach().numpy())


def test_train_eval_switch_through_a_model():
    model = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.5))
    x = cr.randn(16, 8)
    assert not np.array_equal(model(x).detach().numpy(), model[0](x).detach().numpy())
    model.eval()
    np.testing.assert_array_equal(model(x).detach().numpy(), model[0](x).detach().numpy())


@requires_torch
def test_repr_matches_torch():
    for make in (lambda m: m.Dropout(), lambda m: m.Dropout(0.2, inplace=True), lambda m: m.Dropout2d(0.3),
                 lambda m: m.Dropout1d(0.1)):
        assert repr(make(nn)) == repr(make(torch.nn))
