"""Samplers: the same indices as PyTorch where there is no randomness, seeded otherwise."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.utils.data import (BatchSampler, RandomSampler, SequentialSampler, SubsetRandomSampler,
                                  WeightedRandomSampler)
from tests.conftest import requires_torch


@requires_torch
@pytest.mark.parametrize("n,batch,drop", [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False), (2, 5, True)])
def test_batch_sampler_matches_torch(n, batch, drop):
    import torch.utils.data as tud
    ours = BatchSampler(SequentialSampler(range(n)), batch, drop)
    theirs = tud.BatchSampler(tud.SequentialSampler(range(n)), batch, drop)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs)


@requires_torch
@pytest.mark.parametrize("kwargs", [dict(batch_size=0, drop_last=False), dict(batch_size=2, drop_last=1)])
def test_batch_sampler_validation_matches_torch(kwargs):
    import torch.utils.data as tud
    with pytest.raises(ValueError) as theirs:
        tud.BatchSampler(range(3), **kwargs)
    with pytest.raises(ValueError) as ours:
        BatchSampler(range(3), **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_random_sampler_is_a_seeded_permutation():
    a = list(RandomSampler(range(50), generator=cr.Generator().manual_seed(1)))
    b = list(RandomSampler(range(50), generator=cr.Generator().manual_seed(1)))
    assert a == b and sorted(a) == list(range(50)) and a != list(range(50))


def test_random_sampler_uses_default_generator():
    cr.manual_seed(7)
    a = list(RandomSampler(range(30)))
    cr.manual_seed(7)
    assert list(RandomSampler(range(30))) == a


@requires_torch
def test_random_sampler_num_samples_without_replacement_repeats_whole_permutations_like_torch():
    import torch.utils.data as tud
    ours = list(RandomSampler(range(10), num_samples=25, generator=cr.Generator().manual_seed(0)))
    theirs = list(tud.RandomSampler(range(10), num_samples=25))
    assert len(ours) == len(theirs) == 25
    assert sorted(np.bincount(ours)) == sorted(np.bincount(theirs))  # 2 full permutations + 5 distinct
    assert sorted(ours[:10]) == list(range(10)) and sorted(ours[10:20]) == list(range(10))


def test_random_sampler_with_replacement_draws_in_range():
    draws = list(RandomSampler(range(4), replacement=True, num_samples=400, generator=cr.Generator().manual_seed(0)))
    counts = np.bincount(draws, minlength=4)
    assert len(draws) == 400 and counts.min() > 60  # each of 4 values about 100 times


@requires_torch
@pytest.mark.parametrize("kwargs,exc", [(dict(num_samples=0), ValueError), (dict(replacement=1), TypeError)])
def test_random_sampler_validation_matches_torch(kwargs, exc):
    import torch.utils.data as tud
    with pytest.raises(exc) as theirs:
        tud.RandomSampler(range(3), **kwargs)
    with pytest.raises(exc) as ours:
        RandomSampler(range(3), **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_subset_random_sampler_permutes_the_given_indices():
    got = list(SubsetRandomSampler([5, 9, 2, 7], generator=cr.Generator().manual_seed(0)))
    assert sorted(got) == [2, 5, 7, 9]


def test_weighted_random_sampler_follows_weights():
    draws = list(WeightedRandomSampler([0.0, 1.0, 3.0], 4000, generator=cr.Generator().manual_seed(0)))
    counts = np.bincount(draws, minlength=3)
    assert counts[0] == 0
    assert abs(counts[2] / counts[1] - 3.0) < 0.4
    no_repeat = list(WeightedRandomSampler([1, 1, 1, 1], 4, replacement=False, generator=cr.Generator().manual_seed(0)))
    assert sorted(no_repeat) == [0, 1, 2, 3]


def test_weighted_random_sampler_rejects_bad_weights():
    with pytest.raises(ValueError, match="non-negative"):
        WeightedRandomSampler([1.0, -1.0], 2)
    with pytest.raises(ValueError, match="without replacement"):
        WeightedRandomSampler([1.0, 0.0], 2, replacement=False)
