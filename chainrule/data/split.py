"""Splitting data into training, validation and test sets: shuffled with a seed, stratified
on request (each class keeps its share in every part), rows of all arrays kept together.

`train_test_split` follows scikit-learn (names, defaults, sizes: a float
`test_size` takes ceil(test_size * n) samples). Arrays may be NumPy arrays,
chainrule tensors, lists, `Table`s or DataFrames; each part has the type of
its input.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, List, Optional, Sequence, Union

import numpy as np

from ..ops.random import Generator, _rng
from ..tensor import Tensor
from .checks import as_numpy, check_same_length
from .table import Table

RandomState = Union[None, int, Generator, np.random.Generator]


def _generator(random_state: RandomState) -> np.random.Generator:
    """An int seeds a fresh stream; None uses chainrule's default generator (see `manual_seed`)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, Generator) or random_state is None:
        return _rng(random_state)
    if isinstance(random_state, numbers.Integral):
        return np.random.default_rng(int(random_state))
    raise TypeError(f"random_state must be None, an int or a Generator, got {random_state!r}")


def _count(size: Union[int, float, None], n: int, name: str, rounding: Any) -> Optional[int]:
    if size is None:
        return None
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        if not 0 < size < n:
            raise ValueError(f"{name}={size} should be either positive and smaller than the number of "
                             f"samples {n} or a float in the (0, 1) range")
        return int(size)
    if isinstance(size, numbers.Real) and 0 < size < 1:
        return int(rounding(size * n))
    raise ValueError(f"{name}={size} should be either positive and smaller than the number of samples {n} "
                     f"or a float in the (0, 1) range")


def _take(obj: Any, rows: np.ndarray) -> Any:
    if isinstance(obj, Table):
        return obj.take(rows)
    if isinstance(obj, Tensor):
        return Tensor._make(obj._data[rows])
    if isinstance(obj, np.ndarray):
        return obj[rows]
    if hasattr(obj, "iloc"):
        return obj.iloc[rows]
    return [obj[int(i)] for i in rows]


def _apportion(counts: np.ndarray, sizes: Sequence[int], n: int) -> np.ndarray:
    """How many of each class go to each part: proportional, rounded so each part gets exactly its size
    (largest remainders first) without taking more of a class than it has."""
    quota = counts[:, None] * np.asarray(sizes, dtype=np.float64)[None, :] / n
    alloc = np.floor(quota).astype(np.int64)
    for k, size in enumerate(sizes):
        order = np.argsort(-(quota[:, k] - alloc[:, k]), kind="stable")
        short = size - alloc[:, k].sum()
        for j in np.concatenate([order, order]):
            if short == 0:
                break
            if alloc[j].sum() < counts[j]:
                alloc[j, k] += 1
                short -= 1
    return alloc


def _parts(n: int, sizes: Sequence[int], names: Sequence[str], rng: np.random.Generator, shuffle: bool,
           stratify: Any) -> List[np.ndarray]:
    """Row indices of each part (sizes sum to at most n)."""
    if stratify is None:
        order = rng.permutation(n) if shuffle else np.arange(n)
        ends = np.cumsum(sizes)
        return [order[end - size:end] for end, size in zip(ends, sizes)]
    if not shuffle:
        raise ValueError("Stratified train/test split is not implemented for shuffle=False")
    labels = as_numpy(stratify)
    if len(labels) != n:
        raise ValueError(f"stratify has {len(labels)} labels for {n} samples")
    classes, y = np.unique(labels.astype(str) if labels.dtype == object else labels, return_inverse=True)
    y = y.reshape(-1)
    counts = np.bincount(y, minlength=len(classes))
    if counts.min() < 2:
        raise ValueError(f"The least populated class in y has only {counts.min()} member (class "
                         f"{classes[counts.argmin()]!r}), which is too few. The minimum number of groups for "
                         f"any class cannot be less than 2.")
    for name, size in zip(names, sizes):
        if size < len(classes):
            raise ValueError(f"The {name} part has {size} samples, fewer than the {len(classes)} classes: "
                             f"it cannot hold every class")
    alloc = _apportion(counts, sizes, n)
    parts: List[List[np.ndarray]] = [[] for _ in sizes]
    for c in range(len(classes)):
        members = rng.permutation(np.flatnonzero(y == c))
        ends = np.cumsum(alloc[c])
        for k, (end, size) in enumerate(zip(ends, alloc[c])):
            parts[k].append(members[end - size:end])
    return [rng.permutation(np.concatenate(p)) for p in parts]


def _split(arrays: Sequence[Any], n: int, sizes: List[int], names: List[str], random_state: RandomState,
           shuffle: bool, stratify: Any) -> list:
    rows = _parts(n, sizes, names, _generator(random_state), shuffle, stratify)
    return [_take(a, r) for a in arrays for r in rows]


def train_test_split(*arrays: Any, test_size: Union[int, float, None] = None,
                     train_size: Union[int, float, None] = None, random_state: RandomState = None,
                     shuffle: bool = True, stratify: Any = None) -> list:
    """Split arrays (one row per sample) into random train and test parts:
    `X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)`.

    A float size is a fraction of the samples, an int a count; by default test_size is 0.25.
    `stratify=y` keeps each class's share in both parts.
    """
    if not arrays:
        raise ValueError("At least one array required as input")
    n = check_same_length(arrays, "train_test_split")
    if test_size is None and train_size is None:
        test_size = 0.25
    n_test = _count(test_size, n, "test_size", math.ceil)
    n_train = _count(train_size, n, "train_size", math.floor)
    n_test = n - n_train if n_test is None else n_test
    n_train = n - n_test if n_train is None else n_train
    if n_train + n_test > n:
        raise ValueError(f"The sum of train_size and test_size = {n_train + n_test}, should be smaller than "
                         f"the number of samples {n}. Reduce test_size and/or train_size.")
    if n_train == 0 or n_test == 0:
        raise ValueError(f"With n_samples={n}, test_size={test_size} and train_size={train_size}, the "
                         f"resulting {'train' if n_train == 0 else 'test'} set will be empty. Adjust any of "
                         f"the aforementioned parameters.")
    return _split(arrays, n, [n_train, n_test], ["train", "test"], random_state, shuffle, stratify)


def train_val_test_split(*arrays: Any, val_size: Union[int, float] = 0.15, test_size: Union[int, float] = 0.15,
                         random_state: RandomState = None, shuffle: bool = True, stratify: Any = None) -> list:
    """Split arrays into train, validation and test parts:
    `X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(X, y, random_state=0)`.

    Sizes as in `train_test_split` (fractions rounded up for validation and test); the rest is training.
    """
    if not arrays:
        raise ValueError("At least one array required as input")
    n = check_same_length(arrays, "train_val_test_split")
    n_val = _count(val_size, n, "val_size", math.ceil)
    n_test = _count(test_size, n, "test_size", math.ceil)
    n_train = n - n_val - n_test
    if n_train <= 0:
        raise ValueError(f"With n_samples={n}, val_size={val_size} and test_size={test_size}, the resulting "
                         f"train set will be empty. Adjust any of the aforementioned parameters.")
    return _split(arrays, n, [n_train, n_val, n_test], ["train", "validation", "test"], random_state, shuffle,
                  stratify)


__all__ = ["train_test_split", "train_val_test_split"]
