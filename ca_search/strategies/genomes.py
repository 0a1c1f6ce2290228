"""Random initial bit-vector populations."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def random_genomes(key: jax.Array, population_size: int, num_dims: int,
                   uniform_density: bool = False) -> jax.Array:
    """``(population_size, num_dims)`` float32 0/1 genomes.

    Each bit is 1 with probability 1/2, or, with ``uniform_density`` (Mitchell et al.), each
    genome's density is first drawn uniformly on [0, 1]."""
    k_density, k_bits = jax.random.split(key)
    p = jax.random.uniform(k_density, (population_size, 1)) if uniform_density else 0.5
    return jax.random.bernoulli(k_bits, p, (population_size, num_dims)).astype(jnp.float32)
