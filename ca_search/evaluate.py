"""Evaluate one 1-D CA rule on the density or chaos task.

    python -m ca_search.evaluate                      # GKL, P_149 on 10^4 unbiased ICs
    python -m ca_search.evaluate --rule=005f005f005f005f005fff5f005fff5f --n_cells=599 --diagram=gkl.png
    python -m ca_search.evaluate --wolfram=30 --task=chaos

Prints a human line, then a JSON object on the last line (``performance`` or ``nc_pt``,
``n_ics``, ``n_cells``, ``max_steps``, ``seconds``, ...).
"""

from __future__ import annotations

from runio import environment

environment.check()  # first: a bad JAX variable would fail inside the imports below

from absl import flags

from ca_search.density import IC_KINDS
from ca_search.measure import TASKS, MeasureConfig
from runio.cli import fail, run
from runio.flagdefs import Spec, flag, plain

FLAGS = flags.FLAGS

SPEC = Spec(MeasureConfig, {
    "rule": [plain("rule"), plain("wolfram"), plain("radius")],
    "measurement": [
        flag("task", "What to measure.", choices=TASKS),
        flag("n_cells", "Lattice size N (periodic), in [2r+1, 100000]."),
        flag("n_ics", "Initial conditions to average over (default 10000 for density, 10 for "
             "chaos)."),
        flag("max_steps", "Steps M (default 2N for density, 150 for chaos)."),
        flag("ic", "IC sampler: unbiased (p=1/2 per bit) or flat (density uniform on [0,1]).",
             choices=IC_KINDS),
        flag("compress_level", "zlib level for the chaos task (9 = definition)."),
        flag("seed", "Random seed for the ICs."),
        flag("diagram", "Write a space-time diagram PNG of one IC here."),
    ],
})
SPEC.define()
flags.DEFINE_string("rule", "gkl", "Rule: lexicographic hex, or a catalogue name (gkl, majority).")
flags.DEFINE_integer("wolfram", None, "Elementary rule (r=1) by Wolfram number 0..255; "
                     "replaces --rule.")
flags.DEFINE_integer("radius", 3, "Rule radius r, 1..4 (checked against the hex length).")


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

    config = SPEC.build()
    bits = resolve_rule()
    label = measure.describe_rule(bits, FLAGS.wolfram)
    result = measure.measure(bits, config, label)
    print(f"rule {label}, {result['n_ics']} {config.ic} ICs, N={config.n_cells}, "
          f"M={result['max_steps']}: {result['summary']}  [{result['seconds']:.2f} s]")
    print(dumps(result))


if __name__ == "__main__":
    run(main, SPEC)
