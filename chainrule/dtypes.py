"""Data types: NumPy dtypes under PyTorch's names (`chainrule.float32 is np.dtype('float32')`)."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

float16 = half = np.dtype("float16")
float32 = float = np.dtype("float32")
float64 = double = np.dtype("float64")
int8 = np.dtype("int8")
uint8 = np.dtype("uint8")
int16 = short = np.dtype("int16")
int32 = int = np.dtype("int32")
int64 = long = np.dtype("int64")
bool = np.dtype("bool")

_default = [float32]


def get_default_dtype() -> np.dtype:
    """The dtype of new floating tensors (float32 unless changed)."""
    return _default[0]


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype of new floating tensors: float32 or float64."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"only floating-point types are supported as the default type, got {dtype}")
    _default[0] = dtype


def as_dtype(dtype: Any) -> np.dtype:
    """Accept chainrule / NumPy dtypes, Python types and strings; reject what NumPy would guess wrongly."""
    if dtype is None:
        return None
    if dtype is builtins.float:
        return _default[0]
    if dtype is builtins.int:
        return int64
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"expected a dtype such as chainrule.float32 or 'int64', got {dtype!r}") from None


def is_floating_point(dtype: np.dtype) -> builtins.bool:
    return dtype.kind == "f"
