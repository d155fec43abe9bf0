"""What the diagnostics cost: a `GradientMonitor` attached to the MNIST example network (W2), and activation
checkpointing of a deep MLP (time per training step, activations kept for backward, peak memory).

    python -m bench.diagnostics_overhead                 # a few minutes; Markdown on stdout
    python -m bench.diagnostics_overhead --rounds 3 --steps 5

Runs with and without alternate round by round, so a machine that slows down for a while slows both;
the medians of the per-step times are compared. Not part of the test suite.
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable, Dict, List

import numpy as np

import chainrule as cr
from chainrule import nn, optim
from chainrule.diagnostics import GradientMonitor, peak_memory, saved_bytes
from chainrule.utils.checkpoint import checkpoint_sequential

from .workloads import cnn
from .workloads.training import init_params, load_params


def timed(step: Callable[[], object], steps: int) -> List[float]:
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def monitor_overhead(rounds: int, steps: int, batch: int = 64) -> Dict[str, float]:
    """Median step time of W2 without and with a monitor attached (attached and removed each round)."""
    rng = np.random.default_rng(0)
    model = cnn.model(nn)
    load_params(cr, model, init_params(cnn.shapes(batch)))
    data = cnn.data(rng, batch)
    x, y = cr.from_numpy(data["x"]), cr.from_numpy(data["y"])
    opt = optim.SGD(model.parameters(), lr=cnn.LR, momentum=0.9)

    def step() -> None:
        opt.zero_grad()
        nn.functional.nll_loss(model(x), y).backward()
        opt.step()

    timed(step, 3)
    plain: List[float] = []
    watched: List[float] = []
    for r in range(rounds):
        for attached in ((False, True) if r % 2 == 0 else (True, False)):
            monitor = GradientMonitor(model, warn=False) if attached else None
            times = timed(step, steps)
            (watched if attached else plain).extend(times)
            if monitor is not None:
                monitor.remove()
    a, b = statistics.median(plain), statistics.median(watched)
    return {"without": a, "with": b, "overhead": b / a - 1}


def checkpoint_overhead(rounds: int, steps: int, blocks: int = 32, width: int = 512, batch: int = 256,
                        segments: int = 6) -> Dict[str, float]:
    """Step time, activations kept for backward and peak memory of a deep ReLU MLP, plain and checkpointed."""
    cr.manual_seed(0)
    layers: list = []
    for _ in range(blocks):
        layers += [nn.Linear(width, width), nn.ReLU()]
    model = nn.Sequential(*layers)
    x = cr.randn(batch, width)
    opt = optim.SGD(model.parameters(), lr=1e-3)
    runs = {"plain": model, "checkpointed": lambda t: checkpoint_sequential(model, segments, t, use_reentrant=False)}

    def backprop(run: Callable) -> None:
        opt.zero_grad(set_to_none=False)  # gradients stay allocated: the peak is the pass's own memory
        run(x).pow(2).mean().backward()

    def step(run: Callable) -> None:
        backprop(run)
        opt.step()

    result: Dict[str, float] = {}
    for name, run in runs.items():
        step(run)
        result[f"saved {name}"] = saved_bytes(run(x).pow(2).mean())
        result[f"peak {name}"] = peak_memory(backprop, run)[1]
    times: Dict[str, List[float]] = {name: [] for name in runs}
    for r in range(rounds):
        for name in (list(runs) if r % 2 == 0 else list(runs)[::-1]):
            times[name].extend(timed(lambda: step(runs[name]), steps))
    a, b = statistics.median(times["plain"]), statistics.median(times["checkpointed"])
    result.update({"time plain": a, "time checkpointed": b, "overhead": b / a - 1})
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=7, help="alternations of with / without (default: %(default)s)")
    p.add_argument("--steps", type=int, default=10, help="training steps timed per round (default: %(default)s)")
    args = p.parse_args()
    m = monitor_overhead(args.rounds, args.steps)
    print("| GradientMonitor on the MNIST example network (W2, batch 64) | step time |\n|---|---|")
    print(f"| without | {m['without'] * 1e3:.1f} ms |\n| with the monitor attached | {m['with'] * 1e3:.1f} ms "
          f"({m['overhead']:+.1%}) |\n")
    c = checkpoint_overhead(args.rounds, args.steps)
    mib = 2 ** 20
    print("| deep MLP (32 × Linear(512, 512) + ReLU, batch 256) | step time | kept for backward | "
          "peak of forward + backward |")
    print("|---|---|---|---|")
    print(f"| plain | {c['time plain'] * 1e3:.1f} ms | {c['saved plain'] / mib:.1f} MiB | "
          f"{c['peak plain'] / mib:.1f} MiB |")
    print(f"| checkpoint_sequential, 6 segments | {c['time checkpointed'] * 1e3:.1f} ms ({c['overhead']:+.1%}) | "
          f"{c['saved checkpointed'] / mib:.1f} MiB | {c['peak checkpointed'] / mib:.1f} MiB |")


if __name__ == "__main__":
    main()
