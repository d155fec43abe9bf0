"""MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d and their functional forms: PyTorch parity (values,
indices, gradients, including tied maxima), finite differences and clear errors."""
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


def tied(rng, *shape):
    """Values with many ties inside windows (rounded, and clipped at 0 as after a ReLU)."""
    return np.maximum(np.round(rng.standard_normal(shape)), 0).astype(np.float32)


MAX_POOL_OPTIONS = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 0), ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=1, dilation=(1, 2)),
]


@requires_torch
@pytest.mark.parametrize("values", [f32, tied])
@pytest.mark.parametrize("options", MAX_POOL_OPTIONS, ids=str)
def test_max_pool2d_matches_torch_values_indices_and_gradients(rng, options, values):
    x = values(rng, 2, 3, 9, 8)
    compare_with_torch(nn.MaxPool2d(**options), torch.nn.MaxPool2d(**options), [x])
    out, idx = nn.MaxPool2d(**options, return_indices=True)(cr.tensor(x))
    t_out, t_idx = torch.nn.MaxPool2d(**options, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(out.numpy(), t_out.numpy())
    assert idx.dtype == np.int64
    np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())


@requires_torch
def test_max_pool_gradient_of_a_window_of_equal_values_goes_to_its_first_element():
    x = cr.tensor(np.zeros((1, 1, 4, 4), np.float32), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    expected = np.zeros((4, 4), np.float32)
    expected[::2, ::2] = 1
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)


@requires_torch
def test_max_pool_propagates_nan_like_torch(rng):
    x = f32(rng, 1, 2, 6, 6)
    x[0, 0, 1, 1] = x[0, 1, 4, 2] = x[0, 1, 5, 3] = np.nan
    out, idx = F.max_pool2d(cr.tensor(x), 2, return_indices=True)
    t_out, t_idx = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(out.numpy(), t_out.numpy())  # NaN where torch has NaN
    np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())


@requires_torch
@pytest.mark.parametrize("options", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                     dict(kernel_size=2, dilation=3, stride=1)], ids=str)
def test_max_pool1d_matches_torch(rng, options):
    compare_with_torch(nn.MaxPool1d(**options), torch.nn.MaxPool1d(**options), [tied(rng, 2, 3, 11)])
    compare_with_torch(nn.MaxPool1d(**options), torch.nn.MaxPool1d(**options), [f32(rng, 3, 10)])


AVG_POOL_OPTIONS = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(2, 3), stride=(2, 2), padding=(1, 1), ceil_mode=True),
    dict(kernel_size=(2, 3), stride=(2, 2), padding=(1, 1), ceil_mode=True, count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, divisor_override=5),
]


@requires_torch
@pytest.mark.parametrize("options", AVG_POOL_OPTIONS, ids=str)
def test_avg_pool2d_matches_torch(rng, options):
    compare_with_torch(nn.AvgPool2d(**options), torch.nn.AvgPool2d(**options), [f32(rng, 2, 3, 9, 8)])


@requires_torch
@pytest.mark.parametrize("options", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                                                   count_include_pad=False)], ids=str)
def test_avg_pool1d_matches_torch(rng, options):
    compare_with_torch(nn.AvgPool1d(**options), torch.nn.AvgPool1d(**options), [f32(rng, 2, 3, 10)])


@requires_torch
@pytest.mark.parametrize("output_size", [1, (4, 2), (3, 5), (None, 3), 7])
def test_adaptive_avg_pool2d_matches_torch(rng, output_size):
    compare_with_torch(nn.AdaptiveAvgPool2d(output_size), torch.nn.AdaptiveAvgPool2d(output_size),
                       [f32(rng, 2, 3, 8, 7)])
    compare_with_torch(nn.AdaptiveAvgPool2d(output_size), torch.nn.AdaptiveAvgPool2d(output_size),
                       [f32(rng, 3, 9, 6)])


@requires_torch
@pytest.mark.parametrize("output_size", [1, 3, 4])
def test_adaptive_avg_pool1d_matches_torch(rng, output_size):
    compare_with_torch(nn.AdaptiveAvgPool1d(output_size), torch.nn.AdaptiveAvgPool1d(output_size),
                       [f32(rng, 2, 3, 10)])


@requires_torch
@pytest.mark.parametrize("name, shape, kwargs", [
    ("max_pool2d", (2, 3, 7, 7), dict(kernel_size=3, stride=2, padding=1)),
    ("max_pool1d", (2, 3, 7), dict(kernel_size=2, ceil_mode=True)),
    ("avg_pool2d", (2, 3, 7, 6), dict(kernel_size=2, stride=1, padding=1, count_include_pad=False)),
    ("avg_pool1d", (2, 3, 7), dict(kernel_size=3, stride=2)),
    ("adaptive_avg_pool2d", (2, 3, 7, 6), dict(output_size=(3, 4))),
    ("adaptive_avg_pool1d", (3, 7), dict(output_size=2)),
])
def test_functional_forms_match_torch(rng, name, shape, kwargs):
    compare_functional(lambda x: getattr(F, name)(x, **kwargs),
                       lambda x: getattr(torch.nn.functional, name)(x, **kwargs), [f32(rng, *shape)])


@pytest.mark.parametrize("layer", [
    lambda: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
    lambda: nn.MaxPool1d(2, dilation=2, stride=1),
    lambda: nn.AvgPool2d((2, 3), stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    lambda: nn.AvgPool1d(3, stride=2, padding=1),
    lambda: nn.AdaptiveAvgPool2d((2, 3)),
], ids=["max2d", "max1d", "avg2d", "avg1d", "adaptive"])
def test_gradcheck(layer):
    layer = layer()
    shape = (2, 2, 5) if isinstance(layer, (nn.MaxPool1d, nn.AvgPool1d)) else (1, 2, 5, 4)
    assert gradcheck_layer(layer, float64_input(shape))


def test_adaptive_avg_pool_is_twice_differentiable():
    assert gradgradcheck(lambda x: F.adaptive_avg_pool2d(x, (2, 3)) ** 2, [float64_input((1, 2, 5, 4))])


@requires_torch
@pytest.mark.parametrize("make", [lambda m: m.MaxPool2d(2), lambda m: m.AvgPool2d(3, 2, 1),
                                  lambda m: m.AdaptiveAvgPool2d(2)])
def test_empty_batch(make):
    x = cr.tensor(np.zeros((0, 3, 5, 5), np.float32), requires_grad=True)
    out = make(nn)(x)
    out.sum().backward()
    assert out.shape == tuple(make(torch.nn)(torch.zeros(0, 3, 5, 5)).shape) and x.grad.shape == x.shape


def test_dtypes_stay_float32(rng):
    x = cr.tensor(f32(rng, 2, 3, 6, 6), requires_grad=True)
    for out in (F.max_pool2d(x, 2), F.avg_pool2d(x, 3, 1, 1), F.adaptive_avg_pool2d(x, 4)):
        x.grad = None
        out.sum().backward()
        assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_float64_inputs_pool_in_float64():
    assert gradcheck(lambda x: F.max_pool2d(x, 2, 1) * F.avg_pool2d(x, 2, 1), [float64_input((1, 1, 4, 4))])


def test_reprs_match_pytorch():
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool2d(3, 1)) == "AvgPool2d(kernel_size=3, stride=1, padding=0)"
    assert repr(nn.AvgPool1d(3)) == "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"
    assert repr(nn.AdaptiveAvgPool2d((None, 3))) == "AdaptiveAvgPool2d(output_size=(None, 3))"


def test_wrong_rank_names_the_layer_and_what_it_expected(rng):
    with pytest.raises(RuntimeError, match=r"MaxPool2d\(kernel_size=2, .*\) expected a 4-D input \(N, C, H, W\) or "
                                           r"a 3-D unbatched input \(C, H, W\).*got shape \(3, 4\)"):
        nn.MaxPool2d(2)(cr.tensor(f32(rng, 3, 4)))
    with pytest.raises(RuntimeError, match=r"AvgPool1d\(.*\) expected a 3-D input \(N, C, L\).*\(1, 2, 3, 4\)"):
        nn.AvgPool1d(2)(cr.tensor(f32(rng, 1, 2, 3, 4)))
    with pytest.raises(RuntimeError, match=r"adaptive_avg_pool2d expected a 4-D input .*got shape \(5,\)"):
        nn.AdaptiveAvgPool2d(2)(cr.tensor(f32(rng, 5)))


def test_bad_pooling_arguments_are_refused_clearly(rng):
    x = cr.tensor(f32(rng, 1, 1, 5, 5))
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(RuntimeError, match="too small"):
        F.max_pool2d(x, 6)
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        F.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(RuntimeError, match="must be positive"):
        F.max_pool2d(x, 2, stride=0)
