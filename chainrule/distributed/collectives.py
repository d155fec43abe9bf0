"""Collective operations under PyTorch's names: `all_reduce`, `broadcast`, `barrier`, `all_gather` and
their `_object` forms, on tensors in place.

Every operation is started non-blocking (MPI's `Iallreduce`, `Ibcast`, ...) and waited for by
polling, so it is bounded by the process group's timeout (see `comm.wait`). With
`async_op=True` the caller gets the `Work` handle and can compute while the data travels. In a
world of one process every operation completes at once without MPI.
"""
from __future__ import annotations

import enum
import pickle
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from ..tensor import Tensor
from .comm import World, _check_group, is_initialized, wait, world

COALESCE_BYTES = 250 * 1024 * 1024  # the largest buffer one broadcast of many arrays sends (PyTorch's)


class ReduceOp(enum.Enum):
    """How `all_reduce` combines the ranks' values (AVG: the sum divided by the world size)."""

    SUM = "sum"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"
    AVG = "avg"


MPI_OPS = {ReduceOp.SUM: "SUM", ReduceOp.AVG: "SUM", ReduceOp.PRODUCT: "PROD", ReduceOp.MIN: "MIN",
           ReduceOp.MAX: "MAX", ReduceOp.BAND: "BAND", ReduceOp.BOR: "BOR", ReduceOp.BXOR: "BXOR"}


class Work:
    """The handle of a collective started with `async_op=True`: `wait()` until it is complete."""

    def __init__(self, requests: List[Any], what: str, finish: Optional[Callable[[], None]] = None) -> None:
        self._requests = requests
        self._what = what
        self._finish = finish

    def is_completed(self) -> bool:
        if self._requests:
            from mpi4py import MPI
            if not MPI.Request.Testall(self._requests):
                return False
        self._complete()
        return True

    def wait(self, timeout: Any = None) -> bool:
        """Block until done (bounded by the process group's timeout, after which the job is aborted)."""
        wait(self._requests, self._what)
        self._complete()
        return True

    def _complete(self) -> None:
        finish, self._finish = self._finish, None
        if finish is not None:
            finish()


def _run(work: Work, async_op: bool) -> Optional[Work]:
    if async_op:
        return work
    work.wait()
    return None


def _group(group: Any) -> World:
    _check_group(group)
    return world()


def _in_place(tensor: Any, what: str) -> tuple:
    """A C-contiguous writable array holding `tensor`'s values, and how to put results back."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{what} expects a chainrule.Tensor, got {type(tensor).__name__}")
    arr = tensor._data
    if arr.flags.c_contiguous and arr.flags.writeable:
        return arr, tensor._bump
    work = np.ascontiguousarray(arr)

    def put_back() -> None:
        tensor._data[...] = work
        tensor._bump()
    return work, put_back


def all_reduce(tensor: Tensor, op: Any = ReduceOp.SUM, group: Any = None, async_op: bool = False) -> Optional[Work]:
    """Combine `tensor` across all ranks with `op`; every rank gets the result in place."""
    w = _group(group)
    if not isinstance(op, ReduceOp):
        raise ValueError(f"all_reduce: op must be a chainrule.distributed.ReduceOp, got {op!r}")
    arr, put_back = _in_place(tensor, "all_reduce")
    if op is ReduceOp.AVG and arr.dtype.kind not in "fc":
        raise TypeError(f"all_reduce: ReduceOp.AVG needs a floating point tensor, got dtype {arr.dtype}")
    requests = [start_allreduce(w, arr, op)] if w.size > 1 else []

    def finish() -> None:
        if op is ReduceOp.AVG and w.size > 1:
            np.multiply(arr, arr.dtype.type(1 / w.size), out=arr)
        put_back()
    return _run(Work(requests, f"all_reduce({op.name}) of a {arr.dtype} tensor of shape {arr.shape}", finish),
                async_op)


def broadcast(tensor: Tensor, src: Optional[int] = None, group: Any = None, async_op: bool = False,
              group_src: Optional[int] = None) -> Optional[Work]:
    """Copy rank `src`'s `tensor` into `tensor` on every other rank."""
    w = _group(group)
    root = _root(w, src, group_src, "broadcast")
    arr, put_back = _in_place(tensor, "broadcast")
    requests = [w.comm.Ibcast(arr, root=root)] if w.size > 1 else []
    return _run(Work(requests, f"broadcast from rank {root} of a tensor of shape {arr.shape}",
                     put_back if w.rank != root else None), async_op)


def barrier(group: Any = None, async_op: bool = False, device_ids: Any = None, timeout: Any = None) -> Optional[Work]:
    """Wait until every rank has reached this call (the process group's timeout applies; `timeout` is ignored)."""
    w = _group(group)
    requests = [w.comm.Ibarrier()] if w.size > 1 else []
    return _run(Work(requests, "barrier"), async_op)


def all_gather(tensor_list: List[Tensor], tensor: Tensor, group: Any = None,
               async_op: bool = False) -> Optional[Work]:
    """tensor_list[r] = rank r's `tensor`, on every rank (all tensors of one shape and dtype)."""
    w = _group(group)
    if len(tensor_list) != w.size:
        raise ValueError(f"all_gather: tensor_list must hold one tensor per rank ({w.size}), got {len(tensor_list)}")
    for r, t in enumerate(tensor_list):
        if not isinstance(t, Tensor) or t.shape != tensor.shape or t.dtype != tensor.dtype:
            got = f"{t.dtype} {tuple(t.shape)}" if isinstance(t, Tensor) else type(t).__name__
            raise ValueError(f"all_gather: tensor_list[{r}] must be a {tensor.dtype} tensor of shape "
                             f"{tuple(tensor.shape)} like the input, got {got}")
    send = np.ascontiguousarray(tensor._data)
    gathered = np.empty((w.size,) + send.shape, send.dtype)
    if w.size > 1:
        requests = [w.comm.Iallgather(send, gathered)]
    else:
        requests, gathered[0] = [], send

    def finish() -> None:
        for t, value in zip(tensor_list, gathered):
            t._data[...] = value
            t._bump()
    return _run(Work(requests, f"all_gather of a tensor of shape {send.shape}", finish), async_op)


def broadcast_object_list(object_list: List[Any], src: Optional[int] = None, group: Any = None, device: Any = None,
                          group_src: Optional[int] = None) -> None:
    """Replace, in place, every item of `object_list` by rank `src`'s (picklable objects; lists of equal length)."""
    w = _group(group)
    root = _root(w, 0 if src is None and group_src is None else src, group_src, "broadcast_object_list")
    if w.size == 1:
        return
    payloads = [pickle.dumps(o, pickle.HIGHEST_PROTOCOL) for o in object_list] if w.rank == root else []
    sizes = np.array([len(p) for p in payloads] if w.rank == root else [0] * len(object_list), np.int64)
    wait([w.comm.Ibcast(sizes, root=root)], "broadcast_object_list (sizes)")
    data = bytearray(b"".join(payloads)) if w.rank == root else bytearray(int(sizes.sum()))
    wait([w.comm.Ibcast(data, root=root)], "broadcast_object_list (objects)")
    if w.rank != root:
        ends = np.cumsum(sizes)
        for i, (start, end) in enumerate(zip(ends - sizes, ends)):
            object_list[i] = pickle.loads(bytes(data[start:end]))


def all_gather_object(object_list: List[Any], obj: Any, group: Any = None) -> None:
    """object_list[r] = rank r's `obj`, on every rank (picklable objects)."""
    w = _group(group)
    if len(object_list) != w.size:
        raise ValueError(f"all_gather_object: object_list must have one slot per rank ({w.size}), "
                         f"got {len(object_list)}")
    if w.size == 1:
        object_list[0] = obj
        return
    from mpi4py import MPI
    mine = pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)
    sizes = np.empty(w.size, np.int64)
    wait([w.comm.Iallgather(np.array([len(mine)], np.int64), sizes)], "all_gather_object (sizes)")
    data = bytearray(int(sizes.sum()))
    starts = np.cumsum(sizes) - sizes
    wait([w.comm.Iallgatherv(bytearray(mine), [data, sizes.tolist(), starts.tolist(), MPI.BYTE])],
         "all_gather_object (objects)")
    for r in range(w.size):
        object_list[r] = pickle.loads(bytes(data[starts[r]:starts[r] + sizes[r]]))


def from_rank_zero(obj: Any) -> Any:
    """Rank 0's `obj` on every rank (and `obj` itself without a process group, or alone)."""
    if not is_initialized() or world().size == 1:
        return obj
    box = [obj]
    broadcast_object_list(box, src=0)
    return box[0]


# -- for DistributedDataParallel ------------------------------------------------------------

def start_allreduce(w: World, buffer: np.ndarray, op: ReduceOp = ReduceOp.SUM) -> Any:
    """Begin combining a contiguous buffer across ranks in place; the MPI request to wait for."""
    from mpi4py import MPI
    return w.comm.Iallreduce(MPI.IN_PLACE, buffer, getattr(MPI, MPI_OPS[op]))


def broadcast_arrays(w: World, arrays: Sequence[np.ndarray], src: int, what: str) -> None:
    """Overwrite `arrays` with rank `src`'s, packed into as few flat buffers as possible (one per dtype,
    up to COALESCE_BYTES each) rather than one message per array."""
    if w.size == 1:
        return
    groups: Dict[np.dtype, List[List[np.ndarray]]] = {}
    for a in arrays:
        chunks = groups.setdefault(a.dtype, [[]])
        if chunks[-1] and sum(x.nbytes for x in chunks[-1]) + a.nbytes > COALESCE_BYTES:
            chunks.append([])
        chunks[-1].append(a)
    for dtype, chunks in groups.items():
        for chunk in chunks:
            flat = np.concatenate([a.ravel() for a in chunk]) if w.rank == src else \
                np.empty(sum(a.size for a in chunk), dtype)
            wait([w.comm.Ibcast(flat, root=src)], what)
            if w.rank != src:
                start = 0
                for a in chunk:
                    a[...] = flat[start:start + a.size].reshape(a.shape)
                    start += a.size


def _root(w: World, src: Optional[int], group_src: Optional[int], what: str) -> int:
    root = group_src if src is None else src
    if root is None or isinstance(root, bool) or not 0 <= int(root) < w.size:
        raise ValueError(f"{what}: src must be a rank from 0 to {w.size - 1}, got {root!r}")
    return int(root)


__all__ = ["ReduceOp", "Work", "all_gather", "all_gather_object", "all_reduce", "barrier", "broadcast",
           "broadcast_object_list"]
