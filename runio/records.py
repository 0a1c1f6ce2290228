"""Results on disk: atomic strict JSON, JSON lines (output folders: :mod:`runio.outdir`)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np



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


def differences(old: dict, new: dict) -> list[str]:
    """The top-level keys whose values differ between two configurations (as JSON)."""
    a, b = json.loads(dumps(old)), json.loads(dumps(new))
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
