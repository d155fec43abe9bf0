"""What every floor offers: a training step, gradients alone, and the parameters in PyTorch's layout."""
from __future__ import annotations

import numpy as np

from .flat import FlatParams


class Floor:
    """A hand-written model: parameters in `self.flat` (own layout), an optimizer in `self.opt`."""

    flat: FlatParams
    opt: object

    def loss_and_grads(self) -> float:
        """Forward, loss and backward into `self.flat.grad`; returns the loss."""
        raise NotImplementedError

    def step(self) -> float:
        """One training step: forward, loss, backward, update."""
        loss = self.loss_and_grads()
        self.opt.step()
        return loss

    def to_internal(self, name: str, a: np.ndarray) -> np.ndarray:
        """A parameter from PyTorch's layout to this floor's (identity unless a floor says otherwise)."""
        return a

    def to_torch(self, name: str, a: np.ndarray) -> np.ndarray:
        """A parameter (or its gradient) from this floor's layout back to PyTorch's."""
        return a

    def torch_params(self) -> dict:
        return {k: self.to_torch(k, v) for k, v in self.flat.params.items()}

    def torch_grads(self) -> dict:
        return {k: self.to_torch(k, v) for k, v in self.flat.grads.items()}

    def _flatten(self, params: dict) -> FlatParams:
        return FlatParams({k: np.ascontiguousarray(self.to_internal(k, v)) for k, v in params.items()})
