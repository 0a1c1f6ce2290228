"""Table I of Rhodes's study: GA, BPSO and BGL-PSO on the density and chaos tasks.

    python -m ca_search.table1 --out=DIR [--trials=10 --generations=200]

Runs the six searches into DIR/<task>_<strategy>/ (each resumable) and writes
DIR/table1.md with our mean ± std of the best fitness per trial beside Rhodes's numbers
(:func:`ca_search.jobs.table1.run_table1`).
"""

from __future__ import annotations

from runio import environment

environment.check()  # first: a bad JAX variable would fail inside the imports below

from absl import flags

from runio.cli import join_cluster

join_cluster()  # first: a process joins jax.distributed before anything computes
from ca_search import search_flags  # noqa: E402  (importing evosax computes)
from runio import devices  # noqa: E402
from runio.cli import require, run  # noqa: E402

search_flags.define(search_flags.TABLE1)
FLAGS = flags.FLAGS


def main(argv):
    from ca_search.jobs.table1 import run_table1

    require(bool(FLAGS.out), "--out is required: the folder for results")
    base = search_flags.TABLE1.build()
    mesh = devices.population_mesh(devices.parse_devices(FLAGS.devices))
    print(run_table1(FLAGS.out, base, FLAGS.overwrite, mesh))


if __name__ == "__main__":
    run(main, search_flags.TABLE1)
