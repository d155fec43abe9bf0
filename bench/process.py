"""A worker process seen from the orchestrator: start it, ask it things, stop it and read its peak memory."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def environment(threads: int) -> dict:
    """The environment of every child: this repository first on the path, thread count set before start-up
    (OpenBLAS, PyTorch and OpenMP all read OMP_NUM_THREADS; threadpoolctl, when installed, sets it again)."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, PYTHONPATH=path, OMP_NUM_THREADS=str(threads))


class Worker:
    """`python -m bench.worker WORKLOAD FRAMEWORK THREADS`, answering one JSON line per command."""

    def __init__(self, workload: str, framework: str, threads: int) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.worker", workload, framework, str(threads)],
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
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._read()

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
