"""`Table`: named columns of equal length, the small tabular container that cleaning,
encoding and splitting work on (a pandas DataFrame is accepted wherever a Table is,
but pandas is never required).

Numeric columns are NumPy number arrays (NaN marks a missing value);
categorical columns are object arrays of strings (None marks a missing value,
and empty or blank strings count as missing too).
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

import numpy as np

from ..dtypes import get_default_dtype
from ..tensor import Tensor


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    return isinstance(value, numbers.Real) and math.isnan(value)


def as_column(values: Any, name: str = "column") -> np.ndarray:
    """A 1-D column: numbers as a number array, anything else as an object array of str / None."""
    if isinstance(values, Tensor):
        values = values._data
    if hasattr(values, "to_numpy") and not isinstance(values, np.ndarray):
        values = values.to_numpy()
    a = np.asarray(values)
    if a.ndim != 1:
        raise ValueError(f"column {name!r} must be one value per row (1-D), got shape {a.shape}")
    if a.dtype.kind in "biuf":
        return a
    items = a.tolist()
    present = [v for v in items if not _is_missing(v)]
    if present and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in present):
        return np.array([math.nan if _is_missing(v) else v for v in items], dtype=np.float64)
    return np.array([None if _is_missing(v) else str(v) for v in items], dtype=object)


def missing_mask(column: np.ndarray) -> np.ndarray:
    """True where a column has no value."""
    if column.dtype.kind == "f":
        return np.isnan(column)
    if column.dtype == object:
        return np.array([v is None for v in column.tolist()], dtype=bool)
    return np.zeros(len(column), dtype=bool)


def is_numeric(column: np.ndarray) -> bool:
    return column.dtype.kind in "biuf"


class Table:
    """Columns by name, all of one length; `table[name]` is a column, `table[[names]]` a sub-table,
    `table.take(rows)` a selection of rows."""

    def __init__(self, columns: Mapping[str, Any]) -> None:
        self._columns: Dict[str, np.ndarray] = {}
        for name, values in columns.items():
            self._columns[str(name)] = as_column(values, str(name))
        lengths = {name: len(c) for name, c in self._columns.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"Table columns must have the same length, got {lengths}")

    @property
    def columns(self) -> List[str]:
        return list(self._columns)

    @property
    def shape(self) -> tuple:
        return (len(self), len(self._columns))

    def __len__(self) -> int:
        return len(next(iter(self._columns.values()))) if self._columns else 0

    def __contains__(self, name: str) -> bool:
        return name in self._columns

    def __getitem__(self, key: Union[str, Sequence[str]]) -> Any:
        if isinstance(key, str):
            if key not in self._columns:
                raise KeyError(f"no column {key!r}; the columns are {self.columns}")
            return self._columns[key]
        return Table({name: self[name] for name in key})

    def __setitem__(self, name: str, values: Any) -> None:
        column = as_column(values, name)
        if self._columns and len(column) != len(self):
            raise ValueError(f"column {name!r} has {len(column)} rows, the table has {len(self)}")
        self._columns[name] = column

    def drop(self, columns: Iterable[str]) -> "Table":
        """A table without the named columns."""
        columns = set(columns)
        unknown = sorted(columns - set(self._columns))
        if unknown:
            raise KeyError(f"no columns {unknown}; the columns are {self.columns}")
        return Table({n: c for n, c in self._columns.items() if n not in columns})

    def take(self, rows: Any) -> "Table":
        """The rows at the given indices (or boolean mask), in that order."""
        rows = np.asarray(rows)
        return Table({n: c[rows] for n, c in self._columns.items()})

    def numeric_columns(self) -> List[str]:
        return [n for n, c in self._columns.items() if is_numeric(c)]

    def categorical_columns(self) -> List[str]:
        return [n for n, c in self._columns.items() if not is_numeric(c)]

    def to_numpy(self, dtype: Any = None) -> np.ndarray:
        """All columns as one 2-D number array (float32 by default); categorical columns must be encoded first."""
        text = self.categorical_columns()
        if text:
            raise TypeError(f"columns {text} are categorical: encode them first (OneHotEncoder or "
                            f"LabelEncoder) or drop them before to_numpy()")
        dtype = dtype or get_default_dtype()
        if not self._columns:
            return np.empty((0, 0), dtype)
        return np.stack([c.astype(dtype, copy=False) for c in self._columns.values()], axis=1)

    def head(self, n: int = 5) -> "Table":
        return self.take(np.arange(min(n, len(self))))

    def __repr__(self) -> str:
        shown = self.head(5)
        lines = ["  ".join(self.columns)]
        for i in range(len(shown)):
            lines.append("  ".join(repr(shown[c][i]) if shown[c][i] is not None else "None" for c in self.columns))
        more = f"\n... ({len(self)} rows)" if len(self) > 5 else ""
        return f"Table {self.shape[0]} x {self.shape[1]}\n" + "\n".join(lines) + more


def as_table(data: Any, names: Optional[Sequence[str]] = None) -> Table:
    """A Table from a Table, a dict of columns, a pandas DataFrame, or a 2-D array (its columns named
    by `names`, default "0", "1", ...)."""
    if isinstance(data, Table):
        return data
    if isinstance(data, Mapping):
        return Table(data)
    if hasattr(data, "columns") and hasattr(data, "iloc"):  # a pandas DataFrame
        return Table({str(c): data[c].to_numpy() for c in data.columns})
    if isinstance(data, Tensor):
        data = data._data
    a = data if isinstance(data, np.ndarray) else np.asarray(data, dtype=object)  # rows of mixed values
    if a.ndim != 2:
        raise ValueError(f"expected a table: a Table, a dict of columns, a DataFrame or a 2-D array; "
                         f"got an array of shape {a.shape}")
    names = list(names) if names is not None else [str(j) for j in range(a.shape[1])]
    if len(names) != a.shape[1]:
        raise ValueError(f"expected {len(names)} columns ({names}), got an array with {a.shape[1]}")
    return Table({n: a[:, j] for j, n in enumerate(names)})


__all__ = ["Table", "as_table", "missing_mask"]
