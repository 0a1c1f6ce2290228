"""Evaluate one 1-D CA rule on the density or chaos task.

    python -m ca_search.evaluate                      # GKL, P_149 on 10^4 unbiased ICs
    python -m ca_search.evaluate --rule=005f005f005f005f005fff5f005fff5f --n_cells=599 --diagram=gkl.png
    python -m ca_search.evaluate --wolfram=30 --task=chaos

Prints a human line, then a JSON object on the last line (``performance`` or ``nc_pt``,
``n_ics``, ``n_cells``, ``max_steps``, ``seconds``, ...).
"""

from __future__ import annotations

from absl import flags

from runio.cli import fail, run

FLAGS = flags.FLAGS
flags.DEFINE_string("rule", "gkl", "Rule: lexicographic hex, or a catalogue name (gkl, majority).")
flags.DEFINE_integer("wolfram", None, "Elementary rule (r=1) by Wolfram number 0..255; "
                     "replaces --rule.")
flags.DEFINE_integer("radius", 3, "Rule radius r, 1..4 (checked against the hex length).")
flags.DEFINE_integer("n_cells", 149, "Lattice size N (periodic), in [2r+1, 100000].")
flags.DEFINE_integer("n_ics", None, "Initial conditions to average over "
                     "(default 10000 for density, 10 for chaos).")
flags.DEFINE_integer("max_steps", None, "Steps M (default 2N for density, 150 for chaos).")
flags.DEFINE_enum("ic", "unbiased", ["unbiased", "flat"], "IC sampler: unbiased (p=1/2 per "
                  "bit) or flat (density uniform on [0,1]).")
flags.DEFINE_enum("task", "density", ["density", "chaos"], "What to measure.")
flags.DEFINE_integer("seed", 0, "Random seed for the ICs.")
flags.DEFINE_string("diagram", None, "Write a space-time diagram PNG of one IC here.")
flags.DEFINE_integer("compress_level", 9, "zlib level for the chaos task (9 = definition).")


def resolve_rule():
    """The rule table from --rule / --wolfram / --radius."""
    from ca_search import rules

    if FLAGS.wolfram is not None:
        if FLAGS["rule"].present:
            fail("give either --rule or --wolfram, not both")
        if FLAGS["radius"].present and FLAGS.radius != 1:
            fail(f"--wolfram names r=1 rules, but --radius={FLAGS.radius}")
        return rules.from_wolfram(FLAGS.wolfram)
    rules.check_radius(FLAGS.radius)
    bits = rules.parse(FLAGS.rule, FLAGS.radius)
    if rules.radius_of(bits) != FLAGS.radius:
        fail(f"--rule {FLAGS.rule!r} has radius {rules.radius_of(bits)}, but "
             f"--radius={FLAGS.radius}")
    return bits


def main(argv):
    from ca_search import measure
    from runio.records import dumps

    config = measure.MeasureConfig(task=FLAGS.task, n_cells=FLAGS.n_cells, n_ics=FLAGS.n_ics,
                                   max_steps=FLAGS.max_steps, ic=FLAGS.ic, seed=FLAGS.seed,
                                   compress_level=FLAGS.compress_level,
                                   diagram=FLAGS.diagram or "")
    bits = resolve_rule()
    label = measure.describe_rule(bits, FLAGS.wolfram)
    result = measure.measure(bits, config, label)
    print(f"rule {label}, {result['n_ics']} {config.ic} ICs, N={config.n_cells}, "
          f"M={result['max_steps']}: {result['summary']}  [{result['seconds']:.2f} s]")
    print(dumps(result))


FLAG_NAMES: dict[str, str] = {}  # every config field is named after its flag

if __name__ == "__main__":
    run(main, FLAG_NAMES)
