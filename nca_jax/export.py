"""Export trained NCAs to an interactive page that runs them in the browser.

    python -m nca_jax.export --checkpoint=runs/grow --out=runs/page     # ES and Adam side by side
    python -m nca_jax.export --checkpoint=runs/tex --checkpoint=runs/grow/es --out=runs/page

Writes ``index.html``, ``nca.js`` and ``models.js`` (weights and a test vector) into
``--out``; open ``index.html`` from disk (no network). Flags →
:class:`nca_jax.jobs.export.ExportConfig` → :func:`nca_jax.jobs.export.run`.
"""

from __future__ import annotations

from runio import environment

environment.check()  # first: a bad JAX variable would fail inside the imports below

from absl import flags

from nca_jax.jobs.export import ExportConfig
from runio.cli import require, run
from runio.flagdefs import Spec, flag, plain

F = flags.FLAGS

SPEC = Spec(ExportConfig, {
    "page": [plain("checkpoint"),
             flag("grid", "Grid side in the page (0: a growing model's training canvas, 128 "
                  "for textures), in [8, 512]; growing models need at least their training "
                  "canvas."),
             plain("out")],
})
SPEC.define()
flags.DEFINE_multi_string("checkpoint", None, "Run folder of `python -m nca_jax.grow` (a "
                          "--optimizer=both run gives its es/ and adam/) or of `python -m "
                          "nca_jax.texture`. Repeat to put models side by side.")
flags.DEFINE_string("out", None, "Output folder of the page (new, or an earlier export).")


def main(argv):
    require(F.out is not None, "--out is required: give an output folder")
    require(bool(F.checkpoint), "--checkpoint is required: give a run folder of nca_jax.grow "
                                "or nca_jax.texture")
    from nca_jax.jobs import export

    models, index = export.run(SPEC.build(checkpoints=tuple(F.checkpoint)), F.out)
    for m in models:
        print(f"{m.name}: {m.grid[0]}×{m.grid[1]} grid")
    print(f"page: {index}")


if __name__ == "__main__":
    run(main, SPEC)
