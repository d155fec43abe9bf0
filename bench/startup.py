"""W6: what a user feels first. Wall time of `python -c "import X"` (median of fresh processes, taken in
turns), and the peak resident memory of a process that builds W1 and runs 10 steps."""
from __future__ import annotations

import statistics
import subprocess
import sys
import time

from .process import ROOT, Worker, environment


def import_times(frameworks: list, runs: int, threads: int) -> dict:
    """Median seconds of `python -c "import fw"` for each framework, and of `python -c pass` as "python"."""
    programs = {"python": "pass", **{fw: f"import {fw}" for fw in frameworks}}
    times: dict = {name: [] for name in programs}
    env = environment(threads)
    for _ in range(runs):
        for name, code in programs.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def peak_memory(framework: str, threads: int) -> dict:
    """{"mb": peak RSS} of a worker that builds W1 and runs 10 steps, or why it could not."""
    worker = Worker("W1", framework, threads)
    status = worker.status
    if "ready" in status:
        answer = worker.ask("run 0 9")  # plus the one step the worker takes at setup: 10 steps
        status = answer if "times" not in answer else status
    mb = worker.close()
    return {"mb": mb} if "ready" in status else status
