"""Seeing backpropagation: gradient flow, anomalies, graph pictures, explanations, memory, model gradchecks.

Everything here is loaded on first use, so `import chainrule` pays nothing for it.
"""
from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "GradientMonitor": "monitor", "GradientFlowWarning": "monitor",
    "detect_anomaly": "anomaly", "set_detect_anomaly": "anomaly", "is_anomaly_enabled": "anomaly",
    "is_anomaly_check_nan_enabled": "anomaly", "find_nonfinite": "anomaly",
    "draw_graph": "draw", "build_graph": "graph", "trace_graph": "graph", "to_dot": "dot", "to_svg": "dot",
    "to_html": "html_page", "ModuleTrace": "scopes",
    "explain": "explain",
    "memory_report": "memory", "saved_bytes": "memory", "peak_memory": "memory",
    "check_model_gradients": "gradcheck_model", "ModelGradcheckError": "gradcheck_model",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'chainrule.diagnostics' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_WHERE))
