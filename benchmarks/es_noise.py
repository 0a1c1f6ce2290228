"""Where an ES generation's noise comes from on a trained growing NCA: the fire masks or the
population.

    python -m benchmarks.es_noise                                   # the kept ES rabbit
    python -m benchmarks.es_noise --model=carrot_15_es_stage4 --sigma=0.0025

At a kept model's parameters, with the loss of ``--es_fitness=window`` (the MSE averaged over
the run's steps min..max of a rollout from the seed):

- ``signal``: the share of one rollout's squared gradient norm that is the expected
  gradient's, ``|E g|² / E|g|²``, estimated without bias from ``--rollouts`` single-rollout
  autodiff gradients, each with its own fire masks: ``(K|ḡ|² − mean|g|²) / ((K − 1)
  mean|g|²)``, with its jackknife standard error ``signal_se``. A mean over ``B`` rollouts
  has ``signal / (signal + (1 − signal) / B)``; ``rollouts_for_half`` = ``(1 − signal) /
  signal`` rollouts make it one half.
- ``pop_cos``: the median cosine between two OpenAI-ES estimates
  (:func:`es_gradient.es_estimate`, ``--population`` members) of the same rollout's loss
  with independent perturbations, beside ``pop_cos_linear``, its value on a linear loss of as
  many parameters, ``pairs / (pairs + d − 1)``.

No timing: the numbers do not depend on the machine.
"""

from __future__ import annotations


import jax
import jax.numpy as jnp
import numpy as np
from absl import flags
from jax.flatten_util import ravel_pytree

from benchmarks import common
from benchmarks.es_gradient import cosine, es_estimate

MODELS = common.MODELS

flags.DEFINE_string("model", "rabbit_face_15_es_stage3", "A kept model under benchmarks/models/.")
flags.DEFINE_integer("rollouts", 64, "Single-rollout gradients behind the signal share (>= 3).")
flags.DEFINE_integer("population", 1024, "ES population (mirrored pairs: half of it).")
flags.DEFINE_float("sigma", 0.005, "Perturbation σ.")
flags.DEFINE_integer("draws", 4, "Pairs of ES estimates behind the population cosine.")
FLAGS = flags.FLAGS


def window_loss(run):
    """``loss(v, key, batch)``: the window MSE (steps min..max of the run's ES config) of
    ``batch`` rollouts from the seed at the flat parameters ``v``, and the flat parameters."""
    from nca_jax.nca import growing, losses

    target = jnp.asarray(run.target)
    lo, hi = run.config["es"]["min_steps"], run.config["es"]["max_steps"]
    v0, unravel = ravel_pytree(run.params)
    seed = growing.seed(run.model, *target.shape[:2])

    def loss(v, key, batch: int):
        x0 = jnp.broadcast_to(seed, (batch, *seed.shape))
        return jnp.mean(losses.window(unravel(v), x0, key, target, run.model, lo, hi)[1])

    return loss, v0


def signal_share(g: np.ndarray) -> float:
    """Unbiased ``|E g|² / E|g|²`` from independent gradients ``g`` (K, d), K >= 2."""
    k = g.shape[0]
    sq = np.mean(np.sum(g * g, axis=1))
    mean = g.mean(0)
    return float((k * (mean @ mean) - sq) / ((k - 1) * sq))


def noise(loss, v, rollouts: int, population: int, sigma: float, draws: int, key) -> dict:
    """``signal``, ``signal_se``, ``rollouts_for_half``, ``pop_cos`` and ``pop_cos_linear``
    at ``v`` (see the module); ``loss(v, key, batch)``."""
    grad = jax.jit(jax.grad(loss), static_argnums=2)
    k_masks, k_pop = jax.random.split(key)
    masks = jax.random.split(k_masks, rollouts)
    g = np.stack([np.asarray(grad(v, k, 1), np.float64) for k in masks])
    signal = signal_share(g)
    leave_one_out = [signal_share(np.delete(g, i, axis=0)) for i in range(rollouts)]
    se = float(np.sqrt((rollouts - 1) * np.var(leave_one_out)))  # the jackknife's
    estimate = jax.jit(lambda k_m, k_e: es_estimate(lambda u: loss(u, k_m, 1), v, sigma,
                                                    population, k_e))
    pops = jax.random.split(k_pop, 2 * draws)
    pop_cos = [cosine(estimate(masks[i], pops[2 * i]), estimate(masks[i], pops[2 * i + 1]))
               for i in range(draws)]
    pairs = population // 2
    return {"signal": float(signal), "signal_se": se,
            "rollouts_for_half": float((1 - signal) / signal) if signal > 0 else None,
            "pop_cos": float(np.median(pop_cos)),
            "pop_cos_linear": pairs / (pairs + v.size - 1)}


def main(argv):
    del argv
    from nca_jax.runs import load_run

    if FLAGS.rollouts < 3 or FLAGS.draws < 1 or FLAGS.population < 2 or FLAGS.population % 2:
        common.fail(f"--rollouts must be >= 3, --draws >= 1 and --population even and >= 2, "
                    f"got {FLAGS.rollouts}, {FLAGS.draws} and {FLAGS.population}")
    folder = MODELS / FLAGS.model
    if not (folder / "summary.json").is_file():
        common.fail(f"--model: {FLAGS.model} is not a kept model under {MODELS}")
    run = load_run(folder)
    loss, v = window_loss(run)
    results = common.Results("es_noise")
    results.emit({"model": FLAGS.model, "parameters": int(v.size), "rollouts": FLAGS.rollouts,
                  "population": FLAGS.population, "sigma": FLAGS.sigma, "draws": FLAGS.draws,
                  **noise(loss, v, FLAGS.rollouts, FLAGS.population, FLAGS.sigma, FLAGS.draws,
                          jax.random.PRNGKey(0))})
    results.close()


if __name__ == "__main__":
    common.run(main)
