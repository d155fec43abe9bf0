"""Per-sample normalization layers: `LayerNorm` (over the trailing dimensions) and `GroupNorm` (over groups
of channels). Unlike batch norm they behave the same in training and evaluation."""
from __future__ import annotations

from typing import Any, Sequence, Union

from ...tensor import Tensor
from .. import init
from ..functional.normalization import group_norm, instance_norm, layer_norm, rms_norm
from .linear import _param
from .module import Module


def affine_parameters(module: Module, shape: tuple, affine: bool, bias: bool, dtype: Any, device: Any) -> None:
    """Register `weight` and `bias` of `shape` (bias only if asked), or None placeholders without affine."""
    module.register_parameter("weight", _param(shape, dtype, device) if affine else None)
    module.register_parameter("bias", _param(shape, dtype, device) if affine and bias else None)


def reset_affine(module: Module) -> None:
    """The norm layers' initial affine transform: the identity (weight ones, bias zeros)."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class LayerNorm(Module):
    """Normalize each sample over its trailing `normalized_shape` dimensions, then scale by weight and
    shift by bias (both of that shape, initialized to ones and zeros)."""

    def __init__(self, normalized_shape: Union[int, Sequence[int]], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        affine_parameters(self, self.normalized_shape, elementwise_affine, bias, dtype, device)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        k = len(self.normalized_shape)
        if not isinstance(input, Tensor) or input.ndim < k \
                or tuple(input.shape[input.ndim - k:]) != self.normalized_shape:
            got = f"shape {tuple(input.shape)}" if isinstance(input, Tensor) else type(input).__name__
            raise RuntimeError(f"{self} expected input of shape (*, {', '.join(map(str, self.normalized_shape))}), "
                               f"got {got}")
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    """Split the channels of (N, C, *) into num_groups groups and normalize each over its channels and
    positions; then a per-channel weight and bias (initialized to ones and zeros)."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device: Any = None, dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"num_channels must be divisible by num_groups, got num_channels={num_channels}, "
                             f"num_groups={num_groups}")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        affine_parameters(self, (num_channels,), affine, bias, dtype, device)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        c = self.num_channels
        if not isinstance(input, Tensor) or input.ndim < 2 or input.shape[1] != c:
            got = f"shape {tuple(input.shape)}" if isinstance(input, Tensor) else type(input).__name__
            raise RuntimeError(f"{self} expected input with {c} channels (shape (N, {c}, *)), got {got}")
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """Scale each sample by the root mean square over its trailing `normalized_shape` dimensions, then by
    weight (initialized to ones); eps None: the dtype's machine epsilon."""

    def __init__(self, normalized_shape: Union[int, Sequence[int]], eps: Any = None, elementwise_affine: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.register_parameter("weight", _param(self.normalized_shape, dtype, device) if elementwise_affine else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, input: Tensor) -> Tensor:
        return rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class _InstanceNorm(Module):
    """Normalize each channel of each sample over its positions; affine=True adds a per-channel weight and
    bias. Running statistics (track_running_stats=True) are not supported."""
    dims = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device: Any = None, dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        if track_running_stats:
            raise NotImplementedError(f"{type(self).__name__}(track_running_stats=True) is not supported")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        affine_parameters(self, (num_features,), affine, bias, dtype, device)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        c = self.num_features
        if input.ndim not in (self.dims + 1, self.dims + 2) or input.shape[-self.dims - 1] != c:
            raise RuntimeError(f"{self} expected input of shape (N, {c}, ...) with {self.dims} spatial dimension(s) "
                               f"(or unbatched), got shape {tuple(input.shape)}")
        batched = input.ndim == self.dims + 2
        out = instance_norm(input if batched else input.unsqueeze(0), weight=self.weight, bias=self.bias,
                            eps=self.eps)
        return out if batched else out.squeeze(0)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    dims = 1


class InstanceNorm2d(_InstanceNorm):
    dims = 2
