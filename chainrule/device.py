"""`chainrule.device`: PyTorch's device objects, for scripts that choose where to run.

chainrule runs on the CPU. A device names a place (`device("cpu")`,
`device("cuda:0")`) as in PyTorch, so `device = torch.device("cuda" if
torch.cuda.is_available() else "cpu")` ports unchanged; moving a tensor or a
module to anything but the CPU is refused with a clear error (`check`).
"""
from __future__ import annotations

from typing import Any, Optional

# the device types PyTorch knows: naming one is fine, running there is not
_TYPES = ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "ipu", "hpu", "mtia", "vulkan", "privateuseone")


class device:
    """A place tensors live: `type` ('cpu', 'cuda', ...) and an optional `index` (device("cuda:1"))."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: Optional[int] = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if isinstance(type, int) and not isinstance(type, bool):  # device(0): PyTorch's accelerator ordinal
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() expects a string such as 'cpu' or 'cuda:0', got {type!r}")
        name, _, number = type.partition(":")
        if name not in _TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of device string: {type}")
        if number:
            if index is not None or not number.isdigit():
                raise RuntimeError(f"Invalid device string: {type!r}")
            index = int(number)
        if index is not None and (not isinstance(index, int) or isinstance(index, bool) or index < 0):
            raise RuntimeError(f"Device index must be a non-negative integer, got {index!r}")
        self.type, self.index = name, index

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device(type={self.type!r})" if self.index is None else \
            f"device(type={self.type!r}, index={self.index})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")


def is_device(x: Any) -> bool:
    """Whether `x` names a device (a `device`, or a string as 'cpu' or 'cuda:0')."""
    return isinstance(x, device) or (isinstance(x, str) and x.partition(":")[0] in _TYPES)


def check(where: Any) -> None:
    """Accept the CPU (None, 'cpu', 'cpu:0', device('cpu')); refuse any other device clearly."""
    if where is None:
        return
    if device(where).type != "cpu":
        raise RuntimeError(f"chainrule runs on the CPU only; got device {str(device(where))!r} "
                           f"(choose it with `device = 'cuda' if chainrule.cuda.is_available() else 'cpu'`)")
