import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ca_search.strategies import MitchellGA
from tests.ca_search.strategies.toy_problems import evolve, onemax, trap


@pytest.mark.parametrize("problem, dims", [(onemax, 64), (trap, 64)])
def test_ga_improves(problem, dims):
    ga = MitchellGA(population_size=50, solution=jnp.zeros(dims))
    start, state = evolve(ga, problem, 60)
    assert float(state.best_fitness) < start - 8  # clearly better than the random start


def test_elite_is_the_top_fifth_unchanged():
    ga = MitchellGA(population_size=30, solution=jnp.zeros(40))
    key = jax.random.key(1)
    pop = jax.random.bernoulli(key, 0.5, (30, 40)).astype(jnp.float32)
    fit = jax.random.permutation(key, 30).astype(jnp.float32)
    state = ga.init(key, pop, fit, ga.default_params)
    new, _ = ga.ask(jax.random.key(2), state, ga.default_params)
    top = np.argsort(np.asarray(fit))[:6]
    assert ga.num_elites == 6
    assert np.array_equal(np.asarray(new[:6]), np.asarray(pop)[top])


def test_children_have_exactly_two_mutations():
    # Identical all-zero elites: crossover gives zeros, so each child's ones are its mutations.
    ga = MitchellGA(population_size=50, solution=jnp.zeros(128))
    children = jax.vmap(ga._child, in_axes=(0, None))(
        jax.random.split(jax.random.key(0), 500), jnp.zeros((10, 128)))
    assert np.all(np.asarray(children).sum(1) == 2)


def test_single_point_crossover_takes_a_prefix_and_a_suffix():
    ga = MitchellGA(population_size=10, solution=jnp.zeros(32), num_mutations=0)
    elite = jnp.stack([jnp.zeros(32), jnp.ones(32)])
    children = np.asarray(jax.vmap(ga._child, in_axes=(0, None))(
        jax.random.split(jax.random.key(3), 400), elite))
    points = set()
    for child in children:
        changes = np.flatnonzero(np.diff(child))
        assert len(changes) <= 1  # at most one switch between the parents
        if len(changes) == 1:
            points.add(int(changes[0]) + 1)
    assert points and min(points) >= 1 and max(points) <= 31
    assert len(points) > 15  # the point is drawn over the whole genome
