"""Rules that treat 0s and 1s alike: invariant under complement + reflection.

Swapping the roles of 0 and 1 and mirroring the lattice maps the density task onto itself
(an IC of density ρ becomes one of density 1 − ρ), so a rule that does the same for both
classes satisfies ``f(σ(x)) = 1 − f(x)``, where ``σ(x)`` complements every cell of the
neighbourhood ``x`` and reverses its order. GKL is such a rule; block-expanding rules (grow
the 0s unless a large block of 1s) and the "all 0" default rule are not.

``σ`` is an involution without fixed points (the centre cell would have to equal its own
complement), so the ``2**(2r+1)`` neighbourhoods form ``2**(2r)`` pairs: a symmetric rule is
fixed by one free bit per pair, its *genome* (64 bits for r = 3, half the table).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from ca_search import rules


def partner(radius: int) -> np.ndarray:
    """``σ`` as a permutation of table indices: ``partner(r)[k]`` is the index of ``σ(k)``."""
    nb = rules.neighbourhoods(radius)  # (2**(2r+1), 2r+1), column 0 the most significant
    weights = 1 << np.arange(nb.shape[1])[::-1]
    return ((1 - nb[:, ::-1]) * weights).sum(1)


def free_entries(radius: int) -> np.ndarray:
    """The table index of each genome bit: the smaller index of each pair."""
    k = np.arange(rules.table_size(radius))
    return k[k < partner(radius)]


def genome_size(radius: int) -> int:
    return rules.table_size(radius) // 2


def table(genomes, radius: int):
    """Genomes ``(..., 2**(2r))`` of 0/1 (any dtype) -> full rule tables ``(..., 2**(2r+1))``
    uint8: each free entry as given, its partner the complement."""
    free = free_entries(radius)
    g = jnp.asarray(genomes).astype(jnp.uint8)
    out = jnp.zeros(g.shape[:-1] + (rules.table_size(radius),), jnp.uint8)
    return out.at[..., free].set(g).at[..., partner(radius)[free]].set(1 - g)


def genome(bits: np.ndarray) -> np.ndarray:
    """The genome of a symmetric rule table (raises ``ValueError`` if it is not symmetric)."""
    bits = np.asarray(bits, np.uint8)
    radius = rules.radius_of(bits)
    if not is_symmetric(bits):
        raise ValueError("the rule is not invariant under complement + reflection")
    return bits[free_entries(radius)]


def is_symmetric(bits: np.ndarray) -> bool:
    bits = np.asarray(bits, np.uint8)
    return bool(np.all(bits[partner(rules.radius_of(bits))] == 1 - bits))
