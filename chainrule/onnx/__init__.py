"""ONNX: export chainrule models (`export`, torch.onnx.export's signature) and run `.onnx` files
(`load_onnx_predictor`). Needs the optional `onnx` package (`pip install 'chainrule[onnx]'`) to export and
`onnxruntime` to run; importing this module needs neither."""
from .export import TrainingMode, export
from .runtime import OnnxPredictor, load_onnx_predictor
from .trace import ExportError

__all__ = ["export", "ExportError", "TrainingMode", "OnnxPredictor", "load_onnx_predictor"]
