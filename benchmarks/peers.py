"""Our code and the library a user would otherwise pick, on the same workload, same run.

    pip install -e ".[bench]" && python -m benchmarks.peers [--peers=cellpylib,cax]

- ``cellpylib``: 1-D CA, r=3, N=149, T=150 (its ``evolve`` with ``binary_rule``,
  memoised) vs our bit-sliced simulator on 100 rules x 128 ICs; both on the same rule and
  IC are checked to agree first.
- ``cax``: its growing NCA (``ConvPerceive`` + ``NCAUpdate``, hidden 32) with the
  population evaluated by ``nnx.vmap`` vs our ES population evaluation, same grid size,
  steps and population.

Each row prints our figure, the peer's and ``ratio`` (ours / peer).
"""

from __future__ import annotations

import time

import jax
import numpy as np
from absl import flags

from benchmarks.common import emit, timeit
from ca_search import simulator
from runio.cli import fail, run

flags.DEFINE_list("peers", ["cellpylib", "cax"], "Peers to compare against.")
flags.DEFINE_integer("ca_rules", 100, "Rules in our 1-D CA population.")
flags.DEFINE_integer("ca_ics", 128, "ICs per rule for our simulator.")
flags.DEFINE_integer("cellpylib_runs", 3, "Single-IC cellpylib runs timed.")
FLAGS = flags.FLAGS

N_CELLS, STEPS, RADIUS = 149, 150, 3


def rule_number(bits: np.ndarray) -> int:
    """Wolfram-style number of a table: bit k = output for neighbourhood value k."""
    return sum(int(b) << k for k, b in enumerate(bits))


def cellpylib_row() -> dict:
    import cellpylib as cpl

    rng = np.random.default_rng(0)
    table = rng.integers(0, 2, 2 ** (2 * RADIUS + 1)).astype(np.uint8)
    number = rule_number(table)
    ic = rng.integers(0, 2, (1, N_CELLS))

    def peer():
        return cpl.evolve(ic, timesteps=STEPS + 1, r=RADIUS, memoize=True,
                          apply_rule=lambda n, c, t: cpl.binary_rule(n, number, "nks"))

    # same rule, same IC: the two simulators must agree before their speeds mean anything
    ours_hist = np.asarray(simulator.history(table, ic[0], STEPS))
    if not np.array_equal(np.asarray(peer()), ours_hist):
        fail("cellpylib and ca_search disagree on the same rule and IC")
    start = time.perf_counter()
    for _ in range(FLAGS.cellpylib_runs):
        peer()
    peer_rate = FLAGS.cellpylib_runs * N_CELLS * STEPS / (time.perf_counter() - start)

    p, m = FLAGS.ca_rules, FLAGS.ca_ics
    tables = rng.integers(0, 2, (p, table.size)).astype(np.uint8)
    words = jax.vmap(simulator.pack)(rng.integers(0, 2, (p, m, N_CELLS)).astype(np.uint8))
    seconds = timeit(lambda: simulator.run_population(tables, words, STEPS).block_until_ready())
    ours_rate = p * m * N_CELLS * STEPS / seconds
    return {"workload": "1-D CA r=3 N=149 T=150", "unit": "cell-updates/s",
            "ours": ours_rate, "peer": peer_rate, "peer_name": f"cellpylib {cpl.__version__}",
            "ratio": ours_rate / peer_rate, "goal_ratio": 1000}


ROWS = {"cellpylib": cellpylib_row}


def main(argv):
    del argv
    for name in FLAGS.peers:
        if name not in ROWS:
            fail(f"--peers: unknown peer {name!r}; allowed: {', '.join(ROWS)}")
    for name in FLAGS.peers:
        try:
            row = ROWS[name]()
        except ImportError:
            fail(f"--peers={name}: not installed; run pip install -e \".[bench]\"")
        emit("peers", row)


if __name__ == "__main__":
    run(main)
