"""Beyond Rhodes's study: a density search that reaches P_149 >= 0.80 (GKL: 0.816).

    python -m benchmarks.ca_density_best [--trials=5 --generations=300] [--record]

Runs ``ca_search.search --ics=coevolve --symmetric`` (GA; half the ICs evolve against the
rules, fitness shared on both sides; only rules that treat 0s and 1s alike; ``--ics=flat``
and ``--nosymmetric`` take each away, for ablations), then measures
the best rule of every trial, and GKL beside them, on the same 10^4 fresh unbiased ICs at
N = 149, 599 and 999 (M = 2N steps). Prints one row per rule; with ``--record`` keeps the
rows in ``benchmarks/results/ca_density_best.jsonl`` and the best rule's space-time diagram
in ``benchmarks/notes/ca_density_best_<mode>.png`` (or ``--diagram``).
"""

from __future__ import annotations

import dataclasses
import tempfile

import jax
import numpy as np
from absl import flags

from benchmarks import common
from ca_search import density, rules, simulator
from ca_search.diagram import save_spacetime
from ca_search import SearchConfig, run_search

flags.DEFINE_enum("ics", "coevolve", ["coevolve", "flat"], "ICs (flat: Rhodes's; for "
                  "ablations).")
flags.DEFINE_boolean("symmetric", True, "Search only symmetric rules (--nosymmetric: all).")
flags.DEFINE_integer("trials", 5, "Independent searches, run vmapped together.")
flags.DEFINE_integer("generations", 300, "Generations per search.")
flags.DEFINE_integer("population", 100, "Rules per population.")
flags.DEFINE_integer("n_ics", 256, "ICs per generation (half flat, half evolving).")
flags.DEFINE_integer("seed", 0, "Search seed.")
flags.DEFINE_integer("performance_ics", 10_000, "Unbiased ICs per P_N.")
flags.DEFINE_list("sizes", ["149", "599", "999"], "Lattice sizes N for P_N.")
flags.DEFINE_string("diagram", "", "Where to write the best rule's space-time diagram "
                    "(with --record and no path: benchmarks/notes/ca_density_best_<mode>.png).")
FLAGS = flags.FLAGS


def performances(bits: np.ndarray, sizes: list[int], n_ics: int) -> dict[str, float]:
    key = jax.random.PRNGKey(2024)  # the same ICs for every rule
    return {f"p{n}": density.performance(bits, jax.random.fold_in(key, n), n_ics, n)
            for n in sizes}


def main(argv):
    del argv
    sizes = [int(s) for s in FLAGS.sizes]
    results = common.Results("ca_density_best")
    config = SearchConfig(ics=FLAGS.ics, symmetric=FLAGS.symmetric, trials=FLAGS.trials,
                          generations=FLAGS.generations, population=FLAGS.population,
                          n_ics=FLAGS.n_ics, seed=FLAGS.seed)
    with tempfile.TemporaryDirectory() as tmp:
        summary = run_search(config, f"{tmp}/search", progress=True)
    best = None
    for trial in summary["trials"]:
        bits = rules.from_hex(trial["best_rule"])
        row = {"config": dataclasses.asdict(config), "rule": trial["best_rule"],
               "trial": trial["trial"], "search_seconds": summary["wall_time_s"],
               **performances(bits, sizes, FLAGS.performance_ics)}
        results.emit(row)
        if best is None or row["p149"] > best["p149"]:
            best = row
    results.emit({"rule": "gkl", **performances(rules.gkl(), sizes, FLAGS.performance_ics)})
    results.close()
    mode = f"{FLAGS.ics}{'_symmetric' if FLAGS.symmetric else ''}"
    diagram = FLAGS.diagram or (f"{common.NOTES_DIR}/ca_density_best_{mode}.png"
                                if FLAGS.record else "")
    if diagram and best is not None:
        cells = density.sample_ics(jax.random.PRNGKey(7), 1, 149, "unbiased")[0]
        hist = np.asarray(simulator.history(rules.from_hex(best["rule"]), cells, 298))
        save_spacetime(diagram, hist, title=f"{best['rule']} ({FLAGS.ics} ICs"
                                                  f"{', symmetric' if FLAGS.symmetric else ''}): "
                                                  f"P_149 = {best['p149']:.3f}")


if __name__ == "__main__":
    common.run(main)
