"""The chaos task: rules whose space-time history is incompressible.

For a rule A run from IC s for T steps, with A_i(s) the lattice at step i and A(s) the
whole history, Rhodes's normalised-compression objective is

    NC_pt(A(s)) = sum_{i=0..T} K(A_i(s)) / T  +  K(A(s)),
    K(x) = len(zlib.compress(x, 9)) / len(x),

where x is the cells written as ASCII '0'/'1' bytes: each row alone inside the sum, the
whole history row-major for the last term. Higher is more chaotic (less compressible).

NC_pt saturates: coin flips, rule 30 and every rule the searches find sit within 0.01 of
its ceiling (≈ 0.53 for ASCII cells), so it cannot tell chaotic rules apart.
:func:`block_entropy` is reported beside it: the Shannon entropy of the 3×3 space-time
blocks of a history per cell, which keeps ranking rules up to coin flips.

DEFLATE is not jittable, so histories are simulated on the device (bit-sliced, vmapped
over rules) and compressed on the host, one rule per task on a thread pool made for the
call (zlib releases the GIL, so every CPU core works).
"""

from __future__ import annotations

import os
import zlib
from functools import partial
from concurrent.futures import ThreadPoolExecutor

import jax
import jax.numpy as jnp
import numpy as np

from ca_search import density, simulator

def compressed_fraction(x: bytes, level: int = 9) -> float:
    """K(x) = len(zlib.compress(x, level)) / len(x); the definition uses level 9."""
    return len(zlib.compress(x, level)) / len(x)


def nc_pt(history: np.ndarray, level: int = 9) -> float:
    """NC_pt of one space-time history ``(T + 1, N)`` of 0/1 cells.

    ``level`` is zlib's; 9 is the definition. Lower levels are ~10x faster on chaotic
    histories (the whole-history term dominates) but give other values."""
    text = (np.asarray(history, np.uint8) + ord("0")).astype(np.uint8)
    steps = text.shape[0] - 1
    rows = sum(compressed_fraction(row.tobytes(), level) for row in text)
    return rows / steps + compressed_fraction(text.tobytes(), level)


def nc_pt_many(histories: np.ndarray, level: int = 9) -> np.ndarray:
    """NC_pt of each history in a ``(..., T + 1, N)`` array, computed on the thread pool."""
    histories = np.asarray(histories)
    flat = histories.reshape((-1,) + histories.shape[-2:])
    with ThreadPoolExecutor(max_workers=min(len(flat), os.cpu_count() or 2) or 1) as pool:
        values = list(pool.map(partial(nc_pt, level=level), flat))
    return np.array(values).reshape(histories.shape[:-2])


@partial(jax.jit, static_argnames="steps")
def population_histories(bits: jax.Array, cells: jax.Array, steps: int) -> jax.Array:
    """``(P, n_ics, steps + 1, N)`` histories of ``P`` rules from the same ICs."""
    return jax.vmap(simulator.histories, in_axes=(0, None, None))(bits, cells, steps)


def fitness(
    bits: np.ndarray,
    key: jax.Array,
    n_ics: int = 1,
    n_cells: int = 149,
    steps: int = 150,
    ic: str = "unbiased",
    level: int = 9,
) -> np.ndarray:
    """Mean NC_pt over ``n_ics`` ICs drawn from ``key`` for each rule of a ``(P, K)`` batch."""
    return nc_pt_many(sample_histories(bits, key, n_ics, n_cells, steps, ic), level).mean(axis=1)


def sample_histories(bits: np.ndarray, key: jax.Array, n_ics: int, n_cells: int = 149,
                     steps: int = 150, ic: str = "unbiased") -> np.ndarray:
    """``(P, n_ics, steps + 1, N)`` host histories of a ``(P, K)`` batch of rules from
    ``n_ics`` ICs drawn from ``key`` (what both chaos measures read)."""
    cells = density.sample_ics(key, n_ics, n_cells, ic)
    return np.asarray(population_histories(jnp.asarray(bits), cells, steps))



BLOCK = 3  # block_entropy's space-time blocks: BLOCK steps x BLOCK cells


def block_entropy(history: np.ndarray, size: int = BLOCK) -> float:
    """Shannon entropy per cell (bits, in [0, 1]) of the ``size × size`` space-time blocks
    of a ``(T + 1, N)`` 0/1 history: every window of ``size`` consecutive steps and
    ``size`` consecutive cells (space periodic), its distribution over the
    ``2^(size²)`` patterns, ``H / size²``. 1 is every pattern equally likely (coin flips,
    less a small sampling bias); ordered histories score low."""
    h = np.asarray(history, np.uint8)
    rows = h.shape[0] - size + 1
    if rows < 1:
        raise ValueError(f"a history of {h.shape[0]} rows has no {size}-step window")
    codes = np.zeros((rows, h.shape[1]), np.int64)
    bit = 0
    for dt in range(size):
        for dx in range(size):
            codes |= np.roll(h[dt:dt + rows], -dx, axis=1).astype(np.int64) << bit
            bit += 1
    p = np.bincount(codes.ravel()) / codes.size
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum() / size**2)


def block_entropy_fitness(bits: np.ndarray, key: jax.Array, n_ics: int = 10,
                          n_cells: int = 149, steps: int = 150, ic: str = "unbiased") -> float:
    """Mean :func:`block_entropy` of one rule's histories from ``n_ics`` ICs of ``key``."""
    return float(np.mean([block_entropy(x) for x in
                          sample_histories(bits[None], key, n_ics, n_cells, steps, ic)[0]]))
