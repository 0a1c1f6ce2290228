import zlib

import jax
import numpy as np
import pytest

from ca_search import chaos, density, rules
from ca_search import reference


def _nc_pt_by_hand(history):
    """Rhodes's formula, written out directly."""
    rows = ["".join(str(int(c)) for c in row) for row in history]
    k = lambda s: len(zlib.compress(s.encode("ascii"), 9)) / len(s)  # noqa: E731
    t = len(rows) - 1
    return sum(k(r) for r in rows) / t + k("".join(rows))


def test_nc_pt_matches_formula_on_random_and_constant_histories():
    rng = np.random.default_rng(0)
    for hist in [rng.integers(0, 2, (31, 40)), np.zeros((21, 40), int), np.eye(30, dtype=int)]:
        assert chaos.nc_pt(hist) == pytest.approx(_nc_pt_by_hand(hist), rel=1e-12)


def test_nc_pt_many_equals_one_by_one():
    rng = np.random.default_rng(1)
    hists = rng.integers(0, 2, (3, 2, 11, 20))
    many = chaos.nc_pt_many(hists)
    assert many.shape == (3, 2)
    assert np.allclose(many, [[chaos.nc_pt(h) for h in row] for row in hists])


def test_the_threaded_path_gives_zlibs_values_exactly_on_1000_random_histories():
    """The search compresses on a thread pool; each value must be the one-by-one zlib
    value of the definition, to the last bit (densities from sparse to dense)."""
    rng = np.random.default_rng(7)
    p = rng.uniform(0.02, 0.98, (1000, 1, 1))
    hists = (rng.random((1000, 16, 37)) < p).astype(np.uint8)
    got = chaos.nc_pt_many(hists)
    assert got.tolist() == [_nc_pt_by_hand(h) for h in hists]


def test_the_search_memo_of_repeated_rules_gives_the_fresh_values():
    from ca_search.population import SearchConfig, Trials as _Trials

    c = SearchConfig(task="chaos", trials=2, population=6, n_cells=31, steps=20,
                     compress_level=9)
    trials = _Trials(c)
    rng = np.random.default_rng(3)
    rows = rng.integers(0, 2, (4, c.num_dims)).astype(np.uint8)
    pop = rows[[[0, 1, 0, 2, 1, 0], [3, 3, 2, 1, 0, 3]]]  # repeats within and across trials
    cells = np.stack([density.sample_ics(jax.random.key(t), 2, c.n_cells, "unbiased")
                      for t in range(2)])
    first = np.asarray(trials.chaos_fitness(jax.numpy.asarray(pop), jax.numpy.asarray(cells)))
    again = np.asarray(trials.chaos_fitness(jax.numpy.asarray(pop), jax.numpy.asarray(cells)))
    def history(rule, ic):  # the numpy reference, step by step
        rows = [np.asarray(ic, np.uint8)]
        for _ in range(c.steps):
            rows.append(reference.step(rule, rows[-1]))
        return np.stack(rows)

    want = [[np.mean([_nc_pt_by_hand(history(rule, ic)) for ic in np.asarray(cells[t])])
             for rule in pop[t]] for t in range(2)]
    np.testing.assert_allclose(first, want, rtol=1e-6)  # float32 on the way out
    assert (again == first).all()


def test_population_fitness_matches_reference_simulation():
    key = jax.random.key(2)
    tables = np.stack([rules.gkl(), rules.majority(),
                       np.random.default_rng(2).integers(0, 2, 128).astype(np.uint8)])
    got = chaos.fitness(tables, key, n_ics=2, n_cells=49, steps=30)
    cells = np.asarray(density.sample_ics(key, 2, 49, "unbiased"))
    for table, f in zip(tables, got):
        vals = []
        for ic in cells:
            hist = [ic]
            for _ in range(30):
                hist.append(reference.step(table, hist[-1]))
            vals.append(_nc_pt_by_hand(np.array(hist)))
        assert f == pytest.approx(np.mean(vals), rel=1e-12)


def test_chaotic_rule_scores_above_ordered_rules():
    key = jax.random.key(0)
    scores = chaos.fitness(
        np.stack([rules.from_wolfram(30), rules.from_wolfram(0), rules.from_wolfram(204)]),
        key, n_ics=2)
    rule30, dies, identity = scores
    assert rule30 > identity > dies


def test_block_entropy_equals_its_definition_on_a_hand_computed_history():
    # 2x2 blocks of [[0, 1], [1, 0]] (space periodic): at x=0 the block (0,1 / 1,0), at x=1
    # (1,0 / 0,1) — two patterns, each half the time: 1 bit per block, 1/4 bit per cell
    block_entropy = chaos.block_entropy
    assert block_entropy(np.array([[0, 1], [1, 0]]), size=2) == pytest.approx(0.25)
    assert block_entropy(np.zeros((5, 7))) == 0.0  # one pattern
    # a checkerboard in space and time: two 3x3 patterns, equally often: 1/9 bit per cell
    board = np.indices((6, 8)).sum(0) % 2
    assert block_entropy(board) == pytest.approx(1 / 9)


def test_block_entropy_ranks_a_random_rule_above_rule_184_and_gkl_and_separates_chaos():
    key = jax.random.PRNGKey(0)
    value = {name: chaos.block_entropy_fitness(bits, key, 4)
             for name, bits in [("random", rules.random_rules(0, 1)[0]),
                                ("184", rules.from_wolfram(184)), ("gkl", rules.gkl()),
                                ("30", rules.from_wolfram(30))]}
    assert value["random"] > value["184"] and value["random"] > value["gkl"], value
    assert value["gkl"] < 0.5 and value["184"] < 0.8, value
    # coin flips are near 1; rule 30, at NC_pt's ceiling like them, is told apart
    flips = np.random.default_rng(0).integers(0, 2, (151, 149))
    assert chaos.block_entropy(flips) > 0.95
    assert abs(chaos.block_entropy(flips) - value["30"]) > 0.01, value
