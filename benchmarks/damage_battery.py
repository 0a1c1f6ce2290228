"""Wall time of the full robustness battery (``python -m nca_jax.damage`` defaults: 8 seeds,
2000-step long horizon, 3 erasures, FGSM during and after growth, 39×39 canvas) on two
15×15 growing NCAs (Adam with pool, ES without), JIT compilation and figures included.

    python -m benchmarks.damage_battery                      # trains both briefly first
    python -m benchmarks.damage_battery --checkpoint=A --checkpoint=B

Without ``--checkpoint`` it first trains an Adam and an ES model on the 15×15 rabbit face for
``--train_iterations`` iterations each (not timed; the models are only partly trained — the
battery's cost does not depend on how well they grow). Prints one JSON line.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

from absl import flags

from benchmarks import common
from runio import devices

flags.DEFINE_multi_string("checkpoint", [], "Run folders of nca_jax.grow (default: train two).")
flags.DEFINE_integer("train_iterations", 60, "Iterations per optimizer when training first.")
flags.DEFINE_integer("seeds", 8, "Stochastic rollouts per model and experiment.")
flags.DEFINE_integer("steps", 2000, "Long-horizon and larger-canvas steps.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    devices.use_cpu_cores()  # as the CLIs
    from nca_jax.jobs import grow
    from nca_jax.robustness import battery, loading, report

    results = common.Results("damage_battery")
    with tempfile.TemporaryDirectory() as tmp:
        folders, trained = list(FLAGS.checkpoint), None
        if not folders:
            cfg = dataclasses.replace(grow.GrowConfig(), target="rabbit_face", size=15,
                                      optimizer="both", max_seconds=0,
                                      max_iterations=FLAGS.train_iterations, progress=False)
            t = time.perf_counter()
            s = grow.run(cfg, Path(tmp) / "grow")
            trained = {"seconds": time.perf_counter() - t, "iterations": FLAGS.train_iterations,
                       "final_loss": {k: v["final_loss"] for k, v in s.items()}}
            folders = [str(Path(tmp) / "grow" / n) for n in ("adam", "es")]
        config = battery.BatteryConfig(seeds=FLAGS.seeds, steps=FLAGS.steps)
        t0 = time.perf_counter()
        models = [loading.load_model(f) for f in folders]
        t1 = time.perf_counter()
        out = Path(tmp) / "damage"
        out.mkdir()
        report.run_battery(models, config, out, progress=False)
        t2 = time.perf_counter()
        results.emit({
            "models": [m.name for m in models],
            "grids": [list(m.target.shape[:2]) for m in models],
            "config": dataclasses.asdict(config), "trained": trained,
            "load_s": t1 - t0, "battery_s": t2 - t1, "total_s": t2 - t0, "goal_s": 120.0,
        })
    results.close()


if __name__ == "__main__":
    common.run(main)
