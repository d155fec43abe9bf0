"""W3: a chain of elementwise operations on a 16-element tensor, then sum and backward: pure overhead.

The cycle keeps values finite and gradients within float32's normal range over 200 operations.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..floor.chain import Chain

CYCLE = [("add", 0.5), ("mul", 1.5), ("tanh", None), ("sub", 0.25), ("sigmoid", None), ("mul", 3.0),
         ("exp", None), ("sin", None), ("square", None), ("tanh", None)]


def ops(length: int) -> list:
    return [CYCLE[k % len(CYCLE)] for k in range(length)]


def operation(fw: Any, name: str, c: Any) -> Callable:
    """The operation as a PyTorch user writes it: Python operators and top-level functions."""
    return {"add": lambda y: y + c, "sub": lambda y: y - c, "mul": lambda y: y * c, "square": lambda y: y * y,
            "tanh": fw.tanh, "sigmoid": fw.sigmoid, "exp": fw.exp, "sin": fw.sin}[name]


def shapes(length: int) -> dict:
    return {}


def data(rng: np.random.Generator, length: int) -> dict:
    return {"x": rng.uniform(-1, 1, 16).astype(np.float32)}


def build(fw: Any, params: dict, data: dict, length: int) -> Callable:
    x = fw.from_numpy(data["x"]).requires_grad_()
    chain = [operation(fw, name, c) for name, c in ops(length)]

    def step() -> Any:
        x.grad = None
        y = x
        for op in chain:
            y = op(y)
        loss = y.sum()
        loss.backward()
        return loss
    return step


def floor(params: dict, data: dict, length: int) -> Chain:
    return Chain(data["x"], ops(length))
