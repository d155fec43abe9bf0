"""`repr` of a tensor, laid out like PyTorch's: tensor([...], requires_grad=True)."""
from __future__ import annotations

from typing import Any

import numpy as np


def _format_array(a: np.ndarray) -> str:
    kw: dict = dict(separator=", ", prefix="tensor(", threshold=1000, edgeitems=3, max_line_width=120)
    if a.dtype.kind == "f" and a.size:
        finite = a[np.isfinite(a)]
        big = np.abs(finite).max() if finite.size else 0
        small = np.abs(finite[finite != 0]).min() if np.any(finite != 0) else 1
        if finite.size and np.all(finite == np.round(finite)) and big < 1e8:
            kw["formatter"] = {"float_kind": lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)}
        elif big >= 1e8 or small < 1e-4:
            kw["formatter"] = {"float_kind": lambda v: f"{v:.4e}"}
        else:
            kw["formatter"] = {"float_kind": lambda v: f"{v:.4f}" if np.isfinite(v) else str(v)}
    return np.array2string(a, **kw)


def tensor_repr(t: Any) -> str:
    a = t._data
    body = _format_array(a) if a.ndim else _format_array(a.reshape(1))[1:-1]
    extras = []
    if a.dtype not in (np.float32, np.int64, np.bool_):
        extras.append(f"dtype=chainrule.{a.dtype}")
    if a.size == 0 and a.shape != (0,):
        extras.append(f"size={tuple(a.shape)}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"
