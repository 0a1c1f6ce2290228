"""What a finished rule search found: each trial's best rule re-measured on fresh ICs
(P_N and success on the density task; NC_pt at zlib level 9 and block entropy on the chaos
task), and the summary of all trials."""

from __future__ import annotations

import dataclasses

import jax
import numpy as np

from ca_search import chaos, density, rules, stats
from ca_search.search_config import SUCCESS, SearchConfig

def elite_best(c: SearchConfig, pop, fitness) -> tuple[np.ndarray, np.ndarray]:
    """Per trial, the rule of the last population's elite (best 20 % by its search fitness,
    shared or noisy) that classifies most of ``performance_ics`` fresh unbiased ICs, and that
    fraction. (These ICs only choose; P_N is measured afterwards on others.)"""
    elite = max(1, c.population // 5)
    key = jax.random.PRNGKey(c.seed + 3)
    rules_out, scores = [], []
    for t in range(c.trials):
        tables = np.asarray(c.tables(pop[t][np.argsort(-np.asarray(fitness[t]))[:elite]]))
        perf = density.performance(tables, key, c.performance_ics, c.n_cells)
        rules_out.append(tables[int(np.argmax(perf))])
        scores.append(perf.max())
    return np.stack(rules_out), np.array(scores)


def summarise(c: SearchConfig, best_rules: np.ndarray, best_fitness: np.ndarray, best_curve,
               search_seconds: float) -> tuple[dict, str]:
    """The run's summary (best rules re-measured on fresh ICs) and a sentence on them."""
    key = jax.random.PRNGKey(c.seed + 1)
    per_trial = []
    for t in range(c.trials):
        entry = {
            "trial": t,
            "best_fitness": float(best_fitness[t]),
            "best_rule": rules.to_hex(best_rules[t]),
        }
        entry["final_generation_best"] = float(best_curve[-1, t])
        if c.task == "density":
            entry[f"p{c.n_cells}"] = density.performance(best_rules[t], key, c.performance_ics,
                                                         c.n_cells)
            # success (Mitchell's): the rule classifies >= 0.9 of fresh flat ICs
            entry["flat_performance"] = density.performance(
                best_rules[t], jax.random.fold_in(key, 1), c.performance_ics, c.n_cells,
                ic="flat")
        else:
            hist = chaos.sample_histories(best_rules[t][None], key, 10, c.n_cells, c.steps)[0]
            entry["nc_pt_level9"] = float(chaos.nc_pt_many(hist).mean())
            # NC_pt saturates; the block entropy of the same histories tells rules apart
            entry["block_entropy"] = float(np.mean([chaos.block_entropy(h) for h in hist]))
        per_trial.append(entry)
    scores = np.array([e["best_fitness"] for e in per_trial])
    top = int(np.argmax(scores))
    summary = {
        "task": c.task,
        "strategy": c.strategy,
        "best_fitness_mean": float(scores.mean()),
        "best_fitness_std": float(scores.std()),
        "best_fitness_ci95": stats.bootstrap_ci(scores),
        "final_generation_best_mean": float(best_curve[-1].mean()),
        "final_generation_best_std": float(best_curve[-1].std()),
        "final_generation_best_ci95": stats.bootstrap_ci(best_curve[-1]),
        "best_rule": per_trial[top]["best_rule"],
        "wall_time_s": search_seconds,
        "trials": per_trial,
        "config": dataclasses.asdict(c),
    }
    if c.task == "density":
        perf = np.array([e[f"p{c.n_cells}"] for e in per_trial])
        summary.update({f"p{c.n_cells}_mean": float(perf.mean()),
                        f"p{c.n_cells}_std": float(perf.std()),
                        "success_rate": float(np.mean([e["flat_performance"] >= SUCCESS
                                                       for e in per_trial]))})
        measured = (f"P_{c.n_cells} of the best rules (on {c.performance_ics} unbiased ICs): "
                    f"{perf.mean():.4f} ± {perf.std():.4f}")
    else:
        nc9 = np.array([e["nc_pt_level9"] for e in per_trial])
        ent = np.array([e["block_entropy"] for e in per_trial])
        summary.update(nc_pt_level9_mean=float(nc9.mean()), nc_pt_level9_std=float(nc9.std()),
                       block_entropy_mean=float(ent.mean()), block_entropy_std=float(ent.std()))
        measured = (f"NC_pt of the best rules at zlib level 9 (10 fresh ICs): "
                    f"{nc9.mean():.4f} ± {nc9.std():.4f}; their 3×3 space-time block "
                    f"entropy (bits per cell; 1 = coin flips): {ent.mean():.4f} ± {ent.std():.4f}")
    return summary, measured
