"""Pictures of gradient flow with matplotlib (an optional dependency: `pip install matplotlib`)."""
from __future__ import annotations

import math
from typing import Any, Optional, Tuple


def require_matplotlib() -> Any:
    """The matplotlib module, or an error saying how to install it."""
    try:
        import matplotlib
        import matplotlib.figure  # noqa: F401  (figures drawn without pyplot: no window, no global state)
    except ImportError:
        raise ImportError("drawing needs matplotlib, which is not installed: pip install matplotlib (or pip "
                          "install 'chainrule[plot]'); the text table, monitor.table(), needs nothing") from None
    return matplotlib


def plot_gradient_flow(monitor: Any, path: Optional[str] = None, title: Optional[str] = None,
                       ylim: Optional[Tuple[float, float]] = None) -> Any:
    """Left: gradient norm of each layer (input to output) at a few steps. Right: each layer's norm over training.

    ylim: the same vertical range for both panels (to compare pictures of several networks)."""
    mpl = require_matplotlib()
    layers = [name for name in monitor.weight_layers or monitor.layers
              if any(name in s["grad_norm"] for s in monitor.steps)]
    if not layers:
        raise ValueError("nothing to draw yet: the monitor has recorded no training step with gradients")
    fig = mpl.figure.Figure(figsize=(12, 4.5))
    left, right = fig.subplots(1, 2)
    steps = len(monitor.steps)
    picks = sorted({0, steps // 4, steps // 2, (3 * steps) // 4, steps - 1})
    cmap = mpl.colormaps["viridis"]
    depth = range(len(layers))
    for i, s in enumerate(picks):
        values = [_positive(monitor.steps[s]["grad_norm"].get(name)) for name in layers]
        left.plot(depth, values, marker="o", markersize=3, color=cmap(i / max(len(picks) - 1, 1)), label=f"step {s}")
    left.set_yscale("log")
    left.set_xlabel("layer (input → output)")
    left.set_ylabel("gradient norm ‖∂loss/∂W‖")
    left.set_title("gradient norm per layer")
    names = [name if len(layers) <= 12 or i % max(len(layers) // 10, 1) == 0 else "" for i, name in enumerate(layers)]
    left.set_xticks(list(depth))
    left.set_xticklabels(names, rotation=90 if len(layers) > 12 else 0, fontsize=8)
    left.legend(fontsize=8)
    for i, name in enumerate(layers):
        values = [_positive(v) for v in monitor.series("grad_norm", name)]
        right.plot(range(steps), values, color=cmap(i / max(len(layers) - 1, 1)), linewidth=1,
                   label=name if i in (0, len(layers) - 1) else None)
    right.set_yscale("log")
    right.set_xlabel("training step")
    right.set_title("gradient norm over training (dark: input side, light: output side)")
    right.legend(title="layer", fontsize=8)
    for ax in (left, right):
        ax.grid(True, which="major", alpha=0.3)
        if ylim is not None:
            ax.set_ylim(*ylim)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig


def _positive(v: Optional[float]) -> float:
    """A value a log axis can show (zero or missing becomes a gap)."""
    return v if v is not None and math.isfinite(v) and v > 0 else float("nan")
