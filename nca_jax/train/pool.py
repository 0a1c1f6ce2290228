"""Sample pools (Mordvintsev et al. 2020, "persistent" variant), as pure functions.

A pool is an array ``(N, H, W, C)`` of grids. Each training iteration samples a batch,
replaces its highest-loss grid by the seed, rolls the batch out and commits results
back: the whole batch for gradient training, only the best ES member's *living* grids
for evolution.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from nca_jax.nca import losses
from runio.errors import check


def check_config(batch_size: int, min_steps: int, max_steps: int, enabled: bool,
                 size: int) -> None:
    """The rules a growing-NCA trainer's batch, rollout length and pool share."""
    check(1 <= batch_size <= 4096, "batch_size", f"must be in [1, 4096], got {batch_size}")
    check(1 <= min_steps <= max_steps <= 10_000, "min_steps",
          f"need 1 <= min_steps <= max_steps <= 10000, got {min_steps}, {max_steps}")
    check(not enabled or batch_size <= size <= 1_000_000, "pool_size",
          f"must be in [batch_size={batch_size}, 10^6] with the pool on, got {size}")


def init(seed: jnp.ndarray, size: int) -> jnp.ndarray:
    return jnp.broadcast_to(seed, (size,) + seed.shape)


def sample(pool: jnp.ndarray, key: jax.Array, batch: int):
    """``batch`` distinct indices and their grids."""
    idx = jax.random.choice(key, pool.shape[0], (batch,), replace=False)
    return idx, pool[idx]


def reseed_worst(batch: jnp.ndarray, target: jnp.ndarray, seed: jnp.ndarray) -> jnp.ndarray:
    """Replace the grid of highest loss in the batch by the seed."""
    worst = jnp.argmax(losses.mse(batch, target))
    return batch.at[worst].set(seed)


def start_batch(pool: jnp.ndarray, key: jax.Array, batch: int, enabled: bool,
                target: jnp.ndarray, seed: jnp.ndarray):
    """The grids a training step starts from, and their pool slots: with the pool on, a
    sample whose highest-loss grid is replaced by the seed; off, ``batch`` copies of the
    seed (slots None)."""
    if not enabled:
        return None, jnp.broadcast_to(seed, (batch,) + seed.shape)
    idx, x = sample(pool, key, batch)
    return idx, reseed_worst(x, target, seed)


def damage_best(batch: jnp.ndarray, target: jnp.ndarray, key: jax.Array, n: int):
    """Mordvintsev's regeneration training: erase a random disc (centre uniform in the
    middle half of the grid, radius 0.1–0.4 of its half-width, in grid coordinates on
    [-1, 1]) from each of the ``n`` lowest-loss grids of the batch."""
    if n == 0:
        return batch
    h, w = batch.shape[1:3]
    best = jnp.argsort(losses.mse(batch, target))[:n]
    k_c, k_r = jax.random.split(key)
    centre = jax.random.uniform(k_c, (n, 2, 1, 1), minval=-0.5, maxval=0.5)
    radius = jax.random.uniform(k_r, (n, 1, 1), minval=0.1, maxval=0.4)
    yy = jnp.linspace(-1.0, 1.0, h)[None, :, None]
    xx = jnp.linspace(-1.0, 1.0, w)[None, None, :]
    hole = (yy - centre[:, 0]) ** 2 + (xx - centre[:, 1]) ** 2 < radius**2
    return batch.at[best].set(batch[best] * (~hole)[..., None].astype(batch.dtype))


def sample_or_seed(pool: jnp.ndarray, key: jax.Array, seed: jnp.ndarray, use_seed):
    """One pool slot and a batch of one grid: the seed when ``use_seed`` (traced), else the
    slot's grid (the one-grid pool of the NTNU ES thesis, where reseeding the worst grid of the
    batch would always reseed)."""
    idx, x = sample(pool, key, 1)
    return idx, jnp.where(use_seed, seed[None], x)


def commit(pool: jnp.ndarray, idx: jnp.ndarray, batch: jnp.ndarray) -> jnp.ndarray:
    return pool.at[idx].set(batch)


def is_alive(x: jnp.ndarray, threshold: float = 0.1) -> jnp.ndarray:
    """``(..., H, W, C)`` → ``(...)``: some cell has alpha > threshold."""
    return jnp.any(x[..., 3] > threshold, axis=(-2, -1))


def commit_alive(
    pool: jnp.ndarray, idx: jnp.ndarray, batch: jnp.ndarray, threshold: float = 0.1,
    enabled=True,
) -> jnp.ndarray:
    """Commit only the grids of ``batch`` that are alive (and none unless ``enabled``, which
    may be traced); the others keep their pool entry."""
    keep = (is_alive(batch, threshold) & enabled)[:, None, None, None]
    return pool.at[idx].set(jnp.where(keep, batch, pool[idx]))
