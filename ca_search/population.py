"""The jitted, trial-vmapped pieces of a rule search: populations, their fitness on the
density task (fresh flat ICs, or ICs coevolving with the rules) and on the chaos task
(compressed space-time histories, on the host, memoised). The population axis can be split
over the devices of a mesh."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh

from ca_search import chaos, coevolution, density
from ca_search.search_config import INERTIA, SearchConfig, make_strategy  # noqa: F401
from ca_search.strategies import random_genomes
from runio import devices

@partial(jax.jit, static_argnames=("n_ics", "n_cells", "steps", "mesh", "ic"))
def population_density_fitness(pop: jax.Array, keys: jax.Array, n_ics: int, n_cells: int,
                               steps: int, mesh: Mesh | None = None,
                               ic: str = "flat") -> jax.Array:
    """F_I of ``(trials, P, D)`` rule tables, each trial's population on the fresh ICs (of
    kind ``ic``) of its own key ``(trials,)``. The population axis is split over ``mesh``;
    the fitness comes back whole. One compiled program serves every strategy of the same
    sizes."""

    def trial(pop, key):
        bits = devices.shard(pop, mesh, axis=0)
        f = lambda b: density.fitness(b, key, n_ics, n_cells, steps, ic)  # noqa: E731
        return devices.replicate(jax.vmap(f)(bits), mesh)

    return jax.vmap(trial)(pop, keys)


@partial(jax.jit, static_argnames=("n_ics", "n_cells", "steps", "mesh"))
def population_coevolution(pop: jax.Array, densities: jax.Array, keys: jax.Array, n_ics: int,
                           n_cells: int, steps: int, mesh: Mesh | None = None):
    """:func:`ca_search.coevolution.generation` for ``(trials, P, D)`` rule tables, their IC
    densities ``(trials, K)`` and keys; ``n_ics // 2`` flat ICs. The population axis is split
    over ``mesh``."""

    def trial(pop, dens, key):
        bits = devices.shard(pop, mesh, axis=0)
        shared, flat, nxt = coevolution.generation(bits, dens, key, n_ics // 2, n_cells, steps)
        return devices.replicate(shared, mesh), devices.replicate(flat, mesh), nxt

    return jax.vmap(trial)(pop, densities, keys)


def started_genomes(key: jax.Array, start: jax.Array, population_size: int,
                    flip: float) -> jax.Array:
    """``(population_size, D)`` genomes around ``start``: member 0 is ``start``, every other
    member flips each of its bits with probability ``flip``."""
    flips = jax.random.bernoulli(key, flip, (population_size, start.shape[-1]))
    return jnp.where(flips, 1.0 - start, start).at[0].set(start).astype(jnp.float32)


class Trials:
    """The jitted, trial-vmapped pieces of a search, and its memo of chaos fitness (built
    once per run)."""

    def __init__(self, config: SearchConfig, mesh: Mesh | None = None,
                 starts: np.ndarray | None = None):
        """``starts``: ``(trials, D)`` genomes each trial's population starts from
        (:func:`started_genomes`); None: random genomes."""
        self.config = c = config
        self.mesh = mesh
        self.strategy, self.params = make_strategy(config)
        s, p = self.strategy, self.params
        devices.check_divisible(config.population, mesh)

        def init_pop(key, start):
            k_pop, k_next = jax.random.split(key)
            if start is None:
                pop = random_genomes(k_pop, c.population, c.num_dims, c.init == "uniform")
            else:
                pop = started_genomes(k_pop, start, c.population, c.init_flip)
            return pop, k_next

        def start(key, pop, fit):
            k_init, k_next = jax.random.split(key)
            return s.init(k_init, pop, -fit, p), k_next

        def ask(state, key):
            k_ask, k_eval, k_tell, k_next = jax.random.split(key, 4)
            pop, state = s.ask(k_ask, state, p)
            return pop, state, (k_eval, k_tell, k_next)

        def tell(state, pop, fit, k_tell):
            state, _ = s.tell(k_tell, pop, -fit, state, p)
            return state

        v = jax.vmap
        starts = None if starts is None else jnp.asarray(starts, jnp.float32)
        init = jax.jit(v(init_pop))
        self.init_pop = lambda keys: init(keys, starts)
        self.start = jax.jit(v(start))
        self.ask = jax.jit(v(ask))
        self.tell = jax.jit(v(tell))

        def histories(bits, cells, steps):
            bits = devices.shard(bits, mesh, axis=0)
            return chaos.population_histories(bits, cells, steps)

        self.histories = jax.jit(v(histories, in_axes=(0, 0, None)), static_argnums=2)
        self._cache: dict[tuple[int, bytes], float] = {}

    def density_fitness(self, pop: jax.Array, keys: jax.Array) -> jax.Array:
        """F_I of ``(trials, P, D)`` genomes on fresh ICs from each trial's key."""
        c = self.config
        return population_density_fitness(c.tables(pop), keys, c.n_ics, c.n_cells, c.steps,
                                          self.mesh, "unbiased" if c.ics == "unbiased" else "flat")

    def coevolution(self, pop: jax.Array, densities: jax.Array, keys: jax.Array):
        """Shared fitness, F on the flat ICs and the next IC densities of each trial."""
        c = self.config
        return population_coevolution(c.tables(pop), densities, keys, c.n_ics, c.n_cells,
                                      c.steps, self.mesh)

    def chaos_fitness(self, pop: jax.Array, cells: jax.Array) -> jax.Array:
        """NC_pt (mean over each trial's fixed ICs) of ``(trials, P, D)`` genomes, cached."""
        c = self.config
        bits = np.asarray(c.tables(pop))
        keys = [(t, row.tobytes()) for t in range(bits.shape[0]) for row in bits[t]]
        todo = sorted({k for k in keys if k not in self._cache})
        if todo:
            hist = np.asarray(self.histories(jnp.asarray(bits), cells, c.steps))
            flat = hist.reshape((-1,) + hist.shape[2:])
            index = {k: i for i, k in enumerate(keys)}
            values = chaos.nc_pt_many(flat[[index[k] for k in todo]], c.compress_level)
            self._cache.update(zip(todo, values.mean(axis=1)))
        return jnp.asarray(np.array([self._cache[k] for k in keys]).reshape(bits.shape[:2]),
                           jnp.float32)
