"""Tiny growing-NCA configurations shared by the tests (seconds to train on a CPU)."""

from nca_jax.jobs import grow
from nca_jax.nca import growing
from nca_jax.robustness.battery import BatteryConfig
from nca_jax.train import adam, es

MCFG = growing.ModelConfig(channels=8, hidden=4)

# a 5×5 Adam run of 3 iterations: what the robustness tests load
GROWN = grow.GrowConfig(
    size=5, optimizer="adam", max_seconds=0, max_iterations=3, eval_every=3, eval_samples=2,
    checkpoint_every=3, progress=False, gif_steps=2, model=MCFG,
    es=es.ESConfig(population=4, min_steps=3, max_steps=4),
    adam=adam.AdamConfig(batch_size=2, min_steps=3, max_steps=4, pool_size=4),
)

# the battery at a few steps per experiment
SHORT = BatteryConfig(seeds=2, steps=12, damage_step=5, erase_steps=6, fgsm_steps=10,
                      fgsm_until=3, fgsm_eps_after=(0.01, 0.1))
