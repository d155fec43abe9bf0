"""Metrics of a bundle on labelled raw data (used by `chainrule evaluate` and after `chainrule train`)."""
from __future__ import annotations

from typing import Dict

import numpy as np

from ..io.bundle import Bundle
from ..train.metrics import (accuracy, mean_absolute_error, mean_squared_error, precision_recall_f1,
                             r2_score)

BATCH = 1000  # samples per forward pass, to bound memory on large test sets


def metrics(bundle: Bundle, x: np.ndarray, y: np.ndarray) -> Dict[str, float]:
    """Classification: accuracy, cross-entropy (mean -log p of the true class), macro precision, recall
    and F1. Regression: MSE, MAE, R². Both with the sample count."""
    if len(x) == 0:
        raise ValueError("no samples to evaluate")
    out = np.concatenate([bundle.predict(x[i:i + BATCH]) for i in range(0, len(x), BATCH)])
    if bundle.class_names is None:
        target = np.asarray(y, np.float64).reshape(out.shape)
        return {"samples": len(x), "mse": mean_squared_error(out, target), "mae": mean_absolute_error(out, target),
                "r2": r2_score(out, target)}
    y = np.asarray(y, np.int64)
    if y.min() < 0 or y.max() >= out.shape[1]:
        raise ValueError(f"targets must be class indices 0..{out.shape[1] - 1}, got {y.min()}..{y.max()}")
    p_true = out[np.arange(len(y)), y].astype(np.float64)
    result = {"samples": len(x), "accuracy": accuracy(out, y),
              "cross_entropy": float(-np.mean(np.log(np.maximum(p_true, 1e-12))))}
    result.update(precision_recall_f1(out, y, num_classes=out.shape[1], average="macro"))
    return result
