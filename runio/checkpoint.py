"""Orbax checkpoints of a run: named pytrees (trainer state, parameters, counters, ...)
saved together at a step, so a resumed run on CPU ends bitwise equal to an uninterrupted
one. The one checkpoint format of the project (NCA training and CA rule search).

Saves are synchronous and atomic (orbax writes a temporary folder and renames it) and
only the last ``keep`` are kept. Each pytree is stored under its own names: dict keys,
dataclass and named-tuple fields, list positions, so plain orbax reads a growing NCA's
checkpoint back as ``{'params': {'hidden': {'kernel': ...}, 'out': {'kernel': ...}}, ...}``
(:func:`named`). Restoring takes a template of the same structure (a fresh ``init``), which
gives the leaves back their types, or ``None`` for the stored nested dict as it is.
A newest checkpoint that cannot be read (a crash mid-write, a corrupt file) is skipped
with a one-line warning, the newest intact one is restored, and the unreadable ones after
it are removed (so the resumed run can save those steps again).

In a multi-process run every process saves and restores together on the shared folder
(orbax's collective protocol); arrays split over several processes' devices are gathered
first (:func:`runio.hosts.local`), so a checkpoint reads the same whatever the processes.
"""

from __future__ import annotations

import hashlib
import re
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


#: Checkpoints written before the leaves were named hold them as "0000", "0001", ...
_POSITIONAL = re.compile(r"\d{4}")


class OldFormat(CheckpointMismatch):
    """A checkpoint whose leaves are stored by position (ca-jax-lab 0.1) and not by name."""


def _key(k) -> str:
    for attr in ("key", "name", "idx"):  # DictKey, GetAttrKey, Sequence/FlattenedIndexKey
        if hasattr(k, attr):
            return str(getattr(k, attr))
    return str(k)


def path_names(path) -> tuple[str, ...]:
    """A leaf's key path as names (``('params', 'hidden', 'kernel')``)."""
    return tuple(_key(k) for k in path)


def named(tree: Any) -> dict:
    """``tree`` as nested dicts of numpy arrays keyed by its own names (what is saved)."""
    out: dict = {}
    for path, leaf in jax.tree_util.tree_flatten_with_path(hosts.local(tree))[0]:
        names = path_names(path) or ("value",)
        node = out
        for n in names[:-1]:
            node = node.setdefault(n, {})
        node[names[-1]] = np.asarray(leaf)
    return out


def _count(stored) -> int:
    return sum(_count(v) for v in stored.values()) if isinstance(stored, dict) else 1


def _check_named(stored: dict, name: str) -> None:
    """Raise :class:`OldFormat` for an item whose arrays are stored by position."""
    if isinstance(stored, dict) and stored and all(_POSITIONAL.fullmatch(k) for k in stored):
        raise OldFormat(f"{name}: the checkpoint stores its arrays by position (the format "
                        "before 0.2); train again into a new folder, or read it with "
                        "ca-jax-lab 0.1")


def _fill(template: Any, stored: dict, name: str) -> Any:
    paths, treedef = jax.tree_util.tree_flatten_with_path(template)
    if _count(stored) != len(paths):
        raise CheckpointMismatch(f"{name}: {_count(stored)} arrays stored, "
                                 f"{len(paths)} expected")
    new = []
    for path, t in paths:
        names = path_names(path) or ("value",)
        node = stored
        for n in names:
            if not isinstance(node, dict) or n not in node:
                raise CheckpointMismatch(f"{name}: no {'/'.join(names)!r} stored")
            node = node[n]
        a = np.asarray(node)
        if a.shape != np.shape(t):
            raise CheckpointMismatch(f"{name}: {'/'.join(names)} has shape {a.shape}, "
                                     f"expected {np.shape(t)}")
        if isinstance(t, (bool, int, float)):  # counters stay Python numbers
            new.append(type(t)(a))
        elif isinstance(t, np.ndarray):
            new.append(np.asarray(a, dtype=t.dtype))
        else:
            new.append(jax.numpy.asarray(a, dtype=np.asarray(t).dtype))
    return jax.tree_util.tree_unflatten(treedef, new)


INTEGRITY = "integrity"  # the item holding the checksum of all the others


class Corrupt(RuntimeError):
    """A checkpoint whose arrays do not match the checksum written with them."""


def checksum(tree: dict) -> np.ndarray:
    """SHA-256 of every array of the named ``tree`` (paths, dtypes, shapes and bytes, in
    path order), as 32 bytes."""
    digest = hashlib.sha256()
    leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
    for path, leaf in sorted(leaves, key=lambda pl: path_names(pl[0])):
        a = np.ascontiguousarray(np.asarray(leaf))
        digest.update("/".join(path_names(path)).encode())
        digest.update(f"{a.dtype.str}{a.shape}".encode())
        digest.update(a.tobytes())
    return np.frombuffer(digest.digest(), np.uint8).copy()


def _verify(raw: dict, step: int) -> None:
    """Raise :class:`Corrupt` unless the checkpoint's arrays match its checksum."""
    if INTEGRITY not in raw:
        return
    stored = np.asarray(raw[INTEGRITY]["sha256"], np.uint8)
    if not np.array_equal(stored, checksum({k: v for k, v in raw.items() if k != INTEGRITY})):
        raise Corrupt(f"checkpoint {step}: its arrays do not match their checksum")


class Checkpointer:
    def __init__(self, directory: str | Path, keep: int = 3):
        options = ocp.CheckpointManagerOptions(
            max_to_keep=keep, enable_async_checkpointing=False, create=True
        )
        self.directory = Path(directory).absolute()
        self._remove_unfinished()
        self._manager = ocp.CheckpointManager(self.directory, options=options)

    def _remove_unfinished(self) -> None:
        """Remove the temporary folders of saves that never finished (a kill mid-save)."""
        if not hosts.is_main() or not self.directory.is_dir():
            return
        left = sorted(self.directory.glob("*.orbax-checkpoint-tmp*"))
        for d in left:
            shutil.rmtree(d, ignore_errors=True)
        if left:
            print(f"note: removed {len(left)} unfinished checkpoint save(s) from "
                  f"{self.directory} ({', '.join(d.name for d in left)})", file=sys.stderr)

    def steps(self) -> list[int]:
        return sorted(self._manager.all_steps())

    def latest_step(self) -> int | None:
        steps = self.steps()
        return steps[-1] if steps else None

    def save(self, step: int, items: dict[str, Any]) -> None:
        """Save the pytrees ``items`` (``{name: pytree}``) as checkpoint ``step``."""
        tree = {name: named(item) for name, item in items.items()}
        tree[INTEGRITY] = {"sha256": checksum(tree)}
        self._manager.save(step, args=ocp.args.StandardSave(tree), force=True)
        self._manager.wait_until_finished()

    def _read(self, step: int) -> dict:
        raw = self._manager.restore(step, args=ocp.args.StandardRestore())
        raw = jax.tree.map(np.asarray, raw)
        _verify(raw, step)
        return raw

    def restore(self, templates: dict[str, Any], step: int | None = None
                ) -> tuple[int, dict[str, Any]]:
        """``(step, {name: pytree})`` from checkpoint ``step`` (default: the newest one that
        reads; unreadable newer ones are skipped with a warning). A template of ``None``
        gives that item's stored nested dict of numpy arrays. Raises :class:`CheckpointMismatch` when
        the stored arrays do not fit the templates, ``FileNotFoundError`` when none reads."""
        candidates = [step] if step is not None else self.steps()[::-1]
        errors, unreadable = [], []
        for s in candidates:
            try:
                raw = self._read(s)
            except Exception as e:  # orbax raises many types for a torn or corrupt folder
                errors.append(f"step {s}: {'checksum mismatch' if isinstance(e, Corrupt) else type(e).__name__}")
                unreadable.append(s)
                continue
            out = {}
            for name, template in templates.items():
                if name not in raw:
                    raise CheckpointMismatch(f"no {name!r} in checkpoint {s}")
                stored = raw[name]  # numpy arrays already (_read)
                _check_named(stored, name)
                out[name] = stored if template is None else _fill(template, stored, name)
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
