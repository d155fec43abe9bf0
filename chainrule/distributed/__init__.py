"""Data-parallel training over MPI, under PyTorch's names (`torch.distributed`).

    import chainrule.distributed as dist
    dist.init_process_group()                       # rank and world size from mpirun (alone: a world of 1)
    model = chainrule.nn.parallel.DistributedDataParallel(model)
    loader = DataLoader(data, batch_size=64, sampler=dist.DistributedSampler(data))

Run with `mpirun -n 4 python train.py`; see docs/distributed.md.
"""
import importlib

from .collectives import (ReduceOp, Work, all_gather, all_gather_object, all_reduce, barrier, broadcast,
                          broadcast_object_list, from_rank_zero)
from .comm import (destroy_process_group, get_backend, get_rank, get_world_size, init_process_group, is_available,
                   is_initialized, is_mpi_available, is_rank_zero)
from .ddp import DistributedDataParallel
from .sampler import DistributedSampler

__all__ = ["DistributedDataParallel", "DistributedSampler", "ReduceOp", "Work", "all_gather", "all_gather_object",
           "all_reduce", "barrier", "broadcast", "broadcast_object_list", "destroy_process_group",
           "from_rank_zero", "get_backend", "get_rank", "get_world_size", "init_process_group", "is_available",
           "is_initialized", "is_mpi_available", "is_rank_zero"]
importlib.import_module("chainrule.nn.parallel")  # so that `chainrule.nn.parallel` exists after `import chainrule`
