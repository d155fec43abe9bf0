"""Datasets and random_split, against PyTorch where the behaviour is deterministic."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.utils.data import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset,
                                  TensorDataset, random_split)
from tests.conftest import requires_torch


def test_tensor_dataset_returns_rows_of_every_tensor():
    x = cr.arange(12).reshape(6, 2).float()
    y = cr.arange(6)
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi.numpy(), [8.0, 9.0])
    assert int(yi) == 4 and xi.dtype == np.float32


def test_tensor_dataset_rejects_different_lengths_naming_shapes():
    with pytest.raises(ValueError, match=r"Size mismatch.*\(5, 2\).*\(4,\)"):
        TensorDataset(cr.zeros(5, 2), cr.zeros(4))


def test_subset_and_concat_index_like_python_lists():
    base = list(range(10, 20))
    sub = Subset(base, [3, 1, 7])
    assert [sub[i] for i in range(len(sub))] == [13, 11, 17]
    cat = ConcatDataset([Subset(base, [0, 1]), Subset(base, [5, 6, 7])])
    assert len(cat) == 5
    assert [cat[i] for i in range(5)] == [10, 11, 15, 16, 17]
    assert cat[-1] == 17
    with pytest.raises(IndexError):
        cat[5]


def test_dataset_addition_concatenates():
    class Squares(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return i * i
    both = Squares() + Squares()
    assert isinstance(both, ConcatDataset) and [both[i] for i in range(6)] == [0, 1, 4, 0, 1, 4]


def test_chain_and_stack_datasets():
    class Count(IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))
    assert list(ChainDataset([Count(2), Count(3)])) == [0, 1, 0, 1, 2]
    s = StackDataset(a=[1, 2], b=["x", "y"])
    assert s[1] == {"a": 2, "b": "y"}
    with pytest.raises(ValueError, match="Size mismatch"):
        StackDataset([1, 2], [1])


@requires_torch
@pytest.mark.parametrize("n,lengths", [(10, [3, 7]), (10, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]),
                                       (7, [0.1, 0.2, 0.7]), (5, [0.33, 0.33, 0.34])])
def test_random_split_lengths_match_torch_and_partition(n, lengths):
    import torch.utils.data as tud
    ours = random_split(range(n), lengths, generator=cr.Generator().manual_seed(0))
    theirs = tud.random_split(range(n), lengths)
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    everything = sorted(i for s in ours for i in (s[k] for k in range(len(s))))
    assert everything == list(range(n))


def test_random_split_is_seeded():
    a = random_split(range(20), [5, 15], generator=cr.Generator().manual_seed(3))
    b = random_split(range(20), [5, 15], generator=cr.Generator().manual_seed(3))
    c = random_split(range(20), [5, 15], generator=cr.Generator().manual_seed(4))
    assert a[0].indices == b[0].indices and a[0].indices != c[0].indices


@requires_torch
@pytest.mark.parametrize("lengths", [[3, 3], [0.5, 0.6], [0.5, -0.5, 1.0]])
def test_random_split_bad_lengths_raise_like_torch(lengths):
    import torch.utils.data as tud
    with pytest.raises(ValueError) as theirs:
        tud.random_split(range(10), lengths)
    with pytest.raises(ValueError) as ours:
        random_split(range(10), lengths)
    assert str(theirs.value).split("!")[0] in str(ours.value)


def test_batched_access_equals_sample_by_sample():
    x, y = cr.randn(8, 3), cr.arange(8)
    ds = TensorDataset(x, y, [f"s{i}" for i in range(8)])
    rows = ds.__getitems__([5, 0, 5])
    for got, i in zip(rows, [5, 0, 5]):
        expected = ds[i]
        np.testing.assert_array_equal(got[0].numpy(), expected[0].numpy())
        assert int(got[1]) == int(expected[1]) and got[2] == expected[2]
    sub = Subset(ds, [7, 6, 5])
    assert [int(r[1]) for r in sub.__getitems__([0, 2])] == [7, 5]


def test_samples_needing_gradient_are_collated_through_the_graph():
    from chainrule.utils.data import DataLoader
    w = cr.randn(4, 2, requires_grad=True)
    (batch, _), = list(DataLoader(TensorDataset(w, cr.arange(4)), batch_size=4))
    batch.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.ones((4, 2), np.float32))


@requires_torch
def test_loader_over_random_split_subset_matches_torch_for_the_same_indices():
    import torch
    import torch.utils.data as tud
    from chainrule.utils.data import DataLoader
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    indices = [9, 3, 4, 0, 7]
    ours = DataLoader(Subset(TensorDataset(cr.from_numpy(x)), indices), batch_size=2)
    theirs = tud.DataLoader(tud.Subset(tud.TensorDataset(torch.from_numpy(x)), indices), batch_size=2)
    assert [b[0].tolist() for b in ours] == [b[0].tolist() for b in theirs]
