"""Figures of the robustness battery: one PNG per experiment overlaying every model
(mean loss over seeds with a min–max band, log scale) and growth strips (via
:func:`nca_jax.viz.growth_strip`)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from nca_jax import viz  # sets the Agg backend

import matplotlib.pyplot as plt  # noqa: E402

_FLOOR = 1e-12  # log axis: losses are clipped below at this


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_") or "model"


def _band(ax, losses: np.ndarray, color, label: str, ls: str = "-", band: bool = True) -> None:
    losses = np.maximum(np.asarray(losses, np.float64), _FLOOR)
    t = np.arange(losses.shape[1])
    ax.plot(t, losses.mean(0), color=color, lw=1.3, ls=ls, label=label)
    if band:
        ax.fill_between(t, losses.min(0), losses.max(0), color=color, alpha=0.2, lw=0)


def _panel(ax, raw: dict, pick, title: str, mark=None, span=None, clean: bool = True) -> None:
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (name, res) in enumerate(raw.items()):
        c = colors[i % len(colors)]
        losses = pick(res)
        _band(ax, losses, c, name)
        if clean:
            ref = res["long_horizon"]["losses"][:, : losses.shape[1]]
            _band(ax, ref, c, f"{name}, undamaged", ls=":", band=False)
    if mark is not None:
        ax.axvline(mark, color="k", lw=0.8, ls="--")
    if span is not None:
        ax.axvspan(*span, color="k", alpha=0.08, lw=0)
    ax.set_yscale("log")
    ax.set_xlabel("NCA step")
    ax.set_ylabel("MSE (RGBA)")
    ax.set_title(title, fontsize=10)


def _save(fig, axes, path: Path) -> None:
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_figures(raw: dict[str, dict], config, out: Path) -> dict:
    """Write the figures for ``{model: battery_for_model(...)}`` into ``out``; returns
    ``{experiment: file}`` and ``"strips": {model: [(title, file)]}`` (paths relative)."""
    out = Path(out)
    files: dict = {}
    first = next(iter(raw.values()))

    fig, ax = plt.subplots(figsize=(7, 4))
    _panel(ax, raw, lambda r: r["long_horizon"]["losses"],
           f"Long horizon: growth from the seed for {config.steps} steps", clean=False)
    _save(fig, [ax], out / "long_horizon.png")
    files["long_horizon"] = "long_horizon.png"

    masks = list(first["erase"])
    fig, axes = plt.subplots(1, len(masks), figsize=(4.6 * len(masks), 3.8), squeeze=False)
    for ax, mname in zip(axes[0], masks):
        _panel(ax, raw, lambda r, k=mname: r["erase"][k]["losses"],
               f"erase {mname} at step {config.damage_step}", mark=config.damage_step)
    _save(fig, list(axes[0]), out / "erase.png")
    files["erase"] = "erase.png"

    fig, ax = plt.subplots(figsize=(7, 4))
    _panel(ax, raw, lambda r: r["fgsm_during_growth"]["losses"],
           f"FGSM during growth (steps 1–{config.fgsm_until}), ε={config.fgsm_eps_growth:g}",
           span=(1, config.fgsm_until))
    _save(fig, [ax], out / "fgsm_during_growth.png")
    files["fgsm_during_growth"] = "fgsm_during_growth.png"

    eps = list(first["fgsm_after_growth"])
    fig, axes = plt.subplots(1, len(eps), figsize=(5.5 * len(eps), 3.8), squeeze=False)
    for ax, e in zip(axes[0], eps):
        _panel(ax, raw, lambda r, k=e: r["fgsm_after_growth"][k]["losses"],
               f"FGSM once at step {config.damage_step}, ε={e}", mark=config.damage_step)
    _save(fig, list(axes[0]), out / "fgsm_after_growth.png")
    files["fgsm_after_growth"] = "fgsm_after_growth.png"

    fig, ax = plt.subplots(figsize=(7, 4))
    canv = ", ".join(f"{n}: {r['larger_canvas']['canvas']}²" for n, r in raw.items())
    _panel(ax, raw, lambda r: r["larger_canvas"]["losses"],
           f"Larger canvas ({canv}), target zero-padded", clean=False)
    _save(fig, [ax], out / "larger_canvas.png")
    files["larger_canvas"] = "larger_canvas.png"

    (out / "strips").mkdir(exist_ok=True)
    strips: dict[str, list] = {}
    for i, (name, res) in enumerate(raw.items()):
        items = [("long horizon", "long_horizon", res["long_horizon"]["strip"])]
        items += [(f"erase {k} at step {r['damage_step']}", f"erase_{k}", r["strip"])
                  for k, r in res["erase"].items()]
        c = res["larger_canvas"]["canvas"]
        items.append((f"larger canvas {c}×{c}", "larger_canvas", res["larger_canvas"]["strip"]))
        strips[name] = []
        for title, tag, (steps, states) in items:
            if not len(steps):
                continue
            rel = f"strips/{i}_{slug(name)}_{tag}.png"
            viz.growth_strip(states, steps, out / rel, title=f"{name}: {title} (steps)")
            strips[name].append((f"{name}: {title}", rel))
    files["strips"] = strips
    return files
