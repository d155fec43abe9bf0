"""`DistributedDataParallel`: the same model on every rank, each training on its own share of the data.

At construction the ranks check that their models have the same parameters, then take rank 0's
parameters and buffers, so every replica starts identical. After each backward, gradients are
averaged across ranks (see `reducer.py`), so every optimizer step is the same everywhere and the
replicas stay identical: training with N ranks on batches of B equals one process on batches of
N * B (for a loss that averages over the batch). Buffers such as batch norm's running statistics are
not averaged: as in PyTorch, rank 0's are broadcast to all ranks before each training forward, while
each rank normalizes with its own batch's statistics.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Optional

from ..autograd.grad_mode import is_grad_enabled
from ..nn.modules.module import Module
from .collectives import all_gather_object, broadcast_arrays
from .comm import world
from .reducer import Reducer

MiB = 1024 * 1024
DEFAULT_BUCKET_MB = 25  # PyTorch's defaults: 25 MiB buckets, the first one 1 MiB
FIRST_BUCKET_BYTES = 1 * MiB


class DistributedDataParallel(Module):
    """Data-parallel training of `module` over the ranks of the default process group (PyTorch's API).

    bucket_cap_mb: gradient bucket size in MiB (25); 0 gives each parameter its own allreduce.
    broadcast_buffers / forward_sync_buffers: send rank 0's buffers to all ranks before each training
    forward (True). find_unused_parameters: allow parameters that get no gradient in some iterations.
    gradient_as_bucket_view: `.grad` arrays are views into the buckets (saves a copy per step).
    overlap (chainrule's addition): start each bucket's allreduce as soon as its gradients are
    ready, during backward (True), or all of them after the last gradient (False).
    device_ids and output_device must be None (CPU modules); static_graph and check_reduction are
    accepted and change nothing.
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None, dim: int = 0,
                 broadcast_buffers: Optional[bool] = None, init_sync: bool = True, process_group: Any = None,
                 bucket_cap_mb: Optional[float] = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False, static_graph: bool = False,
                 *, forward_sync_buffers: Optional[bool] = None, overlap: bool = True) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel expects a chainrule.nn.Module, got {type(module).__name__}")
        if device_ids is not None or output_device is not None:
            raise ValueError(f"DistributedDataParallel device_ids and output_device must be None for CPU modules "
                             f"(chainrule runs on the CPU), got device_ids {device_ids}, output_device {output_device}")
        if process_group is not None and process_group is not world():
            raise ValueError("DistributedDataParallel: chainrule has one process group, the default one: "
                             "pass process_group=None")
        if bucket_cap_mb is not None and not bucket_cap_mb >= 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be >= 0, got {bucket_cap_mb}")
        self.module = module
        self.device_ids = self.output_device = None
        self.dim = dim
        self.process_group = world()
        self.forward_sync_buffers = forward_sync_buffers if forward_sync_buffers is not None else \
            broadcast_buffers is not False
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.overlap = overlap
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        cap_mb = DEFAULT_BUCKET_MB if bucket_cap_mb is None else bucket_cap_mb
        self.bucket_bytes_cap = int(cap_mb * MiB)
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        if init_sync:
            self._verify_same_parameters(named)
            init_buffers = forward_sync_buffers is not None or broadcast_buffers is not False  # (PyTorch's rule)
            buffers = list(module.buffers()) if init_buffers else []
            broadcast_arrays(self.process_group, [p._data for p in module.parameters()] + [b._data for b in buffers],
                             0, "the broadcast of the initial parameters and buffers from rank 0")
            for t in list(module.parameters()) + buffers:
                t._bump()
        self.reducer = None
        if self.process_group.size > 1:
            self.reducer = Reducer(self.process_group, named, self.bucket_bytes_cap,
                                   min(FIRST_BUCKET_BYTES, self.bucket_bytes_cap), overlap, find_unused_parameters,
                                   gradient_as_bucket_view)

    @property
    def broadcast_buffers(self) -> bool:
        return self.forward_sync_buffers

    def _verify_same_parameters(self, named: list) -> None:
        """Every rank must hold the same parameters (names, shapes, dtypes): say which differs, on every rank."""
        mine = [(n, tuple(p.shape), str(p.dtype)) for n, p in named]
        everyone = [None] * self.process_group.size
        all_gather_object(everyone, mine)
        for rank, theirs in enumerate(everyone):
            if theirs != everyone[0]:
                first = next((f"{a} on rank 0 against {b} on rank {rank}" for a, b in zip(everyone[0], theirs)
                              if a != b), f"{len(everyone[0])} parameters on rank 0 against {len(theirs)} on rank {rank}")
                raise RuntimeError(f"DistributedDataParallel expects the same model on every rank, but the parameters "
                                   f"(name, shape, dtype) differ: {first}")

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        sync_grads = self.reducer is not None and is_grad_enabled() and self.require_backward_grad_sync
        if sync_grads:
            self.reducer._check_finished()
        if self.require_forward_param_sync and self.forward_sync_buffers and self.process_group.size > 1:
            buffers = [b._data for b in self.module.buffers()]
            if buffers:
                broadcast_arrays(self.process_group, buffers, 0, "the broadcast of the buffers from rank 0")
        out = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync:
            self.require_forward_param_sync = True
            if sync_grads:
                self.reducer.prepare_for_backward(out if self.find_unused_parameters else None)
        else:
            self.require_forward_param_sync = False
        return out

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside: backward accumulates gradients locally without communicating (gradient accumulation);
        the first backward after it averages everything accumulated."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def extra_repr(self) -> str:
        return f"world_size={self.process_group.size}, bucket_cap_mb={self.bucket_bytes_cap / MiB:g}"
