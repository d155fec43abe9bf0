"""Pictures of images in a grid (matplotlib is optional: without it the example says so and goes on)."""
from __future__ import annotations

import os
import sys
from typing import Any, Optional, Sequence

import numpy as np


def pyplot() -> Any:
    """matplotlib.pyplot drawing to files, or None (with a message) if matplotlib is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print('matplotlib is not installed, so no picture is saved (pip install "chainrule[plot]")', file=sys.stderr)
        return None
    return plt


def image_grid(rows: Sequence[Sequence[np.ndarray]], path: str, titles: Optional[Sequence[Sequence[str]]] = None,
               row_labels: Optional[Sequence[str]] = None, scale: float = 1.2) -> Optional[str]:
    """Save images (each (H, W) grayscale or (H, W, 3) RGB, values in [0, 1] or uint8) as a grid,
    one list per row; returns the file written, or None without matplotlib."""
    plt = pyplot()
    if plt is None:
        return None
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(scale * n_cols, scale * n_rows + 0.3 * n_rows), squeeze=False)
    for i, row in enumerate(rows):
        for j in range(n_cols):
            ax = axes[i][j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(row):
                ax.axis("off")
                continue
            image = row[j]
            top = 255 if image.dtype == np.uint8 else 1
            ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=top)
            if titles is not None:
                ax.set_title(titles[i][j], fontsize=7)
        if row_labels is not None:
            axes[i][0].set_ylabel(row_labels[i], fontsize=8)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
