"""Fitness-per-generation plots: the mean over trials with a band."""

from __future__ import annotations

import os

import numpy as np
from matplotlib.figure import Figure


def save_fitness_plot(path: str | os.PathLike, best: np.ndarray, mean: np.ndarray,
                      ylabel: str, title: str) -> None:
    """``best``/``mean``: ``(generations + 1, trials)``. Lines are means over trials; the
    band is ± one standard deviation across trials."""
    gens = np.arange(best.shape[0])
    fig = Figure(figsize=(6, 3.6), dpi=120)
    ax = fig.subplots()
    for curve, name, style in [(best, "best in generation", "-"), (mean, "population mean", "--")]:
        mu, sd = curve.mean(1), curve.std(1)
        ax.plot(gens, mu, style, label=name)
        ax.fill_between(gens, mu - sd, mu + sd, alpha=0.2)
    ax.set_xlabel("generation")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
