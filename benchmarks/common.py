"""What every benchmark shares: absl flags (``--record``), the device line, timing, and the
output — one JSON line per measurement, then a table for people.

    results = common.Results("peers")
    results.emit({"workload": ..., "ours": ..., "peer": ..., "ratio": ...})
    results.close()   # prints the table; with --record appends to results/peers.jsonl

Benchmarks end with ``common.run(main)`` (absl, one-line errors with exit status 2).
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Callable

from absl import flags

from runio.cli import fail, require, run as cli_run  # noqa: F401 (for the benchmarks)
from runio.records import dumps

RESULTS_DIR = Path(__file__).parent / "results"
MODELS = Path(__file__).parent / "models"  # kept trained models (benchmarks/models/README.md)
NOTES_DIR = Path(__file__).parent / "notes"
flags.DEFINE_bool("record", False, "Append the JSON lines to benchmarks/results/<name>.jsonl "
                  "(what RESULTS.md is rendered from); without it the tree stays clean.")
flags.DEFINE_string("results_dir", "", "Where --record appends (default: benchmarks/results); "
                    "rows recorded elsewhere join them by python -m benchmarks.report --add.")
FLAGS = flags.FLAGS


def device_info() -> dict:
    import jax

    dev = jax.devices()[0]
    return {
        "device": f"{dev.platform}:{getattr(dev, 'device_kind', '')}",
        "n_devices": jax.device_count(),
        "cpu": platform.processor() or platform.machine(),
        "jax": jax.__version__,
    }


def timeit(fn: Callable[[], object], repeats: int = 5, min_seconds: float = 1.0) -> float:
    """Best-of seconds per call of ``fn`` (which must block until its result is ready);
    the first (compiling) call is not timed."""
    fn()
    best = float("inf")
    spent, calls = 0.0, 0
    while calls < repeats or spent < min_seconds:
        t = time.perf_counter()
        fn()
        dt = time.perf_counter() - t
        best, spent, calls = min(best, dt), spent + dt, calls + 1
    return best


def fmt(value) -> str:
    """A number or value as people read it in a table."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value == 0 or 1e-3 <= abs(value) < 1e6:
            return f"{value:,.4g}"
        return f"{value:.3e}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={fmt(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    return str(value)


SKIP = {"benchmark", "n_devices", "cpu", "jax", "jax_version", "platform", "cpu_count"}


def flatten(row: dict) -> dict:
    """A result row with its ``config`` merged in and the bookkeeping keys left out."""
    r = {k: v for k, v in row.items() if k not in SKIP and k != "config"}
    for k, v in (row.get("config") or {}).items():
        r.setdefault(k, v)
    return r


def tables(rows: list[dict], markdown: bool = True) -> str:
    """One table per shape of row (config flattened in place); columns whose value is the
    same in every row of a table are stated once above it."""
    groups: dict[tuple, list[dict]] = {}
    for row in map(flatten, rows):
        groups.setdefault(tuple(row), []).append(row)
    out = []
    for cols, group in groups.items():
        same = [c for c in cols if len(group) > 1 and
                len({json.dumps(g.get(c), sort_keys=True, default=str) for g in group}) == 1]
        varying = [c for c in cols if c not in same]
        if same:
            out.append("All rows: " + ", ".join(f"{c} = {fmt(group[0][c])}" for c in same)
                       + ".\n")
        cells = [[fmt(g.get(c, "")) for c in varying] for g in group]
        if markdown:
            out.append("| " + " | ".join(varying) + " |")
            out.append("|" + " --- |" * len(varying))
            out += ["| " + " | ".join(r) + " |" for r in cells]
        else:
            widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(varying)]
            out.append("  ".join(c.ljust(w) for c, w in zip(varying, widths)))
            out += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
        out.append("")
    return "\n".join(out)


class Results:
    """The measurements of one benchmark run."""

    def __init__(self, name: str):
        self.name = name
        self.rows: list[dict] = []

    def emit(self, record: dict, name: str | None = None) -> dict:
        """Print one JSON line (device, date, versions, ``record``) and keep it."""
        record = {"benchmark": name or self.name, "date": time.strftime("%Y-%m-%d"),
                  **device_info(), **record}
        print(dumps(record), flush=True)
        self.rows.append(record)
        return record

    def close(self) -> None:
        """Print the table for people; with ``--record`` append the rows to the results."""
        if not self.rows:
            return
        print()
        print(tables(self.rows, markdown=False))
        if FLAGS.record:
            where = Path(FLAGS.results_dir) if FLAGS.results_dir else RESULTS_DIR
            append(self.rows, where)
            print(f"recorded {len(self.rows)} row(s) in {where}")


def append(rows: list[dict], results_dir: Path) -> dict[str, int]:
    """Append each row to ``results_dir/<its benchmark>.jsonl``; how many went to each."""
    results_dir.mkdir(parents=True, exist_ok=True)
    by_name: dict[str, list[dict]] = {}
    for r in rows:
        by_name.setdefault(r["benchmark"], []).append(r)
    for name, mine in by_name.items():
        with open(results_dir / f"{name}.jsonl", "a") as f:
            f.writelines(dumps(r) + "\n" for r in mine)
    return {name: len(mine) for name, mine in by_name.items()}


def run(main: Callable[[list[str]], object], flag_names: dict[str, str] | None = None) -> None:
    """absl entry point with the project's one-line errors (exit status 2); ``flag_names``
    maps config fields to this benchmark's flags where the names differ."""
    cli_run(main, flag_names)
