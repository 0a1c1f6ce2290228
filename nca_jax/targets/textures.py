"""Target textures without downloads: ``grayscott:<preset>`` or an image file.

``load_texture(spec, size)`` returns an ``(H, W, 3)`` float32 RGB array in [0, 1]:

* ``grayscott:spots`` (``stripes``, ``maze``, …; see :data:`nca_jax.targets.grayscott.PRESETS`) is
  simulated at the grid size, so it tiles seamlessly;
* ``paving`` is the photograph-like texture the package ships (:mod:`nca_jax.targets.paving`);
* any other spec is an image path read with imageio. Grey images become RGB; an alpha
  channel is composited over white. The largest centred crop with the grid's aspect ratio
  is taken and resized (Lanczos) to the grid. An image smaller than the grid is refused
  rather than upscaled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from nca_jax.targets import grayscott, images, paving
from runio.errors import ConfigError

GRAYSCOTT_PREFIX = "grayscott:"
SHIPPED = {"paving": paving.PATH}  # images in the package data, by name


def _shape(size: int | tuple[int, int], field: str) -> tuple[int, int]:
    shape = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    if len(shape) != 2 or any(int(s) < 1 for s in shape):
        raise ConfigError(field, f"texture size must be a positive int or (height, width), "
                                 f"got {size!r}")
    return int(shape[0]), int(shape[1])


def over_white(rgba: np.ndarray) -> np.ndarray:
    """Straight-alpha RGBA ``(H, W, 4)`` composited over white: RGB ``(H, W, 3)``."""
    return rgba[..., :3] * rgba[..., 3:] + (1.0 - rgba[..., 3:])


def crop_resize(image: np.ndarray, shape: tuple[int, int], field: str = "target") -> np.ndarray:
    """Largest centred crop of ``image`` (H, W, 3) with ``shape``'s aspect, resized to it."""
    h, w = image.shape[:2]
    th, tw = shape
    if h < th or w < tw:
        raise ConfigError(field, f"image of {h}x{w} pixels is smaller than the {th}x{tw} grid")
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


def _unknown(path: Path, field: str) -> ConfigError:
    return ConfigError(field, f"{str(path)!r} is neither an image file, {GRAYSCOTT_PREFIX}<preset> "
                              f"(presets: {', '.join(sorted(grayscott.PRESETS))}) nor a shipped "
                              f"texture ({', '.join(SHIPPED)})")


def load_image(path: str | Path, size: int | tuple[int, int], field: str = "target") -> np.ndarray:
    """Image file → ``(H, W, 3)`` float32 RGB in [0, 1] at ``size``."""
    path = Path(path)
    if not path.is_file():
        raise _unknown(path, field)
    rgb = over_white(images.read_rgba(path, field)).astype(np.float32)
    return crop_resize(rgb, _shape(size, field), field)


def check_texture(spec: str, field: str = "target") -> None:
    """Refuse, without simulating or reading anything, a spec :func:`load_texture` would:
    an empty one, an unknown Gray–Scott preset, a file that does not exist."""
    spec = str(spec).strip()
    if not spec:
        raise ConfigError(field, "is empty; give grayscott:<preset> or an image path")
    if spec.startswith(GRAYSCOTT_PREFIX):
        try:
            grayscott.preset(spec[len(GRAYSCOTT_PREFIX):])
        except ConfigError as e:
            raise ConfigError(field, e.message) from None
    elif not Path(SHIPPED.get(spec, spec)).is_file():
        raise _unknown(Path(spec), field)


def load_texture(spec: str, size: int | tuple[int, int], seed: int = 0,
                 field: str = "target") -> np.ndarray:
    """Target texture ``(H, W, 3)`` float32 RGB in [0, 1] for ``spec`` at grid ``size``.

    ``spec`` is ``grayscott:<preset>`` (``seed`` picks the initial perturbation), a shipped
    texture's name (:data:`SHIPPED`) or a path to an image file. Raises :class:`ConfigError` (on ``field``) for an unknown preset, a
    missing, unreadable or non-image file, or an image smaller than the grid.
    """
    shape = _shape(size, field)
    check_texture(spec, field)  # the spec's own errors, on ``field``
    spec = str(spec).strip()
    if spec.startswith(GRAYSCOTT_PREFIX):
        return grayscott.texture(spec[len(GRAYSCOTT_PREFIX) :], shape, seed)
    return load_image(SHIPPED.get(spec, spec), shape, field)
