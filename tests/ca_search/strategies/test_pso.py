import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ca_search.strategies import BGL_PSO, BinaryPSO
from ca_search.strategies.bgl_pso import mutate, power_law_pmf, ring_best
from tests.ca_search.strategies.toy_problems import evolve, onemax, trap


@pytest.mark.parametrize("cls", [BinaryPSO, BGL_PSO])
@pytest.mark.parametrize("problem", [onemax, trap])
def test_pso_improves(cls, problem):
    pso = cls(population_size=40, solution=jnp.zeros(64), max_generations=60)
    start, state = evolve(pso, problem, 60)
    assert float(state.best_fitness) < start - 6


@pytest.mark.parametrize("cls", [BinaryPSO, BGL_PSO])
def test_personal_and_global_bests_never_get_worse(cls):
    pso = cls(population_size=20, solution=jnp.zeros(32), max_generations=30)
    seen = []
    evolve(pso, onemax, 30, record=lambda s, p, f: seen.append(
        (np.asarray(s.fitness_best), float(s.best_fitness), np.asarray(s.population_best))))
    for (fb0, gb0, pb0), (fb1, gb1, pb1) in zip(seen, seen[1:]):
        assert np.all(fb1 <= fb0) and gb1 <= gb0
    # each personal best's fitness is the fitness of the stored position
    fb, _, pb = seen[-1]
    assert np.allclose(fb, np.asarray(onemax(jnp.asarray(pb))))


def test_chaotic_inertia_formula():
    pso = BinaryPSO(population_size=4, solution=jnp.zeros(8), max_generations=100)
    params = pso.default_params
    state = pso._init(jax.random.key(0), params)
    for t, z0 in [(0, 0.3), (50, 0.9), (100, 0.5), (150, 0.2)]:
        state = state.replace(chaos_z=z0, generation_counter=t)
        w, z = pso.inertia(state, params)
        z_expected = 4 * z0 * (1 - z0)
        frac = (100 - min(t, 100)) / 100
        assert float(z) == pytest.approx(z_expected)
        assert float(w) == pytest.approx((0.4 - 0.9) * frac + 0.9 * z_expected)


def test_ring_best_matches_loop():
    rng = np.random.default_rng(0)
    fitness = rng.normal(size=23)
    got = np.asarray(ring_best(jnp.asarray(fitness), 5))
    for i in range(23):
        neighbours = [(i + d) % 23 for d in range(-5, 6)]
        assert got[i] == neighbours[int(np.argmin(fitness[neighbours]))]


def test_mutation_flips_exactly_k_bits():
    pmf = jnp.zeros(65).at[3].set(1.0)
    pop = jnp.zeros((200, 64))
    out = np.asarray(mutate(jax.random.key(0), pop, pmf))
    assert np.all(out.sum(1) == 3)


def test_mutation_counts_follow_the_power_law():
    pmf = power_law_pmf(64, 2.5)
    assert float(pmf.sum()) == pytest.approx(1.0)
    assert np.all(np.diff(np.asarray(pmf)) < 0)  # decreasing: mode at 0, long right tail
    counts = np.asarray(mutate(jax.random.key(1), jnp.zeros((20_000, 64)), pmf)).sum(1)
    freq = np.bincount(counts.astype(int), minlength=65) / counts.size
    assert np.allclose(freq[:4], np.asarray(pmf)[:4], atol=0.01)


@pytest.mark.parametrize("strategy", ["bpso", "bglpso"])
def test_the_inertia_readings_start_where_each_source_says(strategy):
    """Rhodes prints w1 = 0.4, w2 = 0.9 (w starts in [-0.5, 0.4]); Feng et al. use
    w1 = 0.9, w2 = 0.4, so w falls from [0.5, 0.9] at t = 0 to [0, 0.4] at T_max."""
    from ca_search.search_config import SearchConfig, make_strategy

    for reading, start, end in [("printed", (-0.5, 0.4), (0.0, 0.9)),
                                ("feng", (0.5, 0.9), (0.0, 0.4))]:
        pso, params = make_strategy(SearchConfig(strategy=strategy, generations=100,
                                                 inertia=reading))
        state = pso._init(jax.random.key(0), params)
        for z0 in (0.0, 0.5, 0.2, 0.9):  # z = 4 z0 (1 - z0) covers [0, 1]
            for t, (lo, hi) in ((0, start), (100, end)):
                w, _ = pso.inertia(state.replace(chaos_z=z0, generation_counter=t), params)
                assert lo - 1e-6 <= float(w) <= hi + 1e-6
        # the extremes are reached: z = 0 and z = 1 at t = 0
        w0 = [float(pso.inertia(state.replace(chaos_z=z0, generation_counter=0), params)[0])
              for z0 in (0.0, 0.5)]
        assert w0 == pytest.approx(list(start), abs=1e-6)


def test_an_unknown_inertia_reading_is_refused():
    from ca_search.search_config import SearchConfig
    from runio.errors import ConfigError

    with pytest.raises(ConfigError, match="printed, feng"):
        SearchConfig(inertia="linear")
