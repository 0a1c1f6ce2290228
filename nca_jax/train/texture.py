"""Training the texture NCA against a style loss: optax Adam with a sample pool (SRNCA) or
evosax OpenAI-ES, as the trainer contract of :mod:`nca_jax.train.base`.

Adam: each iteration samples ``batch_size`` grids from a pool of ``pool_size`` noise seeds,
every ``reset_every``-th iteration replaces batch item 0 by a fresh seed, rolls the batch
out for ``n ~ U{ceil(ca_steps/2), …, ca_steps}`` steps, takes the mean style loss of the
RGB images, normalises each variable's gradient (as the growing NCA does) and applies
Adam, then commits the batch back to the pool. The learning rate lives in the optimiser
state (``optax.inject_hyperparams``), so trials can differ in it under ``jax.vmap``.

ES: one generation evaluates an OpenAI-ES population (antithetic, centred-rank fitness as
:mod:`nca_jax.train.es`) on the same seeds and update masks, and keeps the same pool.

The low-level steps take the style-loss ``data`` (see
:func:`nca_jax.style.losses.make_style_loss`) and the update rate as arguments, so trials of
one shape can be ``jax.vmap``-ed over textures and update rates
(:mod:`nca_jax.hparams.trials`).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax
from evosax.algorithms import Open_ES

from nca_jax.nca import texture as tm
from nca_jax.train import adam as growing_adam
from nca_jax.train import es as growing_es
from nca_jax.train import pool
from nca_jax.train.base import Trainer, strong
from runio.errors import check, finite

OPTIMIZERS = ("adam", "es")


@dataclasses.dataclass(frozen=True)
class TextureTrainConfig:
    optimizer: str = "adam"
    lr: float = 1e-3
    batch_size: int = 2
    ca_steps: int = 20  # most CA steps per rollout (the fewest is half of it)
    pool_size: int = 32
    reset_every: int = 2
    grad_norm: bool = True
    population: int = 16  # ES
    sigma: float = 0.02  # ES

    def __post_init__(self):
        check(self.optimizer in OPTIMIZERS, "optimizer",
              f"must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        check(finite(self.lr) and 0.0 < self.lr <= 1.0, "lr", f"must be in (0, 1], got {self.lr}")
        check(1 <= self.batch_size <= 64, "batch_size", f"must be in [1, 64], got {self.batch_size}")
        check(1 <= self.ca_steps <= 1000, "ca_steps", f"must be in [1, 1000], got {self.ca_steps}")
        check(self.batch_size <= self.pool_size <= 100_000, "pool_size",
              f"must be in [batch_size={self.batch_size}, 10^5], got {self.pool_size}")
        check(self.reset_every >= 1, "reset_every", f"must be >= 1, got {self.reset_every}")
        check(2 <= self.population <= 100_000 and self.population % 2 == 0, "population",
              f"must be even and in [2, 10^5], got {self.population}")
        check(finite(self.sigma) and self.sigma > 0, "sigma",
              f"must be a finite number > 0, got {self.sigma}")

    @property
    def min_steps(self) -> int:
        return max(1, -(-self.ca_steps // 2))


LossFn = Callable[[Any, jnp.ndarray], jnp.ndarray]


class AdamState(NamedTuple):
    params: Any
    opt_state: Any  # optax.inject_hyperparams(adam): holds the learning rate
    pool: jnp.ndarray
    key: jax.Array
    iteration: jnp.ndarray


class ESState(NamedTuple):
    es_state: Any
    pool: jnp.ndarray
    key: jax.Array
    iteration: jnp.ndarray


def init_pool(key: jax.Array, mcfg: tm.TextureModelConfig, cfg: TextureTrainConfig, hw):
    keys = jax.random.split(key, cfg.pool_size)
    return jax.vmap(lambda k: tm.seed(k, mcfg, *hw))(keys)


def sample_batch(pool_, key, iteration, mcfg, cfg: TextureTrainConfig, hw):
    """Indices and grids of a batch; item 0 is a fresh seed every ``reset_every`` iterations."""
    k_idx, k_seed = jax.random.split(key)
    idx, x = pool.sample(pool_, k_idx, cfg.batch_size)
    fresh = tm.seed(k_seed, mcfg, *hw)
    x = x.at[0].set(jnp.where(iteration % cfg.reset_every == 0, fresh, x[0]))
    return idx, x


def batch_loss(params, x, key, n, loss_fn: LossFn, data, mcfg, cfg, update_rate):
    """Mean style loss of the batch after ``n`` steps, and the final grids."""
    y = tm.rollout(params, x, key, n, cfg.ca_steps, mcfg, update_rate)
    return jnp.mean(loss_fn(data, tm.to_rgb(y))), y


# ---------------------------------------------------------------------------- Adam

_adam = optax.inject_hyperparams(optax.adam)


def adam_init(key: jax.Array, mcfg, cfg: TextureTrainConfig, hw, lr=None) -> AdamState:
    """Fresh state; ``lr`` (may be traced) overrides ``cfg.lr``."""
    k_param, k_pool, key = jax.random.split(key, 3)
    params = tm.init_params(k_param, mcfg)
    opt_state = _adam(learning_rate=cfg.lr).init(params)
    if lr is not None:
        opt_state.hyperparams["learning_rate"] = jnp.asarray(lr, jnp.float32)
    return AdamState(params, opt_state, init_pool(k_pool, mcfg, cfg, hw), key,
                     jnp.zeros((), jnp.int32))


def adam_step(state: AdamState, data, update_rate, loss_fn: LossFn, mcfg,
              cfg: TextureTrainConfig) -> tuple[AdamState, dict]:
    """One Adam iteration (``update_rate`` may be traced)."""
    hw = state.pool.shape[1:3]
    key, k_batch, k_n, k_roll = jax.random.split(state.key, 4)
    idx, x = sample_batch(state.pool, k_batch, state.iteration, mcfg, cfg, hw)
    n = jax.random.randint(k_n, (), cfg.min_steps, cfg.ca_steps + 1)
    (loss, y), grads = jax.value_and_grad(batch_loss, has_aux=True)(
        state.params, x, k_roll, n, loss_fn, data, mcfg, cfg, update_rate)
    if cfg.grad_norm:
        grads = growing_adam.normalize_grads(grads)
    tx = _adam(learning_rate=cfg.lr)  # the rate used is the one in opt_state
    updates, opt_state = tx.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    new = AdamState(params, opt_state, pool.commit(state.pool, idx, y), key, state.iteration + 1)
    return new, {"loss": loss, "lr": opt_state.hyperparams["learning_rate"]}


# ---------------------------------------------------------------------------- ES


def strategy(mcfg, cfg: TextureTrainConfig) -> Open_ES:
    return Open_ES(
        population_size=cfg.population,
        solution=tm.init_params(jax.random.PRNGKey(0), mcfg),
        use_antithetic_sampling=True,
        optimizer=optax.adam(cfg.lr),
        std_schedule=optax.constant_schedule(cfg.sigma),
        fitness_shaping_fn=growing_es.centered_rank_normalized,
    )


def es_init(key: jax.Array, mcfg, cfg: TextureTrainConfig, hw) -> ESState:
    es = strategy(mcfg, cfg)
    k_param, k_es, k_pool, key = jax.random.split(key, 4)
    mean = tm.init_params(k_param, mcfg)
    es_state = strong(es.init(k_es, mean, es.default_params))
    return ESState(es_state, init_pool(k_pool, mcfg, cfg, hw), key, jnp.zeros((), jnp.int32))


def es_step(state: ESState, data, loss_fn: LossFn, mcfg, cfg: TextureTrainConfig
            ) -> tuple[ESState, dict]:
    """One generation; the pool gets the best member's grids."""
    es = strategy(mcfg, cfg)
    hw = state.pool.shape[1:3]
    key, k_ask, k_batch, k_n, k_roll, k_tell = jax.random.split(state.key, 6)
    population, es_state = es.ask(k_ask, state.es_state, es.default_params)
    idx, x = sample_batch(state.pool, k_batch, state.iteration, mcfg, cfg, hw)
    n = jax.random.randint(k_n, (), cfg.min_steps, cfg.ca_steps + 1)
    fitness, ys = jax.vmap(
        lambda p: batch_loss(p, x, k_roll, n, loss_fn, data, mcfg, cfg, mcfg.update_rate)
    )(population)
    es_state, _ = es.tell(k_tell, population, fitness, es_state, es.default_params)
    best = jnp.argmin(jnp.where(jnp.isnan(fitness), jnp.inf, fitness))
    new = ESState(strong(es_state), pool.commit(state.pool, idx, ys[best]), key,
                  state.iteration + 1)
    return new, {"loss": jnp.mean(fitness), "best_loss": jnp.nanmin(fitness)}


# ---------------------------------------------------------------------------- the trainer


def make(mcfg: tm.TextureModelConfig, cfg: TextureTrainConfig, loss_fn: LossFn, data, hw
         ) -> Trainer:
    """The texture trainer for the style loss ``(loss_fn, data)`` on a grid of ``hw``."""
    hw = tuple(hw)
    if cfg.optimizer == "es":
        es = strategy(mcfg, cfg)
        return Trainer(init=lambda key: es_init(key, mcfg, cfg, hw),
                       step=jax.jit(lambda s: es_step(s, data, loss_fn, mcfg, cfg)),
                       params=lambda s: es.get_mean(s.es_state))
    return Trainer(init=lambda key: adam_init(key, mcfg, cfg, hw),
                   step=jax.jit(lambda s: adam_step(s, data, mcfg.update_rate, loss_fn, mcfg, cfg)),
                   params=lambda s: s.params)
