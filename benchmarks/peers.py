"""Our code and the library a user would otherwise pick, on the same workload, same run.

    pip install -e ".[bench]" && python -m benchmarks.peers [--peers=cellpylib,cax]

- ``cellpylib``: 1-D CA, r=3, N=149, T=150 (its ``evolve`` with ``binary_rule``,
  memoised) vs our bit-sliced simulator on 100 rules x 128 ICs; both on the same rule and
  IC are checked to agree first.
- ``cax``: its growing NCA (``ConvPerceive`` + ``NCAUpdate``, hidden 32) with the
  population evaluated by ``nnx.vmap`` vs our ES population evaluation, same grid size,
  steps and population; both timed alike (best of ≥ 3 calls) in ``--rounds`` interleaved
  rounds, the medians and the range of the per-round ratios reported.

Each row prints our figure, the peer's and ``ratio`` (ours / peer).
"""

from __future__ import annotations

import time

import jax
import numpy as np
from absl import flags

from benchmarks import common
from ca_search import simulator
from runio import devices

flags.DEFINE_list("peers", ["cellpylib", "cax"], "Peers to compare against.")
flags.DEFINE_integer("ca_rules", 100, "Rules in our 1-D CA population.")
flags.DEFINE_integer("ca_ics", 128, "ICs per rule for our simulator.")
flags.DEFINE_integer("cellpylib_runs", 3, "Single-IC cellpylib runs timed.")
flags.DEFINE_integer("nca_size", 9, "Grid size for the NCA workload.")
flags.DEFINE_integer("nca_population", 256, "Population for the NCA workload.")
flags.DEFINE_integer("rounds", 3, "Interleaved timing rounds of cax and ours (medians).")
FLAGS = flags.FLAGS

N_CELLS, STEPS, RADIUS = 149, 150, 3


def rule_number(bits: np.ndarray) -> int:
    """Wolfram-style number of a table: bit k = output for neighbourhood value k."""
    return sum(int(b) << k for k, b in enumerate(bits))


def cellpylib_rows() -> list[dict]:
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
        common.fail("cellpylib and ca_search disagree on the same rule and IC")
    start = time.perf_counter()
    for _ in range(FLAGS.cellpylib_runs):
        peer()
    peer_rate = FLAGS.cellpylib_runs * N_CELLS * STEPS / (time.perf_counter() - start)

    p, m = FLAGS.ca_rules, FLAGS.ca_ics
    tables = rng.integers(0, 2, (p, table.size)).astype(np.uint8)
    words = jax.vmap(simulator.pack)(rng.integers(0, 2, (p, m, N_CELLS)).astype(np.uint8))
    seconds = common.timeit(
        lambda: simulator.run_population(tables, words, STEPS).block_until_ready())
    ours_rate = p * m * N_CELLS * STEPS / seconds
    return [{"workload": "1-D CA r=3 N=149 T=150", "unit": "cell-updates/s",
             "ours": ours_rate, "peer": peer_rate, "peer_name": f"cellpylib {cpl.__version__}",
             "ratio": ours_rate / peer_rate, "goal_ratio": 1000}]


def cax_rows() -> list[dict]:
    from flax import nnx
    from cax.core import ComplexSystem
    from cax.core.perceive import ConvPerceive
    from cax.core.update import NCAUpdate

    from importlib.metadata import version

    from benchmarks.population_scaling import device_counts, evaluation

    channels, hidden, size, steps, population = 16, 32, FLAGS.nca_size, 35, FLAGS.nca_population

    class CaxNCA(ComplexSystem):
        """cax's growing NCA: depthwise 3x3 conv perception (3 filters per channel) and the
        NCA update (hidden 32, cell dropout 0.5, alive masking, zero-initialised output)."""

        def __init__(self, rngs):
            self.perceive = ConvPerceive(channels, 3 * channels, feature_group_count=channels,
                                         rngs=rngs)
            self.update = NCAUpdate(channels, 3 * channels, (hidden,), cell_dropout_rate=0.5,
                                    zeros_init=True, rngs=rngs)

        def _step(self, state, input=None, *, sow=False):
            return self.update(state, self.perceive(state))

    @nnx.split_rngs(splits=population)
    @nnx.vmap(in_axes=(0,))
    def create(rngs):
        return CaxNCA(rngs)

    @nnx.jit
    def rollouts(models, state):
        return nnx.vmap(lambda m, s: m(s, num_steps=steps), in_axes=(0, None))(models, state)

    models = create(nnx.Rngs(0))
    seed = jax.numpy.zeros((size, size, channels)).at[size // 2, size // 2, 3:].set(1.0)
    # cax, then ours as the ES trainer runs it: on one device, and split over the cores
    calls = {"cax": lambda: jax.block_until_ready(rollouts(models, seed))}
    for n in device_counts(population):
        calls[n] = evaluation(population, steps, size, n)
    # one timer for all, in interleaved rounds: the shared machine's speed drifts by ±30 % within
    # minutes, so each round's ratio compares moments close together
    seconds = {k: [] for k in calls}
    for _ in range(FLAGS.rounds):
        for k, call in calls.items():
            seconds[k].append(common.timeit(call, repeats=3, min_seconds=1.0))
    peer = population / np.array(seconds.pop("cax"))
    workload = (f"growing NCA {size}x{size}, 16 ch, hidden 32, {steps} steps, "
                f"population {population}")
    rows = []
    for n, secs in seconds.items():
        ours = population / np.array(secs)
        ratios = ours / peer
        rows.append({"workload": workload, "unit": "rollouts/s", "ours_devices": n,
                     "ours": float(np.median(ours)), "peer": float(np.median(peer)),
                     "peer_name": f"cax {version('cax')} (nnx.vmap, one device)",
                     "ratio": float(np.median(ratios)),
                     "ratio_range": f"{ratios.min():.1f}–{ratios.max():.1f}",
                     "rounds": FLAGS.rounds, "goal_ratio": 15})
    return rows


ROWS = {"cellpylib": cellpylib_rows, "cax": cax_rows}


def main(argv):
    del argv
    for name in FLAGS.peers:
        if name not in ROWS:
            common.fail(f"--peers: unknown peer {name!r}; allowed: {', '.join(ROWS)}")
    common.require(1 <= FLAGS.rounds <= 100, f"--rounds={FLAGS.rounds}: must be in [1, 100]")
    devices.use_cpu_cores()  # before JAX runs anything: each core a device
    results = common.Results("peers")
    for name in FLAGS.peers:
        try:
            rows = ROWS[name]()
        except ImportError:
            common.fail(f"--peers={name}: not installed; run pip install -e \".[bench]\"")
        for row in rows:
            results.emit(row)
    results.close()


if __name__ == "__main__":
    common.run(main)
