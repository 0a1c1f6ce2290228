"""Results on disk: output folders that are never silently overwritten, atomic JSON, JSONL."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from runio.cli import BadInput


def _default(obj: Any) -> Any:
    if isinstance(obj, (np.generic,)):
        return obj.item()
    if isinstance(obj, np.ndarray) or hasattr(obj, "__array__"):
        return np.asarray(obj).tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def dumps(obj: Any, **kw) -> str:
    """JSON text that also accepts numpy and JAX scalars/arrays and paths."""
    return json.dumps(obj, default=_default, **kw)


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


def prepare_out(out: str | os.PathLike, overwrite: bool = False, resume: bool = False) -> Path:
    """Create ``out`` as a folder for a run's results.

    An existing file is refused; a non-empty folder is refused unless ``overwrite`` (its
    contents are removed) or ``resume`` (kept, for runs that continue from checkpoints).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out={out} is a file; give a folder path")
    if out.is_dir() and any(out.iterdir()):
        if overwrite:
            shutil.rmtree(out)
        elif not resume:
            raise BadInput(f"--out={out} is not empty; choose a new folder or pass --overwrite")
    out.mkdir(parents=True, exist_ok=True)
    return out
