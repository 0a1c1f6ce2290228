"""Gray–Scott reaction–diffusion in JAX: procedural target textures without downloads.

Two chemicals on a periodic grid (unit cell spacing, explicit Euler, time step 1)::

    du/dt = Du ∇²u − u v² + F (1 − u)
    dv/dt = Dv ∇²v + u v² − (F + k) v

with the 5-point Laplacian ``∇²x = x[i±1, j] + x[i, j±1] − 4 x[i, j]`` (periodic, so the
textures tile seamlessly, as a texture NCA with circular padding needs). The initial state
is ``u = 1, v = 0`` with random 7×7 square patches (or, for stripes, wavy bands) of
``u = 0.5, v = 0.25`` plus noise, all drawn from a seeded key.

Presets pick ``(F, k)`` from Pearson's classification (Science 261, 1993; parameter map by
Munafo's xmorphia) with ``Du = 0.2097, Dv = 0.105``; the pattern length scale is in cells,
so a bigger grid shows more spots or stripes, not bigger ones. :func:`render` maps ``v``
to RGB in [0, 1] with a two-colour ramp per preset.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from nca_jax.nca import rand
from runio.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class Preset:
    """Parameters of one Gray–Scott texture (hashable, usable as a static jit argument)."""

    feed: float  # F
    kill: float  # k
    steps: int = 10_000
    du: float = 0.2097
    dv: float = 0.105
    patches_per_4096: float = 12.0  # seed patches per 64x64 cells
    band_period: int = 0  # > 0: seed v in horizontal bands of this period (cells) instead
    low: tuple[float, float, float] = (0.05, 0.05, 0.12)  # colour of v = min
    high: tuple[float, float, float] = (0.98, 0.85, 0.35)  # colour of v = max


PRESETS: dict[str, Preset] = {
    # Pearson λ/κ boundary ("mitosis"): self-replicating spots that fill the plane.
    "spots": Preset(feed=0.0367, kill=0.0649, low=(0.08, 0.10, 0.25), high=(0.98, 0.80, 0.30)),
    # Pearson μ region (xmorphia "worms"), where stripes are stable: seeded in wavy bands
    # 14 cells apart they stay parallel stripes (from patches they grow into worms).
    "stripes": Preset(
        feed=0.046, kill=0.063, band_period=14, low=(0.10, 0.22, 0.10), high=(0.90, 0.95, 0.70)
    ),
    # Pearson κ region (xmorphia "maze"): a connected labyrinth.
    "maze": Preset(feed=0.029, kill=0.057, low=(0.95, 0.93, 0.85), high=(0.15, 0.10, 0.10)),
}


def preset(name: str) -> Preset:
    """The named preset; :class:`ConfigError` listing the allowed names otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(
            "target", f"unknown Gray-Scott preset {name!r}; allowed: {', '.join(sorted(PRESETS))}"
        ) from None


def laplacian(x: jax.Array) -> jax.Array:
    """Periodic 5-point Laplacian over the last two axes of ``x`` (…, H, W)."""
    return (
        jnp.roll(x, 1, -2) + jnp.roll(x, -1, -2) + jnp.roll(x, 1, -1) + jnp.roll(x, -1, -1) - 4 * x
    )


def step(u: jax.Array, v: jax.Array, feed, kill, du, dv, dt=1.0) -> tuple[jax.Array, jax.Array]:
    """One explicit Euler step of the Gray–Scott equations (pure)."""
    uvv = u * v * v
    u_new = u + dt * (du * laplacian(u) - uvv + feed * (1.0 - u))
    v_new = v + dt * (dv * laplacian(v) + uvv - (feed + kill) * v)
    return u_new, v_new


def initial_state(key: jax.Array, shape: tuple[int, int], n_patches: int = 12):
    """``(u, v)`` of ``shape``: u = 1, v = 0, with ``n_patches`` random 7×7 square seeds."""
    h, w = shape
    k_pos, k_noise = jax.random.split(key)
    yy, xx = jnp.meshgrid(jnp.arange(h), jnp.arange(w), indexing="ij")
    centers = jax.random.uniform(k_pos, (n_patches, 2)) * jnp.array([h, w])
    half = 3

    def dist(c, grid, n):  # periodic distance
        d = jnp.abs(grid - c)
        return jnp.minimum(d, n - d)

    inside = jnp.any(
        (dist(centers[:, 0, None, None], yy, h) <= half)
        & (dist(centers[:, 1, None, None], xx, w) <= half),
        axis=0,
    )
    noise = 0.02 * rand.uniform(k_noise, (2, h, w))
    u = jnp.where(inside, 0.5, 1.0) - noise[0]
    v = jnp.where(inside, 0.25, 0.0) + noise[1]
    return u, v


def _bands(key: jax.Array, shape: tuple[int, int], period: int):
    """u = 1, v = 0 with wavy horizontal bands of u = 0.5, v = 0.25 every ``period`` rows."""
    h, w = shape
    n_bands = max(1, round(h / period))
    k_phase, k_noise = jax.random.split(key)
    yy, xx = jnp.meshgrid(jnp.arange(h), jnp.arange(w), indexing="ij")
    phase = jax.random.uniform(k_phase, (2,)) * 2 * jnp.pi
    wobble = 0.08 * jnp.sin(2 * jnp.pi * xx / w + phase[1])  # one period across, so it tiles
    s = jnp.sin(2 * jnp.pi * n_bands * yy / h + phase[0] + 2 * jnp.pi * wobble)
    inside = s > 0.6
    noise = 0.02 * rand.uniform(k_noise, (2, h, w))
    return jnp.where(inside, 0.5, 1.0) - noise[0], jnp.where(inside, 0.25, 0.0) + noise[1]


@partial(jax.jit, static_argnames=("shape", "p"))
def simulate(key: jax.Array, shape: tuple[int, int], p: Preset) -> tuple[jax.Array, jax.Array]:
    """Run preset ``p`` for ``p.steps`` steps from a seeded initial state; returns ``(u, v)``."""
    n_patches = max(2, round(p.patches_per_4096 * shape[0] * shape[1] / 4096))
    if p.band_period > 0:
        u, v = _bands(key, shape, p.band_period)
    else:
        u, v = initial_state(key, shape, n_patches)

    def body(_, uv):
        return step(*uv, p.feed, p.kill, p.du, p.dv)

    return jax.lax.fori_loop(0, p.steps, body, (u, v))


def render(v: jax.Array, p: Preset) -> jax.Array:
    """``(H, W, 3)`` RGB in [0, 1]: ``v`` rescaled to [0, 1] and mapped low → high colour."""
    lo, hi = jnp.min(v), jnp.max(v)
    t = ((v - lo) / jnp.maximum(hi - lo, 1e-8))[..., None]
    rgb = (1 - t) * jnp.asarray(p.low) + t * jnp.asarray(p.high)
    return jnp.clip(rgb, 0.0, 1.0)


def texture(name: str, size: int | tuple[int, int], seed: int = 0) -> np.ndarray:
    """RGB texture ``(H, W, 3)`` float32 in [0, 1] of the named preset, simulated at ``size``."""
    p = preset(name)
    shape = (size, size) if isinstance(size, int) else tuple(int(s) for s in size)
    if len(shape) != 2 or min(shape) < 8:
        raise ConfigError("size", f"a Gray-Scott texture needs at least 8x8 cells, got {size}")
    _, v = simulate(jax.random.key(seed), shape, p)
    return np.asarray(render(v, p), np.float32)
