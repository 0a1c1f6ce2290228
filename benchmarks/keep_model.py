"""Keep a finished grow run in the repository, under ``benchmarks/models/<name>``, so that
anyone can re-evaluate it (``python -m nca_jax.damage --checkpoint=benchmarks/models/NAME``,
``nca_jax.load_run``) without training it again.

    python -m benchmarks.keep_model --run=runs/rabbit --name=rabbit_face_15_es

Kept: the run's records (``job.json``, ``config.json``, ``flags.txt``, ``summary.json``), its
newest checkpoint only, the figures (growth strip, GIF, loss curve, target) and
``metrics.jsonl`` thinned to every evaluation and every 100th iteration.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from absl import flags

from benchmarks import common

flags.DEFINE_string("run", None, "A finished grow run folder (one optimizer: es/ or adam/).")
flags.DEFINE_string("name", None, "The name of the kept folder under benchmarks/models/.")
FLAGS = flags.FLAGS

MODELS = common.MODELS
RECORDS = ("job.json", "config.json", "flags.txt", "summary.json", "growth.png", "growth.gif",
           "loss.png", "target.png")


def keep(run: Path, dest: Path) -> Path:
    """Copy the kept parts of ``run`` into ``dest`` (replaced if it exists)."""
    from runio.checkpoint import Checkpointer

    if not (run / "summary.json").is_file():
        common.fail(f"--run={run}: not a finished grow run (no summary.json)")
    with Checkpointer(run / "checkpoints") as ckpt:
        step = ckpt.latest_step()
    if step is None:
        common.fail(f"--run={run}: no checkpoint")
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "checkpoints").mkdir(parents=True)
    for name in RECORDS:
        if (run / name).exists():
            shutil.copyfile(run / name, dest / name)
    shutil.copytree(run / "checkpoints" / str(step), dest / "checkpoints" / str(step))
    lines = (run / "metrics.jsonl").read_text().splitlines()
    kept = [line for line in lines if line.strip() and ("eval_loss" in line or
                                                        json.loads(line)["iteration"] % 100 == 0)]
    (dest / "metrics.jsonl").write_text("\n".join(kept) + "\n")
    return dest


def main(argv):
    del argv
    if not FLAGS.run or not FLAGS.name:
        common.fail("--run and --name are required")
    dest = keep(Path(FLAGS.run), MODELS / FLAGS.name)
    print(f"kept {FLAGS.run} as {dest}")


if __name__ == "__main__":
    common.run(main)
