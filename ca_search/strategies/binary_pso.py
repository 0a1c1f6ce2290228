"""Binary particle swarm optimisation (Khanesar, Teshnehlab & Shoorehdeli, 2007).

Each bit j of particle i carries two velocities: v1 (towards 1) and v0 (towards 0). An
attractor a (a personal or social best) at coefficient c pulls with
d^1 = c r (2a - 1) and d^0 = -d^1, r ~ U[0, 1] per particle and bit:

    v1 <- w v1 + d1^1 + d2^1,        v0 <- w v0 + d1^0 + d2^0

(d1: personal best, d2: global best). The change velocity is v^c = v1 where the bit is 0
and v0 where it is 1, and the bit flips when r < sigmoid(v^c). Velocities may be clamped to
[-v_max, v_max] (default: no clamp).

Inertia is chaotic (Feng et al.): w = (w1 - w2)(T_max - t)/T_max + w2 z, where z follows the
logistic map z <- 4 z (1 - z) from z0 ~ U[0, 1]; Rhodes's w1 = 0.4, w2 = 0.9.
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
    population_best: Population
    fitness_best: Fitness
    velocity_one: jax.Array
    velocity_zero: jax.Array
    chaos_z: float


@struct.dataclass
class Params(BaseParams):
    cognitive_coeff: float  # c1
    social_coeff: float  # c2
    inertia_w1: float
    inertia_w2: float
    max_generations: int  # T_max of the inertia schedule
    max_velocity: float  # clamp; inf for none


def attraction(key: jax.Array, best: jax.Array, coeff: float, shape) -> jax.Array:
    """d^1 = c r (2a - 1) for attractor bits ``best`` (d^0 is its negative)."""
    return coeff * jax.random.uniform(key, shape) * (2.0 * best - 1.0)


class BinaryPSO(PopulationBasedAlgorithm):
    """Binary PSO with two velocities per bit and chaotic inertia (minimises)."""

    def __init__(
        self,
        population_size: int,
        solution: Solution,
        max_generations: int = 200,
        fitness_shaping_fn: Callable = identity_fitness_shaping_fn,
        metrics_fn: Callable = metrics_fn,
    ):
        super().__init__(population_size, solution, fitness_shaping_fn, metrics_fn)
        self.max_generations = max_generations

    @property
    def _default_params(self) -> Params:
        return Params(
            cognitive_coeff=2.0,
            social_coeff=2.0,
            inertia_w1=0.4,
            inertia_w2=0.9,
            max_generations=self.max_generations,
            max_velocity=jnp.inf,
        )

    def _init(self, key: jax.Array, params: Params) -> State:
        shape = (self.population_size, self.num_dims)
        return State(
            population=jnp.full(shape, jnp.nan),
            fitness=jnp.full((self.population_size,), jnp.inf),
            population_best=jnp.full(shape, jnp.nan),
            fitness_best=jnp.full((self.population_size,), jnp.inf),
            velocity_one=jnp.zeros(shape),
            velocity_zero=jnp.zeros(shape),
            chaos_z=jax.random.uniform(key),
            best_solution=jnp.full((self.num_dims,), jnp.nan),
            best_fitness=jnp.inf,
            generation_counter=0,
        )

    def init(self, key: jax.Array, population: Population, fitness: Fitness,
             params: Params) -> State:
        """Initialise, seeding personal bests with the evaluated initial population."""
        state = super().init(key, population, fitness, params)
        return state.replace(population_best=state.population, fitness_best=state.fitness)

    def _postprocess_fitness(self, raw_fitness: Fitness, fitness: Fitness) -> Fitness:
        return jnp.where(jnp.isnan(raw_fitness), jnp.inf, fitness)

    def inertia(self, state: State, params: Params) -> tuple[jax.Array, jax.Array]:
        """Chaotic inertia weight for this generation, and the next logistic-map value."""
        z = 4.0 * state.chaos_z * (1.0 - state.chaos_z)
        t = jnp.minimum(state.generation_counter, params.max_generations)
        frac = (params.max_generations - t) / params.max_generations
        return (params.inertia_w1 - params.inertia_w2) * frac + params.inertia_w2 * z, z

    def social_pull(self, key: jax.Array, state: State, params: Params) -> jax.Array:
        """d2^1: the pull of the global best."""
        best = state.population_best[jnp.argmin(state.fitness_best)]
        return attraction(key, best[None], params.social_coeff, state.population.shape)

    def _ask(self, key: jax.Array, state: State, params: Params) -> tuple[Population, State]:
        k_cog, k_soc, k_flip = jax.random.split(key, 3)
        w, z = self.inertia(state, params)
        shape = state.population.shape
        pull = attraction(k_cog, state.population_best, params.cognitive_coeff, shape)
        pull = pull + self.social_pull(k_soc, state, params)
        vmax = params.max_velocity
        v1 = jnp.clip(w * state.velocity_one + pull, -vmax, vmax)
        v0 = jnp.clip(w * state.velocity_zero - pull, -vmax, vmax)
        x = state.population
        change = jnp.where(x == 0, v1, v0)
        flip = jax.random.uniform(k_flip, shape) < jax.nn.sigmoid(change)
        x = jnp.where(flip, 1.0 - x, x)
        return x, state.replace(velocity_one=v1, velocity_zero=v0, chaos_z=z)

    def _tell(self, key, population: Population, fitness: Fitness, state: State,
              params: Params) -> State:
        better = fitness <= state.fitness_best
        return state.replace(
            population=population,
            fitness=fitness,
            population_best=jnp.where(better[:, None], population, state.population_best),
            fitness_best=jnp.where(better, fitness, state.fitness_best),
        )
