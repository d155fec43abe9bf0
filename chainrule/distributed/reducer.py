"""Gradient averaging for `DistributedDataParallel`: buckets of flattened gradients, one allreduce each.

Parameters are grouped, last one first (the order backward produces their gradients), into buckets:
one contiguous buffer per bucket, of at most `cap` bytes (the first bucket smaller, so that
communication starts early), never mixing dtypes. A hook on each parameter, run when backward has
written its `.grad`, copies the gradient into its bucket. A bucket whose gradients have all arrived
is divided by the world size and its allreduce (sum) started at once, non-blocking, while backward
goes on (`overlap=False`: all buckets wait for the last gradient). Buckets are sent in index
order on every rank, as MPI requires of collectives. Once the last bucket is sent, the reducer
waits for all of them and the averages land in `.grad` (or already are `.grad`, with
`gradient_as_bucket_view`).
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from ..autograd.function import AccumulateGrad
from ..tensor import Tensor
from .collectives import ReduceOp, start_allreduce
from .comm import World, wait


class Bucket:
    """Some parameters' gradients side by side in one flat buffer, reduced by one collective call."""

    __slots__ = ("params", "names", "views", "buffer", "missing", "request")

    def __init__(self, named: List[Tuple[str, Tensor]]) -> None:
        self.names = [n for n, _ in named]
        self.params = [p for _, p in named]
        self.buffer = np.empty(sum(p._data.size for p in self.params), self.params[0].dtype)
        self.views, start = [], 0
        for p in self.params:
            self.views.append(self.buffer[start:start + p._data.size].reshape(p.shape))
            start += p._data.size
        self.missing = 0
        self.request: Any = None


def make_buckets(named_params: Sequence[Tuple[str, Tensor]], cap: int, first_cap: int) -> List[Bucket]:
    """Parameters in reverse order, cut into buckets of at most `cap` bytes (`first_cap` for the first
    of each dtype); a parameter larger than the cap gets a bucket of its own."""
    filling: Dict[np.dtype, Tuple[list, int]] = {}  # dtype -> (its open bucket's parameters, their bytes)
    buckets: List[Bucket] = []
    firsts = set()  # dtypes whose first bucket is closed
    for name, p in reversed(named_params):
        dtype, size = p._data.dtype, p._data.nbytes
        current, used = filling.get(dtype, ([], 0))
        if current and used + size > (cap if dtype in firsts else first_cap):
            buckets.append(Bucket(current))
            firsts.add(dtype)
            current, used = [], 0
        current.append((name, p))
        filling[dtype] = (current, used + size)
    buckets.extend(Bucket(current) for current, _ in filling.values())
    return buckets


class Reducer:
    """Averages the gradients of `named_params` across the ranks of `w` after each backward."""

    def __init__(self, w: World, named_params: Sequence[Tuple[str, Tensor]], cap: int, first_cap: int,
                 overlap: bool, find_unused: bool, as_view: bool) -> None:
        self.world = w
        self.named = list(named_params)
        self.buckets = make_buckets(named_params, cap, first_cap)
        self.where: Dict[int, Tuple[Bucket, int, int]] = {}  # id(parameter) -> (bucket, index in it, slot)
        for b in self.buckets:
            for i, p in enumerate(b.params):
                self.where[id(p)] = (b, i, len(self.where))
        self.overlap, self.find_unused, self.as_view = overlap, find_unused, as_view
        self.scale = {b.buffer.dtype: b.buffer.dtype.type(1 / w.size) for b in self.buckets}
        self.expecting = False  # between a forward that will be followed by backward and the end of reduction
        self.arrived: Dict[int, bool] = {}
        self.next = 0  # the next bucket to send
        self.ready = 0  # buckets whose gradients have all arrived
        self.used: Optional[np.ndarray] = None
        for _, p in self.named:
            p.register_post_accumulate_grad_hook(self._on_grad)

    def prepare_for_backward(self, outputs: Any = None) -> None:
        """Expect one gradient per parameter in the coming backward (find_unused: parameters the outputs do
        not depend on are counted as arrived now, with a zero gradient)."""
        self._check_finished()
        for b in self.buckets:
            b.missing = len(b.params)
        self.arrived = {}
        self.next = self.ready = 0
        self.expecting = True
        if self.find_unused:
            self.used = np.zeros(len(self.where), np.int32)  # which parameters got a gradient, on any rank
            reached = _leaves_reached(outputs)
            for b in self.buckets:
                for i, p in enumerate(b.params):
                    if id(p) not in reached:
                        b.views[i][...] = 0
                        self._arrive(p)

    def _check_finished(self) -> None:
        if not (self.expecting and self.arrived):
            return
        missing = [n for n, p in self.named if id(p) not in self.arrived]
        self.expecting = False
        raise RuntimeError(
            "Expected to have finished reduction in the prior iteration before starting a new one. This error "
            "indicates that your module has parameters that were not used in producing loss: "
            f"{', '.join(missing)}. You can enable unused parameter detection by passing the keyword argument "
            "`find_unused_parameters=True` to `chainrule.nn.parallel.DistributedDataParallel`, and by making "
            "sure all `forward` function outputs participate in calculating loss.")

    def _on_grad(self, p: Tensor) -> None:
        """Post-accumulate-grad hook: the gradient of `p` is final for this backward."""
        if not self.expecting:
            return
        bucket, i, slot = self.where[id(p)]
        view = bucket.views[i]
        if p.grad._data is not view:
            np.copyto(view, p.grad._data)
            if self.as_view:
                p.grad = Tensor._make(view)
        if self.used is not None:
            self.used[slot] = 1
        self._arrive(p)

    def _arrive(self, p: Tensor) -> None:
        bucket, i, _ = self.where[id(p)]
        if id(p) in self.arrived:
            raise RuntimeError(f"Expected to mark a variable ready only once: parameter {bucket.names[i]} received "
                               f"a gradient twice in one backward pass through DistributedDataParallel")
        self.arrived[id(p)] = True
        bucket.missing -= 1
        if bucket.missing == 0:
            self.ready += 1
            self._send()
        elif self.next:
            self._progress()

    def _send(self) -> None:
        """Start the allreduce of every ready bucket, in index order."""
        if not self.overlap and self.ready < len(self.buckets):
            return
        while self.next < len(self.buckets) and self.buckets[self.next].missing == 0:
            b = self.buckets[self.next]
            b.buffer *= self.scale[b.buffer.dtype]
            b.request = start_allreduce(self.world, b.buffer)
            self.next += 1
        if self.next == len(self.buckets):
            self._finish()

    def _progress(self) -> None:
        """Let MPI move the buckets in flight (it only progresses inside MPI calls)."""
        from mpi4py import MPI
        MPI.Request.Testall([b.request for b in self.buckets[:self.next]])

    def _finish(self) -> None:
        requests = [b.request for b in self.buckets]
        if self.used is not None:
            requests.append(start_allreduce(self.world, self.used, ReduceOp.MAX))
        wait(requests, "the gradient allreduce of DistributedDataParallel")
        for b in self.buckets:
            for p, view in zip(b.params, b.views):
                if self.used is not None and not self.used[self.where[id(p)][2]]:
                    continue  # no rank used it: its .grad stays as it was
                if p.grad is None:
                    p.grad = Tensor._make(view if self.as_view else view.copy())
                elif p.grad._data is not view:
                    p.grad._data[...] = view
        self.expecting = False
        self.used = None


def _leaves_reached(outputs: Any) -> set:
    """ids of the leaf tensors the graph of `outputs` leads to (walked without recursion)."""
    stack: list = [t._edge()[0] for t in _tensors(outputs) if t.requires_grad]
    seen, leaves = set(), set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if type(node) is AccumulateGrad:
            leaves.add(id(node.variable))
            continue
        stack.extend(e[0] for e in node.next_functions or () if e is not None)
    return leaves


def _tensors(obj: Any) -> Iterable[Tensor]:
    """Every tensor inside `obj` (nested tuples, lists and dicts)."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            yield item
        elif isinstance(item, (tuple, list)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
