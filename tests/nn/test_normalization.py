"""BatchNorm1d/2d/3d, LayerNorm, GroupNorm and their functional forms: PyTorch parity in training and
evaluation (outputs, gradients, running statistics), finite differences, second derivatives, errors."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.autograd import grad, gradgradcheck
from tests.conftest import requires_torch
from tests.nn.functional_parity import compare_functional
from tests.nn.layer_parity import compare_with_torch, copy_torch_state, float64_input, gradcheck_layer, torch


def f32(rng, *shape, scale=1.0, shift=0.0):
    return (rng.standard_normal(shape) * scale + shift).astype(np.float32)


def assert_same_buffers(ours, theirs):
    for name, b in theirs.named_buffers():
        mine = dict(ours.named_buffers())[name]
        assert mine.dtype == np.dtype(str(b.dtype).replace("torch.", "")), name
        np.testing.assert_allclose(mine.numpy(), b.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


BATCH_NORM_OPTIONS = [dict(), dict(momentum=None), dict(affine=False), dict(bias=False, momentum=0.3, eps=1e-3),
                      dict(track_running_stats=False)]


@requires_torch
@pytest.mark.parametrize("options", BATCH_NORM_OPTIONS, ids=str)
@pytest.mark.parametrize("layer, shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)),
                                          ("BatchNorm2d", (4, 3, 5, 2)), ("BatchNorm3d", (2, 3, 2, 3, 2))])
def test_batch_norm_matches_torch_in_training_then_evaluation(rng, layer, shape, options):
    ours, theirs = getattr(nn, layer)(3, **options), getattr(torch.nn, layer)(3, **options)
    if ours.weight is not None:  # not the identity, so that wrong weights would show
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
            if theirs.bias is not None:
                theirs.bias.uniform_(-1, 1)
    copy_torch_state(ours, theirs)
    for step in range(3):  # running statistics accumulate over several batches
        compare_with_torch(ours, theirs, [f32(rng, *shape, scale=2.0, shift=step)], copy=False, seed=step)
        assert_same_buffers(ours, theirs)
    ours.eval()
    theirs.eval()
    compare_with_torch(ours, theirs, [f32(rng, *shape)], copy=False)
    assert_same_buffers(ours, theirs)


@requires_torch
def test_a_torch_state_dict_loads_and_gives_the_same_eval_outputs(rng):
    theirs = torch.nn.BatchNorm2d(3)
    theirs(torch.tensor(f32(rng, 4, 3, 2, 2, scale=3.0, shift=1.0)))  # non-trivial running statistics
    ours = nn.BatchNorm2d(3)
    copy_torch_state(ours, theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.num_batches_tracked.item() == 1
    compare_with_torch(ours.eval(), theirs.eval(), [f32(rng, 2, 3, 2, 2)], copy=False)


@requires_torch
@pytest.mark.parametrize("shape, normalized, options", [
    ((4, 5), 5, dict()),
    ((2, 3, 4), (3, 4), dict(eps=1e-3)),
    ((2, 3, 4), [4], dict(bias=False)),
    ((3, 4), 4, dict(elementwise_affine=False)),
])
def test_layer_norm_matches_torch(rng, shape, normalized, options):
    ours, theirs = nn.LayerNorm(normalized, **options), torch.nn.LayerNorm(normalized, **options)
    for p in theirs.parameters():
        with torch.no_grad():
            p.uniform_(-1, 1)
    compare_with_torch(ours, theirs, [f32(rng, *shape, scale=3.0, shift=1.0)])


@requires_torch
@pytest.mark.parametrize("groups, shape, options", [(2, (3, 4, 5), dict()), (4, (2, 4, 3, 2), dict(eps=1e-3)),
                                                    (1, (2, 4), dict(affine=False)), (2, (2, 4, 3), dict(bias=False))])
def test_group_norm_matches_torch(rng, groups, shape, options):
    ours, theirs = nn.GroupNorm(groups, 4, **options), torch.nn.GroupNorm(groups, 4, **options)
    for p in theirs.parameters():
        with torch.no_grad():
            p.uniform_(-1, 1)
    compare_with_torch(ours, theirs, [f32(rng, *shape, scale=2.0)])


@requires_torch
@pytest.mark.parametrize("training", [True, False])
def test_functional_batch_norm_matches_torch(rng, training):
    mean, var = f32(rng, 3), rng.uniform(0.5, 2, 3).astype(np.float32)
    ours_stats = [cr.tensor(mean.copy()), cr.tensor(var.copy())]
    torch_stats = [torch.tensor(mean.copy()), torch.tensor(var.copy())]
    arrays = [f32(rng, 4, 3, 5), f32(rng, 3), f32(rng, 3)]
    compare_functional(lambda x, w, b: F.batch_norm(x, *ours_stats, w, b, training, 0.2, 1e-4),
                       lambda x, w, b: torch.nn.functional.batch_norm(x, *torch_stats, w, b, training, 0.2, 1e-4),
                       arrays)
    for mine, theirs in zip(ours_stats, torch_stats):
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)


@requires_torch
def test_functional_layer_and_group_norm_match_torch(rng):
    compare_functional(lambda x, w, b: F.layer_norm(x, (3, 4), w, b, 1e-4),
                       lambda x, w, b: torch.nn.functional.layer_norm(x, (3, 4), w, b, 1e-4),
                       [f32(rng, 2, 3, 4), f32(rng, 3, 4), f32(rng, 3, 4)])
    compare_functional(lambda x, w, b: F.group_norm(x, 3, w, b),
                       lambda x, w, b: torch.nn.functional.group_norm(x, 3, w, b),
                       [f32(rng, 2, 6, 2, 2), f32(rng, 6), f32(rng, 6)])
    compare_functional(lambda x: F.layer_norm(x, [5]), lambda x: torch.nn.functional.layer_norm(x, [5]),
                       [f32(rng, 3, 5)])


@pytest.mark.parametrize("layer, shape", [
    (lambda: nn.BatchNorm2d(2), (3, 2, 2, 1)),
    (lambda: nn.BatchNorm1d(2, affine=False), (3, 2)),
    (lambda: nn.BatchNorm1d(2).eval(), (2, 2, 2)),
    (lambda: nn.LayerNorm((2, 3)), (2, 2, 3)),
    (lambda: nn.GroupNorm(2, 4), (2, 4, 2)),
], ids=["bn2d", "bn1d-no-affine", "bn1d-eval", "layer", "group"])
def test_gradcheck(layer, shape):
    layer = layer()
    for p in layer.parameters():  # away from the identity affine transform
        p.data.uniform_(0.5, 1.5)
    assert gradcheck_layer(layer, float64_input(shape))


@pytest.mark.parametrize("fn", [
    lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
    lambda x, w, b: F.layer_norm(x.reshape(3, 4), (4,), w.reshape(-1).repeat(2)[:4], b.reshape(-1).repeat(2)[:4]),
    lambda x, w, b: F.group_norm(x, 1, w, b),
], ids=["batch", "layer", "group"])
def test_second_derivatives(fn):
    params = [cr.tensor(np.random.default_rng(1).uniform(0.5, 1.5, 2), requires_grad=True),
              cr.tensor(np.random.default_rng(2).standard_normal(2), requires_grad=True)]
    assert gradgradcheck(lambda x, w, b: fn(x, w, b) ** 2, [float64_input((3, 2, 2))] + params)


@requires_torch
@pytest.mark.parametrize("norm", ["BatchNorm1d", "LayerNorm"])
def test_gradient_penalty_through_normalization_matches_torch(rng, norm):
    """d/dθ ‖∂L/∂x‖² (a double backward through the normalization) equals PyTorch's."""
    def model(lib):
        return lib.nn.Sequential(lib.nn.Linear(3, 4), getattr(lib.nn, norm)(4), lib.nn.Tanh(), lib.nn.Linear(4, 1))
    ours, theirs = model(cr), model(torch)
    copy_torch_state(ours, theirs)
    a = f32(rng, 5, 3)
    x, tx = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    g, = grad(ours(x).pow(3).sum(), [x], create_graph=True)
    tg, = torch.autograd.grad(theirs(tx).pow(3).sum(), [tx], create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-4, atol=1e-5)
    (g * g).sum().backward()
    (tg * tg).sum().backward()
    for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        assert p.grad.dtype == np.float32, name
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-3, atol=1e-4, err_msg=name)


@requires_torch
@pytest.mark.parametrize("make", [lambda m: m.GroupNorm(1, 3), lambda m: m.BatchNorm2d(3).eval(),
                                  lambda m: m.LayerNorm((5, 5))])
def test_empty_batch(make):
    x = cr.tensor(np.zeros((0, 3, 5, 5), np.float32), requires_grad=True)
    out = make(nn)(x)
    out.sum().backward()
    assert out.shape == tuple(make(torch.nn)(torch.zeros(0, 3, 5, 5)).shape) and x.grad.shape == x.shape


def test_double_converts_running_statistics_but_not_the_counter(rng):
    bn = nn.BatchNorm2d(3).double()
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
    out = bn(cr.tensor(rng.standard_normal((2, 3, 2, 2))))
    assert out.dtype == np.float64 and bn.running_var.dtype == np.float64


def test_eval_mode_does_not_touch_running_statistics(rng):
    bn = nn.BatchNorm1d(3).eval()
    bn(cr.tensor(f32(rng, 4, 3, shift=5.0)))
    np.testing.assert_array_equal(bn.running_mean.numpy(), 0)
    assert bn.num_batches_tracked.item() == 0


def test_batch_norm_errors_name_the_layer_and_shapes(rng):
    with pytest.raises(RuntimeError, match=r"BatchNorm2d\(3, eps=1e-05.*\) expected input with 3 channels "
                                           r"\(shape \(N, 3, H, W\)\), got shape \(2, 4, 5, 5\)"):
        nn.BatchNorm2d(3)(cr.tensor(f32(rng, 2, 4, 5, 5)))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3.*\(shape \(N, 3\) or \(N, 3, L\)\), got shape "
                                         r"\(2, 3, 4, 4\)"):
        nn.BatchNorm1d(3)(cr.tensor(f32(rng, 2, 3, 4, 4)))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(cr.tensor(f32(rng, 1, 3)))


def test_layer_and_group_norm_errors_name_the_layer_and_shapes(rng):
    with pytest.raises(RuntimeError, match=r"LayerNorm\(\(3, 4\), .*\) expected input of shape \(\*, 3, 4\), "
                                           r"got shape \(2, 4, 3\)"):
        nn.LayerNorm((3, 4))(cr.tensor(f32(rng, 2, 4, 3)))
    with pytest.raises(RuntimeError, match=r"GroupNorm\(2, 4, .*\) expected input with 4 channels \(shape "
                                           r"\(N, 4, \*\)\), got shape \(2, 6, 3\)"):
        nn.GroupNorm(2, 4)(cr.tensor(f32(rng, 2, 6, 3)))
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups"):
        nn.GroupNorm(3, 4)
    with pytest.raises(RuntimeError, match="divisible by num_groups=4"):
        F.group_norm(cr.tensor(f32(rng, 2, 6, 3)), 4)
    with pytest.raises(RuntimeError, match=r"expected weight of shape \(4,\), got shape \(3,\)"):
        F.layer_norm(cr.tensor(f32(rng, 2, 4)), (4,), cr.tensor(f32(rng, 3)))
