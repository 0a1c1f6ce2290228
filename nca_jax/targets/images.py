"""Image files as float arrays: the one place that decodes a user's picture.

:func:`read_rgba` reads any file imageio reads (PNG, JPEG, GIF, BMP, TIFF, WebP; the first
frame of an animation) and returns straight-alpha RGBA in [0, 1]: grey becomes RGB,
integer pixels are scaled by their type's maximum, float pixels are clipped, a missing
alpha channel is opaque. Growing-NCA targets premultiply it; texture targets composite it
over white.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from runio.errors import ConfigError

SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp")


def to_rgba(image: np.ndarray, field: str = "target") -> np.ndarray:
    """An image array ``(H, W)`` or ``(H, W, 1|2|3|4)``, integer, float or bool, as float32
    straight-alpha RGBA ``(H, W, 4)`` in [0, 1]."""
    img = np.asarray(image)
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3 or img.shape[-1] not in (1, 2, 3, 4) or min(img.shape[:2]) < 1:
        raise ConfigError(field, f"not a 2-D grey/RGB/RGBA image (array of shape {img.shape})")
    if img.dtype == bool:
        img = img.astype(np.float32)
    elif np.issubdtype(img.dtype, np.integer):
        img = img.astype(np.float32) / np.iinfo(img.dtype).max
    elif np.issubdtype(img.dtype, np.floating):
        img = np.clip(np.nan_to_num(img.astype(np.float32)), 0.0, 1.0)
    else:
        raise ConfigError(field, f"unsupported pixel type {img.dtype}")
    c = img.shape[-1]
    rgb = np.repeat(img[..., :1], 3, -1) if c in (1, 2) else img[..., :3]
    alpha = img[..., -1:] if c in (2, 4) else np.ones(img.shape[:2] + (1,), np.float32)
    return np.concatenate([rgb, alpha], -1).astype(np.float32)


def read_rgba(path: str | Path, field: str = "target") -> np.ndarray:
    """Straight-alpha RGBA ``(H, W, 4)`` float32 in [0, 1] of an image file."""
    import imageio.v3 as iio

    path = Path(path)
    if not path.is_file():
        raise ConfigError(field, f"no image file {str(path)!r}")
    try:
        img = np.asarray(iio.imread(path))
    except Exception as e:  # imageio raises many types for a non-image
        raise ConfigError(field, f"cannot read an image from {str(path)!r} "
                                 f"({type(e).__name__})") from None
    if img.ndim == 4:  # animated / multi-page: first frame
        img = img[0]
    return to_rgba(img, field)


def looks_like_path(spec: str) -> bool:
    """An image suffix, a folder separator, or an existing file."""
    return Path(spec).suffix.lower() in SUFFIXES or "/" in spec or Path(spec).is_file()
