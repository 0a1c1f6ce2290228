"""The hyperparameter-search job: random (or CMA-ES-evolved) texture-NCA trials, their
analysis and report (``python -m nca_jax.hparam_search``).

``run(config, out)`` writes ``trials.csv``, ``scatter.png``, ``pca.png``,
``cross_texture.png``, ``summary.json`` and ``report.md``; evolve mode also runs random
search at the same budget to compare against. Each search runs on the one driver
(:mod:`nca_jax.hparams.search`) into its own run folder (``random/``, ``evolve/``),
checkpointed after every group or generation, so a search stopped midway resumes there.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from nca_jax.hparams import analysis
from nca_jax.hparams import report
from nca_jax.hparams import search
from nca_jax.hparams.trials import HparamSearchConfig, run_trials, search_score
from nca_jax.style import losses as style
from nca_jax.style import score as scoring
from nca_jax.style import vgg
from nca_jax.targets.textures import check_texture, load_texture
from runio import driver, hosts, outdir, runfolder

JOB = "nca_jax.hparam_search"


def run(config: HparamSearchConfig, out_dir) -> dict | None:
    """The search job: ``trials.csv``, ``scatter.png``, ``pca.png``, ``cross_texture.png``,
    ``summary.json`` and ``report.md`` in ``out_dir``. Evolve mode also runs random search
    at the same budget (same number of trials and training steps) to compare against. Returns
    the summary (None in the processes other than 0 of a multi-process run)."""
    # the cheap checks first: folder (a search of the same configuration resumes), names,
    # weights
    hosts.on_main(outdir.check, out_dir, JOB, resume=True)
    hosts.on_main(runfolder.refuse, Path(out_dir), run_config(config))
    for t in config.textures:
        check_texture(t, field="textures")
    weights = vgg.load_vgg16_params(config.vgg_weights or None)  # the score is VGG's always
    targets = [load_texture(t, config.size, config.seed, field="textures") for t in config.textures]
    with outdir.claim(out_dir, JOB, resume=True) as out:  # after the inputs are known good
        hosts.on_main(runfolder.guard, out, run_config(config))
        return _search(config, out, targets, weights)


def run_config(config: HparamSearchConfig) -> dict:
    """What a resumed search must share with the trials it reuses: all but the progress bar."""
    return {k: v for k, v in dataclasses.asdict(config).items() if k != "progress"}


def _search(config: HparamSearchConfig, out: Path, targets, weights) -> dict | None:
    """Run the trials; process 0 writes the results and returns the summary (the trials
    are not split across processes: the others return None)."""
    k_loss = jax.random.PRNGKey(config.seed)  # the same swd features for every texture
    # as the texture job: the NCA lives on a torus, VGG pads circularly
    made = [style.make_style_loss(config.loss, t, key=k_loss, vgg_params=weights, periodic=True)
            for t in targets]
    loss_fn, shared = made[0][0], made[0][1][0]
    per = jax.tree.map(lambda *xs: jnp.stack(xs), *[m[1][1] for m in made])
    scorers = [scoring.scorer(t, weights) for t in targets]
    hw = targets[0].shape[:2]
    modes = ("random",) if config.mode == "random" else ("random", "evolve")

    def run_fn(hs, ids):
        return run_trials(hs, ids, config, loss_fn, shared, per, hw, scorers)

    t0 = time.perf_counter()
    results, rows = {}, []
    for mode in modes:  # each a run folder of its own: out/random, out/evolve
        make = search.random_trainer if mode == "random" else search.evolve_trainer
        trainer, steps = make(config, run_fn, len(targets))
        loop = driver.LoopConfig(max_iterations=steps, checkpoint_every=1, keep_checkpoints=2,
                                 progress=config.progress)
        res = driver.train(trainer, jax.random.PRNGKey(config.seed), out / mode, loop,
                           run_config(config), desc=f"{mode} search", budget=())
        hs, r = search.results(res.state)
        results[mode] = (hs, r)
        gens = [i // config.population for i in range(len(hs))] if mode == "evolve" else None
        rows += report.rows(mode, hs, r, config.textures, gens)
    if not hosts.is_main():  # one writer across processes
        return None
    report.write_csv(out / "trials.csv", rows)
    all_h = [h for hs, _ in results.values() for h in hs]
    all_s = np.concatenate([r.scores for _, r in results.values()])
    analysis.scatter_figure(all_h, all_s, config.textures, out / "scatter.png")
    ratio = analysis.pca_figure(all_h, search_score(all_s), out / "pca.png")
    fits = analysis.cross_texture_figure(all_s, config.textures, out / "cross_texture.png")
    best = {}
    for mode, (hs, r) in results.items():
        sc = search_score(r.scores)
        i = int(np.nanargmax(sc)) if np.isfinite(sc).any() else 0
        best[mode] = {"score": float(sc[i]), "trial": i, "hyperparameters": hs[i],
                      "scores": dict(zip(config.textures, map(float, r.scores[i]))),
                      "losses": dict(zip(config.textures, map(float, r.losses[i]))),
                      "best_score_per_texture": dict(zip(
                          config.textures, map(float, np.nanmax(r.scores, axis=0))))}
    n_trials = sum(len(hs) for hs, _ in results.values())
    all_sc = search_score(all_s)
    wall = time.perf_counter() - t0
    trials_s = float(sum(r.wall.sum() for _, r in results.values()))  # whichever run trained
    summary = {"mode": config.mode, "best": best, "pca_explained_variance": ratio.tolist(),
               "cross_texture": fits, "wall_time_s": wall, "trials_time_s": trials_s,
               "wall_time_per_trial_s": trials_s / n_trials,
               "scores": report.spread(all_sc),
               "device": jax.devices()[0].device_kind, "jax_version": jax.__version__,
               "config": dataclasses.asdict(config)}
    runfolder.write_summary(out, summary)
    report.write_report(summary, config, out)
    return summary
