"""Target textures without downloads: ``grayscott:<preset>`` or an image file.

``load_texture(spec, size)`` returns an ``(H, W, 3)`` float32 RGB array in [0, 1]:

* ``grayscott:spots`` (``stripes``, ``maze``, …; see :data:`nca_jax.grayscott.PRESETS`) is
  simulated at the grid size, so it tiles seamlessly;
* any other spec is an image path read with imageio. Grey images become RGB; an alpha
  channel is composited over white. The largest centred crop with the grid's aspect ratio
  is taken and resized (Lanczos) to the grid. An image smaller than the grid is refused
  rather than upscaled.
"""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import numpy as np
from PIL import Image

from nca_jax import grayscott
from runio.cli import BadInput

GRAYSCOTT_PREFIX = "grayscott:"


def _shape(size: int | tuple[int, int]) -> tuple[int, int]:
    shape = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    if len(shape) != 2 or any(int(s) < 1 for s in shape):
        raise BadInput(f"texture size must be a positive int or (height, width), got {size!r}")
    return int(shape[0]), int(shape[1])


def to_rgb01(image: np.ndarray) -> np.ndarray:
    """An image array (H, W), (H, W, 1|2|3|4), integer or float, as float32 RGB in [0, 1]."""
    img = np.asarray(image)
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3 or img.shape[-1] not in (1, 2, 3, 4):
        raise BadInput(f"not a 2-D grey/RGB/RGBA image: array of shape {img.shape}")
    if np.issubdtype(img.dtype, np.integer):
        img = img.astype(np.float32) / np.iinfo(img.dtype).max
    elif np.issubdtype(img.dtype, np.floating) or img.dtype == bool:
        img = np.clip(img.astype(np.float32), 0.0, 1.0)
    else:
        raise BadInput(f"unsupported image dtype {img.dtype}")
    if img.shape[-1] in (2, 4):  # alpha over white
        alpha = img[..., -1:]
        img = img[..., :-1] * alpha + (1.0 - alpha)
    if img.shape[-1] == 1:
        img = np.repeat(img, 3, axis=-1)
    return img


def crop_resize(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Largest centred crop of ``image`` (H, W, 3) with ``shape``'s aspect, resized to it."""
    h, w = image.shape[:2]
    th, tw = shape
    if h < th or w < tw:
        raise BadInput(f"image of {h}x{w} pixels is smaller than the {th}x{tw} grid")
    scale = min(h / th, w / tw)
    ch, cw = min(h, round(th * scale)), min(w, round(tw * scale))
    top, left = (h - ch) // 2, (w - cw) // 2
    crop = image[top : top + ch, left : left + cw]
    if (ch, cw) == (th, tw):
        return np.ascontiguousarray(crop, np.float32)
    channels = [
        np.asarray(Image.fromarray(crop[..., c]).resize((tw, th), Image.LANCZOS)) for c in range(3)
    ]
    return np.clip(np.stack(channels, axis=-1), 0.0, 1.0).astype(np.float32)


def load_image(path: str | Path, size: int | tuple[int, int]) -> np.ndarray:
    """Image file → ``(H, W, 3)`` float32 RGB in [0, 1] at ``size``; BadInput if unusable."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(
            f"texture target {str(path)!r} is neither an image file nor "
            f"{GRAYSCOTT_PREFIX}<preset> (presets: {', '.join(sorted(grayscott.PRESETS))})"
        )
    try:
        image = iio.imread(path)
    except Exception as e:  # imageio raises many types for a non-image
        raise BadInput(f"cannot read image {str(path)!r}: {type(e).__name__}: {e}") from None
    if image.ndim == 4:  # animated / multi-page: first frame
        image = image[0]
    return crop_resize(to_rgb01(image), _shape(size))


def load_texture(spec: str, size: int | tuple[int, int], seed: int = 0) -> np.ndarray:
    """Target texture ``(H, W, 3)`` float32 RGB in [0, 1] for ``spec`` at grid ``size``.

    ``spec`` is ``grayscott:<preset>`` (``seed`` picks the initial perturbation) or a path
    to an image file. Raises :class:`BadInput` for an unknown preset, a missing, unreadable
    or non-image file, or an image smaller than the grid.
    """
    shape = _shape(size)
    spec = str(spec).strip()
    if not spec:
        raise BadInput("empty texture target; give grayscott:<preset> or an image path")
    if spec.startswith(GRAYSCOTT_PREFIX):
        return grayscott.texture(spec[len(GRAYSCOTT_PREFIX) :], shape, seed)
    return load_image(spec, shape)
