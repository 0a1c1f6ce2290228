"""The leaderboard: P_N against the numpy reference on the same ICs, every catalogue rule
against its published P_149 within the sampling error, Wilson's interval by hand, and
bad --rules / --sizes as one error line."""

import json
import subprocess
import sys

import jax
import numpy as np
import pytest

from ca_search import density, published, reference, rules


@pytest.mark.parametrize("name", ["GKL", "phi_par"])
def test_p_n_equals_the_reference_simulation_on_the_same_ics(name):
    rule = published.BY_NAME[name.lower()]
    n_ics, n_cells, key = 300, 59, jax.random.PRNGKey(4)
    row = published.score(rule, n_cells, n_ics, key)
    # performance draws chunk 0's ICs from fold_in(key, 0): the same ICs, by hand
    cells = np.asarray(density.sample_ics(jax.random.fold_in(key, 0), n_ics, n_cells,
                                          "unbiased"))
    final = reference.simulate(rules.from_hex(rule.hex, 3), cells, 2 * n_cells)
    majority = (cells.sum(-1) * 2 > n_cells).astype(np.uint8)
    correct = np.all(final == majority[:, None], axis=-1)
    assert round(row["performance"] * n_ics) == correct.sum()  # the same ICs, counted
    assert row["ci_low"] <= row["performance"] <= row["ci_high"]


def test_every_catalogue_rule_matches_its_published_p149():
    key = jax.random.PRNGKey(0)
    for rule in published.CATALOGUE:
        if 149 not in rule.published:
            continue
        row = published.score(rule, 149, 10_000, key)
        assert published.agrees(row), (rule.name, row["performance"], rule.published[149])
    # a wrong published figure would be caught
    bad = dict(published.score(published.BY_NAME["gkl"], 149, 10_000, key), published=0.70)
    assert published.agrees(bad) is False


def test_wilson_interval_by_hand():
    # p = 0.8 of n = 100, z = 1.96: centre (0.8 + 0.019208) / 1.038416 = 0.788902,
    # half 1.96 · sqrt(0.0016 + 0.0000960400) / 1.038416 = 0.077733
    lo, hi = published.interval(0.8, 100)
    assert (lo, hi) == pytest.approx((0.711169, 0.866634), abs=2e-6)
    lo, hi = published.interval(0.0, 10_000)  # no successes: still a proper interval
    assert lo == 0.0 and hi == pytest.approx(1.96**2 / (10_000 + 1.96**2), rel=1e-6)


@pytest.mark.parametrize("args, message", [
    (["--rules=GKL,nosuch"], "'nosuch' is neither a catalogue rule"),
    (["--rules=005f"], "neither a catalogue rule"),
    (["--sizes=149,abc"], "expected comma-separated numbers"),
    (["--sizes=3"], "each must be in [7, 100000]"),
    (["--sizes=149,599", "--n_ics=10,20,30"], "one per size (2)"),
])
def test_bad_rules_and_sizes_are_one_error_line(tmp_path, args, message):
    done = subprocess.run([sys.executable, "-m", "ca_search.leaderboard", *args,
                           f"--out={tmp_path / 'lb'}"], capture_output=True, text=True,
                          timeout=120)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and message in lines[0], done.stderr
    assert not (tmp_path / "lb").exists()


def test_the_job_writes_the_documented_rows(tmp_path):
    from ca_search.jobs.leaderboard import LeaderboardConfig, run

    rows = run(LeaderboardConfig(rules=("GKL", "majority"), sizes=(59, 79), n_ics=(200,)),
               tmp_path)
    got = json.loads((tmp_path / "leaderboard.json").read_text())
    assert len(got) == len(rows) == 4
    assert set(got[0]) >= {"name", "hex", "source", "n_cells", "n_ics", "performance",
                           "ci_low", "ci_high"}
    assert (tmp_path / "GKL.png").exists() and "| GKL |" in (tmp_path / "leaderboard.md").read_text()
