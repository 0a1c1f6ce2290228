"""Resuming a training run from its output folder: restore the last orbax checkpoint (if
any) and cut ``metrics.jsonl`` back to the checkpointed iteration.

The growing-NCA job (:mod:`nca_jax.experiment`) does the same inline; this is the shared
form, used by the texture job, and a candidate for ``experiment.train`` to call too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nca_jax.checkpoint import Checkpointer


def read_metrics(path: Path, upto: int) -> list[dict]:
    """Records of iterations ≤ ``upto`` (a resumed run drops those after its checkpoint)."""
    if not path.exists():
        return []
    recs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [r for r in recs if r["iteration"] <= upto]


def resume(out: Path, state: Any, counters: dict[str, float], keep: int = 3):
    """``(checkpointer, state, counters, records)`` for a run in ``out``: the fresh ``state``
    and ``counters`` replaced by the last checkpoint's, ``metrics.jsonl`` rewritten with the
    records up to ``counters['iteration']``."""
    ckpt = Checkpointer(out / "checkpoints", keep=keep)
    counters = dict(counters)
    if ckpt.latest_step() is not None:
        state, saved = ckpt.restore(state)
        counters.update(saved)
    metrics_path = out / "metrics.jsonl"
    records = read_metrics(metrics_path, int(counters["iteration"]))
    metrics_path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return ckpt, state, counters, records
