"""The export job: trained NCAs from run folders onto one interactive page.

``run(config, out)`` is what ``python -m nca_jax.export`` calls: it loads every model of
``config.checkpoints`` (:func:`nca_jax.runs.load_runs`) and writes ``index.html``,
``nca.js`` and ``models.js`` (weights and a test vector) into ``out``
(:func:`nca_jax.web.page.write`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from runio import outdir
from runio.errors import ConfigError, check

JOB = "nca_jax.export"


@dataclasses.dataclass(frozen=True)
class ExportConfig:
    checkpoints: tuple[str, ...] = ()  # run folders of nca_jax.grow or nca_jax.texture
    grid: int = 0  # grid side in the page (0: a growing model's canvas, 128 for textures)

    def __post_init__(self):
        check(len(self.checkpoints) > 0, "checkpoints",
              "give a run folder of nca_jax.grow or nca_jax.texture")
        check(self.grid == 0 or 8 <= self.grid <= 512, "grid",
              f"must be 0 or in [8, 512], got {self.grid}")


def run(config: ExportConfig, out: str | Path):
    """Write the page of ``config``'s models into ``out``; returns ``(models, index path)``."""
    from nca_jax.web import model, page

    models = [m for c in config.checkpoints for m in model.load(c, config.grid)]
    small = [m.name for m in models if m.target is not None and config.grid and
             config.grid < max(m.target.shape[:2])]
    if small:
        raise ConfigError("grid", f"smaller than the training canvas of {small}")
    with outdir.claim(out, JOB, resume=True) as folder:
        return models, page.write(models, folder)
