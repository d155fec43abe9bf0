"""Checks a training loader can run on each batch: no NaN or infinity slips into training."""
from __future__ import annotations

from typing import Any, Iterator, Optional, Sequence, Tuple

import numpy as np

from ...tensor import Tensor


def _arrays(batch: Any, path: str = "batch") -> Iterator[Tuple[str, np.ndarray]]:
    """Every floating-point array in a (nested) batch, with where it sits."""
    if isinstance(batch, Tensor):
        batch = batch._data
    if isinstance(batch, np.ndarray):
        if batch.dtype.kind in "fc":
            yield path, batch
    elif isinstance(batch, dict):
        for key, value in batch.items():
            yield from _arrays(value, f"{path}[{key!r}]")
    elif isinstance(batch, (list, tuple)):
        for i, value in enumerate(batch):
            yield from _arrays(value, f"{path}[{i}]")


def check_finite_batch(batch: Any, number: int, indices: Optional[Sequence[int]] = None) -> None:
    """Raise ValueError naming the batch, field, sample and position of the first NaN or infinity."""
    for path, array in _arrays(batch):
        if np.isfinite(array).all():
            continue
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        sample = ""
        if indices is not None and array.ndim and len(indices) == len(array):
            sample = f" (dataset index {indices[where[0]]})"
        raise ValueError(
            f"DataLoader(check_finite=True): batch {number} holds {array[where]} at {path}{list(where)}"
            f"{sample}; NaN or infinite values must not reach training: clean or impute the data first "
            f"(see chainrule.data.data_report and SimpleImputer)")


__all__ = ["check_finite_batch"]
