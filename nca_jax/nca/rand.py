"""``jax.random`` draws made flat, then reshaped: the same numbers, a fraction of the compile.

With JAX's (default) partitionable threefry the bits of a draw are a function of each
element's flat index, so ``uniform(key, (n,)).reshape(shape)`` equals ``uniform(key, shape)``
bit for bit. XLA's CPU compiler, however, spends seconds on a multi-dimensional draw (JAX
0.10.2: 8 s for one ``(8, 32, 32, 12)`` uniform, 6.5 s for a vmapped ``(32, 32, 12)``; 0.2 s
flat), and these draws sit inside every NCA step we compile.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp


def uniform(key: jax.Array, shape, dtype=jnp.float32, minval=0.0, maxval=1.0) -> jax.Array:
    """``jax.random.uniform`` of ``shape``, drawn flat."""
    shape = tuple(shape)
    return jax.random.uniform(key, (math.prod(shape),), dtype, minval, maxval).reshape(shape)


def normal(key: jax.Array, shape, dtype=jnp.float32) -> jax.Array:
    """``jax.random.normal`` of ``shape``, drawn flat."""
    shape = tuple(shape)
    return jax.random.normal(key, (math.prod(shape),), dtype).reshape(shape)
