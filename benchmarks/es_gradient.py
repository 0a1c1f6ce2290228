"""How well an antithetic ES estimate points along the true gradient, against σ.

    python -m benchmarks.es_gradient            # growing NCA and texture NCA
    python -m benchmarks.es_gradient --quick    # growing NCA only, fewer σ

For one rollout (one start grid, one key: the common random numbers every ES generation
uses), the cosine between OpenAI-ES's mirrored-sampling estimate from ``population``
members and the autodiff gradient of the same rollout's loss, median over ``draws``
perturbation draws. For a linear (or quadratic: mirroring cancels its curvature) loss the
squared cosine follows a Beta(n/2, (d − 1)/2) law of mean n / (n + d − 1) (``n`` mirrored
pairs, ``d`` parameters: :func:`linear_cosine`); below it, the loss's higher-order terms
at the scale σ · √d drown the first-order term. Points: the growing NCA (9×9 carrot) at
its initialisation and after Adam steps, the texture NCA (spots, 32×32) at its zero-output
initialisation (the flat image) and after Adam steps. No timing: the numbers do not depend
on the machine.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
from absl import flags
from jax.flatten_util import ravel_pytree

from benchmarks import common

FLAGS = flags.FLAGS


def define_flags() -> None:
    """This benchmark's flags, defined only when it runs (the tests import its functions
    beside other benchmarks that define ``--quick``)."""
    flags.DEFINE_bool("quick", False, "The growing NCA only, three values of σ.")
    flags.DEFINE_integer("population", 64, "ES population (mirrored pairs: half of it).")
    flags.DEFINE_integer("draws", 4, "Perturbation draws per point and σ (median reported).")


SIGMAS = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.015, 0.03)
QUICK_SIGMAS = (1e-3, 0.015, 0.03)


def es_estimate(loss, v: jax.Array, sigma: float, population: int, key: jax.Array) -> jax.Array:
    """OpenAI-ES's gradient estimate of ``loss`` at the flat vector ``v``: ``population / 2``
    mirrored pairs, ``Σ (f(v + σε) − f(v − σε)) ε / (population σ)``."""
    eps = jax.random.normal(key, (population // 2, v.size), v.dtype)
    diff = jax.vmap(lambda e: loss(v + sigma * e) - loss(v - sigma * e))(eps)
    return diff @ eps / (population * sigma)


def cosine(a: jax.Array, b: jax.Array) -> float:
    return float(a @ b / (jnp.linalg.norm(a) * jnp.linalg.norm(b)))


def linear_cosine(pairs: int, d: int) -> float:
    """The root mean squared cosine an estimate from ``pairs`` mirrored pairs reaches on a
    linear loss of ``d`` parameters (see the module)."""
    return float(np.sqrt(pairs / (pairs + d - 1)))


def gradient_cosines(loss, v, sigmas, population: int, draws: int, key) -> dict:
    """``{σ: median cosine}`` of :func:`es_estimate` against ``jax.grad(loss)(v)``."""
    g = jax.grad(loss)(v)
    estimate = jax.jit(es_estimate, static_argnums=(0, 3))
    keys = jax.random.split(key, draws)
    return {s: float(np.median([cosine(estimate(loss, v, s, population, k), g) for k in keys]))
            for s in sigmas}


def _adam_points(loss_at, v0, steps: tuple[int, ...], lr: float):
    """``{name: v}``: ``v0`` and the points after each of ``steps`` Adam iterations on
    normalised gradients of ``loss_at(v, key)`` over fresh keys."""
    opt = optax.adam(lr)
    grad = jax.jit(jax.grad(loss_at))
    points, v, state = {"init": v0}, v0, opt.init(v0)
    for i in range(1, max(steps, default=0) + 1):
        g = grad(v, jax.random.PRNGKey(1000 + i))
        update, state = opt.update(g / (jnp.linalg.norm(g) + 1e-8), state)
        v = v + update
        if i in steps:
            points[f"adam {i}"] = v
    return points


def growing_points(adam_steps=(100, 300)):
    """``(loss_at(v, key), {name: v})`` of the growing NCA on the 9×9 carrot (35 steps)."""
    from nca_jax.nca import growing, losses
    from nca_jax.targets.growing import load_target

    mcfg = growing.ModelConfig()
    target = jnp.asarray(load_target("carrot", 9))
    x0 = growing.seed(mcfg, 9, 9)
    v0, unravel = ravel_pytree(growing.init_params(jax.random.PRNGKey(0), mcfg))

    def loss_at(v, key):
        return losses.mse(growing.rollout_masked(unravel(v), x0, key, 35, 35, mcfg), target)

    return loss_at, _adam_points(loss_at, v0, adam_steps, 2e-3)


def texture_points(adam_steps=(300,)):
    """``(loss_at(v, key), {name: v})`` of the default texture NCA on 32×32 spots
    (24 steps, VGG16 style loss + overflow, as the texture trainer)."""
    from nca_jax.jobs import texture as job
    from nca_jax.nca import texture as tm
    from nca_jax.targets.textures import load_texture
    from nca_jax.train import texture as tt

    config = job.TextureConfig(train=tt.TextureTrainConfig(batch_size=1))
    mcfg = config.model
    loss_fn, data = job.make_loss(config, np.asarray(load_texture("grayscott:spots", 32)),
                                  jax.random.PRNGKey(1))
    x = tm.seed(None, mcfg, 32, 32)[None]
    v0, unravel = ravel_pytree(tm.init_params(jax.random.PRNGKey(0), mcfg))

    def loss_at(v, key):
        return tt.batch_loss(unravel(v), x, key, 24, loss_fn, data, mcfg, config.train,
                             mcfg.update_rate)[0]

    return loss_at, _adam_points(loss_at, v0, adam_steps, 4e-3)


def main(argv):
    del argv
    common.require(FLAGS.population >= 2 and FLAGS.population % 2 == 0,
                   f"--population: must be even and >= 2, got {FLAGS.population}")
    common.require(FLAGS.draws >= 1, f"--draws: must be >= 1, got {FLAGS.draws}")
    results = common.Results("es_gradient")
    sigmas = QUICK_SIGMAS if FLAGS.quick else SIGMAS
    models = {"growing 9x9 carrot": growing_points}
    if not FLAGS.quick:
        models["texture 32x32 spots"] = texture_points
    for model, build in models.items():
        loss_at, points = build()
        key = jax.random.PRNGKey(7)  # the one rollout (common random numbers)
        for point, v in points.items():
            loss = jax.jit(lambda v: loss_at(v, key))
            cos = gradient_cosines(loss, v, sigmas, FLAGS.population, FLAGS.draws,
                                   jax.random.PRNGKey(200))
            results.emit({"model": model, "point": point, "loss": float(loss(v)),
                          "d": int(v.size), "population": FLAGS.population,
                          "linear": linear_cosine(FLAGS.population // 2, v.size),
                          "cosine": {f"{s:g}": round(c, 3) for s, c in cos.items()}})
    results.close()


if __name__ == "__main__":
    define_flags()
    common.run(main)
