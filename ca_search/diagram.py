"""Space-time diagrams: time runs down, live cells (1) are black, with axes and a title."""

from __future__ import annotations

import os
import textwrap

import numpy as np
from matplotlib.figure import Figure


def spacetime_image(history: np.ndarray, scale: int = 2) -> np.ndarray:
    """``(T + 1, N)`` 0/1 history -> ``(scale (T + 1), scale N)`` uint8 greyscale image."""
    img = np.where(np.asarray(history) > 0, 0, 255).astype(np.uint8)
    return np.kron(img, np.ones((scale, scale), np.uint8))


def spacetime_figure(history: np.ndarray, title: str = "") -> Figure:
    """A labelled figure of a ``(T + 1, N)`` history: cell on x, time step on y (down)."""
    hist = np.asarray(history)
    steps, cells = hist.shape[0] - 1, hist.shape[1]
    width = float(np.clip(cells / 45, 4.0, 14.0))
    height = float(np.clip(width * (steps + 1) / cells, 3.0, 16.0)) + 0.8
    fig = Figure(figsize=(width, height), dpi=100)
    ax = fig.subplots()
    ax.imshow(spacetime_image(hist, 1), cmap="gray", vmin=0, vmax=255, aspect="auto",
              interpolation="nearest", extent=(-0.5, cells - 0.5, steps + 0.5, -0.5))
    ax.set_xlabel("cell")
    ax.set_ylabel("time step")
    if title:
        # wrapped to the figure's width (a rule's hex alone is 32 characters)
        ax.set_title(textwrap.fill(title, max(20, int(width * 8))), fontsize=10)
    fig.tight_layout()
    return fig


def save_spacetime(path: str | os.PathLike, history: np.ndarray, title: str = "") -> None:
    """Write a labelled space-time diagram PNG."""
    spacetime_figure(history, title).savefig(path)
