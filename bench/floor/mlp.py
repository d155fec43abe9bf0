"""Floor of W1 (MLP, cross-entropy, SGD momentum) and W5 (autoencoder, sigmoid + MSE, Adam).

Dense layers y = x Wᵀ + b with ReLU between them; each layer writes into buffers made once.
Backward per layer: dW = dyᵀ x, db = Σ dy, dx = dy W, then the ReLU mask (y > 0).
"""
from __future__ import annotations

import numpy as np

from .base import Floor
from .flat import SGD, Adam
from .losses import cross_entropy, sigmoid_mse


class MLP(Floor):
    """Linear layers named like a PyTorch Sequential ("0.weight", "0.bias", "2.weight", ...)."""

    def __init__(self, params: dict, x: np.ndarray, target: np.ndarray, head: str, optimizer: str,
                 lr: float = 0.01, momentum: float = 0.9) -> None:
        self.flat = self._flatten(params)
        names = list(self.flat.params)
        self.weights = [self.flat.params[n] for n in names[0::2]]
        self.biases = [self.flat.params[n] for n in names[1::2]]
        self.gweights = [self.flat.grads[n] for n in names[0::2]]
        self.gbiases = [self.flat.grads[n] for n in names[1::2]]
        self.x, self.target, self.head = x, target, head
        batch = x.shape[0]
        self.out = [np.empty((batch, w.shape[0]), np.float32) for w in self.weights]
        self.dout = [np.empty_like(o) for o in self.out]
        self.tmp = np.empty_like(self.out[-1])
        self.opt = SGD(self.flat, lr, momentum) if optimizer == "sgd" else Adam(self.flat)

    def loss_and_grads(self) -> float:
        inputs = [self.x] + self.out[:-1]
        last = len(self.weights) - 1
        for i, (w, b, y) in enumerate(zip(self.weights, self.biases, self.out)):
            np.matmul(inputs[i], w.T, out=y)
            y += b
            if i < last:
                np.maximum(y, 0, out=y)
        if self.head == "cross_entropy":
            loss = cross_entropy(self.out[-1], self.target, self.dout[-1])
        else:
            loss = sigmoid_mse(self.out[-1], self.target, self.dout[-1], self.tmp)
        for i in range(last, -1, -1):
            dy = self.dout[i]
            np.matmul(dy.T, inputs[i], out=self.gweights[i])
            np.sum(dy, axis=0, out=self.gbiases[i])
            if i > 0:
                dx = self.dout[i - 1]
                np.matmul(dy, self.weights[i], out=dx)
                np.multiply(dx, inputs[i] > 0, out=dx)
        return loss

    def matmuls(self) -> None:
        """Only the matrix products of one step, on the same buffers: the BLAS part of the step."""
        inputs = [self.x] + self.out[:-1]
        for i, w in enumerate(self.weights):
            np.matmul(inputs[i], w.T, out=self.out[i])
        for i in range(len(self.weights) - 1, -1, -1):
            np.matmul(self.dout[i].T, inputs[i], out=self.gweights[i])
            if i > 0:
                np.matmul(self.dout[i], self.weights[i], out=self.dout[i - 1])
