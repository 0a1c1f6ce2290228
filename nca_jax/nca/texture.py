"""Texture NCAs on a torus: Niklasson et al.'s (2021, the default) and the texture study's
SRNCA, as pure step and rollout functions.

State: ``(..., H, W, C)`` float32, ``C >= 3``, channels 0–2 carry the image. One step:

1. ``p``  = fixed perception: each of ``n_filters`` 3×3 kernels applied to every channel
   with circular (wrap-around) padding, filter-major order. None is learned.
2. ``dx`` = a per-cell MLP (1×1 layers) of ``p``: a hidden layer with bias (initialised
   as PyTorch does, uniform in ±1/√fan-in, so that a zero grid has live units and a
   gradient), an output layer without bias, zero-initialised.
3. ``x + dx * m`` with ``m`` Bernoulli(``update_rate``) update masks.

| | ``niklasson`` | ``srnca`` |
| --- | --- | --- |
| kernels | identity, Laplacian/16, Sobel x/8, Sobel y/8, Moore/8, then random | identity, Laplacian, Prewitt-like "sobel" h and w, Moore (unnormalised), then random |
| MLP | hidden ReLU layer | hidden linear layer |
| mask | one draw per cell, shared by its channels | one draw per element (cell and channel) |
| after the update | nothing (training penalises values beyond ±1) | soft clamp ``sigmoid(4 (x − 0.5))`` into (0, 1) |
| image | ``x[..., :3] + 0.5`` | ``x[..., :3]`` |
| rollout in training | U{⌈ca_steps/2⌉, …, ca_steps} steps | ``ca_steps`` + U{1, …, 15} steps |

Both start from a zero grid (Mordvintsev's reference); the stochastic masks break its
symmetry. Neither clamps hard: a hard clamp has zero gradient, and a state pushed to it
during training stops learning (the first version of this model painted flat yellow so).
"""

from __future__ import annotations

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from nca_jax.nca import perception, rand
from nca_jax.nca import rollout as rollouts
from runio.errors import check

KINDS = ("niklasson", "srnca")
MOORE = np.array([[1.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
NAMED_FILTERS = ("identity", "laplacian", "sobel_x", "sobel_y", "moore")
# SRNCA's unnormalised kernels (its "sobel" are Prewitt's)
SRNCA_KERNELS = (
    np.array([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]),
    np.array([[1.0, 2.0, 1.0], [2.0, -12.0, 2.0], [1.0, 2.0, 1.0]]),
    np.array([[-1.0, -1.0, -1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]),
    np.array([[-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]]),
    MOORE,
)
MAX_FILTERS = 16
SRNCA_EXTRA_STEPS = 15  # SRNCA rolls out ca_steps + U{1..15} steps


@dataclasses.dataclass(frozen=True)
class TextureModelConfig:
    kind: str = "niklasson"
    channels: int = 12  # including RGB (channels 0-2)
    hidden: int = 96
    n_filters: int = 4
    update_rate: float = 0.5
    filter_seed: int = 0

    def __post_init__(self):
        check(self.kind in KINDS, "kind", f"must be one of {', '.join(KINDS)}, got {self.kind!r}")
        check(3 <= self.channels <= 64, "channels",
              f"must be in [3, 64] (RGB + hidden), got {self.channels}")
        check(1 <= self.hidden <= 1024, "hidden", f"must be in [1, 1024], got {self.hidden}")
        check(1 <= self.n_filters <= MAX_FILTERS, "n_filters",
              f"must be in [1, {MAX_FILTERS}], got {self.n_filters}")
        check(0.0 < self.update_rate <= 1.0, "update_rate",
              f"must be in (0, 1], got {self.update_rate}")


def _bank(config: TextureModelConfig) -> tuple[np.ndarray, ...]:
    if config.kind == "srnca":
        named, scale = list(SRNCA_KERNELS), 1.0
    else:
        named = [MOORE / 8.0 if n == "moore" else perception.KERNELS[n] for n in NAMED_FILTERS]
        scale = 1.0 / 3.0
    n_random = max(0, config.n_filters - len(named))
    with jax.ensure_compile_time_eval():  # may be first called inside a trace
        extra = np.asarray(jax.random.normal(jax.random.PRNGKey(config.filter_seed),
                                             (n_random, 3, 3)))
    bank = named[:config.n_filters] + list(extra * scale)
    return tuple(np.asarray(k, np.float64) for k in bank)


def filter_bank(config: TextureModelConfig) -> np.ndarray:
    """The fixed kernels ``(n_filters, 3, 3)`` (concrete numpy: constants of the step)."""
    return np.stack(_bank(config))


def perceive(x: jnp.ndarray, config: TextureModelConfig) -> jnp.ndarray:
    """``(..., H, W, C)`` → ``(..., H, W, n_filters * C)``, circular padding."""
    h, w = x.shape[-3], x.shape[-2]
    xp = perception.pad(x, "circular")
    return jnp.concatenate([perception.apply_kernel(xp, k, h, w) for k in _bank(config)],
                           axis=-1)


def _torch_bias(fan_in: int):
    """PyTorch's bias init, U(±1/√fan_in) (flax's is zeros: a zero grid would be dead)."""
    bound = 1.0 / np.sqrt(fan_in)
    draw = nn.initializers.uniform(2.0 * bound)  # U[0, 2·bound), shifted below
    return lambda key, shape, dtype=jnp.float32: draw(key, shape, dtype) - bound


class TextureRule(nn.Module):
    """Per-cell MLP: perception → hidden (with bias; ReLU unless ``linear``) → update."""

    channels: int
    hidden: int
    linear: bool = False
    out_bias: bool = False

    @nn.compact
    def __call__(self, p: jnp.ndarray) -> jnp.ndarray:
        lead, p = p.shape[:-1], p.reshape(-1, p.shape[-1])  # cells as rows: see UpdateRule
        h = nn.Dense(self.hidden, bias_init=_torch_bias(p.shape[-1]), name="hidden")(p)
        if not self.linear:
            h = nn.relu(h)
        return nn.Dense(self.channels, use_bias=self.out_bias,
                        kernel_init=nn.initializers.zeros, name="out")(h).reshape(*lead, -1)


def rule(config: TextureModelConfig) -> TextureRule:
    return TextureRule(config.channels, config.hidden, linear=config.kind == "srnca")


def init_params(key: jax.Array, config: TextureModelConfig):
    p = jnp.zeros((1, config.n_filters * config.channels), jnp.float32)
    return rule(config).init(key, p)["params"]


def seed(key: jax.Array, config: TextureModelConfig, height: int, width: int) -> jnp.ndarray:
    """A fresh grid: zeros (``key`` is unused; kept so that seeds share one signature)."""
    del key
    return jnp.zeros((height, width, config.channels), jnp.float32)


def image(x: jnp.ndarray, config: TextureModelConfig) -> jnp.ndarray:
    """The RGB image a state shows, unclipped (what the style loss sees)."""
    return x[..., :3] if config.kind == "srnca" else x[..., :3] + 0.5


def to_rgb(x: jnp.ndarray, config: TextureModelConfig) -> jnp.ndarray:
    """The RGB image in [0, 1] (for display)."""
    return jnp.clip(image(x, config), 0.0, 1.0)


def overflow(x: jnp.ndarray) -> jnp.ndarray:
    """Per grid ``(...)``: how far the state lies beyond ±1, summed over cells and channels
    (Niklasson's overflow loss; 0 for a state in range)."""
    return jnp.sum(jnp.abs(x - jnp.clip(x, -1.0, 1.0)), axis=(-3, -2, -1))


def soft_clamp(x: jnp.ndarray) -> jnp.ndarray:
    """SRNCA's squash into (0, 1): ``sigmoid(4 (x - 0.5))``."""
    return jax.nn.sigmoid(4.0 * (x - 0.5))


def step(params, x: jnp.ndarray, key: jax.Array, config: TextureModelConfig,
         update_rate=None) -> jnp.ndarray:
    """One update of ``x`` ``(..., H, W, C)``; ``update_rate`` may be traced (it overrides
    ``config.update_rate``, for trials vmapped over the rate)."""
    rate = config.update_rate if update_rate is None else update_rate
    return step_with_fire(params, x, rand.uniform(key, mask_shape(x.shape, config)) < rate,
                          config)


def mask_shape(shape, config: TextureModelConfig) -> tuple[int, ...]:
    """Shape of a state's update mask: one draw per element (SRNCA) or per cell."""
    return tuple(shape) if config.kind == "srnca" else tuple(shape[:-1]) + (1,)


def step_with_fire(params, x: jnp.ndarray, fire, config: TextureModelConfig) -> jnp.ndarray:
    """One update with a given update mask ``fire`` (booleans of :func:`mask_shape`) — how
    the browser page is checked against JAX."""
    dx = rule(config).apply({"params": params}, perceive(x, config))
    x = x + dx * fire
    return soft_clamp(x) if config.kind == "srnca" else x


def step_range(config: TextureModelConfig, ca_steps: int) -> tuple[int, int]:
    """Fewest and most steps of a training rollout (both inclusive)."""
    if config.kind == "srnca":
        return ca_steps + 1, ca_steps + SRNCA_EXTRA_STEPS
    return max(1, -(-ca_steps // 2)), ca_steps


def rollout(params, x, key: jax.Array, n_steps, max_steps: int, config: TextureModelConfig,
            update_rate=None):
    """State after ``n_steps`` (≤ ``max_steps``, may be traced) steps; differentiable.
    Step ``t`` draws its update mask from ``fold_in(key, t)``."""
    return rollouts.masked(lambda x, k: step(params, x, k, config, update_rate), x, key,
                           n_steps, max_steps, remat=True)


def samples(params, key: jax.Array, config: TextureModelConfig, n_samples: int, n_steps: int,
            hw: tuple[int, int], update_rate=None) -> jnp.ndarray:
    """RGB images ``(n_samples, H, W, 3)`` in [0, 1] of fresh seeds after ``n_steps`` steps
    (what a texture is scored on); ``update_rate`` as in :func:`step`."""
    k_seed, k_roll = jax.random.split(key)
    x = jax.vmap(lambda k: seed(k, config, *hw))(jax.random.split(k_seed, n_samples))
    return to_rgb(rollout(params, x, k_roll, n_steps, n_steps, config, update_rate), config)


def trajectory(params, x, key: jax.Array, n_steps: int, config: TextureModelConfig):
    """States at steps 0..n_steps, ``(n_steps + 1, ..., H, W, C)``."""
    return rollouts.trajectory(lambda x, k: step(params, x, k, config), x, key, n_steps)
