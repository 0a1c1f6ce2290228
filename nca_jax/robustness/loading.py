"""Trained growing NCAs for the damage battery, from run folders of ``python -m
nca_jax.grow`` (loaded by :func:`nca_jax.runs.load_run`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from nca_jax.nca import growing
from nca_jax.runs import FIELD, load_run
from runio.errors import ConfigError


class TrainedModel(NamedTuple):
    name: str  # label in figures and results, unique within a battery
    checkpoint: str
    optimizer: str  # "adam" | "es"
    pool: bool
    params: Any
    mcfg: growing.ModelConfig
    target: np.ndarray  # (H, W, 4), the training target (size + 2·padding)
    summary: dict


def load_model(checkpoint_dir: str | Path, name: str | None = None) -> TrainedModel:
    """A trained growing NCA from a run folder of ``python -m nca_jax.grow`` (the folder
    holding ``summary.json`` and ``checkpoints/``). Raises :class:`ConfigError` (one line)
    for a missing folder or one that is not a growing-NCA run."""
    run = load_run(checkpoint_dir)
    if run.kind != "growing":
        raise ConfigError(FIELD, f"{checkpoint_dir}: a {run.kind} run, not a growing NCA")
    pool = bool(run.config[run.optimizer]["pool"])
    label = name or f"{run.optimizer}{' +pool' if pool else ''}"
    return TrainedModel(label, str(run.folder), run.optimizer, pool, run.params, run.model,
                        run.target, run.summary)


def unique_names(models: list[TrainedModel]) -> list[TrainedModel]:
    """Make labels unique by appending the run folder to repeated ones."""
    counts: dict[str, int] = {}
    for m in models:
        counts[m.name] = counts.get(m.name, 0) + 1
    out, seen = [], set()
    for i, m in enumerate(models):
        name = m.name if counts[m.name] == 1 else f"{m.name} ({Path(m.checkpoint).name})"
        if name in seen:
            name = f"{name} #{i + 1}"
        seen.add(name)
        out.append(m._replace(name=name))
    return out
