"""Orbax checkpoints of a whole training run: trainer state (params, optimiser, pool,
RNG key, ...) and the run's counters, so a resumed run on CPU ends bitwise equal to an
uninterrupted one.

Saves are synchronous and atomic (orbax writes a temporary folder and renames it) and
only the last ``keep`` are kept. The state is stored as its list of leaves; restoring
needs a template state of the same structure (a fresh ``init``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax
import numpy as np
import orbax.checkpoint as ocp


class Checkpointer:
    def __init__(self, directory: str | Path, keep: int = 3):
        options = ocp.CheckpointManagerOptions(
            max_to_keep=keep, enable_async_checkpointing=False, create=True
        )
        self._manager = ocp.CheckpointManager(Path(directory).absolute(), options=options)

    def latest_step(self) -> int | None:
        return self._manager.latest_step()

    def save(self, step: int, state: Any, counters: dict[str, float]) -> None:
        leaves = jax.tree.leaves(state)
        tree = {
            "leaves": {f"{i:04d}": np.asarray(x) for i, x in enumerate(leaves)},
            "counters": {k: np.asarray(v, np.float64) for k, v in counters.items()},
        }
        self._manager.save(step, args=ocp.args.StandardSave(tree), force=True)
        self._manager.wait_until_finished()

    def restore(self, template: Any, step: int | None = None) -> tuple[Any, dict[str, float]]:
        step = self.latest_step() if step is None else step
        raw = self._manager.restore(step, args=ocp.args.StandardRestore())
        leaves, treedef = jax.tree.flatten(template)
        stored = raw["leaves"]
        if len(stored) != len(leaves):
            raise ValueError("checkpoint does not match this configuration")
        new = []
        for i, t in enumerate(leaves):
            a = np.asarray(stored[f"{i:04d}"])
            if a.shape != np.shape(t):
                raise ValueError("checkpoint does not match this configuration")
            new.append(jax.numpy.asarray(a, dtype=np.asarray(t).dtype))
        counters = {k: float(v) for k, v in raw["counters"].items()}
        return jax.tree.unflatten(treedef, new), counters

    def close(self) -> None:
        self._manager.close()
