"""Distances between vectors: `cosine_similarity` and `pairwise_distance` (the functional forms of
nn.CosineSimilarity and nn.PairwiseDistance), written with the library's operations."""
from __future__ import annotations

from ... import ops
from ...tensor import Tensor


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x1·x2 / (max(‖x1‖, eps)·max(‖x2‖, eps)) along `dim`, the inputs broadcast together."""
    x1, x2 = ops.broadcast_tensors(x1, x2)
    return (x1 * x2).sum(dim) / (ops.norm(x1, 2, dim).clamp_min(eps) * ops.norm(x2, 2, dim).clamp_min(eps))


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """‖x1 - x2 + eps‖_p along the last dimension."""
    return ops.norm(x1 - x2 + eps, p, -1, keepdim=keepdim)
