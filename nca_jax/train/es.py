"""Evolution of the growing NCA with evosax OpenAI-ES, as an ``(init, step)`` pair.

One step = one generation: ``ask`` a population of parameter sets (antithetic by
default), roll all of them out in one vmapped call from the same batch of start grids
with the same fire masks (common random numbers), ``tell`` the per-member MSE. Fitness is
shaped by centred ranks followed by normalisation (thesis eq. 24–25, see
:func:`centered_rank_normalized`). The learning rate is multiplied by ``decay_factors``
once the population's mean loss first reaches each of ``decay_thresholds`` (kept in the
state, so it survives checkpoints). With the pool on, the batch comes from the sample
pool (highest-loss grid replaced by the seed) and only the best member's grids that are
still alive are committed back.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from evosax.algorithms import Open_ES
from jax.sharding import Mesh

from nca_jax.nca import growing, losses
from nca_jax.train import pool
from nca_jax.train.base import Trainer, strong
from runio import devices
from runio.errors import check, finite

OPTIMIZERS = ("sgd", "adam")
FITNESS = ("final", "window")
DEAD_FITNESS = 1e6  # added to the loss of dead members before ranking


@dataclasses.dataclass(frozen=True)
class ESConfig:
    population: int = 64
    sigma: float = 0.015
    optimizer: str = "adam"
    lr: float = 0.015
    antithetic: bool = True
    decay_thresholds: tuple[float, ...] = (0.03, 0.01)
    decay_factors: tuple[float, ...] = (0.3, 0.5)
    batch_size: int = 1
    min_steps: int = 30
    max_steps: int = 39
    pool: bool = False
    pool_size: int = 1024
    # "final": MSE after a random number of steps in [min_steps, max_steps] (the thesis);
    # "window": MSE averaged over every step from min_steps to max_steps of one rollout
    fitness: str = "final"
    # rank members whose grids all died last (an empty grid beats early garbage growth,
    # and once the whole population dies every member ties: no gradient is left)
    dead_last: bool = True

    def __post_init__(self):
        check(self.fitness in FITNESS, "fitness", f"must be one of {FITNESS}, got {self.fitness!r}")
        check(2 <= self.population <= 1_000_000, "population",
              f"must be in [2, 10^6], got {self.population}")
        check(not (self.antithetic and self.population % 2), "population",
              f"must be even with antithetic sampling, got {self.population}")
        check(finite(self.sigma) and self.sigma > 0, "sigma",
              f"must be a finite number > 0, got {self.sigma}")
        check(finite(self.lr) and 0 < self.lr <= 1, "lr", f"must be in (0, 1], got {self.lr}")
        check(self.optimizer in OPTIMIZERS, "optimizer",
              f"must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        check(len(self.decay_thresholds) == len(self.decay_factors), "decay_factors",
              "need as many decay factors as decay thresholds")
        check(all(finite(f) and 0 < f <= 1 for f in self.decay_factors), "decay_factors",
              f"each must be in (0, 1], got {self.decay_factors}")
        check(all(finite(t) and t > 0 for t in self.decay_thresholds), "decay_thresholds",
              f"each must be a finite number > 0, got {self.decay_thresholds}")
        pool.check_config(self.batch_size, self.min_steps, self.max_steps, self.pool,
                          self.pool_size)
        check(not self.pool or self.batch_size >= 2, "batch_size",
              "the ES pool needs a batch of >= 2 (with 1 the reseeded grid is always the seed)")

    @property
    def rollouts_per_iteration(self) -> int:
        return self.population * self.batch_size


def centered_rank_normalized(population, fitness, state, params):
    """Thesis eq. 24–25: centred ranks ``r_i/(n-1) - 1/2`` (rank 0 = lowest loss), then
    normalised to zero mean and unit standard deviation. Minimised like raw fitness."""
    n = fitness.shape[-1]
    ranks = jax.scipy.stats.rankdata(jnp.where(jnp.isnan(fitness), jnp.inf, fitness), axis=-1) - 1.0
    centred = ranks / (n - 1) - 0.5
    return (centred - centred.mean(-1, keepdims=True)) / (centred.std(-1, keepdims=True) + 1e-8)


def decay_factor(mean_loss, cfg: ESConfig):
    f = jnp.ones((), jnp.float32)
    for th, fac in zip(cfg.decay_thresholds, cfg.decay_factors):
        f = f * jnp.where(mean_loss <= th, fac, 1.0)
    return f


def window_loss(params, x, key, target, mcfg: growing.ModelConfig, min_steps: int, max_steps: int):
    """Grids after ``max_steps`` steps and their MSE averaged over steps min..max."""

    def body(carry, t):
        x, acc = carry
        x = growing.step(params, x, jax.random.fold_in(key, t), mcfg)
        acc = acc + jnp.where(t + 1 >= min_steps, losses.mse(x, target), 0.0)
        return (x, acc), None

    acc0 = jnp.zeros(x.shape[:-3], jnp.float32)
    (y, acc), _ = jax.lax.scan(body, (x, acc0), jnp.arange(max_steps))
    return y, acc / (max_steps - min_steps + 1)


def dead_last(fitness, ys, threshold: float = 0.1):
    """Fitness for ranking: members all of whose grids ``ys[i]`` died get ``DEAD_FITNESS``
    added, so they rank below every living member (and keep their order among themselves)."""
    dead = ~jnp.any(pool.is_alive(ys, threshold), axis=-1)
    return jnp.where(dead, DEAD_FITNESS + fitness, fitness)


def commit_best(pool_, idx, x, ys, fitness, threshold: float = 0.1):
    """ES pool update: the sampled slots ``idx`` get the start batch ``x`` (with its seed),
    then the best member's final grids ``ys[best]`` where those are still alive."""
    best = jnp.argmin(jnp.where(jnp.isnan(fitness), jnp.inf, fitness))
    return pool.commit_alive(pool.commit(pool_, idx, x), idx, ys[best], threshold)


class State(NamedTuple):
    es_state: Any
    pool: jnp.ndarray
    key: jax.Array
    decay: jnp.ndarray  # current learning-rate multiplier (only ever decreases)
    iteration: jnp.ndarray


def strategy(mcfg: growing.ModelConfig, cfg: ESConfig) -> Open_ES:
    base = {"sgd": optax.sgd, "adam": optax.adam}[cfg.optimizer]
    template = growing.init_params(jax.random.PRNGKey(0), mcfg)
    return Open_ES(
        population_size=cfg.population,
        solution=template,
        use_antithetic_sampling=cfg.antithetic,
        optimizer=optax.inject_hyperparams(base)(learning_rate=cfg.lr),
        std_schedule=optax.constant_schedule(cfg.sigma),
        fitness_shaping_fn=centered_rank_normalized,
    )


def make(mcfg: growing.ModelConfig, cfg: ESConfig, target: jnp.ndarray,
         mesh: Mesh | None = None) -> Trainer:
    """The ES trainer; ``mesh`` (1-D, axis ``pop``) splits the population over its devices."""
    devices.check_divisible(cfg.population, mesh)
    target = jnp.asarray(target, jnp.float32)
    h, w = target.shape[:2]
    x0 = growing.seed(mcfg, h, w)
    es = strategy(mcfg, cfg)
    es_params = es.default_params

    def init(key: jax.Array) -> State:
        k_param, k_es, key = jax.random.split(key, 3)
        mean = growing.init_params(k_param, mcfg)
        state = State(
            es_state=strong(es.init(k_es, mean, es_params)),
            pool=pool.init(x0, cfg.pool_size if cfg.pool else 1),
            key=key,
            decay=jnp.ones((), jnp.float32),
            iteration=jnp.zeros((), jnp.int32),
        )
        # replicated on the mesh from the start, as ``step`` returns it: one compilation
        return devices.put_replicated(state, mesh)

    def evaluate_population(population, x, key, n):
        """Per-member mean loss and final grids ``(P, B, H, W, C)``; the population axis is
        split over the mesh, the fitness comes back replicated."""
        population = jax.tree.map(lambda a: devices.shard(a, mesh), population)
        fitness, ys = _evaluate(population, x, key, n)
        return devices.replicate(fitness, mesh), ys

    def _evaluate(population, x, key, n):
        if cfg.fitness == "window":
            ys, loss = jax.vmap(
                lambda p: window_loss(p, x, key, target, mcfg, cfg.min_steps, cfg.max_steps)
            )(population)
            return jnp.mean(loss, axis=-1), ys
        ys = jax.vmap(lambda p: growing.rollout(p, x, key, n, mcfg))(population)
        return jnp.mean(losses.mse(ys, target), axis=-1), ys

    @jax.jit
    def step(state: State) -> tuple[State, dict]:
        key, k_ask, k_idx, k_n, k_roll, k_tell = jax.random.split(state.key, 6)
        population, es_state = es.ask(k_ask, state.es_state, es_params)
        idx, x = pool.start_batch(state.pool, k_idx, cfg.batch_size, cfg.pool, target, x0)
        n = jax.random.randint(k_n, (), cfg.min_steps, cfg.max_steps + 1)
        fitness, ys = evaluate_population(population, x, k_roll, n)
        mean_loss = jnp.mean(fitness)
        ranked = dead_last(fitness, ys, mcfg.alive_threshold) if cfg.dead_last else fitness
        decay = jnp.minimum(state.decay, decay_factor(mean_loss, cfg))
        lr = cfg.lr * decay
        opt_state = es_state.opt_state
        hyper = dict(opt_state.hyperparams, learning_rate=lr)
        es_state = es_state.replace(opt_state=opt_state._replace(hyperparams=hyper))
        es_state, _ = es.tell(k_tell, population, ranked, es_state, es_params)
        es_state = strong(es_state)
        if cfg.pool:
            new_pool = commit_best(state.pool, idx, x, ys, fitness, mcfg.alive_threshold)
        else:
            new_pool = state.pool
        metrics = {"loss": mean_loss, "best_loss": jnp.nanmin(fitness), "lr": lr}
        new = State(es_state, new_pool, key, decay, state.iteration + 1)
        return new, metrics

    return Trainer(init=init, step=step, params=lambda s: es.get_mean(s.es_state))
