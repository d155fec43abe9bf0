"""W7: the W2 network trained for one epoch over MNIST's 60,000 training images, batch 64, then tested
on the 10,000 test images; wall time includes reading and preparing the data."""
from __future__ import annotations

import gzip
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from . import cnn
from .training import init_params, load_params

MNIST = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "mnist"  # ../shared/datasets/mnist
MEAN, STD = 0.1307, 0.3081  # normalization of PyTorch's MNIST example


def read_idx(path: Path, header: int) -> np.ndarray:
    """An IDX file (gzip-compressed): a big-endian header, then uint8 values."""
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=header)


def load(split: str, root: Path = MNIST) -> tuple:
    """Images as normalized float32 (N, 1, 28, 28) and labels as int64, for "train" or "t10k"."""
    images = read_idx(root / f"{split}-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)
    labels = read_idx(root / f"{split}-labels-idx1-ubyte.gz", 8).astype(np.int64)
    x = images.astype(np.float32)
    x *= 1 / (255 * STD)
    x -= MEAN / STD
    return x, labels


def _batches(fw: Any, x: np.ndarray, y: np.ndarray, batch: int) -> tuple:
    """The framework's DataLoader when it has one; shuffled slices otherwise."""
    try:
        data = fw.utils.data
        loader = data.DataLoader(data.TensorDataset(fw.from_numpy(x), fw.from_numpy(y)), batch_size=batch,
                                 shuffle=True)
        return loader, "DataLoader"
    except AttributeError:
        def slices() -> Iterator:
            order = np.random.default_rng(0).permutation(len(x))
            for k in range(0, len(x), batch):
                idx = order[k:k + batch]
                yield fw.from_numpy(x[idx]), fw.from_numpy(y[idx])
        return slices(), "NumPy slices"


def run(fw: Any, batch: int) -> dict:
    start = time.perf_counter()
    x, y = load("train")
    x_test, y_test = load("t10k")
    model = cnn.model(fw.nn)
    load_params(fw, model, init_params(cnn.shapes(batch)))
    opt = cnn.optimizer(fw)(model.parameters())
    loader, how = _batches(fw, x, y, batch)
    model.train()
    for xb, yb in loader:
        opt.zero_grad()
        loss = fw.nn.functional.nll_loss(model(xb), yb)
        loss.backward()
        opt.step()
    model.eval()
    correct = 0
    with fw.no_grad():
        for k in range(0, len(x_test), 1000):
            pred = model(fw.from_numpy(x_test[k:k + 1000])).argmax(dim=1)
            correct += int((pred == fw.from_numpy(y_test[k:k + 1000])).sum())
    return {"seconds": time.perf_counter() - start, "accuracy": correct / len(x_test), "loader": how,
            "loss": loss.item()}
