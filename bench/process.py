"""A worker process seen from the orchestrator: start it, ask it things, stop it and read its peak memory."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent


def environment(threads: int) -> dict:
    """The environment of every child: this repository first on the path, thread count set before start-up
    (OpenBLAS, PyTorch and OpenMP all read OMP_NUM_THREADS; threadpoolctl, when installed, sets it again)."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, PYTHONPATH=path, OMP_NUM_THREADS=str(threads))


def busy_cpu_seconds() -> Optional[float]:
    """CPU time all processes of the machine have used so far (Linux), to see what else ran meanwhile."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def wait_until_quiet(max_load: float, timeout: float, window: float = 0.5) -> float:
    """Wait (at most `timeout` seconds) until other processes keep fewer than `max_load` cores busy over
    `window` seconds; returns the load last seen (0 where /proc/stat cannot be read)."""
    deadline = time.perf_counter() + timeout
    while True:
        busy = busy_cpu_seconds()
        if busy is None:
            return 0.0
        time.sleep(window)
        load = (busy_cpu_seconds() - busy) / window
        if load < max_load or time.perf_counter() > deadline:
            return load


class Worker:
    """`python -m bench.worker WORKLOAD FRAMEWORK THREADS CLOCK`, answering one JSON line per command."""

    def __init__(self, workload: str, framework: str, threads: int, clock: str = "wall") -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.worker", workload, framework, str(threads), clock],
                                     cwd=ROOT, env=environment(threads), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self._status = None

    @property
    def status(self) -> dict:
        """The first answer: {"ready": thread info}, {"missing": what} or {"error": message}."""
        if self._status is None:
            self._status = self._read()
        return self._status

    def ask(self, command: str) -> dict:
        """Send a command, return the answer; with "background": cores other processes kept busy meanwhile."""
        busy, start = busy_cpu_seconds(), time.perf_counter()
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        answer = self._read()
        if busy is not None and "cpu" in answer:
            answer["background"] = max(0.0, busy_cpu_seconds() - busy - answer["cpu"]) / (time.perf_counter() - start)
        return answer

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            return {"error": f"the worker exited (code {self.proc.poll()}); its error is printed above"}
        return json.loads(line)

    def close(self) -> float:
        """Stop the worker; returns its peak resident memory in MB."""
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        _, status, usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.proc.stdout.close()
        return usage.ru_maxrss / (2 ** 20 if sys.platform == "darwin" else 2 ** 10)  # bytes on macOS, KiB on Linux
