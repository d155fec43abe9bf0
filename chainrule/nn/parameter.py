"""`Parameter`: a tensor that a `Module` registers as one of its learnable weights."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..dtypes import get_default_dtype
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and is found by `Module.parameters()`.

    Shares memory with the tensor it is made from, as in PyTorch.
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            arr = np.empty(0, dtype=get_default_dtype())
        elif isinstance(data, Tensor):
            arr = data._data
        else:
            arr = np.asarray(data)
        self._init(arr, None, 0)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute (PyTorch's nn.Buffer)."""

    def __init__(self, data: Any, persistent: bool = True) -> None:
        arr = data._data if isinstance(data, Tensor) else np.asarray(data)
        self._init(arr, None, 0)
        self.persistent = persistent
