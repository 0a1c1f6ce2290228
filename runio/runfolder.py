"""The run folder: the one on-disk format that every job writes and every reader reads.

A run folder (``--out``) holds::

    job.json        {"job": "nca_jax.grow"}: the job that owns the folder (runio.outdir)
    .lock           while a run writes into it (runio.outdir)
    config.json     the configuration a resumed run must share: the job's config as
                    ``dataclasses.asdict`` gives it, less its budget fields (max_seconds,
                    max_iterations, progress); written before any work, never rewritten
    metrics.jsonl   one JSON object per iteration: "iteration", "loss" and the trainer's
                    other scalars, "eval_loss" every eval_every iterations, "wall_time_s"
    summary.json    written at the end: headline numbers ("final_loss", "iterations",
                    "wall_time_s", ...) and the whole config under "config"
    checkpoints/    orbax steps (runio.checkpoint), each a dict of named pytrees:
                    "state" (the trainer's), "params" (the model's, under its own names:
                    params/hidden/kernel ...), "counters" (iteration, elapsed, ...),
                    "integrity" (the SHA-256 of the others, checked on restore)
    *.png, *.gif, report.md   figures and a report for people

A grow run with both optimizers keeps one such folder per optimizer (``es/``, ``adam/``)
inside its own. Plain orbax reads the parameters::

    orbax.checkpoint.StandardCheckpointer().restore(f"{run}/checkpoints/{step}/default")

and :func:`nca_jax.runs.load_run` turns any growing or texture run back into its model
config and parameters.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from runio.checkpoint import Checkpointer, OldFormat
from runio.errors import ConfigError
from runio.records import differences, write_json

CONFIG = "config.json"
SUMMARY = "summary.json"
METRICS = "metrics.jsonl"
CHECKPOINTS = "checkpoints"


def guard(out: Path, record: dict, budget: tuple[str, ...] = ()) -> None:
    """The one resume guard: write ``record`` as ``out/config.json`` in a new folder;
    in a folder that has one, refuse an unreadable record or another configuration
    (:func:`refuse`) and leave the record as it is. (Across processes: process 0's work,
    ``hosts.on_main(guard, ...)``.)"""
    out = Path(out)
    if not refuse(out, record, budget):
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / CONFIG, record)


def refuse(out: Path, record: dict, budget: tuple[str, ...] = ()) -> bool:
    """Raise a one-line :class:`ConfigError` if ``out/config.json`` is unreadable or holds
    another configuration than ``record`` (``budget``: the fields a resumed run may change,
    named in the error); True if it holds this one, False if there is none."""
    path = Path(out) / CONFIG
    if not path.exists():
        return False
    try:
        old = json.loads(path.read_text())
        if not isinstance(old, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as e:
        raise ConfigError("out", f"{path} is unreadable ({type(e).__name__}); restore it, or "
                                 "start a new folder") from None
    changed = differences(old, record)
    if changed:
        hint = f", or change only the budget ({', '.join(budget)})" if budget else ""
        raise ConfigError("out", f"{out} holds a run with another configuration (differs in "
                                 f"{', '.join(changed)}); use a new folder{hint}")
    return True


def read_json(path: Path, field: str = "checkpoint") -> dict:
    """A JSON object from a run folder, or a one-line :class:`ConfigError` naming ``field``."""
    try:
        obj = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(field, f"{Path(path).parent}: not a run folder (no "
                                 f"{Path(path).name})") from None
    except (OSError, ValueError) as e:
        raise ConfigError(field, f"{path}: unreadable ({type(e).__name__})") from None
    if not isinstance(obj, dict):
        raise ConfigError(field, f"{path}: not a JSON object")
    return obj


def read_summary(folder: str | Path, field: str = "checkpoint") -> dict:
    return read_json(Path(folder) / SUMMARY, field)


def write_summary(folder: Path, summary: dict) -> None:
    write_json(Path(folder) / SUMMARY, summary)


def read_params(folder: str | Path, field: str = "checkpoint") -> tuple[int, dict[str, Any]]:
    """``(step, params)`` of the newest readable checkpoint of a run folder: the model's
    parameters as the nested dict of numpy arrays they were saved as (no template needed)."""
    ck = Path(folder) / CHECKPOINTS
    if not ck.is_dir() or not any(ck.iterdir()):
        raise ConfigError(field, f"{folder}: no checkpoints/")
    try:
        with Checkpointer(ck) as ckpt:
            step, items = ckpt.restore({"params": None})
    except OldFormat as e:
        raise ConfigError(field, f"{folder}: {e}") from None
    except Exception as e:  # orbax raises many types for foreign folders
        raise ConfigError(field, f"{folder}: no readable checkpoint ({type(e).__name__}: "
                                 f"{e})") from None
    return step, items["params"]
