"""Initial conditions that evolve against the rules, and resource sharing (Juillé & Pollack
1998; Werfel, Mitchell & Crutchfield 2000).

Each generation every rule of a population meets the same ICs: half drawn afresh with a
uniform density (Mitchell's flat ICs, so easy cases never vanish), half from a population of
IC *densities* that evolves towards what the rules get wrong. A :math:`(P, K)` matrix
``correct[i, j]`` (rule ``i`` classifies IC ``j``) gives both fitnesses, each shared:

- rule ``i``: ``sum_j correct[i, j] / n_j`` with ``n_j`` the number of rules that classify IC
  ``j``: an IC few rules get right is worth more (resource sharing);
- IC ``j`` of the evolving half: ``sum_i wrong[i, j] / m_i`` with ``m_i`` the number of those
  ICs rule ``i`` gets wrong: defeating a rule that little else defeats is worth more.

The IC population keeps its better half and refills with copies whose density moves by a
normal step. Pure functions, vmapped over trials by :mod:`ca_search.population`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ca_search import density

DENSITY_STEP = 0.05  # std of the normal step of a child IC's density


def sample(key: jax.Array, densities: jax.Array, n_cells: int) -> jax.Array:
    """``(K, n_cells)`` uint8 ICs, IC ``j`` with ``round(densities[j] * n_cells)`` ones at
    random places."""
    return density.place_ones(key, jnp.round(densities * n_cells).astype(jnp.int32), n_cells)


def rule_fitness(correct: jax.Array) -> jax.Array:
    """``(P, K)`` 0/1 -> ``(P,)`` shared fitness: each IC's unit shared by the rules that
    classify it."""
    solvers = correct.sum(0)
    return (correct / jnp.maximum(solvers, 1)).sum(1)


def ic_fitness(correct: jax.Array) -> jax.Array:
    """``(P, K)`` 0/1 -> ``(K,)`` shared fitness of the ICs: each rule's unit shared by the
    ICs that defeat it."""
    wrong = 1.0 - correct
    defeats = wrong.sum(1, keepdims=True)
    return (wrong / jnp.maximum(defeats, 1)).sum(0)


def next_densities(key: jax.Array, densities: jax.Array, fitness: jax.Array) -> jax.Array:
    """The better half of the IC densities, and as many children: a parent drawn uniformly
    from that half, its density moved by ``N(0, DENSITY_STEP)`` and clipped to [0, 1]."""
    k = densities.shape[0]
    keep = densities[jnp.argsort(-fitness)[:(k + 1) // 2]]
    k_parent, k_step = jax.random.split(key)
    parents = keep[jax.random.randint(k_parent, (k // 2,), 0, keep.shape[0])]
    children = parents + DENSITY_STEP * jax.random.normal(k_step, parents.shape)
    return jnp.concatenate([keep, jnp.clip(children, 0.0, 1.0)])


def generation(tables: jax.Array, densities: jax.Array, key: jax.Array, n_flat: int,
               n_cells: int, steps: int) -> tuple[jax.Array, jax.Array, jax.Array]:
    """One meeting of ``(P, D)`` rule tables with ``n_flat`` fresh flat ICs and ICs of the
    evolving ``densities``. Returns the rules' shared fitness ``(P,)``, their fraction
    correct on the flat ICs ``(P,)`` (F_I, comparable with the plain search) and the next
    IC densities."""
    k_flat, k_ics, k_next = jax.random.split(key, 3)
    cells = jnp.concatenate([density.sample_ics(k_flat, n_flat, n_cells, "flat"),
                             sample(k_ics, densities, n_cells)])
    correct = jax.vmap(lambda b: density.correct(b, cells, steps))(tables).astype(jnp.float32)
    flat, evolving = correct[:, :n_flat], correct[:, n_flat:]
    nxt = next_densities(k_next, densities, ic_fitness(evolving))
    return rule_fitness(correct), flat.mean(1), nxt
