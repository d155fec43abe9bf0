"""Grad mode: whether operations are recorded for backpropagation.

`no_grad()` and `enable_grad()` work as context managers and as decorators
(with or without parentheses), like PyTorch's. As in PyTorch the flag is per
thread: a thread serving predictions under `no_grad` does not switch off
recording in a thread that trains, and every new thread starts with it on.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable


class _State(threading.local):
    def __init__(self) -> None:
        self.enabled = True


state = _State()


def is_grad_enabled() -> bool:
    """True when new operations are recorded for backward."""
    return state.enabled


class set_grad_enabled:
    """Turn recording on or off: as a call, a context manager or a decorator."""

    def __init__(self, mode: bool) -> None:
        self.prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        state.enabled = self.prev

    def __call__(self, fn: Callable) -> Callable:
        mode = self.mode
        state.enabled = self.prev  # used as decorator: undo the switch done in __init__

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper


class _GradModeContext:
    mode = True

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs and callable(args[0]):  # used bare: @no_grad
            return cls()(args[0])
        return super().__new__(cls)

    def __enter__(self) -> None:
        self.prev = state.enabled
        state.enabled = self.mode

    def __exit__(self, *exc: Any) -> None:
        state.enabled = self.prev

    def __call__(self, fn: Callable) -> Callable:
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Do not record operations: for evaluation, inference and weight updates."""
    mode = False


class enable_grad(_GradModeContext):
    """Record operations again inside a `no_grad` block."""
    mode = True


class inference_mode(no_grad):
    """PyTorch's `inference_mode`; here the same as `no_grad`."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = not mode
