"""In-place operations (`add_`, `t[i] = v`, ...), with PyTorch's safety checks.

Outside the graph they write straight into the array (`out=`: no new memory,
as optimizers need). Inside it, the result is computed by the out-of-place
operation, written into the same memory, and the tensor's `grad_fn` moves to
that operation. Every in-place change bumps the tensor's version counter, so
a backward that needs the overwritten values raises instead of being wrong.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd.grad_mode import state
from ..tensor import Tensor
from . import arithmetic, elementwise
from .indexing import IndexPut, _normalize_index


def _recording(self: Tensor, other: Any) -> bool:
    """Does this in-place change need to be recorded? Raise if it cannot be done safely."""
    if not state.enabled:
        return False
    if not (self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)):
        return False
    if self.requires_grad and self.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation. "
                           "Wrap the change in `with chainrule.no_grad():` (as optimizers do) or clone first.")
    if self._base is not None and self._base.requires_grad:
        raise RuntimeError("an in-place operation on a view of a tensor that requires grad is not supported "
                           "here; use an out-of-place operation (or index assignment on the base tensor)")
    return True


def _write(self: Tensor, result: Tensor) -> Tensor:
    """Put `result`'s values into `self`'s memory and make `self` the output of `result`'s node."""
    if not np.can_cast(result.dtype, self.dtype, "same_kind"):
        raise RuntimeError(f"result type {result.dtype} can't be cast to the desired output type {self.dtype}")
    if result.shape != self.shape:
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                           f"{list(result.shape)}")
    if result.grad_fn is not None and result.grad_fn._saved:
        _keep_original(self, result.grad_fn)
    self._data[...] = result._data
    self.grad_fn, self._output_nr = result.grad_fn, result._output_nr
    self.requires_grad = result.requires_grad
    self._bump()
    return self


def _keep_original(self: Tensor, node: Any) -> None:
    """If `node` saved `self`'s values, which are about to be overwritten, give it a copy instead,
    standing at self's old place in the graph (PyTorch's "original self")."""
    data = self._data
    if not any(s is data for s in node._saved):
        return
    original = Tensor._make(data.copy(), self.grad_fn, self._output_nr)
    original._version_box = [0]
    node._saved_from = tuple((original._version_box, 0, original) if s is data else src
                             for s, src in zip(node._saved, node._saved_from))
    node._saved = tuple(original._data if s is data else s for s in node._saved)


def _binary_(self: Tensor, other: Any, op: Callable, ufunc: Any) -> Tensor:
    if _recording(self, other):
        return _write(self, op(self, other))
    o = other._data if isinstance(other, Tensor) else other
    try:
        ufunc(self._data, o, out=self._data, casting="same_kind")
    except TypeError as e:  # NumPy's casting error: say it PyTorch's way
        raise RuntimeError(f"result type can't be cast to the desired output type {self.dtype}: {e}") from None
    except ValueError as e:
        raise RuntimeError(f"in-place operation on a tensor of shape {list(self.shape)} with an operand of "
                           f"shape {list(np.shape(o))}: {e}") from None
    self._bump()
    return self


def add_(self: Tensor, other: Any) -> Tensor:
    """self += other."""
    return _binary_(self, other, arithmetic.add, np.add)


def sub_(self: Tensor, other: Any) -> Tensor:
    """self -= other."""
    return _binary_(self, other, arithmetic.sub, np.subtract)


def mul_(self: Tensor, other: Any) -> Tensor:
    """self *= other."""
    return _binary_(self, other, arithmetic.mul, np.multiply)


def div_(self: Tensor, other: Any) -> Tensor:
    """self /= other."""
    return _binary_(self, other, arithmetic.div, np.true_divide)


def pow_(self: Tensor, other: Any) -> Tensor:
    """self **= other."""
    return _binary_(self, other, arithmetic.pow, np.power)


def clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Limit self to [min, max] in place."""
    if _recording(self, None):
        return _write(self, elementwise.clamp(self, min, max))
    lo = min._data if isinstance(min, Tensor) else min
    hi = max._data if isinstance(max, Tensor) else max
    np.clip(self._data, lo, hi, out=self._data)
    self._bump()
    return self


def copy_(self: Tensor, src: Any) -> Tensor:
    """Copy src's values (broadcast, cast to self's dtype) into self's memory."""
    if _recording(self, src):
        src = src if isinstance(src, Tensor) else Tensor._make(np.asarray(src))
        return _write(self, self * 0 + elementwise.cast(src, self.dtype))
    self._data[...] = src._data if isinstance(src, Tensor) else src
    self._bump()
    return self


def fill_(self: Tensor, value: Any) -> Tensor:
    """Set every element of self to value."""
    return copy_(self, value)


def setitem(self: Tensor, index: Any, value: Any) -> None:
    """self[index] = value; recorded (gradient to value, none to the overwritten part) when in the graph."""
    index = _normalize_index(index)
    if _recording(self, value):
        if isinstance(value, Tensor):
            value = elementwise.cast(value, self.dtype)
        else:
            value = np.asarray(value, dtype=self.dtype)
        _write(self, IndexPut.apply(self, value, index))
        return
    try:
        self._data[index] = value._data if isinstance(value, Tensor) else value
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(value))} cannot be broadcast "
                           f"to indexing result of shape {list(self._data[index].shape)}") from None
    self._bump()
