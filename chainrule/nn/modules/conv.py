"""Convolution layers: `Conv1d`, `Conv2d`, `ConvTranspose1d`, `ConvTranspose2d` (PyTorch's parameters,
defaults, initialization and repr; the computation is `chainrule.nn.functional.conv`)."""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence

from ...tensor import Tensor
from .. import init
from ..functional.conv import convolution, convolution_transpose, ntuple, same_padding
from .linear import _param
from .module import Module

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """Shared by all convolution layers: checked settings, weight and bias, PyTorch's default init.

    weight: (out_channels, in_channels/groups, *kernel_size), or (in_channels, out_channels/groups,
    *kernel_size) when transposed.
    """

    def __init__(self, dims: int, in_channels: int, out_channels: int, kernel_size: Any, stride: Any,
                 padding: Any, dilation: Any, transposed: bool, output_padding: Any, groups: int, bias: bool,
                 padding_mode: str, device: Any, dtype: Any) -> None:
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError(f"in_channels must be divisible by groups, got in_channels={in_channels}, "
                             f"groups={groups}")
        if out_channels % groups:
            raise ValueError(f"out_channels must be divisible by groups, got out_channels={out_channels}, "
                             f"groups={groups}")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got padding_mode={padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = ntuple(kernel_size, dims, "kernel_size")
        self.stride = ntuple(stride, dims, "stride")
        self.dilation = ntuple(dilation, dims, "dilation")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of ('valid', 'same')")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = ntuple(padding, dims, "padding")
        self.output_padding = ntuple(output_padding, dims, "output_padding")
        self.transposed = transposed
        self.padding_mode = padding_mode
        shape = (in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups)
        self.weight = _param(shape + self.kernel_size, dtype, device)
        if bias:
            self.bias = _param((out_channels,), dtype, device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: weight and bias from U(-1/√fan_in, 1/√fan_in), fan_in = weight.shape[1]·kh·kw."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    @property
    def _reversed_padding_repeated_twice(self) -> list:
        """The padding as F.pad takes it: (before, after) pairs from the last dimension backwards."""
        if self.padding == "valid":
            pads = ((0, 0),) * len(self.kernel_size)
        elif self.padding == "same":
            pads = same_padding(self.kernel_size, self.dilation)
        else:
            pads = tuple((p, p) for p in self.padding)
        return [p for pair in reversed(pads) for p in pair]

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.kernel_size):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    dims = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(self.dims, in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0,
                         groups, bias, padding_mode, device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        return convolution(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups,
                           self.dims, self, self.padding_mode)


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L) or (C_in, L): weight (out_channels, in_channels/groups, k).

    padding: an int, a tuple, 'valid' or 'same'; padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'.
    """
    dims = 1


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W) or (C_in, H, W): weight (out_channels, in_channels/groups, kh, kw).

    Output size per dimension: ⌊(n + 2·padding - dilation·(k-1) - 1) / stride⌋ + 1. padding: an int, a
    tuple, 'valid' or 'same'; padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'.
    """
    dims = 2


class _ConvTranspose(_ConvNd):
    dims = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(self.dims, in_channels, out_channels, kernel_size, stride, padding, dilation, True,
                         output_padding, groups, bias, padding_mode, device, dtype)

    def forward(self, input: Tensor, output_size: Optional[Sequence[int]] = None) -> Tensor:
        """output_size (spatial sizes, optionally with batch and channels) overrides output_padding."""
        return convolution_transpose(input, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                     self.groups, self.dilation, self.dims, self, output_size)


class ConvTranspose1d(_ConvTranspose):
    """Transposed 1-D convolution over (N, C_in, L): weight (in_channels, out_channels/groups, k)."""
    dims = 1


class ConvTranspose2d(_ConvTranspose):
    """Transposed 2-D convolution (the input gradient of Conv2d) over (N, C_in, H, W): weight
    (in_channels, out_channels/groups, kh, kw); output size per dimension
    (n-1)·stride - 2·padding + dilation·(k-1) + output_padding + 1."""
    dims = 2
