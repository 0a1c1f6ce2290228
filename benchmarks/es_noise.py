"""Where an ES generation's noise comes from on a trained growing NCA: the fire masks or the
population.

    python -m benchmarks.es_noise                                   # the kept ES rabbit
    python -m benchmarks.es_noise --model=carrot_15_es_stage4 --batches=1,4,8

At a kept model's parameters, for each number of start grids per member ``B`` (the job's
``--es_batch``; every grid a seed, the loss the window MSE of ``--es_fitness=window``):

- ``mask_cos``: the median cosine between the autodiff gradients of two independent sets of
  ``B`` rollouts (other fire masks). Near 0, a generation's direction is the masks', not the
  expected loss's: only averaging over generations (a small learning rate) finds the latter.
- ``pop_cos``: the median cosine between two OpenAI-ES estimates (:func:`es_gradient.
  es_estimate`, ``--population`` members) on the same masks with independent perturbations,
  beside ``pop_cos_linear``, the value on a linear loss of as many parameters:
  ``pairs / (pairs + d − 1)``.

No timing: the numbers do not depend on the machine.
"""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from absl import flags
from jax.flatten_util import ravel_pytree

from benchmarks import common
from benchmarks.es_gradient import cosine, es_estimate

MODELS = Path(__file__).parent / "models"

flags.DEFINE_string("model", "rabbit_face_15_es_stage2", "A kept model under benchmarks/models/.")
flags.DEFINE_list("batches", ["1", "8"], "Start grids per member (the job's --es_batch).")
flags.DEFINE_integer("population", 1024, "ES population (mirrored pairs: half of it).")
flags.DEFINE_float("sigma", 0.005, "Perturbation σ.")
flags.DEFINE_integer("draws", 4, "Independent pairs of mask sets, and of perturbation draws.")
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


def noise(loss, v, batch: int, population: int, sigma: float, draws: int, key) -> dict:
    """``mask_cos`` and ``pop_cos`` at ``v`` (see the module)."""
    grad = jax.jit(jax.grad(loss), static_argnums=2)
    k_masks, k_pop = jax.random.split(key)
    masks = jax.random.split(k_masks, 2 * draws)
    mask_cos = [cosine(grad(v, masks[2 * i], batch), grad(v, masks[2 * i + 1], batch))
                for i in range(draws)]
    estimate = jax.jit(lambda k_m, k_e: es_estimate(lambda u: loss(u, k_m, batch), v, sigma,
                                                    population, k_e))
    pops = jax.random.split(k_pop, 2 * draws)
    pop_cos = [cosine(estimate(masks[i], pops[2 * i]), estimate(masks[i], pops[2 * i + 1]))
               for i in range(draws)]
    pairs = population // 2
    return {"mask_cos": float(np.median(mask_cos)), "pop_cos": float(np.median(pop_cos)),
            "pop_cos_linear": pairs / (pairs + v.size - 1)}


def main(argv):
    del argv
    from nca_jax.runs import load_run

    try:
        batches = [int(b) for b in FLAGS.batches]
    except ValueError:
        common.fail(f"--batches: whole numbers >= 1, got {','.join(FLAGS.batches)}")
    if min(batches) < 1 or FLAGS.population < 2 or FLAGS.population % 2:
        common.fail(f"--batches must be >= 1 and --population even and >= 2, got "
                    f"{FLAGS.batches} and {FLAGS.population}")
    folder = MODELS / FLAGS.model
    if not (folder / "summary.json").is_file():
        common.fail(f"--model: {FLAGS.model} is not a kept model under {MODELS}")
    run = load_run(folder)
    loss, v = window_loss(run)
    results = common.Results("es_noise")
    for b in batches:
        results.emit({"model": FLAGS.model, "parameters": int(v.size), "batch": b,
                      "population": FLAGS.population, "sigma": FLAGS.sigma,
                      "draws": FLAGS.draws,
                      **noise(loss, v, b, FLAGS.population, FLAGS.sigma, FLAGS.draws,
                              jax.random.PRNGKey(0))})
    results.close()


if __name__ == "__main__":
    common.run(main)
