"""Figures for people: growth strips, GIFs, loss curves, images (PNG/GIF).

Figures are built as ``matplotlib.figure.Figure`` objects and saved directly, so no
backend is chosen or switched at import (notebooks keep their inline backend).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from matplotlib.figure import Figure


def to_rgb(x: np.ndarray) -> np.ndarray:
    """Premultiplied RGBA state ``(..., H, W, C>=4)`` → RGB on white, uint8."""
    x = np.clip(np.asarray(x, np.float32)[..., :4], 0.0, 1.0)
    rgb = 1.0 - x[..., 3:4] + x[..., :3]
    return to_uint8(rgb)


def to_uint8(rgb01: np.ndarray) -> np.ndarray:
    """RGB in [0, 1] → uint8."""
    return (np.clip(np.asarray(rgb01, np.float32), 0.0, 1.0) * 255 + 0.5).astype(np.uint8)


def upscale(img: np.ndarray, min_px: int) -> np.ndarray:
    """Nearest-neighbour upscaling of ``(H, W, ...)`` by the smallest integer factor that
    makes it at least ``min_px`` tall."""
    k = max(1, -(-min_px // img.shape[0]))
    return np.repeat(np.repeat(img, k, axis=0), k, axis=1)


def write_png(img: np.ndarray, path: str | Path, min_px: int = 144) -> None:
    """A uint8 image (or RGB in [0, 1]), upscaled to at least ``min_px`` pixels."""
    import imageio.v3 as iio

    img = img if img.dtype == np.uint8 else to_uint8(img)
    iio.imwrite(path, upscale(img, min_px))


def write_gif(frames: np.ndarray, path: str | Path, fps: int = 20, min_px: int = 144) -> None:
    """Animated GIF of uint8 (or [0, 1] RGB) frames ``(T, H, W, 3)``, upscaled (nearest)."""
    import imageio.v3 as iio

    frames = [upscale(f if f.dtype == np.uint8 else to_uint8(f), min_px) for f in frames]
    iio.imwrite(path, np.stack(frames), duration=1000 / fps, loop=0)


def growth_strip(states: np.ndarray, steps: Sequence[int], path: str | Path, title: str = "") -> None:
    """One tile per step: ``states[i]`` is the grid after ``steps[i]`` steps."""
    n = len(steps)
    fig = Figure(figsize=(1.3 * n, 1.7))
    axes = fig.subplots(1, n, squeeze=False)[0]
    for ax, s, x in zip(axes, steps, states):
        ax.imshow(to_rgb(x), interpolation="nearest")
        ax.set_title(f"step {s}", fontsize=8)
        ax.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def growth_gif(states: np.ndarray, path: str | Path, fps: int = 20, min_px: int = 144) -> None:
    """Animated GIF of consecutive growing-NCA states ``(T, H, W, C)``."""
    write_gif(np.stack([to_rgb(x) for x in states]), path, fps, min_px)


def loss_curve(records: list[dict], path: str | Path, target_loss: float | None = None,
               title: str = "", ylabel: str = "MSE (RGBA)") -> None:
    """Training loss (and fresh-rollout loss where present) against iteration, log scale."""
    fig = Figure(figsize=(6, 3.6))
    ax = fig.subplots()
    it = [r["iteration"] for r in records]
    ax.semilogy(it, [r["loss"] for r in records], lw=0.8, alpha=0.7, label="training loss")
    ev = [(r["iteration"], r["eval_loss"]) for r in records if "eval_loss" in r]
    if ev:
        ax.semilogy(*zip(*ev), "o-", ms=2.5, lw=1.2, label="loss on fresh rollouts")
    if target_loss:
        ax.axhline(target_loss, color="k", ls="--", lw=0.8, label=f"target {target_loss:g}")
    ax.set_xlabel("iteration")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def target_png(target: np.ndarray, path: str | Path) -> None:
    """A premultiplied RGBA target on white, upscaled."""
    write_png(to_rgb(target), path)
