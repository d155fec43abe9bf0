"""Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d and their functional forms: PyTorch parity (outputs,
input and parameter gradients), finite differences, default initialization and clear errors."""
import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
import chainrule.nn.functional.conv as conv_functional
from chainrule.autograd import grad
from tests.conftest import requires_torch
from tests.nn.functional_parity import compare_functional
from tests.nn.layer_parity import compare_with_torch, float64_input, gradcheck_layer, torch

# PyTorch's own note that its 'same' padding may copy the input
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


@pytest.fixture(autouse=True, params=["per-sample products", "one product", "one product per image"])
def products(request, monkeypatch):
    """Every test runs each way a convolution multiplies: a batch of per-sample products, one product over
    the whole batch, or one product per block of images (here blocks of a single image)."""
    monkeypatch.setattr(conv_functional, "PER_SAMPLE_LIMIT", 1 << 62 if request.param == "per-sample products" else 0)
    monkeypatch.setattr(conv_functional, "BLOCK_BYTES", 1 if request.param == "one product per image" else 1 << 62)


def f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


CONV2D_OPTIONS = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(2, 1), padding=(0, 2), dilation=(1, 2)),
    dict(padding=2, dilation=2, groups=2),
    dict(groups=4, bias=False),
    dict(padding="same"),
    dict(padding="same", dilation=2, kernel_size=(2, 3)),
    dict(padding="valid", stride=3),
    dict(padding=1, padding_mode="reflect"),
    dict(padding=(1, 2), padding_mode="replicate", stride=2),
    dict(padding="same", padding_mode="circular", kernel_size=(4, 2)),
]


def _conv2d_pair(options):
    options = dict(options)
    kernel = options.pop("kernel_size", 3)
    return nn.Conv2d(4, 8, kernel, **options), torch.nn.Conv2d(4, 8, kernel, **options)


@requires_torch
@pytest.mark.parametrize("options", CONV2D_OPTIONS, ids=str)
def test_conv2d_matches_torch(rng, options):
    ours, theirs = _conv2d_pair(options)
    compare_with_torch(ours, theirs, [f32(rng, 2, 4, 9, 8)])


@requires_torch
def test_conv2d_unbatched_input_and_one_input_channel(rng):
    compare_with_torch(nn.Conv2d(4, 6, 3, padding=1), torch.nn.Conv2d(4, 6, 3, padding=1), [f32(rng, 4, 7, 6)])
    compare_with_torch(nn.Conv2d(1, 5, 3), torch.nn.Conv2d(1, 5, 3), [f32(rng, 3, 1, 10, 10)])


@requires_torch
@pytest.mark.parametrize("options", [dict(), dict(stride=2, padding=2, dilation=2), dict(groups=2, bias=False),
                                     dict(padding="same", kernel_size=4), dict(padding=1, padding_mode="circular")],
                         ids=str)
def test_conv1d_matches_torch(rng, options):
    options = dict(options)
    kernel = options.pop("kernel_size", 3)
    compare_with_torch(nn.Conv1d(4, 6, kernel, **options), torch.nn.Conv1d(4, 6, kernel, **options),
                       [f32(rng, 3, 4, 11)])
    compare_with_torch(nn.Conv1d(4, 6, kernel, **options), torch.nn.Conv1d(4, 6, kernel, **options),
                       [f32(rng, 4, 11)])


CONV_TRANSPOSE_OPTIONS = [
    dict(),
    dict(stride=2),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(3, 2), padding=(1, 0), output_padding=(2, 1), dilation=(1, 2)),
    dict(groups=2, bias=False, dilation=2, padding=2),
]


@requires_torch
@pytest.mark.parametrize("options", CONV_TRANSPOSE_OPTIONS, ids=str)
def test_conv_transpose2d_matches_torch(rng, options):
    compare_with_torch(nn.ConvTranspose2d(4, 6, 3, **options), torch.nn.ConvTranspose2d(4, 6, 3, **options),
                       [f32(rng, 2, 4, 5, 6)])


@requires_torch
def test_conv_transpose_unbatched_and_1d(rng):
    compare_with_torch(nn.ConvTranspose2d(4, 2, 2, stride=2), torch.nn.ConvTranspose2d(4, 2, 2, stride=2),
                       [f32(rng, 4, 3, 3)])
    options = dict(stride=3, padding=1, output_padding=1, groups=2)
    compare_with_torch(nn.ConvTranspose1d(4, 6, 3, **options), torch.nn.ConvTranspose1d(4, 6, 3, **options),
                       [f32(rng, 2, 4, 7)])


@requires_torch
@pytest.mark.parametrize("output_size", [(11, 12), [2, 6, 12, 11]])
def test_conv_transpose2d_output_size_matches_torch(rng, output_size):
    ours, theirs = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1), torch.nn.ConvTranspose2d(4, 6, 3, stride=2,
                                                                                             padding=1)
    x = f32(rng, 2, 4, 6, 6)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    out = ours(cr.tensor(x), output_size=output_size)
    expected = theirs(torch.tensor(x), output_size=output_size).detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-4, atol=1e-5)


@requires_torch
@pytest.mark.parametrize("name, args, kwargs", [
    ("conv1d", [(3, 4, 9), (6, 2, 3), (6,)], dict(stride=2, padding=1, groups=2)),
    ("conv2d", [(2, 4, 7, 7), (6, 4, 3, 2), (6,)], dict(stride=(1, 2), padding=1, dilation=(2, 1))),
    ("conv2d", [(2, 4, 7, 7), (6, 4, 3, 3), None], dict(padding="same")),
    ("conv_transpose1d", [(2, 4, 5), (4, 3, 3), (3,)], dict(stride=2, output_padding=1)),
    ("conv_transpose2d", [(2, 4, 5, 4), (4, 3, 3, 2), (6,)], dict(stride=2, padding=1, groups=2, dilation=2)),
])
def test_functional_forms_match_torch(rng, name, args, kwargs):
    arrays = [None if s is None else f32(rng, *s) for s in args]
    compare_functional(lambda *t: getattr(F, name)(*t, **kwargs),
                       lambda *t: getattr(torch.nn.functional, name)(*t, **kwargs), arrays)


@pytest.mark.parametrize("layer", [
    lambda: nn.Conv2d(2, 4, (2, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2),
    lambda: nn.Conv2d(2, 2, 3, padding="same", padding_mode="reflect"),
    lambda: nn.Conv1d(2, 2, 2, stride=2, padding=1),
    lambda: nn.ConvTranspose2d(2, 4, 2, stride=2, padding=1, output_padding=1, groups=2),
    lambda: nn.ConvTranspose1d(2, 1, 3, stride=2, dilation=2),
], ids=["conv2d", "conv2d-reflect", "conv1d", "conv_transpose2d", "conv_transpose1d"])
def test_gradcheck(layer):
    layer = layer()
    shape = (2, 2, 5) if isinstance(layer, (nn.Conv1d, nn.ConvTranspose1d)) else (2, 2, 4, 5)
    assert gradcheck_layer(layer, float64_input(shape))


@requires_torch
def test_graphs_kept_alive_together_backpropagate_independently(rng):
    """Scratch arrays are reused between calls: two graphs alive at once must not share any of them."""
    ours, theirs = nn.Conv2d(3, 4, 3, padding=1), torch.nn.Conv2d(3, 4, 3, padding=1)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    a, b = f32(rng, 2, 3, 6, 6), f32(rng, 2, 3, 6, 6)
    xs = [cr.tensor(v, requires_grad=True) for v in (a, b)]
    txs = [torch.tensor(v, requires_grad=True) for v in (a, b)]
    outs = [ours(x) for x in xs]
    touts = [theirs(x) for x in txs]
    for out, tout, w in ((outs[1], touts[1], 2.0), (outs[0], touts[0], -1.0)):  # backward in reverse order
        (out * out * w).sum().backward(retain_graph=True)
        (tout * tout * w).sum().backward(retain_graph=True)
    for x, tx in zip(xs, txs):
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-4, atol=1e-4)


@requires_torch
@pytest.mark.parametrize("make, shape", [(lambda m: m.Conv2d(3, 4, 3, padding=1), (0, 3, 5, 5)),
                                         (lambda m: m.ConvTranspose2d(3, 4, 3, stride=2), (0, 3, 5, 5)),
                                         (lambda m: m.Conv1d(3, 4, 3), (0, 3, 5))])
def test_empty_batch(make, shape):
    x = cr.tensor(np.zeros(shape, np.float32), requires_grad=True)
    out = make(nn)(x)
    out.sum().backward()
    assert out.shape == tuple(make(torch.nn)(torch.zeros(shape)).shape) and x.grad.shape == shape


def test_dtypes_stay_float32_and_gradients_of_unneeded_inputs_are_skipped(rng):
    conv = nn.Conv2d(3, 4, 3)
    x = cr.tensor(f32(rng, 2, 3, 5, 5))  # no gradient wanted for the input
    out = conv(x)
    out.sum().backward()
    assert out.dtype == np.float32 and conv.weight.grad.dtype == np.float32 and conv.bias.grad.dtype == np.float32
    assert x.grad is None
    conv.requires_grad_(False)
    x.requires_grad_()
    conv(x).sum().backward()
    assert x.grad.dtype == np.float32 and conv.weight.grad.dtype == np.float32  # weight grad left from before


def test_second_derivative_through_conv_is_refused_clearly(rng):
    conv = nn.Conv2d(2, 2, 3).double()
    x = float64_input((1, 2, 4, 4))
    g, = grad(conv(x).pow(2).sum(), [x], create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


@pytest.mark.parametrize("make", [lambda: nn.Conv2d(6, 4, (3, 5), groups=2), lambda: nn.Conv1d(6, 8, 3),
                                  lambda: nn.ConvTranspose2d(6, 4, 3)])
def test_default_init_is_uniform_within_one_over_sqrt_fan_in(make):
    layer = make()
    w = layer.weight.detach().numpy()
    bound = 1 / math.sqrt(w.shape[1] * int(np.prod(w.shape[2:])))
    assert w.dtype == np.float32 and np.abs(w).max() <= bound
    assert 0.8 * bound / math.sqrt(3) < w.std() < 1.2 * bound / math.sqrt(3)  # U(-b, b) has std b/√3
    assert np.abs(layer.bias.detach().numpy()).max() <= bound


def test_double_conversion_and_state_dict_round_trip(rng):
    conv = nn.Conv2d(2, 3, 2)
    copy = nn.Conv2d(2, 3, 2)
    copy.load_state_dict(conv.state_dict())
    x = cr.tensor(f32(rng, 1, 2, 4, 4))
    np.testing.assert_array_equal(conv(x).detach().numpy(), copy(x).detach().numpy())
    assert conv.double()(x.double()).dtype == np.float64


def test_wrong_channel_count_names_the_layer_and_both_shapes(rng):
    conv = nn.Conv2d(3, 8, 3)
    message = (r"Conv2d\(3, 8, kernel_size=\(3, 3\), stride=\(1, 1\)\) expected input with 3 channels "
               r"\(shape \(N, 3, H, W\) or \(3, H, W\)\), got shape \(2, 4, 8, 8\)")
    with pytest.raises(RuntimeError, match=message):
        conv(cr.tensor(f32(rng, 2, 4, 8, 8)))
    with pytest.raises(RuntimeError, match=r"ConvTranspose2d\(4, 2, .* expected input with 4 channels .*"
                                           r"got shape \(1, 3, 5, 5\)"):
        nn.ConvTranspose2d(4, 2, 3)(cr.tensor(f32(rng, 1, 3, 5, 5)))


def test_wrong_rank_names_the_layer_and_what_it_expected(rng):
    with pytest.raises(RuntimeError, match=r"Conv1d\(2, 4, .*\) expected a 3-D input \(N, 2, L\) or a 2-D "
                                           r"unbatched input \(2, L\), got a 4-D input of shape \(1, 2, 3, 3\)"):
        nn.Conv1d(2, 4, 2)(cr.tensor(f32(rng, 1, 2, 3, 3)))
    with pytest.raises(RuntimeError, match=r"conv2d expected a 4-D input .*got a 2-D input of shape \(3, 3\)"):
        F.conv2d(cr.tensor(f32(rng, 3, 3)), cr.tensor(f32(rng, 1, 1, 2, 2)))


def test_other_bad_arguments_are_refused_clearly(rng):
    x = cr.tensor(f32(rng, 1, 2, 4, 4))
    with pytest.raises(RuntimeError, match="smaller than the kernel"):
        nn.Conv2d(2, 2, 5)(x)
    with pytest.raises(RuntimeError, match=r"must have the same dtype"):
        nn.Conv2d(2, 2, 3)(x.double())
    with pytest.raises(RuntimeError, match=r"bias of shape \(3,\)"):
        F.conv2d(x, cr.tensor(f32(rng, 3, 2, 2, 2)), cr.tensor(f32(rng, 2)))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv2d(2, 2, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        nn.Conv2d(2, 2, 3, padding="full")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(2, 2, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match=r"requested output_size \(20, 20\)"):
        nn.ConvTranspose2d(2, 2, 3, stride=2)(x, output_size=(20, 20))
    with pytest.raises(ValueError, match=r"requested output_size \(2, 9, 9\)"):  # 2 or 4 sizes for 4-D input
        nn.ConvTranspose2d(2, 2, 3, stride=2)(x, output_size=(2, 9, 9))
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
        F.conv_transpose2d(x, cr.tensor(f32(rng, 2, 2, 3, 3)), output_padding=1)
    with pytest.raises(TypeError, match="must be a Tensor, not ndarray"):
        F.conv2d(f32(rng, 1, 2, 4, 4), cr.tensor(f32(rng, 2, 2, 3, 3)))
