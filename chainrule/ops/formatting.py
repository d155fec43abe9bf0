"""`repr` of a tensor, laid out as PyTorch lays it out: tensor([ 1.0264, -0.1484], requires_grad=True).

The rules are PyTorch's: 4 decimals; every element padded to one common width
so columns (and minus signs) line up; integral floats printed as `1.`;
scientific notation when the largest / smallest nonzero magnitude exceeds
1000, or beyond 1e8 or below 1e-4; lines wrapped at 80 characters; above
1000 elements only the first and last 3 along each dimension, with `...`.
"""
from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from ..dtypes import get_default_dtype


class _PrintOptions:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode: Optional[bool] = None


PRINT_OPTS = _PrintOptions()


def set_printoptions(precision: Optional[int] = None, threshold: Optional[int] = None,
                     edgeitems: Optional[int] = None, linewidth: Optional[int] = None,
                     profile: Optional[str] = None, sci_mode: Optional[bool] = None) -> None:
    """PyTorch's print options: digits, summarizing threshold, edge items, line width, notation."""
    if profile is not None:
        defaults = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}
        if profile not in defaults:
            raise ValueError(f"profile must be 'default', 'short' or 'full', got {profile!r}")
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = defaults[profile]
    for name, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                        ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    """Chooses one notation and one width for all elements of a tensor."""

    def __init__(self, a: np.ndarray) -> None:
        self.floating = a.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        values = a.reshape(-1)
        if not self.floating:
            self.width = max((len(str(v)) for v in values.tolist()), default=1)
            return
        finite = values[np.isfinite(values) & (values != 0)].astype(np.float64)
        if finite.size == 0:
            return
        magnitude = np.abs(finite)
        largest, smallest = magnitude.max(), magnitude.min()
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        spread = largest / smallest > 1000.0 or largest > 1.0e8
        self.sci_mode = spread or (not self.int_mode and smallest < 1.0e-4)
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode
        if self.sci_mode:
            spec, extra = f".{PRINT_OPTS.precision}e", 0
        elif self.int_mode:
            spec, extra = ".0f", 1  # room for the trailing "."
        else:
            spec, extra = f".{PRINT_OPTS.precision}f", 0
        self.width = max(len(format(v, spec)) for v in finite.tolist()) + extra

    def format(self, value: Any) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = format(value, f".{PRINT_OPTS.precision}e")
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = format(value, f".{PRINT_OPTS.precision}f")
        return text.rjust(self.width)


def _summarized(a: np.ndarray) -> np.ndarray:
    """Only the elements that will be printed: the first and last `edgeitems` along each dimension."""
    if a.ndim == 0:
        return a
    n = PRINT_OPTS.edgeitems
    rows = list(a) if a.shape[0] <= 2 * n else list(a[:n]) + list(a[-n:])
    if a.ndim == 1:
        return np.array(rows)
    return np.stack([_summarized(r) for r in rows])


def _vector(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    per_line = max(1, (PRINT_OPTS.linewidth - indent) // (fmt.width + 2))
    n = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * n:
        items = [fmt.format(v) for v in a[:n].tolist()] + [" ..."] + [fmt.format(v) for v in a[-n:].tolist()]
    else:
        items = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, fmt)
    n = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * n:
        parts = ([_nested(r, indent + 1, summarize, fmt) for r in a[:n]] + ["..."] +
                 [_nested(r, indent + 1, summarize, fmt) for r in a[-n:]])
    else:
        parts = [_nested(r, indent + 1, summarize, fmt) for r in a]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def array_str(a: np.ndarray, indent: int) -> str:
    """The bracketed values of an array, as inside PyTorch's repr."""
    if a.size == 0:
        return "[]"
    if a.dtype == np.float16:
        a = a.astype(np.float32)
    summarize = a.size > PRINT_OPTS.threshold
    return _nested(a, indent, summarize, _Formatter(_summarized(a) if summarize else a))


def tensor_repr(t: Any) -> str:
    """repr(t): values, then the dtype when not a default one, then grad_fn or requires_grad."""
    a = t._data
    prefix = "tensor("
    suffixes = []
    plain = a.dtype in (get_default_dtype(), np.int64, np.bool_)
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        plain = a.dtype == get_default_dtype()
    if not plain:
        suffixes.append(f"dtype=chainrule.{a.dtype}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    text = prefix + array_str(a, len(prefix))
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:  # on the same line while it fits in the line width
        if last_line + len(suffix) + 2 > PRINT_OPTS.linewidth:
            text += ",\n" + " " * len(prefix) + suffix
            last_line = len(prefix) + len(suffix)
        else:
            text += ", " + suffix
            last_line += len(suffix) + 2
    return text + ")"
