"""Update masks that the browser page and numpy draw alike: a counter-based hash.

The page cannot run ``jax.random``; to compare it with JAX step by step both sides draw
the masks from the same integer hash (Wellons' ``lowbias32``) of ``(seed, step, index)``:

    u = (h(index + h(step + h(seed))) >> 8) / 2^24          (all uint32, wrapping)

24 bits, so ``u`` is exact in float32 and float64 and ``u < rate`` is decided the same way
in numpy and in JavaScript (``nca.js`` implements the same lines).
"""

from __future__ import annotations

import numpy as np


def hash32(x) -> np.ndarray:
    """lowbias32 of a uint32 array (wrapping arithmetic)."""
    x = np.asarray(x, np.uint32).copy()
    with np.errstate(over="ignore"):
        x ^= x >> np.uint32(16)
        x *= np.uint32(0x7FEB352D)
        x ^= x >> np.uint32(15)
        x *= np.uint32(0x846CA68B)
        x ^= x >> np.uint32(16)
    return x


def uniform(seed: int, step: int, n: int) -> np.ndarray:
    """``n`` draws in [0, 1) for update ``step`` of a run seeded ``seed`` (float64, exact)."""
    with np.errstate(over="ignore"):
        base = hash32(np.uint32(step % 2**32) + hash32(np.uint32(seed % 2**32)))
        h = hash32(np.arange(n, dtype=np.uint32) + base)
    return (h >> np.uint32(8)).astype(np.float64) / 2.0**24


def fire(seed: int, step: int, shape, rate: float) -> np.ndarray:
    """Boolean update mask of ``shape`` (flat index in C order) for ``step``."""
    n = int(np.prod(shape))
    return (uniform(seed, step, n) < rate).reshape(shape)
