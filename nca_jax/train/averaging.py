"""Polyak averaging: train an exponential moving average of the parameters.

Late in training the parameters jitter around a minimum with the noise of their updates
(an ES gradient estimated from a population, a minibatch gradient); their moving average
sits nearer its centre. The decay at iteration t is ``min(cap, (1 + t) / (10 + t))``: it
follows the parameters closely while the loss falls fast (0.1 at t = 0, 0.9 at t = 80) and
averages over ~1 / (1 − cap) iterations once it reaches the cap (0.995 from t ≈ 1,800).
The trainers keep the average in their state and hand it out as their parameters; a cap of
0 turns averaging off (the state holds ``()`` and the trainer hands out its iterate).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from runio.errors import check, finite


def check_cap(cap: float) -> None:
    """Raise :class:`ConfigError` unless ``cap`` is a decay cap in [0, 1)."""
    check(finite(cap) and 0 <= cap < 1, "average",
          f"must be in [0, 1) (0: no averaging), got {cap}")


def init(cap: float, params):
    """The average a trainer's state starts with: ``params``, or ``()`` when off."""
    return params if cap else ()


def decay(cap: float, iteration):
    """The moving average's decay at ``iteration`` (the number of iterates before it)."""
    return jnp.minimum(cap, (1.0 + iteration) / (10.0 + iteration))


def update(average, params, cap: float, iteration):
    """The average after the iterate ``params`` of ``iteration`` (``()`` stays ``()``)."""
    if not cap:
        return average
    d = decay(cap, iteration)
    return jax.tree.map(lambda a, p: d * a + (1 - d) * p, average, params)


def handed_out(cap: float, average, params):
    """What the trainer hands out: the average, or its iterate ``params`` when off."""
    return average if cap else params
