"""Losses of NCA states against a target image."""

from __future__ import annotations

import jax.numpy as jnp


def mse(x: jnp.ndarray, target: jnp.ndarray) -> jnp.ndarray:
    """Per-grid mean squared error on RGBA: ``(..., H, W, C)`` vs ``(H, W, 4)`` → ``(...)``."""
    return jnp.mean(jnp.square(x[..., :4] - target), axis=(-3, -2, -1))
