"""Feature scaling with scikit-learn's classes and method names: `fit` on the training data
only, then `transform` training, validation, test and deployment data the same way.

Inputs are 2-D (one row per sample, one column per feature): NumPy arrays,
chainrule tensors (a tensor in gives a tensor out) or DataFrames. Statistics
are computed in float64; the output keeps a floating input's dtype (float32
stays float32), and integer input becomes the default float dtype.
"""
from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from ..dtypes import get_default_dtype
from ..tensor import Tensor
from .checks import as_numpy, check_finite
from .fitted import Fitted


def _features(X: Any, where: str) -> np.ndarray:
    a = as_numpy(X)
    if a.ndim != 2:
        raise ValueError(f"{where}: expected a 2D array (samples x features), got shape {a.shape}. Reshape "
                         f"your data either using array.reshape(-1, 1) if your data has a single feature or "
                         f"array.reshape(1, -1) if it contains a single sample.")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{where}: expected numeric features, got dtype {a.dtype}; encode categorical columns "
                        f"first (chainrule.data.OneHotEncoder or LabelEncoder)")
    check_finite(a, f"{where}: the input")
    return a


def _like(result: np.ndarray, X: Any) -> Any:
    return Tensor._make(result) if isinstance(X, Tensor) else result


def _out_dtype(a: np.ndarray) -> np.dtype:
    return a.dtype if a.dtype.kind == "f" else get_default_dtype()


class _Scaler(Fitted):
    """A per-feature transformation learned by `_learn` from the training data."""

    n_features_in_: int

    def fit(self, X: Any, y: Any = None) -> "_Scaler":
        """Learn the per-feature statistics of X (the training data)."""
        a = _features(X, f"{type(self).__name__}.fit")
        if len(a) == 0:
            raise ValueError(f"{type(self).__name__}.fit: found an array with 0 samples")
        self._learn(a.astype(np.float64))
        self.n_samples_seen_ = len(a)
        self.n_features_in_ = a.shape[1]
        return self

    def _input(self, X: Any, method: str) -> np.ndarray:
        self._check_fitted(method)
        a = _features(X, f"{type(self).__name__}.{method}")
        if a.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {a.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input.")
        return a

    def transform(self, X: Any) -> Any:
        """Scale X with the statistics learned by `fit`."""
        a = self._input(X, "transform")
        return _like(self._forward(a.astype(_out_dtype(a), copy=True)), X)

    def inverse_transform(self, X: Any) -> Any:
        """Undo `transform`: back to the original units."""
        a = self._input(X, "inverse_transform")
        return _like(self._backward(a.astype(_out_dtype(a), copy=True)), X)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        """Scale a fresh float array in place (in its own dtype) and return it."""
        raise NotImplementedError

    def _backward(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _validate_state(self) -> None:
        for name in self._learned:
            value = getattr(self, name)
            if name in ("n_samples_seen_", "n_features_in_"):
                continue
            if value is not None and np.shape(value) != (self.n_features_in_,):
                raise ValueError(f"{type(self).__name__} state: {name} has shape {np.shape(value)}, expected "
                                 f"({self.n_features_in_},) for n_features_in_={self.n_features_in_}")


def _nonzero(scale: np.ndarray) -> np.ndarray:
    """A constant feature is left unscaled rather than divided by zero."""
    return np.where(scale == 0, 1.0, scale)


class StandardScaler(_Scaler):
    """Standardize each feature: z = (x - mean) / std, with the population std (ddof 0) of the
    training data; a constant feature gets std 1."""

    _params = ("with_mean", "with_std")
    _learned = ("n_samples_seen_", "mean_", "var_", "scale_", "n_features_in_")

    def __init__(self, *, copy: bool = True, with_mean: bool = True, with_std: bool = True) -> None:
        self.copy = copy
        self.with_mean = with_mean
        self.with_std = with_std
        self.n_samples_seen_ = self.mean_ = self.var_ = self.scale_ = None

    def _learn(self, a: np.ndarray) -> None:
        self.mean_ = a.mean(axis=0) if self.with_mean else None
        self.var_ = a.var(axis=0) if self.with_std else None
        self.scale_ = _nonzero(np.sqrt(self.var_)) if self.with_std else None

    def _forward(self, x: np.ndarray) -> np.ndarray:
        if self.mean_ is not None:
            x -= self.mean_.astype(x.dtype)
        if self.scale_ is not None:
            x /= self.scale_.astype(x.dtype)
        return x

    def _backward(self, z: np.ndarray) -> np.ndarray:
        if self.scale_ is not None:
            z *= self.scale_.astype(z.dtype)
        if self.mean_ is not None:
            z += self.mean_.astype(z.dtype)
        return z


class MinMaxScaler(_Scaler):
    """Map each feature's training range [min, max] onto `feature_range`:
    x * scale_ + min_ with scale_ = (hi - lo) / (max - min), min_ = lo - min * scale_."""

    _params = ("feature_range", "clip")
    _learned = ("n_samples_seen_", "data_min_", "data_max_", "data_range_", "scale_", "min_", "n_features_in_")

    def __init__(self, feature_range: Tuple[float, float] = (0, 1), *, copy: bool = True, clip: bool = False) -> None:
        self.feature_range = feature_range
        self.copy = copy
        self.clip = clip
        self.n_samples_seen_ = self.data_min_ = self.data_max_ = self.data_range_ = self.scale_ = self.min_ = None
        self._check_range()

    def _check_range(self) -> None:
        lo, hi = self.feature_range
        if not lo < hi:
            raise ValueError(f"Minimum of desired feature range must be smaller than maximum. Got "
                             f"{tuple(self.feature_range)}.")

    def _learn(self, a: np.ndarray) -> None:
        lo, hi = self.feature_range
        self.data_min_ = a.min(axis=0)
        self.data_max_ = a.max(axis=0)
        self.data_range_ = self.data_max_ - self.data_min_
        self.scale_ = (hi - lo) / _nonzero(self.data_range_)
        self.min_ = lo - self.data_min_ * self.scale_

    def _forward(self, x: np.ndarray) -> np.ndarray:
        x *= self.scale_.astype(x.dtype)
        x += self.min_.astype(x.dtype)
        return np.clip(x, *self.feature_range, out=x) if self.clip else x

    def _backward(self, z: np.ndarray) -> np.ndarray:
        z -= self.min_.astype(z.dtype)
        z /= self.scale_.astype(z.dtype)
        return z

    def _validate_state(self) -> None:
        self.feature_range = tuple(self.feature_range)
        self._check_range()
        super()._validate_state()


__all__ = ["StandardScaler", "MinMaxScaler"]
