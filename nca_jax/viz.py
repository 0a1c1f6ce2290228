"""Figures for people: growth strip PNG, growth GIF, loss curve PNG (matplotlib Agg)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def to_rgb(x: np.ndarray) -> np.ndarray:
    """Premultiplied RGBA state ``(..., H, W, C>=4)`` → RGB on white, uint8."""
    x = np.clip(np.asarray(x, np.float32)[..., :4], 0.0, 1.0)
    rgb = 1.0 - x[..., 3:4] + x[..., :3]
    return (np.clip(rgb, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)


def _upscale(img: np.ndarray, min_px: int) -> np.ndarray:
    k = max(1, -(-min_px // img.shape[0]))
    return np.repeat(np.repeat(img, k, axis=0), k, axis=1)


def growth_strip(states: np.ndarray, steps: Sequence[int], path: str | Path, title: str = "") -> None:
    """One tile per step: ``states[i]`` is the grid after ``steps[i]`` steps."""
    n = len(steps)
    fig, axes = plt.subplots(1, n, figsize=(1.3 * n, 1.6), squeeze=False)
    for ax, s, x in zip(axes[0], steps, states):
        ax.imshow(to_rgb(x), interpolation="nearest")
        ax.set_title(f"{s}", fontsize=9)
        ax.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def growth_gif(states: np.ndarray, path: str | Path, fps: int = 20, min_px: int = 144) -> None:
    """Animated GIF of consecutive states ``(T, H, W, C)``, upscaled (nearest)."""
    import imageio.v3 as iio

    frames = [_upscale(to_rgb(x), min_px) for x in states]
    iio.imwrite(path, np.stack(frames), duration=1000 / fps, loop=0)


def loss_curve(records: list[dict], path: str | Path, target_loss: float | None = None, title: str = "") -> None:
    """Training loss (and fresh-rollout loss where present) against iteration, log scale."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    it = [r["iteration"] for r in records]
    ax.semilogy(it, [r["loss"] for r in records], lw=0.8, alpha=0.7, label="training loss")
    ev = [(r["iteration"], r["eval_loss"]) for r in records if "eval_loss" in r]
    if ev:
        ax.semilogy(*zip(*ev), "o-", ms=2.5, lw=1.2, label="loss on fresh rollouts")
    if target_loss:
        ax.axhline(target_loss, color="k", ls="--", lw=0.8, label=f"target {target_loss:g}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("MSE (RGBA)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def target_png(target: np.ndarray, path: str | Path) -> None:
    import imageio.v3 as iio

    iio.imwrite(path, _upscale(to_rgb(target), 144))
