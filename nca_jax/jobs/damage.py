"""The damage job: the robustness battery (long horizon, erasing, FGSM, larger canvas) on
trained growing NCAs (``python -m nca_jax.damage``).

``run(checkpoints, config, out)`` loads the models of the run folders (a folder of a grow
run with both optimizers gives its two), checks each canvas's memory and the output folder
before any work, then :func:`nca_jax.robustness.report.run_battery` writes
``results.json``, one figure per experiment, growth strips and ``report.md``.
"""

from __future__ import annotations

from pathlib import Path

from nca_jax.nca import growing
from nca_jax.robustness import loading
from nca_jax.runs import run_folders
from nca_jax.robustness.battery import LONG_STRIP, BatteryConfig, canvas_for
from nca_jax.robustness.report import run_battery
from runio import devices, hosts, outdir

JOB = "nca_jax.damage"


def run(checkpoints: list[str], config: BatteryConfig, out_dir: str | Path,
        overwrite: bool = False, progress: bool = True) -> dict:
    """The damage job: load the models of the run folders ``checkpoints`` (a folder of an
    ``optimizer=both`` run gives its two), check the canvas and the output folder before
    any work, then :func:`run_battery` into ``out_dir``."""
    hosts.on_main(outdir.check, out_dir, JOB, overwrite=overwrite)
    folders = [f for c in checkpoints for f in run_folders(c)]
    models = [loading.load_model(f) for f in folders]
    for m in models:
        canvas = canvas_for(m.target, config)
        devices.check_memory(memory_bytes(m.mcfg, canvas, config), "canvas",
                             f"the battery on a {canvas}×{canvas} canvas",
                             "use a smaller canvas or fewer seeds")
    with outdir.claim(out_dir, JOB, overwrite=overwrite) as out:
        return run_battery(models, config, out, progress)



def memory_bytes(mcfg: growing.ModelConfig, canvas: int, config: BatteryConfig) -> int:
    """A rough upper estimate of the battery's working memory on its largest grid (float32):
    one step's intermediates of every seed's rollout (state, perception, hidden layer,
    update, and FGSM's gradient of them), and the strips' snapshots."""
    c = mcfg.channels
    per_cell = 4 * (c + len(mcfg.filters) * c + mcfg.hidden + c)
    return 3 * config.seeds * canvas ** 2 * per_cell + len(LONG_STRIP) * canvas ** 2 * c * 4
