"""W1: MLP 784-512-256-10, ReLU, cross-entropy, SGD momentum 0.9 (batch 128; W1s 16; W1L 1024)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..floor.mlp import MLP
from .training import dense_shapes, training_step

SIZES = [784, 512, 256, 10]
LR = 0.01


def model(nn: Any) -> Any:
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))


def shapes(batch: int) -> dict:
    return dense_shapes(SIZES)


def data(rng: np.random.Generator, batch: int) -> dict:
    return {"x": rng.random((batch, 784), dtype=np.float32), "y": rng.integers(0, 10, batch)}


def build(fw: Any, params: dict, data: dict, batch: int) -> Callable:
    return training_step(fw, model(fw.nn), params, fw.nn.functional.cross_entropy,
                         lambda p: fw.optim.SGD(p, lr=LR, momentum=0.9), data["x"], data["y"])


def floor(params: dict, data: dict, batch: int) -> MLP:
    return MLP(params, data["x"], data["y"], "cross_entropy", "sgd", lr=LR, momentum=0.9)
