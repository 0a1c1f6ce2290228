"""A trained carrot that regrows, shipped as test data (``carrot.npz``, 9 kB) so the page
tests need not train one (a minute of the suite).

    python -m tests.nca_jax.web.carrot   # retrains it and rewrites carrot.npz

It is the grow job's default carrot trained with Adam and regeneration training (discs erased
from the two best grids of each batch) for 1,200 iterations: at the target loss (~500
iterations) it does not yet regrow its centre. The tests check what they need of it against
JAX and the damage battery, not against numbers stored here.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import jax
import numpy as np
from flax import traverse_util

from nca_jax.jobs import grow
from nca_jax.targets.growing import load_target
from nca_jax.train.adam import AdamConfig
from nca_jax.web import model as web_model

DATA = Path(__file__).with_name("carrot.npz")
CONFIG = grow.GrowConfig(optimizer="adam", max_seconds=0, max_iterations=1200,
                         target_loss=1e-6, progress=False, gif_steps=0,
                         adam=AdamConfig(damage=2))


def load() -> web_model.PageModel:
    """The shipped carrot as the page loads a grow run's model."""
    with np.load(DATA) as f:
        flat = {tuple(k.split("/")): jax.numpy.asarray(f[k]) for k in f.files}
    params = traverse_util.unflatten_dict(flat)
    target = load_target(CONFIG.target, CONFIG.size, CONFIG.padding)
    return web_model.growing_model("adam · carrot (test data)", params, CONFIG.model, target)


def make() -> None:
    """Train the carrot with :data:`CONFIG` and write its parameters to :data:`DATA`."""
    with tempfile.TemporaryDirectory() as tmp:
        summary = grow.run(CONFIG, Path(tmp) / "grow")["adam"]
        (m,) = web_model.load(Path(tmp) / "grow")
    assert summary["final_loss"] < 0.003, summary["final_loss"]
    flat = traverse_util.flatten_dict(jax.device_get(m.params))
    np.savez(DATA, **{"/".join(k): np.asarray(v, np.float32) for k, v in flat.items()})
    print(f"{DATA}: final loss {summary['final_loss']:.5f}")


if __name__ == "__main__":
    make()
