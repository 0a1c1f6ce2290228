"""Grow an emoji from one seed cell with OpenAI-ES and/or Adam (the project's main job).

    python -m nca_jax.grow --out=runs/grow                       # both, 9×9 carrot
    python -m nca_jax.grow --optimizer=es --target=rabbit_face --size=15 --out=runs/rabbit

Flags → :class:`nca_jax.jobs.grow.GrowConfig` → :func:`nca_jax.jobs.grow.run`.
"""

from __future__ import annotations

import sys

from absl import flags

from runio import devices
from runio.cli import fail, require, run
from runio.errors import within

F = flags.FLAGS
flags.DEFINE_enum("optimizer", "both", ["both", "es", "adam"], "Which trainer(s) to run.")
flags.DEFINE_string("target", "carrot", "Emoji (🥕, carrot, rabbit_face, lizard, 1F955) or image file.")
flags.DEFINE_integer("size", 9, "Target size in cells (>= 3).")
flags.DEFINE_integer("padding", 0, "Empty cells around the target.")
flags.DEFINE_bool("pool", True, "Sample pool for both trainers (ES: the thesis' one grid per "
                  "member, the seed every --reseed_every generations; Adam: Mordvintsev's).")
flags.DEFINE_enum("strategy", "open_es", ["open_es", "snes", "pgpe", "ars", "sep_cma_es",
                                            "lm_ma_es", "cr_fm_nes"],
                  "ES strategy (evosax): open_es (OpenAI-ES), snes, pgpe (ClipUp), ars, "
                  "sep_cma_es, lm_ma_es, cr_fm_nes.")
flags.DEFINE_integer("population", 64, "ES population size (even with antithetic sampling).")
flags.DEFINE_float("sigma", None, "ES initial perturbation standard deviation σ (> 0; "
                   "default: the strategy's, see nca_jax/train/strategies.py).")
flags.DEFINE_enum("es_optimizer", "adam", ["adam", "sgd"],
                  "optax optimizer of the ES mean (open_es, snes, ars).")
flags.DEFINE_float("es_lr", None, "ES learning rate of the mean (default: the strategy's; "
                   "15×15 and larger targets need about a third of it).")
flags.DEFINE_bool("antithetic", True, "OpenAI-ES antithetic (mirrored) sampling.")
flags.DEFINE_float("std_lr", 0.0, "SNES, PGPE: learning rate of σ (0: the algorithm's default).")
flags.DEFINE_float("max_velocity", 0.0, "PGPE ClipUp: largest step of the mean (0: 2 × lr).")
flags.DEFINE_float("elite_ratio", 0.5, "ARS: share of the antithetic pairs used, in (0, 1].")
flags.DEFINE_enum("es_fitness", "final", ["final", "window"], "ES fitness: MSE after the "
                  "rollout, or averaged over steps min_steps..max_steps of it.")
flags.DEFINE_float("es_average", 0.995, "ES: the trained parameters are a moving average of "
                   "the mean with at most this decay (Polyak averaging), in [0, 1); 0: the "
                   "mean itself.")
flags.DEFINE_integer("reseed_every", 2, "ES pool with one grid per member: start from the "
                     "seed every N generations.")
flags.DEFINE_float("pool_below", float("inf"), "ES pool: commit the best member's grids "
                   "only from generations whose mean loss is at or below this (the pool holds "
                   "seeds until then; inf: every generation).")
flags.DEFINE_list("decay_thresholds", ["0.03", "0.01", "0.006"],
                  "ES: mean-loss thresholds for lr decay.")
flags.DEFINE_list("decay_factors", ["0.3", "0.5", "0.5"], "ES: lr multipliers at those thresholds.")
flags.DEFINE_integer("es_batch", 1, "ES: start grids per member per generation (with the "
                     "pool and >= 2, the highest-loss one is replaced by the seed).")
flags.DEFINE_float("adam_lr", 2e-3, "Adam learning rate.")
flags.DEFINE_float("adam_average", 0.99, "Adam: the trained parameters are a moving average of "
                   "the iterates with at most this decay (Polyak averaging), in [0, 1); 0: the "
                   "iterates themselves.")
flags.DEFINE_enum("lr_schedule", "constant", ["constant", "piecewise"], "Adam lr schedule: "
                  "constant, or piecewise (x0.1 after --lr_decay_at iterations).")
flags.DEFINE_integer("lr_decay_at", 2000, "Adam, piecewise schedule: the iteration after which "
                     "the lr is x0.1 (Mordvintsev's 2000).")
flags.DEFINE_integer("batch_size", 8, "Adam batch size.")
flags.DEFINE_bool("grad_norm", True, "Adam: normalise each variable's gradient.")
flags.DEFINE_enum("adam_loss", "final", ["final", "window"], "Adam loss: MSE after the "
                  "rollout, or averaged over steps min_steps..max_steps of it.")
flags.DEFINE_integer("adam_damage", 0, "Adam: erase a random disc from this many lowest-loss "
                     "grids of each batch (regeneration training; 0: off).")
flags.DEFINE_integer("adam_pool_size", 32, "Adam: sample pool size (>= batch_size).")
flags.DEFINE_integer("es_pool_size", 1024, "ES: sample pool size (>= es_batch).")
flags.DEFINE_integer("min_steps", 30, "Fewest NCA steps per rollout.")
flags.DEFINE_integer("max_steps", 39, "Most NCA steps per rollout.")
flags.DEFINE_integer("channels", 16, "State channels per cell (RGBA + hidden channels, >= 4).")
flags.DEFINE_integer("hidden", 32, "Hidden units of the update rule.")
flags.DEFINE_bool("bias", False, "Use biases in the update rule.")
flags.DEFINE_float("fire_rate", 0.5, "Stochastic update probability per cell, in (0, 1].")
flags.DEFINE_integer("seed", 0, "Random seed.")
flags.DEFINE_float("target_loss", 0.003, "Stop when the loss on fresh rollouts is <= this.")
flags.DEFINE_float("max_seconds", 180.0, "Training time limit per optimizer (s); each stops "
                   "earlier at --target_loss.")
flags.DEFINE_integer("max_iterations", 0, "Iteration limit per optimizer (0: none).")
flags.DEFINE_integer("eval_every", 25, "Iterations between fresh-rollout evaluations.")
flags.DEFINE_integer("checkpoint_every", 200, "Iterations between checkpoints.")
flags.DEFINE_bool("progress", True, "Show a progress bar.")
flags.DEFINE_string("devices", "auto", "Devices to split the ES population over: N, 'all', or "
                    "'auto' (the most that divide --population; on a CPU each core is a device).")
flags.DEFINE_string("out", None, "Output folder (rerun with the same folder to resume).")


def _floats(name: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in getattr(F, name))
    except ValueError:
        fail(f"--{name}={','.join(getattr(F, name))}: expected comma-separated numbers")


def build_config():
    """Flags → :class:`GrowConfig`; every rule is checked by the configs themselves."""
    from nca_jax.jobs.grow import GrowConfig
    from nca_jax.nca.growing import ModelConfig
    from nca_jax.train.adam import AdamConfig
    from nca_jax.train.es import ESConfig

    require(F.out is not None, "--out is required: give an output folder")
    with within("model"):
        mcfg = ModelConfig(channels=F.channels, hidden=F.hidden, use_bias=F.bias,
                           fire_rate=F.fire_rate)
    with within("es"):
        es = ESConfig(strategy=F.strategy, population=F.population, sigma=F.sigma,
                      optimizer=F.es_optimizer, lr=F.es_lr, antithetic=F.antithetic,
                      std_lr=F.std_lr, max_velocity=F.max_velocity, elite_ratio=F.elite_ratio,
                      fitness=F.es_fitness, reseed_every=F.reseed_every,
                      pool_below=F.pool_below, average=F.es_average,
                      decay_thresholds=_floats("decay_thresholds"),
                      decay_factors=_floats("decay_factors"),
                      batch_size=F.es_batch, min_steps=F.min_steps,
                      max_steps=F.max_steps, pool=F.pool, pool_size=F.es_pool_size)
    with within("adam"):
        adam = AdamConfig(lr=F.adam_lr, lr_schedule=F.lr_schedule, lr_decay_at=F.lr_decay_at,
                          batch_size=F.batch_size,
                          min_steps=F.min_steps, max_steps=F.max_steps, grad_norm=F.grad_norm,
                          loss=F.adam_loss, damage=F.adam_damage, average=F.adam_average,
                          pool=F.pool, pool_size=F.adam_pool_size)
    return GrowConfig(
        target=F.target, size=F.size, padding=F.padding, optimizer=F.optimizer, seed=F.seed,
        target_loss=F.target_loss, max_seconds=F.max_seconds, max_iterations=F.max_iterations,
        eval_every=F.eval_every, checkpoint_every=F.checkpoint_every, progress=F.progress,
        model=mcfg, adam=adam, es=es)


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


# config fields whose flag is not named after them (the rest: see runio.cli.flag_for)
FLAG_NAMES = {"es.batch_size": "es_batch", "model.use_bias": "bias", "adam.loss": "adam_loss",
              "es.fitness": "es_fitness", "es.average": "es_average",
              "adam.average": "adam_average", "es.optimizer": "es_optimizer"}

if __name__ == "__main__":
    run(main, FLAG_NAMES)
