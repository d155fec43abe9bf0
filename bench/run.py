"""Run the benchmarks and print the report: `python bench/run.py [--only W1,W3] [--repeats 3] [--steps 30]`.

Every framework runs each workload in its own fresh process with the same thread count, the same
parameters and the same data; the repeats take turns (chainrule, PyTorch, floor, then the next repeat
in a rotated order), so a machine that slows down for a while slows all of them alike.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import report, startup  # noqa: E402
from bench.process import Worker, wait_until_quiet  # noqa: E402
from bench.workloads import WORKLOADS  # noqa: E402

PAUSE = 0.25  # seconds between two timed runs: lets the last run's spinning BLAS threads go to sleep


def log(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


def run_steps(wid: str, frameworks: list, args: argparse.Namespace, threads: dict) -> dict:
    """Per framework: {"medians": [median seconds per step of each repeat], "loss": ...} or why it did not run."""
    w = WORKLOADS[wid]
    names = frameworks + (["matmul"] if w.matmul else [])
    workers = {fw: Worker(wid, fw, args.threads, args.clock) for fw in names}
    results = {}
    for fw, worker in workers.items():
        status = worker.status
        results[fw] = {"medians": [], "background": []} if "ready" in status else status
        if "ready" in status:
            threads[fw] = status["ready"]
        log(f"{wid} {fw}: {'ready' if 'ready' in status else status}")
    for r in range(args.repeats):
        order = names[r % len(names):] + names[:r % len(names)]
        for fw in order:
            if "medians" not in results[fw]:
                continue
            if args.quiet is not None:
                wait_until_quiet(args.quiet, args.quiet_timeout)
            answer = workers[fw].ask(f"run {args.warmup} {args.steps}")
            if "times" not in answer:
                results[fw] = answer
                continue
            mid = statistics.median(answer["times"])
            results[fw]["medians"].append(mid)
            results[fw]["loss"] = answer["loss"]
            results[fw]["background"].append(answer.get("background"))
            log(f"{wid} {fw} repeat {r + 1}: {report.fmt(mid * w.scale)} {w.unit}")
            time.sleep(PAUSE)
    for worker in workers.values():
        worker.close()
    return results


def run_epoch(frameworks: list, threads: int) -> dict:
    results = {}
    for fw in frameworks:
        if fw == "floor":
            continue
        worker = Worker("W7", fw, threads)
        status = worker.status
        log(f"W7 {fw}: {'running one epoch' if 'ready' in status else status}")
        results[fw] = worker.ask("epoch") if "ready" in status else status
        worker.close()
        log(f"W7 {fw}: {results[fw]}")
    return results


def run_startup(frameworks: list, args: argparse.Namespace) -> tuple:
    fws = [fw for fw in frameworks if fw != "floor"]
    imports = startup.import_times(fws, max(args.repeats, 5), args.threads)
    log(f"W6 import: {imports}")
    memory = {fw: startup.peak_memory(fw, args.threads) for fw in fws}
    log(f"W6 memory: {memory}")
    return imports, memory


def main() -> None:
    parser = argparse.ArgumentParser(description="chainrule against PyTorch and a hand-written NumPy floor.")
    parser.add_argument("--only", default=",".join(WORKLOADS), help="workload ids, e.g. W1,W3 (default: all)")
    parser.add_argument("--repeats", type=int, default=3, help="whole measurements per workload (default 3)")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per repeat (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps before each repeat (default 5)")
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1),
                        help="threads for every framework (default 2)")
    parser.add_argument("--frameworks", default="chainrule,torch,floor",
                        help="any of chainrule, torch, floor (default: all three)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="time steps by elapsed time (default) or by each process's own CPU time, which "
                             "other processes barely disturb: use with --threads 1 on a busy machine")
    parser.add_argument("--quiet", type=float, metavar="CORES",
                        help="before each timed run, wait until other processes use fewer cores than this")
    parser.add_argument("--quiet-timeout", type=float, default=60, metavar="SECONDS",
                        help="longest wait for --quiet (default 60), then run anyway")
    parser.add_argument("--json", help="also write the raw results to this file")
    args = parser.parse_args()
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in only if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    frameworks = [fw.strip() for fw in args.frameworks.split(",")]
    if "torch" in frameworks and importlib.util.find_spec("torch") is None:
        log("PyTorch is not installed: measuring without it (pip install torch to compare)")
        frameworks.remove("torch")

    steps, raw, threads = {}, {}, {}
    imports = memory = epoch = None
    for wid in only:
        kind = WORKLOADS[wid].kind
        if kind == "steps":
            steps[wid] = run_steps(wid, frameworks, args, threads)
        elif kind == "startup":
            imports, memory = run_startup(frameworks, args)
        else:
            epoch = run_epoch(frameworks, args.threads)
    raw = {"steps": steps, "imports": imports, "memory": memory, "epoch": epoch}

    lines = [f"Command: `python bench/run.py {' '.join(sys.argv[1:])}`".replace("  ", " "), "",
             *report.machine(args.threads, threads), ""]
    if steps:
        clock = "elapsed time" if args.clock == "wall" else "CPU time of each process (all its threads)"
        lines += [f"Median over {args.repeats} repeats of the median of {args.steps} steps (after {args.warmup} "
                  f"warm-up steps), timed by {clock}; spread = (slowest - fastest repeat) / median.", ""]
        lines += report.steps_table(steps) + [""]
        mm = report.matmul_table(steps)
        lines += ["Matrix products (BLAS) against everything else, per step:", ""] + mm + [""] if mm else []
    if imports is not None:
        lines += report.startup_table(imports, memory) + [""]
    if epoch is not None:
        lines += report.epoch_table(epoch) + [""]
    print("\n".join(lines))
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1))


if __name__ == "__main__":
    main()
