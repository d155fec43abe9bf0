"""The model bundle: one file holding everything needed to predict on raw new data.

    save_bundle(model, "mnist.bundle", input_shape=(28, 28), image_mode="L",
                preprocess=[transforms.ToTensor(), transforms.Normalize([0.1307], [0.3081])],
                class_names=[str(d) for d in range(10)], metadata={"metrics": {"accuracy": 0.97}})
    bundle = load_bundle("mnist.bundle")
    bundle.predict(raw_images)          # (N, 10) class probabilities, after exactly the training preprocessing

The file is safetensors: the weights as `model.<name>` (any safetensors reader
opens them), the arrays of fitted preprocessing objects as `preprocess.<i>.<key>`,
and in the header's metadata one JSON document with the architecture spec
(`chainrule.nn.spec`), the preprocessing steps, the input description, class
names and metadata (library version, metrics). Loading executes nothing: the
spec names only registered layer classes, and every part is validated, then
the model is run once on a blank input so an inconsistent file fails at load
time with a clear error, never at the first prediction.
"""
from __future__ import annotations

import datetime
import io
import json
import math
import os
import threading
from typing import Any, BinaryIO, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ..autograd.grad_mode import no_grad
from ..data.fitted import Fitted
from ..data.scalers import MinMaxScaler, StandardScaler
from ..data.transforms import Compose, Normalize, ToTensor
from ..nn.modules.module import Module
from ..nn.spec import SpecError, from_spec, to_spec
from ..tensor import Tensor
from .serialization import read_safetensors, write_atomic, write_safetensors

PathLike = Union[str, "os.PathLike[str]"]
BUNDLE_KEY = "chainrule.bundle"
FORMAT_VERSION = 1
OUTPUTS = ("logits", "probabilities", "log_probabilities", "values")
INPUT_DTYPES = ("uint8", "float32", "float64", "int64")
IMAGE_MODES = {"L": 2, "RGB": 3}  # Pillow mode -> rank of one image (H, W) or (H, W, 3)
FITTED = {cls.__name__: cls for cls in (StandardScaler, MinMaxScaler)}
MAX_IMAGE_PIXELS = 40_000_000  # a larger image (a decompression bomb?) is refused before decoding


class BundleError(ValueError):
    """A bundle file (or the arguments to make one) that is not valid: says which part and why."""


class InputError(ValueError):
    """Raw input that does not fit the model: wrong shape, type or values."""


# -- preprocessing steps <-> JSON + arrays ------------------------------------------------------------

def _steps(preprocess: Any) -> List[Any]:
    """The steps as a flat list (a Compose is opened up)."""
    if preprocess is None:
        return []
    items = preprocess.transforms if isinstance(preprocess, Compose) else list(preprocess)
    return [s for item in items for s in (_steps(item) if isinstance(item, Compose) else [item])]


def _encode_step(step: Any, i: int, arrays: Dict[str, np.ndarray]) -> Dict[str, Any]:
    if isinstance(step, ToTensor):
        return {"type": "ToTensor"}
    if isinstance(step, Normalize):
        return {"type": "Normalize", "mean": step.mean, "std": step.std}
    if type(step).__name__ in FITTED and type(step) is FITTED[type(step).__name__]:
        state = {}
        for key, value in step.state_dict().items():
            if isinstance(value, np.ndarray):
                arrays[f"preprocess.{i}.{key}"] = value
                state[key] = {"array": f"preprocess.{i}.{key}"}
            else:
                state[key] = list(value) if isinstance(value, tuple) else value
        return {"type": type(step).__name__, "state": state}
    raise BundleError(f"preprocessing step {i} is a {type(step).__name__}; a bundle stores ToTensor, Normalize, "
                      f"{', '.join(FITTED)} (fitted on the training data), so deployment repeats them exactly")


def _decode_step(entry: Any, i: int, arrays: Dict[str, np.ndarray]) -> Any:
    kind = entry.get("type") if isinstance(entry, dict) else None
    try:
        if kind == "ToTensor":
            return ToTensor()
        if kind == "Normalize":
            return Normalize(_numbers(entry.get("mean")), _numbers(entry.get("std")))
        if kind in FITTED and isinstance(entry.get("state"), dict):
            state = {}
            for key, value in entry["state"].items():
                if isinstance(value, dict):
                    if set(value) != {"array"} or value["array"] not in arrays:
                        raise ValueError(f"{key} names an array the file does not hold: {value}")
                    value = arrays[value["array"]]
                state[key] = value
            return FITTED[kind]().load_state_dict(state)
    except (ValueError, KeyError, TypeError) as e:
        raise BundleError(f"preprocessing step {i} ({kind}) is invalid: {e}") from None
    raise BundleError(f"preprocessing step {i}: unknown type {kind!r} (known: ToTensor, Normalize, "
                      f"{', '.join(FITTED)})")


def _numbers(values: Any) -> List[float]:
    if not isinstance(values, list) or not values or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values):
        raise ValueError(f"expected a list of finite numbers, got {values!r}")
    return values


def _apply(step: Any, x: Any) -> Any:
    """One step on a whole batch (ToTensor works per image, the others on the batch at once)."""
    if isinstance(step, ToTensor):
        return np.stack([step(sample)._data for sample in x])
    if isinstance(step, Fitted):
        return step.transform(x)
    return step(Tensor._make(x))._data


# -- the bundle -----------------------------------------------------------------------------------------

class Bundle:
    """A model with its preprocessing and input description: `predict(raw)` applies both.

    input_shape: the shape of one raw sample (a (28, 28) image, 4 features (4,)).
    input_dtype: what raw values are ("uint8" for image pixels; "float32" for features by default).
    image_mode: "L" or "RGB" if samples are images (files are decoded to it and resized to input_shape).
    output: what the model returns: "logits" (softmax gives probabilities), "probabilities",
    "log_probabilities", or "values" (regression; the default without class_names).
    feature_names / target: the CSV columns of the features (in order) and of the label, if tabular.
    """

    def __init__(self, model: Module, input_shape: Sequence[int], *, preprocess: Any = None,
                 class_names: Optional[Sequence[str]] = None, input_dtype: Optional[str] = None,
                 image_mode: Optional[str] = None, output: Optional[str] = None,
                 feature_names: Optional[Sequence[str]] = None, target: Optional[str] = None,
                 metadata: Optional[Mapping[str, Any]] = None) -> None:
        if not isinstance(model, Module):
            raise TypeError(f"a bundle holds a chainrule.nn.Module, got {type(model).__name__}")
        self.model = model
        self.preprocess = _steps(preprocess)
        self.input_shape = _shape(input_shape)
        self.image_mode = image_mode
        self.input_dtype = input_dtype or ("uint8" if image_mode else "float32")
        self.class_names = None if class_names is None else [str(c) for c in class_names]
        self.output = output or ("logits" if class_names is not None else "values")
        self.feature_names = None if feature_names is None else [str(f) for f in feature_names]
        self.target = target
        self.metadata = dict(metadata or {})
        self._lock = threading.Lock()  # grad mode is process-wide: one forward at a time
        self._check()

    def _check(self) -> None:
        """Everything fits together: settings in range, and the model runs on a blank input."""
        if self.input_dtype not in INPUT_DTYPES:
            raise BundleError(f"input_dtype must be one of {INPUT_DTYPES}, got {self.input_dtype!r}")
        if self.output not in OUTPUTS:
            raise BundleError(f"output must be one of {OUTPUTS}, got {self.output!r}")
        if self.output != "values" and self.class_names is None:
            raise BundleError(f"output={self.output!r} is a classifier's: give class_names")
        if self.image_mode is not None:
            rank = IMAGE_MODES.get(self.image_mode)
            if rank is None:
                raise BundleError(f"image_mode must be one of {sorted(IMAGE_MODES)} or None, got {self.image_mode!r}")
            if len(self.input_shape) != rank or (rank == 3 and self.input_shape[2] != 3):
                needed = "(H, W)" if rank == 2 else "(H, W, 3)"
                raise BundleError(f"image_mode {self.image_mode!r} needs input_shape {needed}, got {self.input_shape}")
        if self.feature_names is not None and self.input_shape != (len(self.feature_names),):
            raise BundleError(f"{len(self.feature_names)} feature_names need input_shape "
                              f"({len(self.feature_names)},), got {self.input_shape}")
        try:
            out = self._forward(np.zeros((1,) + self.input_shape, self.input_dtype))
        except Exception as e:  # whatever the model raises, the bundle is unusable
            raise BundleError(f"the model does not run on input of shape (N, {', '.join(map(str, self.input_shape))})"
                              f" after the preprocessing: {type(e).__name__}: {e}") from None
        if self.class_names is not None and out.shape[1:] != (len(self.class_names),):
            raise BundleError(f"the model gives outputs of shape {out.shape[1:]} per sample but there are "
                              f"{len(self.class_names)} class_names")

    # -- prediction ---------------------------------------------------------------------------------
    def as_batch(self, raw: Any) -> np.ndarray:
        """Raw input (nested lists, array or tensor) as a checked batch (N, *input_shape) of input_dtype;
        a single sample of input_shape becomes a batch of one."""
        a = raw._data if isinstance(raw, Tensor) else raw
        try:
            a = np.asarray(a)
        except (ValueError, TypeError) as e:
            raise InputError(f"the input is not a regular array of numbers ({e})") from None
        expected = ", ".join(map(str, self.input_shape))
        if a.dtype.kind not in "iuf":
            got = "values of mixed length or type" if a.dtype == object else a.dtype
            raise InputError(f"expected numbers, got {got} (a sample has shape ({expected}))")
        if a.shape == self.input_shape:
            a = a[None]
        elif a.shape[1:] != self.input_shape:
            raise InputError(f"expected input of shape (N, {expected}) or ({expected}), got {a.shape}")
        if len(a) == 0:
            raise InputError("the input holds no samples")
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            raise InputError("the input holds NaN or infinite values")
        dtype = np.dtype(self.input_dtype)
        if dtype.kind in "iu" and a.size:
            info = np.iinfo(dtype)
            if a.dtype.kind == "f" and (a != np.round(a)).any():
                raise InputError(f"expected whole numbers ({self.input_dtype}), got fractions")
            if a.min() < info.min or a.max() > info.max:
                raise InputError(f"values must be in {info.min}..{info.max} ({self.input_dtype}), "
                                 f"got {a.min()}..{a.max()}")
        return a.astype(dtype, copy=False)

    def transform(self, batch: np.ndarray) -> Tensor:
        """The preprocessing of a checked batch: what the model was trained on."""
        x = batch
        for step in self.preprocess:
            x = _apply(step, x)
        x = x._data if isinstance(x, Tensor) else np.asarray(x)
        dtype = self._float_dtype()
        return Tensor._make(x.astype(dtype, copy=False) if x.dtype.kind == "f" and dtype is not None else x)

    def _float_dtype(self) -> Optional[np.dtype]:
        for p in self.model.parameters():
            if p.dtype.kind == "f":
                return p.dtype
        return None

    def _forward(self, batch: np.ndarray) -> np.ndarray:
        x = self.transform(batch)
        with self._lock, no_grad():
            training = self.model.training
            self.model.eval()  # dropout off, batch norm on its running statistics
            try:
                out = self.model(x)
            finally:
                self.model.train(training)
        if not isinstance(out, Tensor):
            raise TypeError(f"the model returned a {type(out).__name__}; a bundled model must return one tensor")
        return out._data

    def predict(self, raw: Any) -> np.ndarray:
        """Class probabilities (N, classes) for a classifier, else the model's outputs, for raw input."""
        out = self._forward(self.as_batch(raw))
        if self.output == "logits":
            e = np.exp(out - out.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        return np.exp(out) if self.output == "log_probabilities" else out

    def results(self, raw: Any, top: Optional[int] = None) -> List[Dict[str, Any]]:
        """One JSON-ready dict per sample: the label, its index and the `top` class probabilities
        (all by default), highest first; or the output values for a regression model."""
        if top is not None and top < 1:
            raise ValueError(f"top must be a positive number of classes, got {top}")
        out = self.predict(raw)
        if self.class_names is None:
            return [{"values": row.tolist()} for row in out]
        order = np.argsort(-out, axis=1, kind="stable")[:, :top]
        return [{"label": self.class_names[int(o[0])], "index": int(o[0]), "probabilities":
                 [{"label": self.class_names[int(k)], "index": int(k), "probability": float(p[k])} for k in o]}
                for p, o in zip(out, order)]

    def read_image(self, source: Union[PathLike, bytes, BinaryIO]) -> np.ndarray:
        """An image file (path, bytes or stream) decoded as the model's samples: image_mode, input_shape."""
        if self.image_mode is None:
            raise InputError(f"this model takes samples of shape {self.input_shape}, not images")
        try:
            from PIL import Image
        except ImportError:
            raise ImportError('reading images needs Pillow: pip install "chainrule[images]"') from None
        stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
        try:
            with Image.open(stream) as img:
                if img.width * img.height > MAX_IMAGE_PIXELS:
                    raise InputError(f"the image is {img.width} x {img.height} pixels, more than "
                                     f"{MAX_IMAGE_PIXELS} allowed")
                img = img.convert(self.image_mode)
                height, width = self.input_shape[:2]
                if img.size != (width, height):
                    img = img.resize((width, height), Image.BILINEAR)
                return np.asarray(img)
        except InputError:
            raise
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:  # Pillow's decoding errors
            raise InputError(f"cannot read the image ({e})") from None

    def info(self) -> Dict[str, Any]:
        """The description of inputs and outputs (what a client needs to call the model), as JSON."""
        return {"input_shape": list(self.input_shape), "input_dtype": self.input_dtype,
                "image_mode": self.image_mode, "class_names": self.class_names, "output": self.output,
                "feature_names": self.feature_names, "target": self.target, "metadata": self.metadata}

    # -- files ------------------------------------------------------------------------------------------
    def _document(self, arrays: Dict[str, np.ndarray]) -> Dict[str, Any]:
        """The JSON description of everything but the weights; preprocessing arrays go into `arrays`."""
        from .. import __version__
        steps = [_encode_step(s, i, arrays) for i, s in enumerate(self.preprocess)]
        meta = {**self.metadata, "library": "chainrule", "library_version": __version__,
                "numpy_version": np.__version__,
                "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
        return {"format_version": FORMAT_VERSION, "spec": to_spec(self.model), "preprocess": steps,
                **{k: v for k, v in self.info().items() if k != "metadata"}, "metadata": meta}

    def save(self, path: PathLike) -> None:
        """Write the bundle to `path` (atomically: the file appears only once complete)."""
        arrays = {"model." + k: v._data for k, v in self.model.state_dict().items()}
        document = self._document(arrays)
        try:
            header = {"format": BUNDLE_KEY, BUNDLE_KEY: json.dumps(document, allow_nan=False)}
        except (TypeError, ValueError) as e:
            raise BundleError(f"metadata must be JSON values (numbers, strings, lists, dicts): {e}") from None
        write_atomic(path, lambda f: write_safetensors(arrays, f, header))

    def export_onnx(self, path: PathLike, opset_version: Optional[int] = None) -> None:
        """Export the network to ONNX with a dynamic batch size, keeping this bundle's description
        (preprocessing, classes, input) in the file's metadata: `load_bundle` on the .onnx file then
        predicts from raw input exactly as this bundle does, running the network in onnxruntime."""
        from ..onnx import export
        from ..onnx.runtime import BUNDLE_ARRAYS_KEY, encode_arrays
        arrays: Dict[str, np.ndarray] = {}
        document = self._document(arrays)
        example = self.transform(self.as_batch(np.zeros(self.input_shape, self.input_dtype)))
        training = self.model.training
        self.model.eval()
        try:
            proto = export(self.model, example, None, input_names=["input"], output_names=["output"],
                           opset_version=opset_version, dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        finally:
            self.model.train(training)
        for key, value in ((BUNDLE_KEY, json.dumps(document, allow_nan=False)),
                           (BUNDLE_ARRAYS_KEY, encode_arrays(arrays))):
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        write_atomic(path, lambda f: f.write(proto.SerializeToString()))

    @classmethod
    def load(cls, path: PathLike, custom: Optional[Mapping[str, type]] = None) -> "Bundle":
        """Read and validate a bundle; `custom` maps spec names to custom Module classes (see nn.spec)."""
        name = os.fspath(path)
        if name.endswith(".onnx"):
            return cls._from_onnx(name)
        with open(name, "rb") as f:
            data = f.read()
        try:
            arrays, header = read_safetensors(data, name)
        except ValueError as e:
            raise BundleError(str(e)) from None
        try:
            document = json.loads(header[BUNDLE_KEY])
        except KeyError:
            raise BundleError(f"{name}: not a chainrule bundle (a safetensors file without the "
                              f"{BUNDLE_KEY!r} metadata; chainrule.load reads plain weights)") from None
        except (ValueError, RecursionError) as e:
            raise BundleError(f"{name}: the bundle description is not valid JSON ({e})") from None
        try:
            return cls._from_document(document, arrays, custom)
        except (BundleError, SpecError) as e:
            raise BundleError(f"{name}: {e}") from None

    @classmethod
    def _from_onnx(cls, name: str) -> "Bundle":
        """A bundle whose network runs in onnxruntime; its description comes from the file's metadata
        (as written by `export_onnx`), or, for any other .onnx file, from its input: raw = model input."""
        from ..onnx.runtime import BUNDLE_ARRAYS_KEY, OnnxModule, decode_arrays
        try:
            module = OnnxModule(name)
        except ImportError:
            raise
        except Exception as e:  # onnxruntime's own errors for unreadable files
            raise BundleError(f"{name}: cannot load the ONNX model ({type(e).__name__}: {e})") from None
        meta = module.metadata
        if BUNDLE_KEY not in meta:
            shape = module.predictor.input_shapes[0][1:]
            if len(module.predictor.input_names) != 1 or any(d is None for d in shape):
                raise BundleError(f"{name}: an ONNX model without chainrule metadata needs one input with fixed "
                                  f"sizes after the batch dimension, got {module.predictor.input_shapes}")
            return cls(module, shape, input_dtype=str(module.predictor.input_dtypes[0]))
        try:
            document = json.loads(meta[BUNDLE_KEY])
            arrays = decode_arrays(meta.get(BUNDLE_ARRAYS_KEY, "{}"))
            return cls._from_document(document, arrays, None, model=module)
        except (ValueError, RecursionError, BundleError, SpecError) as e:
            raise BundleError(f"{name}: invalid chainrule metadata in the ONNX file ({e})") from None

    @classmethod
    def _from_document(cls, doc: Any, arrays: Dict[str, np.ndarray], custom: Optional[Mapping[str, type]],
                       model: Optional[Module] = None) -> "Bundle":
        if not isinstance(doc, dict) or doc.get("format_version") != FORMAT_VERSION:
            version = doc.get("format_version") if isinstance(doc, dict) else None
            raise BundleError(f"unsupported bundle format version {version!r} (this chainrule reads {FORMAT_VERSION})")
        fields = {"input_shape": list, "preprocess": list, "class_names": (list, type(None)),
                  "input_dtype": str, "image_mode": (str, type(None)), "output": str,
                  "feature_names": (list, type(None)), "target": (str, type(None)), "metadata": dict}
        for key, kind in fields.items():
            if not isinstance(doc.get(key), kind):
                raise BundleError(f"the field {key!r} is missing or of the wrong type: {doc.get(key)!r:.80}")
        for key in ("class_names", "feature_names"):
            if doc[key] is not None and not all(isinstance(c, str) for c in doc[key]):
                raise BundleError(f"{key} must be strings")
        if model is None:
            model = from_spec(doc.get("spec"), custom).eval()
            weights = {k[len("model."):]: v for k, v in arrays.items() if k.startswith("model.")}
            _load_weights(model, weights)
        steps = [_decode_step(entry, i, arrays) for i, entry in enumerate(doc["preprocess"])]
        return cls(model, doc["input_shape"], preprocess=steps, class_names=doc["class_names"],
                   input_dtype=doc["input_dtype"], image_mode=doc["image_mode"], output=doc["output"],
                   feature_names=doc["feature_names"], target=doc["target"], metadata=doc["metadata"])


def _shape(shape: Any) -> Tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    if not isinstance(shape, (list, tuple)) or not shape or not all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) and 0 < s <= 1 << 20 for s in shape):
        raise BundleError(f"input_shape must be the shape of one sample (positive ints), got {shape!r}")
    return tuple(int(s) for s in shape)


def _load_weights(model: Module, weights: Dict[str, np.ndarray]) -> None:
    """The saved weights into the rebuilt model: same names, shapes, and one floating dtype."""
    floats = {str(v.dtype) for v in weights.values() if v.dtype.kind == "f"}
    if len(floats) > 1:
        raise BundleError(f"the weights mix floating dtypes {sorted(floats)}")
    if floats:
        model.to(np.dtype(floats.pop()))
    own = model.state_dict()
    for key, value in weights.items():
        if key in own and own[key].dtype.kind != value.dtype.kind:
            raise BundleError(f"weight {key} is {value.dtype}, the model's is {own[key].dtype}")
    try:
        model.load_state_dict(weights)
    except RuntimeError as e:
        raise BundleError(f"the weights do not match the architecture: {e}") from None


def save_bundle(model: Module, path: PathLike, input_shape: Sequence[int], **options: Any) -> Bundle:
    """Bundle `model` with the options of `Bundle` (preprocess, class_names, ...) and write it to `path`."""
    bundle = Bundle(model, input_shape, **options)
    bundle.save(path)
    return bundle


def load_bundle(path: PathLike, custom: Optional[Mapping[str, type]] = None) -> Bundle:
    """Read a bundle written by `save_bundle`, refusing invalid or hostile files with a BundleError."""
    return Bundle.load(path, custom)


__all__ = ["Bundle", "BundleError", "InputError", "load_bundle", "save_bundle"]
