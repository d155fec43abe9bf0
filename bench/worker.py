"""One framework running one workload, in its own process: `python -m bench.worker W1 torch 2 [wall|cpu]`.

The orchestrator (bench/run.py) starts it with the thread count already in its environment, then sends
one command per line on stdin and reads one JSON line per answer:
    run WARMUP STEPS  ->  {"times": [seconds per step...], "loss": last loss, "cpu": CPU seconds used}
    epoch             ->  {"seconds": ..., "accuracy": ..., "cpu": ...}   (epoch workloads)
    quit
The first line it writes says whether setup worked: {"ready": ...}, {"missing": ...} or {"error": ...}.
Frameworks: "chainrule", "torch", "floor" (hand-written NumPy), "matmul" (the floor's matrix products alone).
Clock: "wall" (elapsed time, the default) or "cpu" (this process's CPU time, all threads together).
"""
from __future__ import annotations

import gc
import importlib
import json
import re
import sys
import time
import traceback
from typing import Any, Callable

import numpy as np

from .workloads import WORKLOADS
from .workloads.training import init_params


def import_framework(name: str) -> Any:
    """`torch` or `chainrule`, with the submodules the workloads use loaded when they exist."""
    fw = importlib.import_module(name)
    for sub in ("nn", "nn.functional", "optim", "utils.data"):
        try:
            importlib.import_module(f"{name}.{sub}")
        except ImportError:
            pass
    return fw


def limit_threads(n: int, fw: Any) -> list:
    """Set every thread pool to n (BLAS through threadpoolctl when installed; the environment did the rest)."""
    if getattr(fw, "__name__", "") == "torch":
        fw.set_num_threads(n)
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return [f"threadpoolctl not installed: OMP_NUM_THREADS={n} set before start-up"]
    threadpool_limits(n)
    return [f"{i['internal_api']} {i.get('version') or ''} {i['num_threads']} threads".replace("  ", " ")
            for i in threadpool_info()]


def missing_name(exc: BaseException) -> str:
    """What a missing-feature error is about, e.g. "chainrule.nn.Linear"."""
    text = str(exc)
    m = re.search(r"module '([\w.]+)' has no attribute '(\w+)'", text) or \
        re.search(r"'(\w+)' object has no attribute '(\w+)'", text)
    if m:
        return f"{m.group(1)}.{m.group(2)}"
    m = re.search(r"No module named '([\w.]+)'", text)
    return m.group(1) if m else f"{type(exc).__name__}: {text}"[:120]


def failure(exc: BaseException) -> dict:
    """A missing feature or a broken one, for the table (the traceback goes to stderr)."""
    traceback.print_exc()
    if isinstance(exc, (AttributeError, ImportError, NotImplementedError)):
        return {"missing": missing_name(exc)}
    return {"error": f"{type(exc).__name__}: {exc}"[:200]}


def setup(workload_id: str, framework: str, threads: int) -> tuple:
    """(what to call, description of the threads) for this workload and framework."""
    w = WORKLOADS[workload_id]
    module = importlib.import_module(f"bench.workloads.{w.module}")
    if w.kind == "epoch":
        fw = import_framework(framework)
        info = limit_threads(threads, fw)
        fw.manual_seed(0)
        return (lambda: module.run(fw, **w.cfg)), info
    params = init_params(module.shapes(**w.cfg))
    data = module.data(np.random.default_rng(0), **w.cfg)
    if framework in ("floor", "matmul"):
        info = limit_threads(threads, None)
        model = module.floor(params, data, **w.cfg)
        if framework == "matmul":
            model.step()  # real values in every buffer the products read
        step = model.step if framework == "floor" else model.matmuls
    else:
        fw = import_framework(framework)
        info = limit_threads(threads, fw)
        fw.manual_seed(0)
        step = module.build(fw, params, data, **w.cfg)
    step()  # a missing piece shows here, at setup (and every framework takes the same number of steps)
    return step, info


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def measure(step: Callable, warmup: int, steps: int, clock: Callable) -> dict:
    """Time each of `steps` steps after `warmup` untimed ones."""
    gc.collect()
    loss = None
    for _ in range(warmup):
        loss = step()
    times = []
    for _ in range(steps):
        start = clock()
        loss = step()
        times.append(clock() - start)
    return {"times": times, "loss": loss if loss is None or isinstance(loss, float) else loss.item()}


def main(argv: list) -> None:
    workload_id, framework, threads = argv[0], argv[1], int(argv[2])
    clock = CLOCKS[argv[3] if len(argv) > 3 else "wall"]
    channel = sys.stdout
    sys.stdout = sys.stderr  # whatever the libraries print must not mix with the answers

    def reply(obj: dict) -> None:
        channel.write(json.dumps(obj) + "\n")
        channel.flush()

    try:
        target, info = setup(workload_id, framework, threads)
    except Exception as exc:  # reported in the table, not a crash of the whole run
        reply(failure(exc))
        return
    reply({"ready": info})
    for line in sys.stdin:
        cmd = line.split()
        cpu = time.process_time()
        try:
            if cmd[0] == "run":
                answer = measure(target, int(cmd[1]), int(cmd[2]), clock)
            elif cmd[0] == "epoch":
                answer = target()
            else:
                return
            reply({**answer, "cpu": time.process_time() - cpu})
        except Exception as exc:
            reply(failure(exc))


if __name__ == "__main__":
    main(sys.argv[1:])
