"""What a `DataLoader` worker knows about itself (PyTorch's `get_worker_info`).

Workers are threads: NumPy, file reading and image decoding release the
interpreter lock, so preparing the next batches overlaps with training on
the current one. Each worker has its own random stream, seeded from the
loader's generator, so random augmentations are reproducible.
"""
from __future__ import annotations

import threading
from typing import Any, Optional

import numpy as np

from ...ops.random import Generator, _rng

_local = threading.local()


class WorkerInfo:
    """`id` (0 .. num_workers - 1), `num_workers`, `seed`, `dataset` (this worker's copy), and
    `generator`: a `chainrule.Generator` seeded with `seed`, used by random transforms in this worker."""

    __slots__ = ("id", "num_workers", "seed", "dataset", "generator")

    def __init__(self, id: int, num_workers: int, seed: int, dataset: Any) -> None:
        self.id = id
        self.num_workers = num_workers
        self.seed = seed
        self.dataset = dataset
        self.generator = Generator().manual_seed(seed)

    def __repr__(self) -> str:
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


def get_worker_info() -> Optional[WorkerInfo]:
    """The calling worker's `WorkerInfo`; None outside DataLoader workers."""
    return getattr(_local, "info", None)


def set_worker_info(info: Optional[WorkerInfo]) -> None:
    _local.info = info


def random_source(generator: Optional[Generator] = None) -> np.random.Generator:
    """The NumPy stream for a random transform: the given generator's, else this worker's,
    else the default generator's (seeded by `chainrule.manual_seed`)."""
    if generator is None:
        info = get_worker_info()
        if info is not None:
            return info.generator.rng
    return _rng(generator)


__all__ = ["WorkerInfo", "get_worker_info"]
