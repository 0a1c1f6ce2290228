"""OpenAI-ES generations/s and mutants/s against population size (the NTNU thesis' Table 2),
plus the raw population-evaluation throughput (rollouts/s) at population 256.

    python -m benchmarks.population_scaling            # 6 10 40 100 256 1000 4096
    python -m benchmarks.population_scaling --quick    # 6 40 256

9×9 grid, 16 channels, hidden 32, 35 steps per rollout, one rollout per mutant. One JSON
line per measurement. Each CPU core is its own device (as in the grow CLI); every
population is timed on one device and split over the most devices that divide it, in the
same run, so the ratio shows what the split buys.
"""

from __future__ import annotations

import time

import jax
from absl import flags

from benchmarks import common
from runio import devices

flags.DEFINE_bool("quick", False, "Fewer populations, shorter timing.")
flags.DEFINE_list("populations", [], "Populations to time (default: 6,10,40,100,256,1000,4096; "
                  "--quick: 6,40,256).")
flags.DEFINE_list("sizes", ["9", "15"], "Grid sizes.")
FLAGS = flags.FLAGS

# nca_jax is imported inside the functions: importing evosax runs JAX, and main must first
# make each CPU core a device (devices.use_cpu_cores)


def _time(fn, min_seconds: float, min_reps: int = 3) -> float:
    """Seconds per call (after one warm-up call)."""
    jax.block_until_ready(fn())
    reps, t0 = 0, time.perf_counter()
    while reps < min_reps or time.perf_counter() - t0 < min_seconds:
        jax.block_until_ready(fn())
        reps += 1
    return (time.perf_counter() - t0) / reps


def generation_rate(population: int, min_seconds: float, steps: int = 35, size: int = 9,
                    n_devices: int = 1) -> dict:
    from nca_jax.nca import growing
    from nca_jax.targets.growing import load_target
    from nca_jax.train import es

    cfg = es.ESConfig(population=population, min_steps=steps, max_steps=steps)
    tr = es.make(growing.ModelConfig(), cfg, load_target("carrot", size),
                 devices.population_mesh(n_devices))
    box = [tr.init(jax.random.PRNGKey(0))]

    def one():
        box[0], m = tr.step(box[0])
        return m["loss"]

    dt = _time(one, min_seconds)
    return {"generations_per_s": 1 / dt, "mutants_per_s": population / dt}


def device_counts(population: int) -> list[int]:
    """One device, and the split the ES trainer uses by default (if it is more than one)."""
    return sorted({1, devices.auto_count(population)})


def evaluation(population: int, steps: int = 35, size: int = 9, n_devices: int = 1):
    """A call that evaluates a population once and blocks until done: the vmapped
    population rollouts alone (no ask/tell), the population split over ``n_devices``."""
    from nca_jax.nca import growing

    mcfg = growing.ModelConfig()
    key = jax.random.PRNGKey(0)
    p0 = growing.init_params(key, mcfg)
    pop = jax.tree.map(lambda a: a + 0.05 * jax.random.normal(key, (population,) + a.shape), p0)
    x0 = growing.seed(mcfg, size, size)
    mesh = devices.population_mesh(n_devices)

    def evaluate(pop, k):
        pop = jax.tree.map(lambda a: devices.shard(a, mesh), pop)
        ys = jax.vmap(lambda p: growing.rollout(p, x0, k, steps, mcfg))(pop)
        return devices.shard(ys, mesh)

    f = jax.jit(evaluate)
    return lambda: jax.block_until_ready(f(pop, key))


def evaluation_rate(population: int, min_seconds: float, steps: int = 35, size: int = 9,
                    n_devices: int = 1) -> float:
    """Rollouts/s of :func:`evaluation`."""
    return population / _time(evaluation(population, steps, size, n_devices), min_seconds)


def main(argv):
    del argv
    devices.use_cpu_cores()
    default = [6, 40, 256] if FLAGS.quick else [6, 10, 40, 100, 256, 1000, 4096]
    try:
        pops = [int(p) for p in FLAGS.populations] or default
        sizes = [int(s) for s in FLAGS.sizes]
    except ValueError:
        common.fail("--populations and --sizes take comma-separated whole numbers")
    secs = 1.0 if FLAGS.quick else 3.0
    results = common.Results("population_scaling")
    for size in sizes:
        cfg = {"size": size, "channels": 16, "hidden": 32, "steps": 35}
        for d in device_counts(256):
            r = evaluation_rate(256, secs, size=size, n_devices=d)
            results.emit({"config": {**cfg, "population": 256, "devices": d},
                          "rollouts_per_s": round(r, 1)}, name="population_evaluation")
        for p in pops:
            one = generation_rate(p, secs, size=size)
            results.emit({"config": {**cfg, "population": p, "devices": 1},
                          **{k: round(v, 2) for k, v in one.items()}})
            n = devices.auto_count(p)
            if n > 1:
                split = generation_rate(p, secs, size=size, n_devices=n)
                results.emit({
                    "config": {**cfg, "population": p, "devices": n},
                    **{k: round(v, 2) for k, v in split.items()},
                    "speedup_over_one_device": round(split["generations_per_s"]
                                                     / one["generations_per_s"], 2)})
    results.close()


if __name__ == "__main__":
    common.run(main)
