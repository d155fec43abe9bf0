"""In-place NumPy building blocks of the optimizer updates.

Every update writes into existing memory (`out=`): parameters, state buffers
and a few reusable work arrays, so a step allocates nothing per parameter.
NumPy treats Python floats as weak scalars, so float32 stays float32.
Scaled additions run as BLAS's axpy / axpby (`backends/blas.py`): one pass
on the BLAS threads instead of two or three single-threaded NumPy passes.
"""
from __future__ import annotations

import numpy as np

from ..backends.blas import axpby_, axpy_


class Scratch:
    """Reusable work arrays: one flat buffer per (dtype, slot), grown to the largest parameter.

    Parameters are updated one after another, so a work array shaped like the
    current parameter is a view into the shared buffer, not new memory.
    """

    __slots__ = ("_buffers",)

    def __init__(self) -> None:
        self._buffers: dict = {}

    def get(self, like: np.ndarray, slot: int) -> np.ndarray:
        key = (like.dtype, slot)
        buf = self._buffers.get(key)
        if buf is None or buf.size < like.size:
            buf = self._buffers[key] = np.empty(like.size, like.dtype)
        return buf[:like.size].reshape(like.shape)


def update_direction(param: np.ndarray, grad: np.ndarray, weight_decay: float, maximize: bool,
                     out: np.ndarray) -> np.ndarray:
    """The gradient an update follows: (-grad if maximize else grad) + weight_decay * param.

    Returns `grad` itself when there is nothing to change (it is never written to).
    """
    if weight_decay == 0:
        return np.negative(grad, out=out) if maximize else grad
    np.multiply(param, weight_decay, out=out)
    (np.subtract if maximize else np.add)(out, grad, out=out)
    return out


def add_scaled_(a: np.ndarray, x: np.ndarray, alpha: float, tmp: np.ndarray) -> None:
    """a += alpha * x (tmp may be x itself when x is a work array)."""
    axpy_(a, alpha, x, tmp)


def lerp_(a: np.ndarray, b: np.ndarray, weight: float, tmp: np.ndarray) -> None:
    """a += weight * (b - a), as a = (1 - weight) a + weight b: a running average moving toward b."""
    axpby_(a, 1 - weight, weight, b, tmp)


def mix_square_(avg: np.ndarray, x: np.ndarray, decay: float, weight: float, tmp: np.ndarray) -> None:
    """avg = decay * avg + weight * x * x: a running (or accumulated) mean of squares."""
    np.multiply(x, x, out=tmp)
    axpby_(avg, decay, weight, tmp, tmp)
