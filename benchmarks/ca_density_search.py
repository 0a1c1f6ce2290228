"""A density search past Juillé & Pollack's P_149 = 0.86, in three resumable stages.

    python -m benchmarks.ca_density_search [--out=runs/ca_density_search] [--record]

1. *Find* particle rules: the GA over rules invariant under complement + reflection, half of
   each generation's ICs coevolving against the rules with resource sharing (Juillé &
   Pollack 1998; Werfel, Mitchell & Crutchfield 2000), ``--trials`` trials vmapped
   (``ca_search.search --ics=coevolve --symmetric``).
2. *Refine* them: each trial's population restarts from its stage-1 rule and its mutants, and
   the GA ranks rules by the fraction of fresh *unbiased* ICs they classify at M = 2N — an
   estimate of P_149 itself (``--ics=unbiased --init_from=<stage 1>``). Flat ICs (Mitchell
   et al.) are what make the first stage learn at all, but a rule at GKL's level already
   classifies ~98 % of them: they no longer tell a 0.83 rule from a 0.86 one.
3. *Polish* them: the same from each trial's refined rule with four times the unbiased ICs
   per generation (4,096: a standard error of 0.006 instead of 0.011), so selection can see
   the last gains (``--ics=unbiased --init_from=<stage 2> --n_ics=4096``).

Then every trial's rule is scored on 10^6 / 10^5 / 10^5 fresh unbiased ICs at N = 149, 599
and 999 (``ca_search.leaderboard``). Each stage is a run folder under ``--out``: rerun the
same command to resume. ``--record`` keeps the table and diagrams in
``benchmarks/results/ca_density_search/`` and one JSON line per trial in
``benchmarks/results/ca_density_search.jsonl``.
"""

from __future__ import annotations

import dataclasses
import shutil
import statistics
import time
from pathlib import Path

from absl import flags

from benchmarks import common
from ca_search import SearchConfig, run_search
from ca_search.jobs import leaderboard

flags.DEFINE_string("out", "runs/ca_density_search", "Folder of the two stages' run folders "
                    "and the scores (rerun to resume).")
flags.DEFINE_integer("trials", 5, "Independent searches, vmapped together.")
flags.DEFINE_integer("seed", 0, "Search seed.")
flags.DEFINE_integer("find_generations", 150, "Stage 1 (coevolving ICs) generations.")
flags.DEFINE_integer("find_population", 1000, "Stage 1 rules per population.")
flags.DEFINE_integer("find_ics", 512, "Stage 1 ICs per generation (half flat, half evolving).")
flags.DEFINE_integer("refine_generations", 300, "Stage 2 (unbiased ICs) generations.")
flags.DEFINE_integer("refine_population", 500, "Stage 2 rules per population.")
flags.DEFINE_integer("refine_ics", 1024, "Stage 2 fresh unbiased ICs per generation.")
flags.DEFINE_float("init_flip", 0.03, "Stage 2: per-bit flip probability of the mutants.")
flags.DEFINE_integer("polish_generations", 50, "Stage 3 (more unbiased ICs) generations.")
flags.DEFINE_integer("polish_population", 300, "Stage 3 rules per population.")
flags.DEFINE_integer("polish_ics", 4096, "Stage 3 fresh unbiased ICs per generation.")
flags.DEFINE_float("polish_flip", 0.02, "Stage 3: per-bit flip probability of the mutants.")
flags.DEFINE_list("n_ics", ["1000000", "100000", "100000"], "ICs per size for the scores.")
FLAGS = flags.FLAGS

SIZES = (149, 599, 999)
RESULTS = common.RESULTS_DIR / "ca_density_search"


def stages() -> tuple[SearchConfig, SearchConfig, SearchConfig]:
    find = SearchConfig(ics="coevolve", symmetric=True, trials=FLAGS.trials, seed=FLAGS.seed,
                        generations=FLAGS.find_generations, population=FLAGS.find_population,
                        n_ics=FLAGS.find_ics, steps=300)
    refine = SearchConfig(ics="unbiased", symmetric=True, trials=FLAGS.trials,
                          seed=FLAGS.seed + 1, generations=FLAGS.refine_generations,
                          population=FLAGS.refine_population, n_ics=FLAGS.refine_ics,
                          steps=2 * 149, init_from=str(Path(FLAGS.out) / "find"),
                          init_flip=FLAGS.init_flip)
    polish = dataclasses.replace(refine, seed=FLAGS.seed + 2,
                                 generations=FLAGS.polish_generations,
                                 population=FLAGS.polish_population, n_ics=FLAGS.polish_ics,
                                 init_from=str(Path(FLAGS.out) / "refine"),
                                 init_flip=FLAGS.polish_flip)
    return find, refine, polish


def main(argv):
    del argv
    out = Path(FLAGS.out)
    find, refine, polish = stages()
    found = run_search(find, out / "find")
    refined = run_search(refine, out / "refine")
    polished = run_search(polish, out / "polish")
    hexes = [t["best_rule"] for t in polished["trials"]]
    t0 = time.perf_counter()
    board = leaderboard.LeaderboardConfig(rules=tuple(hexes), sizes=SIZES,
                                          n_ics=tuple(int(n) for n in FLAGS.n_ics))
    rows = leaderboard.run(board, out / "scores")
    score_s = time.perf_counter() - t0
    results = common.Results("ca_density_search")
    stage_rows = zip(found["trials"], refined["trials"], polished["trials"])
    for t, (a, b, c) in enumerate(stage_rows):
        mine = {r["n_cells"]: r for r in rows if r["hex"] == c["best_rule"]}
        results.emit({
            "trial": t, "found_rule": a["best_rule"], "found_p149_1e4": a["p149"],
            "refined_rule": b["best_rule"], "refined_p149_1e4": b["p149"],
            "rule": c["best_rule"],
            **{f"p{n}": mine[n]["performance"] for n in SIZES},
            "p149_ci": [mine[149]["ci_low"], mine[149]["ci_high"]],
            "find_s": found["wall_time_s"], "refine_s": refined["wall_time_s"],
            "polish_s": polished["wall_time_s"], "score_s": score_s,
            "config": {"find": dataclasses.asdict(find), "refine": dataclasses.asdict(refine),
                       "polish": dataclasses.asdict(polish)},
        })
    p149 = [r["performance"] for r in rows if r["n_cells"] == 149]
    print(f"P_149 per trial: {', '.join(f'{p:.4f}' for p in p149)}; median "
          f"{statistics.median(p149):.4f}, best {max(p149):.4f}; search "
          f"{found['wall_time_s'] + refined['wall_time_s'] + polished['wall_time_s']:.0f} s")
    results.close()
    if FLAGS.record:
        shutil.rmtree(RESULTS, ignore_errors=True)
        shutil.copytree(out / "scores", RESULTS,
                        ignore=shutil.ignore_patterns("job.json", "*.lock"))


if __name__ == "__main__":
    common.run(main)
