"""MNIST (or Fashion-MNIST) held in memory as float32 tensors and batched by DataLoader.

Pixels are scaled to [0, 1] and, by default, standardized with the training set's
mean and standard deviation (0.1307 and 0.3081, the numbers PyTorch's examples use).
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

import chainrule as cr
from chainrule.data import DataLoader, TensorDataset
from chainrule.data.datasets import MNIST

MEAN, STD = 0.1307, 0.3081


def mnist_tensors(root: str, train: bool, limit: Optional[int] = None,
                  standardize: bool = True) -> Tuple[cr.Tensor, cr.Tensor]:
    """Images (N, 1, 28, 28) float32 and labels (N,) int64: the first `limit` of the split."""
    data = MNIST(root, train=train)
    pixels = data.data.numpy()[:limit].astype(np.float32) / np.float32(255)
    if standardize:
        pixels = (pixels - np.float32(MEAN)) / np.float32(STD)
    return cr.from_numpy(pixels[:, None]), data.targets[:limit]


def mnist_loaders(root: str, batch_size: int, limit: Optional[int] = None, test_limit: Optional[int] = None,
                  standardize: bool = True, test_batch_size: int = 1000) -> Tuple[DataLoader, DataLoader]:
    """A shuffled training loader and an ordered test loader (shuffling follows chainrule.manual_seed)."""
    train = TensorDataset(*mnist_tensors(root, True, limit, standardize))
    test = TensorDataset(*mnist_tensors(root, False, test_limit, standardize))
    return (DataLoader(train, batch_size=batch_size, shuffle=True),
            DataLoader(test, batch_size=test_batch_size))
