"""Lookup tables: `embedding` (rows of a weight matrix picked by index) and `one_hot`."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ...autograd.function import Function
from ...ops.indexing import index_backward
from ...tensor import Tensor


class Embedding(Function):
    """out[..., :] = weight[idx[...], :]; backward adds each gradient row into the row it was read from.

    A row read several times gets the sum of its gradients. `row_scale`, when
    set, multiplies each gradient row first: 0 for padding_idx (its row never
    learns) and 1/count under scale_grad_by_freq.
    """
    __slots__ = ("idx", "shape", "row_scale")

    @staticmethod
    def forward(ctx, weight, idx, row_scale):
        ctx.idx, ctx.shape, ctx.row_scale = idx.reshape(-1), weight.shape, row_scale
        return np.take(weight, idx, axis=0)

    @staticmethod
    def backward(ctx, g):
        g2 = g.reshape((-1, ctx.shape[1]))
        if ctx.row_scale is not None:
            g2 = g2 * ctx.row_scale
        return index_backward(g2, ctx.shape, ctx.idx), None, None


def _as_index_array(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _row_scale(idx: np.ndarray, padding_idx: Optional[int], by_freq: bool, dtype: np.dtype) -> Optional[np.ndarray]:
    """Per-looked-up-row gradient factor (n, 1), or None when every factor is 1."""
    if padding_idx is None and not by_freq:
        return None
    flat = idx.reshape(-1)
    scale = np.ones(flat.shape, dtype=dtype)
    if by_freq:
        _, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True)
        scale /= counts[inverse.reshape(-1)].astype(dtype)
    if padding_idx is not None:
        scale[flat == padding_idx] = 0
    return scale[:, None]


def _renorm_(weight: Tensor, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Rescale, in place, the looked-up rows whose norm exceeds max_norm down to max_norm."""
    rows = np.unique(idx)
    w = weight._data
    norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
    over = norms > max_norm
    if over.any():
        w[rows[over]] *= (max_norm / (norms[over] + 1e-7)).astype(w.dtype)[:, None]
        weight._bump()


def embedding(input: Tensor, weight: Tensor, padding_idx: Optional[int] = None, max_norm: Optional[float] = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of `weight` (num_embeddings, embedding_dim) at the integer indices `input`: shape (*, embedding_dim).

    padding_idx: that row's gradient stays zero. max_norm: looked-up rows with
    a larger norm are first rescaled in place. sparse: accepted; the gradient
    is always a dense array.
    """
    idx = _as_index_array(input)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"embedding: expected integer indices (int64 or int32), got dtype {idx.dtype}")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: expected a 2-D weight (num_embeddings, embedding_dim), "
                           f"got shape {tuple(weight.shape)}")
    n = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(f"embedding: index {bad} is out of range for a table of {n} rows (valid: 0 to {n - 1})")
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError(f"Padding_idx must be within num_embeddings: got {padding_idx} for {n} rows")
        padding_idx %= n
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    return Embedding.apply(weight, idx, _row_scale(idx, padding_idx, scale_grad_by_freq, weight.dtype))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape (*, num_classes): 1 at each index, 0 elsewhere (num_classes=-1: max + 1)."""
    idx = _as_index_array(tensor)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensor of integer dtype, got {idx.dtype}")
    if idx.size and idx.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    elif idx.size and idx.max() >= num_classes:
        raise RuntimeError(f"Class values must be smaller than num_classes: got class {int(idx.max())} "
                           f"with num_classes={num_classes}.")
    out = np.zeros(idx.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, idx[..., None].astype(np.intp), 1, axis=-1)
    return Tensor._make(out)
