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

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

from benchmarks.common import emit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", action="append", default=[], help="run folders (default: train two)")
    ap.add_argument("--train_iterations", type=int, default=60)
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--steps", type=int, default=2000)
    args = ap.parse_args()

    from nca_jax import experiment, robustness

    with tempfile.TemporaryDirectory() as tmp:
        folders, trained = list(args.checkpoint), None
        if not folders:
            cfg = dataclasses.replace(experiment.GrowConfig(), target="rabbit_face", size=15, optimizer="both",
                                      max_seconds=0, max_iterations=args.train_iterations, progress=False)
            t = time.perf_counter()
            s = experiment.run(cfg, Path(tmp) / "grow")
            trained = {"seconds": time.perf_counter() - t, "iterations": args.train_iterations,
                       "final_loss": {k: v["final_loss"] for k, v in s.items()}}
            folders = [str(Path(tmp) / "grow" / n) for n in ("adam", "es")]
        config = robustness.BatteryConfig(seeds=args.seeds, steps=args.steps)
        t0 = time.perf_counter()
        models = [robustness.load_model(f) for f in folders]
        t1 = time.perf_counter()
        out = Path(tmp) / "damage"
        out.mkdir()
        robustness.run_battery(models, config, out, progress=False)
        t2 = time.perf_counter()
        emit("damage_battery", {
            "models": [m.name for m in models], "grids": [list(m.target.shape[:2]) for m in models],
            "config": dataclasses.asdict(config), "trained": trained,
            "load_s": t1 - t0, "battery_s": t2 - t1, "total_s": t2 - t0, "goal_s": 120.0,
        })


if __name__ == "__main__":
    main()
