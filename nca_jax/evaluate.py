"""Loss of a parameter set on fresh rollouts from the seed (the number both trainers are
compared on)."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from nca_jax import losses, model


@partial(jax.jit, static_argnames=("config", "n_samples", "min_steps", "max_steps"))
def fresh_loss(
    params,
    target: jnp.ndarray,
    key: jax.Array,
    config: model.ModelConfig,
    n_samples: int = 16,
    min_steps: int = 30,
    max_steps: int = 39,
) -> jnp.ndarray:
    """Mean MSE of ``n_samples`` rollouts from the seed, sample ``i`` run for
    ``min_steps + i mod (max_steps - min_steps + 1)`` steps, each with its own fire masks."""
    h, w = target.shape[:2]
    x0 = model.seed(config, h, w)
    n = min_steps + jnp.arange(n_samples) % (max_steps - min_steps + 1)
    keys = jax.random.split(key, n_samples)
    ys = jax.vmap(lambda k, t: model.rollout(params, x0, k, t, config))(keys, n)
    return jnp.mean(losses.mse(ys, target))
