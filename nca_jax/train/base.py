"""The one trainer contract, in the spirit of optax's ``GradientTransformation``.

A trainer is three functions over an immutable state pytree (parameters, optimiser or
strategy state, sample pool, RNG key, counters):

- ``init(key) -> state``
- ``step(state) -> (state, metrics)``: one iteration (an Adam step or an ES generation),
  jitted; ``metrics`` holds at least ``"loss"`` (scalars only)
- ``params(state) -> params``: the parameters to evaluate or export (the ES mean)

:mod:`runio.driver` runs any trainer: checkpoints, resume, budgets, metrics.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from runio.driver import Trainer  # noqa: F401  (the contract is the driver's)


def strong(tree):
    """Every leaf with a strong dtype. evosax returns some fields weakly typed from one of
    ``init`` / ``tell`` and not the other, which would make a jitted step compile twice (and
    an ahead-of-time compiled step refuse the second state)."""
    return jax.tree.map(lambda a: jnp.asarray(a, dtype=jnp.result_type(a)), tree)
