"""OpenAI-ES generations/s and mutants/s against population size (thesis Table 2 style),
plus the raw population-evaluation throughput (rollouts/s) at population 256.

    python -m benchmarks.population_scaling            # 6 10 40 100 256 1000 4096
    python -m benchmarks.population_scaling --quick    # 6 40 256

9×9 grid, 16 channels, hidden 32, 35 steps per rollout, one rollout per mutant. One JSON
line per measurement.
"""

from __future__ import annotations

import argparse
import json
import time

import jax
import jax.numpy as jnp

from benchmarks._machine import machine
from nca_jax import model, targets, train_es


def _time(fn, min_seconds: float, min_reps: int = 3) -> float:
    """Seconds per call (after one warm-up call)."""
    jax.block_until_ready(fn())
    reps, t0 = 0, time.perf_counter()
    while reps < min_reps or time.perf_counter() - t0 < min_seconds:
        jax.block_until_ready(fn())
        reps += 1
    return (time.perf_counter() - t0) / reps


def generation_rate(population: int, min_seconds: float, steps: int = 35) -> dict:
    mcfg = model.ModelConfig()
    cfg = train_es.ESConfig(population=population, min_steps=steps, max_steps=steps)
    tr = train_es.make(mcfg, cfg, targets.load_target("carrot", 9))
    box = [tr.init(jax.random.PRNGKey(0))]

    def one():
        box[0], m = tr.step(box[0])
        return m["loss"]

    dt = _time(one, min_seconds)
    return {"generations_per_s": 1 / dt, "mutants_per_s": population / dt}


def evaluation_rate(population: int, min_seconds: float, steps: int = 35) -> float:
    """Rollouts/s of the vmapped population evaluation alone (no ask/tell)."""
    mcfg = model.ModelConfig()
    key = jax.random.PRNGKey(0)
    p0 = model.init_params(key, mcfg)
    pop = jax.tree.map(lambda a: a + 0.05 * jax.random.normal(key, (population,) + a.shape), p0)
    x0 = model.seed(mcfg, 9, 9)
    f = jax.jit(lambda pop, k: jax.vmap(lambda p: model.rollout(p, x0, k, steps, mcfg))(pop))
    dt = _time(lambda: f(pop, key), min_seconds)
    return population / dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer populations, shorter timing")
    ap.add_argument("--populations", type=int, nargs="*", default=None)
    args = ap.parse_args()
    pops = args.populations or ([6, 40, 256] if args.quick else [6, 10, 40, 100, 256, 1000, 4096])
    secs = 1.0 if args.quick else 3.0
    info = machine()
    cfg = {"size": 9, "channels": 16, "hidden": 32, "steps": 35}
    r = evaluation_rate(256, secs)
    print(json.dumps({"benchmark": "population_evaluation", **info, "config": {**cfg, "population": 256},
                      "rollouts_per_s": round(r, 1)}), flush=True)
    for p in pops:
        rates = generation_rate(p, secs)
        print(json.dumps({"benchmark": "population_scaling", **info, "config": {**cfg, "population": p},
                          **{k: round(v, 2) for k, v in rates.items()}}), flush=True)


if __name__ == "__main__":
    main()
