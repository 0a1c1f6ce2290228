"""Evolve CA rules: ``python -m ca_search.search --task=density --strategy=ga --out=DIR``.

Writes history.csv, summary.json, fitness.png, best_rule.png and report.md into --out;
rerunning with the same --out and flags resumes from the last checkpoint.
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

search_flags.define(search_flags.SEARCH)
FLAGS = flags.FLAGS


def main(argv):
    from ca_search.jobs.search import run_search

    require(bool(FLAGS.out), "--out is required: the folder for results")
    config = search_flags.SEARCH.build()
    mesh = devices.population_mesh(devices.parse_devices(FLAGS.devices))
    summary = run_search(config, FLAGS.out, overwrite=FLAGS.overwrite, mesh=mesh)
    print(f"best fitness {summary['best_fitness_mean']:.4f} ± {summary['best_fitness_std']:.4f}"
          f" over {config.trials} trials; results in {FLAGS.out}")


if __name__ == "__main__":
    run(main, search_flags.SEARCH)
