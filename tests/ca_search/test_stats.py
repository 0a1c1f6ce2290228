"""The bootstrap interval against a hand computation."""

import itertools

import numpy as np
import pytest

from ca_search.stats import bootstrap_ci


def test_bootstrap_interval_matches_the_exact_resampling_distribution():
    """For 3 values every one of the 27 resamples is equally likely: the exact distribution
    of the resampled mean, written out by hand here, puts 1/27 ≈ 3.7 % (more than 2.5 %)
    on each extreme, so the exact 95 % interval is (min, max); for 0 and 1 the 4 resamples
    have means 0, .5, .5, 1, so the 95 % interval is (0, 1) and the 40 % one (0.5, 0.5)."""
    x = [0.2, 0.5, 0.9]
    means = sorted(np.mean(r) for r in itertools.product(x, repeat=3))
    assert means[0] == pytest.approx(0.2) and means[-1] == pytest.approx(0.9)
    assert bootstrap_ci(x) == (pytest.approx(0.2), pytest.approx(0.9))
    assert bootstrap_ci([0.0, 1.0]) == (0.0, 1.0)
    assert bootstrap_ci([0.0, 1.0], level=0.4) == (0.5, 0.5)
    assert bootstrap_ci([0.7]) == (0.7, 0.7)


def test_bootstrap_interval_covers_the_mean_and_narrows_with_more_trials():
    rng = np.random.default_rng(1)
    small, large = rng.normal(0.8, 0.1, 10), rng.normal(0.8, 0.1, 1000)
    for x in (small, large):
        lo, hi = bootstrap_ci(x)
        assert lo < x.mean() < hi
    # the width falls like 1/sqrt(n): 2 * 1.96 * sd / sqrt(n)
    width = np.subtract(*bootstrap_ci(large)[::-1])
    assert width == pytest.approx(2 * 1.96 * large.std() / np.sqrt(1000), rel=0.1)
