"""Trained NCAs back from their run folders (:mod:`runio.runfolder`): one loader for the
runs of ``python -m nca_jax.grow`` and ``python -m nca_jax.texture``.

    run = load_run("runs/grow/es")
    x = growing.trajectory(run.params, growing.seed(run.model, 9, 9), key, 100, run.model)

The parameters come from the newest readable checkpoint, under the model's own names; the
model config and (growing runs) the training target from ``summary.json``. Damage, export
and the page all load through here.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from nca_jax.nca import growing
from nca_jax.nca import texture as tm
from runio import runfolder
from runio.errors import ConfigError

FIELD = "checkpoint"
KINDS = ("growing", "texture")


class Run(NamedTuple):
    """A trained model and what it was trained on."""

    folder: Path
    kind: str  # "growing" | "texture"
    optimizer: str  # "adam" | "es"
    model: Any  # growing.ModelConfig | texture.TextureModelConfig
    params: Any  # the model's parameters (a nested dict of arrays, as Flax names them)
    target: np.ndarray | None  # growing: the training target (H, W, 4), size + 2·padding
    summary: dict  # summary.json as written by the job
    step: int  # the checkpoint the parameters come from

    @property
    def config(self) -> dict:
        """The job's whole configuration (``summary['config']``)."""
        return self.summary["config"]


def dataclass_from(cls, d: dict):
    """Frozen dataclass from its ``asdict`` form as the jobs write it (lists back to tuples;
    unknown keys ignored; ``null`` in a field whose default is a float back to infinity: the
    run records write non-finite numbers as ``null`` and the configs allow no NaN)."""
    fields = {f.name: f for f in dataclasses.fields(cls)}

    def value(k, v):
        if v is None and isinstance(fields[k].default, float):
            return math.inf
        return tuple(v) if isinstance(v, list) else v

    return cls(**{k: value(k, v) for k, v in d.items() if k in fields})


def run_folders(path: str | Path) -> list[Path]:
    """The run folders under ``path``: the folder itself when it holds ``summary.json``,
    else its ``es/`` and ``adam/`` (a grow run with both optimizers)."""
    p = Path(path)
    if not p.is_dir():
        raise ConfigError(FIELD, f"{path}: no such folder")
    if (p / runfolder.SUMMARY).is_file():
        return [p]
    subs = [p / n for n in ("es", "adam") if (p / n / runfolder.SUMMARY).is_file()]
    if not subs:
        raise ConfigError(FIELD, f"{path}: not a grow or texture run folder (no summary.json, "
                                 "nor es/ or adam/ holding one)")
    return subs


def load_runs(path: str | Path) -> list[Run]:
    """:func:`load_run` of every run folder under ``path`` (:func:`run_folders`)."""
    return [load_run(p) for p in run_folders(path)]


def load_run(folder: str | Path) -> Run:
    """The trained model of one run folder. Raises a one-line :class:`ConfigError` for a
    folder that is missing, not a grow or texture run, or unreadable."""
    d = Path(folder)
    if not d.is_dir():
        raise ConfigError(FIELD, f"{folder}: no such folder")
    summary = runfolder.read_summary(d, FIELD)
    try:
        cfg = summary["config"]
        if "kind" in cfg["model"]:
            kind, model = "texture", dataclass_from(tm.TextureModelConfig, cfg["model"])
            optimizer = cfg["train"]["optimizer"]
        else:
            kind, model = "growing", dataclass_from(growing.ModelConfig, cfg["model"])
            optimizer = summary["optimizer"]
    except (KeyError, TypeError, AttributeError) as e:
        raise ConfigError(FIELD, f"{folder}: not a grow or texture run (summary.json lacks "
                                 f"{e})") from None
    except ConfigError as e:
        raise ConfigError(FIELD, f"{folder}: its model config is not valid: {e}") from None
    step, stored = runfolder.read_params(d, FIELD)
    template = _template(kind, model)
    try:
        params = jax.tree.map(lambda t, a: jnp.asarray(a, t.dtype), template, stored)
        shapes = jax.tree.map(lambda t, a: t.shape == np.shape(a), template, stored)
    except (ValueError, TypeError):  # another structure: names differ
        params, shapes = None, [False]
    if not all(jax.tree.leaves(shapes)):
        raise ConfigError(FIELD, f"{folder}: the checkpoint's parameters do not fit the "
                                 "model config in summary.json")
    target = _target(d, summary) if kind == "growing" else None
    return Run(d, kind, optimizer, model, params, target, summary, step)


def _template(kind: str, model) -> Any:
    init = growing.init_params if kind == "growing" else tm.init_params
    return jax.eval_shape(lambda key: init(key, model), jax.random.PRNGKey(0))


def _target(folder: Path, summary: dict) -> np.ndarray:
    from nca_jax.targets.growing import load_target  # the emoji font only when needed

    cfg = summary["config"]
    try:
        target = load_target(cfg["target"], int(cfg["size"]), int(cfg["padding"]))
    except ConfigError as e:
        raise ConfigError(FIELD, f"{folder}: cannot rebuild its training target: "
                                 f"{e.message}") from None
    return np.asarray(target, np.float32)
