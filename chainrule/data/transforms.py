"""Image transforms on NumPy arrays and tensors (torchvision's names and conventions).

An image is a NumPy array (H, W) or (H, W, C) as loaded, or, after
`ToTensor`, a chainrule tensor (..., C, H, W): the spatial transforms accept
either and keep the layout. Random transforms draw from the `generator`
given, else from the DataLoader worker's own stream, else from chainrule's
default generator (`chainrule.manual_seed`), so augmentation is reproducible.
"""
from __future__ import annotations

import numbers
from typing import Any, Callable, Optional, Sequence, Tuple, Union

import numpy as np

from ..dtypes import get_default_dtype
from ..ops.random import Generator
from ..tensor import Tensor
from ..utils.data.worker import random_source

Image = Union[np.ndarray, Tensor]


def _unwrap(img: Image) -> Tuple[np.ndarray, int]:
    """The array and the axis of its height (the width axis follows)."""
    if isinstance(img, Tensor):
        a = img._data
        if a.ndim < 2:
            raise ValueError(f"expected an image tensor (..., H, W), got shape {a.shape}")
        return a, a.ndim - 2
    a = np.asarray(img)
    if a.ndim not in (2, 3):
        raise ValueError(f"expected an image array (H, W) or (H, W, C), got shape {a.shape}")
    return a, 0


def _wrap(result: np.ndarray, like: Image) -> Image:
    return Tensor._make(result) if isinstance(like, Tensor) else result


def _pair(size: Union[int, Sequence[int]], name: str) -> Tuple[int, int]:
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    if len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) != 2:
        raise ValueError(f"{name} should be an int or a sequence of one or two ints, got {size!r}")
    return int(size[0]), int(size[1])


def _sides(padding: Any) -> Tuple[int, int, int, int]:
    """(left, top, right, bottom) from an int, (left/right, top/bottom) or four values."""
    p = [padding] if isinstance(padding, numbers.Integral) else [int(v) for v in padding]
    if len(p) == 1:
        return p[0], p[0], p[0], p[0]
    if len(p) == 2:
        return p[0], p[1], p[0], p[1]
    if len(p) == 4:
        return p[0], p[1], p[2], p[3]
    raise ValueError(f"padding should be an int or a sequence of 2 or 4 ints, got {padding!r}")


class Compose:
    """Apply transforms one after another."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return "Compose(\n" + "".join(f"    {t!r}\n" for t in self.transforms) + ")"


class ToTensor:
    """(H, W[, C]) array -> (C, H, W) tensor; uint8 values 0..255 become float32 in [0, 1],
    other dtypes keep their values and dtype (as torchvision)."""

    def __call__(self, img: Any) -> Tensor:
        if hasattr(img, "getbands"):  # a Pillow image
            img = np.asarray(img)
        a = np.asarray(img)
        if a.ndim == 2:
            a = a[:, :, None]
        if a.ndim != 3:
            raise ValueError(f"ToTensor expects an image of shape (H, W) or (H, W, C), got {a.shape}")
        chw = np.ascontiguousarray(a.transpose(2, 0, 1))
        if a.dtype == np.uint8:
            chw = chw.astype(get_default_dtype())
            chw /= 255
        return Tensor._make(chw)

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """Per channel: (x - mean[c]) / std[c], on a float tensor (..., C, H, W)."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        self.mean = [float(m) for m in np.atleast_1d(mean)]
        self.std = [float(s) for s in np.atleast_1d(std)]
        if len(self.mean) != len(self.std):
            raise ValueError(f"Normalize: mean has {len(self.mean)} values and std {len(self.std)}")
        if any(s == 0 for s in self.std):
            raise ValueError(f"std evaluated to zero, leading to division by zero (std={self.std})")
        self.inplace = inplace

    def __call__(self, tensor: Tensor) -> Tensor:
        if not isinstance(tensor, Tensor):
            raise TypeError(f"Normalize expects a tensor (..., C, H, W), got {type(tensor).__name__}: "
                            f"apply ToTensor first")
        a = tensor._data
        if a.dtype.kind != "f":
            raise TypeError(f"Input tensor should be a float tensor. Got {a.dtype} (use ToTensor first)")
        if a.ndim < 3:
            raise ValueError(f"Normalize expects a (..., C, H, W) image, got shape {a.shape}")
        channels = a.shape[-3]
        if len(self.mean) not in (1, channels):
            raise ValueError(f"Normalize has {len(self.mean)} means and stds for an image of {channels} "
                             f"channels (shape {a.shape})")
        mean = np.asarray(self.mean, a.dtype)[:, None, None]
        std = np.asarray(self.std, a.dtype)[:, None, None]
        if not self.inplace:
            return (tensor - Tensor._make(mean)) / Tensor._make(std)  # recorded when the input needs a gradient
        a -= mean
        a /= std
        tensor._bump()
        return tensor

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class RandomCrop:
    """A random (h, w) window of the image, after optional padding of its borders.

    `padding`: int (all sides), (left/right, top/bottom) or (left, top, right, bottom);
    `padding_mode`: "constant" (with `fill`), "edge", "reflect" or "symmetric".
    """

    def __init__(self, size: Union[int, Sequence[int]], padding: Any = None, pad_if_needed: bool = False,
                 fill: float = 0, padding_mode: str = "constant", generator: Optional[Generator] = None) -> None:
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(f"padding_mode should be constant, edge, reflect or symmetric, got {padding_mode!r}")
        self.size = _pair(size, "size")
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode
        self.generator = generator

    def _pad(self, a: np.ndarray, h_axis: int, left: int, top: int, right: int, bottom: int) -> np.ndarray:
        widths = [(0, 0)] * a.ndim
        widths[h_axis], widths[h_axis + 1] = (top, bottom), (left, right)
        if self.padding_mode != "constant":
            return np.pad(a, widths, mode=self.padding_mode)
        shape = [n + before + after for n, (before, after) in zip(a.shape, widths)]
        out = np.full(shape, self.fill, dtype=a.dtype)  # faster than np.pad for small images
        out[tuple(slice(before, before + n) for n, (before, _) in zip(a.shape, widths))] = a
        return out

    def __call__(self, img: Image) -> Image:
        a, h_axis = _unwrap(img)
        if self.padding is not None:
            a = self._pad(a, h_axis, *_sides(self.padding))
        th, tw = self.size
        h, w = a.shape[h_axis], a.shape[h_axis + 1]
        if self.pad_if_needed and (h < th or w < tw):
            a = self._pad(a, h_axis, max(tw - w, 0), max(th - h, 0), max(tw - w, 0), max(th - h, 0))
            h, w = a.shape[h_axis], a.shape[h_axis + 1]
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        rng = random_source(self.generator)
        i = int(rng.integers(0, h - th + 1))
        j = int(rng.integers(0, w - tw + 1))
        index = [slice(None)] * a.ndim
        index[h_axis], index[h_axis + 1] = slice(i, i + th), slice(j, j + tw)
        return _wrap(np.ascontiguousarray(a[tuple(index)]), img)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror the image left-right with probability p."""

    def __init__(self, p: float = 0.5, generator: Optional[Generator] = None) -> None:
        self.p = p
        self.generator = generator

    def __call__(self, img: Image) -> Image:
        a, h_axis = _unwrap(img)
        if random_source(self.generator).random() >= self.p:
            return img
        return _wrap(np.ascontiguousarray(np.flip(a, axis=h_axis + 1)), img)

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


__all__ = ["Compose", "Normalize", "RandomCrop", "RandomHorizontalFlip", "ToTensor"]
