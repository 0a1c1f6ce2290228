"""Trained growing NCAs from the run folders of ``python -m nca_jax.grow``: parameters of
the newest checkpoint, model config and training target, without rebuilding a trainer."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, NamedTuple

import jax
import numpy as np

from nca_jax.nca import growing
from nca_jax.targets.growing import load_target
from runio.checkpoint import Checkpointer
from runio.errors import ConfigError

FIELD = "checkpoint"


class TrainedModel(NamedTuple):
    name: str  # label in figures and results, unique within a battery
    checkpoint: str
    optimizer: str  # "adam" | "es"
    pool: bool
    params: Any
    mcfg: growing.ModelConfig
    target: np.ndarray  # (H, W, 4), the training target (size + 2·padding)
    summary: dict


def dataclass_from(cls, d: dict):
    """Frozen dataclass from its ``asdict`` form (lists back to tuples; unknown keys ignored)."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items() if k in names})


def run_folders(path: str | Path) -> list[Path]:
    """The run folders under a checkpoint path: the folder itself when it holds
    ``summary.json``, else its ``es/`` and ``adam/`` (an ``optimizer=both`` run)."""
    p = Path(path)
    if not p.is_dir():
        raise ConfigError(FIELD, f"{path}: no such folder")
    if (p / "summary.json").is_file():
        return [p]
    subs = [p / n for n in ("es", "adam") if (p / n / "summary.json").is_file()]
    if not subs:
        raise ConfigError(FIELD, f"{path}: not a growing-NCA checkpoint (no summary.json)")
    return subs


def load_model(checkpoint_dir: str | Path, name: str | None = None) -> TrainedModel:
    """A trained growing NCA from a run folder of ``python -m nca_jax.grow`` (the folder
    holding ``summary.json`` and ``checkpoints/``): the parameters of its newest readable
    checkpoint, its model config and its training target. Raises :class:`ConfigError`
    (one line) for a missing folder or one that is not a growing-NCA checkpoint."""
    d = Path(checkpoint_dir)
    if not d.is_dir():
        raise ConfigError(FIELD, f"{checkpoint_dir}: no such folder")
    not_ckpt = f"{checkpoint_dir}: not a growing-NCA checkpoint"
    try:
        summary = json.loads((d / "summary.json").read_text())
        optimizer = summary["optimizer"]
        cfg = summary["config"]
        mcfg = dataclass_from(growing.ModelConfig, cfg["model"])
        spec, size, padding = cfg["target"], int(cfg["size"]), int(cfg["padding"])
        pool = bool(cfg[optimizer]["pool"])
    except FileNotFoundError:
        raise ConfigError(FIELD, f"{not_ckpt} (no summary.json)") from None
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise ConfigError(FIELD, f"{not_ckpt} (summary.json unreadable: "
                                 f"{type(e).__name__} {e})") from None
    if optimizer not in ("adam", "es"):
        raise ConfigError(FIELD, f"{not_ckpt} (optimizer {optimizer!r})")
    ck = d / "checkpoints"
    if not ck.is_dir() or not any(ck.iterdir()):
        raise ConfigError(FIELD, f"{not_ckpt} (no checkpoints/)")
    try:
        target = load_target(spec, size, padding)
    except ConfigError as e:
        raise ConfigError(FIELD, f"{checkpoint_dir}: cannot rebuild its training target: "
                                 f"{e.message}") from None
    template = growing.init_params(jax.random.PRNGKey(0), mcfg)
    try:
        with Checkpointer(ck) as ckpt:
            _, items = ckpt.restore({"params": template})
    except Exception as e:  # orbax raises many types for foreign folders
        raise ConfigError(FIELD, f"{not_ckpt} ({type(e).__name__}: {e})") from None
    label = name or f"{optimizer}{' +pool' if pool else ''}"
    return TrainedModel(label, str(d), optimizer, pool, items["params"], mcfg,
                        np.asarray(target, np.float32), summary)


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
