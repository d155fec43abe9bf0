"""Reading CSV files with numeric and categorical columns into a `Table` (standard library
`csv` and NumPy only)."""
from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from .table import Table

MISSING = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?")


def _parse(values: List[str], missing: set) -> np.ndarray:
    """A numeric column if every present field is a number (int64 when all are whole and present),
    otherwise a categorical column of strings; missing fields become NaN / None."""
    present = [v for v in values if v not in missing]
    try:
        numbers = [float(v) for v in present]
    except ValueError:
        return np.array([None if v in missing else v for v in values], dtype=object)
    if len(present) == len(values) and present:
        try:
            return np.array([int(v) for v in present], dtype=np.int64)
        except ValueError:
            pass
    it = iter(numbers)
    return np.array([math.nan if v in missing else next(it) for v in values], dtype=np.float64)


def read_csv(path: Union[str, "os.PathLike[str]"], delimiter: str = ",", header: bool = True,
             names: Optional[Sequence[str]] = None, missing: Sequence[str] = MISSING,
             encoding: str = "utf-8") -> Table:
    """Load a CSV file into a `Table`: one column per field, typed numeric or categorical.

    The first row holds the column names (unless `header=False`: then `names`, or "0", "1", ...).
    Fields in `missing` (after stripping blanks) are missing values. Empty lines are skipped. A row with
    a wrong number of fields is an error naming the file and line: nothing is silently dropped.
    """
    path = Path(path)
    missing = set(missing)
    with open(path, newline="", encoding=encoding) as f:
        reader = csv.reader(f, delimiter=delimiter)
        rows: List[List[str]] = []
        columns: Optional[List[str]] = list(names) if names is not None else None
        for row in reader:
            if not row:  # an empty line
                continue
            row = [field.strip() for field in row]
            if columns is None and header:
                columns = row
                _check_names(columns, path)
                continue
            if columns is None:
                columns = [str(j) for j in range(len(row))]
            if len(row) != len(columns):
                raise ValueError(f"{path}, line {reader.line_num}: expected {len(columns)} fields "
                                 f"({', '.join(columns)}), got {len(row)}: {delimiter.join(row)!r}")
            rows.append(row)
    if columns is None:
        raise ValueError(f"{path}: the file is empty (no header and no rows)")
    fields = list(zip(*rows)) if rows else [()] * len(columns)
    table: Dict[str, Any] = {name: _parse(list(values), missing) for name, values in zip(columns, fields)}
    return Table(table)


def _check_names(columns: List[str], path: Path) -> None:
    seen = set()
    for j, name in enumerate(columns):
        if not name:
            raise ValueError(f"{path}, line 1: column {j} has an empty name in the header")
        if name in seen:
            raise ValueError(f"{path}, line 1: the header names column {name!r} twice")
        seen.add(name)


__all__ = ["read_csv", "MISSING"]
