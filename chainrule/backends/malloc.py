"""Keep freed array memory in the process instead of handing it back to the system on every step.

A training step allocates and frees the same multi-megabyte arrays (activations, gradients, gate
buffers) again and again. By default glibc returns such memory to the kernel when it is freed
(`munmap`, or trimming the top of the heap), so the next step's arrays start on fresh pages and
every 4 KiB page costs a page fault and zeroing: an LSTM step of W4 took 3,600 of them and spent a
third of its time there. PyTorch avoids this with its own caching allocator; NumPy uses the C
allocator, so chainrule raises two glibc thresholds once, at import:

- `M_MMAP_THRESHOLD`: blocks below it come from the heap, which is reused, rather than their own
  mapping, which is returned on free (glibc's own limit for this setting: 32 MiB);
- `M_TRIM_THRESHOLD`: free memory at the top of the heap is kept up to this size.

The cost is that memory a program has freed stays counted in its resident size (up to the trim
threshold) until it is needed again. Set the environment variable `CHAINRULE_MALLOC=default` before
importing chainrule to leave glibc's settings alone. Elsewhere (macOS, Windows, musl) this is a no-op.
"""
from __future__ import annotations

import ctypes
import os
import sys
from typing import Optional

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # from glibc's malloc.h
MMAP_THRESHOLD = 32 << 20  # the largest value glibc accepts on 64-bit systems
TRIM_THRESHOLD = 256 << 20

_tuned: Optional[dict] = None


def _glibc() -> Optional[ctypes.CDLL]:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)  # the symbols already loaded into this process, the C library's among them
        libc.gnu_get_libc_version  # only glibc has it (musl has no mallopt thresholds)
        return libc
    except (OSError, AttributeError):
        return None


def tune(mmap_threshold: int = MMAP_THRESHOLD, trim_threshold: int = TRIM_THRESHOLD) -> bool:
    """Set glibc's mmap and trim thresholds (bytes); False where the C library is not glibc."""
    global _tuned
    for name, value in (("mmap_threshold", mmap_threshold), ("trim_threshold", trim_threshold)):
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative number of bytes, got {value!r}")
    if mmap_threshold > MMAP_THRESHOLD:
        raise ValueError(f"glibc accepts an mmap threshold of at most {MMAP_THRESHOLD} bytes, got {mmap_threshold}")
    libc = _glibc()
    if libc is None:
        return False
    if not (libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold) and libc.mallopt(M_TRIM_THRESHOLD, trim_threshold)):
        return False
    _tuned = {"mmap_threshold": mmap_threshold, "trim_threshold": trim_threshold}
    return True


def tuned() -> Optional[dict]:
    """The thresholds chainrule set, or None if it left the C library's defaults alone."""
    return None if _tuned is None else dict(_tuned)


def tune_at_import() -> None:
    """What `import chainrule` does: tune, unless CHAINRULE_MALLOC=default asks not to."""
    setting = os.environ.get("CHAINRULE_MALLOC", "tuned")
    if setting not in ("tuned", "default"):
        raise ValueError(f"CHAINRULE_MALLOC must be 'tuned' or 'default', got {setting!r}")
    if setting == "tuned":
        tune()
