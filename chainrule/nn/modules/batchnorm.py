"""Batch normalization layers: `BatchNorm1d`, `BatchNorm2d`, `BatchNorm3d`.

Training mode normalizes with the batch's statistics and folds them into the
running ones (exponential average with `momentum`, or a cumulative average
when momentum is None); evaluation mode normalizes with the running ones.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ...dtypes import as_dtype, get_default_dtype
from ...tensor import Tensor
from ..functional.normalization import batch_norm
from .module import Module
from .normalization import affine_parameters, reset_affine


class _BatchNorm(Module):
    """Shared by the batch norm layers: parameters weight/bias (num_features,), buffers running_mean,
    running_var and num_batches_tracked, as PyTorch names and initializes them."""

    _version = 2
    ranks: tuple = ()
    shapes: str = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        affine_parameters(self, (num_features,), affine, bias, dtype, device)
        if track_running_stats:
            dtype = get_default_dtype() if dtype is None else as_dtype(dtype)
            self.register_buffer("running_mean", Tensor._make(np.zeros(num_features, dtype)))
            self.register_buffer("running_var", Tensor._make(np.ones(num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor._make(np.array(0, np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        reset_affine(self)

    def _check_input(self, input: Tensor) -> None:
        """Wrong rank: ValueError; wrong channel count: RuntimeError (PyTorch's exception types)."""
        c = self.num_features
        if not isinstance(input, Tensor):
            raise TypeError(f"{self}: input must be a Tensor, not {type(input).__name__}")
        if input.ndim not in self.ranks or input.shape[1] != c:
            error = ValueError if input.ndim not in self.ranks else RuntimeError
            raise error(f"{self} expected input with {c} channels ({self.shapes.format(c=c)}), "
                        f"got shape {tuple(input.shape)}")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked)
        # batch statistics in training, and in eval when there are no running ones
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                          self.weight, self.bias, use_batch, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input, per channel C = num_features."""
    ranks = (2, 3)
    shapes = "shape (N, {c}) or (N, {c}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input, per channel C = num_features."""
    ranks = (4,)
    shapes = "shape (N, {c}, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W) input, per channel C = num_features."""
    ranks = (5,)
    shapes = "shape (N, {c}, D, H, W)"
