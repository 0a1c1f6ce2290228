"""Wall time to a target loss, OpenAI-ES vs Adam, with the grow job's defaults.

    python -m benchmarks.es_vs_adam                  # 9×9 carrot and 15×15 rabbit face
    python -m benchmarks.es_vs_adam --quick          # 9×9 carrot only

Both run on the same machine in the same process, one after the other; the figure of
merit is the ES/Adam ratio of wall time to the target (JIT compile excluded, the periodic
fresh-rollout evaluation included for both). ES splits its population over the CPU cores
as the grow CLI does; on the 15×15 rabbit face it uses ``--es_lr=0.005`` (the 9×9 default
0.015 is unstable there). Besides the target, each optimizer's time to every loss of a
ladder (0.05 … 0.003) is read from its fresh-rollout evaluations, and the ratio is given
at the lowest rung both reached. One JSON line per (target, optimizer) and one per target
with the ratios.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from absl import flags

from benchmarks import common
from runio import devices
from runio.records import read_jsonl

flags.DEFINE_bool("quick", False, "9×9 carrot only.")
flags.DEFINE_float("max_seconds", 120.0, "Training budget per optimizer (s).")
flags.DEFINE_integer("seed", 0, "Random seed.")
FLAGS = flags.FLAGS

CASES = {"carrot": (9, {}), "rabbit_face": (15, {"lr": 0.005})}
LADDER = (0.05, 0.02, 0.01, 0.005, 0.003)


def times_to_losses(metrics_path: Path, ladder=LADDER) -> dict[str, float | None]:
    """Wall time (s) of the first fresh-rollout evaluation at or below each loss."""
    evals = [(r["wall_time_s"], r["eval_loss"]) for r in read_jsonl(metrics_path)
             if "eval_loss" in r]
    return {f"{level:g}": next((round(t, 2) for t, e in evals if e <= level), None)
            for level in ladder}


def main(argv):
    del argv
    devices.use_cpu_cores()  # as the grow CLI: ES splits its population over the cores
    from nca_jax.jobs import grow  # after use_cpu_cores: importing evosax runs JAX

    results = common.Results("es_vs_adam")
    for target in ["carrot"] if FLAGS.quick else list(CASES):
        size, es_over = CASES[target]
        base = grow.GrowConfig()
        cfg = dataclasses.replace(base, target=target, size=size, optimizer="both",
                                  max_seconds=FLAGS.max_seconds, seed=FLAGS.seed, progress=False,
                                  es=dataclasses.replace(base.es, **es_over))
        with tempfile.TemporaryDirectory() as out:
            s = grow.run(cfg, out)
            ladders = {n: times_to_losses(Path(out) / n / "metrics.jsonl") for n in s}
        for name, r in s.items():
            results.emit({"target": target, "size": size, "optimizer": name,
                          "reached_target": r["reached_target"],
                          "time_to_target_s": r["time_to_target_s"],
                          "iterations_to_target": r["iterations_to_target"],
                          "final_loss": r["final_loss"], "rollouts": r["rollouts"],
                          "wall_time_s": r["wall_time_s"], "devices_used": r["devices_used"],
                          "es_population": cfg.es.population, "es_lr": cfg.es.lr,
                          "seconds_to_loss": ladders[name]})
        te, ta = s["es"]["time_to_target_s"], s["adam"]["time_to_target_s"]
        both = [k for k in ladders["es"] if ladders["es"][k] and ladders["adam"][k]]
        rung = both[-1] if both else None
        results.emit({
            "target": target, "size": size, "target_loss": cfg.target_loss,
            "es_over_adam": round(te / ta, 2) if te and ta else None,
            "lowest_loss_both_reached": rung,
            "es_over_adam_at_that_loss": round(ladders["es"][rung] / ladders["adam"][rung], 2)
            if rung else None}, name="es_vs_adam_ratio")
    results.close()


if __name__ == "__main__":
    common.run(main)
