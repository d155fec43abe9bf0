"""Floor of W2: PyTorch's MNIST example network, convolutions by im2col, SGD momentum.

Activations are channels-last (N, H, W, C), so im2col is 9 slice copies (one per kernel position)
into an (N·H·W, k·k·C) matrix and the convolution one BLAS product; its input gradient is the
product back into that matrix and col2im, 9 slice additions. For the second convolution this runs
over chunks of a few images, so the column matrix stays in cache (the whole batch's would be 42 MB):
backward rebuilds each chunk's columns instead of reading them back from memory. PyTorch's (C, H, W)
flatten order for the first linear layer is folded into that layer's weight once, at the edges, and
that weight is kept as (in, out): its three products take 11% less time than with (out, in).
"""
from __future__ import annotations

import numpy as np

from .base import Floor
from .flat import SGD
from .losses import cross_entropy

K = 3
CHUNK = 4  # images per im2col block of the second convolution (measured: 2-8 are alike, the whole batch is slower)
POSITIONS = [(i, j) for i in range(K) for j in range(K)]


class CNN(Floor):
    """conv(1→32) relu conv(32→64) relu maxpool2 dropout flatten fc(9216→128) relu dropout fc(128→10)."""

    def __init__(self, params: dict, x: np.ndarray, y: np.ndarray, lr: float = 0.01, momentum: float = 0.9,
                 dropout: tuple = (0.25, 0.5), seed: int = 0) -> None:
        self.flat = self._flatten(params)
        p, g = self.flat.params, self.flat.grads
        self.w1, self.b1, self.w2, self.b2 = p["0.weight"], p["0.bias"], p["2.weight"], p["2.bias"]
        self.w3, self.b3, self.w4, self.b4 = p["7.weight"], p["7.bias"], p["10.weight"], p["10.bias"]
        self.gw1, self.gb1, self.gw2, self.gb2 = g["0.weight"], g["0.bias"], g["2.weight"], g["2.bias"]
        self.gw3, self.gb3, self.gw4, self.gb4 = g["7.weight"], g["7.bias"], g["10.weight"], g["10.bias"]
        n = x.shape[0]
        if n % CHUNK:
            raise ValueError(f"the CNN floor takes batches in multiples of {CHUNK} images, got {n}")
        self.x, self.y, self.dropout = x.reshape(n, 28, 28), y, dropout
        self.rng = np.random.default_rng(seed)
        e = np.empty
        self.cols1 = e((n, 26, 26, 9), np.float32)
        self.h1 = e((n, 26, 26, 32), np.float32)
        self.cols2 = e((CHUNK, 24, 24, K, K, 32), np.float32)
        self.dcols2 = e(self.cols2.shape, np.float32)
        self.gw2_part = e(self.gw2.shape, np.float32)
        self.h2 = e((n, 24, 24, 64), np.float32)
        self.pool = e((n, 12, 12, 64), np.float32)
        self.u1, self.keep1 = e(self.pool.shape, np.float32), e(self.pool.shape, bool)
        self.a1 = e((n, 9216), np.float32)
        self.h3 = e((n, 128), np.float32)
        self.u2, self.keep2, self.a3 = e((n, 128), np.float32), e((n, 128), bool), e((n, 128), np.float32)
        self.z, self.dz = e((n, 10), np.float32), e((n, 10), np.float32)
        self.da3, self.da1 = e((n, 128), np.float32), e((n, 9216), np.float32)
        self.eq = e(self.pool.shape, bool)
        self.dh2 = e(self.h2.shape, np.float32)
        self.dh1 = e(self.h1.shape, np.float32)
        self.opt = SGD(self.flat, lr, momentum)

    # PyTorch layouts: conv weight (out, in, k, k) -> (out, k·k·in); fc1 (out, C·H·W) -> (H·W·C, out)
    def to_internal(self, name: str, a: np.ndarray) -> np.ndarray:
        if name == "0.weight":
            return a.reshape(32, 9)
        if name == "2.weight":
            return a.transpose(0, 2, 3, 1).reshape(64, 9 * 32)
        if name == "7.weight":
            return a.reshape(128, 64, 12, 12).transpose(0, 2, 3, 1).reshape(128, 9216).T
        return a

    def to_torch(self, name: str, a: np.ndarray) -> np.ndarray:
        if name == "0.weight":
            return a.reshape(32, 1, K, K)
        if name == "2.weight":
            return a.reshape(64, K, K, 32).transpose(0, 3, 1, 2)
        if name == "7.weight":
            return a.T.reshape(128, 12, 12, 64).transpose(0, 3, 1, 2).reshape(128, 9216)
        return a

    def _dropout(self, x: np.ndarray, p: float, u: np.ndarray, keep: np.ndarray, out: np.ndarray) -> None:
        if p == 0:
            np.copyto(out, x)
            keep.fill(True)
            return
        self.rng.random(out=u, dtype=np.float32)
        np.greater_equal(u, p, out=keep)
        np.multiply(x, keep, out=out)
        out *= 1 / (1 - p)

    def loss_and_grads(self) -> float:
        n = self.x.shape[0]
        cols1, h1, h2, pool = self.cols1, self.h1, self.h2, self.pool
        # conv1: one input channel, so im2col is 9 strided copies of the image
        for k, (i, j) in enumerate(POSITIONS):
            cols1[..., k] = self.x[:, i:i + 26, j:j + 26]
        np.matmul(cols1.reshape(-1, 9), self.w1.T, out=h1.reshape(-1, 32))
        h1 += self.b1
        np.maximum(h1, 0, out=h1)
        for start in range(0, n, CHUNK):
            np.matmul(self._im2col2(start), self.w2.T, out=h2[start:start + CHUNK].reshape(-1, 64))
        h2 += self.b2
        np.maximum(h2, 0, out=h2)
        quads = [h2[:, a::2, b::2] for a in (0, 1) for b in (0, 1)]
        np.maximum(quads[0], quads[1], out=pool)
        np.maximum(pool, quads[2], out=pool)
        np.maximum(pool, quads[3], out=pool)
        p1, p2 = self.dropout
        self._dropout(pool.reshape(n, -1), p1, self.u1.reshape(n, -1), self.keep1.reshape(n, -1), self.a1)
        np.matmul(self.a1, self.w3, out=self.h3)
        self.h3 += self.b3
        np.maximum(self.h3, 0, out=self.h3)
        self._dropout(self.h3, p2, self.u2, self.keep2, self.a3)
        np.matmul(self.a3, self.w4.T, out=self.z)
        self.z += self.b4
        loss = cross_entropy(self.z, self.y, self.dz)
        # backward: fc2, dropout, relu, fc1, dropout
        np.matmul(self.dz.T, self.a3, out=self.gw4)
        np.sum(self.dz, axis=0, out=self.gb4)
        np.matmul(self.dz, self.w4, out=self.da3)
        self.da3 *= self.keep2
        np.multiply(self.da3, self.h3 > 0, out=self.da3)
        self.da3 *= 1 / (1 - p2)
        np.matmul(self.a1.T, self.da3, out=self.gw3)
        np.sum(self.da3, axis=0, out=self.gb3)
        np.matmul(self.da3, self.w3.T, out=self.da1)
        self.da1 *= self.keep1.reshape(n, -1)
        self.da1 *= 1 / (1 - p1)
        # max-pool and relu: the gradient goes to the positions holding a positive maximum
        dpool = self.da1.reshape(pool.shape)
        np.multiply(dpool, pool > 0, out=dpool)
        for q, (a, b) in zip(quads, [(0, 0), (0, 1), (1, 0), (1, 1)]):
            np.equal(q, pool, out=self.eq)
            np.multiply(self.eq, dpool, out=self.dh2[:, a::2, b::2])
        np.sum(self.dh2.reshape(-1, 64), axis=0, out=self.gb2)
        dh1 = self.dh1
        dh1.fill(0)
        for start in range(0, n, CHUNK):  # conv2 weight gradient and input gradient (col2im)
            g = self.dh2[start:start + CHUNK].reshape(-1, 64)
            np.matmul(g.T, self._im2col2(start), out=self.gw2 if start == 0 else self.gw2_part)
            if start:
                self.gw2 += self.gw2_part
            np.matmul(g, self.w2, out=self.dcols2.reshape(-1, 9 * 32))
            block = dh1[start:start + CHUNK]
            for i, j in POSITIONS:
                block[:, i:i + 24, j:j + 24, :] += self.dcols2[:, :, :, i, j, :]
        np.multiply(dh1, h1 > 0, out=dh1)
        dh1_2d = dh1.reshape(-1, 32)
        np.matmul(dh1_2d.T, cols1.reshape(-1, 9), out=self.gw1)
        np.sum(dh1_2d, axis=0, out=self.gb1)
        return loss

    def _im2col2(self, start: int) -> np.ndarray:
        """The columns of the second convolution for images start..start+CHUNK, as a matrix."""
        cols, h1 = self.cols2, self.h1
        for i, j in POSITIONS:
            cols[:, :, :, i, j, :] = h1[start:start + CHUNK, i:i + 24, j:j + 24, :]
        return cols.reshape(-1, 9 * 32)

    def matmuls(self) -> None:
        """Only the matrix products of one step, on the same buffers: the BLAS part of the step."""
        n = self.x.shape[0]
        cols2 = self.cols2.reshape(-1, 9 * 32)
        np.matmul(self.cols1.reshape(-1, 9), self.w1.T, out=self.h1.reshape(-1, 32))
        for start in range(0, n, CHUNK):
            np.matmul(cols2, self.w2.T, out=self.h2[start:start + CHUNK].reshape(-1, 64))
        np.matmul(self.a1, self.w3, out=self.h3)
        np.matmul(self.a3, self.w4.T, out=self.z)
        np.matmul(self.dz.T, self.a3, out=self.gw4)
        np.matmul(self.dz, self.w4, out=self.da3)
        np.matmul(self.a1.T, self.da3, out=self.gw3)
        np.matmul(self.da3, self.w3.T, out=self.da1)
        for start in range(0, n, CHUNK):
            g = self.dh2[start:start + CHUNK].reshape(-1, 64)
            np.matmul(g.T, cols2, out=self.gw2_part)
            np.matmul(g, self.w2, out=self.dcols2.reshape(-1, 9 * 32))
        np.matmul(self.dh1.reshape(-1, 32).T, self.cols1.reshape(-1, 9), out=self.gw1)
