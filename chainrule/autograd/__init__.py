"""Automatic differentiation: the graph nodes (`Function`), the engine (`backward`, `grad`),
grad mode and gradient checking."""
from .engine import backward, grad
from .function import Function, once_differentiable
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import gradcheck, gradgradcheck
from ..diagnostics.anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly  # noqa: E402

__all__ = ["Function", "backward", "detect_anomaly", "enable_grad", "grad", "gradcheck", "gradgradcheck",
           "inference_mode", "is_anomaly_enabled", "is_grad_enabled", "no_grad", "once_differentiable",
           "set_detect_anomaly", "set_grad_enabled"]
