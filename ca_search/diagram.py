"""Space-time diagrams as PNG: time runs down, live cells (1) are black."""

from __future__ import annotations

import os

import imageio.v3 as iio
import numpy as np


def spacetime_image(history: np.ndarray, scale: int = 2) -> np.ndarray:
    """``(T + 1, N)`` 0/1 history -> ``(scale (T + 1), scale N)`` uint8 greyscale image."""
    img = np.where(np.asarray(history) > 0, 0, 255).astype(np.uint8)
    return np.kron(img, np.ones((scale, scale), np.uint8))


def save_spacetime(path: str | os.PathLike, history: np.ndarray, scale: int = 2) -> None:
    """Write a space-time diagram PNG."""
    iio.imwrite(path, spacetime_image(history, scale))
