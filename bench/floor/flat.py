"""All parameters in one flat float32 buffer, gradients in another, and the optimizers that update them.

One buffer means an optimizer step is a handful of ufunc calls over all parameters at once.
"""
from __future__ import annotations

import math

import numpy as np


class FlatParams:
    """Named views into one parameter buffer (`data`) and one gradient buffer (`grad`)."""

    def __init__(self, arrays: dict) -> None:
        total = sum(a.size for a in arrays.values())
        self.data = np.empty(total, np.float32)
        self.grad = np.zeros(total, np.float32)
        self.params: dict = {}
        self.grads: dict = {}
        offset = 0
        for name, a in arrays.items():
            end = offset + a.size
            self.params[name] = self.data[offset:end].reshape(a.shape)
            self.params[name][...] = a
            self.grads[name] = self.grad[offset:end].reshape(a.shape)
            offset = end


class SGD:
    """PyTorch's SGD with momentum: buf = momentum·buf + g; p -= lr·buf."""

    def __init__(self, flat: FlatParams, lr: float, momentum: float) -> None:
        self.flat, self.lr, self.momentum = flat, lr, momentum
        self.buf = np.zeros_like(flat.data)
        self.tmp = np.empty_like(flat.data)

    def step(self) -> None:
        buf = self.buf
        buf *= self.momentum
        buf += self.flat.grad
        np.multiply(buf, self.lr, out=self.tmp)
        self.flat.data -= self.tmp


class Adam:
    """PyTorch's Adam: m, v moving averages of g and g²; p -= lr/(1-β1ᵗ) · m / (√(v/(1-β2ᵗ)) + eps).

    Written as p -= (lr·√(1-β2ᵗ)/(1-β1ᵗ)) · m / (√v + eps·√(1-β2ᵗ)), the same value in fewer passes.
    """

    def __init__(self, flat: FlatParams, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.flat, self.lr, self.betas, self.eps = flat, lr, betas, eps
        self.m = np.zeros_like(flat.data)
        self.v = np.zeros_like(flat.data)
        self.tmp = np.empty_like(flat.data)
        self.t = 0

    def step(self) -> None:
        b1, b2 = self.betas
        self.t += 1
        root_bc2 = math.sqrt(1 - b2 ** self.t)
        g, m, v, tmp = self.flat.grad, self.m, self.v, self.tmp
        m *= b1
        np.multiply(g, 1 - b1, out=tmp)
        m += tmp
        v *= b2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - b2
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += self.eps * root_bc2
        np.divide(m, tmp, out=tmp)
        tmp *= self.lr * root_bc2 / (1 - b1 ** self.t)
        self.flat.data -= tmp
