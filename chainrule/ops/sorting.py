"""Sorting: `sort`, `argsort`, `topk`. The order is found on the values (NumPy's stable sort; NaN counts
as the largest value, as in PyTorch); the sorted values are then gathered from the input, so their
gradient flows back to where each value came from."""
from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from ..tensor import Tensor
from .indexing import gather
from .shape import _dim

SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])


def _order(data: np.ndarray, d: int, descending: bool) -> np.ndarray:
    """Stable argsort along d; descending keeps equal values in their original order too."""
    if not descending:
        return np.argsort(data, axis=d, kind="stable")
    n = data.shape[d]
    return n - 1 - np.flip(np.argsort(np.flip(data, d), axis=d, kind="stable"), d)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """Indices that sort `input` along `dim` (equal values keep their order: a stable sort always)."""
    if input.ndim == 0:
        return Tensor._make(np.zeros((), np.int64))
    return Tensor._make(_order(input._data, _dim(dim, input.ndim), descending).astype(np.int64, copy=False))


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> SortResult:
    """(values, indices) of `input` sorted along `dim`; the values carry the gradient."""
    indices = argsort(input, dim, descending)
    if input.ndim == 0:
        return SortResult(input * 1, indices)
    return SortResult(gather(input, _dim(dim, input.ndim), indices), indices)


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> TopkResult:
    """(values, indices) of the k largest (or smallest) entries along `dim`, largest first."""
    d = _dim(dim, input.ndim) if input.ndim else 0
    size = input.shape[d] if input.ndim else 1
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 0 <= k <= size:
        raise RuntimeError(f"topk: selected index k out of range: k={k!r} for dimension {dim} of size {size}")
    if input.ndim == 0:
        return TopkResult(input * 1, Tensor._make(np.zeros((), np.int64)))
    order = _order(input._data, d, largest)
    indices = Tensor._make(np.take(order, np.arange(k), axis=d).astype(np.int64, copy=False))
    return TopkResult(gather(input, d, indices), indices)


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
           dim: Any = None) -> Any:
    """The distinct values of `input` (flattened), ascending; with return_inverse / return_counts as PyTorch."""
    if dim is not None:
        raise NotImplementedError("unique(dim=...) is not supported: unique works on the flattened tensor")
    values, inverse, counts = np.unique(input._data, return_inverse=True, return_counts=True)
    out = [Tensor._make(values)]
    if return_inverse:
        out.append(Tensor._make(inverse.reshape(input.shape).astype(np.int64, copy=False)))
    if return_counts:
        out.append(Tensor._make(counts.astype(np.int64, copy=False)))
    return out[0] if len(out) == 1 else tuple(out)
