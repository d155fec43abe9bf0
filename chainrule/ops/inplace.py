"""In-place operations (`add_`, `t[i] = v`, ...), with PyTorch's safety checks.

Outside the graph they write straight into the array (`out=`: no new memory,
as optimizers need). Inside it, the result is computed by the out-of-place
operation, written into the same memory, and the tensor's `grad_fn` moves to
that operation. Every in-place change bumps the tensor's version counter, so
a backward that needs the overwritten values raises instead of being wrong.

A view (`t[:, :2]`, `t.view(...)`, `t.T`, ...) changed in place changes its
base: the base's new node puts the result into the elements the view covers
(found from the memory layout, so any chain of views works), and the view,
like every other view of that base, is remade from it on its next use.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from numpy.lib.stride_tricks import as_strided

from ..autograd.grad_mode import enable_grad, state
from ..tensor import Tensor
from . import arithmetic, elementwise
from .indexing import GetItem, IndexPut, _normalize_index


def _recording(self: Tensor, other: Any) -> bool:
    """Does this in-place change need to be recorded? Raise if it cannot be done safely."""
    if not state.enabled:
        return False
    if not (self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)):
        return False
    base = self._base
    if base is not None and base.requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation. "
                           "Wrap the change in `with chainrule.no_grad():` or clone the leaf first.")
    if self.requires_grad and self.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation. "
                           "Wrap the change in `with chainrule.no_grad():` (as optimizers do) or clone first.")
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
    base = self._base
    if base is not None:  # the base takes the result where the view lies; the view is remade from it
        _write(base, IndexPut.apply(base, elementwise.cast(result, base.dtype), view_index(self._data, base._data)))
        return self
    self._data[...] = result._data
    self.grad_fn, self._output_nr = result.grad_fn, result._output_nr
    self.requires_grad = result.requires_grad
    self._bump()
    return self


def view_index(view: np.ndarray, base: np.ndarray) -> tuple:
    """Where each element of `view` (an array in `base`'s memory) lies in `base`: an index into base
    (integer arrays of the view's shape). Found by numbering base's elements in a map of its memory and
    reading the map through the view's strides, so any chain of slicing, reshaping and transposing works."""
    lo, hi = _byte_bounds(base)
    v_lo, v_hi = _byte_bounds(view)
    item = base.itemsize
    if view.itemsize != item or v_lo < lo or v_hi > hi or (v_lo - lo) % item:
        raise RuntimeError(f"in-place operation on a view whose elements are not elements of its base "
                           f"(a {view.dtype} view of shape {view.shape} of a {base.dtype} base of shape {base.shape})")
    memory = np.full((hi - lo) // item, -1, np.int64)

    def through(a: np.ndarray) -> np.ndarray:  # a's elements, as entries of the memory map
        start = (a.__array_interface__["data"][0] - lo) // item
        strides = tuple(st // item * memory.itemsize for st in a.strides)
        return as_strided(memory[start:], a.shape, strides, writeable=a is base)

    through(base)[...] = np.arange(base.size).reshape(base.shape)
    flat = through(view).copy()
    if flat.size and (flat.min() < 0 or np.unique(flat).size != flat.size):
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                           "single memory location. Please clone() the tensor before performing the operation.")
    return np.unravel_index(flat, base.shape)


def _byte_bounds(a: np.ndarray) -> tuple:
    """(first byte, one past the last byte) of a's elements in memory."""
    start = a.__array_interface__["data"][0]
    if a.size == 0:
        return start, start
    low = high = start
    for n, st in zip(a.shape, a.strides):
        if st < 0:
            low += (n - 1) * st
        else:
            high += (n - 1) * st
    return low, high + a.itemsize


def regenerate_view(view: Tensor, base: Tensor) -> None:
    """Remake `view`'s graph node from its base's current one (after an in-place change of their memory)."""
    with enable_grad():
        fresh = GetItem.apply(base, view_index(view._data, base._data))
    view.grad_fn, view._output_nr, view.requires_grad = fresh.grad_fn, fresh._output_nr, fresh.requires_grad


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


def unary_(self: Tensor, op: Callable) -> Tensor:
    """self = op(self) in place (`sqrt_`, `exp_`, ...). In a graph, op reads a copy of self: whatever
    its operations keep for backward (log2 = log(x) / ln 2 keeps x) is not overwritten."""
    if _recording(self, None):
        return _write(self, op(self.clone()))
    self._data[...] = op(self)._data
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
