"""Wall time to a target loss, OpenAI-ES vs Adam, with the grow job's defaults.

    python -m benchmarks.es_vs_adam                  # 9×9 carrot and 15×15 rabbit face
    python -m benchmarks.es_vs_adam --quick          # 9×9 carrot only

Both run on the same machine in the same process, one after the other; the figure of
merit is the ES/Adam ratio of wall time to the target (JIT compile excluded, the periodic
fresh-rollout evaluation included for both). One JSON line per (target, optimizer) and
one per target with the ratio.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile

from benchmarks._machine import machine
from nca_jax import experiment


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="9×9 carrot only")
    ap.add_argument("--max_seconds", type=float, default=120.0, help="budget per optimizer")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    cases = [("carrot", 9)] if args.quick else [("carrot", 9), ("rabbit_face", 15)]
    info = machine()
    for target, size in cases:
        cfg = dataclasses.replace(experiment.GrowConfig(), target=target, size=size, optimizer="both",
                                  max_seconds=args.max_seconds, seed=args.seed, progress=False)
        with tempfile.TemporaryDirectory() as out:
            s = experiment.run(cfg, out)
        for name, r in s.items():
            print(json.dumps({"benchmark": "es_vs_adam", **info, "target": target, "size": size,
                              "optimizer": name, "reached_target": r["reached_target"],
                              "time_to_target_s": r["time_to_target_s"],
                              "iterations_to_target": r["iterations_to_target"],
                              "final_loss": r["final_loss"], "rollouts": r["rollouts"],
                              "config": r["config"][name]}), flush=True)
        te, ta = s["es"]["time_to_target_s"], s["adam"]["time_to_target_s"]
        print(json.dumps({"benchmark": "es_vs_adam_ratio", **info, "target": target, "size": size,
                          "target_loss": cfg.target_loss,
                          "es_over_adam": (te / ta) if te and ta else None}), flush=True)


if __name__ == "__main__":
    main()
