"""What every benchmark prints: a JSON line with the device, versions and its figures."""

from __future__ import annotations

import platform
import time
from pathlib import Path
from typing import Callable

import jax

from runio.records import dumps

RESULTS_DIR = Path(__file__).parent / "results"


def device_info() -> dict:
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


def emit(name: str, record: dict) -> dict:
    """Print one JSON line and append it to ``benchmarks/results/<name>.jsonl``."""
    record = {"benchmark": name, "date": time.strftime("%Y-%m-%d"), **device_info(), **record}
    line = dumps(record)
    print(line, flush=True)
    RESULTS_DIR.mkdir(exist_ok=True)
    with open(RESULTS_DIR / f"{name}.jsonl", "a") as f:
        f.write(line + "\n")
    return record
