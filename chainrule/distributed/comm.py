"""The process group: which process this is (rank) among how many (world size), taken from MPI.

`init_process_group()` in a script started by an MPI launcher (`mpirun -n 4 python train.py`,
`mpiexec`, `srun`) joins MPI's world through mpi4py. Run plainly (`python train.py`) it makes a
world of one process and never imports MPI, so one script trains on a laptop and on a cluster.

In a world of several processes, a failure anywhere ends the whole job instead of leaving the
others waiting: an uncaught exception on a rank prints its traceback, names the rank and calls
MPI_Abort; a collective operation still waiting after `timeout` aborts the same way. A rank killed
outright is noticed by the launcher itself, which then stops the others.
"""
from __future__ import annotations

import datetime
import importlib.util
import os
import sys
import time
from typing import Any, List, Optional, Sequence, Union

# set by MPI launchers: Open MPI, PMI (MPICH, Intel MPI, Slurm's pmi2), PMIx (Slurm, Open MPI 5), MVAPICH
LAUNCHER_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MV2_COMM_WORLD_SIZE")
BACKENDS = ("mpi", "gloo")  # the CPU backends; both communicate over MPI here
DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)  # PyTorch's default for its CPU backends

NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."


class World:
    """The default process group: MPI's communicator (None when alone), rank, size, timeout."""

    __slots__ = ("comm", "rank", "size", "timeout", "backend")

    def __init__(self, comm: Any, rank: int, size: int, timeout: float, backend: str) -> None:
        self.comm, self.rank, self.size, self.timeout, self.backend = comm, rank, size, timeout, backend


_world: Optional[World] = None


def launched_by_mpi() -> bool:
    """True when an MPI launcher started this process (its environment says so)."""
    return any(v in os.environ for v in LAUNCHER_VARIABLES)


def is_available() -> bool:
    """chainrule.distributed is always available: a single process needs no MPI."""
    return True


def is_mpi_available() -> bool:
    """True when mpi4py can be imported (`pip install chainrule[mpi]` plus a system MPI)."""
    return importlib.util.find_spec("mpi4py") is not None


def init_process_group(backend: Optional[str] = None, init_method: Optional[str] = None,
                       timeout: Union[datetime.timedelta, float, None] = None, world_size: int = -1,
                       rank: int = -1, store: Any = None, group_name: str = "", pg_options: Any = None,
                       device_id: Any = None) -> None:
    """Join the processes of this job (PyTorch's signature).

    The rank and world size come from the MPI launcher; `world_size` and `rank`, when given, are
    checked against it. `init_method`, `store`, `group_name`, `pg_options` and `device_id` are
    accepted for compatibility: MPI itself brings the processes together. `timeout` (a timedelta,
    or seconds) bounds every collective operation; past it the whole job is aborted.
    """
    global _world
    if _world is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    backend = _check_backend(backend)
    seconds = _seconds(timeout)
    if launched_by_mpi():
        comm = _mpi_world()
        size, me = comm.Get_size(), comm.Get_rank()
    else:
        comm, size, me = None, 1, 0
    if world_size not in (-1, size):
        hint = "" if comm is not None else f": start it with `mpirun -n {world_size} python ...`"
        raise ValueError(f"init_process_group: world_size={world_size} was given, but this job has {size} "
                         f"process{'es' if size > 1 else ''}{hint}")
    if rank not in (-1, me):
        raise ValueError(f"init_process_group: rank={rank} was given, but the MPI launcher made this process "
                         f"rank {me} of {size}")
    _world = World(comm if size > 1 else None, me, size, seconds, backend)
    if size > 1:
        _abort_on_uncaught_exceptions()


def destroy_process_group(group: Any = None) -> None:
    """Leave the process group (MPI itself is finalized when the process exits)."""
    global _world
    _check_group(group)
    _world = None


def is_initialized() -> bool:
    return _world is not None


def world() -> World:
    """The default process group, or PyTorch's error when there is none."""
    if _world is None:
        raise ValueError(NOT_INITIALIZED)
    return _world


def get_rank(group: Any = None) -> int:
    """This process's index in the job, 0 to world size - 1."""
    _check_group(group)
    return world().rank


def get_world_size(group: Any = None) -> int:
    """How many processes the job has."""
    _check_group(group)
    return world().size


def get_backend(group: Any = None) -> str:
    _check_group(group)
    return world().backend


def is_rank_zero() -> bool:
    """True on rank 0, and in a process without a process group: the one that logs and saves."""
    return _world is None or _world.rank == 0


def abort(message: str) -> None:
    """Print `message` and end every process of the job (MPI_Abort); alone, just exit."""
    sys.stderr.write(f"chainrule.distributed: {message}\n")
    sys.stderr.flush()
    comm = _world.comm if _world is not None else None
    if comm is not None:
        comm.Abort(1)
    os._exit(1)


def wait(requests: Sequence[Any], what: str) -> None:
    """Wait for MPI requests to complete, polling (so the wait can time out); past the group's
    timeout, abort the job naming this rank and the operation."""
    if not requests:
        return
    from mpi4py import MPI
    if MPI.Request.Testall(requests):
        return
    w = world()
    deadline = time.monotonic() + w.timeout
    pause = 0.0
    while not MPI.Request.Testall(requests):
        if time.monotonic() > deadline:
            abort(f"rank {w.rank} of {w.size}: {what} did not complete within {w.timeout:g} s; another rank "
                  f"has stopped, failed or fallen far behind. Aborting the job.")
        time.sleep(pause)
        pause = min(2 * pause or 2e-5, 1e-3)


def _mpi_world() -> Any:
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(f"this process was started by an MPI launcher, but mpi4py cannot be imported ({e}): "
                          f"install it with `pip install chainrule[mpi]` (it needs a system MPI, e.g. "
                          f"`apt-get install openmpi-bin libopenmpi-dev`)") from None
    return MPI.COMM_WORLD


def _abort_on_uncaught_exceptions() -> None:
    """An exception nobody catches, on any rank, ends the job at once instead of hanging the others."""
    previous = sys.excepthook
    if getattr(previous, "aborts_mpi_job", False):
        return

    def hook(kind: type, value: BaseException, tb: Any) -> None:
        previous(kind, value, tb)
        w = _world
        where = f"rank {w.rank} of {w.size}" if w is not None else "a rank"
        abort(f"{where} raised {kind.__name__}: {value}. Aborting the job.")

    hook.aborts_mpi_job = True  # type: ignore[attr-defined]
    sys.excepthook = hook


def _check_backend(backend: Optional[str]) -> str:
    name = "mpi" if backend is None else str(backend).lower()
    if name.startswith("cpu:"):
        name = name[4:]
    if name not in BACKENDS:
        raise ValueError(f"init_process_group: backend {backend!r} is not available: chainrule runs on the CPU "
                         f"and communicates over MPI; use backend='mpi' (or 'gloo', its CPU equivalent)")
    return name


def _seconds(timeout: Union[datetime.timedelta, float, None]) -> float:
    if timeout is None:
        return DEFAULT_TIMEOUT.total_seconds()
    seconds = timeout.total_seconds() if isinstance(timeout, datetime.timedelta) else float(timeout)
    if not seconds > 0:
        raise ValueError(f"init_process_group: timeout must be positive, got {timeout!r}")
    return seconds


def _check_group(group: Any) -> None:
    if group is not None and group is not _world:
        raise ValueError("chainrule.distributed has one process group, the default one: pass group=None")


__all__: List[str] = ["init_process_group", "destroy_process_group", "is_initialized", "is_available",
                      "is_mpi_available", "get_rank", "get_world_size", "get_backend", "is_rank_zero"]
