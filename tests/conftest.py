"""Shared test fixtures: seeded NumPy randomness and the optional PyTorch reference."""
import numpy as np
import pytest

try:
    import torch
except ImportError:  # the differential tests skip, saying why
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed: "
                                    "pip install torch==2.13.0 to run the differential tests")


@pytest.fixture
def rng():
    return np.random.default_rng(0)
