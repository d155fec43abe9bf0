"""Telling the user's code from chainrule's in a stack: errors and warnings point at the user's line."""
from __future__ import annotations

import os
import sys

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def is_library(filename: str) -> bool:
    """True for a file of chainrule itself."""
    return filename.startswith(PACKAGE)


def user_stacklevel() -> int:
    """The `stacklevel` that makes a warning point at the first caller outside chainrule."""
    frame, level = sys._getframe(1), 1
    while frame is not None and is_library(frame.f_code.co_filename):
        frame, level = frame.f_back, level + 1
    return level
