"""Training the texture NCA against a style loss: optax Adam with a sample pool
(Niklasson et al.) or an evolution strategy, as the trainer contract of
:mod:`nca_jax.train.base`.

Adam: each iteration samples ``batch_size`` grids from a pool of ``pool_size`` seeds,
every ``reset_every``-th iteration replaces batch item 0 by a fresh seed, rolls the batch
out for a random number of steps (:func:`nca_jax.nca.texture.step_range`), and minimises
the mean style loss of the images plus ``overflow_weight`` times the overflow of the state
beyond ±1 (Niklasson's overflow loss; it keeps the state bounded without a hard clamp,
whose zero gradient would stop training). The optimiser is the growing NCA's
(:func:`nca_jax.train.adam.optimizer`: normalised gradients, then Adam); the rolled-out
batch goes back to the pool. The base learning rate lives in the state and the schedule
built from it is injected, so trials can differ in it under ``jax.vmap``; with
``decay_steps > 0`` it follows a cosine from ``lr`` down to ``lr * lr_floor`` at iteration
``decay_steps`` (and stays there).

ES: one generation evaluates an evosax population (:mod:`nca_jax.train.strategies`,
through :mod:`nca_jax.train.evolution`) on the same pool batch and update masks, and the
best member's grids go back to the pool. With ``es_layers="out"`` the strategy evolves only
the output layer, and the hidden layer keeps its random initialisation (a random-feature
NCA): at the flat start the gradient lives only there (the hidden layer's is zero while the
output layer is), and the fewer parameters give a truer gradient estimate per generation
(``benchmarks.es_gradient``).

The low-level steps take the style-loss ``data`` (see
:func:`nca_jax.style.losses.make_style_loss`) and the update rate as arguments, so trials of
one shape can be ``jax.vmap``-ed over textures and update rates (:mod:`nca_jax.hparams`).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax

from nca_jax.nca import texture as tm
from nca_jax.train import adam as growing_adam
from nca_jax.train import evolution, pool, strategies
from nca_jax.train.base import Trainer
from runio.errors import check, finite

TRAINERS = ("adam", "es")
ES_LAYERS = ("all", "out")


@dataclasses.dataclass(frozen=True)
class TextureTrainConfig:
    optimizer: str = "adam"
    lr: float = 4e-3
    batch_size: int = 4
    ca_steps: int = 32  # the rollout length's scale (see nca.texture.step_range)
    pool_size: int = 256
    reset_every: int = 1
    grad_norm: bool = True
    decay_steps: int = 0  # Adam: cosine decay of the lr over this many iterations (0: constant)
    lr_floor: float = 0.1  # ... down to lr * lr_floor
    overflow_weight: float = 1.0
    strategy: str = "open_es"  # ES
    population: int = 32  # ES
    sigma: float = 5e-4  # ES (at the flat start σ >= 3e-3 is blind: benchmarks.es_gradient)
    es_optimizer: str = "adam"  # ES: optax optimiser of the mean
    es_layers: str = "out"  # ES: the output layer only, or every layer ("all"; see module)

    def __post_init__(self):
        check(self.optimizer in TRAINERS, "optimizer",
              f"must be one of {TRAINERS}, got {self.optimizer!r}")
        check(finite(self.lr) and 0.0 < self.lr <= 1.0, "lr", f"must be in (0, 1], got {self.lr}")
        check(1 <= self.batch_size <= 64, "batch_size", f"must be in [1, 64], got {self.batch_size}")
        check(1 <= self.ca_steps <= 1000, "ca_steps", f"must be in [1, 1000], got {self.ca_steps}")
        check(self.batch_size <= self.pool_size <= 100_000, "pool_size",
              f"must be in [batch_size={self.batch_size}, 10^5], got {self.pool_size}")
        check(self.reset_every >= 1, "reset_every", f"must be >= 1, got {self.reset_every}")
        check(self.decay_steps >= 0, "decay_steps", f"must be >= 0, got {self.decay_steps}")
        check(finite(self.lr_floor) and 0.0 <= self.lr_floor <= 1.0, "lr_floor",
              f"must be in [0, 1], got {self.lr_floor}")
        check(finite(self.overflow_weight) and self.overflow_weight >= 0, "overflow_weight",
              f"must be a finite number >= 0, got {self.overflow_weight}")
        check(not strategies.check_name(self.strategy).truncated, "strategy",
              f"{self.strategy} needs truncated unrolls, which only the growing NCA's ES has; "
              "allowed: " + ", ".join(n for n, s in strategies.STRATEGIES.items()
                                      if not s.truncated))
        check(2 <= self.population <= 100_000 and self.population % 2 == 0, "population",
              f"must be even and in [2, 10^5], got {self.population}")
        check(finite(self.sigma) and self.sigma > 0, "sigma",
              f"must be a finite number > 0, got {self.sigma}")
        check(self.es_layers in ES_LAYERS, "es_layers",
              f"must be one of {ES_LAYERS}, got {self.es_layers!r}")


LossFn = Callable[[Any, jnp.ndarray], jnp.ndarray]


class AdamState(NamedTuple):
    params: Any
    opt_state: Any  # the project's Adam (nca_jax.train.adam.optimizer)
    pool: jnp.ndarray
    key: jax.Array
    iteration: jnp.ndarray
    lr: jnp.ndarray  # the base learning rate (the schedule's start)


def lr_at(lr, iteration, cfg: TextureTrainConfig):
    """The learning rate of ``iteration``: ``lr``, or its cosine decay (see the module)."""
    if cfg.decay_steps == 0:
        return lr
    return lr * optax.cosine_decay_schedule(1.0, cfg.decay_steps, alpha=cfg.lr_floor)(iteration)


def init_pool(key: jax.Array, mcfg: tm.TextureModelConfig, cfg: TextureTrainConfig, hw):
    """``pool_size`` fresh seeds."""
    return jnp.broadcast_to(tm.seed(key, mcfg, *hw), (cfg.pool_size, *hw, mcfg.channels))


def sample_batch(pool_, key, iteration, mcfg, cfg: TextureTrainConfig, hw):
    """Indices and grids of a batch; item 0 is a fresh seed every ``reset_every`` iterations."""
    k_idx, k_seed = jax.random.split(key)
    idx, x = pool.sample(pool_, k_idx, cfg.batch_size)
    fresh = tm.seed(k_seed, mcfg, *hw)
    x = x.at[0].set(jnp.where(iteration % cfg.reset_every == 0, fresh, x[0]))
    return idx, x


def rollout_length(key, mcfg, cfg: TextureTrainConfig):
    lo, hi = tm.step_range(mcfg, cfg.ca_steps)
    return jax.random.randint(key, (), lo, hi + 1)


def batch_loss(params, x, key, n, loss_fn: LossFn, data, mcfg, cfg, update_rate):
    """Mean style loss plus overflow penalty of the batch after ``n`` steps, and the grids."""
    _, hi = tm.step_range(mcfg, cfg.ca_steps)
    y = tm.rollout(params, x, key, n, hi, mcfg, update_rate)
    loss = loss_fn(data, tm.image(y, mcfg)) + cfg.overflow_weight * tm.overflow(y)
    return jnp.mean(loss), y


# ---------------------------------------------------------------------------- Adam

def _adam(lr, cfg: TextureTrainConfig) -> optax.GradientTransformation:
    """Adam with the schedule of base rate ``lr`` (may be traced: one per trial of a
    hyperparameter search) injected."""
    return growing_adam.optimizer(lambda count: lr_at(lr, count, cfg), cfg.grad_norm)


def adam_init(key: jax.Array, mcfg, cfg: TextureTrainConfig, hw, lr=None) -> AdamState:
    """Fresh state; ``lr`` (may be traced) overrides ``cfg.lr``."""
    k_param, k_pool, key = jax.random.split(key, 3)
    params = tm.init_params(k_param, mcfg)
    lr = jnp.asarray(cfg.lr if lr is None else lr, jnp.float32)
    return AdamState(params, _adam(lr, cfg).init(params), init_pool(k_pool, mcfg, cfg, hw),
                     key, jnp.zeros((), jnp.int32), lr)


def adam_step(state: AdamState, data, update_rate, loss_fn: LossFn, mcfg,
              cfg: TextureTrainConfig) -> tuple[AdamState, dict]:
    """One Adam iteration (``update_rate`` may be traced)."""
    hw = state.pool.shape[1:3]
    key, k_batch, k_n, k_roll = jax.random.split(state.key, 4)
    idx, x = sample_batch(state.pool, k_batch, state.iteration, mcfg, cfg, hw)
    n = rollout_length(k_n, mcfg, cfg)
    (loss, y), grads = jax.value_and_grad(batch_loss, has_aux=True)(
        state.params, x, k_roll, n, loss_fn, data, mcfg, cfg, update_rate)
    updates, opt_state = _adam(state.lr, cfg).update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    new = AdamState(params, opt_state, pool.commit(state.pool, idx, y), key, state.iteration + 1,
                    state.lr)
    return new, {"loss": loss, "lr": lr_at(state.lr, state.iteration, cfg)}


# ---------------------------------------------------------------------------- ES


def split_evolved(params, cfg: TextureTrainConfig):
    """``(evolved, fixed)``: the part of a parameter set the strategy evolves
    (``es_layers``) and the layers it keeps."""
    if cfg.es_layers == "all":
        return params, {}
    return params["out"], {k: v for k, v in params.items() if k != "out"}


def with_evolved(fixed, part, cfg: TextureTrainConfig):
    """A whole parameter set: the evolved ``part`` over the ``fixed`` layers."""
    return part if cfg.es_layers == "all" else {**fixed, "out": part}


def strategy(mcfg, cfg: TextureTrainConfig):
    """``(algorithm, params)`` of the configured evosax strategy for this model."""
    template, _ = split_evolved(tm.init_params(jax.random.PRNGKey(0), mcfg), cfg)
    return strategies.build(template, cfg.strategy, cfg.population, cfg.sigma, cfg.lr,
                            cfg.es_optimizer)


class ESExtra(NamedTuple):
    pool: jnp.ndarray
    fixed: Any  # the layers the strategy does not evolve: {} with es_layers="all"


def es_trainer(mcfg, cfg: TextureTrainConfig, loss_fn: LossFn, data, hw) -> Trainer:
    """The ES trainer: every member of a generation starts from the same pool batch with the
    same update masks; the best member's grids return to the pool. The fixed layers (with
    ``es_layers="out"``) are drawn once, at ``init``, and kept in the state."""
    es, es_params = strategy(mcfg, cfg)

    def evaluate(population, extra: ESExtra, iteration, key) -> evolution.Evaluation:
        k_batch, k_n, k_roll = jax.random.split(key, 3)
        idx, x = sample_batch(extra.pool, k_batch, iteration, mcfg, cfg, hw)
        n = rollout_length(k_n, mcfg, cfg)
        loss, ys = jax.vmap(lambda p: batch_loss(with_evolved(extra.fixed, p, cfg), x, k_roll,
                                                 n, loss_fn, data, mcfg, cfg,
                                                 mcfg.update_rate))(population)
        best = jnp.argmin(jnp.where(jnp.isnan(loss), jnp.inf, loss))
        return evolution.Evaluation(loss, loss,
                                    extra._replace(pool=pool.commit(extra.pool, idx, ys[best])),
                                    {})

    def init_extra(key) -> ESExtra:
        k_pool, k_fixed = jax.random.split(key)
        _, fixed = split_evolved(tm.init_params(k_fixed, mcfg), cfg)
        return ESExtra(init_pool(k_pool, mcfg, cfg, hw), fixed)

    def init_mean(key):  # the output layer starts at zero whatever the key
        return split_evolved(tm.init_params(key, mcfg), cfg)[0]

    tr = evolution.make(es, es_params, init_mean, evaluate, init_extra=init_extra, lr=cfg.lr)
    return tr._replace(params=lambda s: with_evolved(s.extra.fixed, tr.params(s), cfg))


# ---------------------------------------------------------------------------- the trainer


def make(mcfg: tm.TextureModelConfig, cfg: TextureTrainConfig, loss_fn: LossFn, data, hw
         ) -> Trainer:
    """The texture trainer for the style loss ``(loss_fn, data)`` on a grid of ``hw``."""
    hw = tuple(hw)
    if cfg.optimizer == "es":
        return es_trainer(mcfg, cfg, loss_fn, data, hw)
    return Trainer(init=lambda key: adam_init(key, mcfg, cfg, hw),
                   step=jax.jit(lambda s: adam_step(s, data, mcfg.update_rate, loss_fn, mcfg, cfg)),
                   params=lambda s: s.params)
