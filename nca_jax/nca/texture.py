"""The texture NCA (SRNCA / Niklasson et al. 2021): step and rollout on a torus.

State: ``(..., H, W, C)`` float32 with ``C >= 3``; the RGB image is channels 0–2 read as
``clip(x + 0.5, 0, 1)``, the other channels are hidden. One step:

1. ``p``  = fixed perception: each of ``n_filters`` 3×3 kernels applied to every channel
   with circular (wrap-around) padding, filter-major order as in
   :func:`nca_jax.nca.perception.perceive`. The first kernels come from the named bank
   :data:`NAMED_FILTERS` (identity, Laplacian, Sobel x, Sobel y, Moore), the rest are
   random 3×3 kernels drawn from ``filter_seed`` (standard normal / 3); none is learned;
2. ``dx`` = the growing NCA's update rule (:class:`nca_jax.growing.UpdateRule`, 1×1 layers,
   with biases here, last layer zero-initialised) applied to ``p``;
3. ``x + dx * m`` with ``m`` one Bernoulli(``update_rate``) draw per cell, shared by all
   channels and not rescaled;
4. clamp to ``[-STATE_BOUND, STATE_BOUND]``. There is no alive mask.

The seed is a grid of uniform noise in ``[-SEED_NOISE, SEED_NOISE]`` drawn from a key.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from nca_jax.nca import growing, perception, rand
from nca_jax.nca import rollout as rollouts
from runio.errors import check

STATE_BOUND = 1.0
SEED_NOISE = 0.1
MOORE = np.array([[1.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0]]) / 8.0
NAMED_FILTERS = ("identity", "laplacian", "sobel_x", "sobel_y", "moore")
MAX_FILTERS = 16


@dataclasses.dataclass(frozen=True)
class TextureModelConfig:
    channels: int = 9  # including RGB (channels 0-2)
    hidden: int = 96
    n_filters: int = 4
    update_rate: float = 0.5
    filter_seed: int = 0

    def __post_init__(self):
        check(3 <= self.channels <= 64, "channels",
              f"must be in [3, 64] (RGB + hidden), got {self.channels}")
        check(1 <= self.hidden <= 1024, "hidden", f"must be in [1, 1024], got {self.hidden}")
        check(1 <= self.n_filters <= MAX_FILTERS, "n_filters",
              f"must be in [1, {MAX_FILTERS}], got {self.n_filters}")
        check(0.0 < self.update_rate <= 1.0, "update_rate",
              f"must be in (0, 1], got {self.update_rate}")


def _bank(n_filters: int, filter_seed: int) -> tuple[np.ndarray, ...]:
    named = [MOORE if n == "moore" else perception.KERNELS[n] for n in NAMED_FILTERS]
    n_random = max(0, n_filters - len(named))
    with jax.ensure_compile_time_eval():  # may be first called inside a trace
        rand = np.asarray(jax.random.normal(jax.random.PRNGKey(filter_seed), (n_random, 3, 3)))
    rand = rand / 3.0
    bank = named[:n_filters] + list(rand)
    return tuple(np.asarray(k, np.float64) for k in bank)


def filter_bank(config: TextureModelConfig) -> np.ndarray:
    """The fixed kernels ``(n_filters, 3, 3)`` (concrete numpy: constants of the step)."""
    return np.stack(_bank(config.n_filters, config.filter_seed))


def perceive(x: jnp.ndarray, config: TextureModelConfig) -> jnp.ndarray:
    """``(..., H, W, C)`` → ``(..., H, W, n_filters * C)``, circular padding."""
    h, w = x.shape[-3], x.shape[-2]
    xp = perception.pad(x, "circular")
    bank = _bank(config.n_filters, config.filter_seed)
    outs = [perception.apply_kernel(xp, k, h, w) for k in bank]
    return jnp.concatenate(outs, axis=-1)


def rule(config: TextureModelConfig) -> growing.UpdateRule:
    return growing.UpdateRule(config.channels, config.hidden, use_bias=True)


def init_params(key: jax.Array, config: TextureModelConfig):
    p = jnp.zeros((1, config.n_filters * config.channels), jnp.float32)
    return rule(config).init(key, p)["params"]


def seed(key: jax.Array, config: TextureModelConfig, height: int, width: int) -> jnp.ndarray:
    return rand.uniform(key, (height, width, config.channels), jnp.float32,
                        -SEED_NOISE, SEED_NOISE)


def to_rgb(x: jnp.ndarray) -> jnp.ndarray:
    """RGB image in [0, 1] of a state ``(..., H, W, C)``: channels 0–2 plus 0.5, clipped."""
    return jnp.clip(x[..., :3] + 0.5, 0.0, 1.0)


def step(params, x: jnp.ndarray, key: jax.Array, config: TextureModelConfig,
         update_rate=None) -> jnp.ndarray:
    """One texture-NCA update of ``x`` ``(..., H, W, C)``; ``update_rate`` may be traced
    (it overrides ``config.update_rate``, for trials vmapped over the rate)."""
    rate = config.update_rate if update_rate is None else update_rate
    dx = rule(config).apply({"params": params}, perceive(x, config))
    fire = rand.uniform(key, x.shape[:-1] + (1,)) < rate
    return jnp.clip(x + dx * fire, -STATE_BOUND, STATE_BOUND)


def rollout(params, x, key: jax.Array, n_steps, max_steps: int, config: TextureModelConfig,
            update_rate=None):
    """State after ``n_steps`` (≤ ``max_steps``, may be traced) steps; differentiable.
    Step ``t`` draws its update mask from ``fold_in(key, t)``."""
    return rollouts.masked(lambda x, k: step(params, x, k, config, update_rate), x, key,
                           n_steps, max_steps)


def trajectory(params, x, key: jax.Array, n_steps: int, config: TextureModelConfig):
    """States at steps 0..n_steps, ``(n_steps + 1, ..., H, W, C)``."""
    return rollouts.trajectory(lambda x, k: step(params, x, k, config), x, key, n_steps)
