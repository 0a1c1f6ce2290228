"""Training the texture NCA against a style loss: optax Adam with a sample pool (SRNCA) or
evosax OpenAI-ES, each as pure ``init`` / ``step`` functions.

Adam: each iteration samples ``batch_size`` grids from a pool of ``pool_size`` noise seeds,
every ``reset_every``-th iteration replaces batch item 0 by a fresh seed, rolls the batch
out for ``n ~ U{ceil(ca_steps/2), …, ca_steps}`` steps, takes the mean style loss of the
RGB images, normalises each variable's gradient (as the growing NCA does) and applies
Adam, then commits the batch back to the pool.

ES: one generation evaluates an OpenAI-ES population (antithetic, centred-rank fitness as
:mod:`nca_jax.train_es`) on the same seeds and update masks, and keeps the same pool.

The step functions take the style-loss ``data`` (see :func:`nca_jax.style.make_style_loss`),
the learning rate and the update rate as arguments, so trials of one shape can be
``jax.vmap``-ed over textures, learning rates and update rates
(:mod:`nca_jax.hparam_search`).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax
from evosax.algorithms import Open_ES

from nca_jax import pool, train_adam, train_es
from nca_jax import texture_model as tm
from runio.cli import BadInput

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
        if self.optimizer not in OPTIMIZERS:
            raise BadInput(f"--optimizer={self.optimizer}: must be one of {OPTIMIZERS}")
        if not 0.0 < self.lr <= 1.0:
            raise BadInput(f"--lr={self.lr}: must be in (0, 1]")
        if not 1 <= self.batch_size <= 64:
            raise BadInput(f"--batch_size={self.batch_size}: must be in [1, 64]")
        if not 1 <= self.ca_steps <= 1000:
            raise BadInput(f"--ca_steps={self.ca_steps}: must be in [1, 1000]")
        if self.pool_size < self.batch_size:
            raise BadInput(f"--pool_size={self.pool_size}: must be >= --batch_size")
        if self.reset_every < 1:
            raise BadInput(f"--reset_every={self.reset_every}: must be >= 1")
        if self.population < 2 or self.population % 2:
            raise BadInput(f"--population={self.population}: must be even and >= 2")
        if not self.sigma > 0:
            raise BadInput(f"--sigma={self.sigma}: must be > 0")

    @property
    def min_steps(self) -> int:
        return max(1, -(-self.ca_steps // 2))


LossFn = Callable[[Any, jnp.ndarray], jnp.ndarray]


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

_scale_by_adam = optax.scale_by_adam()


def adam_init(key: jax.Array, mcfg, cfg: TextureTrainConfig, hw) -> train_adam.State:
    k_param, k_pool, key = jax.random.split(key, 3)
    params = tm.init_params(k_param, mcfg)
    return train_adam.State(params, _scale_by_adam.init(params), init_pool(k_pool, mcfg, cfg, hw),
                            key, jnp.zeros((), jnp.int32))


def adam_step(state: train_adam.State, data, lr, update_rate, loss_fn: LossFn, mcfg,
              cfg: TextureTrainConfig):
    """One Adam iteration; ``lr`` and ``update_rate`` may be traced. Returns (state, loss)."""
    hw = state.pool.shape[1:3]
    key, k_batch, k_n, k_roll = jax.random.split(state.key, 4)
    idx, x = sample_batch(state.pool, k_batch, state.iteration, mcfg, cfg, hw)
    n = jax.random.randint(k_n, (), cfg.min_steps, cfg.ca_steps + 1)
    (loss, y), grads = jax.value_and_grad(batch_loss, has_aux=True)(
        state.params, x, k_roll, n, loss_fn, data, mcfg, cfg, update_rate)
    if cfg.grad_norm:
        grads = train_adam.normalize_grads(grads)
    updates, opt_state = _scale_by_adam.update(grads, state.opt_state, state.params)
    params = jax.tree.map(lambda p, u: p - lr * u, state.params, updates)
    new = train_adam.State(params, opt_state, pool.commit(state.pool, idx, y), key,
                           state.iteration + 1)
    return new, loss


# ---------------------------------------------------------------------------- ES


def strategy(mcfg, cfg: TextureTrainConfig) -> Open_ES:
    return Open_ES(
        population_size=cfg.population,
        solution=tm.init_params(jax.random.PRNGKey(0), mcfg),
        use_antithetic_sampling=True,
        optimizer=optax.adam(cfg.lr),
        std_schedule=optax.constant_schedule(cfg.sigma),
        fitness_shaping_fn=train_es.centered_rank_normalized,
    )


def _strong(tree):
    """Leaves with strong dtypes: evosax returns some fields weakly typed from ``init`` or
    ``tell`` and not from the other, which would make a jitted step compile twice."""
    return jax.tree.map(lambda a: jnp.array(a, dtype=jnp.result_type(a)), tree)


def es_init(key: jax.Array, mcfg, cfg: TextureTrainConfig, hw) -> train_es.State:
    es = strategy(mcfg, cfg)
    k_param, k_es, k_pool, key = jax.random.split(key, 4)
    mean = tm.init_params(k_param, mcfg)
    es_state = _strong(es.init(k_es, mean, es.default_params))
    return train_es.State(es_state,
                          init_pool(k_pool, mcfg, cfg, hw), key, jnp.ones((), jnp.float32),
                          jnp.zeros((), jnp.int32))


def es_step(state: train_es.State, data, loss_fn: LossFn, mcfg, cfg: TextureTrainConfig):
    """One generation; the pool gets the best member's grids. Returns (state, mean loss)."""
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
    es_state = _strong(es_state)
    best = jnp.argmin(jnp.where(jnp.isnan(fitness), jnp.inf, fitness))
    new = train_es.State(es_state, pool.commit(state.pool, idx, ys[best]), key, state.decay,
                         state.iteration + 1)
    return new, jnp.mean(fitness)


# ---------------------------------------------------------------------------- packaged


class Trainer(NamedTuple):
    init: Callable[[jax.Array], Any]
    step: Callable[[Any, Any], tuple[Any, jnp.ndarray]]  # jitted (state, data) -> (state, loss)
    params: Callable[[Any], Any]


@functools.lru_cache(maxsize=16)
def _jitted_step(mcfg, cfg: TextureTrainConfig, loss_fn: LossFn):
    """One jitted step per configuration, so a resumed run in the same process reuses the
    compiled code."""
    if cfg.optimizer == "es":
        return jax.jit(lambda s, d: es_step(s, d, loss_fn, mcfg, cfg))
    return jax.jit(lambda s, d: adam_step(s, d, cfg.lr, mcfg.update_rate, loss_fn, mcfg, cfg))


def make(mcfg: tm.TextureModelConfig, cfg: TextureTrainConfig, loss_fn: LossFn, hw) -> Trainer:
    hw = tuple(hw)
    step = _jitted_step(mcfg, cfg, loss_fn)
    if cfg.optimizer == "es":
        es = strategy(mcfg, cfg)
        return Trainer(init=lambda key: es_init(key, mcfg, cfg, hw), step=step,
                       params=lambda s: es.get_mean(s.es_state))
    return Trainer(init=lambda key: adam_init(key, mcfg, cfg, hw), step=step,
                   params=lambda s: s.params)
