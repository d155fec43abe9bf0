"""`chainrule train`: a training config (a built-in example or a JSON file) to a model bundle.

A config is a JSON object:

    {"data": {"kind": "mnist", "root": "data/mnist", "limit": 12000, "test_limit": 2000},
     "model": <an architecture spec, chainrule.nn.spec>,
     "optimizer": {"type": "Adam", "lr": 0.001},
     "epochs": 3, "batch_size": 64, "val_fraction": 0.1, "seed": 0}

Data kinds: "mnist" / "fashion-mnist" (IDX files in `root`, fetched first with `"download": true`;
`limit` / `test_limit` take the first images), "csv" (`path`, `target` column, `task`
"classification" or "regression", `test_fraction`), "blobs" (synthetic Gaussian clusters:
`samples`, `features`, `classes`).
The preprocessing is fitted on the training part only (pixel mean and std for images, a
StandardScaler for features) and goes into the bundle with the class names and test metrics.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Optional, Tuple

import numpy as np

from .. import optim
from ..data import LabelEncoder, StandardScaler, train_test_split
from ..data.datasets import MNIST, FashionMNIST
from ..data.tabular import read_csv
from ..data.transforms import Normalize, ToTensor
from ..io.bundle import Bundle
from ..nn.modules.loss import CrossEntropyLoss, MSELoss
from ..nn.spec import from_spec
from ..train import accuracy, fit
from ..utils.data import DataLoader, TensorDataset
from .evaluation import metrics

KEYS = {"description", "data", "model", "optimizer", "epochs", "batch_size", "val_fraction", "seed"}
OPTIMIZERS = {name: getattr(optim, name) for name in optim.__all__ if name not in ("Optimizer", "lr_scheduler")}
Split = Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class ConfigError(ValueError):
    """A training config with a missing, unknown or wrong field."""


def load_config(path: str) -> Dict[str, Any]:
    """A config from a JSON file."""
    try:
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    except ValueError as e:
        raise ConfigError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: a config is a JSON object with the keys {sorted(KEYS)}")
    return config


def _field(config: Dict[str, Any], key: str, kind: type, default: Any = None) -> Any:
    value = config.get(key, default)
    if value is None or not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ConfigError(f"config field {key!r} must be a {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


def _count(config: Dict[str, Any], key: str) -> Optional[int]:
    """An optional positive int field (None: no limit)."""
    return None if config.get(key) is None else _field(config, key, int)


# -- data -------------------------------------------------------------------------------------------------

def _images(data: Dict[str, Any]) -> Tuple[Split, Dict[str, Any]]:
    cls = MNIST if data["kind"] == "mnist" else FashionMNIST
    root = _field(data, "root", str)
    download = bool(data.get("download", False))
    train, test = cls(root, train=True, download=download), cls(root, train=False, download=download)
    limit, test_limit = _count(data, "limit"), _count(data, "test_limit")
    x_train, y_train = train._images[:limit], train._labels[:limit]
    x_test, y_test = test._images[:test_limit], test._labels[:test_limit]
    pixels = x_train.astype(np.float64) / 255
    options = {"input_shape": x_train.shape[1:], "image_mode": "L", "class_names": cls.classes,
               "preprocess": [ToTensor(), Normalize([pixels.mean()], [pixels.std()])]}
    return (x_train, y_train, x_test, y_test), options


def _blobs(data: Dict[str, Any], seed: int) -> Tuple[Split, Dict[str, Any]]:
    n, features, classes = (_field(data, k, int, d) for k, d in (("samples", 600), ("features", 4), ("classes", 3)))
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 4, (classes, features))
    y = rng.integers(0, classes, n)
    x = (centers[y] + rng.normal(0, 1, (n, features))) * 10 + 50  # far from standardized, so scaling matters
    names = [f"x{j}" for j in range(features)]
    return _scaled(x, y, data, seed, {"class_names": [f"class {k}" for k in range(classes)], "feature_names": names})


def _csv(data: Dict[str, Any], seed: int) -> Tuple[Split, Dict[str, Any]]:
    path, target = _field(data, "path", str), _field(data, "target", str)
    table = read_csv(path)
    if target not in table:
        raise ConfigError(f"{path} has no target column {target!r}; the columns are {table.columns}")
    features = [c for c in table.columns if c != target]
    x = table[features].to_numpy(np.float64)
    options: Dict[str, Any] = {"feature_names": features, "target": target}
    if data.get("task", "classification") == "regression":
        return _scaled(x, table[target].astype(np.float64)[:, None], data, seed, options)
    encoder = LabelEncoder().fit([str(v) for v in table[target].tolist()])
    y = encoder.transform([str(v) for v in table[target].tolist()])
    return _scaled(x, y, data, seed, {**options, "class_names": encoder.classes_})


def _scaled(x: np.ndarray, y: np.ndarray, data: Dict[str, Any], seed: int,
            options: Dict[str, Any]) -> Tuple[Split, Dict[str, Any]]:
    """Train/test split, then a StandardScaler fitted on the training part."""
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=data.get("test_fraction", 0.25),
                                                        random_state=seed)
    options.update(input_shape=x.shape[1:], preprocess=[StandardScaler().fit(x_train)])
    return (x_train, y_train, x_test, y_test), options


def prepare(config: Dict[str, Any]) -> Tuple[Split, Dict[str, Any]]:
    """The train/test arrays (raw samples) and the bundle options (shape, preprocessing, names)."""
    data, seed = _field(config, "data", dict), _field(config, "seed", int, 0)
    kind = data.get("kind")
    if kind in ("mnist", "fashion-mnist"):
        return _images(data)
    if kind == "blobs":
        return _blobs(data, seed)
    if kind == "csv":
        return _csv(data, seed)
    raise ConfigError(f"data kind must be 'mnist', 'fashion-mnist', 'csv' or 'blobs', got {kind!r}")


# -- training ------------------------------------------------------------------------------------------------

def train(config: Dict[str, Any], out: str, progress: bool = True, name: Optional[str] = None) -> Bundle:
    """Train as `config` says, save the bundle to `out` and return it."""
    unknown = set(config) - KEYS
    if unknown:
        raise ConfigError(f"unknown config fields {sorted(unknown)}; a config has {sorted(KEYS)}")
    (x_train, y_train, x_test, y_test), options = prepare(config)
    model = from_spec(_field(config, "model", dict))
    bundle = Bundle(model, **options)  # checks that the model fits the data before training
    x, y = bundle.transform(bundle.as_batch(x_train))._data, np.asarray(y_train)
    classify = bundle.class_names is not None
    y = y.astype(np.int64) if classify else y.astype(x.dtype)
    n_val = int(len(x) * float(config.get("val_fraction", 0.1)))
    seed, batch = _field(config, "seed", int, 0), _field(config, "batch_size", int, 64)
    loaders = [DataLoader(TensorDataset(x[a:b], y[a:b]), batch_size=batch, shuffle=a == n_val)
               for a, b in ((n_val, len(x)), (0, n_val))]
    opt_config = dict(_field(config, "optimizer", dict, {"type": "Adam"}))
    kind = opt_config.pop("type", None)
    if kind not in OPTIMIZERS:
        raise ConfigError(f"optimizer type must be one of {sorted(OPTIMIZERS)}, got {kind!r}")
    try:
        optimizer = OPTIMIZERS[kind](model.parameters(), **opt_config)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"optimizer {kind}: {e}") from None
    history = fit(model, CrossEntropyLoss() if classify else MSELoss(), optimizer, loaders[0],
                  loaders[1] if n_val else None, epochs=_field(config, "epochs", int, 1), seed=seed,
                  metrics={"accuracy": accuracy} if classify else None, progress=progress)
    model.eval()
    bundle.metadata = {"metrics": {"test_" + k: v for k, v in metrics(bundle, x_test, y_test).items()},
                       "training": {"example": name, "epochs": len(history), "train_samples": len(x) - n_val,
                                    "history": list(history), "config": config}}
    bundle.save(out)
    return bundle
