"""Summary statistics of a search's trials: a percentile-bootstrap interval of the mean."""

from __future__ import annotations

import numpy as np


def bootstrap_ci(values, level: float = 0.95, n_boot: int = 20_000,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile-bootstrap ``level`` interval of the mean of ``values``: resample the values
    with replacement ``n_boot`` times (numpy ``default_rng(seed)``), take the
    ``(1 ± level) / 2`` quantiles of the resampled means. One value: ``(v, v)``."""
    x = np.asarray(values, np.float64).ravel()
    if x.size == 0:
        raise ValueError("bootstrap_ci needs at least one value")
    means = np.random.default_rng(seed).choice(x, (n_boot, x.size), replace=True).mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)
