"""What the diagnostics cost: a `GradientMonitor` attached to the MNIST example network (W2), and activation
checkpointing of a deep MLP (time per training step, activations kept for backward, peak memory).

    python -m bench.diagnostics_overhead                 # a few minutes; Markdown on stdout
    python -m bench.diagnostics_overhead --rounds 3 --steps 5

Runs with and without alternate round by round, so a machine that slows down for a while slows both;
the medians of the per-step times are compared: wall time, and the main thread's CPU time, which other
processes competing for the cores disturb much less (BLAS helper threads are not in it, but they do the
same work in both runs). Not part of the test suite.
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable, Dict, List, Tuple

import numpy as np

import chainrule as cr
from chainrule import nn, optim
from chainrule.diagnostics import GradientMonitor, peak_memory, saved_bytes
from chainrule.utils.checkpoint import checkpoint_sequential

from .workloads import cnn
from .workloads.training import init_params, load_params


def timed(step: Callable[[], object], steps: int) -> List[Tuple[float, float]]:
    """(wall time, main-thread CPU time) of each of `steps` calls."""
    times = []
    for _ in range(steps):
        wall, cpu = time.perf_counter(), time.thread_time()
        step()
        times.append((time.perf_counter() - wall, time.thread_time() - cpu))
    return times


def compare(a: List[Tuple[float, float]], b: List[Tuple[float, float]]) -> Dict[str, float]:
    """Medians of wall and CPU times of runs a and b, and b's extra cost relative to a."""
    out = {}
    for i, kind in enumerate(("wall", "cpu")):
        ma, mb = statistics.median(t[i] for t in a), statistics.median(t[i] for t in b)
        out.update({f"{kind} a": ma, f"{kind} b": mb, f"{kind} overhead": mb / ma - 1})
    return out


def row(name: str, c: Dict[str, float], side: str, extra: str = "") -> str:
    """A Markdown table row: wall and CPU milliseconds, with the overhead on the b side."""
    cells = []
    for kind in ("wall", "cpu"):
        cell = f"{c[f'{kind} {side}'] * 1e3:.1f} ms"
        cells.append(cell + (f" ({c[f'{kind} overhead']:+.1%})" if side == "b" else ""))
    return f"| {name} | {' | '.join(cells)} |{extra}"


class TimedMonitor(GradientMonitor):
    """A GradientMonitor that adds up the wall time spent in its own hooks and step ends."""
    spent = 0.0

    def _on_grad(self, p: object) -> None:
        start = time.perf_counter()
        super()._on_grad(p)
        self.spent += time.perf_counter() - start

    def step(self) -> None:
        start = time.perf_counter()
        super().step()
        self.spent += time.perf_counter() - start

    def _activation_hook(self, name: str, kind: str) -> Callable:
        inner = super()._activation_hook(name, kind)

        def hook(*args: object) -> None:
            start = time.perf_counter()
            inner(*args)
            self.spent += time.perf_counter() - start
        return hook


def monitor_overhead(rounds: int, steps: int, batch: int = 64) -> Dict[str, float]:
    """Median step time of W2 without and with a monitor attached (attached and removed each round),
    and the monitor's own work per step as a share of the step it ran in."""
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
    plain: list = []
    watched: list = []
    shares = []
    for r in range(rounds):
        for attached in ((False, True) if r % 2 == 0 else (True, False)):
            monitor = TimedMonitor(model, warn=False) if attached else None
            times = timed(step, steps)
            (watched if attached else plain).extend(times)
            if monitor is not None:
                monitor.remove()
                shares.append(monitor.spent / sum(t[0] for t in times))
    return {**compare(plain, watched), "own share": statistics.median(shares)}


def checkpoint_overhead(rounds: int, steps: int, blocks: int = 32, width: int = 256, batch: int = 1024,
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
    times: Dict[str, list] = {name: [] for name in runs}
    for r in range(rounds):
        for name in (list(runs) if r % 2 == 0 else list(runs)[::-1]):
            times[name].extend(timed(lambda: step(runs[name]), steps))
    result.update(compare(times["plain"], times["checkpointed"]))
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=7, help="alternations of with / without (default: %(default)s)")
    p.add_argument("--steps", type=int, default=10, help="training steps timed per round (default: %(default)s)")
    args = p.parse_args()
    m = monitor_overhead(args.rounds, args.steps)
    print("| the MNIST example network (W2, batch 64) | step, wall time | step, main-thread CPU time |")
    print("|---|---|---|")
    print(row("without a monitor", m, "a"))
    print(row("with a GradientMonitor attached", m, "b"))
    print(f"\nThe monitor's own work (its hooks and step ends) took {m['own share']:.1%} of the wall time of the "
          f"steps it watched.\n")
    c = checkpoint_overhead(args.rounds, args.steps)
    mib = 2 ** 20
    print("| deep MLP (32 × Linear(256, 256) + ReLU, batch 1024) | step, wall time | step, main-thread CPU time "
          "| kept for backward | peak of forward + backward |")
    print("|---|---|---|---|---|")
    print(row("plain", c, "a", f" {c['saved plain'] / mib:.1f} MiB | {c['peak plain'] / mib:.1f} MiB |"))
    print(row("checkpoint_sequential, 6 segments", c, "b",
              f" {c['saved checkpointed'] / mib:.1f} MiB | {c['peak checkpointed'] / mib:.1f} MiB |"))


if __name__ == "__main__":
    main()
