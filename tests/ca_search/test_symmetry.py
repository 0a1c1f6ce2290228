"""Rules invariant under complement + reflection: the pairing of neighbourhoods, genomes
and tables, and the invariance itself checked on the numpy reference simulator."""

import numpy as np
import pytest

from ca_search import reference, rules, symmetry


@pytest.mark.parametrize("radius", [1, 2, 3])
def test_pairs_are_an_involution_without_fixed_points(radius):
    p = symmetry.partner(radius)
    k = np.arange(rules.table_size(radius))
    assert np.array_equal(p[p], k) and not np.any(p == k)
    nb = rules.neighbourhoods(radius)
    assert np.array_equal(nb[p], 1 - nb[:, ::-1])  # complemented and mirrored
    assert len(symmetry.free_entries(radius)) == symmetry.genome_size(radius) == len(k) // 2


def test_known_rules():
    assert symmetry.is_symmetric(rules.gkl())
    assert symmetry.is_symmetric(rules.majority(3))
    assert not symmetry.is_symmetric(np.zeros(128, np.uint8))  # the "all 0" default rule
    # a block-expanding rule (Mitchell et al.'s phi_100 family): expand 0s unless 1s win big
    assert not symmetry.is_symmetric(rules.from_function(lambda s: s.sum(-1) >= 5, 3))


def test_genome_and_table_round_trip():
    g = np.random.default_rng(0).integers(0, 2, (5, 64))
    t = np.asarray(symmetry.table(g, 3))
    assert t.shape == (5, 128) and all(symmetry.is_symmetric(row) for row in t)
    assert np.array_equal(np.stack([symmetry.genome(row) for row in t]), g)
    assert np.array_equal(symmetry.table(symmetry.genome(rules.gkl()), 3), rules.gkl())
    with pytest.raises(ValueError, match="not invariant"):
        symmetry.genome(np.zeros(128, np.uint8))


def test_a_symmetric_rule_runs_the_mirrored_complement_of_an_ic_into_the_mirrored_complement():
    rng = np.random.default_rng(1)
    table = np.asarray(symmetry.table(rng.integers(0, 2, 64), 3))
    cells = rng.integers(0, 2, (20, 149)).astype(np.uint8)
    mirrored = 1 - cells[:, ::-1]
    a, b = reference.simulate(table, cells, 40), reference.simulate(table, mirrored, 40)
    assert np.array_equal(b, 1 - a[:, ::-1])
    other = rng.integers(0, 2, 128)  # an arbitrary rule does not (the test can fail)
    assert not np.array_equal(reference.simulate(other, mirrored, 40),
                              1 - reference.simulate(other, cells, 40)[:, ::-1])
