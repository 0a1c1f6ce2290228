"""The evolution strategies the ES trainer can use: evosax's distribution-based algorithms,
each with the defaults that suit a 2–10 k-parameter NCA and the fitness shaping it expects.

| name | evosax class | mean update | σ | shaping |
| --- | --- | --- | --- | --- |
| ``open_es`` | ``Open_ES`` | optax (Adam or SGD) on the ES gradient | fixed | centred ranks, normalised |
| ``snes`` | ``SNES`` | optax on the natural gradient | per parameter, adapted | recombination weights |
| ``pgpe`` | ``PGPE`` | ClipUp on the symmetric-difference gradient | per parameter, adapted | centred ranks |
| ``ars`` | ``ARS`` | optax on the top-k antithetic pairs' differences | fixed | centred ranks |
| ``sep_cma_es`` | ``Sep_CMA_ES`` | weighted recombination | CSA, diagonal covariance | recombination weights |
| ``lm_ma_es`` | ``LM_MA_ES`` | weighted recombination | CSA, limited-memory matrix | recombination weights |
| ``cr_fm_nes`` | ``CR_FM_NES`` | natural gradient | adapted, low-rank + diagonal | recombination weights |
| ``persistent_es`` | ``PersistentES`` | optax on the ES gradient of truncated unrolls, perturbations accumulated over an unroll | fixed | centred ranks, normalised |
| ``noise_reuse_es`` | ``NoiseReuseES`` | optax on the ES gradient of truncated unrolls, one perturbation per unroll | fixed | centred ranks, normalised |

The last two (Vicol et al. 2021; Li et al. 2023) are made for unrolled computations cut into
segments: each generation advances every member's own grid by a few steps (``truncated``),
and the trainer carries the grids from one generation to the next
(:mod:`nca_jax.train.es`).

All minimise; every shaping is rank-based, so members whose grids all died can be ranked
last by a large additive penalty without distorting the update. Where the mean update is
an optax optimiser its learning rate is injected (``optax.inject_hyperparams``), so the
trainer can decay it during training. ``default_sigma`` / ``default_lr`` give each one's
defaults (tuned on the 9×9 carrot, see ``benchmarks/notes/es_vs_adam.md``).
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax

from runio.errors import check

MEAN_OPTIMIZERS = {"adam": optax.adam, "sgd": optax.sgd}


def centered_rank_normalized(population, fitness, state, params):
    """The NTNU thesis, eq. 24–25: centred ranks ``r_i/(n-1) - 1/2`` (rank 0 = lowest loss), then
    normalised to zero mean and unit standard deviation. Minimised like raw fitness."""
    n = fitness.shape[-1]
    ranks = jax.scipy.stats.rankdata(jnp.where(jnp.isnan(fitness), jnp.inf, fitness),
                                     axis=-1) - 1.0
    centred = ranks / (n - 1) - 0.5
    return (centred - centred.mean(-1, keepdims=True)) / (centred.std(-1, keepdims=True) + 1e-8)


class Spec(NamedTuple):
    """How to build one strategy: ``build(population, template, cfg)`` → evosax algorithm,
    ``params(algorithm, cfg)`` → its Params; its default σ and learning rate; whether its
    mean update is an optax optimiser (so the learning rate can be decayed) and whether it
    samples antithetic pairs itself."""

    build: Callable[[int, Any, Any], Any]
    params: Callable[[Any, Any], Any]
    sigma: float
    lr: float
    has_optimizer: bool
    antithetic: bool  # the algorithm itself samples mirrored pairs (population must be even)
    truncated: bool = False  # a generation is one segment of every member's unroll


def _optimizer(cfg) -> optax.GradientTransformation:
    return optax.inject_hyperparams(MEAN_OPTIMIZERS[cfg.optimizer])(learning_rate=cfg.lr)


def _ev():
    """evosax's algorithms, imported when a strategy is built: importing them runs JAX,
    which must wait until a CLI has set its device options."""
    from evosax import algorithms

    return algorithms


def _weights_shaping():
    from evosax.core.fitness_shaping import weights_fitness_shaping_fn

    return weights_fitness_shaping_fn


def _open_es(population, template, cfg):
    return _ev().Open_ES(population_size=population, solution=template,
                      use_antithetic_sampling=cfg.antithetic, optimizer=_optimizer(cfg),
                      std_schedule=optax.constant_schedule(cfg.sigma),
                      fitness_shaping_fn=centered_rank_normalized)


def _snes(population, template, cfg):
    return _ev().SNES(population_size=population, solution=template,
                      optimizer=_optimizer(cfg), fitness_shaping_fn=_weights_shaping())


def _snes_params(es, cfg):
    p = es.default_params
    return p.replace(std_init=jnp.float32(cfg.sigma),
                     lr_std_init=jnp.float32(cfg.std_lr) if cfg.std_lr else p.lr_std_init)


def _pgpe(population, template, cfg):
    max_velocity = cfg.max_velocity or 2.0 * cfg.lr  # ClipUp's recommendation: twice the lr
    from evosax.core.optimizer import clipup

    opt = optax.inject_hyperparams(clipup)(learning_rate=cfg.lr, max_velocity=max_velocity)
    return _ev().PGPE(population_size=population, solution=template, optimizer=opt,
                   fitness_shaping_fn=centered_rank_normalized)


def _pgpe_params(es, cfg):
    p = es.default_params
    return p.replace(std_init=cfg.sigma, std_lr=cfg.std_lr or p.std_lr)


def _ars(population, template, cfg):
    es = _ev().ARS(population_size=population, solution=template, optimizer=_optimizer(cfg),
                std_schedule=optax.constant_schedule(cfg.sigma),
                fitness_shaping_fn=centered_rank_normalized)
    es.elite_ratio = cfg.elite_ratio
    return es


def _truncated(name: str):
    def build(population, template, cfg):
        return getattr(_ev(), name)(population_size=population, solution=template,
                                    optimizer=_optimizer(cfg),
                                    std_schedule=optax.constant_schedule(cfg.sigma),
                                    fitness_shaping_fn=centered_rank_normalized)
    return build


def segments(max_steps: int, unroll: int) -> int:
    """Segments of ``unroll`` steps in one truncated unroll covering ``max_steps`` steps."""
    return -(-max_steps // unroll)


def _unroll_params(es, cfg):
    return es.default_params.replace(T=segments(cfg.max_steps, cfg.unroll) * cfg.unroll,
                                     K=cfg.unroll)


def _cma_family(name: str):
    def build(population, template, cfg):
        return getattr(_ev(), name)(population_size=population, solution=template,
                                    fitness_shaping_fn=_weights_shaping())
    return build


def _sigma_only(es, cfg):
    return es.default_params.replace(std_init=jnp.float32(cfg.sigma))


def _default(es, cfg):
    return es.default_params


STRATEGIES: dict[str, Spec] = {
    "open_es": Spec(_open_es, _default, sigma=0.015, lr=0.015, has_optimizer=True,
                    antithetic=False),
    "snes": Spec(_snes, _snes_params, sigma=0.015, lr=0.015, has_optimizer=True,
                 antithetic=False),
    "pgpe": Spec(_pgpe, _pgpe_params, sigma=0.015, lr=0.015, has_optimizer=True,
                 antithetic=True),
    "ars": Spec(_ars, _default, sigma=0.015, lr=0.015, has_optimizer=True, antithetic=True),
    "sep_cma_es": Spec(_cma_family("Sep_CMA_ES"), _sigma_only, sigma=0.015, lr=float("nan"),
                       has_optimizer=False, antithetic=False),
    "lm_ma_es": Spec(_cma_family("LM_MA_ES"), _sigma_only, sigma=0.015, lr=float("nan"),
                     has_optimizer=False, antithetic=False),
    "cr_fm_nes": Spec(_cma_family("CR_FM_NES"), _sigma_only, sigma=0.015, lr=float("nan"),
                      has_optimizer=False, antithetic=True),
    # at OpenAI-ES's lr 0.015 both blow up on the 9×9 carrot; at 0.005 both learn
    "persistent_es": Spec(_truncated("PersistentES"), _unroll_params, sigma=0.015, lr=0.005,
                          has_optimizer=True, antithetic=True, truncated=True),
    "noise_reuse_es": Spec(_truncated("NoiseReuseES"), _unroll_params, sigma=0.015, lr=0.005,
                           has_optimizer=True, antithetic=True, truncated=True),
}


def check_name(name: str) -> Spec:
    check(name in STRATEGIES, "strategy",
          f"must be one of {', '.join(STRATEGIES)}, got {name!r}")
    return STRATEGIES[name]


class _Settings(NamedTuple):  # what the builders above read, defaults resolved
    sigma: float
    lr: float
    optimizer: str
    antithetic: bool
    std_lr: float
    max_velocity: float
    elite_ratio: float
    unroll: int  # truncated strategies: steps per generation
    max_steps: int  # truncated strategies: an unroll covers ceil(max_steps / unroll) segments


def sigma_of(strategy: str, sigma: float | None) -> float:
    """``sigma``, or the strategy's default σ when None."""
    return check_name(strategy).sigma if sigma is None else sigma


def lr_of(strategy: str, lr: float | None) -> float:
    """``lr``, or the strategy's default learning rate when None (NaN: it has none)."""
    return check_name(strategy).lr if lr is None else lr


def build(template, strategy: str, population: int, sigma: float | None = None,
          lr: float | None = None, optimizer: str = "adam", antithetic: bool = True,
          std_lr: float = 0.0, max_velocity: float = 0.0, elite_ratio: float = 0.5,
          unroll: int = 10, max_steps: int = 40) -> tuple[Any, Any]:
    """``(algorithm, params)`` of evosax strategy ``strategy`` for parameters shaped like
    ``template``; σ and lr None: the strategy's defaults (:data:`STRATEGIES`). Truncated
    strategies unroll ``ceil(max_steps / unroll)`` segments of ``unroll`` steps."""
    spec = check_name(strategy)
    s = _Settings(sigma_of(strategy, sigma), lr_of(strategy, lr), optimizer, antithetic,
                  std_lr, max_velocity, elite_ratio, unroll, max_steps)
    es = spec.build(population, template, s)
    return es, spec.params(es, s)


def has_learning_rate(es_state) -> bool:
    """Whether the strategy's mean update is an optax optimiser with an injected rate."""
    return hasattr(getattr(es_state, "opt_state", None), "hyperparams")


def set_learning_rate(es_state, lr):
    """The state with the mean's learning rate set to ``lr`` (strategies whose mean update
    is an optax optimiser; others are returned unchanged)."""
    if not has_learning_rate(es_state):
        return es_state
    opt_state = es_state.opt_state
    hyper = dict(opt_state.hyperparams, learning_rate=lr)
    return es_state.replace(opt_state=opt_state._replace(hyperparams=hyper))
