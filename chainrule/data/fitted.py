"""What scalers, imputers and encoders share: learned state, fitted on training data only,
kept as plain arrays and numbers, saved and loaded without pickle.

`state_dict()` holds the constructor's settings and what `fit` learned;
`save(path)` writes it to one `.npz` file (arrays as arrays, the rest as
JSON text) through a temporary file renamed into place, and
`Class.load(path)` rebuilds the fitted object, so deployment applies exactly
the transformation learned in training.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, Tuple, Union

import numpy as np

from ..tensor import Tensor

_META = "__meta__"


class NotFittedError(ValueError, AttributeError):
    """A transformation used before `fit` (the same exception classes as scikit-learn's)."""


class Fitted:
    """Base class: subclasses list their settings in `_params` and learned attributes in `_learned`."""

    _params: Tuple[str, ...] = ()
    _learned: Tuple[str, ...] = ()

    def _check_fitted(self, method: str) -> None:
        if getattr(self, self._learned[0], None) is None:
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet: call 'fit' with the "
                                 f"training data before '{method}'.")

    def fit_transform(self, X: Any, y: Any = None) -> Any:
        """`fit(X)` then `transform(X)`: for the training data only."""
        return self.fit(X).transform(X)

    def state_dict(self) -> Dict[str, Any]:
        """Settings and learned values (arrays, numbers, strings, lists): everything `load_state_dict` needs."""
        self._check_fitted("state_dict")
        return {name: getattr(self, name) for name in self._params + self._learned}

    def load_state_dict(self, state: Dict[str, Any]) -> "Fitted":
        """Restore a state made by `state_dict` (of the same class)."""
        expected = set(self._params + self._learned)
        missing, unexpected = expected - set(state), set(state) - expected
        if missing or unexpected:
            raise KeyError(f"Error(s) in loading state_dict for {type(self).__name__}: missing keys "
                           f"{sorted(missing)}, unexpected keys {sorted(unexpected)}")
        for name in self._params + self._learned:
            value = state[name]
            if isinstance(value, Tensor):
                value = value._data
            setattr(self, name, np.array(value) if isinstance(value, np.ndarray) else value)
        self._validate_state()
        return self

    def _validate_state(self) -> None:
        """Subclasses check that loaded values fit together (e.g. one value per feature)."""

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Write the fitted state to `path` (.npz); the file appears only once complete."""
        arrays, rest = {}, {}
        for name, value in self.state_dict().items():
            if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
                arrays[name] = value
            else:
                rest[name] = _plain(value)
        meta = json.dumps({"class": type(self).__name__, "values": rest})
        path = Path(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays, **{_META: np.array(meta)})
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise

    @classmethod
    def load(cls, path: Union[str, "os.PathLike[str]"]) -> "Fitted":
        """A fitted instance from a file written by `save` (never unpickles anything)."""
        with np.load(path, allow_pickle=False) as f:
            if _META not in f.files:
                raise ValueError(f"{path}: not a file written by {cls.__name__}.save")
            meta = json.loads(str(f[_META]))
            state = {name: f[name] for name in f.files if name != _META}
        if meta["class"] != cls.__name__:
            raise ValueError(f"{path} holds a {meta['class']}, not a {cls.__name__}")
        state.update(meta["values"])
        return cls().load_state_dict(state)

    def __repr__(self) -> str:
        args = ", ".join(f"{p}={getattr(self, p)!r}" for p in self._params)
        return f"{type(self).__name__}({args})"


def _plain(value: Any) -> Any:
    """A JSON-ready copy: tuples and arrays as lists, NumPy scalars as Python numbers."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()] if value.dtype == object else value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


__all__ = ["Fitted", "NotFittedError"]
