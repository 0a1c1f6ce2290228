"""A finished rule search for people: ``history.csv``, ``summary.json``, ``fitness.png``,
``best_rule.png`` and ``report.md``."""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np

from ca_search import density, rules, simulator
from ca_search.curves import save_fitness_plot
from ca_search.diagram import save_spacetime
from ca_search.search_config import SearchConfig
from runio import runfolder

def mode_note(c: SearchConfig) -> str:
    """What the modes beyond Rhodes's study change, for the report."""
    notes = []
    if c.symmetric:
        notes.append("Only rules invariant under complement + reflection were searched "
                     f"({c.num_dims}-bit genomes).")
    if c.ics == "coevolve":
        notes.append(f"Each generation met {c.n_ics // 2} fresh flat ICs and "
                     f"{c.n_ics - c.n_ics // 2} ICs whose densities evolve against the rules; "
                     "the GA ranked rules by shared fitness. The curve shows F on the flat "
                     "ICs; a trial's best fitness is the unbiased performance (on "
                     f"{c.performance_ics} ICs) of the best of its last elite, which was "
                     "chosen by it (P_N comes from other ICs).")
    if c.ics == "unbiased":
        notes.append(f"Each generation met {c.n_ics} fresh unbiased ICs (each cell a fair coin): "
                     "the fitness estimates P_N. A trial's best fitness is the unbiased "
                     f"performance (on {c.performance_ics} ICs) of the best of its last elite, "
                     "which was chosen by it (P_N comes from other ICs).")
    if c.init_from:
        notes.append(f"Populations started from {c.init_from} (each bit of the other members "
                     f"flipped with probability {c.init_flip}).")
    return "".join(" " + n for n in notes)


def write_results(c: SearchConfig, out: Path, summary: dict, measured: str, best_curve,
                   mean_curve) -> None:
    """history.csv, summary.json, fitness.png, best_rule.png and report.md."""
    with open(out / "history.csv", "w") as f:
        f.write("trial,generation,best_fitness,mean_fitness\n")
        for g in range(best_curve.shape[0]):
            for t in range(c.trials):
                f.write(f"{t},{g},{best_curve[g, t]:.6f},{mean_curve[g, t]:.6f}\n")
    runfolder.write_summary(out, summary)
    scores = np.array([e["best_fitness"] for e in summary["trials"]])
    top = int(np.argmax(scores))
    best_rule = rules.from_hex(summary["best_rule"], c.radius)

    label = "F_I (fraction correct)" if c.task == "density" else "NC_pt"
    save_fitness_plot(out / "fitness.png", best_curve, mean_curve, label,
                      f"{c.strategy.upper()} on {c.task}, {c.trials} trials")
    cells = density.sample_ics(jax.random.PRNGKey(c.seed + 2), 1, c.n_cells, "unbiased")[0]
    save_spacetime(out / "best_rule.png",
                   np.asarray(simulator.history(best_rule, cells, 2 * c.n_cells)),
                   title=f"best rule {summary['best_rule']} ({c.strategy}, {c.task}: "
                         f"{label} {scores[top]:.4f})")
    (out / "report.md").write_text(
        f"# {c.strategy.upper()} on the {c.task} task\n\n"
        f"{c.trials} trials × {c.generations} generations, population {c.population}; "
        f"wall time {summary['wall_time_s']:.1f} s.{mode_note(c)}\n\n"
        f"Best fitness per trial: {scores.mean():.4f} ± {scores.std():.4f}; "
        f"{measured}.\n\n"
        f"![fitness per generation](fitness.png)\n\n"
        f"Best rule `{summary['best_rule']}` from a random unbiased IC:\n\n"
        f"![space-time diagram](best_rule.png)\n")
