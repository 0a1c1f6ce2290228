"""Evolution of the growing NCA with an evosax strategy, as an ``(init, step)`` pair.

One step = one generation: ``ask`` a population of parameter sets, roll all of them out in
one vmapped call from the same batch of start grids with the same fire masks (common random
numbers), ``tell`` the per-member MSE. The strategy (:mod:`nca_jax.train.strategies`:
OpenAI-ES by default, SNES, PGPE, ARS, Sep-CMA-ES, LM-MA-ES, CR-FM-NES) shapes the fitness
as it expects. The truncated strategies (PersistentES, NoiseReuseES) see one *segment* of
``unroll`` steps per generation instead: every member's grids are carried from one
generation to the next (from the seed, without the pool), ranked by their loss at the
segment's end once it is at least ``min_steps`` (all tied before), and back to the seed after
``ceil(max_steps / unroll)`` segments. Where its mean update is an optax optimiser, the
learning rate is multiplied by ``decay_factors`` once the population's mean loss first
reaches each of ``decay_thresholds`` (kept in the state, so it survives checkpoints). With
the pool on, the batch comes from the sample pool (highest-loss grid replaced by the seed;
with one grid per member, the seed every ``reseed_every``-th generation) and only the best
member's grids that are still alive are committed back — with ``pool_below``, only from
generations whose mean loss is at or below it (early grids of a large target are noise the
model would learn to keep).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
from jax.sharding import Mesh

from nca_jax.nca import growing, losses
from nca_jax.train import evolution, pool, strategies
from nca_jax.train.rollouts import RolloutConfig
from nca_jax.train.base import Trainer
from nca_jax.train.strategies import centered_rank_normalized  # noqa: F401 (re-export)
from runio import devices
from runio.errors import check, finite


FITNESS = ("final", "window")
DEAD_FITNESS = 1e6  # added to the loss of dead members before ranking


@dataclasses.dataclass(frozen=True)
class ESConfig(RolloutConfig):
    strategy: str = "open_es"
    population: int = 64
    sigma: float | None = None  # None: the strategy's default (strategies.STRATEGIES)
    optimizer: str = "adam"  # the optax optimiser of the mean (strategies that have one)
    lr: float | None = None  # None: the strategy's default (strategies.lr_of)
    antithetic: bool = True  # OpenAI-ES (PGPE, ARS and CR-FM-NES always mirror)
    std_lr: float = 0.0  # SNES, PGPE: learning rate of σ (0: the algorithm's default)
    max_velocity: float = 0.0  # PGPE's ClipUp: largest step (0: 2 × lr)
    elite_ratio: float = 0.5  # ARS: share of antithetic pairs in the update
    decay_thresholds: tuple[float, ...] = (0.03, 0.01, 0.006)
    decay_factors: tuple[float, ...] = (0.3, 0.5, 0.5)
    # with the pool and one grid per member (the NTNU thesis' setup): the grid is the seed every
    # reseed_every-th generation and a pool sample otherwise (a batch of >= 2 instead
    # replaces its highest-loss grid by the seed every generation)
    reseed_every: int = 2
    # the best member's grids go back to the pool only from generations whose mean loss is
    # at or below this (inf: every generation); until the first such generation the pool
    # holds only seeds, so training grows from the seed until the model draws a shape
    pool_below: float = float("inf")
    # "final": MSE after a random number of steps in [min_steps, max_steps] (the NTNU thesis);
    # "window": MSE averaged over every step from min_steps to max_steps of one rollout
    fitness: str = "final"
    # rank members whose grids all died last (an empty grid beats early garbage growth,
    # and once the whole population dies every member ties: no gradient is left)
    dead_last: bool = True
    # > 0: the trained parameters are a moving average of the mean (nca_jax.train.evolution);
    # 0.995 took the main job's ES to 0.003 in 180 s in 4 of 5 seeds, against 1 of 5 without
    average: float = 0.995
    # truncated strategies (persistent_es, noise_reuse_es): NCA steps per generation
    unroll: int = 10

    def __post_init__(self):
        super().__post_init__()
        spec = strategies.check_name(self.strategy)
        check(self.fitness in FITNESS, "fitness", f"must be one of {FITNESS}, got {self.fitness!r}")
        check(2 <= self.population <= 1_000_000, "population",
              f"must be in [2, 10^6], got {self.population}")
        mirrored = spec.antithetic or (self.antithetic and self.strategy == "open_es")
        check(not (mirrored and self.population % 2), "population",
              f"must be even with antithetic sampling ({self.strategy}), "
              f"got {self.population}")
        check(self.sigma is None or (finite(self.sigma) and self.sigma > 0), "sigma",
              f"must be a finite number > 0 (or None: the strategy's), got {self.sigma}")
        check(self.lr is None or not spec.has_optimizer or (finite(self.lr) and 0 < self.lr <= 1),
              "lr", f"must be in (0, 1] (or None: the strategy's), got {self.lr}")
        check(finite(self.std_lr) and self.std_lr >= 0, "std_lr",
              f"must be a finite number >= 0 (0: the algorithm's default), got {self.std_lr}")
        check(finite(self.max_velocity) and self.max_velocity >= 0, "max_velocity",
              f"must be a finite number >= 0 (0: twice the lr), got {self.max_velocity}")
        check(finite(self.elite_ratio) and 0 < self.elite_ratio <= 1, "elite_ratio",
              f"must be in (0, 1], got {self.elite_ratio}")
        check(self.optimizer in strategies.MEAN_OPTIMIZERS, "optimizer",
              f"must be one of {tuple(strategies.MEAN_OPTIMIZERS)}, got {self.optimizer!r}")
        check(len(self.decay_thresholds) == len(self.decay_factors), "decay_factors",
              "need as many decay factors as decay thresholds")
        check(all(finite(f) and 0 < f <= 1 for f in self.decay_factors), "decay_factors",
              f"each must be in (0, 1], got {self.decay_factors}")
        check(all(finite(t) and t > 0 for t in self.decay_thresholds), "decay_thresholds",
              f"each must be a finite number > 0, got {self.decay_thresholds}")
        check(self.reseed_every >= 1, "reseed_every", f"must be >= 1, got {self.reseed_every}")
        check(not math.isnan(self.pool_below) and self.pool_below > 0, "pool_below",
              f"must be a number > 0 (inf: every generation), got {self.pool_below}")
        check(self.unroll >= 1, "unroll", f"must be >= 1, got {self.unroll}")
        if spec.truncated:
            check(self.unroll <= self.max_steps, "unroll",
                  f"must be in [1, max_steps = {self.max_steps}], got {self.unroll}")
            check(not self.pool, "pool", f"{self.strategy} unrolls every member's grids from "
                  "the seed in segments; it has no pool (use --nopool)")
            check(self.fitness == "final", "fitness", f"{self.strategy} ranks by the loss at "
                  "each segment's end; use --es_fitness=final")

    @property
    def rollouts_per_iteration(self) -> float:
        """Rollouts per generation (a truncated strategy's generation is one segment: the
        matching fraction of a rollout per member)."""
        if strategies.check_name(self.strategy).truncated:
            return (self.population * self.batch_size
                    / strategies.segments(self.max_steps, self.unroll))
        return self.population * self.batch_size

    @property
    def sigma_value(self) -> float:
        """σ as used: the field, or the strategy's default."""
        return strategies.sigma_of(self.strategy, self.sigma)

    @property
    def lr_value(self) -> float:
        """The mean's learning rate as used: the field, or the strategy's default."""
        return strategies.lr_of(self.strategy, self.lr)


def dead_last(fitness, ys, threshold: float = 0.1):
    """Fitness for ranking: members all of whose grids ``ys[i]`` died get ``DEAD_FITNESS``
    added, so they rank below every living member (and keep their order among themselves)."""
    dead = ~jnp.any(pool.is_alive(ys, threshold), axis=-1)
    return jnp.where(dead, DEAD_FITNESS + fitness, fitness)


def commit_best(pool_, idx, x, ys, fitness, threshold: float = 0.1, enabled=True):
    """ES pool update: the sampled slots ``idx`` get the start batch ``x`` (with its seed),
    then, if ``enabled`` (may be traced), the best member's final grids ``ys[best]`` where
    those are still alive."""
    best = jnp.argmin(jnp.where(jnp.isnan(fitness), jnp.inf, fitness))
    return pool.commit_alive(pool.commit(pool_, idx, x), idx, ys[best], threshold, enabled)


def strategy(mcfg: growing.ModelConfig, cfg: ESConfig):
    """``(algorithm, params)`` of the configured evosax strategy for this model."""
    return strategies.build(growing.init_params(jax.random.PRNGKey(0), mcfg), cfg.strategy,
                            cfg.population, cfg.sigma, cfg.lr, cfg.optimizer, cfg.antithetic,
                            cfg.std_lr, cfg.max_velocity, cfg.elite_ratio, cfg.unroll,
                            cfg.max_steps)


def make(mcfg: growing.ModelConfig, cfg: ESConfig, target: jnp.ndarray,
         mesh: Mesh | None = None, start: Any = None) -> Trainer:
    """The ES trainer; ``mesh`` (1-D, axis ``pop``) splits the population over its devices;
    ``start``: parameters to start the mean from (default: a fresh draw). Its state's
    ``extra`` is the sample pool."""
    devices.check_divisible(cfg.population, mesh)
    target = jnp.asarray(target, jnp.float32)
    h, w = target.shape[:2]
    x0 = growing.seed(mcfg, h, w)
    es, es_params = strategy(mcfg, cfg)

    def rollouts(population, x, key, n):
        """Per-member mean loss and final grids ``(P, B, H, W, C)``; the population axis is
        split over the mesh, the loss comes back replicated."""
        population = jax.tree.map(lambda a: devices.shard(a, mesh), population)
        if cfg.fitness == "window":
            ys, loss = jax.vmap(
                lambda p: losses.window(p, x, key, target, mcfg, cfg.min_steps, cfg.max_steps)
            )(population)
        else:
            ys = jax.vmap(lambda p: growing.rollout(p, x, key, n, mcfg))(population)
            loss = losses.mse(ys, target)
        return devices.replicate(jnp.mean(loss, axis=-1), mesh), ys

    def evaluate(population, pool_, iteration, key) -> evolution.Evaluation:
        k_idx, k_n, k_roll = jax.random.split(key, 3)
        if cfg.pool and cfg.batch_size == 1:
            idx, x = pool.sample_or_seed(pool_, k_idx, x0, iteration % cfg.reseed_every == 0)
        else:
            idx, x = pool.start_batch(pool_, k_idx, cfg.batch_size, cfg.pool, target, x0)
        n = jax.random.randint(k_n, (), cfg.min_steps, cfg.max_steps + 1)
        loss, ys = rollouts(population, x, k_roll, n)
        ranked = dead_last(loss, ys, mcfg.alive_threshold) if cfg.dead_last else loss
        if cfg.pool:
            # the population's mean loss, as the lr decay's thresholds read it (a non-finite
            # one stops the run anyway)
            pool_ = commit_best(pool_, idx, x, ys, loss, mcfg.alive_threshold,
                                jnp.mean(loss) <= cfg.pool_below)
        return evolution.Evaluation(loss, ranked, pool_, {})

    truncated = strategies.check_name(cfg.strategy).truncated
    length = int(es_params.T) if truncated else 0  # steps of one truncated unroll

    def evaluate_segment(population, extra, iteration, key) -> evolution.Evaluation:
        """One segment of every member's unroll: ``extra`` = (grids ``(P, B, H, W, C)``,
        steps done, each member's loss at the last counted segment end)."""
        grids, t, last = extra
        grids = jnp.where(t == 0, jnp.broadcast_to(x0, grids.shape), grids)
        population = jax.tree.map(lambda a: devices.shard(a, mesh), population)
        ys = jax.vmap(lambda p, x: growing.rollout(p, x, key, cfg.unroll, mcfg))(
            population, grids)
        loss = devices.replicate(jnp.mean(losses.mse(ys, target), axis=-1), mesh)
        counted = t + cfg.unroll >= cfg.min_steps
        ranked = dead_last(loss, ys, mcfg.alive_threshold) if cfg.dead_last else loss
        last = jnp.where(counted, loss, last)
        t = jnp.where(t + cfg.unroll >= length, 0, t + cfg.unroll)
        return evolution.Evaluation(last, jnp.where(counted, ranked, 0.0), (ys, t, last), {})

    def init_segments(key):
        grids = jnp.broadcast_to(x0, (cfg.population, cfg.batch_size) + x0.shape)
        seed_loss = jnp.mean(losses.mse(x0[None], target))  # reported until a counted segment
        return grids, jnp.zeros((), jnp.int32), jnp.full((cfg.population,), seed_loss)

    return evolution.make(
        es, es_params,
        (lambda key: start) if start is not None else (lambda key: growing.init_params(key, mcfg)),
        evaluate_segment if truncated else evaluate,
        init_extra=init_segments if truncated else (
            lambda key: pool.init(x0, cfg.pool_size if cfg.pool else 1)),
        lr=cfg.lr_value, decay_thresholds=cfg.decay_thresholds, decay_factors=cfg.decay_factors,
        mesh=mesh, average=cfg.average)
