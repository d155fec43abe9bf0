"""Padding layers (`ZeroPad2d`, `ConstantPad2d`, `ReflectionPad2d`, `ReplicationPad2d`, and their 1-D forms):
each calls F.pad with its mode on the last one or two dimensions."""
from __future__ import annotations

from typing import Any

from ...tensor import Tensor
from .. import functional as F
from .module import Module


class _PadNd(Module):
    """Pads the last `dims` dimensions by `padding`: an int for every side, or (left, right[, top, bottom])."""
    dims, mode = 2, "constant"

    def __init__(self, padding: Any, value: float = 0.0) -> None:
        super().__init__()
        sides = 2 * self.dims
        self.padding = (int(padding),) * sides if isinstance(padding, int) else tuple(int(p) for p in padding)
        if len(self.padding) != sides:
            raise ValueError(f"{type(self).__name__} expects an int or {sides} padding sizes, got {padding!r}")
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self.mode, self.value)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    dims = 1

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding, value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad2d(ConstantPad1d):
    dims = 2


class ZeroPad1d(_PadNd):
    dims = 1

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)


class ZeroPad2d(_PadNd):
    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)


class ReflectionPad1d(ZeroPad1d):
    mode = "reflect"


class ReflectionPad2d(ZeroPad2d):
    mode = "reflect"


class ReplicationPad1d(ZeroPad1d):
    mode = "replicate"


class ReplicationPad2d(ZeroPad2d):
    mode = "replicate"
