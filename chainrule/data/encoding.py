"""Encoding categorical columns as numbers (scikit-learn's `OneHotEncoder` and
`LabelEncoder`), with the categories learned from the training data only."""
from __future__ import annotations

from typing import Any, List, Optional

import numpy as np

from ..dtypes import get_default_dtype
from .checks import as_numpy
from .fitted import Fitted
from .table import Table, as_column, as_table, missing_mask


def _sorted_values(column: np.ndarray, where: str) -> list:
    mask = missing_mask(column)
    if mask.any():
        raise ValueError(f"{where} has missing values at rows {np.flatnonzero(mask)[:10].tolist()}: impute "
                         f"them (SimpleImputer) or drop those rows (drop_missing) first")
    return sorted(set(column.tolist()))


def _positions(column: np.ndarray, categories: list) -> tuple:
    """Index of each value in `categories`, -1 where unknown; and the mask of unknown values."""
    lookup = {v: i for i, v in enumerate(categories)}
    idx = np.array([lookup.get(v, -1) for v in column.tolist()], dtype=np.int64)
    return idx, idx < 0


class LabelEncoder(Fitted):
    """Class names (or any values) <-> indices 0 .. n_classes - 1, in sorted order of the names."""

    _learned = ("classes_",)

    def __init__(self) -> None:
        self.classes_: Optional[list] = None

    def fit(self, y: Any) -> "LabelEncoder":
        """Learn the classes present in y."""
        self.classes_ = _sorted_values(as_column(y, "y"), "y")
        return self

    def transform(self, y: Any) -> np.ndarray:
        """Class indices (int64) of the values in y."""
        self._check_fitted("transform")
        idx, unknown = _positions(as_column(y, "y"), self.classes_)
        if unknown.any():
            values = sorted(set(np.asarray(as_column(y, "y"))[unknown].tolist()), key=str)
            raise ValueError(f"y contains previously unseen labels: {values} (first at row "
                             f"{int(np.flatnonzero(unknown)[0])}); known classes: {self.classes_}")
        return idx

    def fit_transform(self, y: Any, _: Any = None) -> np.ndarray:
        return self.fit(y).transform(y)

    def inverse_transform(self, y: Any) -> np.ndarray:
        """The class values of the indices in y."""
        self._check_fitted("inverse_transform")
        idx = np.asarray(as_numpy(y))
        bad = np.flatnonzero((idx < 0) | (idx >= len(self.classes_)))
        if bad.size:
            raise ValueError(f"y contains previously unseen labels: {sorted(set(idx[bad].tolist()))} (first at "
                             f"row {int(bad[0])}); indices must be in [0, {len(self.classes_) - 1}]")
        return np.asarray(self.classes_)[idx]


class OneHotEncoder(Fitted):
    """Each categorical column becomes one 0/1 column per category seen in training.

    Input: a Table / DataFrame / dict of columns, or a 2-D array of values.
    Output: a dense 2-D array of `dtype` (float32 by default). A category not seen in training is
    an error naming the column and row (`handle_unknown="ignore"` encodes it as all zeros instead).
    """

    _params = ("handle_unknown",)
    _learned = ("categories_", "feature_names_in_")

    def __init__(self, *, handle_unknown: str = "error", dtype: Any = None) -> None:
        if handle_unknown not in ("error", "ignore"):
            raise ValueError(f"handle_unknown should be 'error' or 'ignore', got {handle_unknown!r}")
        self.handle_unknown = handle_unknown
        self.dtype = dtype
        self.categories_: Optional[List[list]] = None
        self.feature_names_in_: Optional[List[str]] = None

    def fit(self, X: Any, y: Any = None) -> "OneHotEncoder":
        """Learn the categories of each column of X (the training data)."""
        table = as_table(X)
        self.feature_names_in_ = table.columns
        self.categories_ = [_sorted_values(table[n], f"OneHotEncoder.fit: column {n!r}") for n in table.columns]
        return self

    def transform(self, X: Any) -> np.ndarray:
        """The one-hot columns of X, side by side in column order."""
        self._check_fitted("transform")
        table = self._table(X)
        blocks = []
        for name, cats in zip(self.feature_names_in_, self.categories_):
            column = table[name]
            idx, unknown = _positions(column, cats)
            if unknown.any() and self.handle_unknown == "error":
                row = int(np.flatnonzero(unknown)[0])
                raise ValueError(f"Found unknown categories {sorted(set(column[unknown].tolist()), key=str)} in "
                                 f"column {name!r} during transform (first at row {row}); known: {cats}")
            block = np.zeros((len(column), len(cats)), dtype=self.dtype or get_default_dtype())
            rows = np.flatnonzero(~unknown)
            block[rows, idx[rows]] = 1
            blocks.append(block)
        return np.concatenate(blocks, axis=1)

    def _table(self, X: Any) -> Table:
        table = as_table(X, self.feature_names_in_)
        if table.columns != self.feature_names_in_:
            raise ValueError(f"OneHotEncoder was fitted on columns {self.feature_names_in_}, got {table.columns}")
        return table

    def inverse_transform(self, X: Any) -> Table:
        """The categories back from one-hot rows (the largest entry of each block wins; all zeros gives None)."""
        self._check_fitted("inverse_transform")
        a = as_numpy(X)
        width = sum(len(c) for c in self.categories_)
        if a.ndim != 2 or a.shape[1] != width:
            raise ValueError(f"OneHotEncoder.inverse_transform: expected shape (n, {width}), got {a.shape}")
        columns, start = {}, 0
        for name, cats in zip(self.feature_names_in_, self.categories_):
            block = a[:, start:start + len(cats)]
            start += len(cats)
            picked = np.asarray(cats, dtype=object)[block.argmax(axis=1)]
            picked[~block.any(axis=1)] = None
            columns[name] = picked
        return Table(columns)

    def get_feature_names_out(self) -> List[str]:
        """Names of the output columns: "<column>_<category>"."""
        self._check_fitted("get_feature_names_out")
        return [f"{n}_{c}" for n, cats in zip(self.feature_names_in_, self.categories_) for c in cats]

    def _validate_state(self) -> None:
        if len(self.categories_) != len(self.feature_names_in_):
            raise ValueError(f"OneHotEncoder state: {len(self.categories_)} category lists for "
                             f"{len(self.feature_names_in_)} columns")


__all__ = ["LabelEncoder", "OneHotEncoder"]
