"""Attention: `scaled_dot_product_attention` and the multi-head attention behind `nn.MultiheadAttention`.

softmax(Q Kᵀ · scale + mask) V, written with the library's own operations
(matmul, softmax, dropout, masked_fill), so backpropagation through it is
theirs: no attention-specific backward to trust.
"""
from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from ...ops import matmul, softmax, transpose
from ...tensor import Tensor
from .dropout import dropout
from .linear import linear


def _additive(mask: Any, dtype: Any, masked_if: bool) -> Optional[Tensor]:
    """A mask as what is added to the scores: a float mask as it is, a boolean one as -inf where
    it equals `masked_if` and 0 elsewhere."""
    if mask is None:
        return None
    mask = mask if isinstance(mask, Tensor) else Tensor._make(np.asarray(mask))
    if mask.dtype == np.bool_:
        where = mask._data if masked_if else ~mask._data
        return Tensor._make(np.where(where, -np.inf, 0.0).astype(dtype))
    return mask


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Any = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: Optional[float] = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q Kᵀ · scale + mask) V over the last two dimensions, scale 1/√E by default. A boolean
    attn_mask says which positions may take part (True: attend); a float one is added to the scores."""
    if is_causal and attn_mask is not None:
        raise RuntimeError("scaled_dot_product_attention: explicit attn_mask should not be set when is_causal=True")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: query (…, L, E), key (…, S, E) and value (…, S, Ev) "
                           f"expected, got shapes {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = matmul(query, transpose(key, -2, -1)) * scale
    if is_causal:
        attn_mask = Tensor._make(np.tril(np.ones((query.shape[-2], key.shape[-2]), dtype=bool)))
    bias = _additive(attn_mask, query.dtype, masked_if=False)
    if bias is not None:
        scores = scores + bias
    weights = softmax(scores, -1)
    if dropout_p > 0:
        weights = dropout(weights, dropout_p)
    return matmul(weights, value)


def multi_head_attention(query: Tensor, key: Tensor, value: Tensor, num_heads: int, in_proj: tuple,
                         out_proj: tuple, key_padding_mask: Any = None, attn_mask: Any = None,
                         dropout_p: float = 0.0, need_weights: bool = True, average_attn_weights: bool = True,
                         is_causal: bool = False) -> tuple:
    """PyTorch's multi-head attention on (L, N, E) query and (S, N, E) key / value: each projected by
    in_proj = ((W_q, b_q), (W_k, b_k), (W_v, b_v)), split into heads, attended, merged and projected by
    out_proj = (W_o, b_o). Boolean masks mark what is masked out (True), as nn.MultiheadAttention's do.
    Returns (output (L, N, E), weights (N, L, S) averaged over heads, or (N, H, L, S), or None)."""
    tgt_len, batch, embed = query.shape
    src_len = key.shape[0]
    head_dim = embed // num_heads

    def heads(x: Tensor, length: int) -> Tensor:  # (length, N, E) -> (N·H, length, head_dim)
        return transpose(x.reshape(length, batch * num_heads, head_dim), 0, 1)

    (w_q, b_q), (w_k, b_k), (w_v, b_v) = in_proj
    q = heads(linear(query, w_q, b_q), tgt_len)
    k = heads(linear(key, w_k, b_k), src_len)
    v = heads(linear(value, w_v, b_v), src_len)
    if is_causal and attn_mask is None:
        attn_mask = Tensor._make(~np.tril(np.ones((tgt_len, src_len), dtype=bool)))
    bias = _additive(attn_mask, q.dtype, masked_if=True)
    if bias is not None and bias.ndim == 3:  # (N·H, L, S): one mask per batch entry and head
        bias = bias.reshape(batch, num_heads, tgt_len, src_len)
    padding = _additive(key_padding_mask, q.dtype, masked_if=True)
    if padding is not None:  # (N, S): the same keys ignored by every head and query
        padding = padding.reshape(batch, 1, 1, src_len)
        bias = padding if bias is None else bias + padding
    scores = matmul(q * (1 / math.sqrt(head_dim)), transpose(k, -2, -1)).reshape(batch, num_heads, tgt_len, src_len)
    if bias is not None:
        scores = scores + bias
    weights = softmax(scores, -1)
    attended = weights if dropout_p <= 0 else dropout(weights, dropout_p)
    out = matmul(attended.reshape(batch * num_heads, tgt_len, src_len), v)  # (N·H, L, head_dim)
    out = transpose(out, 0, 1).reshape(tgt_len * batch, embed)
    out = linear(out, *out_proj).reshape(tgt_len, batch, embed)
    if not need_weights:
        return out, None
    return out, (weights.mean(1) if average_attn_weights else weights)
