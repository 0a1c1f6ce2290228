"""Density classification: does the CA settle to all 1s when the IC has a majority of 1s,
and to all 0s otherwise?

- ``flat`` ICs: each IC's density is uniform on [0, 1] (its number of ones is uniform on
  0..N, placed at random), as in Mitchell et al. and Rhodes's fitness F_I.
- ``unbiased`` ICs: each bit is 1 with probability 1/2, as for the performance P_N.

An IC counts as classified correctly when, after M steps, every cell equals the IC's
majority state. With even N, an IC with exactly N/2 ones has no majority and counts as
wrong.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from ca_search import simulator
from runio.errors import ConfigError

IC_KINDS = ("flat", "unbiased")


def check_ic(kind: str) -> str:
    if kind not in IC_KINDS:
        raise ConfigError("ic", f"must be one of {', '.join(IC_KINDS)}, got {kind!r}")
    return kind


def sample_ics(key: jax.Array, n_ics: int, n_cells: int, kind: str = "flat") -> jax.Array:
    """``(n_ics, n_cells)`` uint8 initial conditions of the given kind."""
    check_ic(kind)
    if kind == "unbiased":
        return jax.random.bernoulli(key, 0.5, (n_ics, n_cells)).astype(jnp.uint8)
    k_ones, k_perm = jax.random.split(key)
    return place_ones(k_perm, jax.random.randint(k_ones, (n_ics,), 0, n_cells + 1), n_cells)


def place_ones(key: jax.Array, ones: jax.Array, n_cells: int) -> jax.Array:
    """``(len(ones), n_cells)`` uint8 ICs, IC ``i`` with ``ones[i]`` ones at random places."""
    ranks = jnp.argsort(jax.random.uniform(key, (ones.shape[0], n_cells)), axis=1)
    return (ranks < ones[:, None]).astype(jnp.uint8)


@jax.jit
def correct(bits: jax.Array, cells: jax.Array, steps: int | jax.Array) -> jax.Array:
    """Per IC: 1 if the rule classifies it correctly after ``steps`` steps. ``(n_ics,)``."""
    n_ics, n_cells = cells.shape
    ones = cells.astype(jnp.int32).sum(1)
    majority_one = simulator.pack((2 * ones > n_cells)[:, None])[0]
    majority_zero = simulator.pack((2 * ones < n_cells)[:, None])[0]
    final = simulator.run(bits, simulator.pack(cells), steps)
    all_one = jnp.bitwise_and.reduce(final, axis=0)
    all_zero = ~jnp.bitwise_or.reduce(final, axis=0)
    ok = (majority_one & all_one) | (majority_zero & all_zero)  # (W,) words, one bit per IC
    return simulator.unpack(ok[None], n_ics)[:, 0]


@partial(jax.jit, static_argnames=("n_ics", "n_cells", "steps", "ic"))
def fitness(
    bits: jax.Array,
    key: jax.Array,
    n_ics: int = 100,
    n_cells: int = 149,
    steps: int = 150,
    ic: str = "flat",
) -> jax.Array:
    """F_I: the fraction of ``n_ics`` fresh ICs (drawn from ``key``) classified correctly.

    Vmap over ``bits`` with the same key to score a population on the same ICs."""
    cells = sample_ics(key, n_ics, n_cells, ic)
    return correct(bits, cells, steps).mean()


def performance(
    bits: jax.Array,
    key: jax.Array,
    n_ics: int = 10_000,
    n_cells: int = 149,
    steps: int | None = None,
    ic: str = "unbiased",
    chunk: int = 2**16,
) -> float:
    """P_N: the fraction of ``n_ics`` unbiased ICs classified correctly after M = 2N steps
    (or ``steps``). ICs are evaluated in chunks of ``chunk`` to bound memory. ``bits`` may
    be a batch ``(P, K)`` of rules, all on the same ICs: then an array ``(P,)``."""
    steps = 2 * n_cells if steps is None else steps
    bits = jnp.asarray(bits)
    hits = np.zeros(bits.shape[:-1])
    for i, start in enumerate(range(0, n_ics, chunk)):
        size = min(chunk, n_ics - start)
        k = jax.random.fold_in(key, i)
        f = lambda b: fitness(b, k, size, n_cells, steps, ic)  # noqa: E731
        hits += np.asarray(jax.vmap(f)(bits) if bits.ndim == 2 else f(bits), float) * size
    return float(hits / n_ics) if bits.ndim == 1 else hits / n_ics
