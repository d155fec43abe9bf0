"""Checks before training: finite features, labels in range, one row per sample everywhere.
Each error names the row and column at fault."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from ..tensor import Tensor


def as_numpy(x: Any) -> np.ndarray:
    """The array inside a tensor, or `np.asarray` of anything else (a DataFrame gives its values)."""
    if isinstance(x, Tensor):
        return x._data
    if hasattr(x, "to_numpy") and not isinstance(x, np.ndarray):
        return np.asarray(x.to_numpy())
    return np.asarray(x)


def check_finite(x: Any, name: str = "input") -> None:
    """Raise ValueError at the first NaN or infinite value, naming its row (and column)."""
    a = as_numpy(x)
    if a.dtype.kind not in "fc" or np.isfinite(a).all():
        return
    where = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
    place = f"row {where[0]}" + (f", column {where[1]}" if len(where) > 1 else "")
    if len(where) > 2:
        place += f", position {list(where[2:])}"
    count = int(np.count_nonzero(~np.isfinite(a)))
    raise ValueError(f"{name} holds {a[where]} at {place} ({count} non-finite value{'s' * (count > 1)} in all); "
                     f"impute or drop missing values first (chainrule.data.SimpleImputer, drop_missing)")


def check_labels(labels: Any, num_classes: Optional[int] = None, name: str = "labels") -> np.ndarray:
    """Class labels as int64, checked to be whole numbers in [0, num_classes); returns them."""
    y = as_numpy(labels)
    if y.ndim != 1:
        raise ValueError(f"{name} must be one class index per sample (1-D), got shape {y.shape}")
    if y.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(y) | (y != np.round(y)))
        if bad.size:
            raise ValueError(f"{name} must be whole class indices; row {bad[0]} holds {y[bad[0]]}")
    elif y.dtype.kind not in "biu":
        raise TypeError(f"{name} must be integer class indices, got dtype {y.dtype}; "
                        f"use chainrule.data.LabelEncoder to turn class names into indices")
    y = y.astype(np.int64)
    too_big = (y >= num_classes) if num_classes is not None else False
    bad = np.flatnonzero((y < 0) | too_big)
    if bad.size:
        expected = f"[0, {num_classes - 1}]" if num_classes is not None else "non-negative"
        raise ValueError(f"{name} out of range: row {bad[0]} holds {y[bad[0]]}, expected {expected} "
                         f"({bad.size} bad row{'s' * (bad.size > 1)} in all)")
    return y


def check_same_length(arrays: Sequence[Any], what: str) -> int:
    """The common number of rows; ValueError naming each argument's length otherwise."""
    lengths = [len(a) for a in arrays]
    if any(n != lengths[0] for n in lengths):
        detail = ", ".join(f"argument {i} has {n}" for i, n in enumerate(lengths))
        raise ValueError(f"{what}: every input must have one row per sample, but {detail} rows")
    return lengths[0] if lengths else 0


__all__ = ["check_finite", "check_labels", "check_same_length"]
