"""Start N processes of a script on this machine through MPI:

    python -m chainrule.distributed.launch -n 2 train.py --epochs 3

is `mpirun -n 2 python train.py --epochs 3`, plus, with Open MPI, `--oversubscribe` (more processes
than cores is allowed) and `--bind-to none` (each process free to use any core). On a cluster, call
the cluster's own launcher (`srun`, `mpirun` with a host file) instead.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from typing import List, Optional


def mpirun_command(n: int, allow_root: bool = False) -> List[str]:
    """The launcher command line for `n` processes on this machine (allow_root: let Open MPI start as root,
    which it refuses by default; for containers)."""
    launcher = shutil.which("mpirun") or shutil.which("mpiexec")
    if launcher is None:
        raise FileNotFoundError("no mpirun or mpiexec on PATH: install an MPI, e.g. "
                                "`apt-get install openmpi-bin libopenmpi-dev`")
    version = subprocess.run([launcher, "--version"], capture_output=True, text=True).stdout
    command = [launcher, "-n", str(n)]
    if "Open MPI" in version or "OpenRTE" in version:
        command += ["--oversubscribe", "--bind-to", "none"] + (["--allow-run-as-root"] if allow_root else [])
    return command


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chainrule.distributed.launch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--nproc", type=int, default=os.cpu_count() or 1, help="processes (default: cores)")
    parser.add_argument("--allow-run-as-root", action="store_true", help="let Open MPI start as root")
    parser.add_argument("script", help="the Python script to run on every rank")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    options = parser.parse_args(argv)
    return subprocess.call(mpirun_command(options.nproc, options.allow_run_as_root) + [sys.executable, options.script, *options.args])


if __name__ == "__main__":
    sys.exit(main())
