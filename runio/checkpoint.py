"""Orbax checkpoints of a run: named pytrees (trainer state, parameters, counters, ...)
saved together at a step, so a resumed run on CPU ends bitwise equal to an uninterrupted
one. The one checkpoint format of the project (NCA training and CA rule search).

Saves are synchronous and atomic (orbax writes a temporary folder and renames it) and
only the last ``keep`` are kept. Each pytree is stored as its list of leaves; restoring
takes a template of the same structure (a fresh ``init``), or ``None`` for the raw leaves.
A newest checkpoint that cannot be read (a crash mid-write, a corrupt file) is skipped
with a one-line warning, the newest intact one is restored, and the unreadable ones after
it are removed (so the resumed run can save those steps again).

In a multi-process run every process saves and restores together on the shared folder
(orbax's collective protocol); arrays split over several processes' devices are gathered
first (:func:`runio.hosts.local`), so a checkpoint reads the same whatever the processes.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import jax
import numpy as np
import orbax.checkpoint as ocp

from runio import hosts


class CheckpointMismatch(ValueError):
    """A checkpoint whose contents do not fit the template (another configuration)."""


def _leaves(tree: Any) -> dict[str, np.ndarray]:
    return {f"{i:04d}": np.asarray(x) for i, x in enumerate(jax.tree.leaves(hosts.local(tree)))}


def _fill(template: Any, stored: dict[str, np.ndarray], name: str) -> Any:
    leaves, treedef = jax.tree.flatten(template)
    if len(stored) != len(leaves):
        raise CheckpointMismatch(f"{name}: {len(stored)} arrays stored, {len(leaves)} expected")
    new = []
    for i, t in enumerate(leaves):
        a = np.asarray(stored[f"{i:04d}"])
        if a.shape != np.shape(t):
            raise CheckpointMismatch(f"{name}: array {i} has shape {a.shape}, "
                                     f"expected {np.shape(t)}")
        if isinstance(t, (bool, int, float)):  # counters stay Python numbers
            new.append(type(t)(a))
        elif isinstance(t, np.ndarray):
            new.append(np.asarray(a, dtype=t.dtype))
        else:
            new.append(jax.numpy.asarray(a, dtype=np.asarray(t).dtype))
    return jax.tree.unflatten(treedef, new)


class Checkpointer:
    def __init__(self, directory: str | Path, keep: int = 3):
        options = ocp.CheckpointManagerOptions(
            max_to_keep=keep, enable_async_checkpointing=False, create=True
        )
        self.directory = Path(directory).absolute()
        self._manager = ocp.CheckpointManager(self.directory, options=options)

    def steps(self) -> list[int]:
        return sorted(self._manager.all_steps())

    def latest_step(self) -> int | None:
        steps = self.steps()
        return steps[-1] if steps else None

    def save(self, step: int, items: dict[str, Any]) -> None:
        """Save the pytrees ``items`` (``{name: pytree}``) as checkpoint ``step``."""
        tree = {name: _leaves(item) for name, item in items.items()}
        self._manager.save(step, args=ocp.args.StandardSave(tree), force=True)
        self._manager.wait_until_finished()

    def _read(self, step: int) -> dict:
        return self._manager.restore(step, args=ocp.args.StandardRestore())

    def restore(self, templates: dict[str, Any], step: int | None = None
                ) -> tuple[int, dict[str, Any]]:
        """``(step, {name: pytree})`` from checkpoint ``step`` (default: the newest one that
        reads; unreadable newer ones are skipped with a warning). A template of ``None``
        gives that item's raw leaves as a list. Raises :class:`CheckpointMismatch` when
        the stored arrays do not fit the templates, ``FileNotFoundError`` when none reads."""
        candidates = [step] if step is not None else self.steps()[::-1]
        errors, unreadable = [], []
        for s in candidates:
            try:
                raw = self._read(s)
            except Exception as e:  # orbax raises many types for a torn or corrupt folder
                errors.append(f"step {s}: {type(e).__name__}")
                unreadable.append(s)
                continue
            out = {}
            for name, template in templates.items():
                if name not in raw:
                    raise CheckpointMismatch(f"no {name!r} in checkpoint {s}")
                stored = raw[name]
                if template is None:
                    out[name] = [np.asarray(stored[k]) for k in sorted(stored)]
                else:
                    out[name] = _fill(template, stored, name)
            if step is None and unreadable:
                self._remove(unreadable)
                if hosts.is_main():
                    print(f"warning: checkpoint(s) {', '.join(map(str, unreadable))} in "
                          f"{self.directory} unreadable ({'; '.join(errors)}); resumed from "
                          f"checkpoint {s} and removed them", file=sys.stderr)
            return s, out
        raise FileNotFoundError(f"no readable checkpoint in {self.directory}"
                                + (f" ({'; '.join(errors)})" if errors else ""))

    def _remove(self, steps: list[int]) -> None:
        if hosts.is_main():
            for s in steps:
                shutil.rmtree(self.directory / str(s), ignore_errors=True)
        hosts.barrier("checkpoint.remove")
        self._manager.reload()

    def close(self) -> None:
        self._manager.close()

    def __enter__(self) -> "Checkpointer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
