"""Results on disk: output folders that are never silently overwritten, atomic strict JSON,
JSON lines."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from runio.errors import ConfigError


def _plain(obj: Any) -> Any:
    """``obj`` with numpy/JAX values as Python ones and non-finite floats as ``None``, so
    the text is strict JSON (no bare ``NaN``)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (np.generic, np.ndarray)) or hasattr(obj, "__array__"):
        return _plain(np.asarray(obj).tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def dumps(obj: Any, **kw) -> str:
    """Strict JSON text of ``obj``; accepts numpy and JAX scalars/arrays and paths, writes
    non-finite numbers as ``null``."""
    return json.dumps(_plain(obj), allow_nan=False, **kw)


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write JSON atomically (temp file + rename), so a crash never leaves half a file."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(obj, indent=2) + "\n")
    os.replace(tmp, path)


def append_jsonl(path: str | os.PathLike, record: dict) -> None:
    """Append one JSON object as a line."""
    with open(path, "a") as f:
        f.write(dumps(record) + "\n")


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    """Every JSON object of a JSON-lines file (none if the file is missing); a torn last
    line (a run killed mid-write) is skipped."""
    path = Path(path)
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records


def prepare_out(out: str | os.PathLike, overwrite: bool = False, resume: bool = False) -> Path:
    """Create ``out`` as a folder for a run's results.

    An existing file is refused; a non-empty folder is refused unless ``overwrite`` (its
    contents are removed) or ``resume`` (kept, for runs that continue from checkpoints).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError("out", f"{out} is a file; give a folder path")
    if out.is_dir() and any(out.iterdir()):
        if overwrite:
            shutil.rmtree(out)
        elif not resume:
            raise ConfigError("out", f"{out} is not empty; choose a new folder or pass overwrite")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError("out", f"cannot create the folder {out} ({e.strerror})") from None
    return out
