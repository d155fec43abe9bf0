"""Indexing: reading picks elements, so backward scatters the gradient back to where they came from.

An element read twice (repeated integer indices) gets both gradients summed.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from .arithmetic import unbroadcast
from .shape import _as_view, _dim


def _normalize_index(index: Any) -> Any:
    """Tensors and lists inside an index become NumPy arrays."""
    if isinstance(index, tuple):
        return tuple(_normalize_index(i) for i in index)
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _is_basic(index: Any) -> bool:
    """Ints, slices, None and ...: the result is a view, each element read at most once."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)


def _no_repeats(index: Any) -> bool:
    """Basic indexing and a single boolean mask never read an element twice."""
    if _is_basic(index):
        return True
    items = index if isinstance(index, tuple) else (index,)
    advanced = [i for i in items if isinstance(i, np.ndarray)]
    return len(advanced) == 1 and advanced[0].dtype == np.bool_


def index_backward(g: Any, shape: tuple, index: Any) -> Any:
    """Gradient of x[index] w.r.t. x: zeros of x's shape with g added at `index`."""
    if isinstance(g, Tensor):
        return IndexAdd.apply(g, shape, index)
    out = np.zeros(shape, dtype=g.dtype)
    if _no_repeats(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


class GetItem(Function):
    __slots__ = ("shape", "index")

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, g):
        return index_backward(g, ctx.shape, ctx.index), None


class IndexAdd(Function):
    """zeros(shape) with g added at index: GetItem's backward as an operation, so it has a gradient too."""
    __slots__ = ("index",)

    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        return index_backward(g, shape, index)

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.index], None, None


class IndexPut(Function):
    """x with x[index] = v, out of place (t[index] = v on a tensor in the graph records this)."""
    __slots__ = ("index", "kept", "v_shape")

    @staticmethod
    def forward(ctx, x, v, index):
        y = x.copy()
        y[index] = v
        ctx.index, ctx.v_shape = index, np.shape(v)
        ctx.kept = np.ones(x.shape, dtype=bool)
        ctx.kept[index] = False
        return y

    @staticmethod
    def backward(ctx, g):
        need_x, need_v = ctx.needs_input_grad[:2]
        return (g * ctx.kept if need_x else None,
                unbroadcast(g[ctx.index], ctx.v_shape) if need_v else None, None)


def _grid_index(index: np.ndarray, dim: int) -> tuple:
    """Full integer index for `index` along `dim` (the others count 0, 1, 2, ...)."""
    grids = list(np.ogrid[tuple(slice(n) for n in index.shape)])
    grids[dim] = index
    return tuple(grids)


class Gather(Function):
    __slots__ = ("shape", "where")

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape = x.shape
        ctx.where = _grid_index(index, dim)
        return x[ctx.where]

    @staticmethod
    def backward(ctx, g):
        return index_backward(g, ctx.shape, ctx.where), None, None


class ScatterAdd(Function):
    __slots__ = ("where", "src_shape")

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.where = _grid_index(index, dim)
        out = x.copy()
        np.add.at(out, ctx.where, src[tuple(slice(n) for n in index.shape)])
        ctx.src_shape = src.shape
        return out

    @staticmethod
    def backward(ctx, g):
        used = tuple(slice(n) for n in np.broadcast_shapes(*(w.shape for w in ctx.where)))
        gsrc = index_backward(g[ctx.where], ctx.src_shape, used) if ctx.needs_input_grad[3] else None
        return g, None, None, gsrc


# -- the functions users call ---------------------------------------------------

def getitem(input: Tensor, index: Any) -> Tensor:
    """input[index] with ints, slices, None, ..., integer arrays and boolean masks."""
    index = _normalize_index(index)
    try:
        out = GetItem.apply(input, index)
    except IndexError as e:
        raise IndexError(f"{e} (indexing a tensor of shape {tuple(input.shape)} with {index!r})") from None
    if _is_basic(index):
        _as_view(out, input)
    return out


def _check_dim_index(input: Tensor, dim: int, index: Any, what: str) -> tuple:
    index = index._data if isinstance(index, Tensor) else np.asarray(index)
    if index.dtype.kind not in "iu":
        raise RuntimeError(f"{what}(): Expected dtype int64 for index, got {index.dtype}")
    return _dim(dim, input.ndim), index


def gather(input: Tensor, dim: int, index: Any) -> Tensor:
    """out[i][j] = input[index[i][j]][j] (dim 0), etc.: pick along `dim`."""
    d, index = _check_dim_index(input, dim, index, "gather")
    if index.ndim != input.ndim:
        raise RuntimeError(f"Index tensor must have the same number of dimensions as input tensor "
                           f"(index {index.ndim}D, input {input.ndim}D)")
    return Gather.apply(input, d, index)


def scatter_add(input: Tensor, dim: int, index: Any, src: Any) -> Tensor:
    """input with src[i][j] added at row index[i][j] (dim 0), etc.; repeats accumulate."""
    d, index = _check_dim_index(input, dim, index, "scatter_add")
    src_shape = np.shape(src._data if isinstance(src, Tensor) else src)
    sizes = enumerate(zip(index.shape, src_shape, input.shape))
    if (index.ndim != input.ndim or len(src_shape) != index.ndim
            or any(i > s or (k != d and i > n) for k, (i, s, n) in sizes)):
        raise RuntimeError(f"scatter_add(): expected index {tuple(index.shape)} to have the number of dimensions of "
                           f"input {tuple(input.shape)} and src {tuple(src_shape)}, and to be no larger than src in "
                           f"every dimension and than input in every dimension but {d}")
    return ScatterAdd.apply(input, d, index, src)


def index_select(input: Tensor, dim: int, index: Any) -> Tensor:
    """The entries of `index` along `dim`."""
    d, index = _check_dim_index(input, dim, index, "index_select")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    return getitem(input, (slice(None),) * d + (index.reshape(-1),))


def nonzero(input: Any, as_tuple: bool = False) -> Any:
    """Indices of nonzero elements: an (n, ndim) int64 tensor, or one tensor per dimension."""
    data = input._data if isinstance(input, Tensor) else np.asarray(input)
    idx = np.nonzero(data)
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in idx)
    return Tensor._make(np.stack(idx, axis=1).astype(np.int64) if idx else np.zeros((0, 0), np.int64))


def masked_select(input: Tensor, mask: Any) -> Tensor:
    """The entries of `input` where `mask` (broadcast against it) is True, as a 1-D tensor."""
    from .shape import broadcast_tensors
    mask = mask if isinstance(mask, Tensor) else Tensor._make(np.asarray(mask))
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_select: expected a boolean mask, got dtype {mask.dtype}")
    x, m = broadcast_tensors(input, mask)
    return getitem(x, m._data)


def repeat_interleave(input: Tensor, repeats: Any, dim: Any = None, *, output_size: Any = None) -> Tensor:
    """Each entry repeated `repeats` times (an int, or one count per entry) along `dim` (flattened if None)."""
    if dim is None:
        input, dim = input.reshape(-1), 0
    d = _dim(dim, input.ndim)
    counts = repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats)
    if counts.ndim > 1 or (counts.ndim == 1 and counts.shape[0] != input.shape[d]) or (counts < 0).any():
        raise RuntimeError(f"repeat_interleave: repeats must be a non-negative int or one count per entry "
                           f"({input.shape[d]}), got {counts.tolist()}")
    return index_select(input, d, np.repeat(np.arange(input.shape[d]), counts))


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal `offset` of the (dim1, dim2) planes, as the last dimension (as PyTorch)."""
    from .shape import movedim
    d1, d2 = _dim(dim1, input.ndim), _dim(dim2, input.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    x = movedim(input, (d1, d2), (-2, -1))
    rows, cols = x.shape[-2:]
    start_r, start_c = (0, offset) if offset >= 0 else (-offset, 0)
    n = max(0, min(rows - start_r, cols - start_c))
    i = np.arange(n)
    return getitem(x, (Ellipsis, i + start_r, i + start_c))


def index_add(input: Tensor, dim: int, index: Any, source: Any, alpha: Any = 1) -> Tensor:
    """input with alpha·source's slice i added at position index[i] along `dim` (repeats accumulate)."""
    d, index = _check_dim_index(input, dim, index, "index_add")
    source = source if isinstance(source, Tensor) else Tensor._make(np.asarray(source))
    if index.ndim != 1 or source.ndim != input.ndim or source.shape[d] != index.shape[0]:
        raise RuntimeError(f"index_add(): expected a 1-D index with one entry per slice of source along dim {dim} "
                           f"(source {tuple(source.shape)}, index {tuple(index.shape)}, input {tuple(input.shape)})")
    where = np.broadcast_to(index.reshape((1,) * d + (-1,) + (1,) * (input.ndim - d - 1)), source.shape)
    return scatter_add(input, d, np.ascontiguousarray(where), source if alpha == 1 else source * alpha)


def index_fill(input: Tensor, dim: int, index: Any, value: Any) -> Tensor:
    """input with every entry at positions `index` along `dim` set to `value`."""
    from .elementwise import masked_fill
    d, index = _check_dim_index(input, dim, index, "index_fill")
    mask = np.zeros(input.shape[d], dtype=bool)
    mask[index] = True
    return masked_fill(input, np.broadcast_to(mask.reshape((-1,) + (1,) * (input.ndim - d - 1)), input.shape), value)
