"""Turning a list of samples into one batch (PyTorch's `default_collate` rules).

Arrays and tensors are stacked along a new first dimension, keeping their
dtype (a float64 NumPy array stays float64); Python ints become int64,
Python floats float64 and bools bool, as in PyTorch; strings stay a list;
tuples, lists, named tuples and dicts are collated field by field.
"""
from __future__ import annotations

import collections.abc
from typing import Any, Sequence

import numpy as np

from ...ops.creation import tensor
from ...ops.shape import stack
from ...tensor import Tensor

_NUMERIC = "biufc"


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _rebuild(kind: type, items: list) -> Any:
    """`items` in a container of the same kind as the samples, a list when that kind cannot be built."""
    try:
        return kind(items)
    except TypeError:
        return items


def _stack_arrays(batch: Sequence[np.ndarray]) -> Tensor:
    first = batch[0]
    for i, a in enumerate(batch):
        if a.shape != first.shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(first.shape)} at "
                               f"entry 0 and {list(a.shape)} at entry {i}")
    return Tensor._make(np.stack(batch))


def default_collate(batch: Sequence[Any]) -> Any:
    """Combine a list of samples into a batch; see the module docstring for the rules."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        if any(t.requires_grad for t in batch):
            return stack(list(batch))  # recorded, so gradients flow back to the samples
        return _stack_arrays([t._data for t in batch])
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind not in _NUMERIC:
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                            f"lists; found {elem.dtype}")
        return _stack_arrays(batch)
    if isinstance(elem, np.generic) and elem.dtype.kind in _NUMERIC:
        return Tensor._make(np.array(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=np.float64)
    if isinstance(elem, int):  # bools are ints: a batch of bools gives a bool tensor
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([sample[key] for sample in batch]) for key in elem}
        return _rebuild(type(elem), collated) if type(elem) is not dict else collated
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        for i, sample in enumerate(batch):
            if len(sample) != size:
                raise RuntimeError(f"each element in list of batch should be of equal size: sample 0 has "
                                   f"{size} fields, sample {i} has {len(sample)}")
        fields = [default_collate(list(field)) for field in zip(*batch)]
        return fields if isinstance(elem, tuple) else _rebuild(type(elem), fields)
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(elem)}")


def default_convert(data: Any) -> Any:
    """Without batching: NumPy arrays and scalars become tensors, containers are converted inside."""
    if isinstance(data, np.ndarray) and data.dtype.kind in _NUMERIC:
        return Tensor._make(data)
    if isinstance(data, np.generic) and data.dtype.kind in _NUMERIC:
        return Tensor._make(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(value) for key, value in data.items()}
        return _rebuild(type(data), converted) if type(data) is not dict else converted
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild(type(data), [default_convert(d) for d in data])
    return data


__all__ = ["default_collate", "default_convert"]
