"""W2: PyTorch's MNIST example network, log-softmax + NLL, SGD momentum 0.9, batch 64."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..floor.cnn import CNN
from .training import training_step

LR = 0.01


def model(nn: Any) -> Any:
    return nn.Sequential(nn.Conv2d(1, 32, 3, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Dropout(0.25), nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(128, 10), nn.LogSoftmax(dim=1))


def shapes(batch: int) -> dict:
    return {"0.weight": (32, 1, 3, 3), "0.bias": (32,), "2.weight": (64, 32, 3, 3), "2.bias": (64,),
            "7.weight": (128, 9216), "7.bias": (128,), "10.weight": (10, 128), "10.bias": (10,)}


def data(rng: np.random.Generator, batch: int) -> dict:
    return {"x": rng.random((batch, 1, 28, 28), dtype=np.float32), "y": rng.integers(0, 10, batch)}


def optimizer(fw: Any) -> Callable:
    return lambda p: fw.optim.SGD(p, lr=LR, momentum=0.9)


def build(fw: Any, params: dict, data: dict, batch: int) -> Callable:
    return training_step(fw, model(fw.nn), params, fw.nn.functional.nll_loss, optimizer(fw), data["x"], data["y"])


def floor(params: dict, data: dict, batch: int) -> CNN:
    return CNN(params, data["x"], data["y"], lr=LR, momentum=0.9)
