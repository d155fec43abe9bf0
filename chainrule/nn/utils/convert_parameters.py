"""All parameters as one flat vector and back (for line searches, second-order methods, averaging)."""
from __future__ import annotations

from typing import Iterable

from ...ops import cat
from ...tensor import Tensor


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and concatenated in order (differentiable, like `cat`)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Make each parameter's data the matching slice of `vec` (a view of vec's memory, as in PyTorch)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected chainrule.Tensor, but got: {type(vec).__name__}")
    parameters = list(parameters)
    needed = sum(p.numel() for p in parameters)
    if vec.numel() < needed:
        raise RuntimeError(f"vector_to_parameters: the vector has {vec.numel()} elements, but the parameters "
                           f"need {needed}")
    flat = vec._data.reshape(-1)
    start = 0
    for p in parameters:
        n = p.numel()
        p.data = Tensor._make(flat[start:start + n].reshape(p.shape))
        start += n
