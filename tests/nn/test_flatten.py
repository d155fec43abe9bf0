"""Flatten and Unflatten: PyTorch parity of shapes, values, gradients and repr."""
import numpy as np
import pytest

import chainrule.nn as nn
from tests.conftest import requires_torch
from tests.nn.layer_parity import compare_with_torch, torch

LAYERS = [lambda m: m.Flatten(), lambda m: m.Flatten(0, 2), lambda m: m.Flatten(-2),
          lambda m: m.Unflatten(1, (3, 1)), lambda m: m.Unflatten(-1, [2, 2]),
          lambda m: m.Sequential(m.Flatten(), m.Unflatten(1, (3, 4)))]


@requires_torch
@pytest.mark.parametrize("make", LAYERS)
def test_matches_torch(rng, make):
    compare_with_torch(make(nn), make(torch.nn), [rng.standard_normal((2, 3, 4)).astype(np.float32)])
    assert repr(make(nn)) == repr(make(torch.nn))


def test_unflatten_checks_its_sizes():
    with pytest.raises(TypeError, match="tuple of ints"):
        nn.Unflatten(1, 6)
    with pytest.raises(TypeError, match="tuple of ints"):
        nn.Unflatten(1, (2, 3.0))
