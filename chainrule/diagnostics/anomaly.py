"""Anomaly detection: find the operation that first produced NaN or infinity.

`detect_anomaly()` (PyTorch's name; a context manager or a decorator)
remembers, for every operation recorded inside it, the line of your code
that ran it; during backward every gradient is checked, and the first
non-finite one stops backward with an error naming the operation, that
line and the shapes involved. `find_nonfinite(fn, *args)` does the same
for a forward pass: it runs fn and reports the first operation whose
output is not finite. With both off, nothing is added to any operation.
"""
from __future__ import annotations

import functools
import linecache
import sys
import warnings
import weakref
from typing import Any, Callable, List, Optional, Tuple

import numpy as np

from ..autograd import engine as _engine
from ..autograd import function as _function
from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor
from .frames import is_library

_MAX_FRAMES = 40


class _State:
    detect = False       # detect_anomaly is on
    check_nan = True     # ... and checks every backward result
    forward_check = None  # find_nonfinite in progress: list to hold what it found


_state = _State()
_origins: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # node -> Origin


class Origin:
    """Where an operation was recorded: the stack (innermost last) and its inputs' shapes and dtypes."""
    __slots__ = ("frames", "inputs")

    def __init__(self, frames: List[Tuple[str, int, str]], inputs: List[Tuple[tuple, str]]) -> None:
        self.frames, self.inputs = frames, inputs

    def user_frame(self) -> Optional[Tuple[str, int, str]]:
        """The innermost frame outside chainrule: the user's line that ran the operation."""
        for frame in reversed(self.frames):
            if not is_library(frame[0]):
                return frame
        return None

    def format(self, limit: int = 6) -> str:
        """The last `limit` frames, as a traceback prints them."""
        lines = []
        for filename, lineno, name in self.frames[-limit:]:
            lines.append(f'  File "{filename}", line {lineno}, in {name}')
            code = linecache.getline(filename, lineno).strip()
            if code:
                lines.append(f"    {code}")
        return "\n".join(lines)


def _stack() -> List[Tuple[str, int, str]]:
    frames = []
    f = sys._getframe(3)  # skip _stack, _on_record and Function.apply
    while f is not None and len(frames) < _MAX_FRAMES:
        frames.append((f.f_code.co_filename, f.f_lineno, f.f_code.co_name))
        f = f.f_back
    return frames[::-1]


def _shapes(values: Any) -> List[Tuple[tuple, str]]:
    return [(tuple(v.shape), str(v.dtype)) for v in values if isinstance(v, (Tensor, np.ndarray))]


def _nonfinite(value: Any) -> Optional[str]:
    """'nan' or 'inf' if a floating array holds such a value, else None."""
    arr = value._data if isinstance(value, Tensor) else value
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "fc" or np.isfinite(arr).all():
        return None
    return "nan" if np.isnan(arr).any() else "inf"


def _on_record(node: Any, args: tuple, results: Any) -> None:
    origin = Origin(_stack(), _shapes(args))
    if _state.detect:
        _origins[node] = origin
    found = _state.forward_check
    if found is not None and not found:
        outs = results if isinstance(results, tuple) else (results,)
        for i, out in enumerate(outs):
            kind = _nonfinite(out)
            if kind is not None:
                found.append((node, i, kind, origin, _shapes(outs)))
                raise _Stop


def _on_backward(node: Any, grads_in: tuple, grads_out: Any) -> None:
    if not _state.check_nan:
        return
    for i, g in enumerate(grads_in):
        kind = _nonfinite(g) if g is not None else None
        if kind is not None:
            raise RuntimeError(_backward_message(node, i, kind, grads_out))


def _backward_message(node: Any, index: int, kind: str, grads_out: Any) -> str:
    lines = [f"Function '{node.name()}' returned {kind} values in its {index}th output "
             f"(the gradient for its input {index})."]
    received = [k for k in (_nonfinite(g) for g in grads_out if g is not None) if k]
    lines.append("The gradient it received was already non-finite." if received else
                 f"The gradient it received was finite: this operation's local derivative made the {kind} "
                 f"(e.g. 0/0, log or sqrt at 0, a division by a zero saved value).")
    outputs = ", ".join(f"{s} {d}" for s, d in node._outputs)
    origin = _origins.get(node)
    if origin is None:
        lines.append(f"Its output: {outputs}. Run the forward pass inside detect_anomaly() too, to see the line of "
                     f"your code that created it.")
        return "\n".join(lines)
    lines.append(f"Its inputs: {', '.join(f'{s} {d}' for s, d in origin.inputs) or 'none'}; its output: {outputs}.")
    lines.append(_where(origin, "The operation was created in the forward pass at"))
    return "\n".join(lines)


def _where(origin: Origin, lead: str) -> str:
    frame = origin.user_frame()
    head = f"{lead} {frame[0]}, line {frame[1]}, in {frame[2]}:" if frame else f"{lead}:"
    code = linecache.getline(frame[0], frame[1]).strip() if frame else ""
    return head + (f"\n    {code}" if code else "") + "\nForward traceback (most recent call last):\n" + origin.format()


def _install() -> None:
    active = _state.detect or _state.forward_check is not None
    _function.on_record = _on_record if active else None
    _engine.on_backward = _on_backward if _state.detect else None


class set_detect_anomaly:
    """Turn anomaly detection on or off: as a call, a context manager or a decorator (PyTorch's API)."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = (_state.detect, _state.check_nan)
        _state.detect, _state.check_nan = bool(mode), bool(check_nan)
        _install()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        _state.detect, _state.check_nan = self.prev
        _install()


class detect_anomaly:
    """Inside it, the first NaN or infinity in backward raises an error naming the operation,
    the line of your code that created it in the forward pass, and the shapes. Slow: for debugging."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", stacklevel=2)

    def __enter__(self) -> None:
        self.prev = (_state.detect, _state.check_nan)
        _state.detect, _state.check_nan = True, self.check_nan
        _install()

    def __exit__(self, *exc: Any) -> None:
        _state.detect, _state.check_nan = self.prev
        _install()

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)
        return wrapper


def is_anomaly_enabled() -> bool:
    return _state.detect


def is_anomaly_check_nan_enabled() -> bool:
    return _state.check_nan


class _Stop(BaseException):
    """Ends the forward pass at the first non-finite output (past any `except Exception` in user code)."""


class NonFinite:
    """What `find_nonfinite` found: the operation, which output, 'nan' or 'inf', where, and in which module."""

    def __init__(self, operation: str, output_index: int, kind: str, module: Optional[str] = None,
                 origin: Optional[Origin] = None, output_shapes: Optional[List[Tuple[tuple, str]]] = None,
                 argument: Optional[int] = None) -> None:
        self.operation, self.output_index, self.kind, self.module = operation, output_index, kind, module
        self.origin, self.output_shapes = origin, output_shapes or []
        self.argument = argument  # set when an argument of fn was already non-finite

    def __repr__(self) -> str:
        return f"NonFinite({self.operation!r}, output {self.output_index}, {self.kind!r}, module={self.module!r})"

    @property
    def line(self) -> Optional[Tuple[str, int, str]]:
        """(file, line number, function) of the user's code that ran the operation."""
        return self.origin.user_frame() if self.origin else None

    def __str__(self) -> str:
        if self.argument is not None:
            return f"argument {self.argument} already contains {self.kind} values, before any operation ran"
        inside = f" inside module '{self.module}'" if self.module else ""
        inputs = ", ".join(f"{s} {d}" for s, d in self.origin.inputs) if self.origin else "?"
        outputs = ", ".join(f"{s} {d}" for s, d in self.output_shapes)
        return (f"first non-finite value in the forward pass: {self.operation}{inside} produced {self.kind} in its "
                f"output {self.output_index} (inputs: {inputs}; outputs: {outputs}).\n"
                + _where(self.origin, "It ran at"))


def find_nonfinite(fn: Callable, *args: Any, **kwargs: Any) -> Optional[NonFinite]:
    """Run fn(*args, **kwargs) and return the first operation whose output holds NaN or infinity (None if none).

    Floating-point tensor arguments are given to fn as copies that require
    grad, so that every operation depending on them is seen; if fn is a
    `Module`, the report names the module that ran the operation.
    """
    from .scopes import ModuleTrace
    for i, a in enumerate(args):
        kind = _nonfinite(a)
        if kind is not None:
            return NonFinite("(input)", 0, kind, argument=i)
    args = tuple(a.detach().requires_grad_() if isinstance(a, Tensor) and a.dtype.kind == "f" else a for a in args)
    found: list = []
    prev = _state.forward_check
    _state.forward_check = found
    _install()
    trace = ModuleTrace(fn) if hasattr(fn, "named_modules") else None
    try:
        with enable_grad():
            if trace is not None:
                with trace:
                    fn(*args, **kwargs)
            else:
                fn(*args, **kwargs)
    except _Stop:
        pass
    finally:
        _state.forward_check = prev
        _install()
    if not found:
        return None
    node, index, kind, origin, outs = found[0]
    module = trace.module_of(node) if trace is not None else None
    return NonFinite(type(node).__name__, index, kind, module, origin, outs)
