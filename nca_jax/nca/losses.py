"""Losses of growing-NCA states against a target image."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from nca_jax.nca import growing


def mse(x: jnp.ndarray, target: jnp.ndarray) -> jnp.ndarray:
    """Per-grid mean squared error on RGBA: ``(..., H, W, C)`` vs ``(H, W, 4)`` → ``(...)``."""
    return jnp.mean(jnp.square(x[..., :4] - target), axis=(-3, -2, -1))


@partial(jax.jit, static_argnames=("config", "n_samples", "min_steps", "max_steps"))
def fresh_loss(
    params,
    target: jnp.ndarray,
    key: jax.Array,
    config: growing.ModelConfig,
    n_samples: int = 16,
    min_steps: int = 30,
    max_steps: int = 39,
) -> jnp.ndarray:
    """Loss of a parameter set on fresh rollouts from the seed (the number every trainer
    is judged by): mean MSE of ``n_samples`` rollouts, sample ``i`` run for
    ``min_steps + i mod (max_steps - min_steps + 1)`` steps, each with its own fire masks."""
    h, w = target.shape[:2]
    x0 = growing.seed(config, h, w)
    n = min_steps + jnp.arange(n_samples) % (max_steps - min_steps + 1)
    keys = jax.random.split(key, n_samples)
    ys = jax.vmap(lambda k, t: growing.rollout(params, x0, k, t, config))(keys, n)
    return jnp.mean(mse(ys, target))


def window(params, x, key, target, mcfg: growing.ModelConfig, min_steps: int, max_steps: int):
    """Grids after ``max_steps`` steps and their MSE averaged over steps min..max (a loss
    that asks the shape to be right, and to stay right, over a window of steps;
    differentiable). Step ``t`` draws its fire mask as :func:`growing.rollout` does."""

    def body(carry, t):
        x, acc = carry
        x = growing.step(params, x, jax.random.fold_in(key, t), mcfg)
        acc = acc + jnp.where(t + 1 >= min_steps, mse(x, target), 0.0)
        return (x, acc), None

    acc0 = jnp.zeros(x.shape[:-3], jnp.float32)
    (y, acc), _ = jax.lax.scan(body, (x, acc0), jnp.arange(max_steps))
    return y, acc / (max_steps - min_steps + 1)
