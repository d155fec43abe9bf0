"""`DistributedSampler` (PyTorch's): each rank's share of a dataset, for a `DataLoader`.

Every rank draws the same permutation (seeded by `seed + epoch`, so call `set_epoch` at the start of
each epoch to reshuffle; `fit` does) and keeps every num_replicas-th index from its rank on: the
shards are disjoint and of equal length. To make the lengths equal, the permutation is padded with
its own first indices (a few samples seen twice per epoch), or with `drop_last` cut to a multiple
of num_replicas.
"""
from __future__ import annotations

import math
from typing import Iterator, Optional, Sized

import numpy as np

from ..ops.random import Generator, permutation_array
from ..utils.data.sampler import Sampler
from .comm import get_rank, get_world_size


class DistributedSampler(Sampler):
    """Indices of this rank's shard of `dataset` (rank and num_replicas default to the process group's)."""

    def __init__(self, dataset: Sized, num_replicas: Optional[int] = None, rank: Optional[int] = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None:
            num_replicas = get_world_size()
        if rank is None:
            rank = get_rank()
        if not isinstance(num_replicas, (int, np.integer)) or num_replicas < 1:
            raise ValueError(f"num_replicas should be a positive integer, got {num_replicas!r}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            indices = permutation_array(n, Generator().manual_seed(self.seed + self.epoch))
        else:
            indices = np.arange(n)
        if self.total_size > n:  # pad with the first indices, repeated as often as needed
            indices = np.resize(indices, self.total_size)
        return iter(indices[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use the permutation of this epoch (the same on every rank)."""
        self.epoch = epoch
