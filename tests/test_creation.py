"""Making tensors: dtypes, shapes and values as PyTorch makes them; reproducible randomness."""
import numpy as np
import pytest

import chainrule as cr
from tests.conftest import requires_torch

try:
    import torch
except ImportError:
    torch = None

# each maker runs with m = chainrule or torch; random ones are multiplied by 0 (values differ by design)
MAKERS = {
    "tensor_floats": lambda m: m.tensor([[1.5, 2.0], [3.0, -4.0]]),
    "tensor_ints": lambda m: m.tensor([1, 2, 3]),
    "tensor_bools": lambda m: m.tensor([True, False]),
    "tensor_mixed": lambda m: m.tensor([1, 2.5]),
    "tensor_scalar": lambda m: m.tensor(3.0),
    "tensor_int_scalar": lambda m: m.tensor(-3),
    "tensor_empty": lambda m: m.tensor([]),
    "tensor_dtype": lambda m: m.tensor([1, 2], dtype=m.float64),
    "tensor_from_float64_array": lambda m: m.tensor(np.array([1.5, 2.0])),
    "tensor_from_int32_array": lambda m: m.tensor(np.array([1, 2], np.int32)),
    "tensor_of_0d_tensors": lambda m: m.tensor([m.tensor(1.0), m.tensor(2.0)]),
    "zeros": lambda m: m.zeros(2, 3),
    "zeros_tuple": lambda m: m.zeros((2, 3)),
    "zeros_0d": lambda m: m.zeros(()),
    "zeros_empty": lambda m: m.zeros(0, 3),
    "zeros_int": lambda m: m.zeros(2, dtype=m.int64),
    "ones": lambda m: m.ones([3]),
    "ones_bool": lambda m: m.ones(2, dtype=m.bool),
    "full": lambda m: m.full((2, 2), 1.5),
    "full_int": lambda m: m.full((2,), 3),
    "full_bool": lambda m: m.full((2,), True),
    "full_dtype": lambda m: m.full((2,), 3, dtype=m.float64),
    "empty": lambda m: m.empty(2, 3).zero_(),
    "arange": lambda m: m.arange(5),
    "arange_start_step": lambda m: m.arange(5, 0, -2),
    "arange_float": lambda m: m.arange(0, 1, 0.25),
    "arange_float_end": lambda m: m.arange(1.0, 4),
    "arange_inexact": lambda m: m.arange(0, 0.3, 0.1),
    "arange_dtype": lambda m: m.arange(3, dtype=m.float64),
    "linspace": lambda m: m.linspace(0, 1, 5),
    "linspace_one": lambda m: m.linspace(2, 3, 1),
    "eye": lambda m: m.eye(3),
    "eye_rect": lambda m: m.eye(2, 3),
    "eye_int": lambda m: m.eye(2, dtype=m.int64),
    "zeros_like": lambda m: m.zeros_like(m.ones(2, dtype=m.int32)),
    "ones_like_dtype": lambda m: m.ones_like(m.ones(2), dtype=m.float64),
    "full_like": lambda m: m.full_like(m.ones(2), 4),
    "full_like_int": lambda m: m.full_like(m.ones(2, dtype=m.int64), 4.7),
    "empty_like": lambda m: m.empty_like(m.ones(2, 1)).zero_(),
    "rand": lambda m: m.rand(2, 3) * 0,
    "randn": lambda m: m.randn((2, 3)) * 0,
    "randn_float64": lambda m: m.randn(2, dtype=m.float64) * 0,
    "randint": lambda m: m.randint(0, 5, (3,)) * 0,
    "randint_high_only": lambda m: m.randint(5, (3, 1)) * 0,
    "rand_like": lambda m: m.rand_like(m.ones(2, dtype=m.float64)) * 0,
    "randn_like": lambda m: m.randn_like(m.ones(2)) * 0,
    "randint_like": lambda m: m.randint_like(m.ones(2), 5) * 0,
    "from_numpy_int32": lambda m: m.from_numpy(np.array([1, 2], np.int32)),
    "from_numpy_float64": lambda m: m.from_numpy(np.array([1.0, 2.0])),
    "as_tensor": lambda m: m.as_tensor([1.5]),
    "new_zeros": lambda m: m.ones(2, dtype=m.float64).new_zeros(2, 3),
    "new_ones": lambda m: m.ones(2, dtype=m.int32).new_ones((1,)),
    "new_full": lambda m: m.ones(2).new_full((2,), 7),
    "new_tensor": lambda m: m.ones(2, dtype=m.float64).new_tensor([1, 2]),
    "new_empty": lambda m: m.ones(2).new_empty(3, dtype=m.int64).zero_(),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(MAKERS))
def test_creation_matches_torch(name):
    ours, theirs = MAKERS[name](cr), MAKERS[name](torch)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(np.asarray(ours), theirs.numpy(), rtol=1e-6)


def test_tensor_copies_its_data_and_from_numpy_shares_it():
    data = np.array([1.0, 2.0], dtype=np.float32)
    copied, shared = cr.tensor(data), cr.from_numpy(data)
    data[0] = 9.0
    assert copied[0].item() == 1.0 and shared[0].item() == 9.0
    with pytest.raises(TypeError, match="expected np.ndarray"):
        cr.from_numpy([1.0, 2.0])


def test_requires_grad_at_creation():
    for make in (lambda: cr.tensor([1.0], requires_grad=True), lambda: cr.zeros(2, requires_grad=True),
                 lambda: cr.ones(2, requires_grad=True),
                 lambda: cr.randn(2, requires_grad=True, generator=cr.Generator()),
                 lambda: cr.full((2,), 1.0, requires_grad=True), lambda: cr.arange(3.0, requires_grad=True),
                 lambda: cr.zeros_like(cr.ones(2), requires_grad=True)):
        t = make()
        assert t.requires_grad and t.is_leaf


def test_creation_errors_say_what_was_wrong():
    with pytest.raises(ValueError, match="inhomogeneous"):
        cr.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="numbers or booleans"):
        cr.tensor(["a"])
    with pytest.raises(TypeError, match="expected a dtype.*'floaty'"):
        cr.zeros(2, dtype="floaty")
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        cr.arange(0, 1, 0)
    with pytest.raises(RuntimeError, match="from=5 >= to=5"):
        cr.randint(5, 5, (2,))


def test_default_dtype_can_be_changed():
    try:
        cr.set_default_dtype(cr.float64)
        assert cr.tensor([1.5]).dtype == cr.float64 and cr.zeros(1).dtype == cr.float64
        assert cr.arange(0.5, 2).dtype == cr.float64 and cr.tensor([1]).dtype == cr.int64
    finally:
        cr.set_default_dtype(cr.float32)
    assert cr.ones(1).dtype == cr.float32
    with pytest.raises(TypeError, match="floating-point"):
        cr.set_default_dtype(cr.int32)


@pytest.fixture
def default_stream_restored():
    """Tests that reseed the default generator leave it as they found it, for the tests after them."""
    state = cr.get_rng_state()
    yield
    cr.set_rng_state(state)


@pytest.mark.usefixtures("default_stream_restored")
def test_manual_seed_makes_random_tensors_reproducible():
    cr.manual_seed(123)
    first = [cr.rand(3), cr.randn(2, 2), cr.randint(0, 10, (4,)), cr.randperm(5)]
    cr.manual_seed(123)
    second = [cr.rand(3), cr.randn(2, 2), cr.randint(0, 10, (4,)), cr.randperm(5)]
    for a, b in zip(first, second):
        assert a.equal(b)
    cr.manual_seed(124)
    assert not cr.rand(3).equal(first[0])


@pytest.mark.usefixtures("default_stream_restored")
def test_generator_is_independent_of_the_default_stream():
    g = cr.Generator().manual_seed(7)
    a = cr.randn(4, generator=g)
    cr.manual_seed(0)
    cr.randn(100)  # advancing the default stream does not touch g
    b = cr.randn(4, generator=cr.Generator().manual_seed(7))
    assert a.equal(b)
    assert g.initial_seed() == 7


@pytest.mark.usefixtures("default_stream_restored")
def test_generator_state_round_trip():
    g = cr.Generator().manual_seed(3)
    cr.rand(5, generator=g)
    state = g.get_state()
    a = cr.rand(5, generator=g)
    g.set_state(state)
    assert cr.rand(5, generator=g).equal(a)
    state = cr.get_rng_state()
    b = cr.randn(3)
    cr.set_rng_state(state)
    assert cr.randn(3).equal(b)


def test_random_values_have_the_right_range_and_distribution():
    g = cr.Generator().manual_seed(0)
    u = cr.rand(20000, generator=g).numpy()
    assert u.dtype == np.float32 and u.min() >= 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.01
    n = cr.randn(20000, generator=g).numpy()
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1.0) < 0.03
    k = cr.randint(-2, 3, (5000,), generator=g)
    assert k.dtype == cr.int64 and set(k.tolist()) == {-2, -1, 0, 1, 2}
    assert sorted(cr.randperm(10, generator=g).tolist()) == list(range(10))
