"""The finished trials of a search, kept in its folder so that a search stopped midway
resumes where it stopped instead of starting over.

A default search trains for half an hour on a 2-core CPU (more with more trials); each finished group of trials appends
one line per trial to ``trials_done.jsonl`` (its id, hyperparameters, final losses, scores
and wall time). A trial's result depends only on its id, its hyperparameters and the search
configuration (which a resumed search must share, ``run_config.json``), so a rerun into the
same folder takes a group's results from the file when all its trials are there and trains
the rest: the same numbers as an uninterrupted search. A torn last line (a search killed
mid-write) is ignored, and that group is trained again.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from runio.records import append_jsonl, read_jsonl

DONE_FILE = "trials_done.jsonl"


def _key(trial_id: int, h: dict) -> str:
    return json.dumps([int(trial_id), h], sort_keys=True)


class TrialLog:
    """Finished trials in ``folder / DONE_FILE`` (``folder`` None: remember nothing);
    ``write`` False reads the file but never appends (the processes other than 0)."""

    def __init__(self, folder: str | Path | None, write: bool = True):
        self.path = None if folder is None else Path(folder) / DONE_FILE
        self.write = write
        self.done = {r["key"]: r for r in (read_jsonl(self.path) if self.path else [])}
        self.reused = 0  # trials taken from the file by this process

    def get(self, trial_id: int, h: dict) -> tuple[np.ndarray, np.ndarray, float] | None:
        """``(losses, scores, wall)`` of a finished trial (per texture), or None."""
        r = self.done.get(_key(trial_id, h))
        if r is None:
            return None
        # a diverged trial's nan was written as null: float arrays read it back as nan
        return np.array(r["losses"], float), np.array(r["scores"], float), float(r["wall"])

    def put(self, trial_id: int, h: dict, losses, scores, wall: float) -> None:
        """Record a finished trial (appended at once: it survives a kill after this)."""
        r = {"key": _key(trial_id, h), "losses": np.asarray(losses, float).tolist(),
             "scores": np.asarray(scores, float).tolist(), "wall": float(wall)}
        self.done[r["key"]] = r
        if self.path is not None and self.write:
            append_jsonl(self.path, r)
