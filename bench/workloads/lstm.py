"""W4: LSTM (input 32, hidden 128, one layer) over 50 steps, batch 32, linear head on the last step,
cross-entropy, Adam."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..floor.lstm import LSTM
from .training import training_step

STEPS, BATCH, INPUT, HIDDEN, CLASSES = 50, 32, 32, 128, 10


def model(nn: Any) -> Any:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(INPUT, HIDDEN)
            self.head = nn.Linear(HIDDEN, CLASSES)

        def forward(self, x: Any) -> Any:
            out, _ = self.lstm(x)
            return self.head(out[-1])
    return Net()


def shapes() -> dict:
    return {"lstm.weight_ih_l0": (4 * HIDDEN, INPUT), "lstm.weight_hh_l0": (4 * HIDDEN, HIDDEN),
            "lstm.bias_ih_l0": (4 * HIDDEN,), "lstm.bias_hh_l0": (4 * HIDDEN,),
            "head.weight": (CLASSES, HIDDEN), "head.bias": (CLASSES,)}


def data(rng: np.random.Generator) -> dict:
    return {"x": rng.standard_normal((STEPS, BATCH, INPUT), dtype=np.float32),
            "y": rng.integers(0, CLASSES, BATCH)}


def build(fw: Any, params: dict, data: dict) -> Callable:
    return training_step(fw, model(fw.nn), params, fw.nn.functional.cross_entropy, fw.optim.Adam,
                         data["x"], data["y"])


def floor(params: dict, data: dict) -> LSTM:
    return LSTM(params, data["x"], data["y"])
