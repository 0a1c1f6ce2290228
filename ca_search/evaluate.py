"""Evaluate one 1-D CA rule on the density or chaos task.

    python -m ca_search.evaluate                      # GKL, P_149 on 10^4 unbiased ICs
    python -m ca_search.evaluate --rule=<hex> --n_cells=599 --diagram=rule.png
    python -m ca_search.evaluate --wolfram=30 --task=chaos

Prints a human line, then a JSON object on the last line (``performance`` or ``nc_pt``,
``n_ics``, ``n_cells``, ``max_steps``, ``seconds``, ...).
"""

from __future__ import annotations

import time

import jax
import numpy as np
from absl import flags

from ca_search import chaos, density, rules, simulator
from ca_search.diagram import save_spacetime
from runio.cli import fail, require, run
from runio.records import dumps

FLAGS = flags.FLAGS
flags.DEFINE_string("rule", "gkl", "Rule: lexicographic hex, or a catalogue name (gkl, majority).")
flags.DEFINE_integer("wolfram", None, "Elementary rule (r=1) by Wolfram number 0..255; "
                     "replaces --rule.")
flags.DEFINE_integer("radius", 3, "Rule radius r, 1..4 (checked against the hex length).")
flags.DEFINE_integer("n_cells", 149, "Lattice size N (periodic), at least 2r+1.")
flags.DEFINE_integer("n_ics", None, "Initial conditions to average over "
                     "(default 10000 for density, 10 for chaos).")
flags.DEFINE_integer("max_steps", None, "Steps M (default 2N for density, 150 for chaos).")
flags.DEFINE_enum("ic", "unbiased", density.IC_KINDS, "IC sampler: unbiased (p=1/2 per bit) "
                  "or flat (density uniform on [0,1]).")
flags.DEFINE_enum("task", "density", ["density", "chaos"], "What to measure.")
flags.DEFINE_integer("seed", 0, "Random seed for the ICs.")
flags.DEFINE_string("diagram", None, "Write a space-time diagram PNG of one IC here.")
flags.DEFINE_integer("compress_level", 9, "zlib level for the chaos task (9 = definition).")


def resolve_rule() -> tuple[np.ndarray, int]:
    """The rule table and its radius from --rule / --wolfram / --radius."""
    if FLAGS.wolfram is not None:
        if FLAGS["rule"].present:
            fail("give either --rule or --wolfram, not both")
        if FLAGS["radius"].present and FLAGS.radius != 1:
            fail(f"--wolfram names r=1 rules, but --radius={FLAGS.radius}")
        return rules.from_wolfram(FLAGS.wolfram), 1
    rules.check_radius(FLAGS.radius)
    bits = rules.parse(FLAGS.rule, FLAGS.radius)
    radius = rules.radius_of(bits)
    if radius != FLAGS.radius:
        fail(f"--rule {FLAGS.rule!r} has radius {radius}, but --radius={FLAGS.radius}")
    return bits, radius


def main(argv):
    bits, radius = resolve_rule()
    n = FLAGS.n_cells
    require(n >= 2 * radius + 1, f"--n_cells must be at least 2r+1 = {2 * radius + 1}, got {n}")
    n_ics = FLAGS.n_ics if FLAGS.n_ics is not None else (10_000 if FLAGS.task == "density" else 10)
    require(n_ics >= 1, f"--n_ics must be at least 1, got {n_ics}")
    steps = FLAGS.max_steps
    if steps is None:
        steps = 2 * n if FLAGS.task == "density" else 150
    require(steps >= 1, f"--max_steps must be at least 1, got {steps}")
    require(0 <= FLAGS.compress_level <= 9,
            f"--compress_level must be in 0..9, got {FLAGS.compress_level}")
    key = jax.random.key(FLAGS.seed)
    start = time.perf_counter()
    result = {"task": FLAGS.task, "rule": rules.to_hex(bits), "radius": radius}
    if FLAGS.task == "density":
        value = density.performance(bits, key, n_ics, n, steps, FLAGS.ic)
        result["performance"] = value
        text = f"P_{n} = {value:.4f}"
    else:
        value = float(chaos.fitness(bits[None], key, n_ics, n, steps, FLAGS.ic,
                                    FLAGS.compress_level)[0])
        result["nc_pt"] = value
        text = f"NC_pt = {value:.6f}"
    seconds = time.perf_counter() - start
    result.update(n_ics=n_ics, n_cells=n, max_steps=steps, ic=FLAGS.ic, seed=FLAGS.seed,
                  seconds=seconds)
    if FLAGS.diagram:
        cells = density.sample_ics(jax.random.fold_in(key, 10**6), 1, n, FLAGS.ic)[0]
        save_spacetime(FLAGS.diagram, np.asarray(simulator.history(bits, cells, steps)))
        result["diagram"] = FLAGS.diagram
    print(f"rule {result['rule']} (r={radius}), {n_ics} {FLAGS.ic} ICs, N={n}, "
          f"M={steps}: {text}  [{seconds:.2f} s]")
    print(dumps(result))


if __name__ == "__main__":
    run(main)
