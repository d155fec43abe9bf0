"""Floor of W1 (MLP, cross-entropy, SGD momentum) and W5 (autoencoder, sigmoid + MSE, Adam).

Dense layers y = x Wᵀ + b with ReLU between them; each layer writes into buffers made once.
Backward per layer: dW = dyᵀ x, db = Σ dy, dx = dy W, then the ReLU mask (y > 0).

Activations are batch-major or feature-major (each buffer the transpose of a (features, batch)
array), whichever runs faster, timed at setup: OpenBLAS multiplies W xᵀ much faster than x Wᵀ when
the batch is small (1.85× at batch 16, 784→512, one thread) but slightly slower at batch 1024, and
the crossing point depends on the layer sizes.
"""
from __future__ import annotations

import time

import numpy as np

from .base import Floor
from .flat import SGD, Adam
from .losses import cross_entropy, sigmoid_mse


def matmul_into(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """out = a @ b with BLAS writing straight into `out`, C-ordered or a transposed view (outᵀ = bᵀ aᵀ)."""
    if out.flags.c_contiguous:
        np.matmul(a, b, out=out)
    else:
        np.matmul(b.T, a.T, out=out.T)


def _buffer(batch: int, features: int, feature_major: bool) -> np.ndarray:
    """A (batch, features) float32 array, stored as the transpose of a (features, batch) one if asked."""
    if feature_major:
        return np.empty((features, batch), np.float32).T
    return np.empty((batch, features), np.float32)


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
        self.head = head
        self.opt = SGD(self.flat, lr, momentum) if optimizer == "sgd" else Adam(self.flat)
        seconds = {fm: self._time_gradients(x, target, fm) for fm in (True, False)}
        self.feature_major = seconds[True] < seconds[False]
        self._allocate(x, target, self.feature_major)

    def _time_gradients(self, x: np.ndarray, target: np.ndarray, feature_major: bool) -> float:
        """Fastest of 5 forward-backward passes in that layout, in CPU time (other processes barely
        change it); no update, so the training itself is not changed."""
        self._allocate(x, target, feature_major)
        self.loss_and_grads()
        best = float("inf")
        for _ in range(5):
            start = time.process_time()
            self.loss_and_grads()
            best = min(best, time.process_time() - start)
        return best

    def _allocate(self, x: np.ndarray, target: np.ndarray, feature_major: bool) -> None:
        batch = x.shape[0]
        self.x = np.ascontiguousarray(x.T).T if feature_major else x
        self.target = self.x if target is x else target
        self.out = [_buffer(batch, w.shape[0], feature_major) for w in self.weights]
        self.dout = [_buffer(batch, w.shape[0], feature_major) for w in self.weights]
        self.tmp = _buffer(batch, self.weights[-1].shape[0], feature_major)

    def loss_and_grads(self) -> float:
        inputs = [self.x] + self.out[:-1]
        last = len(self.weights) - 1
        for i, (w, b, y) in enumerate(zip(self.weights, self.biases, self.out)):
            matmul_into(inputs[i], w.T, y)
            y += b
            if i < last:
                np.maximum(y, 0, out=y)
        if self.head == "cross_entropy":
            loss = cross_entropy(self.out[-1], self.target, self.dout[-1])
        else:
            loss = sigmoid_mse(self.out[-1], self.target, self.dout[-1], self.tmp)
        for i in range(last, -1, -1):
            dy = self.dout[i]
            matmul_into(dy.T, inputs[i], self.gweights[i])
            np.sum(dy, axis=0, out=self.gbiases[i])
            if i > 0:
                dx = self.dout[i - 1]
                matmul_into(dy, self.weights[i], dx)
                np.multiply(dx, inputs[i] > 0, out=dx)
        return loss

    def matmuls(self) -> None:
        """Only the matrix products of one step, on the same buffers: the BLAS part of the step."""
        inputs = [self.x] + self.out[:-1]
        for i, w in enumerate(self.weights):
            matmul_into(inputs[i], w.T, self.out[i])
        for i in range(len(self.weights) - 1, -1, -1):
            matmul_into(self.dout[i].T, inputs[i], self.gweights[i])
            if i > 0:
                matmul_into(self.dout[i], self.weights[i], self.dout[i - 1])
