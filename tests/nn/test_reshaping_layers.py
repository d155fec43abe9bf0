"""Padding layers, PixelShuffle / PixelUnshuffle, RMSNorm, InstanceNorm and GLU against PyTorch: outputs, input and parameter
gradients, repr; and finite differences."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from tests.conftest import requires_torch
from tests.nn.layer_parity import compare_with_torch, float64_input, gradcheck_layer, torch

LAYERS = {
    "ZeroPad1d": (lambda m: m.ZeroPad1d((1, 2)), (2, 3, 4)),
    "ZeroPad2d": (lambda m: m.ZeroPad2d(1), (2, 3, 4, 5)),
    "ConstantPad1d": (lambda m: m.ConstantPad1d(2, 0.5), (2, 3, 4)),
    "ConstantPad2d": (lambda m: m.ConstantPad2d((1, 0, 2, 1), -1.0), (2, 3, 4, 5)),
    "ReflectionPad1d": (lambda m: m.ReflectionPad1d((2, 1)), (2, 3, 4)),
    "ReflectionPad2d": (lambda m: m.ReflectionPad2d((1, 1, 2, 0)), (2, 3, 4, 5)),
    "ReplicationPad1d": (lambda m: m.ReplicationPad1d((0, 3)), (2, 3, 4)),
    "ReplicationPad2d": (lambda m: m.ReplicationPad2d(2), (1, 3, 4, 5)),
    "PixelShuffle": (lambda m: m.PixelShuffle(2), (2, 8, 3, 3)),
    "PixelUnshuffle": (lambda m: m.PixelUnshuffle(3), (1, 2, 6, 9)),
    "RMSNorm": (lambda m: m.RMSNorm(5), (2, 4, 5)),
    "RMSNorm-2d-eps": (lambda m: m.RMSNorm((4, 5), eps=1e-3), (2, 4, 5)),
    "RMSNorm-no-affine": (lambda m: m.RMSNorm(5, elementwise_affine=False), (3, 5)),
    "GLU": (lambda m: m.GLU(dim=1), (2, 6, 3)),
    "InstanceNorm1d": (lambda m: m.InstanceNorm1d(3, affine=True), (2, 3, 5)),
    "InstanceNorm2d": (lambda m: m.InstanceNorm2d(3, eps=1e-3), (2, 3, 4, 4)),
    "InstanceNorm2d-unbatched": (lambda m: m.InstanceNorm2d(3, affine=True), (3, 4, 4)),
}


@requires_torch
@pytest.mark.parametrize("name", list(LAYERS))
def test_matches_torch(name):
    make, shape = LAYERS[name]
    ours, theirs = make(nn), make(torch.nn)
    compare_with_torch(ours, theirs, [np.random.default_rng(0).standard_normal(shape).astype(np.float32)])
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", list(LAYERS))
def test_gradcheck(name):
    make, shape = LAYERS[name]
    assert gradcheck_layer(make(nn), float64_input(shape))


def test_bad_shapes_are_refused_clearly():
    with pytest.raises(RuntimeError, match="pixel_shuffle expects input of shape"):
        nn.PixelShuffle(2)(cr.zeros(1, 6, 2, 2))
    with pytest.raises(RuntimeError, match="pixel_unshuffle expects input of shape"):
        nn.PixelUnshuffle(2)(cr.zeros(1, 1, 3, 4))
    with pytest.raises(ValueError, match="expects an int or 4 padding sizes"):
        nn.ZeroPad2d((1, 2))
    with pytest.raises(RuntimeError, match="rms_norm: expected input with trailing shape"):
        nn.RMSNorm(3)(cr.zeros(2, 4))
    with pytest.raises(RuntimeError, match="glu: halving dimension must be even"):
        nn.GLU()(cr.zeros(2, 3))
    with pytest.raises(NotImplementedError, match="track_running_stats=True"):
        nn.InstanceNorm2d(3, track_running_stats=True)
    with pytest.raises(RuntimeError, match="expected input of shape"):
        nn.InstanceNorm2d(3)(cr.zeros(2, 4, 5, 5))
