"""Binary Global-Local PSO (BGL-PSO), Rhodes's variant of binary PSO.

Two changes to :class:`BinaryPSO`:

1. A ring neighbourhood on particle indices: particle i's local best is the best personal
   best among particles j with |i - j| <= Delta (mod the population size, Delta = 5). Its
   pull d3 is averaged with the global pull d2, as the paper's formula (9):
   v = w v + d1 + (d2 + d3) / 2.
2. Mutation: after moving, each particle flips k distinct random bits, k drawn from a
   strongly right-tailed pmf over 0..D. By default P(k) ∝ (k + 1)^(-alpha), alpha = 2.5:
   P(0) ≈ 0.75, P(1) ≈ 0.13, P(2) ≈ 0.05, with a power-law tail (occasional large jumps).
   Pass ``mutation_pmf`` in the params to use any other pmf.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from evosax.algorithms.population_based.base import metrics_fn
from evosax.core.fitness_shaping import identity_fitness_shaping_fn
from evosax.types import Population, Solution
from flax import struct

from ca_search.strategies.binary_pso import BinaryPSO, Params as BPSOParams, State, attraction


@struct.dataclass
class Params(BPSOParams):
    local_coeff: float  # c3
    mutation_pmf: jax.Array  # P(k bits flipped), k = 0..num_dims


def power_law_pmf(num_dims: int, alpha: float = 2.5) -> jax.Array:
    """P(k) ∝ (k + 1)^(-alpha) for k = 0..num_dims."""
    weights = (jnp.arange(num_dims + 1) + 1.0) ** (-alpha)
    return weights / weights.sum()


def ring_best(fitness_best: jax.Array, radius: int) -> jax.Array:
    """Index of the best (lowest) fitness among ring neighbours |i - j| <= radius, per i."""
    n = fitness_best.shape[0]
    offsets = jnp.arange(-radius, radius + 1)
    neighbours = (jnp.arange(n)[:, None] + offsets[None, :]) % n
    pick = jnp.argmin(fitness_best[neighbours], axis=1)
    return neighbours[jnp.arange(n), pick]


def mutate(key: jax.Array, population: Population, pmf: jax.Array) -> Population:
    """Flip k distinct random bits of each genome, k ~ ``pmf`` (over 0..num_dims)."""
    k_count, k_where = jax.random.split(key)
    counts = jax.random.choice(k_count, pmf.shape[0], (population.shape[0], 1), p=pmf)
    ranks = jnp.argsort(jax.random.uniform(k_where, population.shape), axis=1).argsort(axis=1)
    return jnp.where(ranks < counts, 1.0 - population, population)


class BGL_PSO(BinaryPSO):
    """Binary global-local PSO with ring neighbourhoods and heavy-tailed mutation."""

    def __init__(
        self,
        population_size: int,
        solution: Solution,
        max_generations: int = 200,
        neighbourhood_radius: int = 5,
        mutation_alpha: float = 2.5,
        fitness_shaping_fn: Callable = identity_fitness_shaping_fn,
        metrics_fn: Callable = metrics_fn,
    ):
        super().__init__(population_size, solution, max_generations, fitness_shaping_fn,
                         metrics_fn)
        self.neighbourhood_radius = neighbourhood_radius
        self.mutation_alpha = mutation_alpha

    @property
    def _default_params(self) -> Params:
        base = super()._default_params
        return Params(**vars(base), local_coeff=2.0,
                      mutation_pmf=power_law_pmf(self.num_dims, self.mutation_alpha))

    def social_pull(self, key: jax.Array, state: State, params: Params) -> jax.Array:
        """(d2 + d3) / 2: global and ring-local pulls averaged."""
        k_global, k_local = jax.random.split(key)
        global_pull = super().social_pull(k_global, state, params)
        local = state.population_best[ring_best(state.fitness_best, self.neighbourhood_radius)]
        local_pull = attraction(k_local, local, params.local_coeff, state.population.shape)
        return (global_pull + local_pull) / 2.0

    def _ask(self, key: jax.Array, state: State, params: Params) -> tuple[Population, State]:
        k_move, k_mutate = jax.random.split(key)
        x, state = super()._ask(k_move, state, params)
        return mutate(k_mutate, x, params.mutation_pmf), state
