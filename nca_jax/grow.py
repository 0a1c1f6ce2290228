"""Grow an emoji from one seed cell with OpenAI-ES and/or Adam (the project's main job).

    python -m nca_jax.grow --out=runs/grow                       # both, 9×9 carrot
    python -m nca_jax.grow --optimizer=es --target=rabbit_face --size=15 --out=runs/rabbit

Flags → :class:`nca_jax.jobs.grow.GrowConfig` → :func:`nca_jax.jobs.grow.run`.
"""

from __future__ import annotations

from runio import environment

environment.check()  # first: a bad JAX variable would fail inside the imports below

import sys

from absl import flags

from nca_jax.jobs.grow import RUNS, GrowConfig
from nca_jax.train.adam import LOSSES, SCHEDULES
from nca_jax.train.es import FITNESS
from nca_jax.train.strategies import MEAN_OPTIMIZERS
from nca_jax.train.strategies import STRATEGIES
from runio import devices
from runio.cli import require, run
from runio.flagdefs import Spec, flag, plain

F = flags.FLAGS
STRATEGY_NAMES = tuple(STRATEGIES)
E = "evosax strategies: " + ", ".join(STRATEGY_NAMES)

SPEC = Spec(GrowConfig, {
    "target": [
        flag("optimizer", "Which trainer(s) to run.", choices=RUNS),
        flag("target", "Emoji (🥕, carrot, rabbit_face, lizard, 1F955) or image file."),
        flag("size", "Target size in cells (>= 3)."),
        flag("padding", "Empty cells around the target."),
    ],
    "model": [
        flag("model.channels", "State channels per cell (RGBA + hidden channels, >= 4)."),
        flag("model.hidden", "Hidden units of the update rule."),
        flag("model.use_bias", "Use biases in the update rule.", name="bias"),
        flag("model.fire_rate", "Stochastic update probability per cell, in (0, 1]."),
    ],
    "rollouts and pool (both trainers)": [
        flag(("es.pool", "adam.pool"), "Sample pool (ES: one grid per member, the seed every "
             "--reseed_every generations; Adam: Mordvintsev's)."),
        flag(("es.min_steps", "adam.min_steps"), "Fewest NCA steps per rollout."),
        flag(("es.max_steps", "adam.max_steps"), "Most NCA steps per rollout."),
    ],
    "ES": [
        flag("es.strategy", "ES strategy (" + E + ").", choices=STRATEGY_NAMES),
        flag("es.population", "ES population size (even with antithetic sampling)."),
        flag("es.sigma", "Perturbation σ (> 0; default: the strategy's)."),
        flag("es.optimizer", "optax optimizer of the mean (open_es, snes, ars).",
             name="es_optimizer", choices=tuple(MEAN_OPTIMIZERS)),
        flag("es.lr", "Learning rate of the mean (default: the strategy's; 15×15 and larger "
             "targets need about a third of it).", name="es_lr"),
        flag("es.antithetic", "OpenAI-ES antithetic (mirrored) sampling."),
        flag("es.std_lr", "SNES, PGPE: learning rate of σ (0: the algorithm's default)."),
        flag("es.max_velocity", "PGPE ClipUp: largest step of the mean (0: 2 × lr)."),
        flag("es.elite_ratio", "ARS: share of the antithetic pairs used, in (0, 1]."),
        flag("es.unroll", "persistent_es, noise_reuse_es: NCA steps per generation (one "
             "segment of each member's unroll of ceil(max_steps / unroll) segments)."),
        flag("es.fitness", "MSE after the rollout, or averaged over steps "
             "min_steps..max_steps of it.", name="es_fitness", choices=FITNESS),
        flag("es.average", "Trained parameters = a moving average of the mean with at most "
             "this decay, in [0, 1); 0: the mean itself.", name="es_average"),
        flag("es.reseed_every", "Pool with one grid per member: the seed every N generations."),
        flag("es.pool_below", "Commit the best member's grids to the pool only from "
             "generations whose mean loss is at or below this (inf: every generation)."),
        flag("es.decay_thresholds", "Mean-loss thresholds for lr decay."),
        flag("es.decay_factors", "lr multipliers at those thresholds."),
        flag("es.batch_size", "Start grids per member per generation (with the pool and >= 2, "
             "the highest-loss one is replaced by the seed).", name="es_batch"),
        flag("es.pool_size", "ES sample pool size (>= es_batch).", name="es_pool_size"),
    ],
    "Adam": [
        flag("adam.lr", "Adam learning rate.", name="adam_lr"),
        flag("adam.average", "Trained parameters = a moving average of the iterates with at "
             "most this decay, in [0, 1); 0: the iterates.", name="adam_average"),
        flag("adam.lr_schedule", "constant, or piecewise (×0.1 after --lr_decay_at "
             "iterations).", choices=SCHEDULES),
        flag("adam.lr_decay_at", "Piecewise schedule: the iteration after which the lr is ×0.1."),
        flag("adam.batch_size", "Adam batch size."),
        flag("adam.grad_norm", "Normalise each variable's gradient."),
        flag("adam.loss", "MSE after the rollout, or averaged over steps min_steps..max_steps.",
             name="adam_loss", choices=LOSSES),
        flag("adam.damage", "Erase a random disc from this many lowest-loss grids of each batch "
             "(regeneration training; 0: off).", name="adam_damage"),
        flag("adam.pool_size", "Adam sample pool size (>= batch_size).", name="adam_pool_size"),
    ],
    "run": [
        flag("seed", "Random seed."),
        flag("init_from", "Start every optimizer from the trained parameters of this grow "
             "run folder (a second stage with another rate or σ); default: a fresh draw."),
        flag("target_loss", "Stop when the loss on fresh rollouts is <= this."),
        flag("max_seconds", "Training time limit per optimizer (s); each stops earlier at "
             "--target_loss."),
        flag("max_iterations", "Iteration limit per optimizer (0: none)."),
        flag("eval_every", "Iterations between fresh-rollout evaluations."),
        flag("checkpoint_every", "Iterations between checkpoints."),
        flag("progress", "Show a progress bar."),
        flag("tensorboard", "Also write the metrics as TensorBoard events into OUT/tensorboard "
             "(needs tensorboardX)."),
        plain("devices"),
        plain("out"),
    ],
})
SPEC.define()
flags.DEFINE_string("devices", "auto", "Devices to split the ES population over: N, 'all', or "
                    "'auto' (the most that divide --population; on a CPU each core is a device).")
flags.DEFINE_string("out", None, "Output folder (rerun with the same folder to resume).")


def build_config() -> GrowConfig:
    """Flags → :class:`GrowConfig`; every rule is checked by the configs themselves."""
    require(F.out is not None, "--out is required: give an output folder")
    return SPEC.build()


def main(argv):
    devices.use_cpu_cores()  # before anything runs JAX (importing evosax does)
    from nca_jax.jobs import grow

    config = build_config()
    n_devices = devices.parse_devices(F.devices, config.es.population)
    try:
        summaries = grow.run(config, F.out, n_devices)
    except grow.Diverged as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    for name, s in summaries.items():
        t = f"{s['time_to_target_s']:.1f} s" if s["reached_target"] else "not reached"
        print(f"{name}: final loss {s['final_loss']:.5f}, target {t}, "
              f"{s['iterations']} iterations, {s['wall_time_s']:.1f} s")
    print(f"results in {F.out}")


if __name__ == "__main__":
    run(main, SPEC)
