"""Write the teaching notebooks (outputs stripped): ``python notebooks/build.py``.

Each notebook is a list of cells below; markdown cells start with ``md:``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent


def write(name: str, cells: list[str]) -> None:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for src in cells:
        src = src.strip("\n")
        if src.startswith("md:"):
            nb.cells.append(new_markdown_cell(src[3:].lstrip("\n")))
        else:
            nb.cells.append(new_code_cell(src))
    for cell in nb.cells:  # deterministic ids, no outputs
        cell.pop("id", None)
    nb.nbformat, nb.nbformat_minor = 4, 4
    nbformat.validate(nb)
    nbformat.write(nb, HERE / name)


SETUP = '''
import json, os, tempfile
from pathlib import Path

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
import jax
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, Markdown, display

OUT = Path(tempfile.mkdtemp(prefix="{prefix}"))  # every run writes here, never into the repo
print("outputs in", OUT, "| device:", jax.devices()[0].device_kind)
'''

# ----------------------------------------------------------------------------- 01
NB01 = [
    '''md:
# 01 · Growing NCA: OpenAI-ES vs Adam, and how robust the grown models are

A growing neural cellular automaton (Mordvintsev et al.: 16 channels, fixed identity + Sobel
perception, a 1×1 update rule, stochastic updates, alive masking) learns to grow the 9×9
OpenMoji carrot from one seed cell. We train it twice — with **Adam** (optax, gradients
through the rollout) and with **OpenAI-ES** (evosax, the whole population's rollouts in one
vmapped call) — compare loss curves and wall times, look at the growth, and then run the
**damage battery** (long horizon, erasing, FGSM, larger canvas) on both models.

Everything here calls `nca_jax`'s public functions (`experiment.run`,
`robustness.load_model`, `robustness.run_battery`, …); the CLIs `python -m nca_jax.grow` and
`python -m nca_jax.damage` run the same code.
''',
    '''md:
## Settings

The defaults run in about a minute on a 2-core laptop CPU. Set `PAPER_SCALE = True` for the
settings of the study (the CLI defaults: 40 s per optimizer, 8 seeds, 2000-step horizons).
''',
    '''
PAPER_SCALE = False  # <- switch to True for the study's settings (minutes, not seconds)

SETTINGS = {
    False: dict(target="carrot", size=9, es_seconds=12.0, es_iterations=0,
                adam_seconds=30.0, adam_iterations=150, eval_every=25,
                seeds=2, steps=200, erase_steps=100, fgsm_steps=150, gif_steps=60),
    True: dict(target="carrot", size=9, es_seconds=40.0, es_iterations=0,
               adam_seconds=40.0, adam_iterations=0, eval_every=25,
               seeds=8, steps=2000, erase_steps=400, fgsm_steps=1000, gif_steps=100),
}
S = SETTINGS[PAPER_SCALE]
S
''',
    SETUP.format(prefix="nb01_"),
    '''md:
## The target

`targets.load_target` renders an emoji offline from the OpenMoji font as premultiplied RGBA.
''',
    '''
from nca_jax import targets, viz

target = targets.load_target(S["target"], S["size"])
plt.figure(figsize=(2, 2))
plt.imshow(viz.to_rgb(target), interpolation="nearest")
plt.title(f"{S['target']} {target.shape[0]}×{target.shape[1]}")
plt.axis("off")
plt.show()
''',
    '''md:
## Train with ES and with Adam

`experiment.run` trains, checkpoints (orbax), and writes `metrics.jsonl`, `summary.json`,
`growth.png`, `growth.gif` and `loss.png` into its folder. Both trainers stop when the loss on
fresh rollouts from the seed reaches `target_loss`, or at their time / iteration budget.
''',
    '''
import dataclasses
from nca_jax import experiment

base = experiment.GrowConfig(target=S["target"], size=S["size"], eval_every=S["eval_every"],
                             gif_steps=S["gif_steps"], progress=False)
runs = {
    "es": dataclasses.replace(base, optimizer="es", max_seconds=S["es_seconds"],
                              max_iterations=S["es_iterations"]),
    "adam": dataclasses.replace(base, optimizer="adam", max_seconds=S["adam_seconds"],
                                max_iterations=S["adam_iterations"]),
}
summaries = {name: experiment.run(cfg, OUT / name)[name] for name, cfg in runs.items()}
for name, s in summaries.items():
    print(f"{name:5s} final loss {s['final_loss']:.5f}  iterations {s['iterations']:5d}  "
          f"rollouts {s['rollouts']:6d}  wall {s['wall_time_s']:.1f} s  "
          f"reached target: {s['reached_target']}")
''',
    '''md:
## Loss curves and wall times, side by side

Each line of `metrics.jsonl` holds the training loss, the wall time so far and, every
`eval_every` iterations, the loss of fresh rollouts from the seed (`eval_loss`).
''',
    '''
def read_metrics(folder):
    return [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]

metrics = {name: read_metrics(OUT / name) for name in runs}
fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
for name, recs in metrics.items():
    it = [r["iteration"] for r in recs]
    axes[0].semilogy(it, [r["loss"] for r in recs], label=name)
    ev = [r for r in recs if "eval_loss" in r]
    axes[1].semilogy([r["wall_time_s"] for r in ev], [r["eval_loss"] for r in ev], "o-", label=name)
axes[0].set(xlabel="iteration", ylabel="training loss", title="loss per iteration")
axes[1].set(xlabel="wall time (s)", ylabel="fresh-rollout loss", title="loss vs wall time")
axes[1].axhline(base.target_loss, color="k", ls=":", label="target loss")
names = list(summaries)
axes[2].bar(names, [summaries[n]["wall_time_s"] for n in names], color=["C0", "C1"])
axes[2].set(ylabel="seconds", title="training wall time")
for ax in axes[:2]:
    ax.legend()
fig.tight_layout()
plt.show()
''',
    '''md:
## Growth from the seed

Strips at steps 0, 1, 2, 3, 4, 10, 30, 40, 100, 1000 (well past the 30–39 training steps),
then the first steps as an animation.
''',
    '''
for name in runs:
    display(Image(filename=str(OUT / name / "growth.png")))
''',
    '''
display(Image(filename=str(OUT / "adam" / "growth.gif")))
''',
    '''md:
## The damage battery

`robustness.load_model` restores a trained model from its run folder;
`robustness.run_battery` runs, for every model on the same random keys: a **long horizon**,
**erasing** a centred 2×2 / 3×3 square or the bottom half right after step
`damage_step`, **FGSM** perturbations during and after growth, and growth on a **larger
canvas**. It writes `results.json`, one figure per experiment overlaying the models (mean with
a min–max band over seeds) and growth strips.
''',
    '''
from nca_jax import robustness

models = [robustness.load_model(OUT / name) for name in runs]
battery = robustness.BatteryConfig(seeds=S["seeds"], steps=S["steps"],
                                   erase_steps=S["erase_steps"], fgsm_steps=S["fgsm_steps"])
damage_dir = OUT / "damage"
damage_dir.mkdir()
results = robustness.run_battery(models, battery, damage_dir, progress=False)
for fig_name in ("long_horizon", "erase", "fgsm_during_growth", "fgsm_after_growth",
                 "larger_canvas"):
    display(Image(filename=str(damage_dir / f"{fig_name}.png")))
''',
    '''md:
The report table per model: loss at given steps and, per damage, the peak loss after it and
the steps until the mean loss is back within 2× the pre-damage loss.
''',
    '''
display(Markdown((damage_dir / "report.md").read_text()))
''',
    '''
key_results = {
    "final_loss": {n: s["final_loss"] for n, s in summaries.items()},
    "wall_time_s": {n: s["wall_time_s"] for n, s in summaries.items()},
    "damage_models": sorted(results["summary"]),
}
print("KEY_RESULTS " + json.dumps(key_results))
''',
]

write("01_growing_nca_es_vs_adam.ipynb", NB01)
