"""Activation layers and their functional forms: PyTorch parity, finite differences, inplace, repr."""
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck
from tests.conftest import requires_torch
from tests.nn.layer_parity import compare_with_torch, float64_input, torch

# Each entry builds the same layer from either library's nn namespace.
LAYERS = {
    "ReLU": lambda m: m.ReLU(),
    "LeakyReLU": lambda m: m.LeakyReLU(0.2),
    "ELU": lambda m: m.ELU(alpha=0.5),
    "GELU": lambda m: m.GELU(),
    "GELU-tanh": lambda m: m.GELU(approximate="tanh"),
    "SiLU": lambda m: m.SiLU(),
    "Sigmoid": lambda m: m.Sigmoid(),
    "Tanh": lambda m: m.Tanh(),
    "Softmax": lambda m: m.Softmax(dim=1),
    "LogSoftmax": lambda m: m.LogSoftmax(dim=-1),
    "Softplus": lambda m: m.Softplus(beta=2.0, threshold=1.0),
    "Hardtanh": lambda m: m.Hardtanh(-0.5, 0.7),
    "ReLU6": lambda m: m.ReLU6(),
    "Mish": lambda m: m.Mish(),
    "SELU": lambda m: m.SELU(),
    "Hardsigmoid": lambda m: m.Hardsigmoid(),
    "Hardswish": lambda m: m.Hardswish(),
    "PReLU": lambda m: m.PReLU(),
    "LogSigmoid": lambda m: m.LogSigmoid(),
    "Softsign": lambda m: m.Softsign(),
    "Softmin": lambda m: m.Softmin(dim=-1),
    "Threshold": lambda m: m.Threshold(0.5, -2.0),
}
INPLACE = {
    "ReLU": lambda m: m.ReLU(inplace=True),
    "LeakyReLU": lambda m: m.LeakyReLU(0.1, inplace=True),
    "ELU": lambda m: m.ELU(inplace=True),
    "SiLU": lambda m: m.SiLU(inplace=True),
    "Hardtanh": lambda m: m.Hardtanh(inplace=True),
    "ReLU6": lambda m: m.ReLU6(inplace=True),
    "Mish": lambda m: m.Mish(inplace=True),
    "SELU": lambda m: m.SELU(inplace=True),
    "Hardswish": lambda m: m.Hardswish(inplace=True),
}


def away_from_kinks(rng, shape, scale=3.0):
    """Values in ±[0.05, scale]: no input sits on a kink (0, the hardtanh bounds) or a softplus threshold."""
    x = rng.uniform(0.05, scale, shape) * rng.choice([-1.0, 1.0], shape)
    for edge in (-3.0, -0.5, 0.5, 0.7, 1.0, 3.0, 6.0):
        x[np.abs(x - edge) < 0.05] += 0.1
    return x


@requires_torch
@pytest.mark.parametrize("name", list(LAYERS))
def test_matches_torch(rng, name):
    x = (away_from_kinks(rng, (3, 4, 5), scale=7.0)).astype(np.float32)
    compare_with_torch(LAYERS[name](nn), LAYERS[name](torch.nn), [x])


@pytest.mark.parametrize("name", list(LAYERS))
def test_gradcheck(rng, name):
    layer = LAYERS[name](nn)
    x = cr.tensor(away_from_kinks(rng, (2, 3, 2)), requires_grad=True)
    assert gradcheck(layer, [x])


@requires_torch
@pytest.mark.parametrize("name", list(LAYERS) + [f"{n}-inplace" for n in INPLACE])
def test_repr_matches_torch(name):
    make = INPLACE[name[:-8]] if name.endswith("-inplace") else LAYERS[name]
    assert repr(make(nn)) == repr(make(torch.nn))


@requires_torch
@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_matches_torch(rng, name):
    """inplace=True writes into the input and returns it; gradients still flow through to earlier tensors."""
    a = away_from_kinks(rng, (4, 5), scale=7.0).astype(np.float32)
    x, tx = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    h, th = x * 2, tx * 2
    y, ty = INPLACE[name](nn)(h), INPLACE[name](torch.nn)(th)
    assert y is h
    np.testing.assert_allclose(h.detach().numpy(), th.detach().numpy(), rtol=1e-5, atol=1e-6)
    w = rng.standard_normal(a.shape).astype(np.float32)
    (y * cr.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_inplace_without_graph_changes_the_array_itself():
    x = cr.tensor([-1.0, 2.0, -3.0])
    data = x.numpy()
    assert F.relu(x, inplace=True) is x
    np.testing.assert_array_equal(data, [0.0, 2.0, 0.0])
    assert x._version == 1


def test_inplace_on_a_leaf_that_requires_grad_is_refused():
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        nn.ReLU(inplace=True)(cr.randn(3, requires_grad=True))


@requires_torch
def test_boundary_gradients_match_torch():
    """At exactly the bounds hardtanh passes no gradient; relu at 0 passes none either."""
    a = np.array([-1.0, -0.5, 0.0, 0.7, 1.0, 6.0], np.float32)
    for fn, tfn in ((lambda x: F.hardtanh(x, -0.5, 0.7), lambda x: torch.nn.functional.hardtanh(x, -0.5, 0.7)),
                    (F.relu6, torch.nn.functional.relu6), (F.relu, torch.relu)):
        x, tx = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        fn(x).sum().backward()
        tfn(tx).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


SPECIAL = np.array([-np.inf, -3.0, -1e-30, -0.0, 0.0, 1e-30, 2.5, np.inf, np.nan], np.float32)
PIECEWISE = {  # built without np.where: the pieces must still meet exactly as PyTorch's do
    "leaky_relu 0.01": lambda f, x: f.leaky_relu(x, 0.01),
    "leaky_relu 0": lambda f, x: f.leaky_relu(x, 0.0),
    "leaky_relu 1": lambda f, x: f.leaky_relu(x, 1.0),
    "leaky_relu 2.5": lambda f, x: f.leaky_relu(x, 2.5),
    "leaky_relu -0.3": lambda f, x: f.leaky_relu(x, -0.3),
    "elu 1": lambda f, x: f.elu(x),
    "elu 0.4": lambda f, x: f.elu(x, 0.4),
    "elu 2": lambda f, x: f.elu(x, 2.0),
}


@requires_torch
@pytest.mark.parametrize("name", list(PIECEWISE))
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # inf·0, as in PyTorch: NaN
def test_piecewise_activations_at_special_values_match_torch(name):
    """Infinities, NaN, signed zeros and tiny values on both sides of the kink: values and gradients."""
    fn = PIECEWISE[name]
    x, tx = cr.tensor(SPECIAL, requires_grad=True), torch.tensor(SPECIAL, requires_grad=True)
    y, ty = fn(F, x), fn(torch.nn.functional, tx)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6, atol=0)
    assert y.dtype == cr.float32
    y.backward(cr.ones_like(y) * 1.5)
    ty.backward(torch.ones_like(ty) * 1.5)
    # at a NaN input PyTorch's ELU passes the gradient of its x > 0 branch; here it is NaN, as the value
    kept = ~np.isnan(SPECIAL) if name.startswith("elu") else slice(None)
    np.testing.assert_allclose(x.grad.numpy()[kept], tx.grad.numpy()[kept], rtol=1e-6, atol=0)
    assert x.grad.dtype == cr.float32


def test_erf_is_odd_and_exact_at_special_values():
    import math
    y = cr.erf(cr.tensor(SPECIAL)).numpy()
    want = np.array([math.erf(v) for v in SPECIAL.tolist()], np.float32)
    np.testing.assert_allclose(y, want, rtol=2e-7, atol=1e-7)  # (near 0, 1 - erfc(x) keeps no digits)
    assert np.signbit(y[3]) and not np.signbit(y[4])  # erf(-0) = -0, erf(+0) = +0


@requires_torch
@pytest.mark.parametrize("name", ["leaky_relu 0.01", "leaky_relu 2.5", "elu 0.4", "elu 2"])
def test_piecewise_second_derivatives_match_torch(rng, name):
    fn = PIECEWISE[name]
    a = away_from_kinks(rng, (4, 5))
    x, tx = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    w = rng.standard_normal(a.shape)
    g, = cr.autograd.grad((fn(F, x) ** 2 * cr.tensor(w)).sum(), x, create_graph=True)
    tg, = torch.autograd.grad((fn(torch.nn.functional, tx) ** 2 * torch.tensor(w)).sum(), tx, create_graph=True)
    (g * g).sum().backward()
    (tg * tg).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)


@requires_torch
@pytest.mark.parametrize("ndim", [1, 2, 3, 4])
def test_softmax_implicit_dim_matches_torch(rng, ndim):
    a = rng.standard_normal((2, 3, 4, 5)[:ndim]).astype(np.float32)
    for ours, theirs in ((F.softmax, torch.nn.functional.softmax),
                         (F.log_softmax, torch.nn.functional.log_softmax)):
        with pytest.warns(UserWarning, match="Implicit dimension choice"):
            out = ours(cr.tensor(a))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = theirs(torch.tensor(a)).numpy()
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    with pytest.warns(UserWarning):
        nn.Softmax()(cr.tensor(a))


def test_softmax_dtype_argument():
    out = F.softmax(cr.randn(2, 3), dim=1, dtype=cr.float64)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy().sum(1), 1.0)


def test_hardtanh_bounds_are_validated():
    with pytest.raises(ValueError, match="min_val"):
        nn.Hardtanh(1.0, -1.0)


def test_functional_inplace_variants():
    x = float64_input((3, 4))
    for fn in (F.relu_, F.elu_, F.leaky_relu_, F.hardtanh_):
        h = x * 1.0
        out = fn(h)
        assert out is h and h.grad_fn is not None
    assert gradcheck(lambda x: F.elu_(x * 1.0, 0.3), [x])


def test_gelu_keeps_its_digits_in_the_left_tail():
    """x·Φ(x) against erfc in float64: 1 + erf(x/√2) would leave no correct digit below x = -5."""
    import math
    x = np.array([-12, -8, -6, -5, -3, -1, -1e-3, 1e-3, 0.5, 1, 3, 6], np.float32)
    want = np.array([v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in x.astype(np.float64)])
    # (far out, exp(-x²/2 - ...) in float32 carries the exponent's rounding: 1e-5 relative at x = -12)
    np.testing.assert_allclose(F.gelu(cr.tensor(x)).numpy(), want, rtol=2e-5, atol=0)



@requires_torch
def test_prelu_with_one_slope_per_channel_matches_torch(rng):
    x = away_from_kinks(rng, (2, 3, 4, 2)).astype(np.float32)
    compare_with_torch(nn.PReLU(3, init=0.1), torch.nn.PReLU(3, init=0.1), [x])
    with pytest.raises(RuntimeError, match="prelu: expected a weight of 1 value or one per channel"):
        nn.PReLU(5)(cr.zeros(2, 3))
