"""Upsample and F.interpolate (nearest, nearest-exact): PyTorch parity of the picked pixels and of the
gradients, finite differences (first and second order) and clear errors."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck, gradgradcheck
from tests.conftest import requires_torch
from tests.nn.functional_parity import compare_functional
from tests.nn.layer_parity import compare_with_torch, float64_input, gradcheck_layer, torch


def f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


UPSAMPLE_OPTIONS = [
    dict(scale_factor=2),
    dict(scale_factor=(3, 1)),
    dict(scale_factor=1.5),
    dict(scale_factor=(0.6, 2.3)),
    dict(scale_factor=(0.6, 2.3), recompute_scale_factor=True),
    dict(size=(7, 3)),
    dict(size=11),
    dict(scale_factor=1.7, mode="nearest-exact"),
    dict(size=(4, 9), mode="nearest-exact"),
]


@requires_torch
@pytest.mark.parametrize("options", UPSAMPLE_OPTIONS, ids=str)
def test_upsample_matches_torch(rng, options):
    compare_with_torch(nn.Upsample(**options), torch.nn.Upsample(**options), [f32(rng, 2, 3, 5, 4)])


@requires_torch
@pytest.mark.parametrize("shape, kwargs", [
    ((2, 3, 7), dict(scale_factor=2.5)),
    ((2, 3, 7), dict(size=4)),
    ((1, 2, 3, 4, 2), dict(scale_factor=(2, 1.5, 3))),
    ((1, 2, 3, 4), dict(scale_factor=(2.1, 1.1))),
    ((1, 2, 2), dict(size=25, mode="nearest-exact")),  # float32 index arithmetic: (12 + ½)·(2/25) rounds to 1
])
def test_interpolate_matches_torch(rng, shape, kwargs):
    compare_functional(lambda x: F.interpolate(x, **kwargs), lambda x: torch.nn.functional.interpolate(x, **kwargs),
                       [f32(rng, *shape)])


@requires_torch
@pytest.mark.parametrize("shape, scale", [((1, 2, 4), 1.1), ((1, 2, 3), 2.1), ((1, 1, 3, 4, 2), (2.1, 1.1, 1.0))])
def test_1d_and_3d_kernel_quirk_forward_matches_torch_gradient_matches_finite_differences(rng, shape, scale):
    """PyTorch's 1-D and 3-D nearest kernels read ⌊i/scale⌋ even when the size is kept or doubled (its 2-D one
    copies or halves there), but their backward routes gradients as if it copied or halved: PyTorch's own
    gradcheck fails. Ours follows its forward, and backward is the true gradient of that."""
    x = f32(rng, *shape)
    np.testing.assert_array_equal(F.interpolate(cr.tensor(x), scale_factor=scale).numpy(),
                                  torch.nn.functional.interpolate(torch.tensor(x), scale_factor=scale).numpy())
    assert gradcheck(lambda t: F.interpolate(t, scale_factor=scale), [float64_input(shape)])


@pytest.mark.parametrize("options", [dict(scale_factor=2), dict(size=(3, 5)), dict(scale_factor=0.5)], ids=str)
def test_gradcheck(options):
    assert gradcheck_layer(nn.Upsample(**options), float64_input((1, 2, 4, 3)))


def test_second_derivatives():
    assert gradgradcheck(lambda x: F.interpolate(x, scale_factor=(2, 1.5)) ** 2, [float64_input((1, 1, 2, 3))])


def test_whole_number_upscaling_repeats_each_pixel_and_sums_gradients_back(rng):
    a = f32(rng, 2, 3, 2, 3)
    x = cr.tensor(a, requires_grad=True)
    out = F.interpolate(x, scale_factor=(2, 3))
    np.testing.assert_array_equal(out.detach().numpy(), a.repeat(2, axis=2).repeat(3, axis=3))
    out.backward(cr.ones_like(out))
    assert out.dtype == np.float32 and x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), np.full(a.shape, 6, np.float32))


def test_repr_matches_pytorch():
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.Upsample(size=(3, 4))) == "Upsample(size=(3, 4), mode='nearest')"


def test_bad_arguments_are_refused_clearly(rng):
    x = cr.tensor(f32(rng, 1, 2, 4, 4))
    with pytest.raises(ValueError, match="only one of size or scale_factor should be defined"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor should be defined"):
        F.interpolate(x)
    with pytest.raises(NotImplementedError, match="mode 'bilinear' is not supported"):
        nn.Upsample(scale_factor=2, mode="bilinear")(x)
    with pytest.raises(ValueError, match=r"Upsample\(scale_factor=2.0, mode='nearest'\) expected an input "
                                         r"\(N, C, \*spatial\) with 1 to 3 spatial dimensions, got shape \(4, 4\)"):
        nn.Upsample(scale_factor=2)(cr.tensor(f32(rng, 4, 4)))
    with pytest.raises(ValueError, match="scale_factor must have 2 elements"):
        F.interpolate(x, scale_factor=(2, 2, 2))
    with pytest.raises(ValueError, match="must be positive"):
        F.interpolate(x, scale_factor=0.1)
