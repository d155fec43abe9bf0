"""Random numbers: a seedable `Generator` and the default one behind `manual_seed`.

Streams come from NumPy's PCG64, so they differ from PyTorch's for the same
seed; what carries over is reproducibility: the same seed gives the same
numbers, and `get_state` / `set_state` save and restore a stream exactly
(as JSON bytes, never pickle).
"""
from __future__ import annotations

import json
from typing import Any, Optional

import numpy as np


class Generator:
    """An independent random stream (PyTorch's `torch.Generator`)."""

    def __init__(self, device: str = "cpu") -> None:
        self._seed = int(np.random.SeedSequence().entropy % (2 ** 63))
        self.rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> "Generator":
        """Restart the stream from `seed`."""
        seed = int(seed)
        self._seed = seed
        self.rng = np.random.Generator(np.random.PCG64(seed & (2 ** 128 - 1)))
        return self

    def seed(self) -> int:
        """Reseed from fresh entropy; return the new seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy % (2 ** 63)))
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Any:
        """The exact stream position, as a uint8 tensor (JSON bytes)."""
        from ..tensor import Tensor
        raw = json.dumps({"seed": self._seed, "state": self.rng.bit_generator.state}).encode()
        return Tensor._make(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, state: Any) -> "Generator":
        """Restore a position saved by `get_state`."""
        raw = bytes(np.asarray(state, dtype=np.uint8).tobytes())
        try:
            saved = json.loads(raw.decode())
            bit_generator = np.random.PCG64()
            bit_generator.state = saved["state"]
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"set_state expects a state made by Generator.get_state(): {e}") from None
        self._seed = saved["seed"]
        self.rng = np.random.Generator(bit_generator)
        return self


default_generator = Generator().manual_seed(0x5EED)


def _rng(generator: Optional[Generator]) -> np.random.Generator:
    return (generator or default_generator).rng


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (and so every random operation that is not given its own)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Reseed the default generator from fresh entropy; return the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the default generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state() -> Any:
    """The default generator's state (restore it with set_rng_state)."""
    return default_generator.get_state()


def set_rng_state(state: Any) -> None:
    """Restore a state saved by get_rng_state."""
    default_generator.set_state(state)


def uniform_array(shape: tuple, low: float, high: float, dtype: Any,
                  generator: Optional[Generator] = None) -> np.ndarray:
    """Uniform samples on [low, high) as an array of dtype."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f" or dtype == np.float16:
        return (_rng(generator).random(shape) * (high - low) + low).astype(dtype)
    out = _rng(generator).random(shape, dtype=dtype)
    if low != 0.0 or high != 1.0:
        out *= high - low
        out += low
    return out


def normal_array(shape: tuple, mean: float, std: float, dtype: Any,
                 generator: Optional[Generator] = None) -> np.ndarray:
    """Normal samples as an array of dtype (drawn directly in float32 when asked)."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f" or dtype == np.float16:
        return (_rng(generator).standard_normal(shape) * std + mean).astype(dtype)
    out = _rng(generator).standard_normal(shape, dtype=dtype)
    if std != 1.0:
        out *= std
    if mean != 0.0:
        out += mean
    return out


def integer_array(low: int, high: int, shape: tuple, dtype: Any, generator: Optional[Generator] = None) -> np.ndarray:
    """Integers in [low, high) as an array of dtype."""
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    return _rng(generator).integers(low, high, size=shape).astype(dtype)


def permutation_array(n: int, generator: Optional[Generator] = None) -> np.ndarray:
    """A random permutation of 0 .. n-1 (int64)."""
    return _rng(generator).permutation(n).astype(np.int64)
