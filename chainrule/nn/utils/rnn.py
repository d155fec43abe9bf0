"""Variable-length sequences for recurrent layers: padding, and packing into a `PackedSequence`.

A packed batch stores time step after time step, each holding only the
sequences still running at that step, longest first: `data` rows of step t
are the first `batch_sizes[t]` sequences of the batch sorted by decreasing
length. A recurrent layer given a `PackedSequence` therefore stops updating a
sequence's state at its end, and padding back gives zeros after it.

Packing and unpacking move whole rows: both are differentiable, each the
other's backward.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Any, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from ...autograd.function import Function
from ...ops import pad, reshape, stack
from ...tensor import Tensor


class _TakeRows(Function):
    """x[rows] for distinct row indices; the gradient goes back to those rows."""
    __slots__ = ("rows", "n")

    @staticmethod
    def forward(ctx, x, rows):
        ctx.rows, ctx.n = rows, x.shape[0]
        return x[rows]

    @staticmethod
    def backward(ctx, g):
        return _put_rows(g, ctx.rows, ctx.n, 0.0), None


class _PutRows(Function):
    """n rows of `fill`, with the rows of `src` written at `rows`; the gradient is read back from them."""
    __slots__ = ("rows",)

    @staticmethod
    def forward(ctx, src, rows, n, fill):
        ctx.rows = rows
        out = np.full((n,) + src.shape[1:], fill, dtype=src.dtype)
        out[rows] = src
        return out

    @staticmethod
    def backward(ctx, g):
        return _take_rows(g, ctx.rows), None, None, None


def _take_rows(x: Any, rows: np.ndarray) -> Any:
    return _TakeRows.apply(x, rows) if isinstance(x, Tensor) else x[rows]


def _put_rows(src: Any, rows: np.ndarray, n: int, fill: float) -> Any:
    if isinstance(src, Tensor):
        return _PutRows.apply(src, rows, n, fill)
    out = np.full((n,) + src.shape[1:], fill, dtype=src.dtype)
    out[rows] = src
    return out


def _ints(x: Any) -> np.ndarray:
    return np.asarray(x._data if isinstance(x, Tensor) else x, dtype=np.int64)


def invert_permutation(permutation: Optional[Tensor]) -> Optional[Tensor]:
    """The inverse permutation (sorted_indices -> unsorted_indices), or None for None."""
    if permutation is None:
        return None
    p = _ints(permutation)
    inverse = np.empty_like(p)
    inverse[p] = np.arange(p.size)
    return Tensor._make(inverse)


_Fields = namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_Fields):
    """A batch of variable-length sequences, packed step by step (made by `pack_padded_sequence`
    or `pack_sequence`, consumed by RNN / LSTM / GRU).

    data: (sum of lengths, *) rows; batch_sizes: int64, how many sequences run at each step;
    sorted_indices: the batch order used for packing (None if already sorted); unsorted_indices: its inverse.
    """

    def __new__(cls, data: Any, batch_sizes: Optional[Tensor] = None, sorted_indices: Optional[Tensor] = None,
                unsorted_indices: Optional[Tensor] = None) -> "PackedSequence":
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence((data, batch_sizes), ...)
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise ValueError("PackedSequence expects data and batch_sizes, or one (data, batch_sizes) pair; "
                                 f"got {type(data).__name__} alone")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> "PackedSequence":
        """The same sequences with `data` converted (dtype); the index tensors stay int64."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else type(self)(data, self.batch_sizes, self.sorted_indices,
                                                          self.unsorted_indices)

    def cpu(self) -> "PackedSequence":
        return self

    def double(self) -> "PackedSequence":
        return self.to(np.float64)

    def float(self) -> "PackedSequence":
        return self.to(np.float32)

    @property
    def is_cuda(self) -> bool:
        return False


def _check_lengths(lengths: np.ndarray, batch: int, steps: int, shape: tuple, enforce_sorted: bool) -> None:
    if lengths.ndim != 1 or lengths.size != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.size} "
                           f"(batch_size={batch}) for padded input of shape {shape}")
    if enforce_sorted and np.any(lengths[1:] > lengths[:-1]):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
            "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement "
            "if you do not need ONNX exportability.")
    if lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           f"that is <= 0: {lengths.tolist()}")
    if lengths.max() > steps:
        raise RuntimeError(f"a sequence length of {lengths.max()} exceeds the {steps} time steps of the padded "
                           f"input of shape {shape}")


def _packed_positions(sorted_lengths: np.ndarray, order: np.ndarray, steps: int, batch_first: bool) -> tuple:
    """batch_sizes, and for each packed row its row in the padded input flattened to (T*B, *) or (B*T, *)."""
    running = sorted_lengths[None, :] > np.arange(sorted_lengths[0])[:, None]  # (step, sorted batch)
    t, j = np.nonzero(running)  # step by step, longest first: the packed order
    batch = order.size
    rows = order[j] * steps + t if batch_first else t * batch + order[j]
    return running.sum(1).astype(np.int64), rows


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *) with batch_first) of sequences of the given lengths.

    enforce_sorted=True expects lengths in decreasing order; False sorts them (stable) first.
    """
    if input.ndim < 2:
        raise ValueError(f"pack_padded_sequence expects padded input of shape (T, B, *) or (B, T, *) with "
                         f"batch_first, got shape {tuple(input.shape)}")
    steps, batch = (input.shape[1], input.shape[0]) if batch_first else input.shape[:2]
    lengths = _ints(lengths)
    _check_lengths(lengths, batch, steps, tuple(input.shape), enforce_sorted)
    order = np.arange(batch) if enforce_sorted else np.argsort(-lengths, kind="stable")
    batch_sizes, rows = _packed_positions(lengths[order], order, steps, batch_first)
    data = _take_rows(reshape(input, (steps * batch,) + tuple(input.shape[2:])), rows)
    sorted_indices = None if enforce_sorted else Tensor._make(order)
    return PackedSequence(data, Tensor._make(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: Optional[int] = None) -> Tuple[Tensor, Tensor]:
    """Undo `pack_padded_sequence`: (padded (T, B, *) or (B, T, *), lengths) in the original batch order."""
    data, batch_sizes, sorted_indices, _ = sequence
    batch_sizes = _ints(batch_sizes)
    steps = batch_sizes.size
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {steps}")
        steps = total_length
    batch = int(batch_sizes[0])
    sorted_lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1)
    order = _ints(sorted_indices) if sorted_indices is not None else np.arange(batch)
    _, rows = _packed_positions(sorted_lengths, order, steps, batch_first)
    padded = _put_rows(data, rows, steps * batch, padding_value)
    shape = (batch, steps) if batch_first else (steps, batch)
    lengths = np.empty(batch, dtype=np.int64)
    lengths[order] = sorted_lengths
    return reshape(padded, shape + tuple(data.shape[1:])), Tensor._make(lengths)


def pad_sequence(sequences: Union[Tensor, Iterable[Tensor]], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes (L_i, *) into (T, B, *) (or (B, T, *)), T the longest, padding on one side."""
    if isinstance(sequences, Tensor):
        sequences = list(sequences)
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    trailing = tuple(sequences[0].shape[1:])
    for i, s in enumerate(sequences):
        if s.ndim == 0 or tuple(s.shape[1:]) != trailing:
            raise RuntimeError(f"pad_sequence expects sequences of shape (L, *{trailing}) like the first one; "
                               f"sequence {i} has shape {tuple(s.shape)}")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = longest - s.shape[0]
        widths = [0, 0] * len(trailing) + ([0, extra] if padding_side == "right" else [extra, 0])
        padded.append(pad(s, widths, value=padding_value) if extra else s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths: Any, batch_first: bool = False) -> List[Tensor]:
    """Split a padded batch back into its sequences of the given lengths."""
    lengths = _ints(lengths)
    if batch_first:
        return [padded_sequences[b, :n] for b, n in enumerate(lengths.tolist())]
    return [padded_sequences[:n, b] for b, n in enumerate(lengths.tolist())]


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack sequences of shapes (L_i, *): `pad_sequence` then `pack_padded_sequence`."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> List[Tensor]:
    """The list of sequences a `PackedSequence` holds, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
