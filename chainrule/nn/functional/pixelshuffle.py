"""`pixel_shuffle` / `pixel_unshuffle`: channels traded for resolution (sub-pixel convolution), by reshaping
and permuting, so the gradient is moved back the same way."""
from __future__ import annotations

from ... import ops
from ...tensor import Tensor


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C·r², H, W) -> (*, C, H·r, W·r): each group of r² channels becomes an r×r block of pixels."""
    r = upscale_factor
    *lead, c, h, w = input.shape
    if input.ndim < 3 or c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects input of shape (*, C·{r}², H, W), got {tuple(input.shape)}")
    n = len(lead)
    x = input.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    x = ops.permute(x, tuple(range(n)) + tuple(n + i for i in (0, 3, 1, 4, 2)))
    return x.reshape(tuple(lead) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H·r, W·r) -> (*, C·r², H, W): the inverse of pixel_shuffle."""
    r = downscale_factor
    *lead, c, h, w = input.shape
    if input.ndim < 3 or h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects input of shape (*, C, H·{r}, W·{r}), got {tuple(input.shape)}")
    n = len(lead)
    x = input.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    x = ops.permute(x, tuple(range(n)) + tuple(n + i for i in (0, 2, 4, 1, 3)))
    return x.reshape(tuple(lead) + (c * r * r, h // r, w // r))
