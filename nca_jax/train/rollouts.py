"""The settings every growing-NCA trainer shares, defined once: start grids per iteration,
rollout length, the sample pool and the moving average of the trained parameters. The
trainers' configs (:class:`nca_jax.train.adam.AdamConfig`,
:class:`nca_jax.train.es.ESConfig`) extend it and set their own defaults."""

from __future__ import annotations

import dataclasses

from nca_jax.train import averaging, pool


@dataclasses.dataclass(frozen=True)
class RolloutConfig:
    batch_size: int = 1  # start grids per iteration (ES: per member)
    min_steps: int = 30  # fewest NCA steps per rollout
    max_steps: int = 39  # most NCA steps per rollout
    pool: bool = True  # a sample pool (Mordvintsev et al.'s "persistent" training)
    pool_size: int = 1024
    # > 0: the trained parameters are a moving average of the iterates (train.averaging)
    average: float = 0.0

    def __post_init__(self):
        pool.check_config(self.batch_size, self.min_steps, self.max_steps, self.pool,
                          self.pool_size)
        averaging.check_cap(self.average)
