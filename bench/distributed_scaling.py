"""Data-parallel scaling: one epoch of the MNIST example network (W2) on 1 and 2 ranks, one thread each.

    python bench/distributed_scaling.py                # a full epoch on 1 rank, then on 2 (minutes)
    python bench/distributed_scaling.py --limit 100    # the first 100 steps of the epoch only
    python bench/distributed_scaling.py --ranks 1 2 3 --batch 64

The global batch stays the same (64: 32 per rank on 2 ranks), so every run does the same training:
the same number of optimizer steps over the same 60,000 images of ../shared/datasets/mnist. One rank
is a plain process (no MPI); N ranks run under mpirun with DistributedDataParallel and a
DistributedSampler. Time excludes reading the data. Also measured: the time a step spends waiting
for the gradient allreduce, and one allreduce of the whole gradient alone. The report ends with a
paper estimate of where data parallelism over a network stops paying.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.process import environment  # noqa: E402

MARK = "RESULT "  # the line of rank 0's output that carries its measurements
NETWORKS = {"1 Gbit/s Ethernet": 125e6, "10 Gbit/s Ethernet": 1.25e9, "100 Gbit/s InfiniBand": 12.5e9}
LATENCY = 20e-6  # seconds per message hop over a network, a typical order of magnitude


def worker(batch: int, limit: int) -> None:
    """One rank: train the epoch, print rank 0's measurements."""
    import numpy as np

    import chainrule as cr
    import chainrule.distributed as dist
    import chainrule.distributed.reducer as reducer
    from bench.worker import limit_threads
    from bench.workloads import cnn
    from bench.workloads.mnist_epoch import load
    from bench.workloads.training import init_params, load_params

    limit_threads(1, cr)
    dist.init_process_group()
    rank, world = dist.get_rank(), dist.get_world_size()
    waited = [0.0]
    real_wait = reducer.wait

    def timed_wait(requests, what):  # the time backward's end spends waiting for the gradients
        start = time.perf_counter()
        real_wait(requests, what)
        waited[0] += time.perf_counter() - start
    reducer.wait = timed_wait

    x, y = load("train")
    model = cnn.model(cr.nn)
    load_params(cr, model, init_params(cnn.shapes(batch)))
    ddp = cr.nn.parallel.DistributedDataParallel(model)
    opt = cnn.optimizer(cr)(ddp.parameters())
    data = cr.utils.data.TensorDataset(cr.from_numpy(x), cr.from_numpy(y))
    loader = cr.utils.data.DataLoader(data, batch_size=batch // world, sampler=dist.DistributedSampler(data))
    dist.barrier()
    start, steps = time.perf_counter(), 0
    for xb, yb in loader:
        opt.zero_grad()
        loss = cr.nn.functional.nll_loss(ddp(xb), yb)
        loss.backward()
        opt.step()
        steps += 1
        if steps == limit:
            break
    dist.barrier()
    seconds = time.perf_counter() - start
    grad = np.zeros(sum(p.numel() for p in model.parameters()), np.float32)
    allreduce = []
    for _ in range(10):
        t = cr.from_numpy(grad)
        began = time.perf_counter()
        dist.all_reduce(t)
        allreduce.append(time.perf_counter() - began)
    if rank == 0:
        print(MARK + json.dumps({"ranks": world, "steps": steps, "seconds": seconds, "loss": float(loss),
                                 "epoch_steps": -(-len(data) // batch), "wait": waited[0],
                                 "allreduce": float(np.median(allreduce)) if world > 1 else 0.0,
                                 "gradient_bytes": grad.nbytes}), flush=True)


def launch(ranks: int, batch: int, limit: int) -> dict:
    """Run the worker on `ranks` processes (a plain one for 1); its measurements and the machine's load."""
    args = [sys.executable, str(Path(__file__).resolve()), "--worker", "--batch", str(batch), "--limit", str(limit)]
    if ranks > 1:
        from chainrule.distributed.launch import mpirun_command
        args = mpirun_command(ranks, allow_root=os.geteuid() == 0) + args
    done = subprocess.run(args, capture_output=True, text=True, env=environment(1), cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{ranks} rank(s) failed:\n{done.stdout}\n{done.stderr}")
    line = next(line for line in done.stdout.splitlines() if line.startswith(MARK))
    result = json.loads(line[len(MARK):])
    result["load"] = os.getloadavg()[0]  # runnable processes, averaged over the last minute of the run
    return result


def report(results: list) -> str:
    base = results[0]
    per_step = base["seconds"] / base["steps"]
    lines = ["| ranks | steps | s per epoch | ms per step | allreduce wait ms/step | one allreduce alone (ms) | "
             "speed-up | machine load (1 min) |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
        epoch = r["seconds"] / r["steps"] * r["epoch_steps"]
        lines.append(f"| {r['ranks']} | {r['steps']} | {epoch:.1f} | {1e3 * r['seconds'] / r['steps']:.1f} | "
                     f"{1e3 * r['wait'] / r['steps']:.2f} | {1e3 * r['allreduce']:.2f} | "
                     f"{base['seconds'] / base['steps'] / (r['seconds'] / r['steps']):.2f}x | "
                     f"{r['load']:.1f} on {os.cpu_count()} cores |")
    if base["steps"] < base["epoch_steps"]:
        lines.append(f"\n(s per epoch: {base['epoch_steps']} steps, extrapolated from the {base['steps']} steps run.)")
    lines.append("")
    lines.append(estimate(per_step, base["gradient_bytes"]))
    return "\n".join(lines)


def estimate(step_seconds: float, grad_bytes: int) -> str:
    """Paper estimate for N hosts, one rank each, the global batch split N ways (strong scaling).

    A ring allreduce sends and receives 2 (N - 1) / N of the gradient per host per step, in 2 (N - 1)
    messages: t_comm(N) = 2 (N - 1) / N * G / B + 2 (N - 1) * latency. Compute shrinks as t_1 / N.
    Without overlap a step takes t_1 / N + t_comm(N); the speed-up can never pass t_1 / (2 G / B)."""
    hosts = [1, 2, 4, 8, 16, 32, 64]
    lines = [f"Paper estimate for N hosts: gradient G = {grad_bytes / 1e6:.1f} MB per step, one step on one "
             f"rank t_1 = {1e3 * step_seconds:.0f} ms; speed-up = t_1 / (t_1 / N + t_comm(N)) with "
             f"t_comm(N) = 2 (N-1)/N * G / B + 2 (N-1) * {LATENCY * 1e6:.0f} us (ring allreduce, no overlap).\n",
             "| network (B) | " + " | ".join(f"N={n}" for n in hosts) + " | ceiling t_1 / (2G/B) |",
             "|---|" + "---|" * (len(hosts) + 1)]
    for name, bandwidth in NETWORKS.items():
        speedups = []
        for n in hosts:
            comm = 2 * (n - 1) / n * grad_bytes / bandwidth + 2 * (n - 1) * LATENCY
            speedups.append(step_seconds / (step_seconds / n + comm))
        ceiling = step_seconds / (2 * grad_bytes / bandwidth)
        lines.append(f"| {name} | " + " | ".join(f"{s:.1f}x" for s in speedups) + f" | {ceiling:.0f}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2], help="rank counts to run (1 2)")
    parser.add_argument("--batch", type=int, default=64, help="global batch, split across ranks (64)")
    parser.add_argument("--limit", type=int, default=0, help="stop each run after this many steps (0: a full epoch)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        worker(options.batch, options.limit)
        return
    results = []
    for ranks in options.ranks:
        print(f"{ranks} rank(s)...", file=sys.stderr, flush=True)
        results.append(launch(ranks, options.batch, options.limit))
    print(report(results))


if __name__ == "__main__":
    main()
