"""Growing-NCA targets: an emoji (OpenMoji, rendered offline) or any image file, as an
``(H, W, 4)`` float32 array in [0, 1] with RGB premultiplied by alpha, zero-padded."""

from __future__ import annotations

import numpy as np

from nca_jax.targets import emoji, images
from runio.errors import ConfigError

MAX_SIZE = 1024  # cells per side, padding included


def load_image(path, size: int) -> np.ndarray:
    """Premultiplied RGBA ``(size, size, 4)`` of an image file (area-averaged)."""
    return emoji.resize_box(emoji.premultiply(images.read_rgba(path, "target")), size)


def load_target(spec: str, size: int, padding: int = 0) -> np.ndarray:
    """Target by emoji spec or image path, ``size``×``size`` plus ``padding`` zero cells."""
    if not 3 <= size <= MAX_SIZE:
        raise ConfigError("size", f"must be in [3, {MAX_SIZE}], got {size}")
    if not 0 <= padding <= MAX_SIZE:
        raise ConfigError("padding", f"must be in [0, {MAX_SIZE}], got {padding}")
    if size + 2 * padding > MAX_SIZE:
        raise ConfigError("padding", f"size + 2·padding = {size + 2 * padding} cells exceeds "
                                     f"{MAX_SIZE}")
    if images.looks_like_path(spec):
        img = load_image(spec, size)
    else:
        img = emoji.render(spec, size)
    img = np.clip(img, 0.0, 1.0)
    return np.pad(img, ((padding, padding), (padding, padding), (0, 0))).astype(np.float32)
