"""Grow an emoji from one seed cell with OpenAI-ES and/or Adam (the project's main job).

    python -m nca_jax.grow --out=runs/grow                       # both, 9×9 carrot
    python -m nca_jax.grow --optimizer=es --target=rabbit_face --size=15 --out=runs/rabbit

Flags → :class:`nca_jax.experiment.GrowConfig` → :func:`nca_jax.experiment.run`.
"""

from __future__ import annotations

import dataclasses
import math
import sys

from absl import flags, logging

from runio import devices
from runio.cli import fail, require, run

F = flags.FLAGS
flags.DEFINE_enum("optimizer", "both", ["both", "es", "adam"], "Which trainer(s) to run.")
flags.DEFINE_string("target", "carrot", "Emoji (🥕, carrot, rabbit_face, lizard, 1F955) or image file.")
flags.DEFINE_integer("size", 9, "Target size in cells (>= 3).")
flags.DEFINE_integer("padding", 0, "Empty cells around the target.")
flags.DEFINE_bool("pool", None, "Sample pool on/off for both trainers (default: ES off, Adam on).")
flags.DEFINE_integer("population", 64, "ES population size (even with antithetic sampling).")
flags.DEFINE_float("sigma", 0.015, "ES perturbation standard deviation σ (> 0; thesis 0.01).")
flags.DEFINE_enum("es_optimizer", "adam", ["adam", "sgd"], "Optimizer applied to the ES gradient.")
flags.DEFINE_float("es_lr", 0.015, "ES learning rate.")
flags.DEFINE_bool("antithetic", True, "ES antithetic (mirrored) sampling.")
flags.DEFINE_list("decay_thresholds", ["0.03", "0.01"], "ES: mean-loss thresholds for lr decay.")
flags.DEFINE_list("decay_factors", ["0.3", "0.5"], "ES: lr multipliers at those thresholds.")
flags.DEFINE_integer("es_batch", 0, "ES: start grids per member per generation "
                     "(0: 1 without pool, 2 with pool; the pool needs >= 2).")
flags.DEFINE_float("adam_lr", 2e-3, "Adam learning rate.")
flags.DEFINE_enum("lr_schedule", "constant", ["constant", "piecewise"], "Adam lr schedule.")
flags.DEFINE_integer("batch_size", 8, "Adam batch size.")
flags.DEFINE_bool("grad_norm", True, "Adam: normalise each variable's gradient.")
flags.DEFINE_integer("pool_size", 1024, "Sample pool size.")
flags.DEFINE_integer("min_steps", 30, "Fewest NCA steps per rollout.")
flags.DEFINE_integer("max_steps", 39, "Most NCA steps per rollout.")
flags.DEFINE_integer("hidden", 32, "Hidden units of the update rule.")
flags.DEFINE_bool("bias", False, "Use biases in the update rule.")
flags.DEFINE_float("fire_rate", 0.5, "Stochastic update probability per cell, in (0, 1].")
flags.DEFINE_integer("seed", 0, "Random seed.")
flags.DEFINE_float("target_loss", 0.003, "Stop when the loss on fresh rollouts is <= this.")
flags.DEFINE_float("max_seconds", 40.0, "Training time limit per optimizer (s).")
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
    from nca_jax import experiment, model, train_adam, train_es

    require(F.out is not None, "--out is required: give an output folder")
    require(F.size >= 3, f"--size={F.size}: must be an integer >= 3")
    require(F.padding >= 0, f"--padding={F.padding}: must be >= 0")
    require(0.0 < F.fire_rate <= 1.0, f"--fire_rate={F.fire_rate}: must be in (0, 1]")
    require(F.sigma > 0 and math.isfinite(F.sigma), f"--sigma={F.sigma}: must be > 0")
    require(F.population >= 2, f"--population={F.population}: must be >= 2")
    require(not (F.antithetic and F.population % 2),
            f"--population={F.population}: must be even with --antithetic (or pass --noantithetic)")
    require(F.es_lr > 0, f"--es_lr={F.es_lr}: must be > 0")
    require(F.adam_lr > 0, f"--adam_lr={F.adam_lr}: must be > 0")
    require(F.batch_size >= 1, f"--batch_size={F.batch_size}: must be >= 1")
    require(F.es_batch >= 0, f"--es_batch={F.es_batch}: must be >= 0")
    require(F.hidden >= 1, f"--hidden={F.hidden}: must be >= 1")
    require(1 <= F.min_steps <= F.max_steps,
            f"--min_steps={F.min_steps}, --max_steps={F.max_steps}: need 1 <= min_steps <= max_steps")
    require(F.target_loss > 0, f"--target_loss={F.target_loss}: must be > 0")
    require(F.max_seconds > 0 or F.max_iterations > 0,
            "--max_seconds / --max_iterations: at least one must be > 0")
    require(F.max_iterations >= 0, f"--max_iterations={F.max_iterations}: must be >= 0")
    require(F.eval_every >= 1, f"--eval_every={F.eval_every}: must be >= 1")
    require(F.checkpoint_every >= 1, f"--checkpoint_every={F.checkpoint_every}: must be >= 1")
    thresholds, factors = _floats("decay_thresholds"), _floats("decay_factors")
    require(len(thresholds) == len(factors),
            "--decay_thresholds / --decay_factors: need the same number of values")
    require(all(0 < f <= 1 for f in factors), "--decay_factors: each must be in (0, 1]")
    pool_es = False if F.pool is None else F.pool
    pool_adam = True if F.pool is None else F.pool
    es_batch = F.es_batch or (2 if pool_es else 1)
    require(not (pool_es and es_batch < 2),
            f"--es_batch={F.es_batch}: the ES pool needs >= 2 (with 1 the grid is always reseeded)")
    for p, bs in ((pool_es, es_batch), (pool_adam, F.batch_size)):
        require(not p or F.pool_size >= bs, f"--pool_size={F.pool_size}: must be >= the batch size")
    mcfg = model.ModelConfig(hidden=F.hidden, use_bias=F.bias, fire_rate=F.fire_rate)
    es = dataclasses.replace(
        train_es.ESConfig(), population=F.population, sigma=F.sigma, optimizer=F.es_optimizer,
        lr=F.es_lr, antithetic=F.antithetic, decay_thresholds=thresholds, decay_factors=factors,
        batch_size=es_batch, min_steps=F.min_steps, max_steps=F.max_steps, pool=pool_es,
        pool_size=F.pool_size, devices=devices.parse_devices(F.devices, F.population))
    adam = train_adam.AdamConfig(
        lr=F.adam_lr, lr_schedule=F.lr_schedule, batch_size=F.batch_size, min_steps=F.min_steps,
        max_steps=F.max_steps, grad_norm=F.grad_norm, pool=pool_adam, pool_size=F.pool_size)
    return experiment.GrowConfig(
        target=F.target, size=F.size, padding=F.padding, optimizer=F.optimizer, seed=F.seed,
        target_loss=F.target_loss, max_seconds=F.max_seconds, max_iterations=F.max_iterations,
        eval_every=F.eval_every, checkpoint_every=F.checkpoint_every, progress=F.progress,
        model=mcfg, adam=adam, es=es)


def main(argv):
    require(len(argv) == 1, f"unexpected arguments {argv[1:]}; all options are --flags")
    logging.set_verbosity(logging.WARNING)  # orbax logs every save at INFO
    devices.use_cpu_cores()  # before anything runs JAX (importing evosax does)
    from nca_jax import experiment, targets

    devices.initialize()
    config = build_config()
    targets.load_target(config.target, config.size, config.padding)  # bad target: exit 2 now
    try:
        summaries = experiment.run(config, F.out)
    except experiment.Diverged as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    for name, s in summaries.items():
        t = f"{s['time_to_target_s']:.1f} s" if s["reached_target"] else "not reached"
        print(f"{name}: final loss {s['final_loss']:.5f}, target {t}, "
              f"{s['iterations']} iterations, {s['wall_time_s']:.1f} s")
    print(f"results in {F.out}")


if __name__ == "__main__":
    run(main)
