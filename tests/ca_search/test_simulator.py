import jax
import numpy as np
import pytest

from ca_search import rules, simulator
from ca_search import reference


@pytest.mark.parametrize("n_ics", [1, 31, 32, 33, 100])
def test_pack_unpack_roundtrip(n_ics):
    cells = np.random.default_rng(n_ics).integers(0, 2, (n_ics, 17)).astype(np.uint8)
    words = simulator.pack(cells)
    assert words.shape == (17, simulator.n_words(n_ics))
    assert np.array_equal(simulator.unpack(words, n_ics), cells)
    # bit b of word w in row i is cell i of IC 32w + b
    i, ic = 5, n_ics - 1
    assert (int(words[i, ic // 32]) >> (ic % 32)) & 1 == cells[ic, i]


@pytest.mark.parametrize(
    "radius, n_cells, steps",
    [(1, 7, 40), (1, 64, 100), (2, 5, 30), (2, 50, 80), (3, 7, 60), (3, 149, 150),
     (3, 150, 150), (4, 9, 50), (4, 101, 120)],
)
def test_population_matches_numpy_reference(radius, n_cells, steps):
    rng = np.random.default_rng(radius * 1000 + n_cells)
    n_rules, n_ics = 6, 45
    tables = rng.integers(0, 2, (n_rules, 2 ** (2 * radius + 1))).astype(np.uint8)
    cells = rng.integers(0, 2, (n_rules, n_ics, n_cells)).astype(np.uint8)
    words = jax.vmap(simulator.pack)(cells)
    out = simulator.run_population(tables, words, steps)
    got = np.stack([simulator.unpack(w, n_ics) for w in out])
    assert np.array_equal(got, reference.simulate(tables, cells, steps))


def test_history_matches_reference_rows():
    rng = np.random.default_rng(1)
    table = rules.from_wolfram(110)
    cells = rng.integers(0, 2, 40).astype(np.uint8)
    hist = np.asarray(simulator.history(table, cells, 25))
    assert hist.shape == (26, 40)
    assert np.array_equal(hist[0], cells)
    for t in range(25):
        assert np.array_equal(hist[t + 1], reference.step(table, hist[t]))


def test_elementary_rule_90_from_single_cell_is_pascal_mod_2():
    # Rule 90 from one live cell draws Pascal's triangle mod 2 (an independent fact).
    n, steps = 65, 20
    cells = np.zeros(n, np.uint8)
    cells[n // 2] = 1
    hist = np.asarray(simulator.history(rules.from_wolfram(90), cells, steps))
    for t in range(steps + 1):
        expected = np.zeros(n, np.uint8)
        for k in range(t + 1):
            from math import comb
            expected[n // 2 - t + 2 * k] ^= comb(t, k) % 2
        assert np.array_equal(hist[t], expected)


def test_spacetime_figure_shows_the_history_with_labelled_axes():
    from ca_search.diagram import spacetime_figure

    hist = np.random.default_rng(0).integers(0, 2, (7, 11)).astype(np.uint8)
    fig = spacetime_figure(hist, title="rule 30")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "cell" and ax.get_ylabel() == "time step"
    assert ax.get_title() == "rule 30"
    shown = np.asarray(ax.images[0].get_array())
    np.testing.assert_array_equal(shown, np.where(hist > 0, 0, 255))  # live cells black
