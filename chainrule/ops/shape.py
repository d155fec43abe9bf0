"""Shape operations: they move values around, so the gradient is moved back the same way."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..autograd.function import Function, once_differentiable
from ..tensor import Tensor, TensorView
from .arithmetic import result_dtype, unbroadcast


def _as_view(out: Tensor, x: Tensor) -> Tensor:
    """Mark `out` as a view of `x`'s memory: they share the in-place version counter, and `out` follows
    in-place changes of the memory in the graph too (`TensorView`)."""
    if out._data.base is not None and np.may_share_memory(out._data, x._data):  # (reshape may have copied)
        if x._version_box is None:
            x._version_box = [0]
        out._version_box = x._version_box
        base = x._base if x._base is not None else x
        out.__class__ = TensorView
        out._base, out._base_fn = base, base.grad_fn
    return out


def _dim(d: int, ndim: int) -> int:
    if not -ndim <= d < max(ndim, 1):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, "
                         f"{max(ndim, 1) - 1}], but got {d})")
    return d % ndim if ndim else 0


def _resolve_shape(shape: Sequence[int], numel: int, source: tuple) -> tuple:
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred (-1)")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel} "
                           f"(input shape {source})")
    return shape


class Reshape(Function):
    __slots__ = ("shape",)

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class View(Function):
    """Like Reshape, but never copies: refuses when the memory layout does not allow it (as PyTorch)."""
    __slots__ = ("shape",)

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        y = x.view()
        try:
            y.shape = shape
        except AttributeError:
            raise RuntimeError(f"view size is not compatible with input tensor's size and stride (shape "
                               f"{x.shape}, strides {x.strides}): at least one dimension spans across two "
                               f"contiguous subspaces. Use .reshape(...) instead.") from None
        return y

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class Permute(Function):
    __slots__ = ("inverse",)

    @staticmethod
    def forward(ctx, x, dims):
        ctx.inverse = tuple(np.argsort(dims))
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx, g):
        return np.transpose(g, ctx.inverse), None


class Expand(Function):
    __slots__ = ("shape",)

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return unbroadcast(g, ctx.shape), None


class Repeat(Function):
    """np.tile semantics (PyTorch's repeat): gradient summed over the copies."""
    __slots__ = ("shape", "reps")

    @staticmethod
    def forward(ctx, x, reps):
        ctx.shape, ctx.reps = x.shape, reps
        return np.tile(x.reshape((1,) * (len(reps) - x.ndim) + x.shape), reps)

    @staticmethod
    def backward(ctx, g):
        split = []  # output dim i of size r·n becomes (r, n); the copies r are summed
        for r, n in zip(ctx.reps, (1,) * (len(ctx.reps) - len(ctx.shape)) + ctx.shape):
            split += [r, n]
        return g.reshape(tuple(split)).sum(axis=tuple(range(0, len(split), 2))).reshape(ctx.shape), None


class Flip(Function):
    __slots__ = ("dims",)

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.flip(x, dims)

    @staticmethod
    def backward(ctx, g):
        return np.flip(g, ctx.dims), None


class Roll(Function):
    __slots__ = ("shifts", "dims")

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return np.roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        back = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return np.roll(g, back, ctx.dims), None, None


class Cat(Function):
    __slots__ = ("dim", "sizes")

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        ctx.sizes = [x.shape[dim] for x in xs]
        return np.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads, start = [None], 0
        lead = (slice(None),) * ctx.dim
        for n, need in zip(ctx.sizes, ctx.needs_input_grad[1:]):
            grads.append(g[lead + (slice(start, start + n),)] if need else None)
            start += n
        return tuple(grads)


class Stack(Function):
    __slots__ = ("dim",)

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        return np.stack(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        lead = (slice(None),) * ctx.dim
        return (None,) + tuple(g[lead + (i,)] if need else None
                               for i, need in enumerate(ctx.needs_input_grad[1:]))


class Split(Function):
    """Several outputs (views) at once; backward joins their gradients (zeros for unused parts)."""
    __slots__ = ("dim",)

    @staticmethod
    def forward(ctx, x, bounds, dim):
        ctx.dim = dim
        lead = (slice(None),) * dim
        return tuple(x[lead + (slice(a, b),)] for a, b in bounds)

    @staticmethod
    def backward(ctx, *grads):
        return np.concatenate(grads, axis=ctx.dim), None, None


class Pad(Function):
    """Constant padding; its gradient is the un-padded middle of the output gradient."""
    __slots__ = ("inner",)

    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.inner = tuple(slice(a, a + n) for (a, _), n in zip(widths, x.shape))
        return np.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, g):
        return g[ctx.inner], None, None


class PadIndexed(Function):
    """Reflect / replicate / circular padding: each output element copies one input element,
    found through an index map; backward adds each output gradient to its source."""
    __slots__ = ("source", "shape")

    @staticmethod
    def forward(ctx, x, widths, mode):
        k = x.ndim - next(i for i, w in enumerate(widths) if w != (0, 0))
        inner = x.shape[x.ndim - k:]
        ids = np.arange(int(np.prod(inner))).reshape(inner)
        ctx.source = np.pad(ids, widths[x.ndim - k:], mode=mode).ravel()
        ctx.shape = x.shape
        return np.pad(x, widths, mode=mode)

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        rows = g.reshape(-1, ctx.source.size)
        out = np.zeros((rows.shape[0], int(np.prod(ctx.shape)) // max(rows.shape[0], 1)), g.dtype)
        np.add.at(out, (slice(None), ctx.source), rows)
        return out.reshape(ctx.shape), None, None


# -- the functions users call ---------------------------------------------------

def reshape(input: Tensor, shape: Sequence[int]) -> Tensor:
    """Same values in a new shape (a view when the memory layout allows, else a copy)."""
    shape = _resolve_shape(shape, input._data.size, input.shape)
    if shape == input.shape:
        return input
    return _as_view(Reshape.apply(input, shape), input)


def view(input: Tensor, shape: Sequence[int]) -> Tensor:
    """Same memory in a new shape; an error when that needs a copy (use reshape)."""
    shape = _resolve_shape(shape, input._data.size, input.shape)
    return _as_view(View.apply(input, shape), input)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions start_dim .. end_dim into one."""
    if input.ndim == 0:
        return reshape(input, (1,))
    s, e = _dim(start_dim, input.ndim), _dim(end_dim, input.ndim)
    if s > e:
        raise RuntimeError(f"flatten() has invalid args: start_dim {start_dim} cannot come after end_dim {end_dim}")
    shape = input.shape
    return reshape(input, shape[:s] + (int(np.prod(shape[s:e + 1])),) + shape[e + 1:])


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dimension dim into `sizes`."""
    d = _dim(dim, input.ndim)
    sizes = _resolve_shape(sizes, input.shape[d], (input.shape[d],))
    return reshape(input, input.shape[:d] + tuple(sizes) + input.shape[d + 1:])


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """Drop size-1 dimensions (all, or those named in dim; others are left alone as in PyTorch)."""
    if dim is None:
        dims = {i for i, n in enumerate(input.shape) if n == 1}
    else:
        dims = {_dim(d, input.ndim) for d in ((dim,) if isinstance(dim, int) else dim)}
        dims = {d for d in dims if input.ndim and input.shape[d] == 1}
    return reshape(input, tuple(n for i, n in enumerate(input.shape) if i not in dims))


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dimension at dim."""
    d = _dim(dim, input.ndim + 1)
    return reshape(input, input.shape[:d] + (1,) + input.shape[d:])


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions (a view)."""
    if input.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return input
    dims = list(range(input.ndim))
    a, b = _dim(dim0, input.ndim), _dim(dim1, input.ndim)
    dims[a], dims[b] = dims[b], dims[a]
    return permute(input, dims)


swapaxes = swapdims = transpose


def permute(input: Tensor, dims: Sequence[int]) -> Tensor:
    """Reorder the dimensions (a view)."""
    dims = tuple(_dim(d, input.ndim) for d in dims)
    if sorted(dims) != list(range(input.ndim)):
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                           f"the length of the desired ordering of dimensions i.e. input.dim() = "
                           f"{input.ndim} is not equal to len(dims) = {len(dims)}"
                           if len(dims) != input.ndim else f"permute: repeated dim in {dims}")
    return _as_view(Permute.apply(input, dims), input)


def expand(input: Tensor, shape: Sequence[int]) -> Tensor:
    """Broadcast size-1 dimensions to `shape` without copying (-1 keeps a size)."""
    shape = tuple(shape)
    if len(shape) < input.ndim:
        raise RuntimeError(f"expand: the number of sizes provided ({len(shape)}) must be greater or equal "
                           f"to the number of dimensions in the tensor ({input.ndim})")
    lead = len(shape) - input.ndim
    if any(s == -1 for s in shape[:lead]):
        raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing dimension; got sizes "
                           f"{list(shape)} for a tensor of shape {list(input.shape)}")
    full = tuple(input.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    for i, n in enumerate(input.shape):
        if n != 1 and n != full[lead + i]:
            raise RuntimeError(f"The expanded size of the tensor ({full[lead + i]}) must match the existing "
                               f"size ({n}) at non-singleton dimension {lead + i}. Target sizes: {list(shape)}."
                               f"  Tensor sizes: {list(input.shape)}")
    if full == input.shape:
        return input
    return _as_view(Expand.apply(input, full), input)


def broadcast_to(input: Any, shape: Sequence[int]) -> Tensor:
    """expand to `shape` (accepts arrays too)."""
    if not isinstance(input, Tensor):
        input = Tensor._make(np.asarray(input))
    return expand(input, tuple(shape))


def broadcast_tensors(*tensors: Tensor) -> tuple:
    """The tensors expanded to their common broadcast shape."""
    shape = np.broadcast_shapes(*(t.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


def repeat(input: Tensor, sizes: Sequence[int]) -> Tensor:
    """Tile the tensor `sizes[i]` times along dimension i (NumPy's tile)."""
    sizes = tuple(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    return Repeat.apply(input, sizes)


def flip(input: Tensor, dims: Sequence[int]) -> Tensor:
    """Reverse the order of elements along `dims`."""
    return Flip.apply(input, tuple(_dim(d, input.ndim) for d in dims))


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift elements along dims, wrapping around (the whole tensor flattened when dims is None)."""
    if dims is None:
        return reshape(Roll.apply(flatten(input), shifts, None), input.shape)
    if isinstance(shifts, (list, tuple)):
        shifts, dims = tuple(shifts), tuple(dims)
    return Roll.apply(input, shifts, dims)


def _seq_of_tensors(tensors: Any, what: str) -> list:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{what}(): expected a non-empty list of Tensors")
    return [t if isinstance(t, Tensor) else Tensor._make(np.asarray(t)) for t in tensors]


def _common_dtype(tensors: list) -> list:
    """The tensors converted to the dtype PyTorch's promotion gives them together."""
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        if t.dtype != dtype:
            dtype = result_dtype(Tensor._make(np.empty((1,), dtype)), t)
    return [t.type(dtype) for t in tensors]


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension."""
    tensors = _seq_of_tensors(tensors, "cat")
    d = _dim(dim, tensors[0].ndim)
    first = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.ndim != len(first) or t.shape[:d] + t.shape[d + 1:] != first[:d] + first[d + 1:]:
            raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected "
                               f"{first} (except dim {d}) but got {t.shape} for tensor number {i} in the list.")
    return Cat.apply(d, *_common_dtype(tensors))


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dimension."""
    tensors = _seq_of_tensors(tensors, "stack")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {tensors[0].shape} at "
                               f"entry 0 and {t.shape} at entry {i}")
    tensors = _common_dtype(tensors)
    return Stack.apply(_dim(dim, tensors[0].ndim + 1), *tensors)


def split(input: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Pieces of `split_size` (the last may be smaller), or of the listed sizes."""
    d = _dim(dim, input.ndim)
    n = input.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
        sizes = [min(step, n - a) for a in range(0, n, step)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                               f"size at dimension {d}), but got split_sizes={sizes}")
    bounds, start = [], 0
    for s in sizes:
        bounds.append((start, start + s))
        start += s
    outs = Split.apply(input, tuple(bounds), d)
    return tuple(_as_view(o, input) for o in outs)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """`chunks` nearly equal pieces (PyTorch's sizes: ceil(n / chunks) each, fewer if that covers n)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input.shape[_dim(dim, input.ndim)]
    step = -(-n // chunks) if n else 1
    return split(input, step, dim)


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """The slices along dim, with that dimension removed."""
    d = _dim(dim, input.ndim)
    return tuple(squeeze(p, d) for p in split(input, 1, d))


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> Tensor:
    """PyTorch's F.pad: `pad` lists (left, right) widths from the last dimension backwards."""
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise RuntimeError(f"Padding length must be divisible by 2 and at most twice the number of "
                           f"dimensions ({input.ndim}); got {len(pad)} values")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if any(a < 0 or b < 0 for a, b in widths):
        lead = tuple(slice(max(-a, 0), n - max(-b, 0)) for (a, b), n in zip(widths, input.shape))
        return globals()["pad"](input[lead], [max(p, 0) for p in pad], mode, value)
    if mode == "constant":
        return Pad.apply(input, tuple(widths), value)
    numpy_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}.get(mode)
    if numpy_mode is None:
        raise NotImplementedError(f"pad mode {mode!r}: expected 'constant', 'reflect', 'replicate' or 'circular'")
    return PadIndexed.apply(input, tuple(widths), numpy_mode)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The `length` entries from `start` along `dim` (a view)."""
    d = _dim(dim, input.ndim)
    n = input.shape[d]
    start = start + n if start < 0 else start
    if not (0 <= start <= n and 0 <= length and start + length <= n):
        raise IndexError(f"narrow: start ({start}) + length ({length}) exceeds dimension size ({n}) of "
                         f"dimension {dim} of a tensor of shape {tuple(input.shape)}")
    return input[(slice(None),) * d + (slice(start, start + length),)]


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Dimensions `source` moved to positions `destination`, the others in order (a view)."""
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain the "
                           f"same number of dims as destination ({dst} dims)")
    src, dst = [_dim(d, input.ndim) for d in src], [_dim(d, input.ndim) for d in dst]
    order = [None] * input.ndim
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(i for i in range(input.ndim) if i not in src)
    return permute(input, tuple(next(rest) if o is None else o for o in order))


moveaxis = movedim


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """`input` repeated dims[i] times along each dimension; fewer dims than dimensions count from the right."""
    dims = tuple(dims)
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


def meshgrid(*tensors: Tensor, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-D tensors: 'ij' (matrix) or 'xy' (Cartesian: the first two swapped)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    if any(t.ndim != 1 for t in tensors):
        raise RuntimeError(f"meshgrid expects 1-D tensors, got shapes {[tuple(t.shape) for t in tensors]}")
    swap = indexing == "xy" and len(tensors) >= 2
    ordered = (tensors[1], tensors[0]) + tuple(tensors[2:]) if swap else tuple(tensors)
    shape = tuple(t.shape[0] for t in ordered)
    grids = [expand(reshape(t, (1,) * i + (-1,) + (1,) * (len(shape) - i - 1)), shape) for i, t in enumerate(ordered)]
    if swap:
        grids = [grids[1], grids[0]] + grids[2:]
    return tuple(grids)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-D: the square matrix with `input` on diagonal `diagonal`; 2-D: that diagonal as a 1-D tensor."""
    if input.ndim == 2:
        from .indexing import diagonal as _diagonal
        return _diagonal(input, diagonal)
    if input.ndim != 1:
        raise RuntimeError(f"diag: expected a 1-D or 2-D tensor, got shape {tuple(input.shape)}")
    n, k = input.shape[0], abs(diagonal)
    square = Tensor._make(np.eye(n, dtype=input.dtype)) * input  # input[j] at (j, j)
    if diagonal == 0:
        return square
    return pad(square, (k, 0, 0, k) if diagonal > 0 else (0, k, k, 0))


def ravel(input: Tensor) -> Tensor:
    """The entries as a 1-D tensor (a view when the memory allows)."""
    return reshape(input, (-1,))


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenated along dimension 1 (dimension 0 for 1-D tensors)."""
    return cat(list(tensors), 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenated along dimension 0, 1-D tensors first made rows."""
    return cat([t.reshape(1, -1) if t.ndim == 1 else t for t in tensors], 0)


row_stack = vstack


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenated along dimension 2, each first made at least 3-D as NumPy's atleast_3d does."""
    def three(t: Tensor) -> Tensor:
        return t.reshape(1, -1, 1) if t.ndim <= 1 else (t.reshape(tuple(t.shape) + (1,)) if t.ndim == 2 else t)
    return cat([three(t) for t in tensors], 2)


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple:
    """Pieces along `dim`: n nearly equal ones (the first n mod size one longer), or cut at the given indices."""
    d = _dim(dim, input.ndim)
    size = input.shape[d]
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, (int, np.integer)):
        n = int(indices_or_sections)
        if n <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be greater than 0, got {n}")
        lengths = [size // n + (1 if k < size % n else 0) for k in range(n)]
        cuts = list(np.cumsum([0] + lengths))
    else:
        cuts = [0] + [min(max(int(i) + (size if int(i) < 0 else 0), 0), size) for i in indices_or_sections] + [size]
    return tuple(input[(slice(None),) * d + (slice(a, max(a, b)),)] for a, b in zip(cuts, cuts[1:]))
