"""The growing NCA: a Flax update rule and the pure functions ``step`` and ``rollout``.

State: ``(..., H, W, C)`` float32, RGBA in channels 0–3 (RGB premultiplied by alpha),
channels 4.. hidden. One step (Mordvintsev et al. 2020):

1. ``pre``  = alive mask of the input (3×3 max-pool of alpha > threshold);
2. ``dx``   = update rule (1×1 layers) of the perception vector of each cell;
3. ``x + dx * m``, with ``m`` one Bernoulli(fire_rate) draw per cell, shared by every
   channel and *not* rescaled by 1/fire_rate;
4. multiply by ``pre & post`` where ``post`` is the alive mask of the result.

Every function here works for one parameter set and any batch shape; a population is
``jax.vmap`` over the parameter pytree.
"""

from __future__ import annotations

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp

from nca_jax.nca import perception, rand
from nca_jax.nca import rollout as rollouts
from runio.errors import check


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    channels: int = 16
    hidden: int = 32
    use_bias: bool = False
    fire_rate: float = 0.5
    filters: tuple[str, ...] = perception.DEFAULT_FILTERS
    padding: str = "zero"
    alive_threshold: float = 0.1

    def __post_init__(self):
        perception.check_filters(self.filters)
        check(self.padding in perception.PADDINGS, "padding",
              f"must be one of {perception.PADDINGS}, got {self.padding!r}")
        check(0.0 < self.fire_rate <= 1.0, "fire_rate", f"must be in (0, 1], got {self.fire_rate}")
        check(4 <= self.channels <= 256, "channels",
              f"must be in [4, 256] (RGBA + hidden), got {self.channels}")
        check(1 <= self.hidden <= 4096, "hidden", f"must be in [1, 4096], got {self.hidden}")
        check(0.0 <= self.alive_threshold < 1.0, "alive_threshold",
              f"must be in [0, 1), got {self.alive_threshold}")


class UpdateRule(nn.Module):
    """Per-cell MLP (1×1 convolutions): perception vector → state increment."""

    channels: int
    hidden: int
    use_bias: bool = False

    @nn.compact
    def __call__(self, p: jnp.ndarray) -> jnp.ndarray:
        # the cells as the rows of one matrix: on a (..., H, W, C) array XLA:CPU transposes
        # and copies the activations for the weights' gradient (the texture rule's backward
        # pass 4.6 → 2.7 ms at 2 × 64 × 64 cells)
        lead, p = p.shape[:-1], p.reshape(-1, p.shape[-1])
        h = nn.relu(nn.Dense(self.hidden, use_bias=self.use_bias, name="hidden")(p))
        return nn.Dense(
            self.channels,
            use_bias=self.use_bias,
            kernel_init=nn.initializers.zeros,
            name="out",
        )(h).reshape(*lead, -1)


def rule(config: ModelConfig) -> UpdateRule:
    return UpdateRule(config.channels, config.hidden, config.use_bias)


def init_params(key: jax.Array, config: ModelConfig):
    """Parameters of the update rule (last layer zero: the first steps change nothing)."""
    p = jnp.zeros((1, len(config.filters) * config.channels), jnp.float32)
    return rule(config).init(key, p)["params"]


def seed(config: ModelConfig, height: int, width: int) -> jnp.ndarray:
    """A grid with one live cell in the centre: channels ≥ 3 set to 1."""
    x = jnp.zeros((height, width, config.channels), jnp.float32)
    return x.at[height // 2, width // 2, 3:].set(1.0)


def alive(x: jnp.ndarray, config: ModelConfig) -> jnp.ndarray:
    """Boolean ``(..., H, W)``: some cell in the 3×3 neighbourhood has alpha > threshold."""
    return perception.max_pool3(x[..., 3], config.padding) > config.alive_threshold


def step(params, x: jnp.ndarray, key: jax.Array, config: ModelConfig) -> jnp.ndarray:
    """One NCA update of ``x`` of shape ``(..., H, W, C)``."""
    if config.fire_rate < 1.0:
        fire = rand.uniform(key, x.shape[:-1] + (1,)) < config.fire_rate
    else:
        fire = None
    return step_with_fire(params, x, fire, config)


def step_with_fire(params, x: jnp.ndarray, fire, config: ModelConfig) -> jnp.ndarray:
    """One NCA update with a given update mask ``fire`` (``(..., H, W, 1)`` booleans, or
    ``None``: every cell updates) — how the browser page is checked against JAX."""
    pre = alive(x, config)
    p = perception.perceive(x, config.filters, config.padding)
    dx = rule(config).apply({"params": params}, p)
    if fire is not None:
        dx = dx * fire
    x = x + dx
    post = alive(x, config)
    return x * (pre & post)[..., None].astype(x.dtype)


def rollout(params, x, key: jax.Array, n_steps, config: ModelConfig) -> jnp.ndarray:
    """Final state after ``n_steps`` steps (may be traced: forward use only); step ``t``
    draws its fire mask from ``fold_in(key, t)``."""
    return rollouts.final(lambda x, k: step(params, x, k, config), x, key, n_steps)


def rollout_masked(params, x, key: jax.Array, n_steps, max_steps: int, config: ModelConfig):
    """Like :func:`rollout` but differentiable: scans ``max_steps`` steps, keeps ``n_steps``."""
    return rollouts.masked(lambda x, k: step(params, x, k, config), x, key, n_steps, max_steps)


def trajectory(params, x, key: jax.Array, n_steps: int, config: ModelConfig) -> jnp.ndarray:
    """States at steps 0..n_steps, shape ``(n_steps + 1, ..., H, W, C)``."""
    return rollouts.trajectory(lambda x, k: step(params, x, k, config), x, key, n_steps)
