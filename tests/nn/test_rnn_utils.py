"""chainrule.nn.utils.rnn: padding and packing variable-length sequences, against PyTorch and finite differences."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.nn.utils import rnn
from chainrule.nn.utils.rnn import (PackedSequence, invert_permutation, pack_padded_sequence, pack_sequence,
                                    pad_packed_sequence, pad_sequence, unpack_sequence, unpad_sequence)
from tests.conftest import requires_torch
from tests.nn.layer_parity import assert_close, torch


def f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def tnn():
    return torch.nn.utils.rnn


def backward_same(out, tout, seed=1):
    w = np.random.default_rng(seed).standard_normal(tuple(tout.shape)).astype(np.float32)
    (out * cr.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()


@requires_torch
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_sequence_matches_torch(rng, batch_first, padding_side):
    arrays = [f32(rng, n, 2, 3) for n in (3, 5, 1)]
    ours = [cr.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = pad_sequence(ours, batch_first, -1.5, padding_side)
    tout = tnn().pad_sequence(theirs, batch_first, -1.5, padding_side)
    assert_close(out, tout, "padded", 0, 0)
    backward_same(out, tout)
    for o, t in zip(ours, theirs):
        assert_close(o.grad, t.grad, "gradient", 0, 0)


@requires_torch
@pytest.mark.parametrize("lengths", [[5, 3, 3, 1], [2, 5, 1, 4], [3, 3, 3, 3]])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_padded_sequence_matches_torch(rng, lengths, batch_first):
    enforce_sorted = lengths == sorted(lengths, reverse=True)
    x = f32(rng, 4, 6, 2) if batch_first else f32(rng, 6, 4, 2)
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    packed = pack_padded_sequence(cx, lengths, batch_first, enforce_sorted)
    tpacked = tnn().pack_padded_sequence(tx, lengths, batch_first, enforce_sorted)
    assert_close(packed.data, tpacked.data, "data", 0, 0)
    for field in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        ours, theirs = getattr(packed, field), getattr(tpacked, field)
        assert (ours is None) == (theirs is None), field
        if ours is not None:
            assert_close(ours, theirs, field, 0, 0)
    backward_same(packed.data, tpacked.data)
    assert_close(cx.grad, tx.grad, "gradient of the padded input", 0, 0)


@requires_torch
@pytest.mark.parametrize("total_length", [None, 7])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_packed_sequence_matches_torch(rng, batch_first, total_length):
    lengths = [2, 5, 1, 4]
    x = f32(rng, 5, 4, 3)
    packed = pack_padded_sequence(cr.tensor(x), lengths, enforce_sorted=False)
    tpacked = tnn().pack_padded_sequence(torch.tensor(x), lengths, enforce_sorted=False)
    data = cr.tensor(packed.data.numpy(), requires_grad=True)
    tdata = torch.tensor(packed.data.numpy(), requires_grad=True)
    packed = PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
    tpacked = tnn().PackedSequence(tdata, tpacked.batch_sizes, tpacked.sorted_indices, tpacked.unsorted_indices)
    padded, out_lengths = pad_packed_sequence(packed, batch_first, 0.25, total_length)
    tpadded, tlengths = tnn().pad_packed_sequence(tpacked, batch_first, 0.25, total_length)
    assert_close(padded, tpadded, "padded", 0, 0)
    assert_close(out_lengths, tlengths, "lengths", 0, 0)
    backward_same(padded, tpadded)
    assert_close(data.grad, tdata.grad, "gradient of the packed data", 0, 0)


@requires_torch
def test_sequence_lists_match_torch(rng):
    arrays = [f32(rng, n, 3) for n in (2, 4, 1)]
    packed = pack_sequence([cr.tensor(a) for a in arrays], enforce_sorted=False)
    tpacked = tnn().pack_sequence([torch.tensor(a) for a in arrays], enforce_sorted=False)
    assert_close(packed.data, tpacked.data, "data", 0, 0)
    for ours, a in zip(unpack_sequence(packed), arrays):
        np.testing.assert_array_equal(ours.numpy(), a)
    padded = pad_sequence([cr.tensor(a) for a in arrays])
    for ours, a in zip(unpad_sequence(padded, [2, 4, 1]), arrays):
        np.testing.assert_array_equal(ours.numpy(), a)
    assert repr(pack_sequence([cr.tensor([1.0, 2.0])])).startswith("PackedSequence(data=")


def test_round_trip_restores_the_original_order(rng):
    x = f32(rng, 6, 5, 2)
    lengths = np.array([4, 6, 1, 6, 3])
    for b, n in enumerate(lengths):
        x[n:, b] = 0
    padded, out_lengths = pad_packed_sequence(pack_padded_sequence(cr.tensor(x), lengths, enforce_sorted=False))
    np.testing.assert_array_equal(padded.numpy(), x)
    np.testing.assert_array_equal(out_lengths.numpy(), lengths)
    assert out_lengths.dtype == np.int64


def test_invert_permutation():
    p = cr.tensor([2, 0, 3, 1])
    inverse = invert_permutation(p).numpy()
    np.testing.assert_array_equal(p.numpy()[inverse], np.arange(4))
    assert invert_permutation(None) is None


def test_packed_sequence_conversions(rng):
    packed = pack_sequence([cr.tensor(f32(rng, 3, 2)), cr.tensor(f32(rng, 1, 2))])
    double = packed.double()
    assert double.data.dtype == np.float64 and double.batch_sizes.dtype == np.int64
    assert packed.to(cr.float32) is packed
    assert not packed.is_cuda
    pair = PackedSequence((packed.data, packed.batch_sizes))
    assert pair.sorted_indices is None and pair.batch_sizes is packed.batch_sizes


def test_pack_and_pad_gradcheck(rng):
    lengths = [3, 1, 2]
    x = cr.tensor(rng.standard_normal((3, 3, 2)), requires_grad=True)

    def round_trip(x):
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        return packed.data * packed.data, pad_packed_sequence(packed, batch_first=True, padding_value=1.0)[0]

    assert gradcheck(round_trip, [x])
    assert gradgradcheck(lambda x: round_trip(x)[0], [x])
    seqs = [cr.tensor(rng.standard_normal((n, 2)), requires_grad=True) for n in (2, 3)]
    assert gradcheck(lambda a, b: pad_sequence([a, b], padding_side="left"), seqs)


def test_errors_say_what_was_expected():
    x = cr.zeros(4, 3, 2)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        pack_padded_sequence(x, [2, 4, 1])
    with pytest.raises(RuntimeError, match=r"Expected `len\(lengths\)` to be equal to batch_size, but got 2 "
                                           r"\(batch_size=3\)"):
        pack_padded_sequence(x, [4, 2])
    with pytest.raises(RuntimeError, match="has to be greater than 0"):
        pack_padded_sequence(x, [4, 2, 0])
    with pytest.raises(RuntimeError, match=r"length of 5 exceeds the 4 time steps .* shape \(4, 3, 2\)"):
        pack_padded_sequence(x, [5, 2, 1])
    with pytest.raises(ValueError, match="shape \\(T, B, \\*\\)"):
        pack_padded_sequence(cr.zeros(4), [4])
    with pytest.raises(ValueError, match="total_length=2 and max sequence length being 4"):
        pad_packed_sequence(pack_padded_sequence(x, [4, 2, 1]), total_length=2)
    with pytest.raises(RuntimeError, match="empty list"):
        pad_sequence([])
    with pytest.raises(RuntimeError, match=r"sequence 1 has shape \(2, 4\)"):
        pad_sequence([cr.zeros(3, 3), cr.zeros(2, 4)])
    with pytest.raises(ValueError, match="padding_side"):
        pad_sequence([cr.zeros(3)], padding_side="middle")


def test_module_is_reachable_as_in_pytorch():
    import chainrule.nn.utils as utils
    assert utils.rnn is rnn
