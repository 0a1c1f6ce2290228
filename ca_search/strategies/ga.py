"""The genetic algorithm of Mitchell, Crutchfield & Hraber (1994), as Rhodes's study uses it.

Each generation: rank the population; keep the best ``elite_ratio`` (20%) unchanged; fill the
rest with children of single-point crossover between two parents drawn uniformly with
replacement from the elite; flip each child's bits at exactly ``num_mutations`` (2) distinct
random positions. Elites are re-evaluated with the rest, so with a noisy fitness (fresh ICs
each generation) an elite keeps its place only while it keeps scoring well.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from evosax.algorithms.population_based.base import (
    Params as BaseParams,
    PopulationBasedAlgorithm,
    State as BaseState,
    metrics_fn,
)
from evosax.core.fitness_shaping import identity_fitness_shaping_fn
from evosax.types import Fitness, Population, Solution
from flax import struct


@struct.dataclass
class State(BaseState):
    pass


@struct.dataclass
class Params(BaseParams):
    pass


class MitchellGA(PopulationBasedAlgorithm):
    """Elitist GA with single-point crossover and exactly-k-bit mutation (minimises)."""

    def __init__(
        self,
        population_size: int,
        solution: Solution,
        elite_ratio: float = 0.2,
        num_mutations: int = 2,
        fitness_shaping_fn: Callable = identity_fitness_shaping_fn,
        metrics_fn: Callable = metrics_fn,
    ):
        super().__init__(population_size, solution, fitness_shaping_fn, metrics_fn)
        if not 0 < elite_ratio < 1:
            raise ValueError(f"elite_ratio must be in (0, 1), got {elite_ratio}")
        self.elite_ratio = elite_ratio
        if not 0 <= num_mutations <= self.num_dims:
            raise ValueError(f"num_mutations must be in 0..{self.num_dims}, got {num_mutations}")
        self.num_mutations = num_mutations

    @property
    def _default_params(self) -> Params:
        return Params()

    def _init(self, key: jax.Array, params: Params) -> State:
        return State(
            population=jnp.full((self.population_size, self.num_dims), jnp.nan),
            fitness=jnp.full((self.population_size,), jnp.inf),
            best_solution=jnp.full((self.num_dims,), jnp.nan),
            best_fitness=jnp.inf,
            generation_counter=0,
        )

    def _child(self, key: jax.Array, elite: Population) -> jax.Array:
        k_parents, k_point, k_mut = jax.random.split(key, 3)
        mother, father = elite[jax.random.randint(k_parents, (2,), 0, elite.shape[0])]
        point = jax.random.randint(k_point, (), 1, self.num_dims)  # both parents contribute
        child = jnp.where(jnp.arange(self.num_dims) < point, mother, father)
        where = jax.random.choice(k_mut, self.num_dims, (self.num_mutations,), replace=False)
        flip = jnp.zeros(self.num_dims, bool).at[where].set(True)
        return jnp.where(flip, 1.0 - child, child)

    def _ask(self, key: jax.Array, state: State, params: Params) -> tuple[Population, State]:
        order = jnp.argsort(jnp.where(jnp.isnan(state.fitness), jnp.inf, state.fitness))
        elite = state.population[order[: self.num_elites]]
        keys = jax.random.split(key, self.population_size - self.num_elites)
        children = jax.vmap(self._child, in_axes=(0, None))(keys, elite)
        return jnp.concatenate([elite, children]), state

    def _tell(self, key, population: Population, fitness: Fitness, state: State,
              params: Params) -> State:
        return state.replace(population=population, fitness=fitness)
