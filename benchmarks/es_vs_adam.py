"""Time-to-loss ladder: Adam and every ES strategy on the grow job, over seeds.

    python -m benchmarks.es_vs_adam --quick      # carrot, Adam + OpenAI-ES + SNES, 2 seeds (≈ 4 min)
    python -m benchmarks.es_vs_adam              # carrot and rabbit face, every method, 5 seeds
    python -m benchmarks.es_vs_adam --methods=adam,open_es --targets=rabbit_face --max_seconds=600
    python -m benchmarks.es_vs_adam --methods=adam,open_es --populations=256,4096  # on a GPU
    python -m benchmarks.es_vs_adam --targets=carrot --methods=adam,open_es --noes_pool --hidden=8,32

For each target × method × seed, the grow job (its defaults, ES split over the devices as
the CLI does) trains until the fresh-rollout loss reaches ``--target_loss`` or the budget
runs out. From each run's ``metrics.jsonl`` the wall time to every rung of the ladder
(0.05, 0.02, 0.01, 0.005, 0.003: the first fresh-rollout evaluation at or below it; JIT
compile excluded and reported apart, the evaluations included for every method alike) and
the iterations (generations) to it — what the time would be on a machine where an
iteration costs the same at any population —, and
from its summary the final loss (64 fresh rollouts) and the persistence ratio
``loss(step 1000) / loss(step 40)`` (8 seeds). Per target × method: median, min and max over
seeds of each, how many seeds reached each rung, and the ES / Adam ratio of median times.
``--figure`` draws loss against wall time per method (median line, min–max band, log
scale), one panel per target. ``--populations`` runs every ES method at each population
size (rows and lines ``open_es ×4096``), for machines where a larger population costs
little more time per generation (``benchmarks/device_check.sh``), ``--es_sigma`` at another
σ, and ``--es_lr`` at another learning rate (``open_es ×1024 lr 0.03``: 1,024 members
wanted twice the carrot's 0.015).
``--hidden`` trains every method on update rules of each width (``open_es hidden 8``); an
ES arm's ratios are to Adam's on the same rule.

Methods: ``adam`` and the ES strategies of :mod:`nca_jax.train.strategies`. On the 15×15
rabbit face the ES learning rate is a third of the 9×9 default (larger targets are unstable
at the carrot's rate) and its pool takes grids only from generations at a mean loss of
0.025 or less (``--pool_below=0.025``; a pool from the start froze OpenAI-ES into coloured
noise near 0.04). Adam runs there at lr 4e-3 with Mordvintsev's ×0.1 after 2,000
iterations (``--adam_lr=0.004 --lr_schedule=piecewise``; at the carrot's constant 2e-3 it
ends at 0.0063 after 180 s).
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
import warnings
from pathlib import Path

import numpy as np
from absl import flags

from benchmarks import common
from runio import devices
from runio.driver import Diverged
from runio.records import read_jsonl
from runio.runfolder import read_json

STRATEGY_NAMES = ("open_es", "snes", "pgpe", "ars", "sep_cma_es", "lm_ma_es", "cr_fm_nes",
                  "persistent_es", "noise_reuse_es")
METHODS = ("adam",) + STRATEGY_NAMES
CASES = {"carrot": 9, "rabbit_face": 15}
LADDER = (0.05, 0.02, 0.01, 0.005, 0.003)
LARGE_TARGET_LR = 1 / 3  # ES learning rate factor on targets larger than 9×9
LARGE_TARGET_ES = dict(pool_below=0.025)  # ES on targets larger than 9×9: a pool of shapes
LARGE_TARGET_ADAM = dict(lr=4e-3, lr_schedule="piecewise")  # Adam on targets larger than 9×9

flags.DEFINE_bool("quick", False, "Carrot only, adam,open_es,snes, 2 seeds, 40 s each.")
flags.DEFINE_list("targets", list(CASES), f"Targets: {', '.join(CASES)}.")
flags.DEFINE_list("methods", list(METHODS), f"Methods: {', '.join(METHODS)}.")
flags.DEFINE_integer("seeds", 5, "Seeds per target and method.")
flags.DEFINE_list("populations", [], "Run every ES method at each of these population sizes "
                  "(default: the grow job's, 64); e.g. 256,1024,4096,16384 on a GPU.")
flags.DEFINE_float("es_lr", None, "ES learning rate for every ES run (default: each "
                   "strategy's own, a third of it above 9×9); larger populations take larger.")
flags.DEFINE_float("es_sigma", None, "Perturbation σ of every ES run (default: each "
                   "strategy's own).")
flags.DEFINE_list("max_seconds", ["180", "600"], "Training budget per run (s), per target in "
                  "the order of --targets (one value: the same for all); the carrot's is the "
                  "grow job's default budget.")
flags.DEFINE_float("target_loss", 0.003, "Stop a run at this fresh-rollout loss.")
flags.DEFINE_bool("es_pool", True, "ES methods train with the grow job's sample pool "
                  "(--noes_pool: from the seed only, as the truncated strategies always do; "
                  "for comparing them with the others on equal terms).")
flags.DEFINE_list("hidden", [], "Hidden units of the update rule: every method runs at each "
                  "width (default: the grow job's, 32); ES is compared with Adam at the same.")
flags.DEFINE_string("figure", "", "Write the loss-vs-wall-time figure here (PNG).")
FLAGS = flags.FLAGS


def times_to_losses(metrics_path: Path, ladder=LADDER,
                    field: str = "wall_time_s") -> dict[str, float | None]:
    """Wall time (s) — or another ``field`` of the record, such as ``iteration`` — of the
    first fresh-rollout evaluation at or below each loss."""
    evals = [(r[field], r["eval_loss"]) for r in read_jsonl(metrics_path) if "eval_loss" in r]
    return {f"{level:g}": next((round(t, 2) for t, e in evals if e <= level), None)
            for level in ladder}


def eval_curve(metrics_path: Path) -> list[tuple[float, float]]:
    """``(wall time, fresh-rollout loss)`` of every evaluation of a run."""
    return [(r["wall_time_s"], r["eval_loss"]) for r in read_jsonl(metrics_path)
            if "eval_loss" in r]


def spread(values: list[float | None]) -> dict:
    """Median, min and max of the values that exist, and how many do."""
    got = [v for v in values if v is not None and math.isfinite(v)]
    if not got:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {"median": float(np.median(got)), "min": float(min(got)), "max": float(max(got)),
            "n": len(got)}


def band(curves: list[list[tuple[float, float]]], grid: np.ndarray) -> np.ndarray:
    """``(3, len(grid))`` median, min and max over runs of each run's last loss at or before
    each time (a run that stopped keeps its last loss; before its first evaluation: NaN)."""
    rows = []
    for curve in curves:
        t = np.array([c[0] for c in curve])
        v = np.array([c[1] for c in curve])
        i = np.searchsorted(t, grid, side="right") - 1
        rows.append(np.where(i >= 0, v[np.clip(i, 0, None)], np.nan))
    a = np.array(rows)
    with warnings.catch_warnings():  # columns before any run's first evaluation: all NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.stack([np.nanmedian(a, 0), np.nanmin(a, 0), np.nanmax(a, 0)])


def method_configs(base, target: str, method: str, population: int | None = None,
                   lr: float | None = None, pool: bool = True, sigma: float | None = None):
    """``(es, adam)`` configs of one ladder run: the grow job's ``base`` ones, the strategy's
    own σ and learning rate for an ES method, the large-target settings above 9×9,
    ``population`` and ``lr`` (ES; None: as above), and no pool for the truncated strategies
    (and for every ES method without ``pool``)."""
    from nca_jax.train import strategies

    es, adam = base.es, base.adam
    if method != "adam" and (not pool or strategies.check_name(method).truncated):
        es = dataclasses.replace(es, pool=False)
    if population is not None and method != "adam":
        es = dataclasses.replace(es, population=population)
    if method == "adam" and CASES[target] > 9:
        adam = dataclasses.replace(adam, **LARGE_TARGET_ADAM)
    if method != "adam":
        es = dataclasses.replace(es, strategy=method, sigma=None, lr=None)
        if CASES[target] > 9:
            es = dataclasses.replace(es, lr=es.lr_value * LARGE_TARGET_LR, **LARGE_TARGET_ES)
        if lr is not None:
            es = dataclasses.replace(es, lr=lr)
        if sigma is not None:
            es = dataclasses.replace(es, sigma=sigma)
    return es, adam


def base_config(grow, hidden: int | None = None):
    """The grow job's default config, on an update rule of ``hidden`` units (None: its
    own); the model config refuses a bad width."""
    base = grow.GrowConfig()
    if hidden is None:
        return base
    return dataclasses.replace(base, model=dataclasses.replace(base.model, hidden=hidden))


def run_one(grow, target: str, method: str, seed: int, max_seconds: float,
            target_loss: float, population: int | None = None,
            lr: float | None = None, pool: bool = True, hidden: int | None = None,
            sigma: float | None = None) -> dict:
    from nca_jax.train import cost

    base = base_config(grow, hidden)
    es, adam = method_configs(base, target, method, population, lr, pool, sigma)
    cfg = dataclasses.replace(base, target=target, size=CASES[target],
                              optimizer="adam" if method == "adam" else "es",
                              max_seconds=max_seconds, seed=seed, progress=False,
                              target_loss=target_loss, es=es, adam=adam)
    with tempfile.TemporaryDirectory() as out:
        try:
            s = grow.run(cfg, out)[cfg.optimizer]
        except Diverged:  # a method that blows up is a result: its rungs so far, loss NaN
            s = read_json(Path(out) / "summary.json") | {"final_loss": float("nan"),
                                                         "persistence": None}
        metrics = Path(out) / "metrics.jsonl"
        ladder, curve = times_to_losses(metrics), eval_curve(metrics)
        iterations = times_to_losses(metrics, field="iteration")
    name = "adam" if method == "adam" else "es"
    size = CASES[target] + 2 * cfg.padding
    per_iteration = cost.iteration_flops(name, cfg.model, cfg.method_config(name), size, size)
    return {"target": target, "method": method, "seed": seed,
            "population": population, "es_lr": lr if method != "adam" else None,
            "es_sigma": sigma if method != "adam" else None,
            "hidden": hidden, "seconds_to_loss": ladder, "iterations_to_loss": iterations,
            "flops_per_iteration": per_iteration,
            "flops_to_loss": cost.flops_to_rungs(iterations, per_iteration),
            "compile_s": s["compile_s"],
            "final_loss": s["final_loss"], "reached_target": s["reached_target"],
            "persistence": (s["persistence"] or {}).get("ratio"),
            "iterations": s["iterations"], "rollouts": s["rollouts"],
            "devices_used": s["devices_used"], "wall_time_s": s["wall_time_s"],
            "config": {"es_sigma": es.sigma_value, "es_lr": es.lr_value, "population": es.population,
                       "pool_below": es.pool_below, "pool": es.pool,
                       "max_seconds": max_seconds} if method != "adam" else
                      {"adam_lr": cfg.adam.lr, "lr_schedule": cfg.adam.lr_schedule,
                       "batch_size": cfg.adam.batch_size,
                       "max_seconds": max_seconds},
            "curve": curve}


def _width(run: dict) -> str:
    return f" hidden {run['hidden']}" if run.get("hidden") is not None else ""


def arm(run: dict) -> str:
    """A run's method, with the population, learning rate and rule width where
    ``--populations``, ``--es_sigma``, ``--es_lr`` and ``--hidden`` set them:
    ``open_es ×4096 lr 0.03``."""
    name = run["method"]
    if run.get("population"):
        name += f" ×{run['population']}"
    if run.get("es_sigma"):
        name += f" σ {run['es_sigma']:g}"
    if run.get("es_lr"):
        name += f" lr {run['es_lr']:g}"
    if run["method"] != "adam" and not (run.get("config") or {}).get("pool", True):
        name += " no pool"
    return name + _width(run)


def summarise(runs: list[dict]) -> list[dict]:
    """One row per target × method (× population): spreads over seeds of every rung's time,
    of the iterations to the last rung, compile, final loss, persistence; the ES / Adam ratio
    of median times at each rung where both have one (Adam on the same rule width)."""
    rows = []
    for target in dict.fromkeys(r["target"] for r in runs):
        by_method, adams = {}, {}
        for method in dict.fromkeys(arm(r) for r in runs if r["target"] == target):
            rs = [r for r in runs if r["target"] == target and arm(r) == method]
            adams[method] = "adam" + _width(rs[0])
            by_method[method] = {
                "target": target, "method": method, "seeds": len(rs),
                "seconds_to_loss": {k: spread([r["seconds_to_loss"][k] for r in rs])
                                    for k in rs[0]["seconds_to_loss"]},
                "iterations_to_target": spread([r.get("iterations_to_loss", {}).get(
                    f"{LADDER[-1]:g}") for r in rs]),
                "flops_to_target": spread([(r.get("flops_to_loss") or {}).get(
                    f"{LADDER[-1]:g}") for r in rs]),
                "compile_s": spread([r["compile_s"] for r in rs]),
                "final_loss": spread([r["final_loss"] for r in rs]),
                "persistence": spread([r["persistence"] for r in rs]),
            }
        for method, row in by_method.items():
            adam = by_method.get(adams[method])
            if adam is not None and adam is not row:
                row["over_adam"] = {
                    k: (round(v["median"] / adam["seconds_to_loss"][k]["median"], 2)
                        if v["median"] and adam["seconds_to_loss"][k]["median"] else None)
                    for k, v in row["seconds_to_loss"].items()}
                es_f, adam_f = row["flops_to_target"]["median"], adam["flops_to_target"]["median"]
                row["flops_over_adam"] = round(es_f / adam_f, 1) if es_f and adam_f else None
            rows.append(row)
    return rows


def _span(sp: dict, fmt: str = ".3g") -> str:
    if not sp["n"]:
        return "—"
    return f"{sp['median']:{fmt}} [{sp['min']:{fmt}}–{sp['max']:{fmt}}]"


def display(row: dict) -> dict:
    """A summary row for people: per rung ``median [min–max] n/seeds`` seconds, and the
    ES / Adam ratio of medians."""
    out = {"target": row["target"], "method": row["method"]}
    for k, sp in row["seconds_to_loss"].items():
        out[f"s to {k}"] = f"{_span(sp)} {sp['n']}/{row['seeds']}"
    out[f"iterations to {LADDER[-1]:g}"] = _span(row["iterations_to_target"], ".4g")
    out[f"FLOPs to {LADDER[-1]:g}"] = _span(row["flops_to_target"], ".2e")
    if row.get("flops_over_adam"):
        out["FLOPs ÷ adam"] = row["flops_over_adam"]
    out["compile s"] = _span(row["compile_s"], ".2g")
    out["final loss"] = _span(row["final_loss"], ".2g")
    out["loss(1000)/loss(40)"] = _span(row["persistence"], ".3g")
    if "over_adam" in row:
        out["÷ adam"] = ", ".join(f"{k}: {v}" for k, v in row["over_adam"].items() if v)
    return out


def figure(runs: list[dict], path: Path, target_loss: float) -> None:
    from matplotlib.figure import Figure

    targets = list(dict.fromkeys(r["target"] for r in runs))
    fig = Figure(figsize=(6.5 * len(targets), 4.4))
    axes = fig.subplots(1, len(targets), squeeze=False)[0]
    for ax, target in zip(axes, targets):
        rs = [r for r in runs if r["target"] == target]
        end = max(c[0] for r in rs for c in r["curve"] or [(1.0, 1.0)])
        grid = np.linspace(0, end, 200)
        for i, method in enumerate(dict.fromkeys(arm(r) for r in rs)):
            curves = [r["curve"] for r in rs if arm(r) == method and r["curve"]]
            if not curves:
                continue
            med, lo, hi = band(curves, grid)
            color = f"C{i}"
            ax.plot(grid, med, color=color, lw=2 if method == "adam" else 1.3,
                    label=f"{method} ({len(curves)} seeds)")
            ax.fill_between(grid, lo, hi, color=color, alpha=0.15, lw=0)
        ax.axhline(target_loss, color="k", ls=":", lw=1, label=f"target {target_loss:g}")
        ax.set_yscale("log")
        ax.set_xlabel("training wall time (s), compile excluded")
        ax.set_ylabel("fresh-rollout MSE")
        ax.set_title(f"{target} {CASES[target]}×{CASES[target]}: median and min–max over seeds")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _budgets() -> dict[str, float]:
    values = [float(v) for v in FLAGS.max_seconds]
    if len(values) == 1:
        values = values * len(FLAGS.targets)
    if len(values) != len(FLAGS.targets):
        common.fail(f"--max_seconds: give one value or one per target "
                    f"({len(FLAGS.targets)}), got {len(values)}")
    if any(not (v > 0 and math.isfinite(v)) for v in values):
        common.fail(f"--max_seconds: each must be a finite number > 0, got {values}")
    return dict(zip(FLAGS.targets, values))


def _ints(name: str) -> list[int | None]:
    """A list flag's whole numbers, or ``[None]`` (the grow job's own value) when empty."""
    try:
        return [int(v) for v in FLAGS[name].value] or [None]
    except ValueError:
        common.fail(f"--{name}: comma-separated whole numbers, got {FLAGS[name].value}")


def main(argv):
    del argv
    if FLAGS.quick:
        FLAGS.targets, FLAGS.methods, FLAGS.seeds = ["carrot"], ["adam", "open_es", "snes"], 2
        FLAGS.max_seconds = ["40"]
    for t in FLAGS.targets:
        common.require(t in CASES, f"--targets: unknown target {t!r}; allowed: {', '.join(CASES)}")
    for m in FLAGS.methods:
        common.require(m in METHODS, f"--methods: unknown method {m!r}; allowed: "
                                     f"{', '.join(METHODS)}")
    common.require(1 <= FLAGS.seeds <= 100, f"--seeds={FLAGS.seeds}: must be in [1, 100]")
    populations, hiddens = _ints("populations"), _ints("hidden")
    budgets = _budgets()
    devices.use_cpu_cores()  # as the grow CLI: ES splits its population over the cores
    from nca_jax.jobs import grow  # after use_cpu_cores: importing evosax runs JAX

    # every run's config before the first run: the ES config's own checks refuse a bad
    # --populations, --es_lr, --es_sigma or --hidden (one line, exit 2) before any time is spent
    for hidden in hiddens:
        base = base_config(grow, hidden)
        for target in FLAGS.targets:
            for method in FLAGS.methods:
                for population in populations:
                    method_configs(base, target, method, population, FLAGS.es_lr,
                                   FLAGS.es_pool, FLAGS.es_sigma)

    results = common.Results("es_vs_adam")
    runs = []
    for target in FLAGS.targets:
        for hidden in hiddens:
            for method in FLAGS.methods:
                for population in [None] if method == "adam" else populations:
                    for seed in range(FLAGS.seeds):
                        r = run_one(grow, target, method, seed, budgets[target],
                                    FLAGS.target_loss, population, FLAGS.es_lr, FLAGS.es_pool,
                                    hidden, FLAGS.es_sigma)
                        runs.append(r)
                        results.emit({k: v for k, v in r.items() if k != "curve"},
                                     name="es_vs_adam_runs")
    for row in summarise(runs):
        results.emit(display(row))
    if FLAGS.figure:
        figure(runs, Path(FLAGS.figure), FLAGS.target_loss)
        print(f"figure: {FLAGS.figure}")
    results.close()


if __name__ == "__main__":
    common.run(main, {"population": "populations", "lr": "es_lr", "sigma": "es_sigma"})
