"""Bit-vector toy problems (minimisation form) and a plain ask/tell loop."""

import jax
import jax.numpy as jnp

from ca_search.strategies import random_genomes


def onemax(pop):
    return -pop.sum(-1)


def trap(pop, block=4):
    """Concatenated deceptive traps: a block with u ones scores block if u == block, else
    block - 1 - u, so the gradient leads away from the optimum (all ones)."""
    u = pop.reshape(pop.shape[0], -1, block).sum(-1)
    return -jnp.where(u == block, block, block - 1 - u).sum(-1)


def evolve(strategy, problem, generations, seed=0, params=None, record=None):
    params = strategy.default_params if params is None else params
    key = jax.random.key(seed)
    pop = random_genomes(key, strategy.population_size, strategy.num_dims)
    fit0 = problem(pop)
    state = strategy.init(key, pop, fit0, params)
    for _ in range(generations):
        key, k_ask, k_tell = jax.random.split(key, 3)
        pop, state = strategy.ask(k_ask, state, params)
        fit = problem(pop)
        state, _ = strategy.tell(k_tell, pop, fit, state, params)
        if record is not None:
            record(state, pop, fit)
    return float(fit0.min()), state
