"""parameters_to_vector / vector_to_parameters against PyTorch."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.nn.utils import parameters_to_vector, vector_to_parameters
from tests.conftest import requires_torch, torch

SHAPES = [(2, 3), (4,), (1, 2, 2)]


def arrays(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in SHAPES]


@requires_torch
def test_parameters_to_vector_matches_torch_with_gradients():
    ps = [cr.tensor(a, requires_grad=True) for a in arrays()]
    tps = [torch.tensor(a, requires_grad=True) for a in arrays()]
    weights = np.arange(14, dtype=np.float32)
    vec, tvec = parameters_to_vector(ps), torch.nn.utils.parameters_to_vector(tps)
    assert vec.shape == (14,) and vec.dtype == np.float32
    np.testing.assert_array_equal(vec.detach().numpy(), tvec.detach().numpy())
    (vec * cr.tensor(weights)).sum().backward()
    (tvec * torch.tensor(weights)).sum().backward()
    for p, tp in zip(ps, tps):
        np.testing.assert_array_equal(p.grad.numpy(), tp.grad.numpy())


@requires_torch
def test_vector_to_parameters_matches_torch_and_shares_memory():
    values = np.linspace(-1, 1, 14, dtype=np.float32)
    ps = [cr.zeros(s) for s in SHAPES]
    tps = [torch.zeros(s) for s in SHAPES]
    vec = cr.tensor(values)
    vector_to_parameters(vec, ps)
    torch.nn.utils.vector_to_parameters(torch.tensor(values), tps)
    for p, tp in zip(ps, tps):
        assert p.shape == tuple(tp.shape)
        np.testing.assert_array_equal(p.numpy(), tp.numpy())
    vec.numpy()[0] = 5.0
    assert ps[0].numpy()[0, 0] == 5.0


def test_vector_to_parameters_errors():
    with pytest.raises(TypeError, match="expected chainrule.Tensor, but got: ndarray"):
        vector_to_parameters(np.zeros(14), [cr.zeros(2)])
    with pytest.raises(RuntimeError, match="has 3 elements, but the parameters need 4"):
        vector_to_parameters(cr.zeros(3), [cr.zeros(2, 2)])
