"""W5: autoencoder 784-256-64-256-784, ReLU inside, sigmoid output, MSE against the input, Adam."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..floor.mlp import MLP
from .training import dense_shapes, training_step

SIZES = [784, 256, 64, 256, 784]


def model(nn: Any) -> Any:
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 64), nn.ReLU(),
                         nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid())


def shapes(batch: int) -> dict:
    return dense_shapes(SIZES)


def data(rng: np.random.Generator, batch: int) -> dict:
    return {"x": rng.random((batch, 784), dtype=np.float32)}


def build(fw: Any, params: dict, data: dict, batch: int) -> Callable:
    return training_step(fw, model(fw.nn), params, fw.nn.functional.mse_loss, fw.optim.Adam,
                         data["x"], data["x"])


def floor(params: dict, data: dict, batch: int) -> MLP:
    return MLP(params, data["x"], data["x"], "sigmoid_mse", "adam")
