"""Pictures of training: loss and metric curves per epoch, and a confusion matrix, as PNG files.

matplotlib is an optional extra (`pip install "chainrule[plot]"`); without it these functions
raise an ImportError that says so. Files are written to a temporary name and renamed.
"""
from __future__ import annotations

import io
from typing import Any, Optional, Sequence

import numpy as np

from ..io.serialization import write_atomic


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ImportError('drawing pictures needs matplotlib: pip install "chainrule[plot]"') from None
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    return plt


def _save(fig: Any, path: str) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    _pyplot().close(fig)
    write_atomic(path, lambda f: f.write(buf.getvalue()))


def plot_history(history: Sequence[dict], path: str, keys: Optional[Sequence[str]] = None) -> None:
    """Training curves: one panel per quantity (loss, accuracy, ...), training and validation together."""
    if not history:
        raise ValueError("plot_history: the history is empty (train at least one epoch)")
    numeric = [k for k in history[0] if k not in ("epoch", "time", "lr") and isinstance(history[0][k], (int, float))]
    bases = list(dict.fromkeys(k[4:] if k.startswith("val_") else k for k in (keys or numeric)))
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(bases), figsize=(4.2 * len(bases), 3.2), squeeze=False)
    epochs = [row.get("epoch", i + 1) for i, row in enumerate(history)]
    for ax, base in zip(axes[0], bases):
        for key, label in ((base, "training"), ("val_" + base, "validation")):
            if key in history[0]:
                ax.plot(epochs, [row.get(key) for row in history], marker="o", label=label)
        ax.set_xlabel("epoch")
        ax.set_title(base)
        ax.grid(alpha=0.3)
        ax.legend()
    _save(fig, path)


def plot_confusion_matrix(matrix: Any, path: str, class_names: Optional[Sequence[str]] = None,
                          normalize: bool = False) -> None:
    """The confusion matrix (rows: true class, columns: predicted class) as a labelled heat map."""
    cm = np.asarray(matrix, dtype=np.float64)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"a confusion matrix is square, got shape {cm.shape}")
    n = cm.shape[0]
    names = [str(c) for c in class_names] if class_names is not None else [str(i) for i in range(n)]
    if len(names) != n:
        raise ValueError(f"{len(names)} class names for a {n} x {n} confusion matrix")
    shown = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    plt = _pyplot()
    size = max(3.5, 0.45 * n + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    image = ax.imshow(shown, cmap="Blues")
    fig.colorbar(image, ax=ax, fraction=0.046)
    ax.set_xticks(range(n), names, rotation=45 if max(map(len, names)) > 2 else 0)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if n <= 20:
        for i in range(n):
            for j in range(n):
                text = f"{shown[i, j]:.2f}" if normalize else f"{int(cm[i, j])}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if shown[i, j] > shown.max() / 2 else "black")
    _save(fig, path)
