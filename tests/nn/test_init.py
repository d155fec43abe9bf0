"""nn.init: gains and fans exactly as PyTorch's, distributions checked statistically, in-place contract."""
import math
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule.nn import init
from tests.conftest import requires_torch
from tests.nn.layer_parity import torch

SHAPES = [(30, 40), (8, 3, 5, 5), (6, 4, 7), (1, 2)]
GAINS = [("linear", None), ("conv2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None),
         ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu", None)]


def big(*shape, dtype=np.float32):
    return cr.zeros(*shape, dtype=dtype)


def stats(t):
    a = t.numpy(force=True).astype(np.float64)
    return a.mean(), a.std(), a.min(), a.max()


@requires_torch
@pytest.mark.parametrize("name, param", GAINS)
def test_calculate_gain_matches_torch(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param), rel=1e-15)


@requires_torch
@pytest.mark.parametrize("name, param", [("swish", None), ("leaky_relu", "a"), ("leaky_relu", True)])
def test_calculate_gain_errors_match_torch(name, param):
    with pytest.raises(ValueError) as theirs:
        torch.nn.init.calculate_gain(name, param)
    with pytest.raises(ValueError) as ours:
        init.calculate_gain(name, param)
    assert str(ours.value) == str(theirs.value)


@requires_torch
@pytest.mark.parametrize("shape", SHAPES)
def test_fans_match_torch(shape):
    theirs = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(cr.empty(*shape)) == theirs
    for mode in ("fan_in", "fan_out", "FAN_IN"):
        assert init._calculate_correct_fan(cr.empty(*shape), mode) == \
            torch.nn.init._calculate_correct_fan(torch.empty(shape), mode)


def test_fan_and_mode_errors():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(cr.empty(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(cr.empty(3, 4), mode="fan_avg")


def test_uniform_and_normal():
    lo, hi = -0.3, 0.7
    mean, std, mn, mx = stats(init.uniform_(big(300, 400), lo, hi))
    assert lo <= mn and mx <= hi and mn < lo + 0.01 and mx > hi - 0.01
    assert mean == pytest.approx(0.2, abs=0.005) and std == pytest.approx(1 / math.sqrt(12), abs=0.005)
    mean, std, _, _ = stats(init.normal_(big(300, 400), 1.5, 0.25))
    assert mean == pytest.approx(1.5, abs=0.005) and std == pytest.approx(0.25, abs=0.005)


@requires_torch
@pytest.mark.parametrize("shape", [(300, 200), (64, 32, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_xavier(shape, gain):
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    mean, s, mn, mx = stats(init.xavier_uniform_(big(*shape), gain))
    bound = math.sqrt(3) * std
    assert -bound <= mn and mx <= bound and mx > 0.99 * bound
    assert s == pytest.approx(std, rel=0.02) and abs(mean) < 0.02 * std
    mean, s, _, _ = stats(init.xavier_normal_(big(*shape), gain))
    assert s == pytest.approx(std, rel=0.02) and abs(mean) < 0.02 * std


@requires_torch
@pytest.mark.parametrize("a, mode, nonlinearity", [(0, "fan_in", "leaky_relu"), (math.sqrt(5), "fan_in", "leaky_relu"),
                                                   (0, "fan_out", "relu"), (0.1, "fan_out", "tanh")])
def test_kaiming(a, mode, nonlinearity):
    shape = (64, 32, 3, 3)
    fan = torch.nn.init._calculate_correct_fan(torch.empty(shape), mode)
    std = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    mean, s, mn, mx = stats(init.kaiming_uniform_(big(*shape), a, mode, nonlinearity))
    bound = math.sqrt(3) * std
    assert -bound <= mn and mx <= bound and mx > 0.99 * bound
    assert s == pytest.approx(std, rel=0.02) and abs(mean) < 0.02 * std
    mean, s, _, _ = stats(init.kaiming_normal_(big(*shape), a, mode, nonlinearity))
    assert s == pytest.approx(std, rel=0.02) and abs(mean) < 0.02 * std


@requires_torch
def test_kaiming_on_an_empty_tensor_warns_as_torch():
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        torch.nn.init.kaiming_uniform_(torch.empty(0, 3))
    with pytest.warns(UserWarning) as ours:
        t = cr.empty(0, 3)
        assert init.kaiming_uniform_(t) is t
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]


def truncated_normal_moments(mean, std, a, b):
    """Closed-form mean and std of N(mean, std²) truncated to [a, b]."""
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(beta) - cdf(alpha)
    m = mean + std * (pdf(alpha) - pdf(beta)) / z
    var = std ** 2 * (1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - ((pdf(alpha) - pdf(beta)) / z) ** 2)
    return m, math.sqrt(var)


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.5, 0.2, 0.0, 0.6), (0.0, 0.02, -0.04, 0.04)])
def test_trunc_normal(mean, std, a, b):
    expected_mean, expected_std = truncated_normal_moments(mean, std, a, b)
    m, s, mn, mx = stats(init.trunc_normal_(big(400, 300), mean, std, a, b))
    assert a <= mn and mx <= b
    assert m == pytest.approx(expected_mean, abs=0.01 * std) and s == pytest.approx(expected_std, rel=0.01)


@pytest.mark.parametrize("shape", [(20, 8), (8, 20), (6, 3, 2, 2)])
def test_orthogonal(shape):
    t = init.orthogonal_(big(*shape), gain=2.0)
    q = t.numpy().reshape(shape[0], -1).astype(np.float64) / 2.0
    small = min(q.shape)
    gram = q.T @ q if q.shape[0] >= q.shape[1] else q @ q.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-5)


def test_constant_fills():
    t = big(3, 4)
    np.testing.assert_array_equal(init.constant_(t, 0.25).numpy(), 0.25)
    np.testing.assert_array_equal(init.ones_(t).numpy(), 1)
    np.testing.assert_array_equal(init.zeros_(t).numpy(), 0)
    np.testing.assert_array_equal(init.eye_(t).numpy(), np.eye(3, 4))
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(big(2, 2, 2))


def test_fills_parameters_in_place_outside_the_graph():
    layer = nn.Linear(5, 4)
    w = layer.weight
    before = w._version
    for fn in (init.xavier_uniform_, init.kaiming_normal_, init.orthogonal_, init.trunc_normal_, init.zeros_):
        out = fn(w)
        assert out is w and w is layer.weight
        assert w.grad_fn is None and w.requires_grad and w.dtype == np.float32
    assert w._version > before
    d = nn.Linear(5, 4).double()
    init.normal_(d.weight)
    assert d.weight.dtype == np.float64


def test_generator_gives_reproducible_values():
    draws = []
    for _ in range(2):
        g = cr.Generator().manual_seed(11)
        draws.append(init.kaiming_uniform_(big(4, 5), generator=g).numpy().copy())
        draws.append(init.trunc_normal_(big(4, 5), generator=g).numpy().copy())
        draws.append(init.orthogonal_(big(4, 5), generator=g).numpy().copy())
    for first, second in zip(draws[:3], draws[3:]):
        np.testing.assert_array_equal(first, second)
