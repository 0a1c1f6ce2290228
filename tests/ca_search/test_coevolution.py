"""Coevolving ICs with resource sharing: the two shared fitnesses by hand, the IC densities'
selection, and one generation against the numpy reference simulator."""

import jax
import jax.numpy as jnp
import numpy as np

from ca_search import coevolution, density, reference, rules, symmetry


def test_shared_fitness_by_hand():
    correct = jnp.array([[1, 1, 0], [1, 0, 0]], jnp.float32)
    # IC 0 is solved by both rules (1/2 each), IC 1 by rule 0 only, IC 2 by none
    np.testing.assert_allclose(coevolution.rule_fitness(correct), [1.5, 0.5])
    # rule 0 is defeated by IC 2 only (1 to it); rule 1 by ICs 1 and 2 (1/2 each)
    np.testing.assert_allclose(coevolution.ic_fitness(correct), [0.0, 0.5, 1.5])


def test_sampled_ics_have_the_given_number_of_ones():
    dens = jnp.array([0.0, 0.2, 0.5, 0.77, 1.0])
    cells = np.asarray(coevolution.sample(jax.random.PRNGKey(0), dens, 149))
    assert cells.shape == (5, 149)
    np.testing.assert_array_equal(cells.sum(1), np.round(np.asarray(dens) * 149))


def test_the_better_half_of_the_densities_survives_and_children_stay_in_range():
    dens = jnp.array([0.1, 0.9, 0.45, 0.55, 0.3, 0.52])
    fit = jnp.array([0.0, 1.0, 5.0, 4.0, 0.5, 3.0])
    nxt = np.asarray(coevolution.next_densities(jax.random.PRNGKey(1), dens, fit))
    assert nxt.shape == (6,)
    np.testing.assert_allclose(nxt[:3], [0.45, 0.55, 0.52])
    assert np.all((0 <= nxt) & (nxt <= 1))
    assert np.all(np.min(np.abs(nxt[3:, None] - nxt[None, :3]), axis=1) < 0.3)  # near a parent


def test_a_generation_scores_the_rules_as_the_reference_simulator_does():
    tables = np.stack([rules.gkl(), rules.majority(3), np.asarray(symmetry.table(
        np.random.default_rng(2).integers(0, 2, 64), 3))])
    dens = jnp.array([0.3, 0.48, 0.52, 0.7, 0.5, 0.1])
    key = jax.random.PRNGKey(3)
    n_flat, n, steps = 10, 59, 60
    shared, flat, nxt = coevolution.generation(jnp.asarray(tables), dens, key, n_flat, n, steps)

    k_flat, k_ics, _ = jax.random.split(key, 3)  # the ICs the generation met
    cells = np.concatenate([np.asarray(density.sample_ics(k_flat, n_flat, n, "flat")),
                            np.asarray(coevolution.sample(k_ics, dens, n))])
    final = reference.simulate(tables, np.broadcast_to(cells, (3,) + cells.shape), steps)
    majority = (2 * cells.sum(1) > n)[None, :, None]
    correct = np.all(final == majority, axis=2).astype(np.float32)
    np.testing.assert_allclose(flat, correct[:, :n_flat].mean(1), atol=1e-6)
    solvers = np.maximum(correct.sum(0), 1)
    np.testing.assert_allclose(shared, (correct / solvers).sum(1), atol=1e-5)
    assert nxt.shape == dens.shape
