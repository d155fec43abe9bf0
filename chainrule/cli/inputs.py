"""Reading data files for the commands: raw samples for `predict` (images, CSV rows, .npy arrays)
and labelled data for `evaluate` (an MNIST folder, a folder of class folders, a CSV file, an .npz file),
each shaped and checked against what the bundle's model takes."""
from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np

from ..data.datasets import MNIST
from ..data.images import IMG_EXTENSIONS, find_classes
from ..data.table import Table
from ..data.tabular import read_csv
from ..io.bundle import Bundle, InputError


def read_inputs(bundle: Bundle, path: str) -> List[Tuple[str, np.ndarray]]:
    """(name, batch) for one input file: an image, the rows of a CSV file or a .npy array."""
    suffix = Path(path).suffix.lower()
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file")
    if suffix in IMG_EXTENSIONS:
        return [(path, bundle.as_batch(bundle.read_image(path)))]
    if suffix == ".npy":
        batch = bundle.as_batch(np.load(path, allow_pickle=False))
    elif suffix == ".csv":
        batch = bundle.as_batch(_features(bundle, read_csv(path), path))
    else:
        raise InputError(f"{path}: unsupported input; expected an image ({', '.join(IMG_EXTENSIONS)}), "
                         f"a .csv file (one sample per row) or a .npy array")
    return [(path if len(batch) == 1 else f"{path}[{i}]", sample[None]) for i, sample in enumerate(batch)]


def _features(bundle: Bundle, table: Table, path: str) -> np.ndarray:
    """The feature columns of a CSV table: the bundle's feature names if it has them, else every column
    but the target; a file without a header row is read again with header=False."""
    names = bundle.feature_names
    if names is None or not all(n in table for n in names):
        if all(_is_number(c) for c in table.columns):
            table = read_csv(path, header=False)
        if names is not None and len(table.columns) != len(names):
            raise InputError(f"{path}: expected the columns {', '.join(names)} (in a header row, or "
                             f"{len(names)} unnamed columns), got {', '.join(table.columns)}")
        names = [c for c in table.columns if c != bundle.target]
    try:
        return table[names].to_numpy(np.float64)
    except TypeError as e:
        raise InputError(f"{path}: {e}") from None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_labelled(bundle: Bundle, path: str, split: str = "test", target: Optional[str] = None,
                  limit: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Samples (N, *input_shape) and targets (class indices, or values for regression) from `path`."""
    p = Path(path)
    if p.is_dir():
        if any("idx3-ubyte" in f.name for folder in (p, p / "MNIST" / "raw") if folder.is_dir()
               for f in folder.iterdir()):
            data = MNIST(p, train=split == "train")
            x, y = data._images, data._labels
        else:
            x, y = _image_folder(bundle, p, limit)
    elif p.suffix.lower() == ".npz":
        with np.load(p, allow_pickle=False) as f:
            if not {"x", "y"} <= set(f.files):
                raise InputError(f"{path}: an .npz file for evaluate holds arrays 'x' (samples) and 'y' "
                                 f"(targets); found {f.files}")
            x, y = f["x"], f["y"]
    elif p.suffix.lower() == ".csv":
        x, y = _labelled_csv(bundle, read_csv(p), path, target or bundle.target)
    else:
        raise InputError(f"{path}: expected an MNIST folder (IDX files), a folder of class folders, "
                         f"a .csv or an .npz file")
    if len(x) != len(y):
        raise InputError(f"{path}: {len(x)} samples but {len(y)} targets")
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return bundle.as_batch(x) if len(x) else x, np.asarray(y)


def _image_folder(bundle: Bundle, root: Path, limit: Optional[int]) -> Tuple[np.ndarray, np.ndarray]:
    """Images under root/<class name>/, the class names being the bundle's."""
    classes, _ = find_classes(root)
    index = _class_index(bundle, classes, str(root))
    files = [(f, index[c]) for c in classes for f in sorted((root / c).rglob("*"))
             if f.suffix.lower() in IMG_EXTENSIONS]
    files = files[:limit] if limit is not None else files
    if not files:
        raise InputError(f"{root}: no images ({', '.join(IMG_EXTENSIONS)}) in its class folders")
    return np.stack([bundle.read_image(f) for f, _ in files]), np.array([k for _, k in files], np.int64)


def _class_index(bundle: Bundle, labels: List[str], where: str) -> dict:
    if bundle.class_names is None:
        raise InputError(f"{where}: class labels given, but the model is a regression model")
    unknown = sorted(set(labels) - set(bundle.class_names))
    if unknown:
        raise InputError(f"{where}: labels {unknown[:10]} are not among the model's classes {bundle.class_names}")
    return {name: i for i, name in enumerate(bundle.class_names)}


def _labelled_csv(bundle: Bundle, table: Table, path: str, target: Optional[str]) -> Tuple[np.ndarray, np.ndarray]:
    if target is None or target not in table:
        raise InputError(f"{path}: name the target column with --target (the columns are {table.columns})")
    column = table[target]
    features = bundle.feature_names or [c for c in table.columns if c != target]
    x = _features(bundle, table[features], path)
    if bundle.class_names is None:
        return x, column.astype(np.float64)
    labels = [str(v) for v in column.tolist()]
    index = _class_index(bundle, sorted(set(labels)), path)
    return x, np.array([index[v] for v in labels], np.int64)
