"""Cell-updates/s of the bit-sliced simulator vs the plain numpy reference, same run.

    python -m benchmarks.ca_throughput [--population=100 --n_ics=128 --n_cells=149 --steps=150]

Also times P_149 of one rule on 10^5 unbiased ICs.
"""

from __future__ import annotations

import time

import jax
import numpy as np
from absl import flags

from benchmarks import common
from ca_search import density, reference, rules, simulator

flags.DEFINE_integer("population", 100, "Rules evaluated at once.")
flags.DEFINE_integer("n_ics", 128, "ICs per rule.")
flags.DEFINE_integer("n_cells", 149, "Lattice size N.")
flags.DEFINE_integer("steps", 150, "Steps T.")
flags.DEFINE_integer("radius", 3, "Rule radius.")
flags.DEFINE_integer("numpy_steps", 10, "Steps timed for the (slow) numpy reference.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    results = common.Results("ca_throughput")
    p, m, n, t, r = FLAGS.population, FLAGS.n_ics, FLAGS.n_cells, FLAGS.steps, FLAGS.radius
    rng = np.random.default_rng(0)
    tables = rng.integers(0, 2, (p, 2 ** (2 * r + 1))).astype(np.uint8)
    cells = rng.integers(0, 2, (p, m, n)).astype(np.uint8)
    words = jax.vmap(simulator.pack)(cells)
    ours = common.timeit(lambda: simulator.run_population(tables, words, t).block_until_ready())
    ref_steps = FLAGS.numpy_steps
    theirs = (common.timeit(lambda: reference.simulate(tables, cells, ref_steps), repeats=2)
              * t / ref_steps)
    updates = p * m * n * t
    results.emit({
        "config": {"population": p, "n_ics": m, "n_cells": n, "steps": t, "radius": r},
        "cell_updates_per_s": updates / ours,
        "numpy_cell_updates_per_s": updates / theirs,
        "ratio": theirs / ours,
    })
    key = jax.random.key(0)
    density.performance(rules.gkl(), key, 100_000)  # compile
    start = time.perf_counter()
    perf = density.performance(rules.gkl(), jax.random.key(1), 100_000)
    results.emit({
        "config": {"task": "P_149 of GKL", "n_ics": 100_000, "steps": 298},
        "seconds": time.perf_counter() - start,
        "performance": perf,
    })
    results.close()


if __name__ == "__main__":
    common.run(main)
