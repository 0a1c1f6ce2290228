"""Wall time of one search trial per strategy (Rhodes's settings by default).

    python -m benchmarks.ca_search_trial [--task=density --generations=200 --population=100]

Compile time is measured apart: each strategy first runs the search once (compiling, into a
persistent JAX compilation cache in a temporary folder), then the timed run repeats it,
loading the compiled programs from that cache.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time

import jax
from absl import flags

from benchmarks import common
from ca_search import SearchConfig, run_search
from ca_search.strategies import STRATEGIES

flags.DEFINE_enum("task", "density", ["density", "chaos"], "Task.")
flags.DEFINE_list("strategies", list(STRATEGIES), "Strategies to time.")
flags.DEFINE_integer("generations", 200, "Generations.")
flags.DEFINE_integer("population", 100, "Population.")
flags.DEFINE_integer("trials", 1, "Trials run together (vmapped).")
flags.DEFINE_enum("init", "iid", ["iid", "uniform"], "Initial genomes: each bit a fair coin, "
                  "or Mitchell's uniform density.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    results = common.Results("ca_search_trial")
    cache = tempfile.TemporaryDirectory()
    jax.config.update("jax_compilation_cache_dir", cache.name)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    for name in FLAGS.strategies:
        config = SearchConfig(task=FLAGS.task, strategy=name, trials=FLAGS.trials,
                              generations=FLAGS.generations, population=FLAGS.population,
                              performance_ics=1000, chunk=FLAGS.generations,
                              init=FLAGS.init)
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            run_search(config, f"{tmp}/warm", progress=False)
            warm = time.perf_counter() - start
            summary = run_search(config, f"{tmp}/run", progress=False)
        results.emit({
            "config": dataclasses.asdict(config),
            "search_seconds": summary["wall_time_s"],
            "seconds_per_trial_generation": summary["wall_time_s"] / FLAGS.generations,
            "first_run_seconds_incl_compile": warm,
            "best_fitness_mean": summary["best_fitness_mean"],
        })
    results.close()
    cache.cleanup()


if __name__ == "__main__":
    common.run(main)
