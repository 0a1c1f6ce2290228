"""A finished texture-NCA run for people: ``texture.png`` (labelled panels), ``loss.png``
(loss and score during training), ``texture.gif`` (the NCA far past its horizon),
``summary.json``, ``page/`` and ``report.md``."""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np
from matplotlib.figure import Figure

from nca_jax import figures
from nca_jax.nca import texture as tm
from nca_jax.style import score as scoring
from nca_jax.web import model as web_model
from nca_jax.web import page
from runio import runfolder

trajectory = jax.jit(tm.trajectory, static_argnums=(3, 4))

def texture_figure(samples: np.ndarray, target: np.ndarray, reference: np.ndarray,
                   score: float, steps: int, path: Path) -> None:
    """Labelled panels: NCA samples, the target, another piece of it, the flat image."""
    panels = [(s, f"NCA, step {steps}" + (f"\nscore {score:.2f}" if i == 0 else ""))
              for i, s in enumerate(samples[:2])]
    panels += [(target, "target"), (reference, "another piece\n(shifted, score 1)"),
               (scoring.flat(target), "mean colour\n(score 0)")]
    fig = Figure(figsize=(2.2 * len(panels), 2.6))
    for ax, (img, title) in zip(fig.subplots(1, len(panels)), panels):
        ax.imshow(np.clip(img, 0, 1), interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.set_axis_off()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def curves_figure(records: list[dict], path: Path, loss_name: str) -> None:
    """Training loss (log) and the texture score of fresh rollouts against iteration."""
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.subplots()
    ax.semilogy([r["iteration"] for r in records], [max(r["loss"], 1e-12) for r in records],
                lw=0.8, color="C0", label="training loss")
    ax.set_xlabel("iteration")
    ax.set_ylabel(f"{loss_name} style loss (+ overflow)", color="C0")
    scored = [(r["iteration"], r["score"]) for r in records if "score" in r]
    if scored:
        ax2 = ax.twinx()
        ax2.plot(*zip(*scored), "o-", ms=3, color="C1", label="score")
        ax2.set_ylabel("texture score (0 flat, 1 another piece)", color="C1")
        ax2.axhline(1.0, color="C1", ls=":", lw=0.8)
        low = min(v for _, v in scored)
        ax2.set_ylim(max(low, -1.0) - 0.05, max(1.1, max(v for _, v in scored) + 0.05))
        if low < -1.0:  # an unstable moment far below the flat image: say so, keep the scale
            ax2.text(0.01, 0.02, f"lowest score {low:.1f} (off the axis)", color="C1",
                     transform=ax2.transAxes, fontsize=8)
    ax.set_title("training")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def write_report(summary: dict, out: Path) -> None:
    c = summary["config"]
    lines = [f"# Texture NCA on `{summary['target']}` ({summary['size']}×{summary['size']})", "",
             f"Model `{c['model']['kind']}`, {summary['optimizer']} on the `{summary['loss']}` "
             f"style loss, {summary['iterations']} iterations in {summary['wall_time_s']:.0f} s "
             f"(+{summary['compile_s']:.0f} s compile) on {summary['device']}.", "",
             f"**Texture score {summary['score']:.2f}** (VGG16 style loss of "
             f"{summary['score_samples']} fresh rollouts of {summary['score_steps']} steps, "
             "0 = the target's mean colour, 1 = another piece of the target).", "",
             "![texture](texture.png)", "", "![training](loss.png)", "",
             f"The NCA from a seed, {c['gif_steps']} steps (its training rollouts are "
             f"{summary['training_steps']} steps):", "", "![running](texture.gif)", "",
             "It runs in the browser too: [page/index.html](page/index.html) (open it from "
             "disk; drag on it to erase and watch the texture close the hole).", ""]
    (out / "report.md").write_text("\n".join(lines))


def write(config, summary, samples, target, res, out: Path, k_viz) -> None:
    """texture.png, loss.png, texture.gif, summary.json and report.md (figures only for a
    run that did not diverge)."""
    hw = tuple(target.shape[:2])
    if samples is not None:
        texture_figure(samples, target, scoring.reference(target),
                       summary["score"], config.score_steps, out / "texture.png")
        curves_figure(res.records, out / "loss.png", config.loss)
        k_seed, k_roll = jax.random.split(k_viz)
        x0 = tm.seed(k_seed, config.model, *hw)
        if config.gif_steps:
            traj = trajectory(res.params, x0, k_roll, config.gif_steps, config.model)
            frames = np.asarray(tm.to_rgb(traj, config.model))
            figures.write_gif(frames[:: max(1, config.gif_steps // 200)], out / "texture.gif",
                              fps=20, min_px=192)
    runfolder.write_summary(out, summary)
    if samples is not None:
        page.write([web_model.texture_model(web_model.texture_name(config.model, config.target),
                                            res.params, config.model)], out / "page")
        write_report(summary, out)
