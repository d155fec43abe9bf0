"""Embedding and F.one_hot: PyTorch parity (repeats, padding_idx, scale_grad_by_freq, max_norm), init, errors."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck, gradgradcheck
from tests.conftest import requires_torch
from tests.nn.layer_parity import assert_close, compare_with_torch, float64_input, torch

INDICES = np.array([[1, 3, 3, 0], [6, 1, 1, 1]], np.int64)  # repeated rows and the padding row 0


@requires_torch
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 0}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                    {"padding_idx": 1, "scale_grad_by_freq": True}])
@pytest.mark.parametrize("indices", [INDICES, INDICES[0], INDICES.astype(np.int32)])
def test_matches_torch(kwargs, indices):
    compare_with_torch(nn.Embedding(7, 3, **kwargs), torch.nn.Embedding(7, 3, **kwargs), [indices])


@requires_torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_max_norm_renormalizes_rows_as_torch(norm_type):
    ours, theirs = nn.Embedding(7, 4, max_norm=1.0, norm_type=norm_type), torch.nn.Embedding(7, 4, max_norm=1.0,
                                                                                             norm_type=norm_type)
    compare_with_torch(ours, theirs, [INDICES])
    assert_close(ours.weight, theirs.weight, "weight after renormalization", 1e-5, 1e-6)
    assert ours.weight.grad.dtype == np.float32


def test_gradient_accumulates_repeats_and_skips_padding():
    emb = nn.Embedding(5, 2, padding_idx=2)
    emb(cr.tensor([[0, 2, 0], [4, 2, 0]])).sum().backward()
    expected = np.zeros((5, 2), np.float32)
    expected[0] = 3
    expected[4] = 1
    np.testing.assert_array_equal(emb.weight.grad.numpy(), expected)


def test_gradcheck_and_second_derivative():
    """(padding_idx and scale_grad_by_freq change the gradient on purpose, so they are checked against torch.)"""
    weight = float64_input((6, 3))
    idx = cr.tensor(INDICES % 6)
    assert gradcheck(lambda w: F.embedding(idx, w) ** 2, [weight])
    assert gradgradcheck(lambda w: F.embedding(idx, w) ** 2, [weight])


def test_default_init_and_padding_row():
    cr.manual_seed(0)
    emb = nn.Embedding(2000, 50, padding_idx=-2)
    assert emb.padding_idx == 1998
    w = emb.weight.numpy(force=True)
    assert w.dtype == np.float32
    np.testing.assert_array_equal(w[1998], 0)
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01


def test_from_pretrained_shares_memory_and_freezes():
    table = cr.randn(4, 3)
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad
    assert frozen.weight.numpy() is table.numpy() or np.shares_memory(frozen.weight.numpy(), table.numpy())
    np.testing.assert_array_equal(frozen(cr.tensor([2])).numpy(), table.numpy()[[2]])
    trainable = nn.Embedding.from_pretrained(table, freeze=False)
    assert trainable.weight.requires_grad
    with pytest.raises(AssertionError, match="2-dimensional"):
        nn.Embedding.from_pretrained(cr.randn(4))


def test_errors_name_the_layer():
    emb = nn.Embedding(5, 2)
    with pytest.raises(RuntimeError, match=r"Embedding\(5, 2\): embedding: expected integer indices.*float32"):
        emb(cr.tensor([0.0, 1.0]))
    with pytest.raises(IndexError, match=r"Embedding\(5, 2\): .*index 5 is out of range.*5 rows"):
        emb(cr.tensor([1, 5]))
    with pytest.raises(IndexError, match="index -1"):
        emb(cr.tensor([-1]))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(5, 2, padding_idx=5)


@requires_torch
def test_repr_matches_torch():
    for kwargs in ({}, {"padding_idx": -1, "max_norm": 1.0, "scale_grad_by_freq": True}, {"norm_type": 1.0},
                   {"sparse": True}):
        assert repr(nn.Embedding(10, 3, **kwargs)) == repr(torch.nn.Embedding(10, 3, **kwargs))


@requires_torch
@pytest.mark.parametrize("num_classes", [-1, 9])
def test_one_hot_matches_torch(num_classes):
    ours = F.one_hot(cr.tensor(INDICES), num_classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(INDICES), num_classes)
    assert_close(ours, theirs, "one_hot", 0, 0)


def test_one_hot_errors():
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(cr.tensor([0, -1]))
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(cr.tensor([0, 3]), 3)
    with pytest.raises(RuntimeError, match="integer dtype"):
        F.one_hot(cr.tensor([0.0]))
