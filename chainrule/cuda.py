"""`chainrule.cuda`: PyTorch's `torch.cuda` questions answered for a CPU-only library.

`is_available()` is False and `device_count()` 0, so scripts that pick a
device fall back to the CPU; seeding and freeing the cache do nothing, as in
PyTorch without a GPU; anything that needs a GPU raises a clear error.
"""
from __future__ import annotations

from typing import Any


def is_available() -> bool:
    """False: chainrule runs on the CPU."""
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Nothing to seed (PyTorch ignores it too when there is no GPU); `chainrule.manual_seed` seeds the CPU."""


manual_seed_all = manual_seed


def empty_cache() -> None:
    """Nothing to free."""


def _no_gpu(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("chainrule runs on the CPU only: there is no CUDA device (check chainrule.cuda.is_available())")


synchronize = current_device = get_device_name = get_device_properties = set_device = _no_gpu
