"""`Tensor`: a NumPy array plus what backpropagation needs (`grad`, `requires_grad`, `grad_fn`).

The array is `t._data` (`t.numpy()` shares it). A tensor made by an operation
on tensors that require grad points to the graph node that made it
(`grad_fn`); a leaf (made by the user) has `grad_fn is None` and receives its
gradient in `.grad`. Methods are thin: each calls the operation in
`chainrule.ops` that defines its forward and backward.
"""
from __future__ import annotations

import builtins
import copy
from typing import Any, Callable, Iterator, Optional

import numpy as np

from . import device as _device
from . import dtypes
from .autograd.grad_mode import state as _grad_state

_new = object.__new__


class Tensor:
    """A multi-dimensional array that records operations for backpropagation."""

    __slots__ = ("_data", "requires_grad", "grad_fn", "_output_nr", "_version_box", "__dict__", "__weakref__")
    __array_priority__ = 1000  # NumPy defers to Tensor in mixed expressions
    # Attributes most tensors never set: class-level defaults, stored per tensor only once assigned,
    # so making a tensor (every operation's result) sets five slots, not ten.
    grad: Optional["Tensor"] = None
    _accum: Any = None                  # the AccumulateGrad node of a leaf that requires grad
    _hooks: Optional[list] = None       # hooks on a leaf's gradient
    _post_accumulate_hooks: Optional[list] = None
    _base: Optional["Tensor"] = None    # the tensor a view was made from

    def __init__(self, data: Any = None, dtype: Any = None, requires_grad: bool = False) -> None:
        """Like PyTorch's legacy constructor, `Tensor(data)` gives the default float dtype."""
        from .ops.creation import as_array
        dtype = dtypes.get_default_dtype() if dtype is None else dtype
        self._init(as_array(data if data is not None else [], dtype), None, 0)
        if requires_grad:
            self.requires_grad_(True)

    def _init(self, data: np.ndarray, grad_fn: Any, output_nr: int) -> None:
        self._data = data
        self.grad_fn = grad_fn
        self.requires_grad = grad_fn is not None
        self._output_nr = output_nr
        self._version_box = None

    @staticmethod
    def _make(data: Any, grad_fn: Any = None, output_nr: int = 0) -> "Tensor":
        """Wrap an array without copying (internal, fast); a `grad_fn` only for floating-point data."""
        t = _new(Tensor)
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        t._data = data  # (_init, inlined: this is the hot path of every operation)
        t.grad_fn = grad_fn
        t.requires_grad = grad_fn is not None
        t._output_nr = output_nr
        t._version_box = None
        return t

    # -- graph ---------------------------------------------------------------
    def _edge(self) -> tuple:
        """Where gradient for this tensor goes: (node, output index)."""
        if self.grad_fn is not None:
            return (self.grad_fn, self._output_nr)
        if self._accum is None:
            from .autograd.function import AccumulateGrad
            self._accum = AccumulateGrad(self)
        return (self._accum, 0)

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (not by a recorded operation)."""
        return self.grad_fn is None

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Ask (or stop asking) for this leaf's gradient."""
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables; "
                               "use .detach() to get a tensor without history")
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients, "
                               f"got dtype {self._data.dtype}")
        self.requires_grad = builtins.bool(requires_grad)
        return self

    def backward(self, gradient: Any = None, retain_graph: Optional[bool] = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Backpropagate from this tensor: accumulate d self / d leaf into every leaf's `.grad`."""
        from .autograd.engine import backward
        backward(self, gradient, retain_graph, create_graph, inputs)

    def register_hook(self, hook: Callable) -> "RemovableHandle":
        """Call hook(grad) when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            return RemovableHandle(self._hooks, hook)
        entry = (self._output_nr, hook)
        hooks = self.grad_fn._hooks_list("pre")
        hooks.append(entry)
        return RemovableHandle(hooks, entry)

    def register_post_accumulate_grad_hook(self, hook: Callable) -> "RemovableHandle":
        """Call hook(tensor) after a leaf's `.grad` was updated by backward."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._post_accumulate_hooks is None:
            self._post_accumulate_hooks = []
        self._post_accumulate_hooks.append(hook)
        return RemovableHandle(self._post_accumulate_hooks, hook)

    def retain_grad(self) -> None:
        """Keep `.grad` for this non-leaf tensor too (leaves always keep theirs)."""
        if self.grad_fn is None or self.retains_grad:
            return
        import weakref
        ref = weakref.ref(self)

        def keep(g: "Tensor") -> None:
            t = ref()
            if t is not None:
                t.grad = g.detach().clone() if t.grad is None else t.grad + g.detach()
        keep.retains_grad = True
        self.register_hook(keep)

    @property
    def retains_grad(self) -> bool:
        if self.grad_fn is None or self.grad_fn._hooks is None:
            return False
        return any(getattr(h, "retains_grad", False) and nr == self._output_nr
                   for nr, h in self.grad_fn._hooks.get("pre", ()))

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor (or a view of its memory) has seen."""
        return self._version_box[0] if self._version_box is not None else 0

    def _bump(self) -> None:
        if self._version_box is None:
            self._version_box = [0]
        self._version_box[0] += 1

    # -- attributes ----------------------------------------------------------
    @property
    def data(self) -> "Tensor":
        """The same memory as a tensor outside the graph (PyTorch's `.data`)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def device(self) -> "device":
        return _device.CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def size(self, dim: Optional[int] = None) -> Any:
        return self._data.shape if dim is None else self._data.shape[dim]

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def element_size(self) -> int:
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        return self._data.flags.c_contiguous

    def contiguous(self) -> "Tensor":
        return self if self._data.flags.c_contiguous else self.clone()

    def stride(self, dim: Optional[int] = None) -> Any:
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[dim]

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    # -- conversion ----------------------------------------------------------
    def numpy(self, force: bool = False) -> np.ndarray:
        """The underlying array, sharing memory (PyTorch refuses while it requires grad; so do we)."""
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def __dlpack__(self, *, stream: Any = None, **kwargs: Any) -> Any:
        """DLPack export: another library's from_dlpack(t) shares this tensor's memory (no copy)."""
        if self.requires_grad:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
        return self._data.__dlpack__(stream=stream, **{k: v for k, v in kwargs.items() if v is not None})

    def __dlpack_device__(self) -> tuple:
        return self._data.__dlpack_device__()

    def item(self) -> Any:
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __deepcopy__(self, memo: dict) -> "Tensor":
        """A leaf's copy (`copy.deepcopy(model)`): new memory, the same `requires_grad`, `.grad` and other
        attributes copied too, nothing of the graph, as in PyTorch."""
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment: copy a non-leaf tensor with .detach().clone()")
        new = _new(Tensor if type(self) is TensorView else type(self))  # (a view's copy has memory of its own)
        new._init(self._data.copy(), None, 0)
        new.requires_grad = self.requires_grad
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            if key not in _GRAPH_ATTRIBUTES:
                setattr(new, key, copy.deepcopy(value, memo))
        return new

    def detach(self) -> "Tensor":
        """The same memory, cut from the graph (shares the version counter, as in PyTorch)."""
        t = Tensor._make(self._data)
        if self._version_box is None:
            self._version_box = [0]
        t._version_box = self._version_box
        return t

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self.requires_grad = False
        return self

    def new_tensor(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> "Tensor":
        """A new tensor from data, with this tensor's dtype unless given."""
        return Tensor(data, self._data.dtype if dtype is None else dtype, requires_grad)

    def new_zeros(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> "Tensor":
        """Zeros of `size`, with this tensor's dtype unless given."""
        return self.new_full(_shape_arg(size), 0, dtype=dtype, requires_grad=requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> "Tensor":
        """Ones of `size`, with this tensor's dtype unless given."""
        return self.new_full(_shape_arg(size), 1, dtype=dtype, requires_grad=requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> "Tensor":
        """An uninitialized tensor of `size`, with this tensor's dtype unless given."""
        t = Tensor._make(np.empty(_shape_arg(size), self._data.dtype if dtype is None else dtypes.as_dtype(dtype)))
        return t.requires_grad_() if requires_grad else t

    def new_full(self, size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> "Tensor":
        """`fill_value` in `size`, with this tensor's dtype unless given."""
        dtype = self._data.dtype if dtype is None else dtypes.as_dtype(dtype)
        t = Tensor._make(np.full(tuple(size) if not isinstance(size, builtins.int) else (size,), fill_value, dtype))
        return t.requires_grad_() if requires_grad else t

    def clone(self) -> "Tensor":
        """A copy in new memory; gradient flows back to the original."""
        return _ops.clone(self)

    def to(self, *args: Any, **kwargs: Any) -> "Tensor":
        """Change dtype (devices other than the CPU are refused with a clear error)."""
        dtype = kwargs.get("dtype")
        for a in args + (kwargs.get("device"),):
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif _device.is_device(a):
                _device.check(a)
            elif a is not None:
                dtype = a
        return self if dtype is None else self.type(dtype)

    def type(self, dtype: Any = None) -> Any:
        if dtype is None:
            return f"chainrule.{self._data.dtype}"
        return _ops.cast(self, dtypes.as_dtype(dtype))

    astype = type

    def cpu(self) -> "Tensor":
        return self

    def cuda(self, device: Any = None, non_blocking: bool = False) -> "Tensor":
        _device.check("cuda")
        return self

    def float(self) -> "Tensor":
        return _ops.cast(self, dtypes.float32)

    def double(self) -> "Tensor":
        return _ops.cast(self, dtypes.float64)

    def half(self) -> "Tensor":
        return _ops.cast(self, dtypes.float16)

    def long(self) -> "Tensor":
        return _ops.cast(self, dtypes.int64)

    def int(self) -> "Tensor":
        return _ops.cast(self, dtypes.int32)

    def bool(self) -> "Tensor":
        return _ops.cast(self, dtypes.bool)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self) -> Iterator["Tensor"]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._data)))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} values is ambiguous")
        return builtins.bool(self._data)

    def __float__(self) -> float:
        return builtins.float(self.item())

    def __int__(self) -> int:
        return builtins.int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self._data)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and spec:
            return format(self._data.item(), spec)
        return format(repr(self), spec)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        from .ops.formatting import tensor_repr
        return tensor_repr(self)

    # -- NumPy protocols: NumPy functions on tensors run chainrule operations ---------
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        fn = _ops.UFUNCS.get(ufunc) if method == "__call__" and not kwargs else None
        if fn is not None:
            return fn(*inputs)
        if _grad_state.enabled and any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
            raise TypeError(f"np.{ufunc.__name__} ({method}) has no chainrule derivative: on a tensor that "
                            f"requires grad it would silently cut the graph. Use chainrule operations, "
                            f"or .detach() the tensor (in a backward: mark it @once_differentiable)")
        arrays = [x._data if isinstance(x, Tensor) else x for x in inputs]
        return getattr(ufunc, method)(*arrays, **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        fn = _ops.FUNCTIONS.get(func)
        if fn is None:
            return func(*_ops.to_arrays(args), **_ops.to_arrays(kwargs))
        return fn(*args, **kwargs)

    # -- arithmetic (chainrule/ops/arithmetic.py) -------------------------------
    def __add__(self, other: Any) -> "Tensor":
        return _ops.add(self, other)

    def __radd__(self, other: Any) -> "Tensor":
        return _ops.add(other, self)

    def __sub__(self, other: Any) -> "Tensor":
        return _ops.sub(self, other)

    def __rsub__(self, other: Any) -> "Tensor":
        return _ops.sub(other, self)

    def __mul__(self, other: Any) -> "Tensor":
        return _ops.mul(self, other)

    def __rmul__(self, other: Any) -> "Tensor":
        return _ops.mul(other, self)

    def __truediv__(self, other: Any) -> "Tensor":
        return _ops.div(self, other)

    def __rtruediv__(self, other: Any) -> "Tensor":
        return _ops.div(other, self)

    def __floordiv__(self, other: Any) -> "Tensor":
        return _ops.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> "Tensor":
        return _ops.floor_divide(other, self)

    def __mod__(self, other: Any) -> "Tensor":
        return _ops.remainder(self, other)

    def __pow__(self, other: Any) -> "Tensor":
        return _ops.pow(self, other)

    def __rpow__(self, other: Any) -> "Tensor":
        return _ops.pow(other, self)

    def __matmul__(self, other: Any) -> "Tensor":
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return _ops.matmul(other, self)

    def __neg__(self) -> "Tensor":
        return _ops.neg(self)

    def __pos__(self) -> "Tensor":
        return self

    def __abs__(self) -> "Tensor":
        return _ops.abs(self)

    # comparisons and logic: no gradient
    def __eq__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return _ops.eq(self, other)

    def __ne__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return _ops.ne(self, other)

    def __lt__(self, other: Any) -> "Tensor":
        return _ops.lt(self, other)

    def __le__(self, other: Any) -> "Tensor":
        return _ops.le(self, other)

    def __gt__(self, other: Any) -> "Tensor":
        return _ops.gt(self, other)

    def __ge__(self, other: Any) -> "Tensor":
        return _ops.ge(self, other)

    def __and__(self, other: Any) -> "Tensor":
        return _ops.bitwise_and(self, other)

    __rand__ = __and__

    def __or__(self, other: Any) -> "Tensor":
        return _ops.bitwise_or(self, other)

    __ror__ = __or__

    def __xor__(self, other: Any) -> "Tensor":
        return _ops.bitwise_xor(self, other)

    __rxor__ = __xor__

    def __invert__(self) -> "Tensor":
        return _ops.bitwise_not(self)

    # -- in place (chainrule/ops/inplace.py) ----------------------------------------
    def __iadd__(self, other: Any) -> "Tensor":
        return _ops.add_(self, other)

    def __isub__(self, other: Any) -> "Tensor":
        return _ops.sub_(self, other)

    def __imul__(self, other: Any) -> "Tensor":
        return _ops.mul_(self, other)

    def __itruediv__(self, other: Any) -> "Tensor":
        return _ops.div_(self, other)

    def __getitem__(self, index: Any) -> "Tensor":
        return _ops.getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        _ops.setitem(self, index, value)

    def add_(self, other: Any, alpha: Any = 1) -> "Tensor":
        return _ops.add_(self, other if alpha == 1 else other * alpha)

    def sub_(self, other: Any, alpha: Any = 1) -> "Tensor":
        return _ops.sub_(self, other if alpha == 1 else other * alpha)

    def mul_(self, other: Any) -> "Tensor":
        return _ops.mul_(self, other)

    def div_(self, other: Any) -> "Tensor":
        return _ops.div_(self, other)

    def pow_(self, other: Any) -> "Tensor":
        return _ops.pow_(self, other)

    def clamp_(self, min: Any = None, max: Any = None) -> "Tensor":
        return _ops.clamp_(self, min, max)

    clip_ = clamp_

    def zero_(self) -> "Tensor":
        return _ops.fill_(self, 0)

    def fill_(self, value: Any) -> "Tensor":
        return _ops.fill_(self, value)

    def copy_(self, src: Any) -> "Tensor":
        return _ops.copy_(self, src)

    def addcmul_(self, t1: Any, t2: Any, value: Any = 1) -> "Tensor":
        return _ops.add_(self, t1 * t2 * value)

    def addcdiv_(self, t1: Any, t2: Any, value: Any = 1) -> "Tensor":
        return _ops.add_(self, t1 / t2 * value)

    def lerp_(self, end: Any, weight: Any) -> "Tensor":
        return _ops.add_(self, (end - self) * weight)

    def masked_fill_(self, mask: Any, value: Any) -> "Tensor":
        return _ops.copy_(self, _ops.masked_fill(self, mask, value))

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator: Any = None) -> "Tensor":
        from .ops import random
        return _ops.copy_(self, random.uniform_array(self.shape, a, b, self.dtype, generator))

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> "Tensor":
        from .ops import random
        return _ops.copy_(self, random.normal_array(self.shape, mean, std, self.dtype, generator))

    def bernoulli_(self, p: float = 0.5, generator: Any = None) -> "Tensor":
        from .ops import random
        return _ops.copy_(self, random.uniform_array(self.shape, 0.0, 1.0, np.float64, generator) < p)

    def exponential_(self, lambd: float = 1.0, generator: Any = None) -> "Tensor":
        from .ops import random
        u = random.uniform_array(self.shape, 0.0, 1.0, np.float64, generator)
        return _ops.copy_(self, -np.log1p(-u) / lambd)

    # -- everything else: one line each, defined in chainrule/ops --------------------
    def matmul(self, other: Any) -> "Tensor":
        return _ops.matmul(self, other)

    def mm(self, other: Any) -> "Tensor":
        return _ops.matmul(self, other)

    def bmm(self, other: Any) -> "Tensor":
        return _ops.matmul(self, other)

    def dot(self, other: Any) -> "Tensor":
        return _ops.matmul(self, other)

    def mv(self, other: Any) -> "Tensor":
        return _ops.matmul(self, other)

    def add(self, other: Any, alpha: Any = 1) -> "Tensor":
        return _ops.add(self, other if alpha == 1 else other * alpha)

    def sub(self, other: Any, alpha: Any = 1) -> "Tensor":
        return _ops.sub(self, other if alpha == 1 else other * alpha)

    def mul(self, other: Any) -> "Tensor":
        return _ops.mul(self, other)

    def div(self, other: Any, rounding_mode: Optional[str] = None) -> "Tensor":
        return _ops.div(self, other, rounding_mode=rounding_mode)

    def pow(self, other: Any) -> "Tensor":
        return _ops.pow(self, other)

    def neg(self) -> "Tensor":
        return _ops.neg(self)

    def abs(self) -> "Tensor":
        return _ops.abs(self)

    def exp(self) -> "Tensor":
        return _ops.exp(self)

    def log(self) -> "Tensor":
        return _ops.log(self)

    def log1p(self) -> "Tensor":
        return _ops.log1p(self)

    def expm1(self) -> "Tensor":
        return _ops.expm1(self)

    def sqrt(self) -> "Tensor":
        return _ops.sqrt(self)

    def rsqrt(self) -> "Tensor":
        return _ops.rsqrt(self)

    def square(self) -> "Tensor":
        return _ops.mul(self, self)

    def reciprocal(self) -> "Tensor":
        return _ops.div(1.0, self)

    def sign(self) -> "Tensor":
        return _ops.sign(self)

    def sin(self) -> "Tensor":
        return _ops.sin(self)

    def cos(self) -> "Tensor":
        return _ops.cos(self)

    def tan(self) -> "Tensor":
        return _ops.tan(self)

    def tanh(self) -> "Tensor":
        return _ops.tanh(self)

    def sigmoid(self) -> "Tensor":
        return _ops.sigmoid(self)

    def relu(self) -> "Tensor":
        return _ops.relu(self)

    def erf(self) -> "Tensor":
        return _ops.erf(self)

    def floor(self) -> "Tensor":
        return _ops.floor(self)

    def ceil(self) -> "Tensor":
        return _ops.ceil(self)

    def round(self) -> "Tensor":
        return _ops.round(self)

    def clamp(self, min: Any = None, max: Any = None) -> "Tensor":
        return _ops.clamp(self, min, max)

    clip = clamp

    def minimum(self, other: Any) -> "Tensor":
        return _ops.minimum(self, other)

    def maximum(self, other: Any) -> "Tensor":
        return _ops.maximum(self, other)

    def where(self, condition: Any, other: Any) -> "Tensor":
        return _ops.where(condition, self, other)

    def masked_fill(self, mask: Any, value: Any) -> "Tensor":
        return _ops.masked_fill(self, mask, value)

    def lerp(self, end: Any, weight: Any) -> "Tensor":
        return _ops.lerp(self, end, weight)

    # -- sorting, triangles, diagonals, more shapes (chainrule/ops/sorting.py, shape.py, indexing.py) ----
    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        return _ops.sort(self, dim, descending, stable)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> "Tensor":
        return _ops.argsort(self, dim, descending, stable)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        return _ops.topk(self, k, dim, largest, sorted)

    def unique(self, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
               dim: Any = None) -> Any:
        return _ops.unique(self, sorted, return_inverse, return_counts, dim)

    def tril(self, diagonal: int = 0) -> "Tensor":
        return _ops.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> "Tensor":
        return _ops.triu(self, diagonal)

    def diag(self, diagonal: int = 0) -> "Tensor":
        return _ops.diag(self, diagonal)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> "Tensor":
        return _ops.diagonal(self, offset, dim1, dim2)

    def trace(self) -> "Tensor":
        return _ops.trace(self)

    def outer(self, vec2: "Tensor") -> "Tensor":
        return _ops.outer(self, vec2)

    def narrow(self, dim: int, start: int, length: int) -> "Tensor":
        return _ops.narrow(self, dim, start, length)

    def movedim(self, source: Any, destination: Any) -> "Tensor":
        return _ops.movedim(self, source, destination)

    moveaxis = movedim

    def tile(self, dims: Any) -> "Tensor":
        return _ops.tile(self, dims)

    def repeat_interleave(self, repeats: Any, dim: Any = None, *, output_size: Any = None) -> "Tensor":
        return _ops.repeat_interleave(self, repeats, dim)

    def masked_select(self, mask: Any) -> "Tensor":
        return _ops.masked_select(self, mask)

    def log2(self) -> "Tensor":
        return _ops.log2(self)

    def log10(self) -> "Tensor":
        return _ops.log10(self)

    def atan2(self, other: Any) -> "Tensor":
        return _ops.atan2(self, other)

    arctan2 = atan2

    def clamp_min(self, min: Any) -> "Tensor":
        return _ops.clamp_min(self, min)

    def clamp_max(self, max: Any) -> "Tensor":
        return _ops.clamp_max(self, max)

    def type_as(self, other: "Tensor") -> "Tensor":
        return self.type(other.dtype)

    def nan_to_num(self, nan: float = 0.0, posinf: Any = None, neginf: Any = None) -> "Tensor":
        return _ops.nan_to_num(self, nan, posinf, neginf)

    def nan_to_num_(self, nan: float = 0.0, posinf: Any = None, neginf: Any = None) -> "Tensor":
        return _ops.unary_(self, lambda t: _ops.nan_to_num(t, nan, posinf, neginf))

    def index_add(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> "Tensor":
        return _ops.index_add(self, dim, index, source, alpha)

    def index_add_(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> "Tensor":
        return _ops.unary_(self, lambda t: _ops.index_add(t, dim, index, source, alpha))

    def index_fill(self, dim: int, index: Any, value: Any) -> "Tensor":
        return _ops.index_fill(self, dim, index, value)

    def index_fill_(self, dim: int, index: Any, value: Any) -> "Tensor":
        return _ops.unary_(self, lambda t: _ops.index_fill(t, dim, index, value))

    def sinh(self) -> "Tensor":
        return _ops.sinh(self)

    def cosh(self) -> "Tensor":
        return _ops.cosh(self)

    def asin(self) -> "Tensor":
        return _ops.asin(self)

    def acos(self) -> "Tensor":
        return _ops.acos(self)

    def atan(self) -> "Tensor":
        return _ops.atan(self)

    arcsin, arccos, arctan = asin, acos, atan

    def trunc(self) -> "Tensor":
        return _ops.trunc(self)

    fix = trunc

    def frac(self) -> "Tensor":
        return _ops.frac(self)

    def fmod(self, other: Any) -> "Tensor":
        return _ops.fmod(self, other)

    def hypot(self, other: Any) -> "Tensor":
        return _ops.hypot(self, other)

    def logaddexp(self, other: Any) -> "Tensor":
        return _ops.logaddexp(self, other)

    def logit(self, eps: Any = None) -> "Tensor":
        return _ops.logit(self, eps)

    def addmm(self, mat1: "Tensor", mat2: "Tensor", *, beta: Any = 1, alpha: Any = 1) -> "Tensor":
        return _ops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addcmul(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> "Tensor":
        return _ops.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> "Tensor":
        return _ops.addcdiv(self, tensor1, tensor2, value=value)

    def kron(self, other: "Tensor") -> "Tensor":
        return _ops.kron(self, other)

    def ravel(self) -> "Tensor":
        return _ops.ravel(self)

    def tensor_split(self, indices_or_sections: Any, dim: int = 0) -> tuple:
        return _ops.tensor_split(self, indices_or_sections, dim)

    def count_nonzero(self, dim: Any = None) -> "Tensor":
        return _ops.count_nonzero(self, dim)

    def nelement(self) -> int:
        return self._data.size

    def pin_memory(self) -> "Tensor":
        """No-op (there is no GPU to pin memory for), as PyTorch's DataLoader(pin_memory=True) allows."""
        return self

    def share_memory_(self) -> "Tensor":
        """No-op: DataLoader workers are threads, which share memory already."""
        return self

    def eq(self, other: Any) -> "Tensor":
        return _ops.eq(self, other)

    def ne(self, other: Any) -> "Tensor":
        return _ops.ne(self, other)

    def lt(self, other: Any) -> "Tensor":
        return _ops.lt(self, other)

    def le(self, other: Any) -> "Tensor":
        return _ops.le(self, other)

    def gt(self, other: Any) -> "Tensor":
        return _ops.gt(self, other)

    def ge(self, other: Any) -> "Tensor":
        return _ops.ge(self, other)

    def logical_not(self) -> "Tensor":
        return _ops.logical_not(self)

    def logical_and(self, other: Any) -> "Tensor":
        return _ops.logical_and(self, other)

    def logical_or(self, other: Any) -> "Tensor":
        return _ops.logical_or(self, other)

    def logical_xor(self, other: Any) -> "Tensor":
        return _ops.logical_xor(self, other)

    def isnan(self) -> "Tensor":
        return _ops.isnan(self)

    def isinf(self) -> "Tensor":
        return _ops.isinf(self)

    def isfinite(self) -> "Tensor":
        return _ops.isfinite(self)

    def equal(self, other: "Tensor") -> bool:
        return self.shape == other.shape and builtins.bool((self._data == other._data).all())

    def allclose(self, other: "Tensor", rtol: float = 1e-05, atol: float = 1e-08) -> bool:
        return builtins.bool(np.allclose(self._data, np.asarray(other), rtol=rtol, atol=atol))

    # reductions (chainrule/ops/reduction.py)
    def sum(self, dim: Any = None, keepdim: bool = False, dtype: Any = None, *,
            axis: Any = None, keepdims: Any = None) -> "Tensor":
        return _ops.sum(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def mean(self, dim: Any = None, keepdim: bool = False, dtype: Any = None, *,
             axis: Any = None, keepdims: Any = None) -> "Tensor":
        return _ops.mean(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def prod(self, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> "Tensor":
        return _ops.prod(self, dim, keepdim, dtype=dtype)

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        return _ops.max(self, dim, keepdim)

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        return _ops.min(self, dim, keepdim)

    def amax(self, dim: Any = (), keepdim: bool = False) -> "Tensor":
        return _ops.amax(self, dim, keepdim)

    def amin(self, dim: Any = (), keepdim: bool = False) -> "Tensor":
        return _ops.amin(self, dim, keepdim)

    def argmax(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        return _ops.argmax(self, dim, keepdim)

    def argmin(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        return _ops.argmin(self, dim, keepdim)

    def var(self, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None) -> "Tensor":
        return _ops.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None) -> "Tensor":
        return _ops.std(self, dim, unbiased, keepdim, correction=correction)

    def logsumexp(self, dim: Any, keepdim: bool = False) -> "Tensor":
        return _ops.logsumexp(self, dim, keepdim)

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> "Tensor":
        return _ops.norm(self, p, dim, keepdim)

    def softmax(self, dim: int) -> "Tensor":
        return _ops.softmax(self, dim)

    def log_softmax(self, dim: int) -> "Tensor":
        return _ops.log_softmax(self, dim)

    def all(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        return _ops.all(self, dim, keepdim)

    def any(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        return _ops.any(self, dim, keepdim)

    def cumsum(self, dim: int) -> "Tensor":
        return _ops.cumsum(self, dim)

    # shape (chainrule/ops/shape.py)
    def reshape(self, *shape: Any) -> "Tensor":
        return _ops.reshape(self, _shape_arg(shape))

    def view(self, *shape: Any) -> "Tensor":
        if len(shape) == 1 and not isinstance(shape[0], (builtins.int, tuple, list)):
            return self.type(shape[0])  # view(dtype): PyTorch reinterprets; chainrule converts
        return _ops.view(self, _shape_arg(shape))

    def view_as(self, other: "Tensor") -> "Tensor":
        return _ops.view(self, other.shape)

    def reshape_as(self, other: "Tensor") -> "Tensor":
        return _ops.reshape(self, other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        return _ops.flatten(self, start_dim, end_dim)

    def unflatten(self, dim: int, sizes: Any) -> "Tensor":
        return _ops.unflatten(self, dim, sizes)

    def squeeze(self, dim: Any = None) -> "Tensor":
        return _ops.squeeze(self, dim)

    def unsqueeze(self, dim: int) -> "Tensor":
        return _ops.unsqueeze(self, dim)

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        return _ops.transpose(self, dim0, dim1)

    swapaxes = swapdims = transpose

    def t(self) -> "Tensor":
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return _ops.transpose(self, 0, -1) if self.ndim == 2 else self

    @property
    def T(self) -> "Tensor":
        return _ops.permute(self, tuple(range(self.ndim))[::-1])

    @property
    def mT(self) -> "Tensor":
        return _ops.transpose(self, -2, -1)

    def permute(self, *dims: Any) -> "Tensor":
        return _ops.permute(self, _shape_arg(dims))

    def expand(self, *sizes: Any) -> "Tensor":
        return _ops.expand(self, _shape_arg(sizes))

    def expand_as(self, other: "Tensor") -> "Tensor":
        return _ops.expand(self, other.shape)

    def broadcast_to(self, shape: Any) -> "Tensor":
        return _ops.broadcast_to(self, shape)

    def repeat(self, *sizes: Any) -> "Tensor":
        return _ops.repeat(self, _shape_arg(sizes))

    def flip(self, *dims: Any) -> "Tensor":
        return _ops.flip(self, _shape_arg(dims))

    def roll(self, shifts: Any, dims: Any = None) -> "Tensor":
        return _ops.roll(self, shifts, dims)

    def split(self, split_size: Any, dim: int = 0) -> tuple:
        return _ops.split(self, split_size, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        return _ops.chunk(self, chunks, dim)

    def unbind(self, dim: int = 0) -> tuple:
        return _ops.unbind(self, dim)

    # indexing (chainrule/ops/indexing.py)
    def gather(self, dim: int, index: Any) -> "Tensor":
        return _ops.gather(self, dim, index)

    def scatter_add(self, dim: int, index: Any, src: Any) -> "Tensor":
        return _ops.scatter_add(self, dim, index, src)

    def index_select(self, dim: int, index: Any) -> "Tensor":
        return _ops.index_select(self, dim, index)

    def nonzero(self, as_tuple: bool = False) -> Any:
        return _ops.nonzero(self, as_tuple)


def _shape_arg(args: tuple) -> tuple:
    """Accept both f(2, 3) and f((2, 3)), as PyTorch does."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return args


class RemovableHandle:
    """Returned by hook registrations: `handle.remove()` unregisters the hook."""

    def __init__(self, container: Any, item: Any) -> None:
        self._container = container
        self._item = item

    def remove(self) -> None:
        if isinstance(self._container, dict):
            self._container.pop(self._item, None)
        elif self._item in self._container:
            self._container.remove(self._item)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


# what a tensor keeps of the graph and its hooks: not copied by deepcopy
def _in_place(name: str) -> Callable:
    def method(self: Tensor) -> Tensor:
        return _ops.unary_(self, lambda t: getattr(t, name)())
    method.__name__, method.__doc__ = name + "_", f"{name}, in place."
    return method


# the elementwise functions' in-place forms (x.sqrt_(), x.exp_(), ...), each the out-of-place one written back
for _name in ("abs", "sqrt", "rsqrt", "exp", "expm1", "log", "log1p", "log2", "log10", "neg", "reciprocal", "square",
              "sin", "cos", "tan", "tanh", "sigmoid", "relu", "floor", "ceil", "round", "sign", "erf", "sinh", "cosh",
              "asin", "acos", "atan", "trunc", "frac", "logit"):
    setattr(Tensor, _name + "_", _in_place(_name))
negative_ = Tensor.neg_

_GRAPH_ATTRIBUTES = frozenset({"_accum", "_hooks", "_post_accumulate_hooks", "_base", "_base_fn"})
_grad_fn_slot, _requires_grad_slot = Tensor.grad_fn, Tensor.requires_grad


def _synced(slot: Any) -> property:
    """The attribute stored in `slot`, read after the view caught up with its base (`TensorView._sync`)."""
    def read(view: "TensorView") -> Any:
        view._sync()
        return slot.__get__(view)
    return property(read, slot.__set__)


class TensorView(Tensor):
    """A tensor made by a view operation (slicing, `view`, `transpose`, ...): it shares the memory of `_base`.

    An in-place operation on the base, or on another view of it, changes the
    values this view holds and gives the base a new graph node. Then, as
    PyTorch regenerates views, this view's own node is remade from the base's
    on its next use, so gradients follow the values the memory now holds.
    """
    __slots__ = ()

    def _sync(self) -> None:
        """Remake this view's node if the base's changed since it was made."""
        base = self._base
        fn = _grad_fn_slot.__get__(base)
        if self.__dict__.get("_base_fn") is fn:
            return
        self._base_fn = fn
        if _requires_grad_slot.__get__(base):
            _ops.regenerate_view(self, base)

    grad_fn = _synced(_grad_fn_slot)
    requires_grad = _synced(_requires_grad_slot)


from . import ops as _ops  # noqa: E402  (operations refer to Tensor; Tensor methods to operations)
