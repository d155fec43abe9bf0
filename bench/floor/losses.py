"""Loss heads written out by hand: value and gradient w.r.t. the logits in one pass."""
from __future__ import annotations

import numpy as np


def cross_entropy(z: np.ndarray, y: np.ndarray, dz: np.ndarray) -> float:
    """Mean of -log softmax(z)[y] (also log-softmax + NLL); writes d loss / d z into `dz`.

    d/dz = (softmax(z) - onehot(y)) / batch.
    """
    n = z.shape[0]
    rows = np.arange(n)
    top = z.max(axis=1, keepdims=True)
    np.subtract(z, top, out=dz)
    picked = dz[rows, y]
    np.exp(dz, out=dz)
    total = dz.sum(axis=1, keepdims=True)
    loss = float(np.log(total).sum() - picked.sum()) / n
    dz /= total
    dz[rows, y] -= 1
    dz *= 1 / n
    return loss


def sigmoid_mse(z: np.ndarray, target: np.ndarray, dz: np.ndarray, tmp: np.ndarray) -> float:
    """Mean of (sigmoid(z) - target)², sigmoid taken in place in `z`; writes d loss / d z into `dz`.

    d/dz = 2 (s - target) s (1 - s) / numel.
    """
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1
    np.reciprocal(z, out=z)
    np.subtract(z, target, out=dz)
    flat = dz.reshape(-1)
    loss = float(np.dot(flat, flat)) / dz.size
    np.subtract(1, z, out=tmp)
    tmp *= z
    dz *= tmp
    dz *= 2 / dz.size
    return loss
