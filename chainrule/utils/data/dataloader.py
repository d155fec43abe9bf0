"""`DataLoader` (PyTorch's): batches of samples from a dataset, shuffled with a seeded
generator, optionally prepared ahead in background workers."""
from __future__ import annotations

import itertools
from typing import Any, Callable, Iterable, Iterator, Optional, Tuple

from ...ops.random import Generator, _rng
from .checks import check_finite_batch
from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .prefetch import PrefetchIterator
from .sampler import BatchSampler, RandomSampler, SequentialSampler


class DataLoader:
    """Iterate over `dataset` in batches.

    As PyTorch's, plus `check_finite=True` to stop with a clear error when a
    NaN or infinity reaches a batch meant for training. Workers
    (`num_workers > 0`) are threads that prepare up to `prefetch_factor`
    batches each ahead of the training loop; batches come in the same order
    as without workers. `pin_memory`, `pin_memory_device`,
    `multiprocessing_context` and `persistent_workers` are accepted for
    compatibility and change nothing (CPU only, thread workers).
    """

    def __init__(self, dataset: Dataset, batch_size: Optional[int] = 1, shuffle: Optional[bool] = None,
                 sampler: Optional[Iterable] = None, batch_sampler: Optional[Iterable] = None,
                 num_workers: int = 0, collate_fn: Optional[Callable] = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Optional[Callable] = None,
                 multiprocessing_context: Any = None, generator: Optional[Generator] = None, *,
                 prefetch_factor: Optional[int] = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True, check_finite: bool = False) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing. "
                             "Let num_workers > 0 to enable it, otherwise set prefetch_factor to None.")
        if prefetch_factor is not None and prefetch_factor < 1:
            raise ValueError(f"prefetch_factor option should be a positive integer, got {prefetch_factor}")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            for name, value in (("shuffle", shuffle if shuffle else None), ("sampler", sampler),
                                ("batch_sampler", batch_sampler)):
                if value is not None:
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option, "
                                     f"but got {name}={value}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive "
                             "with drop_last")
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor if prefetch_factor is not None or num_workers == 0 else 2
        self.collate_fn = collate_fn or (default_collate if self._auto_collation else default_convert)
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.check_finite = check_finite

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (self._iterable and self.batch_size is not None)

    @property
    def _index_sampler(self) -> Optional[Iterable]:
        """What yields the indices of one fetch: a list per batch, or a single index."""
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self._index_sampler)

    def __iter__(self) -> Iterator:
        # drawn with or without workers, so that the shuffling order does not depend on num_workers
        base_seed = int(_rng(self.generator).integers(2 ** 62))
        if self.num_workers == 0:
            return _SerialIterator(self)
        return PrefetchIterator(self, base_seed)

    # -- making batches (run in the main thread or in a worker) ------------------
    def _fetch(self, index: Any) -> Any:
        """The collated batch for one entry of the index sampler (map-style datasets)."""
        ds = self.dataset
        if self._auto_collation:
            getitems = getattr(ds, "__getitems__", None)
            return self.collate_fn(getitems(index) if getitems else [ds[i] for i in index])
        return self.collate_fn(ds[index])

    def _stream_batches(self, samples: Iterator) -> Iterator[Tuple[None, Any]]:
        """Collated batches from an iterator of samples (iterable datasets), as (None, batch)."""
        if not self._auto_collation:
            for sample in samples:
                yield None, self.collate_fn(sample)
            return
        while True:
            chunk = list(itertools.islice(samples, self.batch_size))
            if not chunk or (self.drop_last and len(chunk) < self.batch_size):
                return
            yield None, self.collate_fn(chunk)

    def _checked(self, number: int, indices: Any, batch: Any) -> Any:
        if self.check_finite:
            check_finite_batch(batch, number, indices if isinstance(indices, list) else None)
        return batch


class _SerialIterator:
    """Batches made in the calling thread, one at a time."""

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        if loader._iterable:
            self._batches = loader._stream_batches(iter(loader.dataset))
        else:
            self._batches = ((i, loader._fetch(i)) for i in loader._index_sampler)
        self._count = 0

    def __iter__(self) -> "_SerialIterator":
        return self

    def __next__(self) -> Any:
        indices, batch = next(self._batches)
        self._count += 1
        return self._loader._checked(self._count - 1, indices, batch)

    def __len__(self) -> int:
        return len(self._loader)


__all__ = ["DataLoader"]
