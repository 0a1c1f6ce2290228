"""Fixed depthwise perception filters for neural cellular automata.

A filter bank is a tuple of 3×3 kernel names. :func:`perceive` applies every kernel to
every channel as a cross-correlation (like ``tf.nn.depthwise_conv2d``):

    out[y, x] = sum_{i, j in {-1, 0, 1}} K[i + 1, j + 1] * state[y + i, x + j]

with rows indexing y (down) and columns indexing x (right). Output channels are ordered
filter-major: ``[K0 on channels 0..C-1, K1 on channels 0..C-1, ...]``. Borders are zero
padded, or wrapped around (``padding="circular"``, for textures).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from runio.errors import ConfigError

_SOBEL_X = np.outer([1.0, 2.0, 1.0], [-1.0, 0.0, 1.0]) / 8.0

KERNELS: dict[str, np.ndarray] = {
    "identity": np.array([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]),
    "sobel_x": _SOBEL_X,
    "sobel_y": _SOBEL_X.T.copy(),
    "laplacian": np.array([[1.0, 2.0, 1.0], [2.0, -12.0, 2.0], [1.0, 2.0, 1.0]]) / 16.0,
    "laplacian_4": np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]),
    "average": np.full((3, 3), 1.0 / 9.0),
}

DEFAULT_FILTERS = ("identity", "sobel_x", "sobel_y")
PADDINGS = ("zero", "circular")


def check_filters(filters: tuple[str, ...]) -> None:
    unknown = [f for f in filters if f not in KERNELS]
    if unknown or not filters:
        raise ConfigError("filters", f"unknown perception filter(s) {unknown}; "
                                     f"allowed: {sorted(KERNELS)}")


def pad(x: jnp.ndarray, padding: str, value: float = 0.0) -> jnp.ndarray:
    """Pad the two spatial axes (-3, -2) of ``(..., H, W, C)`` by one cell."""
    widths = [(0, 0)] * (x.ndim - 3) + [(1, 1), (1, 1), (0, 0)]
    if padding == "circular":
        return jnp.pad(x, widths, mode="wrap")
    if padding == "zero":
        return jnp.pad(x, widths, constant_values=value)
    raise ConfigError("padding", f"must be one of {PADDINGS}, got {padding!r}")


def _shift(xp: jnp.ndarray, i: int, j: int, h: int, w: int) -> jnp.ndarray:
    """state[y + i, x + j] for all (y, x), from the 1-padded array ``xp``."""
    return xp[..., 1 + i : 1 + i + h, 1 + j : 1 + j + w, :]


def apply_kernel(xp: jnp.ndarray, kernel: np.ndarray, h: int, w: int) -> jnp.ndarray:
    """Cross-correlate every channel of padded ``xp`` with one 3×3 kernel (shifted adds)."""
    out = None
    for i in (-1, 0, 1):
        for j in (-1, 0, 1):
            k = float(kernel[i + 1, j + 1])
            if k == 0.0:
                continue
            term = _shift(xp, i, j, h, w)
            term = term if k == 1.0 else k * term
            out = term if out is None else out + term
    return out if out is not None else jnp.zeros(xp.shape[:-3] + (h, w, xp.shape[-1]), xp.dtype)


def perceive(
    x: jnp.ndarray, filters: tuple[str, ...] = DEFAULT_FILTERS, padding: str = "zero"
) -> jnp.ndarray:
    """``(..., H, W, C)`` → ``(..., H, W, len(filters) * C)``, filter-major channel order."""
    h, w = x.shape[-3], x.shape[-2]
    xp = pad(x, padding)
    outs = [x if f == "identity" else apply_kernel(xp, KERNELS[f], h, w) for f in filters]
    return jnp.concatenate(outs, axis=-1)


def max_pool3(x: jnp.ndarray, padding: str = "zero") -> jnp.ndarray:
    """3×3 max over the neighbourhood of each cell of ``(..., H, W)`` (borders: -inf / wrap)."""
    h, w = x.shape[-2], x.shape[-1]
    xp = pad(x[..., None], padding, value=-jnp.inf)[..., 0]
    out = x
    for i in (-1, 0, 1):
        for j in (-1, 0, 1):
            if i or j:
                out = jnp.maximum(out, xp[..., 1 + i : 1 + i + h, 1 + j : 1 + j + w])
    return out
