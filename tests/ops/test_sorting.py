"""sort / argsort / topk / unique beyond the op table (ties, NaN, 0-d input, against PyTorch), and the clear
errors of the shape and indexing helpers added with them."""
import numpy as np
import pytest

import chainrule as cr
from tests.conftest import requires_torch

try:
    import torch
except ImportError:
    torch = None

TIES = np.array([[3.0, 1.0, 3.0, np.nan, 1.0, 2.0], [0.0, -0.0, 5.0, 5.0, np.nan, np.nan]], np.float32)


@requires_torch
@pytest.mark.parametrize("descending", [False, True])
def test_stable_sort_with_ties_and_nan_matches_torch(descending):
    ours = cr.sort(cr.tensor(TIES), dim=1, descending=descending, stable=True)
    theirs = torch.sort(torch.tensor(TIES), dim=1, descending=descending, stable=True)
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    np.testing.assert_array_equal(cr.argsort(cr.tensor(TIES), descending=descending).numpy(),
                                  theirs.indices.numpy())


@requires_torch
def test_topk_gradient_goes_to_the_chosen_entries():
    a = np.array([[0.5, 2.0, -1.0, 3.0], [1.0, 0.0, 4.0, -2.0]], np.float32)
    x, tx = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ours, theirs = x.topk(2, dim=1), tx.topk(2, dim=1)
    (ours.values * cr.tensor([[1.0, 2.0]])).sum().backward()
    (theirs.values * torch.tensor([[1.0, 2.0]])).sum().backward()
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_zero_dimensional_input_and_empty_topk():
    s = cr.sort(cr.tensor(2.5))
    assert s.values.item() == 2.5 and s.indices.item() == 0
    top = cr.topk(cr.arange(4.0), 0)
    assert top.values.shape == (0,) and top.indices.dtype == cr.int64


@pytest.mark.parametrize("k", [5, -1, 1.5])
def test_topk_with_k_out_of_range_is_refused(k):
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        cr.topk(cr.arange(4.0), k)


@requires_torch
def test_unique_matches_torch():
    a = np.array([[3, 1, 3], [2, 1, 7]])
    ours = cr.unique(cr.tensor(a), return_inverse=True, return_counts=True)
    theirs = torch.unique(torch.tensor(a), return_inverse=True, return_counts=True)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.numpy(), t.numpy())
    np.testing.assert_array_equal(cr.tensor(a).unique().numpy(), [1, 2, 3, 7])


def test_shape_helpers_refuse_bad_arguments_clearly():
    x = cr.zeros(3, 4)
    with pytest.raises(IndexError, match="narrow: start"):
        x.narrow(1, 3, 2)
    with pytest.raises(RuntimeError, match="repeat_interleave: repeats must be"):
        x.repeat_interleave(cr.tensor([1, 2]), dim=0)
    with pytest.raises(RuntimeError, match="diagonal dimensions cannot be identical"):
        x.diagonal(0, 1, 1)
    with pytest.raises(RuntimeError, match="meshgrid expects 1-D tensors"):
        cr.meshgrid(x, cr.zeros(2))
    with pytest.raises(RuntimeError, match="tril: input tensor must have at least 2 dimensions"):
        cr.tril(cr.zeros(3))
    with pytest.raises(RuntimeError, match="outer: expected 1-D tensors"):
        cr.outer(x, cr.zeros(2))
    with pytest.raises(RuntimeError, match="tensor_split: number of sections must be greater than 0"):
        x.tensor_split(0)
    with pytest.raises(RuntimeError, match="index_add\\(\\): expected a 1-D index with one entry per slice"):
        x.index_add(1, cr.tensor([0, 1]), cr.ones(3, 3))
    with pytest.raises(RuntimeError, match="index_fill\\(\\): Expected dtype int64 for index"):
        x.index_fill(1, cr.tensor([0.5]), 1.0)
