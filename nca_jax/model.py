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

from nca_jax import perception, rand
from runio.cli import BadInput


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
        if self.padding not in perception.PADDINGS:
            raise BadInput(f"padding must be one of {perception.PADDINGS}")
        if not 0.0 < self.fire_rate <= 1.0:
            raise BadInput(f"fire_rate must be in (0, 1], got {self.fire_rate}")
        if self.channels < 4 or self.hidden < 1:
            raise BadInput("need channels >= 4 (RGBA) and hidden >= 1")


class UpdateRule(nn.Module):
    """Per-cell MLP (1×1 convolutions): perception vector → state increment."""

    channels: int
    hidden: int
    use_bias: bool = False

    @nn.compact
    def __call__(self, p: jnp.ndarray) -> jnp.ndarray:
        h = nn.relu(nn.Dense(self.hidden, use_bias=self.use_bias, name="hidden")(p))
        return nn.Dense(
            self.channels,
            use_bias=self.use_bias,
            kernel_init=nn.initializers.zeros,
            name="out",
        )(h)


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
    pre = alive(x, config)
    p = perception.perceive(x, config.filters, config.padding)
    dx = rule(config).apply({"params": params}, p)
    if config.fire_rate < 1.0:
        fire = rand.uniform(key, x.shape[:-1] + (1,)) < config.fire_rate
        dx = dx * fire
    x = x + dx
    post = alive(x, config)
    return x * (pre & post)[..., None].astype(x.dtype)


def rollout(params, x, key: jax.Array, n_steps, config: ModelConfig) -> jnp.ndarray:
    """Final state after ``n_steps`` steps (``n_steps`` may be traced: forward use only).

    Step ``t`` draws its fire mask from ``fold_in(key, t)``.
    """

    def body(t, x):
        return step(params, x, jax.random.fold_in(key, t), config)

    return jax.lax.fori_loop(0, n_steps, body, x)


def rollout_masked(params, x, key: jax.Array, n_steps, max_steps: int, config: ModelConfig):
    """Like :func:`rollout` but differentiable: scans ``max_steps`` steps, keeps ``n_steps``.

    Gives the same states as :func:`rollout` (same per-step keys).
    """

    def body(x, t):
        y = step(params, x, jax.random.fold_in(key, t), config)
        return jnp.where(t < n_steps, y, x), None

    x, _ = jax.lax.scan(body, x, jnp.arange(max_steps))
    return x


def trajectory(params, x, key: jax.Array, n_steps: int, config: ModelConfig) -> jnp.ndarray:
    """States at steps 0..n_steps, shape ``(n_steps + 1, ..., H, W, C)``."""

    def body(x, t):
        y = step(params, x, jax.random.fold_in(key, t), config)
        return y, y

    _, xs = jax.lax.scan(body, x, jnp.arange(n_steps))
    return jnp.concatenate([x[None], xs], axis=0)
