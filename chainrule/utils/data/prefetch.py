"""Background preparation of batches by worker threads, delivered in order.

Batch k of a map-style dataset is made by worker k % num_workers (as in
PyTorch); each worker has its own queue of index lists and of results, so
order does not depend on timing. For an iterable dataset each worker runs
its own copy of the stream, and batches are taken from the workers in turn.
At most `prefetch_factor` batches per worker are made ahead.
"""
from __future__ import annotations

import collections
import copy
import queue
import threading
from typing import Any, Deque, Iterator, List, Optional

from .worker import WorkerInfo, set_worker_info

_END = object()  # a worker has nothing more to give


class _Failure:
    """An exception raised in a worker, re-raised in the main thread."""

    def __init__(self, error: BaseException, worker: int) -> None:
        self.error = error
        self.worker = worker


def _put(out: queue.Queue, item: Any, stop: threading.Event) -> bool:
    """Put unless the loader is stopped; False when it is."""
    while not stop.is_set():
        try:
            out.put(item, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False


def _fetched(loader: Any, tasks: queue.Queue, stop: threading.Event) -> Iterator:
    while True:
        index = tasks.get()
        if index is _END or stop.is_set():
            return
        yield index, loader._fetch(index)


def _work(loader: Any, info: WorkerInfo, tasks: Optional[queue.Queue], out: queue.Queue,
          stop: threading.Event) -> None:
    """A worker thread's life: make batches until the sampler or stream ends or the loader stops.
    (A plain function, not a method: the threads must not keep the iterator alive.)"""
    set_worker_info(info)
    try:
        if loader.worker_init_fn is not None:
            loader.worker_init_fn(info.id)
        batches = loader._stream_batches(iter(info.dataset)) if tasks is None else _fetched(loader, tasks, stop)
        for item in batches:
            if not _put(out, item, stop):
                return
        _put(out, _END, stop)
    except BaseException as e:  # handed to the main thread, which raises it
        _put(out, _Failure(e, info.id), stop)


class PrefetchIterator:
    """One pass over a `DataLoader` with `num_workers` background threads."""

    def __init__(self, loader: Any, base_seed: int) -> None:
        self._loader = loader
        n = loader.num_workers
        self._stop = threading.Event()
        self._results: List[queue.Queue] = [queue.Queue(maxsize=loader.prefetch_factor + 1) for _ in range(n)]
        self._tasks: List[queue.Queue] = [queue.Queue() for _ in range(n)]
        self._received = 0
        self._in_flight: Deque[Any] = collections.deque()  # index lists of batches sent to workers, oldest first
        if loader._iterable:
            self._indices = None
            self._active = list(range(n))
        else:
            self._indices = iter(loader._index_sampler)
            self._sent = 0
        for w in range(n):
            dataset = copy.copy(loader.dataset) if loader._iterable else loader.dataset
            info = WorkerInfo(w, n, base_seed + w, dataset)
            tasks = None if loader._iterable else self._tasks[w]
            threading.Thread(target=_work, args=(loader, info, tasks, self._results[w], self._stop),
                             daemon=True, name=f"DataLoader worker {w}").start()
        if self._indices is not None:
            for _ in range(loader.prefetch_factor * n):
                if not self._send():
                    break

    # -- main side --------------------------------------------------------------
    def _send(self) -> bool:
        """Give the next index list to its worker; False when the sampler is exhausted."""
        index = next(self._indices, _END)
        if index is _END:
            return False
        self._tasks[self._sent % len(self._tasks)].put(index)
        self._in_flight.append(index)
        self._sent += 1
        return True

    def _get(self, w: int) -> Any:
        try:
            item = self._results[w].get(timeout=self._loader.timeout or None)
        except queue.Empty:
            self._shutdown()
            raise RuntimeError(f"DataLoader timed out after {self._loader.timeout} seconds waiting for "
                               f"worker {w}") from None
        if isinstance(item, _Failure):
            self._shutdown()
            if hasattr(item.error, "add_note"):  # Python 3.11+
                item.error.add_note(f"(raised in DataLoader worker {item.worker})")
            raise item.error
        return item

    def __iter__(self) -> "PrefetchIterator":
        return self

    def __next__(self) -> Any:
        if self._indices is None:
            indices, batch = self._next_streamed()
        else:
            if not self._in_flight:
                self._shutdown()
                raise StopIteration
            indices, batch = self._get(self._received % len(self._tasks))
            self._in_flight.popleft()
            self._send()
        self._received += 1
        return self._loader._checked(self._received - 1, indices, batch)

    def _next_streamed(self) -> Any:
        while self._active:
            w = self._active[0]
            item = self._get(w)
            if item is _END:
                self._active.remove(w)
                continue
            self._active.append(self._active.pop(0))
            return item
        self._shutdown()
        raise StopIteration

    def __len__(self) -> int:
        return len(self._loader)

    def _shutdown(self) -> None:
        self._stop.set()
        for tasks in self._tasks:
            tasks.put(_END)

    def __del__(self) -> None:
        self._shutdown()

