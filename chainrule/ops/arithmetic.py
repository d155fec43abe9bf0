"""Arithmetic: + - * / // ** @ and negation, with NumPy broadcasting.

When an operand was broadcast in forward, every copy of a value contributed to
the output, so its gradient is the output gradient summed over the broadcast
dimensions. The engine does that summing (`unbroadcast`) for every backward
whose gradient comes out larger than its operand, as PyTorch's engine does, so
the backwards below are the plain elementwise derivatives.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..dtypes import get_default_dtype
from ..tensor import Tensor


def unbroadcast(g: Any, shape: tuple) -> Any:
    """Sum gradient `g` down to `shape`, undoing NumPy broadcasting."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    if axes:
        g = g.sum(axis=axes)
    return g.reshape(shape)


def broadcast_error(*operands: Any) -> Exception:
    """PyTorch's error for operands whose shapes do not broadcast (None if they do)."""
    shapes = [np.shape(x._data if isinstance(x, Tensor) else x) for x in operands]
    try:
        np.broadcast_shapes(*shapes)
        return None
    except ValueError:
        pass
    ndim = max(len(s) for s in shapes)
    for d in range(1, ndim + 1):  # from the last dimension, as broadcasting aligns them
        sizes = {(i, s[-d]) for i, s in enumerate(shapes) if len(s) >= d and s[-d] != 1}
        if len({n for _, n in sizes}) > 1:
            (i, n), *rest = sorted(sizes)
            j, m = next(e for e in rest if e[1] != n)
            return RuntimeError(f"The size of tensor {'abcdef'[i]} ({n}) must match the size of tensor "
                                f"{'abcdef'[j]} ({m}) at non-singleton dimension {ndim - d} (shapes "
                                f"{', '.join(str(tuple(s)) for s in shapes)})")
    return None


class Add(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad or (False, False)
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors  # d(ab)/da = b, d(ab)/db = a
        return (None if b is None else g * b), (None if a is None else g * a)


class Div(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, a, b):
        out = a / b
        ctx.save_for_backward(b, out if ctx.needs_input_grad[1:] == (True,) else None)
        return out

    @staticmethod
    def backward(ctx, g):
        b, out = ctx.saved_tensors  # d(a/b)/da = 1/b, d(a/b)/db = -a/b² = -out/b
        need_a, need_b = ctx.needs_input_grad
        return (g / b if need_a else None), (-g * out / b if need_b else None)


class Neg(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, a, b):
        out = a ** b
        ctx.save_for_backward(a, b, out if ctx.needs_input_grad[1:] == (True,) else None)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors  # d(a^b)/da = b·a^(b-1), d(a^b)/db = a^b·ln a
        need_a, need_b = ctx.needs_input_grad
        ga = gb = None
        if need_a:
            ga = g * b * a ** (b - 1) if not _is_zero(b) else g * 0
        if need_b:
            gb = g * out * np.log(np.where(a > 0, a, 1))  # 0^b·ln 0 counts as 0, as in PyTorch
        return ga, gb


def _is_zero(x: Any) -> bool:
    return type(x) is np.ndarray and x.ndim == 0 and x == 0


class FloorDivide(Function):
    """a // b. Its gradient is zero wherever it exists (PyTorch raises instead: chainrule adds)."""
    __slots__ = ()

    @staticmethod
    def forward(ctx, a, b):
        return a // b

    @staticmethod
    def backward(ctx, g):
        zero = g * 0
        return zero, zero


class MatMul(Function):
    """a @ b for 1-D to N-D operands, batch dimensions broadcast as in NumPy."""
    __slots__ = ()

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors  # C = AB: dA = G·Bᵀ, dB = Aᵀ·G (1-D operands as 1-row / 1-column matrices)
        need_a, need_b = ctx.needs_input_grad
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1 and b.ndim == 1:
            g2 = g.reshape((1, 1))
        elif a.ndim == 1:
            g2 = g[..., None, :]
        elif b.ndim == 1:
            g2 = g[..., None]
        else:
            g2 = g
        ga = unbroadcast(g2 @ b2.swapaxes(-1, -2), a2.shape).reshape(a.shape) if need_a else None
        gb = unbroadcast(a2.swapaxes(-1, -2) @ g2, b2.shape).reshape(b.shape) if need_b else None
        return ga, gb


# -- the functions users call ---------------------------------------------------

def _category(dtype: np.dtype) -> int:
    return 0 if dtype.kind == "b" else 2 if dtype.kind in "fc" else 1


def result_dtype(a: Tensor, b: Tensor) -> np.dtype:
    """PyTorch's promotion of two tensors: a 0-d tensor decides only when of a higher category
    (bool < integer < float), and integer with float gives the float dtype (NumPy: float64)."""
    da, db = a._data.dtype, b._data.dtype
    if (a._data.ndim == 0) != (b._data.ndim == 0):
        dim, zero = (da, db) if a._data.ndim else (db, da)
        return dim if _category(zero) <= _category(dim) else zero
    if _category(da) != _category(db):
        return da if _category(da) > _category(db) else db
    return np.promote_types(da, db)


def operands(a: Any, b: Any) -> tuple:
    """(a, b) for a binary operation, converted where NumPy's type promotion differs from PyTorch's."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            if a._data.dtype == b._data.dtype:
                return a, b
            dtype = result_dtype(a, b)
            return a.type(dtype), b.type(dtype)
        if type(b) is float and a._data.dtype.kind == "f":  # the common case, first
            return a, scalar_array(b, a._data.dtype)
        return _with_operand(a, b, False)
    if isinstance(b, Tensor):
        if type(a) is float and b._data.dtype.kind == "f":
            return scalar_array(a, b._data.dtype), b
        return _with_operand(b, a, True)
    raise TypeError(f"expected at least one Tensor operand, got {type(a).__name__} and {type(b).__name__}")


def _with_operand(t: Tensor, x: Any, x_first: bool) -> tuple:
    """Tensor `t` with a non-tensor operand `x`: an array acts as a tensor, a number as a 0-d array
    of the tensor's dtype (a NumPy scalar too: it never widens the dtype), except that a float
    makes an integer tensor float."""
    if isinstance(x, (np.ndarray, list, tuple)):
        if not isinstance(x, np.ndarray):  # Python numbers in a list: as chainrule.tensor(list) reads them
            x = np.asarray(x)
            x = x.astype(get_default_dtype()) if x.dtype == np.float64 else x
        if x.ndim:
            return operands(Tensor._make(x), t) if x_first else operands(t, Tensor._make(x))
        x = x.item()
    elif isinstance(x, np.generic):
        x = x.item()
    if not isinstance(x, (int, float)):
        raise TypeError(f"unsupported operand type for a tensor operation: {type(x).__name__}")
    kind = t._data.dtype.kind
    if type(x) is float and kind in "biu":
        t = t.type(get_default_dtype())
    elif kind == "b" and type(x) is int:
        t = t.type(np.int64)
    x = scalar_array(x, t._data.dtype)
    return (x, t) if x_first else (t, x)


_scalars: dict = {}


def scalar_array(x: Any, dtype: np.dtype) -> np.ndarray:
    """A number as a read-only 0-d array of `dtype`, cached: NumPy combines an array with a
    0-d array of its dtype about twice as fast as with a Python number."""
    key = (x, dtype)
    a = _scalars.get(key)
    if a is None:
        if len(_scalars) > 1024:
            _scalars.clear()
        a = _scalars[key] = np.array(x, dtype)
        a.flags.writeable = False
    return a


def add(input: Any, other: Any, alpha: Any = 1) -> Tensor:
    """input + alpha * other."""
    a, b = operands(input, other if alpha == 1 else other * alpha)
    try:
        return Add.apply(a, b)
    except ValueError as e:
        raise broadcast_error(a, b) or e from None


def sub(input: Any, other: Any, alpha: Any = 1) -> Tensor:
    """input - alpha * other."""
    a, b = operands(input, other if alpha == 1 else other * alpha)
    try:
        return Sub.apply(a, b)
    except ValueError as e:
        raise broadcast_error(a, b) or e from None


subtract = sub


def mul(input: Any, other: Any) -> Tensor:
    """Elementwise product."""
    a, b = operands(input, other)
    try:
        return Mul.apply(a, b)
    except ValueError as e:
        raise broadcast_error(a, b) or e from None


multiply = mul


def div(input: Any, other: Any, rounding_mode: Any = None) -> Tensor:
    """True division (integers give the default float dtype, as in PyTorch); rounding_mode 'floor' or 'trunc'."""
    if rounding_mode is None:
        a, b = operands(_as_float(input), _as_float(other))
        try:
            return Div.apply(a, b)
        except ValueError as e:
            raise broadcast_error(a, b) or e from None
    a, b = operands(input, other)
    if rounding_mode == "floor":
        return FloorDivide.apply(a, b)
    if rounding_mode == "trunc":  # towards zero: one above the floor where that is negative and inexact
        q = FloorDivide.apply(a, b)
        return q + ((q < 0) & (q * b != a))
    raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found {rounding_mode!r}")


def _as_float(x: Any) -> Any:
    if isinstance(x, Tensor) and x._data.dtype.kind in "biu":
        return x.type(get_default_dtype())
    return x


divide = true_divide = div


def neg(input: Tensor) -> Tensor:
    """-input."""
    return Neg.apply(input)


negative = neg


def pow(input: Any, exponent: Any) -> Tensor:
    """input ** exponent (elementwise)."""
    a, b = operands(input, exponent)
    try:
        return Pow.apply(a, b)
    except ValueError as e:
        raise broadcast_error(a, b) or e from None


def floor_divide(input: Any, other: Any) -> Tensor:
    """input // other, rounded towards minus infinity."""
    a, b = operands(input, other)
    try:
        return FloorDivide.apply(a, b)
    except ValueError as e:
        raise broadcast_error(a, b) or e from None


def remainder(input: Any, other: Any) -> Tensor:
    """input - floor(input / other) * other (Python's %)."""
    return input - floor_divide(input, other) * other


def matmul(input: Any, other: Any) -> Tensor:
    """Matrix product, with PyTorch's (and NumPy's) rules for 1-D and batched operands."""
    input, other = operands(input, other)
    a, b = np.shape(input._data if isinstance(input, Tensor) else input), \
        np.shape(other._data if isinstance(other, Tensor) else other)
    if len(a) == 0 or len(b) == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {len(a)}D and {len(b)}D")
    ka = a[-1]
    kb = b[-2] if len(b) > 1 else b[0]
    if ka != kb:
        raise RuntimeError(f"matmul: shapes {tuple(a)} and {tuple(b)} cannot be multiplied "
                           f"({ka} columns on the left, {kb} rows on the right)")
    return MatMul.apply(input, other)


mm = bmm = mv = dot = matmul



def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """The outer product of two 1-D tensors: out[i, j] = input[i] · vec2[j]."""
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"outer: expected 1-D tensors, got shapes {tuple(input.shape)} and {tuple(vec2.shape)}")
    return mul(input.reshape(-1, 1), vec2.reshape(1, -1))


ger = outer


class Einsum(Function):
    """A sum of products over named indices, with explicit subscripts (`einsum` resolves ellipses, the
    implicit output and broadcasting first). Operand i's gradient is the einsum of the output gradient with
    the other operands onto i's subscripts: broadcast over indices only i has, and put on the diagonal
    where i repeats an index ('ii')."""
    __slots__ = ("subs", "out", "shapes")

    @staticmethod
    def forward(ctx, subs, out, *operands):
        ctx.subs, ctx.out, ctx.shapes = subs, out, [np.shape(o) for o in operands]
        ctx.save_for_backward(*operands)
        return np.einsum(",".join(subs) + "->" + out, *operands, optimize=len(operands) > 2)

    @staticmethod
    def backward(ctx, g):
        operands = ctx.saved_tensors
        need = ctx.needs_input_grad[2:]
        return (None, None) + tuple(_einsum_grad(g, operands, ctx.subs, ctx.out, i, ctx.shapes[i]) if need[i]
                                    else None for i in range(len(operands)))


def _einsum_grad(g: Any, operands: tuple, subs: tuple, out: str, i: int, shape: tuple) -> Any:
    sub = subs[i]
    letters = list(dict.fromkeys(sub))  # each index once, in order of appearance
    others = [s for j, s in enumerate(subs) if j != i]
    seen = set(out).union(*others)
    present = [c for c in letters if c in seen]
    grad = np.einsum(",".join([out] + others) + "->" + "".join(present), g,
                     *[o for j, o in enumerate(operands) if j != i])
    sizes = [shape[sub.index(c)] for c in letters]
    if len(present) < len(letters):  # indices only this operand has: every entry along them got the same
        grad = np.broadcast_to(np.reshape(grad, [n if c in seen else 1 for c, n in zip(letters, sizes)]), sizes)
    if len(letters) == len(sub):
        return grad
    from .indexing import index_backward
    axes = np.indices(sizes)  # a repeated index: the gradient lands on that diagonal
    return index_backward(grad, shape, tuple(axes[letters.index(c)] for c in sub))


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation as torch.einsum: 'ij,jk->ik', implicit outputs ('ij,jk'), ellipses ('...ij,...jk'),
    repeated indices ('ii->i'), size-1 dimensions broadcast; operands as arguments or one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = tuple(o if isinstance(o, Tensor) else Tensor._make(np.asarray(o)) for o in operands)
    lhs, arrow, out = equation.replace(" ", "").partition("->")
    subs = lhs.split(",")
    if len(subs) != len(operands):
        raise RuntimeError(f"einsum(): the equation {equation!r} has {len(subs)} operand(s) but {len(operands)} "
                           f"were given")
    spare = [c for c in "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkjihgfedcba" if c not in equation]
    widths = [o.ndim - len(s.replace("...", "")) for s, o in zip(subs, operands)]
    ellipsis = "".join(reversed(spare[:max([w for s, w in zip(subs, widths) if "..." in s], default=0)]))
    for k, (s, o, w) in enumerate(zip(subs, operands, widths)):
        if "..." in s:
            s = s.replace("...", ellipsis[len(ellipsis) - w:] if w > 0 else "", 1)
        if len(s) != o.ndim or (s and not s.isalpha()):  # ('' for a 0-d operand)
            raise RuntimeError(f"einsum(): subscripts {subs[k]!r} do not fit operand {k} of shape {tuple(o.shape)}")
        subs[k] = s
    if arrow:
        out = out.replace("...", ellipsis)
    else:
        counts = {c: "".join(subs).count(c) for c in "".join(subs)}
        out = "".join(c for c in ellipsis if c in counts) + "".join(sorted(c for c, n in counts.items()
                                                                           if n == 1 and c not in ellipsis))
    if not out.isalpha() and out or len(set(out)) != len(out) or not set(out) <= set("".join(subs)):
        raise RuntimeError(f"einsum(): invalid output subscripts {out!r} for {equation!r}")
    sizes: dict = {}
    for s, o in zip(subs, operands):
        for c, n in zip(s, o.shape):
            if sizes.get(c, 1) != 1 and n not in (1, sizes[c]):
                raise RuntimeError(f"einsum(): index {c!r} has size {sizes[c]} in one operand and {n} in another "
                                   f"({equation!r})")
            sizes[c] = max(sizes.get(c, 1), n) if n != 1 else sizes.get(c, 1)
    from .shape import expand
    operands = tuple(o if all(n == sizes[c] or s.count(c) > 1 for c, n in zip(s, o.shape))
                     else expand(o, [sizes[c] for c in s]) for s, o in zip(subs, operands))
    a = operands[0]
    if len(operands) > 1 and any(x.dtype != a.dtype for x in operands[1:]):
        raise RuntimeError(f"einsum(): operands must have the same dtype, got {[str(x.dtype) for x in operands]}")
    return Einsum.apply(tuple(subs), out, *operands)


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta·input + alpha·(mat1 @ mat2)."""
    return _scaled(input, beta) + _scaled(mm(mat1, mat2), alpha)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta·input + alpha·(batch1 @ batch2), batch by batch."""
    return _scaled(input, beta) + _scaled(bmm(batch1, batch2), alpha)


def addcmul(input: Tensor, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
    """input + value·tensor1·tensor2."""
    return input + _scaled(tensor1 * tensor2, value)


def addcdiv(input: Tensor, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
    """input + value·tensor1 / tensor2."""
    return input + _scaled(tensor1 / tensor2, value)


def _scaled(x: Any, factor: Any) -> Any:
    return x if isinstance(factor, (int, float)) and factor == 1 else x * factor


def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: every entry of input times the whole of other, in blocks."""
    n = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (n - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (n - other.ndim) + tuple(other.shape))
    spread_a = a.reshape(tuple(x for d in a.shape for x in (d, 1)))
    spread_b = b.reshape(tuple(x for d in b.shape for x in (1, d)))
    return mul(spread_a, spread_b).reshape(tuple(p * q for p, q in zip(a.shape, b.shape)))
