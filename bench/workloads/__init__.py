"""The workloads of ../shared/bench/WORKLOADS.md: what each measures, in which unit, and its target.

Each step workload is a module with `shapes(**cfg)` (parameter names and shapes, PyTorch's layout),
`data(rng, **cfg)` (NumPy arrays), `build(fw, params, data, **cfg)` (a step function for a framework
module with PyTorch's API: `torch` or `chainrule`) and `floor(params, data, **cfg)` (the hand-written
NumPy version). The same parameters and data go to every framework.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class Workload:
    id: str
    title: str
    module: str                       # bench.workloads.<module>
    cfg: dict = field(default_factory=dict)
    target: Optional[float] = None    # chainrule / PyTorch ratio to reach
    kind: str = "steps"               # "steps", "startup" or "epoch"
    unit: str = "ms/step"
    scale: float = 1e3                # seconds per step -> unit
    matmul: bool = False              # also time the step's matrix products alone


CHAIN_LENGTH = 200

WORKLOADS = {w.id: w for w in [
    Workload("W1", "MLP 784-512-256-10, batch 128, SGD", "mlp", {"batch": 128}, 1.0, matmul=True),
    Workload("W1s", "MLP, batch 16", "mlp", {"batch": 16}, 0.8, matmul=True),
    Workload("W1L", "MLP, batch 1024", "mlp", {"batch": 1024}, 1.1, matmul=True),
    Workload("W2", "MNIST CNN, batch 64, SGD", "cnn", {"batch": 64}, 1.3, matmul=True),
    Workload("W3", f"{CHAIN_LENGTH} elementwise ops on 16 values", "chain", {"length": CHAIN_LENGTH}, 0.7,
             unit="µs/op", scale=1e6 / CHAIN_LENGTH),
    Workload("W4", "LSTM 32→128, 50 steps, batch 32, Adam", "lstm", {}, 1.5),
    Workload("W5", "autoencoder 784-256-64-256-784, batch 128, Adam", "autoencoder", {"batch": 128}, 1.2),
    Workload("W6", "start-up: import time, peak memory of W1 × 10 steps", "startup", {}, None, kind="startup"),
    Workload("W7", "MNIST, W2 network, one epoch, batch 64", "mnist_epoch", {"batch": 64}, None, kind="epoch"),
]}

STARTUP_TARGETS = {"import": 0.25, "memory": 0.5}
FLOOR_TARGET = 1.1  # chainrule within 10% of the hand-written NumPy floor
