"""Measure one rule: its density-classification performance P_N or its chaos score NC_pt,
and a space-time diagram — what ``python -m ca_search.evaluate`` runs."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import jax
import numpy as np

from ca_search import chaos, density, rules, simulator
from ca_search.diagram import save_spacetime
from runio import devices
from runio.errors import ConfigError, check

TASKS = ("density", "chaos")
MAX_CELLS = 100_000


@dataclasses.dataclass(frozen=True)
class MeasureConfig:
    task: str = "density"
    n_cells: int = 149
    n_ics: int | None = None  # None: 10^4 for density, 10 for chaos
    max_steps: int | None = None  # None: 2N for density, 150 for chaos
    ic: str = "unbiased"
    seed: int = 0
    compress_level: int = 9
    diagram: str = ""  # PNG path of a space-time diagram of one IC ("" for none)

    def __post_init__(self):
        check(self.task in TASKS, "task", f"must be one of {', '.join(TASKS)}, got {self.task!r}")
        density.check_ic(self.ic)
        check(1 <= self.n_cells <= MAX_CELLS, "n_cells",
              f"must be in [2r+1, {MAX_CELLS}], got {self.n_cells}")
        most = 10_000_000 if self.task == "density" else 10_000
        check(self.n_ics is None or 1 <= self.n_ics <= most, "n_ics",
              f"must be in [1, {most}] for the {self.task} task, got {self.n_ics}")
        check(self.max_steps is None or 1 <= self.max_steps <= 1_000_000, "max_steps",
              f"must be in [1, 10^6], got {self.max_steps}")
        check(0 <= self.compress_level <= 9, "compress_level",
              f"must be in 0..9, got {self.compress_level}")
        if self.diagram:
            path = Path(self.diagram)
            check(not path.is_dir(), "diagram", f"{path} is a folder; give a .png file path")
            check(path.parent.is_dir(), "diagram", f"the folder {path.parent} does not exist")
            check(os.access(path.parent, os.W_OK), "diagram", f"cannot write into {path.parent}")
            check(path.suffix.lower() == ".png", "diagram", f"must end in .png, got {path.name}")

    @property
    def ics(self) -> int:
        return self.n_ics if self.n_ics is not None else (
            10_000 if self.task == "density" else 10)

    @property
    def steps(self) -> int:
        return self.max_steps if self.max_steps is not None else (
            2 * self.n_cells if self.task == "density" else 150)


def describe_rule(bits: np.ndarray, wolfram: int | None = None) -> str:
    """The rule as people name it: ``Wolfram 110 (hex 76)``, else its hex and radius."""
    hex_ = rules.to_hex(bits)
    if wolfram is not None:
        return f"Wolfram {wolfram} (hex {hex_}, r=1)"
    return f"{hex_} (r={rules.radius_of(bits)})"


def measure(bits: np.ndarray, config: MeasureConfig, label: str = "") -> dict:
    """Run the measurement; returns the JSON-ready result (and writes the diagram)."""
    radius = rules.radius_of(bits)
    n, n_ics, steps = config.n_cells, config.ics, config.steps
    if n < 2 * radius + 1:
        raise ConfigError("n_cells", f"must be at least 2r+1 = {2 * radius + 1}, got {n}")
    if config.task == "chaos":  # histories of every IC are held on the host for zlib
        devices.check_memory(n_ics * (steps + 1) * n * 2, "n_ics", "the chaos histories",
                             "use fewer ICs, cells or steps")
    key = jax.random.key(config.seed)
    start = time.perf_counter()
    result = {"task": config.task, "rule": rules.to_hex(bits), "radius": radius}
    if config.task == "density":
        value = density.performance(bits, key, n_ics, n, steps, config.ic)
        result["performance"] = value
        text = f"P_{n} = {value:.4f}"
    else:
        value = float(chaos.fitness(bits[None], key, n_ics, n, steps, config.ic,
                                    config.compress_level)[0])
        result["nc_pt"] = value
        text = f"NC_pt = {value:.6f}"
    result.update(n_ics=n_ics, n_cells=n, max_steps=steps, ic=config.ic, seed=config.seed,
                  seconds=time.perf_counter() - start, summary=text)
    if config.diagram:
        cells = density.sample_ics(jax.random.fold_in(key, 10**6), 1, n, config.ic)[0]
        save_spacetime(config.diagram, np.asarray(simulator.history(bits, cells, steps)),
                       title=f"{label or describe_rule(bits)}: {text}")
        result["diagram"] = config.diagram
    return result
