"""Making tensors: from data, filled with a value, ranges, and random ones."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..device import check as check_device
from ..dtypes import as_dtype, get_default_dtype
from ..tensor import Tensor, _shape_arg
from . import random


def as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """A new array from data, with PyTorch's dtype rules: Python floats give float32."""
    dtype = as_dtype(dtype)
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, (np.ndarray, np.generic)):
        arr = np.asarray(data)
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
            data = [x.detach()._data if isinstance(x, Tensor) else x for x in data]
        try:
            arr = np.asarray(data)
        except ValueError as e:
            raise ValueError(f"could not make a tensor from {type(data).__name__}: {e}") from None
        if arr.dtype == np.float64 and dtype is None:
            arr = arr.astype(get_default_dtype())
        elif arr.dtype.kind not in "biufc":
            raise TypeError(f"could not make a tensor from data of type {arr.dtype} "
                            f"(expected numbers or booleans, possibly nested in lists)")
    return np.array(arr, dtype=dtype, copy=True)


def _finish(arr: np.ndarray, requires_grad: bool, device: Any = None) -> Tensor:
    check_device(device)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (nested lists, numbers, arrays or tensors)."""
    return _finish(as_array(data, dtype), requires_grad, device)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like `tensor`, but shares memory with a NumPy array or tensor when no conversion is needed."""
    if isinstance(data, Tensor) and (dtype is None or as_dtype(dtype) == data.dtype):
        return data
    if isinstance(data, np.ndarray) and (dtype is None or as_dtype(dtype) == data.dtype):
        return Tensor._make(data)
    return tensor(data, dtype, device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with `array` (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return Tensor._make(array)


def from_dlpack(ext_tensor: Any) -> Tensor:
    """A tensor sharing memory with any object of the DLPack protocol (a PyTorch tensor, a NumPy array, ...)."""
    if not hasattr(ext_tensor, "__dlpack__"):
        raise TypeError(f"from_dlpack expects an object with __dlpack__ (a DLPack-capable array), "
                        f"got {type(ext_tensor).__name__}")
    return Tensor._make(np.from_dlpack(ext_tensor))


def _dtype(dtype: Any) -> np.dtype:
    return as_dtype(dtype) if dtype is not None else get_default_dtype()


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros (default dtype float32)."""
    return _finish(np.zeros(_shape_arg(size), _dtype(dtype)), requires_grad, device)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones (default dtype float32)."""
    return _finish(np.ones(_shape_arg(size), _dtype(dtype)), requires_grad, device)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialized tensor (its values are whatever the memory held)."""
    return _finish(np.empty(_shape_arg(size), _dtype(dtype)), requires_grad, device)


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of `fill_value`; its dtype follows the value (bool, int64 or float32) unless given."""
    if dtype is None:
        dtype = np.bool_ if isinstance(fill_value, bool) else np.int64 if isinstance(fill_value, int) else None
    return _finish(np.full(tuple(size) if not isinstance(size, int) else (size,), fill_value, _dtype(dtype)),
                   requires_grad, device)


def _like(input: Tensor, dtype: Any) -> tuple:
    return input.shape, as_dtype(dtype) if dtype is not None else input.dtype


def zeros_like(input: Tensor, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Zeros of input's shape and dtype."""
    shape, dt = _like(input, dtype)
    return _finish(np.zeros(shape, dt), requires_grad, device)


def ones_like(input: Tensor, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Ones of input's shape and dtype."""
    shape, dt = _like(input, dtype)
    return _finish(np.ones(shape, dt), requires_grad, device)


def empty_like(input: Tensor, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """An uninitialized tensor of input's shape and dtype."""
    shape, dt = _like(input, dtype)
    return _finish(np.empty(shape, dt), requires_grad, device)


def full_like(input: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
              device: Any = None) -> Tensor:
    """`fill_value` in input's shape and dtype."""
    shape, dt = _like(input, dtype)
    return _finish(np.full(shape, fill_value, dt), requires_grad, device)


def rand_like(input: Tensor, dtype: Any = None, requires_grad: bool = False,
              generator: Optional[random.Generator] = None) -> Tensor:
    """Uniform on [0, 1) in input's shape and dtype."""
    shape, dt = _like(input, dtype)
    return _finish(random.uniform_array(shape, 0.0, 1.0, dt, generator), requires_grad)


def randn_like(input: Tensor, dtype: Any = None, requires_grad: bool = False,
               generator: Optional[random.Generator] = None) -> Tensor:
    """Standard normal in input's shape and dtype."""
    shape, dt = _like(input, dtype)
    return _finish(random.normal_array(shape, 0.0, 1.0, dt, generator), requires_grad)


def randint_like(input: Tensor, low: int = 0, high: Optional[int] = None, dtype: Any = None,
                 generator: Optional[random.Generator] = None) -> Tensor:
    """Integers in [low, high) in input's shape (randint_like(x, high) starts at 0)."""
    if high is None:
        low, high = 0, low
    shape, dt = _like(input, dtype)
    return _finish(random.integer_array(low, high, shape, dt, generator), False)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """[start, end) in steps; int64 for integer arguments, float32 otherwise (as PyTorch)."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else get_default_dtype()
    return _finish(np.arange(start, end, step, dtype=np.float64).astype(as_dtype(dtype))
                   if as_dtype(dtype).kind == "f" else np.arange(start, end, step).astype(as_dtype(dtype)),
                   requires_grad, device)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end, both included."""
    return _finish(np.linspace(start, end, steps).astype(_dtype(dtype)), requires_grad, device)


def logspace(start: float, end: float, steps: int, base: float = 10.0, dtype: Any = None) -> Tensor:
    """base ** linspace(start, end, steps)."""
    return _finish(np.logspace(start, end, steps, base=base).astype(_dtype(dtype)), False)


def eye(n: int, m: Optional[int] = None, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The n×m identity matrix (square by default)."""
    return _finish(np.eye(n, m, dtype=_dtype(dtype)), requires_grad, device)


def rand(*size: Any, generator: Optional[random.Generator] = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    return _finish(random.uniform_array(_shape_arg(size), 0.0, 1.0, _dtype(dtype), generator), requires_grad, device)


def randn(*size: Any, generator: Optional[random.Generator] = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal."""
    return _finish(random.normal_array(_shape_arg(size), 0.0, 1.0, _dtype(dtype), generator), requires_grad, device)


def randint(low: int, high: Any = None, size: Any = None, generator: Optional[random.Generator] = None,
            dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Integers in [low, high); randint(high, size) starts at 0."""
    if size is None:
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    return _finish(random.integer_array(low, high, tuple(size), as_dtype(dtype) or np.int64, generator),
                   requires_grad, device)


def randperm(n: int, generator: Optional[random.Generator] = None, dtype: Any = None, device: Any = None) -> Tensor:
    """A random permutation of 0 .. n-1."""
    return _finish(random.permutation_array(n, generator).astype(as_dtype(dtype) or np.int64), False, device)


def normal(mean: Any, std: Any = 1.0, size: Any = None, generator: Optional[random.Generator] = None) -> Tensor:
    """Normal samples with the given mean and std (numbers or tensors)."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    shape = tuple(size) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    dt = next((t.dtype for t in (mean, std) if isinstance(t, Tensor)), get_default_dtype())
    return _finish((random.normal_array(shape, 0.0, 1.0, dt, generator) * s + m).astype(dt), False)


def bernoulli(input: Tensor, generator: Optional[random.Generator] = None) -> Tensor:
    """1 with probability input[i], else 0."""
    u = random.uniform_array(input.shape, 0.0, 1.0, np.float64, generator)
    return _finish((u < input._data).astype(input.dtype), False)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False,
                generator: Optional[random.Generator] = None) -> Tensor:
    """Sample indices by the (unnormalized) weights in each row."""
    p = np.atleast_2d(input._data).astype(np.float64)
    p = p / p.sum(axis=1, keepdims=True)
    rng = random._rng(generator)
    rows = [rng.choice(p.shape[1], size=num_samples, replace=replacement, p=row) for row in p]
    out = np.asarray(rows, dtype=np.int64)
    return _finish(out if input.ndim == 2 else out[0], False)
