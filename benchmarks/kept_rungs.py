"""The ladder's rungs for the kept models: wall time, iterations, rollouts and FLOPs to each
fresh-rollout MSE (0.05, 0.02, 0.01, 0.005, 0.003), and ES ÷ Adam FLOPs per target.

    python -m benchmarks.kept_rungs                  # every kept model under benchmarks/models/
    python -m benchmarks.kept_rungs --models=carrot_15_es_stage4,carrot_15_adam --record

A model trained in stages (``--init_from``) is followed back to its first stage and the
stages' counts add up: a rung reached in stage k costs all of stages 1..k-1 plus stage k's
iterations to it. A rung is the first evaluation at or below it, read from ``confirm_loss``
(64 rollouts) where the run confirmed a quick estimate at its target and from
``eval_loss`` (16 rollouts) otherwise — so the last rung counts only where a run would have
stopped. FLOPs per iteration come from :mod:`nca_jax.train.cost` and each stage's own config;
rollouts per iteration from its summary. Wall times are those recorded by the runs (their
machine, shared or not; see ``benchmarks/models/README.md``): iterations, rollouts and FLOPs
do not depend on the load.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from absl import flags

from benchmarks import common
from runio.records import read_jsonl
from runio.runfolder import read_json

LADDER = (0.05, 0.02, 0.01, 0.005, 0.003)
MODELS = common.MODELS
ROOT = Path(__file__).resolve().parent.parent

flags.DEFINE_list("models", [], "Kept model names under benchmarks/models/ (default: every "
                  "one that is the last stage of its lineage).")
FLAGS = flags.FLAGS


class Stage(NamedTuple):
    """One run of a lineage: its evaluations ``(iteration, wall time, loss)`` and totals."""

    evals: list[tuple[int, float, float]]
    iterations: int
    wall_time_s: float
    rollouts_per_iteration: float
    flops_per_iteration: float


def lineage(folder: Path) -> list[Path]:
    """The run folders of a model's stages, first to last, following ``init_from``."""
    chain, seen = [], set()
    while folder is not None and folder.resolve() not in seen:
        seen.add(folder.resolve())
        chain.append(folder)
        parent = read_json(folder / "summary.json")["config"].get("init_from") or ""
        folder = next((p for p in (Path(parent), ROOT / parent)
                       if parent and (p / "summary.json").is_file()), None)
    return chain[::-1]


def evaluations(metrics: Path) -> list[tuple[int, float, float]]:
    """``(iteration, wall time, loss)`` of every evaluation: the confirmed loss where there is
    one, else the quick estimate."""
    return [(r["iteration"], r["wall_time_s"], r.get("confirm_loss", r["eval_loss"]))
            for r in read_jsonl(metrics) if "eval_loss" in r]


def rungs(stages: list[Stage], ladder=LADDER) -> dict[str, dict | None]:
    """Per rung: wall time, iterations, rollouts and FLOPs from the first stage's start to the
    first evaluation at or below it (None: not reached)."""
    out: dict[str, dict | None] = {f"{level:g}": None for level in ladder}
    it0 = wall0 = rollouts0 = flops0 = 0.0
    for s in stages:
        for level in ladder:
            key = f"{level:g}"
            hit = next(((i, w) for i, w, loss in s.evals if loss <= level), None)
            if out[key] is None and hit is not None:
                i, w = hit
                out[key] = {"wall_s": wall0 + w, "iterations": int(it0 + i),
                            "rollouts": rollouts0 + i * s.rollouts_per_iteration,
                            "flops": flops0 + i * s.flops_per_iteration}
        it0 += s.iterations
        wall0 += s.wall_time_s
        rollouts0 += s.iterations * s.rollouts_per_iteration
        flops0 += s.iterations * s.flops_per_iteration
    return out


def stage(folder: Path) -> Stage:
    """A kept run folder's evaluations, totals and per-iteration costs."""
    from nca_jax.nca import growing
    from nca_jax.runs import dataclass_from
    from nca_jax.train import cost
    from nca_jax.train.adam import AdamConfig
    from nca_jax.train.es import ESConfig

    summary = read_json(folder / "summary.json")
    cfg, name = summary["config"], summary["optimizer"]
    mcfg = dataclass_from(growing.ModelConfig, cfg["model"])
    method = dataclass_from({"es": ESConfig, "adam": AdamConfig}[name], cfg[name])
    side = cfg["size"] + 2 * cfg["padding"]
    n = summary["iterations"]
    return Stage(evaluations(folder / "metrics.jsonl"), n, summary["wall_time_s"],
                 summary["rollouts"] / n if n else 0.0,
                 cost.iteration_flops(name, mcfg, method, side, side))


def last_stages(root: Path) -> list[str]:
    """Kept models that no other kept model continues."""
    runs = [p for p in sorted(root.iterdir()) if (p / "summary.json").is_file()]
    chains = [lineage(p) for p in runs]
    parents = {c[-2].resolve() for c in chains if len(c) > 1}
    return [p.name for p in runs if p.resolve() not in parents]


def main(argv):
    del argv
    names = FLAGS.models or last_stages(MODELS)
    results = common.Results("kept_rungs")
    rows = {}
    for name in names:
        folder = MODELS / name
        if not (folder / "summary.json").is_file():
            common.fail(f"--models: {name} is not a kept model under {MODELS} "
                        f"(have: {', '.join(last_stages(MODELS))})")
        chain = lineage(folder)
        summary = read_json(folder / "summary.json")
        rows[name] = {"model": name, "target": summary["config"]["target"],
                      "size": summary["config"]["size"], "optimizer": summary["optimizer"],
                      "stages": len(chain), "first_stage": chain[0].name,
                      "final_loss": summary["final_loss"], "trained_on": summary.get("device"),
                      "rungs": rungs([stage(p) for p in chain])}
    for row in rows.values():
        adam = next((r for r in rows.values() if r["optimizer"] == "adam"
                     and (r["target"], r["size"]) == (row["target"], row["size"])), None)
        meta = {k: v for k, v in row.items() if k != "rungs"}
        for rung, got in row["rungs"].items():
            ratio = None
            if row["optimizer"] == "es" and adam is not None and got and adam["rungs"][rung]:
                ratio = round(got["flops"] / adam["rungs"][rung]["flops"], 1)
            results.emit({**meta, "rung": float(rung), **(got or {"reached": False}),
                          "flops_vs_adam": ratio})
    results.close()


if __name__ == "__main__":
    common.run(main)
