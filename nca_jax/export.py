"""Export trained NCAs to an interactive page that runs them in the browser.

    python -m nca_jax.export --checkpoint=runs/grow --out=runs/page     # ES and Adam side by side
    python -m nca_jax.export --checkpoint=runs/tex --checkpoint=runs/grow/es --out=runs/page

Writes ``index.html``, ``nca.js`` and ``models.js`` (weights and a test vector) into
``--out``; open ``index.html`` from disk (no network). Flags → :func:`nca_jax.web.model.load`
→ :func:`nca_jax.web.page.write`.
"""

from __future__ import annotations

from absl import flags

from runio.cli import require, run

F = flags.FLAGS
flags.DEFINE_multi_string("checkpoint", None, "Run folder of `python -m nca_jax.grow` (a "
                          "--optimizer=both run gives its es/ and adam/) or of `python -m "
                          "nca_jax.texture`. Repeat to put models side by side.")
flags.DEFINE_string("out", None, "Output folder of the page (new, or an earlier export).")
flags.DEFINE_integer("grid", 0, "Grid side in the page (0: a growing model's training canvas, "
                     "128 for textures), in [8, 512]; growing models need at least their "
                     "training canvas.")

JOB = "nca_jax.export"


def main(argv):
    require(F.out is not None, "--out is required: give an output folder")
    require(bool(F.checkpoint), "--checkpoint is required: give a run folder of nca_jax.grow "
                                "or nca_jax.texture")
    require(F.grid == 0 or 8 <= F.grid <= 512, f"--grid={F.grid}: must be 0 or in [8, 512]")
    from nca_jax.web import model, page
    from runio import outdir

    models = [m for c in F.checkpoint for m in model.load(c, F.grid)]
    small = [m.name for m in models if m.target is not None and F.grid and
             F.grid < max(m.target.shape[:2])]
    require(not small, f"--grid={F.grid}: smaller than the training canvas of {small}")
    with outdir.claim(F.out, JOB, resume=True) as out:
        index = page.write(models, out)
    for m in models:
        print(f"{m.name}: {m.grid[0]}×{m.grid[1]} grid")
    print(f"page: {index}")


FLAG_NAMES: dict[str, str] = {}

if __name__ == "__main__":
    run(main, FLAG_NAMES)
