"""Freeing what a graph node kept for its backward, once that backward ran.

A node keeps values two ways: through `save_for_backward`, and as attributes
of the ctx (`ctx.mask = x > 0`), declared in the subclass's `__slots__` (or
in its `__dict__`, for a user's Function written without slots). Unless
`retain_graph` is given, the engine frees both right after the node's
backward, so a graph that stays referenced (the last loss kept for printing,
an output in a list) holds no activations while the next step runs. Plain
metadata (numbers, strings, dtypes, shapes, slices) stays: a second backward
through a node that kept nothing else works, as in PyTorch.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

_PLAIN = (type(None), bool, int, float, complex, str, slice, type(Ellipsis), type, np.dtype, np.generic)
_PLAIN_EXACT = frozenset(_PLAIN[:-2])  # (types first, by identity: the common case, fast)


def ctx_attributes(cls: type, base: type) -> Optional[tuple]:
    """Names of the attributes that nodes of `cls` (a subclass of `base`) may set, None if there are none."""
    names = []
    for klass in cls.__mro__:
        if klass is base:
            break
        slots = klass.__dict__.get("__slots__", ())
        slots = (slots,) if isinstance(slots, str) else slots
        names.extend(n for n in slots if not n.startswith("__"))
    if cls.__dictoffset__:
        names.append("__dict__")
    return tuple(names) or None


def release(node: Any, names: tuple) -> None:
    """Drop the attributes of `node` named in `names` that hold more than plain metadata."""
    for name in names:
        if name == "__dict__":
            kept = node.__dict__
            for key in [k for k, v in kept.items() if _holds_memory(v)]:
                del kept[key]
        elif _holds_memory(getattr(node, name, None)):
            delattr(node, name)


def _holds_memory(value: Any) -> bool:
    kind = type(value)
    if kind in _PLAIN_EXACT:
        return False
    if kind is tuple:
        return any(map(_holds_memory, value))
    return not isinstance(value, _PLAIN)
