"""Identity, Linear and Bilinear (and F.linear / F.bilinear): PyTorch parity, finite differences, init, errors."""
import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck, gradgradcheck
from tests.conftest import requires_torch
from tests.nn.layer_parity import compare_with_torch, float64_input, gradcheck_layer, torch


def f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


@requires_torch
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,)])
def test_linear_matches_torch(rng, bias, shape):
    compare_with_torch(nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias), [f32(rng, *shape)])


@requires_torch
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3), (3,)])
def test_bilinear_matches_torch(rng, bias, shape):
    shape2 = shape[:-1] + (2,)
    compare_with_torch(nn.Bilinear(3, 2, 4, bias=bias), torch.nn.Bilinear(3, 2, 4, bias=bias),
                       [f32(rng, *shape), f32(rng, *shape2)])


@requires_torch
def test_functional_forms_match_torch(rng):
    x, w, b = f32(rng, 6, 4), f32(rng, 3, 4), f32(rng, 3)
    x1, x2, wb = f32(rng, 6, 2), f32(rng, 6, 3), f32(rng, 5, 2, 3)
    T = torch.tensor
    np.testing.assert_allclose(F.linear(cr.tensor(x), cr.tensor(w), cr.tensor(b)).numpy(),
                               torch.nn.functional.linear(T(x), T(w), T(b)).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(F.linear(cr.tensor(x), cr.tensor(w)).numpy(),
                               torch.nn.functional.linear(T(x), T(w)).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(F.bilinear(cr.tensor(x1), cr.tensor(x2), cr.tensor(wb)).numpy(),
                               torch.nn.functional.bilinear(T(x1), T(x2), T(wb)).numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(bias):
    assert gradcheck_layer(nn.Linear(3, 2, bias=bias), float64_input((2, 2, 3)))


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_gradcheck(bias):
    assert gradcheck_layer(nn.Bilinear(3, 2, 2, bias=bias), float64_input((2, 3)), float64_input((2, 2), seed=1))


def test_second_derivatives_through_an_mlp():
    mlp = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    params = list(mlp.parameters())
    assert gradgradcheck(lambda x, *ps: mlp(x), [float64_input((2, 3))] + params)


@requires_torch
def test_gradient_penalty_matches_torch(rng):
    """d/dθ ‖∂L/∂x‖² (a double backward through Linear) equals PyTorch's."""
    ours = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    a = f32(rng, 4, 3)
    x, tx = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    g, = cr.autograd.grad(ours(x).sum(), [x], create_graph=True)
    tg, = torch.autograd.grad(theirs(tx).sum(), [tx], create_graph=True)
    (g * g).sum().backward()
    (tg * tg).sum().backward()
    for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        if tp.grad is None:  # the last bias does not reach ∂L/∂x
            assert p.grad is None, name
            continue
        assert p.grad.dtype == np.float32, name
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)


def test_only_needed_gradients_are_computed(rng):
    layer = nn.Linear(4, 3)
    layer.weight.requires_grad_(False)
    x = cr.tensor(f32(rng, 2, 4), requires_grad=True)
    layer(x).sum().backward()
    assert layer.weight.grad is None
    np.testing.assert_allclose(x.grad.numpy(), np.tile(layer.weight.numpy().sum(0), (2, 1)), rtol=1e-6)
    np.testing.assert_allclose(layer.bias.grad.numpy(), np.full(3, 2.0, np.float32))
    assert x.grad.dtype == layer.bias.grad.dtype == np.float32


def test_default_init_is_pytorchs():
    """Weight and bias from U(-1/√in, 1/√in), as PyTorch's kaiming_uniform_(a=√5) gives."""
    cr.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = layer.weight.numpy(force=True), layer.bias.numpy(force=True)
    assert w.dtype == b.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert np.abs(b).max() <= bound and abs(b.mean()) < 0.1 * bound
    bl = nn.Bilinear(25, 7, 300)
    bound = 1 / math.sqrt(25)
    assert np.abs(bl.weight.numpy(force=True)).max() <= bound
    assert abs(bl.weight.numpy(force=True).std() - bound / math.sqrt(3)) < 0.02 * bound


def test_dtype_argument_and_double():
    layer = nn.Linear(3, 2, dtype=cr.float64)
    assert layer.weight.dtype == layer.bias.dtype == np.float64
    out = nn.Linear(3, 2).double()(cr.ones(1, 3, dtype=cr.float64))
    assert out.dtype == np.float64
    with pytest.raises(RuntimeError, match="CPU only"):
        nn.Linear(3, 2, device="cuda")


@requires_torch
def test_repr_matches_torch():
    for make in (lambda m: m.Linear(4, 3), lambda m: m.Linear(4, 3, bias=False),
                 lambda m: m.Bilinear(2, 3, 4), lambda m: m.Identity(54, unused=1)):
        assert repr(make(nn)) == repr(make(torch.nn))


def test_identity_returns_its_input():
    x = cr.randn(2, 3)
    assert nn.Identity(3, some_arg=True)(x) is x
    assert list(nn.Identity().parameters()) == []


def test_wrong_feature_count_names_the_layer():
    with pytest.raises(RuntimeError, match=r"Linear\(in_features=4, out_features=3, bias=True\) expected input "
                                           r"with 4 features .*\(\*, 4\).*got shape \(2, 5\)"):
        nn.Linear(4, 3)(cr.randn(2, 5))
    with pytest.raises(RuntimeError, match=r"got shape \(\)"):
        nn.Linear(4, 3)(cr.tensor(1.0))
    bl = nn.Bilinear(3, 2, 4)
    with pytest.raises(RuntimeError, match=r"Bilinear\(.*\) expected input2 with 2 features.*got shape \(5, 3\)"):
        bl(cr.randn(5, 3), cr.randn(5, 3))
    with pytest.raises(RuntimeError, match=r"same leading .*\(5, 3\) and \(4, 2\)"):
        bl(cr.randn(5, 3), cr.randn(4, 2))
    with pytest.raises(RuntimeError, match=r"input of shape \(2, 5\) and weight of shape \(3, 4\)"):
        F.linear(cr.randn(2, 5), cr.randn(3, 4))


def test_linear_gradcheck_functional_without_bias():
    w = float64_input((3, 4), seed=2)
    assert gradcheck(lambda x, w: F.linear(x, w), [float64_input((5, 4)), w])
