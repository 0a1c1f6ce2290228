"""A finished hyperparameter search for people: ``trials.csv``, the spread of the scores
and ``report.md``."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from nca_jax.hparams.trials import HparamSearchConfig, Results, search_score

def write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def rows(mode, hs, res: Results, textures, gens=None) -> list[dict]:
    sc = search_score(res.scores)
    rows = []
    for i, h in enumerate(hs):
        row = {"mode": mode, "trial": i, "generation": gens[i] if gens else ""}
        row.update(h)
        row.update({f"score[{t}]": float(res.scores[i, j]) for j, t in enumerate(textures)})
        row.update({f"loss[{t}]": float(res.losses[i, j]) for j, t in enumerate(textures)})
        row.update(score=float(sc[i]), wall_time_s=float(res.wall[i]))
        rows.append(row)
    return rows


STUDY_STEPS = 16_383  # training steps per trial in the texture-hyperparameter study


def spread(scores: np.ndarray) -> dict:
    """How the trials' search scores spread: quartiles, and how many learned a texture."""
    ok = scores[np.isfinite(scores)]
    q = np.percentile(ok, [0, 25, 50, 75, 100]).tolist() if len(ok) else [float("nan")] * 5
    return {"min": q[0], "q25": q[1], "median": q[2], "q75": q[3], "max": q[4],
            "n": int(len(scores)), "diverged": int(len(scores) - len(ok)),
            "above_0.5": int(np.sum(ok >= 0.5)), "below_0.1": int(np.sum(ok < 0.1))}


def write_report(summary: dict, config: HparamSearchConfig, out: Path) -> None:
    b, sp = summary["best"], summary["scores"]
    lo, hi = config.log10_lr
    lines = [
        f"# Texture-NCA hyperparameter search ({config.mode})",
        "",
        f"{config.trials} trials per mode × {len(config.textures)} textures "
        f"({', '.join(config.textures)}), model `{config.model}`, {config.size}×{config.size}, "
        f"{config.train_steps} Adam iterations per trial and texture "
        f"({100 * config.train_steps / STUDY_STEPS:.2g} % of the study's {STUDY_STEPS:,}), lr "
        f"10^U({lo:g}, {hi:g}), `{config.loss}` training loss. Score of a trial = mean over "
        "textures of its texture score (VGG16 style loss of fresh rollouts; 0 = the "
        "texture's mean colour, 1 = another piece of it), higher is better. Device: "
        f"{summary['device']}; {summary['wall_time_per_trial_s']:.0f} s per trial (all "
        f"textures, compile and scoring included), {summary['trials_time_s']:.0f} s of trials "
        "in all (a resumed search counts the trials of every run into its folder).",
        "",
        f"Spread of the {sp['n']} trials' scores: min {sp['min']:.2f}, quartiles "
        f"{sp['q25']:.2f} / {sp['median']:.2f} / {sp['q75']:.2f}, max {sp['max']:.2f}; "
        f"{sp['above_0.5']} at or above 0.5, {sp['below_0.1']} below 0.1 (no texture), "
        f"{sp['diverged']} diverged.",
        "",
        "| mode | best score | " + " | ".join(f"score on {t}" for t in config.textures)
        + " | best hyperparameters |",
        "| --- | --- |" + " --- |" * len(config.textures) + " --- |",
    ]
    for mode, r in b.items():
        hp = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                       for k, v in r["hyperparameters"].items())
        lines.append(f"| {mode} | {r['score']:.3f} | "
                     + " | ".join(f"{r['scores'][t]:.3f}" for t in config.textures)
                     + f" | {hp} |")
    if "evolve" in b:
        d = b["evolve"]["score"] - b["random"]["score"]
        verdict = "better" if d > 0 else "not better"
        lines += ["", f"Evolved (CMA-ES, population {config.population}) vs random search at the "
                  f"same budget: best score {b['evolve']['score']:.3f} vs "
                  f"{b['random']['score']:.3f} (difference {d:+.3f}, evolve is {verdict}; "
                  "one seed, so a hint, not a verdict)."]
    ev = summary["pca_explained_variance"]
    lines += ["", "## Structure", "",
              "PCA of the standardised hyperparameter vectors, explained variance: "
              + ", ".join(f"PC{i + 1} {v:.0%}" for i, v in enumerate(ev)) + ".", ""]
    for f in summary["cross_texture"]:
        lines.append(f"- score on {f['texture']} vs {config.textures[0]}: slope "
                     f"{f['slope']:.3g}, intercept {f['intercept']:.3g}, Pearson r {f['r']:.3f} "
                     f"(n={f['n']})")
    lines += ["", "![scatter](scatter.png)", "", "![pca](pca.png)", "",
              "![cross-texture](cross_texture.png)", "", "Every trial: `trials.csv`.", ""]
    (out / "report.md").write_text("\n".join(lines))
