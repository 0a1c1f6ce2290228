"""Evolution as a trainer: any evosax strategy minimising any population fitness, behind
the trainer contract of :mod:`nca_jax.train.base`.

One step is one generation: ``ask`` the strategy for a population, ``evaluate`` it (a
pure function of the population, the caller's own state ``extra`` — a sample pool, say —
the iteration and a key) and ``tell`` the strategy the fitness to rank by. Where the
strategy's mean update is an optax optimiser, its learning rate is multiplied by each of
``decay_factors`` once the population's mean loss first reaches the matching one of
``decay_thresholds``; the multiplier lives in the state, so it survives checkpoints and
never rises again. The growing-NCA and texture ES trainers are this with their own
``evaluate``.

With ``average`` > 0 the trained parameters are a moving average of the mean
(:mod:`nca_jax.train.averaging`) rather than the mean itself: late in training the mean
jitters around a minimum with the sampling noise of its gradient estimate, and the average
sits nearer the centre. The strategy itself never sees the average.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Sequence

import jax
import jax.numpy as jnp
from jax.sharding import Mesh

from nca_jax.train import averaging, strategies
from nca_jax.train.base import Trainer, strong
from runio import devices


class Evaluation(NamedTuple):
    loss: jax.Array  # (P,) per-member loss, reported
    ranked: jax.Array  # (P,) what the strategy ranks by (the loss, or the loss with penalties)
    extra: Any  # the caller's state after this generation
    metrics: dict  # scalars added to the step's metrics


class State(NamedTuple):
    es_state: Any
    extra: Any
    key: jax.Array
    decay: jax.Array  # current learning-rate multiplier (only ever decreases)
    iteration: jax.Array
    average: Any = ()  # moving average of the mean (with ``average`` > 0), else ()


def decay_factor(mean_loss, thresholds: Sequence[float], factors: Sequence[float]):
    """Product of the ``factors`` whose ``thresholds`` the mean loss is at or below."""
    f = jnp.ones((), jnp.float32)
    for th, fac in zip(thresholds, factors):
        f = f * jnp.where(mean_loss <= th, fac, 1.0)
    return f


def make(es, es_params, init_mean: Callable[[jax.Array], Any],
         evaluate: Callable[[Any, Any, jax.Array, jax.Array], Evaluation],
         init_extra: Callable[[jax.Array], Any] = lambda key: (), lr: float = float("nan"),
         decay_thresholds: Sequence[float] = (), decay_factors: Sequence[float] = (),
         mesh: Mesh | None = None, average: float = 0.0) -> Trainer:
    """The trainer of strategy ``es`` (with ``es_params``) starting from
    ``init_mean(key)``; ``evaluate(population, extra, iteration, key)`` scores a population.
    ``lr`` is the strategy's base learning rate (decayed as above); ``average`` > 0 trains
    the moving average of the mean (see above). The state is placed replicated on ``mesh``
    from the start, as ``step`` returns it (one compilation)."""

    def init(key: jax.Array) -> State:
        k_mean, k_es, k_extra, key = jax.random.split(key, 4)
        es_state = strong(es.init(k_es, init_mean(k_mean), es_params))
        state = State(es_state=es_state, extra=init_extra(k_extra), key=key,
                      decay=jnp.ones((), jnp.float32), iteration=jnp.zeros((), jnp.int32),
                      average=averaging.init(average, es.get_mean(es_state)))
        return devices.put_replicated(state, mesh)

    @jax.jit
    def step(state: State) -> tuple[State, dict]:
        key, k_ask, k_eval, k_tell = jax.random.split(state.key, 4)
        population, es_state = es.ask(k_ask, state.es_state, es_params)
        ev = evaluate(population, state.extra, state.iteration, k_eval)
        mean_loss = jnp.mean(ev.loss)
        decay = jnp.minimum(state.decay,
                            decay_factor(mean_loss, decay_thresholds, decay_factors))
        es_state = strategies.set_learning_rate(es_state, lr * decay)
        es_state, _ = es.tell(k_tell, population, ev.ranked, es_state, es_params)
        metrics = {"loss": mean_loss, "best_loss": jnp.nanmin(ev.loss), **ev.metrics}
        if strategies.has_learning_rate(es_state):
            metrics["lr"] = lr * decay
        es_state = strong(es_state)
        mean_avg = averaging.update(state.average, es.get_mean(es_state), average,
                                    state.iteration)
        # the state stays replicated (what the population's split leaks into the truncated
        # strategies' per-member arrays and grids is gathered back)
        es_state, extra = devices.replicate((es_state, ev.extra), mesh)
        new = State(es_state, extra, key, decay, state.iteration + 1, mean_avg)
        return new, metrics

    return Trainer(init=init, step=step,
                   params=lambda s: averaging.handed_out(average, s.average,
                                                         es.get_mean(s.es_state)))
