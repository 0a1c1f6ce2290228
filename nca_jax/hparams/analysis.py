"""Analysis of a hyperparameter search: scatter per hyperparameter, PCA, cross-texture fit.

* :func:`pca` — principal components of the standardised hyperparameter vectors
  (:func:`nca_jax.hparams.space.features`, ``lr`` as log10) by numpy SVD, with the explained
  variance ratio of each component;
* :func:`cross_fit` — least-squares line ``y = slope·x + intercept`` and Pearson r of the
  texture score on one texture (y) against the score on the first texture (x);
* figures: ``scatter.png`` (texture score against each hyperparameter, one colour per
  texture), ``pca.png`` (first two components coloured by the search score),
  ``cross_texture.png`` (one panel per other texture with the fitted line).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from nca_jax.hparams import space as hparams

SCORE_FLOOR = -1.0  # figures clip scores below this (unstable trials) so the others stay readable


def _lowest(scores) -> float | None:
    """The lowest finite score, or None."""
    finite = np.asarray(scores, float)[np.isfinite(scores)]
    return float(finite.min()) if len(finite) else None


def pca(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(K, D)`` → (scores ``(K, r)``, components ``(r, D)``, explained variance ratio ``(r,)``).

    Columns are centred and scaled to unit standard deviation (constant columns left at 0).
    """
    x = np.asarray(x, float)
    z = x - x.mean(0)
    sd = z.std(0)
    z = z / np.where(sd > 0, sd, 1.0)
    u, s, vt = np.linalg.svd(z, full_matrices=False)
    var = s**2
    ratio = var / var.sum() if var.sum() > 0 else np.zeros_like(var)
    return u * s, vt, ratio


def cross_fit(x: np.ndarray, y: np.ndarray) -> dict:
    """Least-squares slope and intercept of ``y`` on ``x`` and Pearson r (nan if undefined)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 2 or np.ptp(x) == 0:
        nan = float("nan")
        return {"slope": nan, "intercept": nan, "r": nan, "n": int(len(x))}
    slope, intercept = np.polyfit(x, y, 1)
    r = float(np.corrcoef(x, y)[0, 1]) if np.ptp(y) > 0 else float("nan")
    return {"slope": float(slope), "intercept": float(intercept), "r": r, "n": int(len(x))}


def scatter_figure(hs: list[dict], scores: np.ndarray, textures, path: Path) -> None:
    """Texture score ``(K, T)`` against each hyperparameter, one colour per texture."""
    feats = hparams.features(hs)
    fig = Figure(figsize=(13, 6))
    axes = fig.subplots(2, 4)
    low = _lowest(scores)
    for i, (ax, name) in enumerate(zip(axes.flat, hparams.NAMES)):
        for t, tex in enumerate(textures):
            ax.scatter(feats[:, i], scores[:, t], s=14, alpha=0.7, label=tex)
        ax.axhline(0.0, color="0.6", lw=0.8, ls=":")
        ax.set_xlabel("log10 lr" if name == "lr" else name)
        ax.set_ylabel("texture score")
        if low is not None and low < SCORE_FLOOR:  # an unstable trial far below the flat image
            ax.set_ylim(SCORE_FLOOR - 0.05, max(1.05, np.nanmax(scores) + 0.05))
            ax.text(0.02, 0.02, f"lowest {low:.1f} (off the axis)", fontsize=7,
                    transform=ax.transAxes)
    axes.flat[-1].set_axis_off()
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def pca_figure(hs: list[dict], scores: np.ndarray, path: Path) -> np.ndarray:
    pcs, _, ratio = pca(hparams.features(hs))
    fig = Figure(figsize=(5.5, 4.5))
    ax = fig.subplots()
    y = pcs[:, 1] if pcs.shape[1] > 1 else np.zeros(len(pcs))
    low = _lowest(scores)
    low = None if low is None else max(low, SCORE_FLOOR)  # an unstable trial must not ...
    sc = ax.scatter(pcs[:, 0], y, c=np.maximum(scores, low) if low is not None else scores,
                    cmap="viridis", s=30, vmin=low)  # ... flatten the others' colours
    fig.colorbar(sc, label="search score (mean texture score)")
    ax.set_xlabel(f"PC1 ({ratio[0]:.0%} of variance)")
    ax.set_ylabel(f"PC2 ({ratio[1]:.0%})" if len(ratio) > 1 else "PC2")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    return ratio


def cross_texture_figure(scores: np.ndarray, textures, path: Path) -> list[dict]:
    """Score on the first texture against each other one, with the fitted line."""
    fits = []
    n = max(1, len(textures) - 1)
    fig = Figure(figsize=(4.2 * n, 4))
    axes = fig.subplots(1, n, squeeze=False)
    for j, ax in zip(range(1, len(textures)), axes[0]):
        f = cross_fit(scores[:, 0], scores[:, j])
        fits.append({"texture": textures[j], **f})
        ax.scatter(scores[:, 0], scores[:, j], s=16)
        if np.isfinite(f["slope"]):
            xs = np.linspace(np.nanmin(scores[:, 0]), np.nanmax(scores[:, 0]), 10)
            ax.plot(xs, f["slope"] * xs + f["intercept"], "k--", lw=1)
        ax.set_xlabel(f"score on {textures[0]}")
        ax.set_ylabel(f"score on {textures[j]}")
        ax.set_title(f"slope {f['slope']:.3g}, intercept {f['intercept']:.3g}, r {f['r']:.2f}",
                     fontsize=9)
    if len(textures) == 1:
        axes[0][0].set_axis_off()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    return fits
