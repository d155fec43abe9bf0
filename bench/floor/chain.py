"""Floor of W3: a chain of elementwise operations, each forward keeping its local derivative, then the
backward pass as the product of those derivatives (add and subtract pass the gradient through)."""
from __future__ import annotations

import numpy as np

# op name -> forward (y from x) and local derivative (from x and y); None: derivative 1
RULES = {
    "add": (lambda x, c: x + c, None),
    "sub": (lambda x, c: x - c, None),
    "mul": (lambda x, c: x * c, lambda x, y, c: c),
    "square": (lambda x, c: x * x, lambda x, y, c: 2 * x),
    "tanh": (lambda x, c: np.tanh(x), lambda x, y, c: 1 - y * y),
    "sigmoid": (lambda x, c: 1 / (1 + np.exp(-x)), lambda x, y, c: y * (1 - y)),
    "exp": (lambda x, c: np.exp(x), lambda x, y, c: y),
    "sin": (lambda x, c: np.sin(x), lambda x, y, c: np.cos(x)),
}


class Chain:
    """`ops` is a list of (name, constant); a step is the chain, its sum, and d sum / d x."""

    def __init__(self, x: np.ndarray, ops: list) -> None:
        self.x, self.ops = x, ops

    def step(self) -> float:
        x = self.x
        derivs = []
        for name, c in self.ops:
            fwd, local = RULES[name]
            y = fwd(x, c)
            if local is not None:
                derivs.append(local(x, y, c))
            x = y
        g = np.ones_like(x)
        for d in reversed(derivs):
            g = g * d
        self.grad = g
        return float(x.sum())
