"""Gradient clipping: rescale all gradients when their joint norm is too large, or clamp each value.

Gradients are changed in place (`.grad` arrays, with `out=`), outside the graph.
"""
from __future__ import annotations

import types
import warnings
from typing import Any, Iterable, Optional, Union

import numpy as np

from ...tensor import Tensor

TensorOrTensors = Union[Tensor, Iterable[Tensor]]


def _vector_norm(x: np.ndarray, p: float) -> np.ndarray:
    """The p-norm of all entries of x, in x's dtype: (sum |x|^p)^(1/p); inf: max |x|; -inf: min |x|; 0: count."""
    x = x.ravel()
    if p == 2:
        return np.sqrt(np.dot(x, x))
    if p == 1:
        return np.abs(x).sum()
    if p == np.inf:
        return np.abs(x).max(initial=0)
    if p == -np.inf:
        return np.abs(x).min()
    if p == 0:
        return np.asarray(np.count_nonzero(x), x.dtype)
    return (np.abs(x) ** p).sum() ** (1 / p)


def get_total_norm(tensors: TensorOrTensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: Optional[bool] = None) -> Tensor:
    """The norm of all `tensors` together, as if concatenated into one vector (the norm of their norms)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._make(np.array(0.0, np.float32))
    norms = [_vector_norm(t._data, norm_type) for t in tensors]
    dtype = np.result_type(*norms)
    total = _vector_norm(np.array(norms, dtype), norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                           f"so it cannot be clipped. To disable this error and scale the gradients by the "
                           f"non-finite norm anyway, set `error_if_nonfinite=False`")
    return Tensor._make(np.asarray(total, dtype))


def clip_grads_with_norm_(parameters: TensorOrTensors, max_norm: float, total_norm: Tensor,
                          foreach: Optional[bool] = None) -> None:
    """Multiply every gradient by min(max_norm / (total_norm + 1e-6), 1)."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    total = np.asarray(total_norm._data if isinstance(total_norm, Tensor) else total_norm)
    coef = np.minimum(float(max_norm) / (total + 1e-6), 1.0)  # a 0-d array: keeps the norm's dtype
    if coef >= 1.0:  # multiplying by one changes nothing
        return
    with np.errstate(invalid="ignore"):  # a non-finite norm gives nan gradients, as in PyTorch
        for g in grads:
            np.multiply(g._data, coef, out=g._data, casting="same_kind")
            g._bump()


def clip_grad_norm_(parameters: TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: Optional[bool] = None) -> Tensor:
    """Rescale the gradients of `parameters` so that their joint `norm_type`-norm is at most `max_norm`.

    Returns the joint norm before clipping (a 0-d tensor), e.g. for logging::

        total = clip_grad_norm_(model.parameters(), max_norm=1.0)
    """
    if isinstance(parameters, types.GeneratorType):
        parameters = list(parameters)
        if not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    parameters = _as_list(parameters)
    total = get_total_norm([p.grad for p in parameters if p.grad is not None], norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_norm(parameters: TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: Optional[bool] = None) -> Tensor:
    """Deprecated name of `clip_grad_norm_`."""
    warnings.warn("`clip_grad_norm` is now deprecated in favor of `clip_grad_norm_`.", FutureWarning,
                  stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)


def clip_grad_value_(parameters: TensorOrTensors, clip_value: float, foreach: Optional[bool] = None) -> None:
    """Clamp every gradient value into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            np.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)
            p.grad._bump()


def _as_list(parameters: TensorOrTensors) -> list:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)
