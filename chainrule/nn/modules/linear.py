"""Dense layers: `Identity`, `Linear` (y = x Wᵀ + b) and `Bilinear` (y_k = x₁ᵀ W_k x₂ + b_k)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...device import check as check_device
from ...dtypes import as_dtype, get_default_dtype
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module


def _param(shape: tuple, dtype: Any, device: Any) -> Parameter:
    """An uninitialized parameter of the given (or default) floating dtype, on the CPU."""
    check_device(device)
    return Parameter(np.empty(shape, dtype=get_default_dtype() if dtype is None else as_dtype(dtype)))


def check_features(module: Module, input: Tensor, n: int, what: str = "input") -> None:
    """Raise a clear error unless the last dimension of `input` has n features."""
    if input.ndim == 0 or input.shape[-1] != n:
        raise RuntimeError(f"{module!r} expected {what} with {n} features in its last dimension "
                         f"(shape (*, {n})), got shape {tuple(input.shape)}")


class Identity(Module):
    """Returns its input unchanged; accepts and ignores any arguments (a placeholder layer)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """y = x Wᵀ + b with weight (out_features, in_features) and bias (out_features,).

    Initialized as PyTorch: W and b from U(-1/√in_features, 1/√in_features).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = _param((out_features, in_features), dtype, device)
        if bias:
            self.bias = _param((out_features,), dtype, device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # = U(-1/√fan_in, 1/√fan_in)
        if self.bias is not None:
            fan_in = self.weight.shape[1]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        check_features(self, input, self.in_features)
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """y_k = x₁ᵀ W_k x₂ + b_k with weight (out_features, in1_features, in2_features).

    Initialized as PyTorch: W and b from U(-1/√in1_features, 1/√in1_features).
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = _param((out_features, in1_features, in2_features), dtype, device)
        if bias:
            self.bias = _param((out_features,), dtype, device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        check_features(self, input1, self.in1_features, "input1")
        check_features(self, input2, self.in2_features, "input2")
        if input1.shape[:-1] != input2.shape[:-1]:
            raise RuntimeError(f"{self!r} expected input1 and input2 with the same leading (batch) dimensions, "
                             f"got shapes {tuple(input1.shape)} and {tuple(input2.shape)}")
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
