"""Table I of Rhodes's study (GA, BPSO and BGL-PSO on the density and chaos tasks) beside
this project's searches: the markdown of ``table1.md`` and a note on every row."""

from __future__ import annotations


from ca_search.search_config import SearchConfig

# Rhodes, "Evolving Order and Chaos", Table I: mean best fitness per strategy and task.
SEED_TABLE1 = {
    "density": {"bpso": 0.51, "bglpso": 0.62, "ga": 0.90},
    "chaos": {"bpso": 0.773410, "bglpso": 0.777963, "ga": 0.779528},
}
NAMES = {"ga": "GA", "bpso": "BPSO", "bglpso": "BGL-PSO"}


def _p(summary: dict, n_cells: int) -> str:
    """P_N of the best rules (density searches only; chaos rules are not classifiers)."""
    key = f"p{n_cells}_mean"
    if key not in summary:
        return "—"
    return f"{summary[key]:.3f} ± {summary[f'p{n_cells}_std']:.3f}"


def _interval(summary: dict, key: str, digits: int) -> str:
    if key not in summary:
        return "—"
    lo, hi = summary[key]
    return f"[{lo:.{digits}f}, {hi:.{digits}f}] (search)"


def _final(summary: dict, digits: int) -> str:
    if "final_generation_best_mean" not in summary:
        return "—"
    return (f"{summary['final_generation_best_mean']:.{digits}f} ± "
            f"{summary['final_generation_best_std']:.{digits}f} (search)")


def _success(summary: dict) -> str:
    """Share of trials whose best rule classifies >= 90 % of fresh flat ICs (density)."""
    return f"{summary['success_rate']:.0%}" if "success_rate" in summary else "—"


def table1_markdown(summaries: dict, base: SearchConfig) -> str:
    """The comparison table from ``summaries[task][strategy]`` (run_search results)."""
    lines = [
        "# Table I: best fitness per trial (mean ± std)",
        "",
        f"{base.trials} trials × {base.generations} generations, population "
        f"{base.population}, N = {base.n_cells}, T = {base.steps}, r = {base.radius}.",
        "",
        "| task | strategy | ours: best over the run | 95% CI (bootstrap) | ours: best of the "
        "final generation | Rhodes | ours, rank | Rhodes, rank | success | P_149 of best rules "
        "| wall time (s) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    orderings = []
    for task, seed_row in SEED_TABLE1.items():
        ours = {s: summaries[task][s] for s in seed_row}
        key = "nc_pt_level9_mean" if task == "chaos" else "best_fitness_mean"
        rank_ours = {s: r + 1 for r, s in enumerate(sorted(ours, key=lambda s: -ours[s][key]))}
        rank_seed = {s: r + 1 for r, s in enumerate(sorted(seed_row, key=lambda s: -seed_row[s]))}
        digits = 6 if task == "chaos" else 3
        for s, seed_value in seed_row.items():
            sm = ours[s]
            if task == "chaos":
                value = (f"{sm['nc_pt_level9_mean']:.6f} ± {sm['nc_pt_level9_std']:.6f} "
                         f"(search: {sm['best_fitness_mean']:.6f})")
                if "block_entropy_mean" in sm:
                    value += (f"; block entropy {sm['block_entropy_mean']:.4f} ± "
                              f"{sm['block_entropy_std']:.4f}")
            else:
                value = f"{sm['best_fitness_mean']:.3f} ± {sm['best_fitness_std']:.3f}"
            lines.append(
                f"| {task} | {NAMES[s]} | {value} | {_interval(sm, 'best_fitness_ci95', digits)} | "
                f"{_final(sm, digits)} | {seed_value} | {rank_ours[s]} | {rank_seed[s]} | "
                f"{_success(sm)} | {_p(sm, base.n_cells)} | {sm['wall_time_s']:.0f} |")
        same = rank_ours == rank_seed
        orderings.append(f"*{task}: the ordering of the strategies "
                         f"{'matches' if same else 'differs from'} Rhodes's.*")
    lines += [""] + [line for o in orderings for line in (o, "")]
    lines += [
        "Notes. 'Best over the run' is the largest single (noisy) fitness a trial saw in "
        "any generation; 'best of the final generation' is the best member of the last "
        "generation, the value Rhodes reports 'at the conclusion of the search' (F_100 "
        "is noisy, so the first exceeds the second). The interval is a percentile bootstrap "
        "of the mean over trials. 'Success' is the share of trials whose best rule "
        "classifies ≥ 90 % of fresh flat ICs. "
        "Density fitness is F_100: the fraction of 100 flat ICs (density uniform on "
        "[0, 1], fresh each generation) classified correctly after 150 steps; the P_149 "
        "column scores each trial's best rule on 10⁴ unbiased ICs (M = 2N). Chaos fitness is "
        "NC_pt; the search runs zlib at level "
        f"{base.compress_level} for speed and the best rules are rescored with level 9 (the "
        "definition) on 10 fresh ICs; that is the value in the 'ours' column, with the search "
        "value beside it, and the 3×3 space-time block entropy of the same histories (bits "
        "per cell, 1 = coin flips), which does not saturate where NC_pt does. Our compressed lengths need not equal Rhodes's (zlib version, "
        "IC choice, and Rhodes's exact encoding are not given), so compare the ordering "
        "of the strategies, not the digits.",
        "",
        "## Row by row: where ours differs from Rhodes's, and why",
        "",
        f"Readings of this run: `init={base.init}`, `inertia={base.inertia}`. The "
        "defaults (`uniform`, `feng`) are the readings closest to Rhodes's study: summed over the "
        "three density rows, the gap of the final-generation best to Rhodes's number was "
        "0.075 for (uniform, feng), 0.099 (uniform, printed), 0.354 (iid, feng) and 0.587 "
        "(iid, printed), and only the uniform readings give Rhodes's ordering GA > BGL-PSO "
        "> BPSO (`benchmarks/notes/ca_table1.md`, 10 trials each, seed 0).",
        "",
    ]
    for task, seed_row in SEED_TABLE1.items():
        for s, seed_value in seed_row.items():
            lines.append(f"- **{task}, {NAMES[s]}** (Rhodes {seed_value}): "
                         + row_note(task, s, summaries[task][s], base))
    return "\n".join(lines) + "\n"


def row_note(task: str, strategy: str, summary: dict, base: SearchConfig) -> str:
    """The cause of the difference between our row and Rhodes's, for the reading run."""
    seed = SEED_TABLE1[task][strategy]
    if task == "chaos":
        entropy = (f"; the block entropy ({summary['block_entropy_mean']:.4f}) is what tells "
                   "rules apart" if "block_entropy_mean" in summary else "")
        return (f"ours {summary['nc_pt_level9_mean']:.4f}. NC_pt of histories written as "
                "ASCII '0'/'1' saturates near 0.53 (coin flips: 0.531), so every strategy "
                "ends at that ceiling and the three differ by less than their spread; the "
                "study's ≈ 0.78 needs an encoding it does not state (for coin flips: packed "
                "bits 2.48, base64 of zlib 0.72, base64 of gzip 0.82). Only the scale differs, "
                f"not the finding that all three reach the ceiling{entropy}.")
    final = summary.get("final_generation_best_mean", summary["best_fitness_mean"])
    gap = f"ours {final:.3f} at the final generation ({round(final - seed, 3) + 0.0:+.3f})"
    if strategy == "ga":
        if base.init == "uniform":
            return (f"{gap}. Reproduced with Mitchell et al.'s initial genomes (density "
                    "uniform on [0, 1]), which Rhodes follows for this task. With "
                    "`init=iid` (each bit a fair coin) the trials split: each either finds a "
                    "block-expanding rule (≈ 0.98) or stays on a default rule (≈ 0.63).")
        return (f"{gap}. With fair-coin initial genomes the trials split between "
                "block-expanding rules (≈ 0.98) and default rules (≈ 0.63); `init=uniform` "
                "(Mitchell et al.) reproduces Rhodes's 0.90.")
    std = summary.get("final_generation_best_std", summary["best_fitness_std"])
    spread = "within" if abs(final - seed) <= std else "beyond"
    inertia = ("w falls from [0.5, 0.9] to [0, 0.4] (Feng et al., whom Rhodes cites)"
               if base.inertia == "feng" else
               "w starts in [-0.5, 0.4] as Rhodes prints w1 = 0.4, w2 = 0.9 (negative "
               "inertia reverses velocities)")
    return (f"{gap}, {spread} the spread over trials (std {std:.3f}); {inertia}. Rhodes "
            "does not give what would settle the rest: a velocity clamp, and whether personal "
            "bests are re-scored on each generation's fresh ICs (ours keep the noisy F_100 "
            "they were found with; the GA re-scores its elite every generation).")
