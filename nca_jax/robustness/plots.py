"""Figures of the robustness battery: one PNG per experiment overlaying every model
(mean loss over seeds with a min–max band, log scale, the undamaged curve dotted) and
growth strips (:func:`nca_jax.figures.growth_strip`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import numpy as np
from matplotlib import rcParams
from matplotlib.figure import Figure

from nca_jax import figures

_FLOOR = 1e-12  # log axis: losses are clipped below at this


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_") or "model"


def _band(ax, losses: np.ndarray, color, label: str, ls: str = "-", band: bool = True) -> None:
    losses = np.maximum(np.asarray(losses, np.float64), _FLOOR)
    t = np.arange(losses.shape[1])
    ax.plot(t, losses.mean(0), color=color, lw=1.3, ls=ls, label=label)
    if band:
        ax.fill_between(t, losses.min(0), losses.max(0), color=color, alpha=0.2, lw=0)


def _panel(ax, raw: dict, pick: Callable[[dict], np.ndarray], title: str, mark=None,
           span=None, clean: bool = True) -> None:
    colors = rcParams["axes.prop_cycle"].by_key()["color"]
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


def _figure(path: Path, panels: list[tuple[Callable[[dict], np.ndarray], str, dict]],
            raw: dict, width: float = 7.0) -> None:
    """One figure, one panel per ``(pick, title, panel options)``, saved to ``path``."""
    n = len(panels)
    fig = Figure(figsize=(width * n if n == 1 else 5.0 * n, 4.0))
    axes = fig.subplots(1, n, squeeze=False)[0]
    for ax, (pick, title, options) in zip(axes, panels):
        _panel(ax, raw, pick, title, **options)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def write_figures(raw: dict[str, dict], config, out: Path) -> dict:
    """Write the figures for ``{model: battery_for_model(...)}`` into ``out``; returns
    ``{experiment: file}`` and ``"strips": {model: [(title, file)]}`` (paths relative)."""
    out = Path(out)
    first = next(iter(raw.values()))
    d = config.damage_step
    canv = ", ".join(f"{n}: {r['larger_canvas']['canvas']}²" for n, r in raw.items())
    specs = {
        "long_horizon": [(lambda r: r["long_horizon"]["losses"],
                          f"Long horizon: growth from the seed for {config.steps} steps",
                          {"clean": False})],
        "erase": [(lambda r, k=k: r["erase"][k]["losses"], f"erase {k} at step {d}",
                   {"mark": d}) for k in first["erase"]],
        "fgsm_during_growth": [(lambda r: r["fgsm_during_growth"]["losses"],
                                f"FGSM during growth (steps 1–{config.fgsm_until}), "
                                f"ε={config.fgsm_eps_growth:g}",
                                {"span": (1, config.fgsm_until)})],
        "fgsm_after_growth": [(lambda r, k=k: r["fgsm_after_growth"][k]["losses"],
                               f"FGSM once at step {d}, ε={k}", {"mark": d})
                              for k in first["fgsm_after_growth"]],
        "larger_canvas": [(lambda r: r["larger_canvas"]["losses"],
                           f"Larger canvas ({canv}), target zero-padded", {"clean": False})],
    }
    files: dict = {}
    for name, panels in specs.items():
        _figure(out / f"{name}.png", panels, raw)
        files[name] = f"{name}.png"

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
            figures.growth_strip(states, steps, out / rel, title=f"{name}: {title}")
            strips[name].append((f"{name}: {title}", rel))
    files["strips"] = strips
    return files
