"""Evolve CA rules: ``python -m ca_search.search --task=density --strategy=ga --out=DIR``.

Writes history.csv, summary.json, fitness.png, best_rule.png and report.md into --out;
rerunning with the same --out and flags resumes from the last checkpoint.
"""

from __future__ import annotations

from absl import flags

from ca_search.experiment import TASKS, SearchConfig, run_search
from ca_search.strategies import STRATEGIES
from runio import devices
from runio.cli import fail, run

flags.DEFINE_enum("task", "density", TASKS, "density: F_100 on flat ICs; chaos: NC_pt.")
flags.DEFINE_enum("strategy", "ga", list(STRATEGIES), "ga, bpso or bglpso.")
flags.DEFINE_integer("trials", 10, "Independent trials, run vmapped together.")
flags.DEFINE_integer("generations", 200, "Generations per trial.")
flags.DEFINE_integer("population", 100, "Population (swarm) size.")
flags.DEFINE_integer("n_ics", 100, "ICs per density evaluation (fresh each generation).")
flags.DEFINE_integer("chaos_ics", 1, "ICs per chaos evaluation (fixed per trial).")
flags.DEFINE_integer("n_cells", 149, "Lattice size N.")
flags.DEFINE_integer("steps", 150, "CA steps T per evaluation.")
flags.DEFINE_integer("radius", 3, "Rule radius r (1..4).")
flags.DEFINE_boolean("uniform_init", False, "Initial genomes with density uniform on [0,1].")
flags.DEFINE_integer("compress_level", 6, "zlib level during chaos search (9 = the "
                     "definition; ~10x slower). Best rules are also scored at level 9.")
flags.DEFINE_integer("performance_ics", 10_000, "Unbiased ICs for P_N of each best rule.")
flags.DEFINE_integer("seed", 0, "Random seed.")
flags.DEFINE_string("devices", "1", "Devices to shard the population over: 'all' or N.")
flags.DEFINE_string("out", None, "Output folder.")
flags.DEFINE_boolean("overwrite", False, "Replace a non-empty --out.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    if not FLAGS.out:
        fail("--out is required: the folder for results")
    devices.initialize()
    config = SearchConfig(
        task=FLAGS.task, strategy=FLAGS.strategy, trials=FLAGS.trials,
        generations=FLAGS.generations, population=FLAGS.population, n_ics=FLAGS.n_ics,
        chaos_ics=FLAGS.chaos_ics, n_cells=FLAGS.n_cells, steps=FLAGS.steps,
        radius=FLAGS.radius, uniform_init=FLAGS.uniform_init,
        compress_level=FLAGS.compress_level, performance_ics=FLAGS.performance_ics,
        seed=FLAGS.seed, devices=devices.parse_devices(FLAGS.devices))
    summary = run_search(config, FLAGS.out, overwrite=FLAGS.overwrite)
    print(f"best fitness {summary['best_fitness_mean']:.4f} ± {summary['best_fitness_std']:.4f}"
          f" over {config.trials} trials; results in {FLAGS.out}")


if __name__ == "__main__":
    run(main)
