"""What an iteration of a growing-NCA trainer costs in floating-point operations: the answer
to "ES or Adam?" that holds on every machine (wall time is a fact about one machine).

XLA's cost analysis of one compiled NCA step on one grid gives its FLOPs (forward, and
forward with backward). A trainer's iteration is rollouts of E[steps] such steps: XLA counts
the body of a loop once, whatever its trip count, so the iteration is assembled here from
the step rather than read off the compiled training step. Both trainers run each rollout for
its drawn number of steps (ES's ``fori_loop``; Adam's masked scan skips the steps past it),
so E[steps] = (min_steps + max_steps) / 2. The ES step's ask/tell and the pool are left out
(they are not measurable against its rollouts: ``benchmarks/notes/es_vs_adam.md``).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from nca_jax.nca import growing


def xla_flops(fn, *args) -> float:
    """FLOPs of ``jax.jit(fn)(*args)`` by XLA's cost analysis of the compiled program."""
    analysis = jax.jit(fn).lower(*args).compile().cost_analysis()
    if isinstance(analysis, (list, tuple)):  # older JAX: one dict per computation
        analysis = analysis[0]
    return float(analysis["flops"])


@functools.lru_cache(maxsize=64)
def step_flops(mcfg: growing.ModelConfig, height: int, width: int) -> tuple[float, float]:
    """``(forward, forward and backward)`` FLOPs of one NCA step on one grid."""
    params = growing.init_params(jax.random.PRNGKey(0), mcfg)
    x = growing.seed(mcfg, height, width)
    key = jax.random.PRNGKey(1)  # an argument, as in training: the fire mask's draw counts

    def forward(p, x, k):
        return growing.step(p, x, k, mcfg)

    def both(p, x, k):
        y, vjp = jax.vjp(lambda p, x: forward(p, x, k), p, x)
        return vjp(jnp.ones_like(y))

    return xla_flops(forward, params, x, key), xla_flops(both, params, x, key)


def mean_steps(cfg, objective: str = "final") -> float:
    """E[steps] of a rollout of a trainer config with ``min_steps`` and ``max_steps``: their
    mean for the loss after a random number of steps (``objective="final"``), ``max_steps``
    for the window loss (it runs every step to the window's end)."""
    if objective == "window":
        return float(cfg.max_steps)
    return (cfg.min_steps + cfg.max_steps) / 2


def iteration_flops(name: str, mcfg: growing.ModelConfig, cfg, height: int, width: int
                    ) -> float:
    """FLOPs of one iteration of trainer ``name`` ("adam": a batch forward and backward; "es":
    every member's rollouts of its start grids, forward only — for a truncated strategy one
    segment of ``unroll`` steps)."""
    from nca_jax.train import strategies

    forward, both = step_flops(mcfg, height, width)
    if name == "adam":
        return cfg.batch_size * mean_steps(cfg, cfg.loss) * both
    truncated = strategies.check_name(cfg.strategy).truncated
    steps = cfg.unroll if truncated else mean_steps(cfg, cfg.fitness)
    return cfg.population * cfg.batch_size * steps * forward


def flops_to_rungs(iterations: dict[str, int | None], per_iteration: float
                   ) -> dict[str, float | None]:
    """FLOPs to each rung of a ladder, from the iterations to it (None: not reached)."""
    return {k: None if v is None else v * per_iteration for k, v in iterations.items()}
