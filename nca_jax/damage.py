"""Robustness battery on trained growing NCAs: long horizon, erasing, FGSM, larger canvas.

    python -m nca_jax.damage --checkpoint=runs/g/adam --checkpoint=runs/g/es --seeds=8 --out=OUT
    python -m nca_jax.damage --checkpoint=runs/grow --out=runs/damage  # es/ and adam/ of a "both" run

Flags → :class:`nca_jax.robustness.battery.BatteryConfig` →
:func:`nca_jax.jobs.damage.run`.
"""

from __future__ import annotations

from runio import environment

environment.check()  # first: a bad JAX variable would fail inside the imports below

from pathlib import Path

from absl import flags

from nca_jax.robustness.battery import BatteryConfig
from runio.cli import require, run
from runio.flagdefs import Spec, flag, plain

F = flags.FLAGS

SPEC = Spec(BatteryConfig, {
    "models": [plain("checkpoint")],
    "experiments": [
        flag("seeds", "Stochastic rollouts per model and experiment (>= 1)."),
        flag("steps", "Long-horizon and larger-canvas steps."),
        flag("canvas", "Side of the larger canvas (0: 2·grid + 9, i.e. 39 for 15×15 models); "
             "must be >= every model's training grid."),
        flag("damage_step", "Step after which erasing and FGSM-after-growth act."),
        flag("erase_steps", "Steps simulated after the erasure."),
        flag("fgsm_eps_growth", "FGSM ε during growth (after every step up to --fgsm_until)."),
        flag("fgsm_eps_after", "FGSM ε values for the single attack after growth."),
        flag("fgsm_steps", "Length of the FGSM loss curves (steps)."),
        flag("fgsm_until", "FGSM during growth attacks after steps 1..fgsm_until."),
    ],
    "run": [flag("seed", "Random seed of the rollouts."), plain("overwrite"),
            plain("progress"), plain("out")],
})
SPEC.define()
flags.DEFINE_multi_string("checkpoint", None, "Run folder of `python -m nca_jax.grow` (holding "
                          "summary.json and checkpoints/), or a --optimizer=both run (its es/ and "
                          "adam/). Repeat to compare models.")
flags.DEFINE_string("out", None, "Output folder (must be new or empty, unless --overwrite).")
flags.DEFINE_bool("overwrite", False, "Replace the contents of a non-empty --out.")
flags.DEFINE_bool("progress", True, "Show a progress bar.")


def build_config() -> BatteryConfig:
    """Flags → :class:`BatteryConfig`; every rule is checked by the config itself."""
    require(F.out is not None, "--out is required: give an output folder")
    require(bool(F.checkpoint), "--checkpoint is required: give a run folder of nca_jax.grow")
    return SPEC.build()


def main(argv):
    from nca_jax.jobs import damage

    config = build_config()
    results = damage.run(F.checkpoint, config, F.out, overwrite=F.overwrite,
                         progress=F.progress)
    for name, s in results["summary"].items():
        at = ", ".join(f"step {k}: {v:.4g}" for k, v in s["loss_at"].items() if v is not None)
        print(f"{name}: loss {at}")
    print(f"results in {Path(F.out) / 'report.md'}")


if __name__ == "__main__":
    run(main, SPEC)
