"""One `mpirun` per world size for all the training checks (starting MPI costs about a second)."""
import json

import numpy as np
import pytest

from chainrule.distributed.comm import LAUNCHER_VARIABLES
from tests.distributed.run_mpi import MISSING, mpirun


class Run:
    """What every rank of one worker_train.py job wrote."""

    def __init__(self, outdir, world, stderr):
        self.outdir, self.world, self.stderr = outdir, world, stderr
        self.arrays = [dict(np.load(outdir / f"rank{r}.npz")) for r in range(world)]
        self.reports = [json.loads((outdir / f"rank{r}.json").read_text()) for r in range(world)]

    def case(self, rank, name):
        prefix = name + "/"
        return {k[len(prefix):]: v for k, v in self.arrays[rank].items() if k.startswith(prefix)}


_runs = {}


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """trained(world): the results of worker_train.py on `world` ranks (run once per world size)."""
    def get(world):
        if MISSING is not None:
            pytest.skip(f"MPI tests skipped: {MISSING}")
        if world not in _runs:
            outdir = tmp_path_factory.mktemp(f"mpi{world}")
            done, _ = mpirun(world, "worker_train.py", outdir)
            assert done.returncode == 0, f"mpirun -n {world} failed:\n{done.stdout}\n{done.stderr}"
            _runs[world] = Run(outdir, world, done.stderr)
        return _runs[world]
    return get


@pytest.fixture
def alone(monkeypatch):
    """A process not started by MPI, with no process group left behind by the test."""
    import chainrule.distributed as dist
    for name in LAUNCHER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    if dist.is_initialized():
        dist.destroy_process_group()
    yield dist
    if dist.is_initialized():
        dist.destroy_process_group()
