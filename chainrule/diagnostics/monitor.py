"""Gradient-flow monitor: is every layer of a network still learning?

    monitor = GradientMonitor(model)      # one line; training code unchanged

records, per layer and per training step: the norm of the gradient, the
update-to-weight ratio ‖ΔW‖/‖W‖ (about 1e-3 is healthy), the fraction of
dead ReLU units (zero for every sample of the batch) and of saturated
sigmoid / tanh outputs (where their derivative is nearly 0). It warns once
per layer and problem when gradients vanish (a layer's gradient norm below
`vanishing_ratio` times the largest among the layers with a weight matrix or
kernel, or below `vanishing_norm`) or explode (above `exploding_norm`, or not
finite), and when most units of an activation layer are dead or saturated.

How: a post-accumulate hook on each parameter takes its gradient's norm;
forward hooks on activation layers measure their outputs; a step ends at
the next training forward pass after a backward (or at `monitor.step()`),
when the change of the weights since the last step gives the update ratio.
`remove()` takes every hook away: with no monitor attached nothing runs.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ..autograd.grad_mode import state as _grad_state
from .frames import user_stacklevel

DEAD = ("ReLU", "ReLU6")
SATURATING = ("Sigmoid", "Tanh")


class GradientFlowWarning(UserWarning):
    """Vanishing or exploding gradients, dead or saturated units, found by `GradientMonitor`."""


def _square_norm(a: np.ndarray) -> float:
    """‖a‖², exact even where float32 squares underflow (vanishing gradients) or overflow."""
    s = float(np.vdot(a, a))
    if 1e-30 < s < 1e30:
        return s
    m = float(np.abs(a).max()) if a.size else 0.0
    if m == 0 or not math.isfinite(m):
        return m * m
    b = a / a.dtype.type(m)
    return m * m * float(np.vdot(b, b))


class GradientMonitor:
    """Attach to a model: records gradient flow per layer and step, warns, prints a table, draws a picture."""

    def __init__(self, model: Any, vanishing_ratio: float = 1e-3, vanishing_norm: float = 1e-8,
                 exploding_norm: float = 1e3, dead_fraction: float = 0.5, saturated_fraction: float = 0.5,
                 saturation: float = 0.99, warn: bool = True) -> None:
        self.model = model
        self.vanishing_ratio, self.vanishing_norm, self.exploding_norm = vanishing_ratio, vanishing_norm, exploding_norm
        self.dead_fraction, self.saturated_fraction, self.saturation = dead_fraction, saturated_fraction, saturation
        self.warn = warn
        self.steps: List[Dict[str, Dict[str, float]]] = []  # per step: {quantity: {layer: value}}
        self.problems: List[Tuple[int, str, str, str]] = []   # (step, layer, kind, numbers): first time only
        self.layers: List[str] = []                           # layers with parameters, input to output
        self.weight_layers: List[str] = []                    # ... those with a weight matrix or kernel
        self.types: Dict[str, str] = {}
        self._params: Dict[str, list] = {}
        self._grad_sq: Dict[int, float] = {}
        self._activity: Dict[str, List[float]] = {}            # activation layer -> [sum of fractions, count]
        self._pending = False
        self._warned: set = set()
        self._handles: list = []
        for name, module in model.named_modules():
            kind = type(module).__name__
            own = [p for p in module.parameters(recurse=False) if p.requires_grad]
            if own:
                self.layers.append(name)
                if any(p.ndim >= 2 for p in own):
                    self.weight_layers.append(name)
                self.types[name] = kind
                self._params[name] = own
                for p in own:
                    self._handles.append(p.register_post_accumulate_grad_hook(self._on_grad))
            elif kind in DEAD or kind in SATURATING:
                self.types[name] = kind
                self._handles.append(module.register_forward_hook(self._activation_hook(name, kind)))
        self._handles.append(model.register_forward_pre_hook(self._on_forward))
        self._snapshot = {id(p): p._data.copy() for params in self._params.values() for p in params}

    # -- hooks -----------------------------------------------------------------------
    def _on_grad(self, p: Any) -> None:
        self._grad_sq[id(p)] = _square_norm(p.grad._data)
        self._pending = True

    def _on_forward(self, module: Any, args: Any) -> None:
        if self._pending:
            self.step()

    def _activation_hook(self, name: str, kind: str) -> Any:
        def hook(module: Any, args: Any, out: Any) -> None:
            if not (_grad_state.enabled and module.training):
                return  # evaluation passes are not training steps
            y = out._data
            if kind in DEAD:  # a unit (feature or channel) is dead if its largest output over the batch is 0
                peak = y.reshape(y.shape[0], y.shape[1], -1).max(axis=2).max(axis=0) if y.ndim > 1 else y
                value = float((peak <= 0).mean())
            elif kind == "Sigmoid":
                value = float(((y < 1 - self.saturation) | (y > self.saturation)).mean())
            else:
                value = float((np.abs(y) > self.saturation).mean())
            acc = self._activity.setdefault(name, [0.0, 0])
            acc[0] += value
            acc[1] += 1
        return hook

    # -- steps -----------------------------------------------------------------------
    def _update_ratio(self, params: list) -> float:
        """‖W − W_before‖ / ‖W‖ over a layer's parameters, refreshing the copies (no new array is made)."""
        change = size = 0.0
        for p in params:
            before = self._snapshot[id(p)]
            if before.shape != p._data.shape:  # the parameter was replaced: start again from it
                self._snapshot[id(p)] = p._data.copy()
                change = float("nan")
                continue
            np.subtract(p._data, before, out=before)
            change += _square_norm(before)
            size += _square_norm(p._data)
            np.copyto(before, p._data)
        return math.sqrt(change / size) if size > 0 else float("nan")

    def step(self) -> None:
        """End the current training step now (otherwise the next training forward pass does it)."""
        if not self._pending:
            return
        record: Dict[str, Dict[str, float]] = {"grad_norm": {}, "update_ratio": {}, "dead": {}, "saturated": {}}
        for name, params in self._params.items():
            sq = [self._grad_sq[id(p)] for p in params if id(p) in self._grad_sq]
            if sq:
                record["grad_norm"][name] = math.sqrt(sum(sq))
            record["update_ratio"][name] = self._update_ratio(params)
        for name, (total, count) in self._activity.items():
            record["dead" if self.types[name] in DEAD else "saturated"][name] = total / count
        self.steps.append(record)
        self._grad_sq.clear()
        self._activity.clear()
        self._pending = False
        self._check(len(self.steps) - 1, record)

    def _check(self, step: int, record: Dict[str, Dict[str, float]]) -> None:
        """Flag each layer's problems; one warning per kind of problem for the layers newly flagged."""
        norms = record["grad_norm"]
        finite = {k: v for k, v in norms.items() if math.isfinite(v) and k in self.weight_layers}
        top_layer = max(finite, key=finite.get) if finite else None
        top = finite.get(top_layer, 0.0)
        found: Dict[str, List[str]] = {}
        for layer, v in norms.items():
            relative = top > 0 and layer in self.weight_layers  # weight matrices are compared with each other
            if not math.isfinite(v) or v > self.exploding_norm:
                self._flag(found, step, layer, "exploding", f"gradient norm {v:.3g}")
            elif v < self.vanishing_norm or (relative and v < self.vanishing_ratio * top):
                self._flag(found, step, layer, "vanishing", f"gradient norm {v:.3g} ({v / top:.2g} of the largest)"
                           if relative else f"gradient norm {v:.3g}")
        for kind, limit in (("dead", self.dead_fraction), ("saturated", self.saturated_fraction)):
            for layer, v in record[kind].items():
                if v > limit:
                    self._flag(found, step, layer, kind, f"{v:.0%} of its {'units' if kind == 'dead' else 'outputs'}")
        if not self.warn:
            return
        rules = {"vanishing": f"a gradient norm below vanishing_ratio={self.vanishing_ratio:g} times the largest "
                              f"weight layer's ('{top_layer}': {top:.3g}) or below vanishing_norm="
                              f"{self.vanishing_norm:g}",
                 "exploding": f"a gradient norm above exploding_norm={self.exploding_norm:g} or not finite",
                 "dead": f"units that output 0 for every sample of the batch, in more than "
                         f"dead_fraction={self.dead_fraction:g} of the units",
                 "saturated": f"outputs beyond saturation={self.saturation:g} (derivative near 0), in more than "
                              f"saturated_fraction={self.saturated_fraction:g} of the outputs"}
        for kind, items in found.items():
            what = "gradients" if kind in ("vanishing", "exploding") else "units"
            warnings.warn(f"{kind} {what} at step {step} in {len(items)} layer{'s' if len(items) > 1 else ''}: "
                          f"{'; '.join(items)} [{rules[kind]}]", GradientFlowWarning, stacklevel=user_stacklevel())

    def _flag(self, found: Dict[str, List[str]], step: int, layer: str, kind: str, detail: str) -> None:
        """Record a problem the first time it is seen in a layer."""
        if (layer, kind) in self._warned:
            return
        self._warned.add((layer, kind))
        self.problems.append((step, layer, kind, detail))
        found.setdefault(kind, []).append(f"'{layer}' ({self.types[layer]}) {detail}")

    # -- results ---------------------------------------------------------------------
    def flagged(self, kind: Optional[str] = None) -> List[str]:
        """Layers found with a problem ('vanishing', 'exploding', 'dead', 'saturated'; None: any), in order."""
        return list(dict.fromkeys(layer for _, layer, k, _ in self.problems if kind is None or k == kind))

    def series(self, quantity: str, layer: str) -> List[float]:
        """One quantity ('grad_norm', 'update_ratio', 'dead', 'saturated') of one layer, step by step."""
        return [s[quantity].get(layer, float("nan")) for s in self.steps]

    def table(self, step: int = -1) -> str:
        """A text table of one step (the last by default), one row per layer, input to output."""
        if not self.steps:
            return "GradientMonitor: no training step recorded yet"
        record = self.steps[step]
        index = step % len(self.steps)
        rows = [name for name in self.types if name in record["grad_norm"] or name in record["dead"]
                or name in record["saturated"]]
        width = max([len(r) for r in rows] + [5])
        kinds = max([len(self.types[r]) for r in rows] + [4])
        lines = [f"step {index}",
                 f"{'layer':<{width}}  {'type':<{kinds}} {'grad norm':>10} {'update/weight':>14} {'dead':>6} "
                 f"{'saturated':>9}  problems"]
        flags: Dict[str, List[str]] = {}
        for _, layer, kind, _ in self.problems:
            flags.setdefault(layer, []).append(kind)

        def cell(quantity: str, name: str, fmt: str, w: int) -> str:
            v = record[quantity].get(name)
            return f"{format(v, fmt):>{w}}" if v is not None else f"{'':>{w}}"

        for name in rows:
            lines.append(f"{name:<{width}}  {self.types[name]:<{kinds}} {cell('grad_norm', name, '.3e', 10)} "
                         f"{cell('update_ratio', name, '.2e', 14)} {cell('dead', name, '.0%', 6)} "
                         f"{cell('saturated', name, '.0%', 9)}  {', '.join(flags.get(name, []))}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def plot(self, path: Optional[str] = None, title: Optional[str] = None,
             ylim: Optional[Tuple[float, float]] = None) -> Any:
        """The classic picture (gradient norm per layer, and over training) as a matplotlib figure; saved if path."""
        from .plots import plot_gradient_flow
        return plot_gradient_flow(self, path, title, ylim)

    # -- lifetime --------------------------------------------------------------------
    def remove(self) -> None:
        """Detach every hook from the model (the records stay)."""
        self.step()
        for handle in self._handles:
            handle.remove()
        self._handles = []
        self._snapshot.clear()

    def __enter__(self) -> "GradientMonitor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()
