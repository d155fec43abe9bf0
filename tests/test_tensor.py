"""Tensor attributes, conversions, NumPy interoperability, and a repr laid out as PyTorch's."""
import re

import numpy as np
import pytest

import chainrule as cr
from tests.conftest import requires_torch

try:
    import torch
except ImportError:
    torch = None

RNG = np.random.default_rng(0)
REPR_CASES = {
    "aligned_negatives": np.array([1.0264, -0.1484], np.float32),
    "matrix": RNG.standard_normal((3, 4)).astype(np.float32),
    "integral_floats": np.array([1.0, -20.0, 300.0], np.float32),
    "scientific": np.array([[1.0, -2.5, 3e-5], [100.0, 0.0, np.nan]], np.float32),
    "large": np.array([1e10, 1.0], np.float32),
    "special": np.array([np.nan, np.inf, -np.inf, 0.0], np.float32),
    "float64": np.array([1.5, -2.25]),
    "float16": np.array([1.5, 2.0], np.float16),
    "int64": np.array([1, -20, 300]),
    "int32": np.array([[1, 2], [3, 4]], np.int32),
    "bool": np.array([True, False, True]),
    "scalar_float": np.float32(-3.5),
    "scalar_int": np.int64(7),
    "scalar_zero": np.float32(0.0),
    "empty": np.zeros(0, np.float32),
    "empty_2d": np.zeros((2, 0), np.float32),
    "empty_int": np.zeros(0, np.int64),
    "3d": RNG.standard_normal((2, 2, 3)).astype(np.float32),
    "wrapped_row": RNG.standard_normal(30).astype(np.float32),
    "summarized": np.arange(2000, dtype=np.float32),
    "summarized_2d": RNG.integers(-5, 5, (40, 40)),
    "wide_ints_and_floats": np.array([123456.7, 1.5], np.float32),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(REPR_CASES))
def test_repr_matches_torch(name):
    values = REPR_CASES[name]
    expected = repr(torch.from_numpy(np.array(values))).replace("torch.", "chainrule.")
    assert repr(cr.tensor(values)) == expected


@requires_torch
def test_repr_with_requires_grad_and_grad_fn_matches_torch():
    values = np.array([[0.5, -1.25], [2.0, 3.5]], np.float32)
    x, tx = cr.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    for make in (lambda m, t: t, lambda m, t: t * 2, lambda m, t: t + 1, lambda m, t: m.exp(t),
                 lambda m, t: t.tanh(), lambda m, t: t.sum(), lambda m, t: t.sigmoid(), lambda m, t: m.relu(t),
                 lambda m, t: -t, lambda m, t: t / 3, lambda m, t: t - 1, lambda m, t: t.double()):
        assert one_line_suffixes(repr(make(cr, x))) == one_line_suffixes(repr(make(torch, tx)).replace(
            "torch.", "chainrule."))


def one_line_suffixes(text):
    """The suffixes (dtype=..., grad_fn=...) as if never wrapped: "chainrule." is longer than "torch."."""
    return re.sub(r",\n\s+(dtype|grad_fn|requires_grad)=", r", \1=", text)


@requires_torch
def test_repr_suffix_wraps_like_torch():
    values = np.linspace(-1, 1, 9, dtype=np.float32).reshape(1, 9)
    x, tx = cr.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    assert repr(x * 2) == repr(tx * 2)


def test_print_options():
    try:
        cr.set_printoptions(precision=2)
        assert repr(cr.tensor([1.23456, -2.0])) == "tensor([ 1.23, -2.00])"
    finally:
        cr.set_printoptions(profile="default")
    assert repr(cr.tensor([1.23456])) == "tensor([1.2346])"


def test_attributes():
    x = cr.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.shape == (2, 3) and x.size() == (2, 3) and x.size(1) == 3 and x.size(-2) == 2
    assert x.ndim == 2 and x.dim() == 2 and x.numel() == 6 and len(x) == 2
    assert x.dtype == cr.float32 and x.dtype is np.dtype(np.float32)
    assert x.T.shape == (3, 2) and x.mT.shape == (3, 2)
    np.testing.assert_array_equal(x.T.numpy(), x.numpy().T)
    assert cr.ones(2, 3, 4).mT.shape == (2, 4, 3)
    assert x.requires_grad is False and x.grad is None and x.is_leaf and x.grad_fn is None
    assert x.device == cr.device("cpu") and str(x.device) == "cpu" and not x.is_cuda and x.is_floating_point()


def test_conversions_to_python():
    x = cr.tensor([[1.5, 2.0], [3.0, 4.0]])
    assert x.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert x[0, 0].item() == 1.5 and isinstance(x[0, 0].item(), float)
    assert cr.tensor(3).item() == 3 and isinstance(cr.tensor(3).item(), int)
    assert float(x[1, 1]) == 4.0 and int(x[0, 0]) == 1
    assert [10, 20, 30][cr.tensor(2)] == 30
    assert f"{x[0, 0]:.3f}" == "1.500"
    assert [row.tolist() for row in x] == [[1.5, 2.0], [3.0, 4.0]]
    assert bool(cr.tensor([1.0])) and not bool(cr.tensor(0))


def test_numpy_shares_memory_and_array_protocol():
    x = cr.tensor([1.0, 2.0])
    x.numpy()[0] = 7.0
    assert x[0].item() == 7.0
    assert np.asarray(x) is x.numpy()
    assert np.array(x, dtype=np.float64).dtype == np.float64
    y = cr.tensor([1.0, 2.0], requires_grad=True)
    assert y.detach().numpy().base is y.numpy(force=True).base or np.shares_memory(y.detach().numpy(),
                                                                                    y.numpy(force=True))


def test_numpy_functions_on_tensors_record_chainrule_operations():
    x = cr.tensor([0.5, 1.5], requires_grad=True)
    y = np.exp(x) * np.sin(x)
    assert isinstance(y, cr.Tensor) and y.requires_grad
    np.sum(y).backward()
    xs = np.array([0.5, 1.5])
    np.testing.assert_allclose(x.grad.numpy(), np.exp(xs) * (np.sin(xs) + np.cos(xs)), rtol=1e-6)
    assert isinstance(np.mean(x, axis=0), cr.Tensor)
    z = np.where(x.detach() > 1, x.detach(), 0.0)
    assert isinstance(z, cr.Tensor) and z.tolist() == [0.0, 1.5]


def test_numpy_functions_without_a_derivative_refuse_tensors_that_require_grad():
    x = cr.tensor([0.5, 1.5], requires_grad=True)
    for fn in (np.square, np.reciprocal, np.rint, lambda t: np.clip(t, 0, 1), np.round, np.sinh,
               lambda t: np.logaddexp(t, 1.0)):
        assert isinstance(fn(x), cr.Tensor) and fn(x).requires_grad
    with pytest.raises(TypeError, match="np.arcsinh.*no chainrule derivative.*detach"):
        np.arcsinh(x)
    np.testing.assert_allclose(np.arcsinh(x.detach()), np.arcsinh([0.5, 1.5]), rtol=1e-6)
    with cr.no_grad():
        assert isinstance(np.arcsinh(x), np.ndarray)
    assert np.shape(x) == (2,) and np.ndim(x) == 1  # inspection stays possible


def test_detach_clone_and_requires_grad_():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and np.shares_memory(d.numpy(), x.numpy(force=True))
    c = x.clone()
    assert c.requires_grad and c.grad_fn is not None and not np.shares_memory(c.numpy(force=True),
                                                                                x.numpy(force=True))
    (c * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    leaf = cr.tensor([1.0])
    assert leaf.requires_grad_() is leaf and leaf.requires_grad
    assert leaf.requires_grad_(False) is leaf and not leaf.requires_grad


def test_dtype_conversions_are_differentiable():
    x = cr.tensor([1.5, -2.5], requires_grad=True)
    for convert in (lambda t: t.to(cr.float64), lambda t: t.astype(cr.float64), lambda t: t.double(),
                    lambda t: t.type(cr.float64), lambda t: t.to(dtype=cr.float64)):
        y = convert(x)
        assert y.dtype == cr.float64 and y.requires_grad
    x.double().sum().backward()
    assert x.grad.dtype == cr.float32
    assert x.to(cr.float32) is x
    assert x.long().tolist() == [1, -2] and x.int().dtype == cr.int32 and x.bool().dtype == cr.bool
    assert cr.tensor([1, 2]).float().dtype == cr.float32
    assert x.to(cr.tensor([1], dtype=cr.int64)).dtype == cr.int64


def test_data_attribute_is_a_detached_view():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    d = x.data
    assert not d.requires_grad
    d.mul_(2.0)
    assert x.tolist() == [2.0, 4.0]


def test_comparison_operators_give_bool_tensors():
    x = cr.tensor([1.0, 2.0, 3.0])
    assert (x > 1.5).tolist() == [False, True, True]
    assert (x == 2).dtype == cr.bool
    assert ((x > 1) & (x < 3)).tolist() == [False, True, False]
    assert (~(x > 1)).tolist() == [True, False, False]
    assert x.equal(cr.tensor([1.0, 2.0, 3.0])) and not x.equal(cr.tensor([1.0, 2.0]))
    assert x.allclose(x + 1e-9)


def test_deepcopy_of_a_trained_module_copies_parameters_and_grads_but_no_graph():
    """copy.deepcopy(model) after a backward (an EMA copy, the best model so far), as in PyTorch."""
    import copy
    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.ReLU(), cr.nn.Linear(4, 2))
    model(cr.randn(5, 3)).sum().backward()
    model[0].weight.tag = {"lr_scale": 0.5}  # a user's attribute travels with it
    twin = copy.deepcopy(model)
    for p, q in zip(model.parameters(), twin.parameters()):
        assert type(q) is cr.nn.Parameter and q.requires_grad and q.is_leaf
        np.testing.assert_array_equal(q.detach().numpy(), p.detach().numpy())
        np.testing.assert_array_equal(q.grad.numpy(), p.grad.numpy())
        assert not np.shares_memory(q.detach().numpy(), p.detach().numpy())
        assert not np.shares_memory(q.grad.numpy(), p.grad.numpy())
    assert twin[0].weight.tag == {"lr_scale": 0.5} and twin[0].weight.tag is not model[0].weight.tag
    before = [p.detach().numpy().copy() for p in model.parameters()]
    twin.zero_grad()
    twin(cr.randn(5, 3)).sum().backward()
    cr.optim.SGD(twin.parameters(), lr=0.1).step()  # training the copy leaves the original alone
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.detach().numpy(), b)


def test_deepcopy_of_a_non_leaf_is_refused_as_in_torch():
    import copy
    x = cr.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user"):
        copy.deepcopy(x * 2)
    view = copy.deepcopy(cr.zeros(2, 3)[0])  # a view outside the graph: a tensor with memory of its own
    assert type(view) is cr.Tensor and view.shape == (3,)
