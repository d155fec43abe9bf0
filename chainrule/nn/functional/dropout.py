"""Dropout: zero each element (or each whole channel) with probability p, scale the rest by 1/(1-p).

The scaling keeps the expected value unchanged, so evaluation needs no
correction and is the identity. The mask, already scaled, is a constant
factor: the gradient is the incoming gradient times the same mask.
"""
from __future__ import annotations

import warnings

import numpy as np

from ...ops import random
from ...tensor import Tensor
from .activation import _maybe_inplace


def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _scaled_mask(shape: tuple, p: float, dtype: np.dtype) -> Tensor:
    """1/(1-p) where kept (probability 1-p), 0 where dropped, drawn from the default generator."""
    if p == 1.0:
        return Tensor._make(np.zeros(shape, dtype=dtype))
    keep = random.uniform_array(shape, 0.0, 1.0, np.float64 if dtype.itemsize > 4 else np.float32) >= p
    mask = keep.astype(dtype)
    mask *= 1.0 / (1.0 - p)
    return Tensor._make(mask)


def _apply(input: Tensor, mask_shape: tuple, p: float, training: bool, inplace: bool) -> Tensor:
    _check_p(p)
    if not training or p == 0.0:
        return input
    mask = _scaled_mask(mask_shape, p, input.dtype)
    return _maybe_inplace(input, lambda x: x * mask, inplace)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the kept ones by 1/(1-p) (identity if not training)."""
    return _apply(input, input.shape, p, training, inplace)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool) -> Tensor:
    """Drop whole channels: one draw per (sample, channel), shared by all positions in it."""
    if input.ndim < 2:
        raise RuntimeError(f"Feature dropout requires at least 2 dimensions in the input, "
                           f"got shape {tuple(input.shape)}")
    return _apply(input, input.shape[:2] + (1,) * (input.ndim - 2), p, training, inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Channel-wise dropout for (N, C, L) or unbatched (C, L) input."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input of shape "
                           f"{tuple(input.shape)}: dropout1d drops channels of (N, C, L) or (C, L) input")
    return _apply(input, input.shape[:-1] + (1,), p, training, inplace)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Channel-wise dropout for (N, C, H, W) input.

    As in PyTorch (with the same warnings), 3-D input is read as (N, C, L),
    and other ranks drop along dimension 1 of any input of at least 2 dimensions.
    """
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and will "
                      f"result in an error in a future release. To retain the behavior and silence this warning, "
                      f"please use dropout instead.", stacklevel=2)
    elif input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel "
                      "dim. To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d "
                      "instead.", stacklevel=2)
    return _feature_dropout(input, p, training, inplace)
