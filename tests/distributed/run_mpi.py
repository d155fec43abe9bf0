"""Start a worker script under a real `mpirun`, from pytest."""
import os
import shutil
import subprocess
import sys
import time

import pytest

from chainrule.distributed import is_mpi_available
from chainrule.distributed.launch import mpirun_command

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))


def _missing():
    """Why MPI tests cannot run here, or None."""
    launcher = shutil.which("mpirun") or shutil.which("mpiexec")
    if launcher is None:
        return "no mpirun: apt-get install openmpi-bin libopenmpi-dev (or another MPI)"
    if not is_mpi_available():
        return "mpi4py is not installed: pip install mpi4py (or chainrule[mpi])"
    return None


MISSING = _missing()
requires_mpi = pytest.mark.skipif(MISSING is not None, reason=f"MPI tests skipped: {MISSING}")


def mpirun(n, script, *args, timeout=120):
    """Run tests/distributed/<script> on n ranks; (completed process, seconds it took)."""
    command = mpirun_command(n, allow_root=hasattr(os, "geteuid") and os.geteuid() == 0)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), OMP_NUM_THREADS="1")
    started = time.monotonic()
    done = subprocess.run(command + [sys.executable, os.path.join(HERE, script), *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=timeout)
    return done, time.monotonic() - started
