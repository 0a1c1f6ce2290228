import jax
import numpy as np
import pytest

from ca_search import density, rules
from ca_search import reference


def _reference_correct(table, cells, steps):
    final = reference.simulate(table, cells, steps)
    ones = cells.sum(-1)
    n = cells.shape[-1]
    return np.where(2 * ones > n, final.min(-1) == 1,
                    np.where(2 * ones < n, final.max(-1) == 0, False))


@pytest.mark.parametrize("n_cells", [21, 22])  # odd, and even (with ties)
def test_correct_matches_numpy_reference(n_cells):
    rng = np.random.default_rng(n_cells)
    cells = np.asarray(density.sample_ics(jax.random.key(n_cells), 300, n_cells, "flat"))
    tables = np.concatenate([rules.gkl()[None], rules.majority()[None],
                             rng.integers(0, 2, (4, 128)).astype(np.uint8)])
    # rules that answer "all ones" / "all zeros" at once: right exactly on the majority side
    tables = np.concatenate([tables, np.ones((1, 128), np.uint8), np.zeros((1, 128), np.uint8)])
    for table in tables:
        got = np.asarray(density.correct(table, cells, 2 * n_cells))
        assert np.array_equal(got, _reference_correct(table, cells, 2 * n_cells))


def test_flat_ics_have_uniform_number_of_ones():
    n = 10
    cells = np.asarray(density.sample_ics(jax.random.key(0), 22_000, n, "flat"))
    counts = np.bincount(cells.sum(1), minlength=n + 1)
    expected = 22_000 / (n + 1)
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 35  # chi-square, 10 dof: p < 1e-4 above this


def test_unbiased_ics_are_fair_coins():
    cells = np.asarray(density.sample_ics(jax.random.key(1), 2000, 149, "unbiased"))
    assert abs(cells.mean() - 0.5) < 0.005
    assert abs(np.corrcoef(cells[:, 0], cells[:, 1])[0, 1]) < 0.1


def test_population_fitness_uses_the_same_ics_for_every_rule():
    key = jax.random.key(3)
    tables = np.stack([rules.gkl(), rules.majority(), 1 - rules.gkl()])
    batched = jax.vmap(density.fitness, in_axes=(0, None))(tables, key)
    cells = np.asarray(density.sample_ics(key, 100, 149, "flat"))
    for table, f in zip(tables, np.asarray(batched)):
        assert f == pytest.approx(_reference_correct(table, cells, 150).mean())


def test_majority_rule_classifies_no_unbiased_ic():
    # Known fact: at N=149 local majority freezes into stripes and never reaches consensus.
    assert density.performance(rules.majority(3), jax.random.key(0), 2000) == 0.0


def test_gkl_performance_near_published():
    # Mitchell, Crutchfield & Hraber (1994) and Das et al.: P_149(GKL) = 0.816 (M = 2N).
    p = density.performance(rules.gkl(), jax.random.key(0), 10_000)
    assert p == pytest.approx(0.816, abs=0.015)  # 3.8 standard errors at 10^4 ICs


def test_performance_chunks_agree_with_one_batch():
    key = jax.random.key(5)
    one = density.performance(rules.gkl(), key, 1000, chunk=1000)
    chunks = density.performance(rules.gkl(), key, 1000, chunk=250)
    assert abs(one - chunks) < 0.06 and 0.7 < chunks < 0.9


def test_performance_of_a_batch_is_each_rule_on_the_same_ics():
    import jax
    import numpy as np

    from ca_search import density, rules

    batch = np.stack([rules.gkl(), rules.majority(3), np.zeros(128, np.uint8)])
    key = jax.random.PRNGKey(4)
    got = density.performance(batch, key, 300, 49, chunk=128)  # three chunks
    want = [density.performance(b, key, 300, 49, chunk=128) for b in batch]
    np.testing.assert_allclose(got, want, atol=1e-12)
    assert 0.3 < want[2] < 0.7  # "all 0" is right on the minority-1 ICs only
