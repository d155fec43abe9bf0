"""Cleaning tabular data: a report of missing values and duplicates, dropping rows, and
imputation of missing values (scikit-learn's `SimpleImputer`, fitted on training data only)."""
from __future__ import annotations

from collections import Counter
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from .checks import as_numpy
from .fitted import Fitted
from .table import Table, as_table, is_numeric, missing_mask


class ColumnReport:
    """Missing values and duplicates of one column."""

    __slots__ = ("name", "kind", "missing", "missing_rows", "unique", "duplicated")

    def __init__(self, name: str, column: np.ndarray) -> None:
        mask = missing_mask(column)
        present = column[~mask]
        self.name = name
        self.kind = "numeric" if is_numeric(column) else "categorical"
        self.missing = int(mask.sum())
        self.missing_rows = np.flatnonzero(mask).tolist()
        self.unique = len(set(present.tolist()))
        self.duplicated = len(present) - self.unique  # values equal to an earlier one


class DataReport:
    """Per column: kind, missing values (NaN, None, empty fields) and duplicated values;
    for the whole table: the rows that repeat an earlier row."""

    def __init__(self, table: Table) -> None:
        self.n_rows = len(table)
        self.columns = [ColumnReport(name, table[name]) for name in table.columns]
        self.duplicate_rows = duplicate_rows(table)

    @property
    def missing_rows(self) -> List[int]:
        """Rows with at least one missing value."""
        return sorted(set(r for c in self.columns for r in c.missing_rows))

    def __getitem__(self, name: str) -> ColumnReport:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"no column {name!r} in the report")

    def __str__(self) -> str:
        width = max([len("column")] + [len(c.name) for c in self.columns])
        lines = [f"{self.n_rows} rows, {len(self.columns)} columns",
                 f"{'column':<{width}}  {'kind':<11}  {'missing':>7}  {'unique':>6}  {'duplicated':>10}"]
        for c in self.columns:
            lines.append(f"{c.name:<{width}}  {c.kind:<11}  {c.missing:>7}  {c.unique:>6}  {c.duplicated:>10}")
        lines.append(f"rows with missing values: {_preview(self.missing_rows)}")
        lines.append(f"duplicate rows (same as an earlier row): {_preview(self.duplicate_rows)}")
        return "\n".join(lines)

    __repr__ = __str__


def _preview(rows: List[int], limit: int = 10) -> str:
    if not rows:
        return "none"
    shown = ", ".join(map(str, rows[:limit]))
    return f"{len(rows)} ({shown}{', ...' if len(rows) > limit else ''})"


def data_report(data: Any) -> DataReport:
    """What is missing and what is duplicated in a table (Table, dict of columns, DataFrame, 2-D array)."""
    return DataReport(as_table(data))


def _row_keys(table: Table, columns: Optional[Sequence[str]]) -> List[tuple]:
    cols = [table[c].tolist() for c in (columns or table.columns)]
    nan = object()  # NaN == NaN for the purpose of finding duplicate rows
    return [tuple(nan if v != v else v for v in row) for row in zip(*cols)]


def duplicate_rows(data: Any, columns: Optional[Sequence[str]] = None) -> List[int]:
    """Indices of the rows equal (on `columns`, default all) to an earlier row."""
    seen, dups = set(), []
    for i, key in enumerate(_row_keys(as_table(data), columns)):
        if key in seen:
            dups.append(i)
        seen.add(key)
    return dups


def drop_duplicates(data: Any, columns: Optional[Sequence[str]] = None) -> Table:
    """The table without rows that repeat an earlier row (the first occurrence is kept)."""
    table = as_table(data)
    keep = np.ones(len(table), dtype=bool)
    keep[duplicate_rows(table, columns)] = False
    return table.take(keep)


def drop_missing(data: Any, columns: Optional[Sequence[str]] = None) -> Table:
    """The table without rows that have a missing value (in `columns`, default all)."""
    table = as_table(data)
    bad = np.zeros(len(table), dtype=bool)
    for name in columns or table.columns:
        bad |= missing_mask(table[name])
    return table.take(~bad)


def _most_frequent(values: list) -> Any:
    """The most common value; the smallest among ties (as scikit-learn)."""
    counts = Counter(values)
    top = max(counts.values())
    return min(v for v, n in counts.items() if n == top)


class SimpleImputer(Fitted):
    """Fill missing values per column with the training data's mean, median or most frequent
    value, or a constant. Works on a Table (returns a Table; numeric and categorical columns)
    or a 2-D number array with NaN for missing (returns an array)."""

    _params = ("strategy", "fill_value")
    _learned = ("statistics_", "columns_")
    _STRATEGIES = ("mean", "median", "most_frequent", "constant")

    def __init__(self, strategy: str = "mean", fill_value: Any = None) -> None:
        if strategy not in self._STRATEGIES:
            raise ValueError(f"Can only use these strategies: {list(self._STRATEGIES)} got strategy={strategy!r}")
        self.strategy = strategy
        self.fill_value = fill_value
        self.statistics_: Optional[list] = None
        self.columns_: Optional[List[str]] = None

    def fit(self, X: Any, y: Any = None) -> "SimpleImputer":
        """Learn one fill value per column from X (the training data)."""
        table = as_table(X)
        self.statistics_ = [self._statistic(name, table[name]) for name in table.columns]
        self.columns_ = table.columns
        return self

    def _statistic(self, name: str, column: np.ndarray) -> Any:
        present = column[~missing_mask(column)]
        if self.strategy == "constant":
            if self.fill_value is not None:
                return self.fill_value
            return 0 if is_numeric(column) else "missing_value"
        if self.strategy in ("mean", "median") and not is_numeric(column):
            raise ValueError(f"SimpleImputer(strategy={self.strategy!r}): column {name!r} is categorical; "
                             f"use strategy='most_frequent' or 'constant' for it")
        if len(present) == 0:
            raise ValueError(f"SimpleImputer: column {name!r} has no value in the training data, so its "
                             f"{self.strategy} is undefined; drop the column or use strategy='constant'")
        if self.strategy == "mean":
            return float(np.mean(present))
        if self.strategy == "median":
            return float(np.median(present))
        return _most_frequent(present.tolist())

    def transform(self, X: Any) -> Any:
        """X with its missing values filled (a new Table or array; X is not changed)."""
        self._check_fitted("transform")
        table = as_table(X)
        if table.columns != self.columns_:
            raise ValueError(f"SimpleImputer was fitted on columns {self.columns_}, got {table.columns}")
        filled: Dict[str, Any] = {}
        for name, value in zip(self.columns_, self.statistics_):
            column = table[name]
            mask = missing_mask(column)
            if mask.any() and is_numeric(column) and not isinstance(value, (int, float)):
                raise ValueError(f"SimpleImputer: cannot fill numeric column {name!r} with {value!r}")
            column = column.copy()
            column[mask] = value
            filled[name] = column
        result = Table(filled)
        if _is_tabular(X):
            return result
        a = as_numpy(X)
        return result.to_numpy(a.dtype if a.dtype.kind == "f" else None)

    def _validate_state(self) -> None:
        if len(self.statistics_) != len(self.columns_):
            raise ValueError(f"SimpleImputer state: {len(self.statistics_)} statistics for "
                             f"{len(self.columns_)} columns")


def _is_tabular(X: Any) -> bool:
    return isinstance(X, (Table, dict)) or (hasattr(X, "columns") and hasattr(X, "iloc"))


__all__ = ["ColumnReport", "DataReport", "data_report", "drop_duplicates", "drop_missing", "duplicate_rows",
           "SimpleImputer"]
